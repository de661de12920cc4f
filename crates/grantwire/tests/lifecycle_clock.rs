//! Issue 8, defects 2 and 3: the lifecycle schedules on a monotonic `Instant` passed in, so no
//! clock reading (wrong, out of order, or a wall-clock step) makes it serve a token past its
//! lifetime from receipt; it hears about transport failures, retries transient build failures,
//! halts on configuration errors, and says what a `Wait` waits for.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use grantwire::http::{HeaderMap, StatusCode};
use grantwire::lifecycle::{
    Event, FetchError, Handled, LifecycleConfig, Next, RequestId, Retry, TokenLifecycle,
    TransportError, WaitFor,
};
use grantwire::{
    AuthMethod, AuthParts, AuthTarget, AuthorizationServer, Client, ClientAuthentication,
    ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Context, Endpoint, Error,
};
use proptest::prelude::*;

const YEAR: u64 = 365 * 86_400;

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(|| Instant::now() + Duration::from_secs(100 * YEAR))
}

fn t(secs: u64) -> Instant {
    base() + Duration::from_secs(secs)
}

fn ms(millis: u64) -> Instant {
    base() + Duration::from_millis(millis)
}

fn wall(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn endpoint() -> AuthorizationServer {
    AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap())
}

fn machine() -> TokenLifecycle {
    TokenLifecycle::new(
        Client::new(
            endpoint(),
            ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")),
        )
        .unwrap(),
        ClientCredentials::new(),
        LifecycleConfig::default(),
    )
}

fn body(name: &str, expires_in: u64) -> Vec<u8> {
    format!(r#"{{"access_token":"{name}","token_type":"Bearer","expires_in":{expires_in}}}"#)
        .into_bytes()
}

/// Expects `Send` at `now`, builds it with the wall clock `wall_now`.
fn send(lc: &mut TokenLifecycle, now: Instant, wall_now: SystemTime) -> RequestId {
    let id = match lc.poll(now) {
        Next::Send(id) => id,
        other => panic!("expected Send, got {other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(0);
    lc.request(id, &mut Context::new(wall_now, &mut rng))
        .unwrap();
    id
}

fn answer(lc: &mut TokenLifecycle, id: RequestId, name: &str, expires_in: u64, now: Instant) {
    let handled = lc.handle_response(
        id,
        StatusCode::OK,
        &HeaderMap::new(),
        &body(name, expires_in),
        now,
    );
    assert_eq!(handled, Handled::Token);
}

fn events(lc: &mut TokenLifecycle) -> Vec<Event> {
    std::iter::from_fn(|| lc.poll_event()).collect()
}

// ---- defect 2: one wrong `now` ------------------------------------------------------------

/// The issue's reproduction: T1 at t, one `poll(t + 10 years)`, the answer at t + 1 s with
/// `expires_in: 3600`. Before the fix the machine raised its clock to t + 10 years, stamped T2
/// with it, and answered `Ready(T2)` at t + 1 h, t + 24 h and t + 1 year.
#[test]
fn one_wrong_instant_does_not_poison_the_lifecycle() {
    let mut lc = machine();
    let id = send(&mut lc, t(0), wall(0));
    answer(&mut lc, id, "T1", 3600, t(0));
    let id = send(&mut lc, t(10 * YEAR), wall(0));
    answer(&mut lc, id, "T2", 3600, t(1));
    assert_eq!(lc.token().unwrap().received(), t(1));
    // T2 is served while it is young...
    match lc.poll(t(2)) {
        Next::Ready(tok) => assert_eq!(tok.access_token().secret(), "T2"),
        other => panic!("{other:?}"),
    }
    // ...refreshed on schedule (48 minutes after receipt), served until an hour after receipt,
    // and never again.
    let refresh = send(&mut lc, t(1 + 2880), wall(2880));
    assert!(matches!(lc.poll(t(3600)), Next::Ready(tok) if tok.access_token().secret() == "T2"));
    for at in [t(3601), t(3600 + 1800), t(24 * 3600), t(YEAR)] {
        match lc.poll(at) {
            Next::Ready(tok) => panic!("served {} past its lifetime", tok.access_token().secret()),
            Next::Send(_) | Next::Wait { .. } => {}
            Next::Failed(e) => panic!("{e:?}"),
        }
    }
    // The refresh timed out at t + 1 year: its late answer is stale, nothing is served.
    assert_eq!(
        lc.handle_response(
            refresh,
            StatusCode::OK,
            &HeaderMap::new(),
            &body("T3", 3600),
            t(YEAR)
        ),
        Handled::Stale
    );
}

/// The real-world form: the wall clock steps back (NTP) while the monotonic clock runs on. The
/// wall clock only reaches the machine through `Context`; the schedule does not move.
#[test]
fn a_wall_clock_step_backwards_changes_no_decision() {
    let mut lc = machine();
    let id = send(&mut lc, t(0), wall(10 * YEAR));
    answer(&mut lc, id, "A", 3600, t(0));
    assert_eq!(lc.token().unwrap().expires_at(), wall(10 * YEAR + 3600));
    // The wall clock steps back ten years; at 48 minutes the refresh goes out as planned.
    let id = send(&mut lc, t(2880), wall(2880));
    assert!(matches!(lc.poll(t(2900)), Next::Ready(tok) if tok.access_token().secret() == "A"));
    answer(&mut lc, id, "B", 3600, t(2900));
    // Reported in the new wall clock, scheduled on the monotonic one.
    assert_eq!(lc.token().unwrap().expires_at(), wall(2900 + 3600));
    assert_eq!(lc.token().unwrap().valid_until(), t(2900 + 3600));
    assert!(!matches!(lc.poll(t(2900 + 3600)), Next::Ready(_)));
}

#[derive(Clone, Debug)]
enum Step {
    /// Callers poll with the true instant.
    Poll(u8),
    /// One caller polls with a wrong instant, this many seconds off (negative: earlier).
    PollAt(i64),
    /// True time passes.
    Advance(u64),
    /// The server answers with a token living this long; the instant given with it is
    /// `skew` seconds off the true one.
    Token { expires_in: u64, skew: i64 },
    /// The server answers 503.
    Unavailable,
    /// The connection fails.
    Transport,
    /// `handle_timeout` with an instant `skew` seconds off.
    Timeout { skew: i64 },
    /// The wall clock steps by this many seconds, either way.
    Wall(i64),
}

fn skew() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => Just(0i64),
        2 => -5i64..5,
        1 => -4000i64..4000,
        1 => prop_oneof![Just(10 * YEAR as i64), Just(-(10 * YEAR as i64)), -(YEAR as i64)..(YEAR as i64)],
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1u8..5).prop_map(Step::Poll),
        2 => skew().prop_map(Step::PollAt),
        3 => prop_oneof![0u64..5, 0u64..200, 0u64..5000].prop_map(Step::Advance),
        3 => ((1u64..4000), skew()).prop_map(|(expires_in, skew)| Step::Token { expires_in, skew }),
        1 => Just(Step::Unavailable),
        1 => Just(Step::Transport),
        1 => skew().prop_map(|skew| Step::Timeout { skew }),
        2 => prop_oneof![-(10 * YEAR as i64)..(10 * YEAR as i64), -100i64..100].prop_map(Step::Wall),
    ]
}

fn off(now: Instant, skew: i64) -> Instant {
    let d = Duration::from_secs(skew.unsigned_abs());
    if skew >= 0 {
        now + d
    } else {
        now - d
    }
}

fn apart(a: Instant, b: Instant) -> Duration {
    if a >= b {
        a - b
    } else {
        b - a
    }
}

/// What a schedule made the machine do, to compare runs.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Send(RequestId),
    Ready(String),
    Wait(Instant, WaitFor),
    Failed,
}

/// Runs `steps`; `wall_steps` says whether the wall clock moves as the steps say or stays right.
/// Checks the invariants on the way and returns what every poll answered.
fn run(steps: &[Step], wall_steps: bool) -> Result<Vec<Seen>, TestCaseError> {
    let mut lc = machine();
    let mut now = t(0);
    let mut wall_offset: i64 = 0;
    let mut outstanding: Option<RequestId> = None;
    // name -> (instant given with the response, true receipt instant, lifetime)
    let mut issued: HashMap<String, (Instant, Instant, Duration)> = HashMap::new();
    let mut seen = Vec::new();
    let mut serial = 0u32;
    for s in steps {
        let polls: Vec<(Instant, bool)> = match s {
            Step::Poll(n) => vec![(now, true); usize::from(*n)],
            Step::PollAt(k) => vec![(off(now, *k), *k == 0)],
            _ => Vec::new(),
        };
        for (at, honest) in polls {
            match lc.poll(at) {
                Next::Send(id) => {
                    prop_assert!(outstanding.is_none(), "two requests in flight");
                    let true_wall = wall(now.duration_since(base()).as_secs());
                    let w = if wall_offset >= 0 {
                        true_wall + Duration::from_secs(wall_offset as u64)
                    } else {
                        true_wall - Duration::from_secs(wall_offset.unsigned_abs())
                    };
                    let mut rng = |b: &mut [u8]| b.fill(0x5A);
                    prop_assert!(lc.request(id, &mut Context::new(w, &mut rng)).is_ok());
                    outstanding = Some(id);
                    seen.push(Seen::Send(id));
                }
                Next::Ready(tok) => {
                    let name = tok.access_token().secret().to_owned();
                    let (given, truly, life) = issued[&name];
                    // Never older than its lifetime from the receipt the machine was told...
                    prop_assert!(
                        apart(at, given) < life,
                        "{name} served {:?} from receipt",
                        apart(at, given)
                    );
                    // ...and, when both readings were right, never older in true time.
                    if honest && given == truly {
                        prop_assert!(now.duration_since(truly) < life);
                    }
                    seen.push(Seen::Ready(name));
                }
                Next::Wait { until, reason } => {
                    prop_assert!(until >= at);
                    if let WaitFor::Response(id) = reason {
                        prop_assert_eq!(Some(id), outstanding, "waits for a request not in flight");
                    }
                    seen.push(Seen::Wait(until, reason));
                }
                Next::Failed(_) => seen.push(Seen::Failed),
            }
        }
        match s {
            Step::Advance(d) => now += Duration::from_secs(*d),
            Step::Token { expires_in, skew } => {
                if let Some(id) = outstanding.take() {
                    serial += 1;
                    let name = format!("tok{serial}");
                    let given = off(now, *skew);
                    issued.insert(name.clone(), (given, now, Duration::from_secs(*expires_in)));
                    let _ = lc.handle_response(
                        id,
                        StatusCode::OK,
                        &HeaderMap::new(),
                        &body(&name, *expires_in),
                        given,
                    );
                }
            }
            Step::Unavailable => {
                if let Some(id) = outstanding.take() {
                    let _ = lc.handle_response(
                        id,
                        StatusCode::SERVICE_UNAVAILABLE,
                        &HeaderMap::new(),
                        b"{}",
                        now,
                    );
                }
            }
            Step::Transport => {
                if let Some(id) = outstanding.take() {
                    prop_assert_eq!(
                        lc.handle_transport_error(id, TransportError::Connect, now),
                        Handled::Failed
                    );
                }
            }
            Step::Timeout { skew } => lc.handle_timeout(off(now, *skew)),
            Step::Wall(d) if wall_steps => {
                wall_offset = wall_offset
                    .saturating_add(*d)
                    .clamp(-(40 * YEAR as i64), 40 * YEAR as i64)
            }
            _ => {}
        }
        while let Some(ev) = lc.poll_event() {
            if let Event::Failed {
                id, error, retry, ..
            } = ev
            {
                prop_assert!(!error.needs_human(), "{error:?}");
                prop_assert!(matches!(retry, Retry::At(_)));
                if outstanding == Some(id) {
                    outstanding = None;
                }
            }
        }
        prop_assert_eq!(
            lc.in_flight().map(|(id, _)| id),
            outstanding,
            "single flight"
        );
    }
    Ok(seen)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random schedules with wrong instants in both directions (a caller's reading, the
    /// instant given with a response, a timeout), true time standing still or jumping, and the
    /// wall clock stepping either way: no token is ever served at its lifetime or more from the
    /// instant it was received, single flight holds, and the wall clock changes no decision.
    #[test]
    fn clock_steps_in_both_directions_never_serve_an_old_token(steps in proptest::collection::vec(step(), 1..150)) {
        let stepped = run(&steps, true)?;
        let steady = run(&steps, false)?;
        prop_assert_eq!(stepped, steady, "the wall clock changed a decision");
    }
}

// ---- defect 3: transport failures, build failures, what Wait waits for -------------------

#[test]
fn a_refused_connection_backs_off_like_a_5xx_then_recovers() {
    let mut lc = machine();
    let id = send(&mut lc, t(0), wall(0));
    // Before the fix the only way out was the 30 s request timeout.
    assert_eq!(
        lc.handle_transport_error(id, TransportError::Connect, ms(20)),
        Handled::Failed
    );
    let ev = events(&mut lc);
    let [Event::Failed {
        id: failed,
        error,
        retry,
        ..
    }] = ev.as_slice()
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*failed, id);
    assert_eq!(*error, FetchError::Transport(TransportError::Connect));
    assert!(!error.needs_human());
    // Jitter byte 0: the lower end of the first 1 s backoff, from the failure.
    assert_eq!(*retry, Retry::At(ms(520)));
    assert_eq!(lc.failures(), 1);
    assert_eq!(lc.in_flight(), None);
    assert_eq!(lc.poll(ms(100)).wait(), Some((ms(520), WaitFor::Backoff)));
    assert_eq!(lc.poll_timeout(), Some(ms(520)));
    // A second refusal doubles it, exactly as a 503 would.
    let id = send(&mut lc, ms(520), wall(0));
    let _ = lc.handle_transport_error(id, TransportError::TimedOut, ms(520));
    assert!(matches!(
        events(&mut lc).as_slice(),
        [Event::Failed { error: FetchError::Transport(TransportError::TimedOut), retry: Retry::At(at), .. }] if *at == ms(1520)
    ));
    // Recovery: the next request goes out at the end of the backoff and its token is served.
    assert!(matches!(
        lc.poll(ms(1519)),
        Next::Wait {
            reason: WaitFor::Backoff,
            ..
        }
    ));
    let id = send(&mut lc, ms(1520), wall(1));
    answer(&mut lc, id, "A", 3600, ms(1600));
    assert!(matches!(lc.poll(ms(1600)), Next::Ready(tok) if tok.access_token().secret() == "A"));
    assert_eq!(lc.failures(), 0);
    // Late or unknown transport failures are stale.
    assert_eq!(
        lc.handle_transport_error(id, TransportError::Receive, ms(1700)),
        Handled::Stale
    );
}

#[test]
fn a_transport_failure_for_a_request_never_built_is_stale() {
    let mut lc = machine();
    let id = match lc.poll(t(0)) {
        Next::Send(id) => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        lc.handle_transport_error(id, TransportError::Send, t(0)),
        Handled::Stale
    );
    assert_eq!(lc.in_flight().map(|(i, _)| i), Some(id));
}

/// A signer that fails with the queued errors first, then signs like client_secret_basic
/// (standing in for a remote key: a KMS or HSM reached over the network).
struct FlakySigner {
    inner: ClientSecretBasic,
    errors: Mutex<Vec<Error>>,
}

impl ClientAuthentication for FlakySigner {
    fn method(&self) -> AuthMethod {
        AuthMethod::PrivateKeyJwt
    }
    fn client_id(&self) -> Option<&ClientId> {
        self.inner.client_id()
    }
    fn authenticate(
        &self,
        parts: &mut AuthParts<'_>,
        target: &AuthTarget<'_>,
        ctx: &mut Context<'_>,
    ) -> Result<(), Error> {
        if let Some(e) = self.errors.lock().unwrap().pop() {
            return Err(e);
        }
        self.inner.authenticate(parts, target, ctx)
    }
}

fn flaky(errors: Vec<Error>) -> TokenLifecycle {
    TokenLifecycle::new(
        Client::new(
            endpoint(),
            FlakySigner {
                inner: ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s")),
                errors: Mutex::new(errors),
            },
        )
        .unwrap(),
        ClientCredentials::new(),
        LifecycleConfig::default(),
    )
}

#[test]
fn a_transient_signing_failure_is_retried_with_backoff() {
    let unavailable = Error::ClientAuthenticationUnavailable {
        method: AuthMethod::PrivateKeyJwt,
        source: grantwire::ErrorSource::new("the remote key did not answer in time"),
    };
    assert!(!unavailable.is_configuration());
    let mut lc = flaky(vec![unavailable.clone()]);
    let id = match lc.poll(t(0)) {
        Next::Send(id) => id,
        other => panic!("{other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(0);
    assert_eq!(
        lc.request(id, &mut Context::new(wall(0), &mut rng)).err(),
        Some(unavailable.clone())
    );
    // Before the fix: Retry::NeedsHuman and Next::Failed until a human called resume().
    let ev = events(&mut lc);
    let [Event::Failed { error, retry, .. }] = ev.as_slice() else {
        panic!("{ev:?}")
    };
    assert_eq!(*error, FetchError::Request(unavailable));
    assert!(!error.needs_human());
    assert_eq!(*retry, Retry::At(ms(500)));
    assert_eq!(lc.halted(), None);
    assert_eq!(lc.poll(ms(10)).wait(), Some((ms(500), WaitFor::Backoff)));
    // The signer answers again: retried, and the token is served.
    let id = send(&mut lc, ms(500), wall(1));
    answer(&mut lc, id, "A", 3600, ms(600));
    assert!(matches!(lc.poll(ms(600)), Next::Ready(_)));
}

#[test]
fn a_configuration_failure_while_signing_halts_with_the_right_event() {
    let missing_issuer = Error::ClientAuthentication {
        method: AuthMethod::PrivateKeyJwt,
        source: grantwire::ErrorSource::new("no issuer known for the audience"),
    };
    assert!(missing_issuer.is_configuration());
    let mut lc = flaky(vec![missing_issuer.clone()]);
    let id = match lc.poll(t(0)) {
        Next::Send(id) => id,
        other => panic!("{other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(0);
    assert!(lc
        .request(id, &mut Context::new(wall(0), &mut rng))
        .is_err());
    let ev = events(&mut lc);
    let [Event::Failed {
        id: failed,
        error,
        retry,
        ..
    }] = ev.as_slice()
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*failed, id);
    assert_eq!(*error, FetchError::Request(missing_issuer.clone()));
    assert_eq!(*retry, Retry::NeedsHuman);
    for at in [t(1), t(1000), t(YEAR)] {
        assert!(
            matches!(lc.poll(at), Next::Failed(e) if *e == FetchError::Request(missing_issuer.clone()))
        );
    }
    assert_eq!(lc.poll_timeout(), None);
    // A human fixed it: resume fetches at once.
    lc.resume();
    let id = send(&mut lc, t(YEAR), wall(0));
    answer(&mut lc, id, "A", 60, t(YEAR));
}

#[test]
fn configuration_errors_are_told_from_transient_ones() {
    let config = [
        Error::InsecureEndpoint,
        Error::InvalidUrl { reason: "r" },
        Error::DuplicateParameter {
            name: "scope".into(),
        },
        Error::InvalidParameter {
            name: "x".into(),
            reason: "r",
        },
        Error::InvalidScope {
            reason: "r",
            response: None,
        },
        Error::AudienceUnavailable {
            audience: grantwire::AssertionAudience::TokenEndpoint,
        },
        Error::EndpointNotConfigured {
            endpoint: "introspection_endpoint",
        },
        Error::ClientAuthentication {
            method: AuthMethod::PrivateKeyJwt,
            source: grantwire::ErrorSource::new("RSA key too small"),
        },
    ];
    for e in &config {
        assert!(e.is_configuration(), "{e:?}");
        assert!(FetchError::Request(e.clone()).needs_human(), "{e:?}");
    }
    let transient = [
        Error::ClientAuthenticationUnavailable {
            method: AuthMethod::PrivateKeyJwt,
            source: grantwire::ErrorSource::new("KMS timeout"),
        },
        Error::UnexpectedStatus {
            response: grantwire::ResponseInfo::new(
                grantwire::http::StatusCode::BAD_GATEWAY,
                &grantwire::http::HeaderMap::new(),
            ),
            retry_after: None,
        },
        Error::MissingMember {
            member: "access_token",
            response: None,
        },
    ];
    for e in &transient {
        assert!(!e.is_configuration(), "{e:?}");
        assert!(!FetchError::Request(e.clone()).needs_human(), "{e:?}");
    }
}

/// A driver parks waiting callers on the request id and wakes them when its response is fed,
/// long before the deadline `until`.
#[test]
fn wait_names_the_request_so_waiters_wake_on_its_response() {
    let mut lc = machine();
    let id = send(&mut lc, t(0), wall(0));
    for _ in 0..10 {
        assert_eq!(lc.poll(ms(5)).wait(), Some((t(30), WaitFor::Response(id))));
    }
    answer(&mut lc, id, "A", 3600, ms(80));
    // Woken at 80 ms, not at the 30 s deadline: served at once.
    assert!(matches!(lc.poll(ms(80)), Next::Ready(tok) if tok.access_token().secret() == "A"));
    // A refresh in flight while the resource server rejected the token: waiters wait on
    // that refresh's id.
    let refresh = send(&mut lc, t(2881), wall(2881));
    assert_ne!(refresh, id);
    assert!(lc.invalidate(&grantwire::AccessToken::new("A")));
    assert_eq!(
        lc.poll(t(2882)).wait(),
        Some((t(2881 + 30), WaitFor::Response(refresh)))
    );
}

trait WaitExt {
    fn wait(self) -> Option<(Instant, WaitFor)>;
}

impl WaitExt for Next {
    fn wait(self) -> Option<(Instant, WaitFor)> {
        match self {
            Next::Wait { until, reason } => Some((until, reason)),
            _ => None,
        }
    }
}
