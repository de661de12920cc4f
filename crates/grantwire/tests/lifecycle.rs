//! Token lifecycle state machine: per-state tests, a simulated clock that jumps to the next
//! deadline, and properties over random schedules.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::lifecycle::{
    Event, FetchError, FetchKind, Handled, LifecycleConfig, LifecycleKey, Next, RequestId, Retry,
    TokenLifecycle, TokenLifecycles, WaitFor,
};
use grantwire::{
    AccessToken, AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret,
    ClientSecretBasic, Context, Endpoint, ErrorCode, RefreshToken, Scope, TokenResponse, TokenType,
};
use proptest::prelude::*;

const BASE: u64 = 1_700_000_000;

/// The monotonic instant the tests count from, far enough from the boot-time origin of
/// `Instant` that tests can step years backwards.
fn base() -> Instant {
    static BASE_INSTANT: OnceLock<Instant> = OnceLock::new();
    *BASE_INSTANT.get_or_init(|| Instant::now() + Duration::from_secs(50 * 365 * 86_400))
}

/// The monotonic instant `secs` after [`base`]: what every input takes.
fn t(secs: u64) -> Instant {
    base() + Duration::from_secs(secs)
}

fn ms(millis: u64) -> Instant {
    base() + Duration::from_millis(millis)
}

/// The wall-clock time `secs` after the tests' epoch: only for contexts and reports.
fn wall(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(BASE + secs)
}

/// The wall-clock time matching `now` when the wall clock is right.
fn wall_of(now: Instant) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(BASE) + now.saturating_duration_since(base())
}

fn machine(config: LifecycleConfig) -> TokenLifecycle {
    TokenLifecycle::new(
        Client::new(
            AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap()),
            ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")),
        )
        .unwrap(),
        ClientCredentials::new().scope(Scope::parse("read").unwrap()),
        config,
    )
}

fn json() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h
}

fn token_body(token: &str, expires_in: Option<u64>, refresh: Option<&str>) -> Vec<u8> {
    let mut s = format!(r#"{{"access_token":"{token}","token_type":"Bearer""#);
    if let Some(e) = expires_in {
        s += &format!(r#","expires_in":{e}"#);
    }
    if let Some(r) = refresh {
        s += &format!(r#","refresh_token":"{r}""#);
    }
    s.push('}');
    s.into_bytes()
}

fn error_body(code: &str) -> Vec<u8> {
    format!(r#"{{"error":"{code}"}}"#).into_bytes()
}

/// Expects `Send`, builds the request with `jitter_byte` as entropy, returns id and body.
fn send(lc: &mut TokenLifecycle, now: Instant, jitter_byte: u8) -> (RequestId, String) {
    let id = match lc.poll(now) {
        Next::Send(id) => id,
        other => panic!("expected Send, got {other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(jitter_byte);
    let req = lc
        .request(id, &mut Context::new(wall_of(now), &mut rng))
        .unwrap();
    (id, String::from_utf8(req.body().to_vec()).unwrap())
}

fn ok(lc: &mut TokenLifecycle, id: RequestId, body: &[u8], now: Instant) {
    assert_eq!(
        lc.handle_response(id, StatusCode::OK, &json(), body, now),
        Handled::Token
    );
}

fn ready_secret(lc: &mut TokenLifecycle, now: Instant) -> String {
    match lc.poll(now) {
        Next::Ready(tok) => tok.access_token().secret().to_owned(),
        other => panic!("expected Ready, got {other:?}"),
    }
}

fn events(lc: &mut TokenLifecycle) -> Vec<Event> {
    std::iter::from_fn(|| lc.poll_event()).collect()
}

#[test]
fn absurd_configurations_and_clocks_do_not_panic() {
    let cfg = LifecycleConfig {
        refresh_share: f64::INFINITY,
        refresh_buffer: Duration::MAX,
        default_lifetime: Duration::MAX,
        request_timeout: Duration::MAX,
        initial_backoff: Duration::MAX,
        max_backoff: Duration::MAX,
        max_retry_after: Duration::MAX,
        ..LifecycleConfig::default()
    };
    for start in [t(0), t(0) + Duration::from_secs(i64::MAX as u64 / 4)] {
        let mut lc = machine(cfg);
        let (id, _) = send(&mut lc, start, 0xFF);
        let _ = lc.handle_response(id, StatusCode::SERVICE_UNAVAILABLE, &json(), b"{}", start);
        let _ = lc.poll(start);
        let _ = lc.poll_timeout();
        lc.resume();
        let (id, _) = send(&mut lc, start, 0xFF);
        ok(&mut lc, id, &token_body("A", None, None), start);
        assert_eq!(ready_secret(&mut lc, start), "A");
        let _ = lc.poll_timeout();
    }
}

#[test]
fn machines_can_be_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TokenLifecycle>();
    send_sync::<TokenLifecycles>();
    send_sync::<Event>();
}

#[test]
fn first_poll_sends_the_grant_and_a_fresh_token_is_served_without_requests() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, body) = send(&mut lc, t(0), 0);
    assert_eq!(body, "grant_type=client_credentials&scope=read");
    assert_eq!(lc.in_flight(), Some((id, FetchKind::Grant)));
    ok(&mut lc, id, &token_body("A", Some(3600), None), t(1));
    match events(&mut lc).as_slice() {
        [Event::Obtained(o)] => {
            assert_eq!(o.access_token.secret(), "A");
            assert_eq!(o.expires_at, wall(3601));
            assert!(o.expiry_known);
            assert!(o.refresh_token.is_none());
        }
        other => panic!("{other:?}"),
    }
    for s in [1, 100, 2000, 2880] {
        assert_eq!(ready_secret(&mut lc, t(s)), "A");
        assert_eq!(lc.in_flight(), None);
    }
    let tok = lc.token().unwrap();
    assert_eq!(tok.token_type(), TokenType::Bearer);
    assert_eq!(tok.received(), t(1));
    assert_eq!(tok.received_at(), wall(1));
    assert_eq!(tok.valid_until(), t(3601));
}

#[test]
fn refresh_time_is_share_or_buffer_whichever_first_and_buffer_at_most_half() {
    let c = LifecycleConfig::default();
    // 1 h: 80 % = 48 min, buffer 5 min before = 55 min -> 48 min.
    let secs = Duration::from_secs;
    assert_eq!(c.refresh_after(secs(3600)), secs(2880));
    // 10 min: 80 % = 8 min, 5 min before expiry = 5 min -> 5 min.
    assert_eq!(c.refresh_after(secs(600)), secs(300));
    // 6 min: buffer 5 min would be at 1 min; capped to half the lifetime -> 3 min.
    assert_eq!(c.refresh_after(secs(360)), secs(180));
    assert_eq!(c.refresh_after(secs(60)), secs(30));
    let odd = LifecycleConfig {
        refresh_share: f64::NAN,
        ..c
    };
    assert_eq!(odd.refresh_after(secs(100)), secs(50));
    let zero = LifecycleConfig {
        refresh_share: 0.0,
        ..c
    };
    assert_eq!(zero.refresh_after(secs(1000)), secs(100));
}

proptest! {
    #[test]
    fn default_refresh_never_before_half_lifetime(lifetime in 1u64..10_000_000) {
        let c = LifecycleConfig::default();
        let offset = c.refresh_after(Duration::from_secs(lifetime));
        prop_assert!(offset >= Duration::from_secs(lifetime) / 2);
        prop_assert!(offset < Duration::from_secs(lifetime));
    }
}

#[test]
fn thousand_callers_at_expiry_cause_exactly_one_request() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 0);
    ok(&mut lc, id, &token_body("A", Some(3600), None), t(0));
    // At expiry, no token is usable: one caller sends, 999 wait.
    let mut sends = 0;
    let mut waits = 0;
    for _ in 0..1000 {
        match lc.poll(t(3600)) {
            Next::Send(_) => sends += 1,
            Next::Wait { until, reason } => {
                assert_eq!(until, t(3630));
                assert!(matches!(reason, WaitFor::Response(_)));
                waits += 1
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((sends, waits), (1, 999));
}

#[test]
fn thousand_callers_at_refresh_time_get_the_old_token_and_one_request() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 0);
    ok(&mut lc, id, &token_body("A", Some(3600), None), t(0));
    let mut sends = 0;
    for _ in 0..1000 {
        match lc.poll(t(2880)) {
            Next::Send(_) => sends += 1,
            Next::Ready(tok) => assert_eq!(tok.access_token().secret(), "A"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(sends, 1);
}

#[test]
fn old_token_is_served_while_refreshing_until_its_real_expiry() {
    let cfg = LifecycleConfig {
        request_timeout: Duration::from_secs(1000),
        ..LifecycleConfig::default()
    };
    let mut lc = machine(cfg);
    let (id, _) = send(&mut lc, t(0), 0);
    ok(&mut lc, id, &token_body("A", Some(3600), None), t(0));
    let (id2, _) = send(&mut lc, t(2880), 0);
    assert_eq!(ready_secret(&mut lc, t(2881)), "A");
    assert_eq!(ready_secret(&mut lc, t(3599)), "A");
    match lc.poll(t(3600)) {
        Next::Wait { until, reason } => {
            assert_eq!(until, t(2880 + 1000));
            assert_eq!(reason, WaitFor::Response(id2));
        }
        other => panic!("expired token served: {other:?}"),
    }
    ok(&mut lc, id2, &token_body("B", Some(3600), None), t(3601));
    assert_eq!(ready_secret(&mut lc, t(3601)), "B");
}

#[test]
fn unknown_expiry_uses_the_default_lifetime() {
    let cfg = LifecycleConfig {
        default_lifetime: Duration::from_secs(900),
        ..LifecycleConfig::default()
    };
    let mut lc = machine(cfg);
    let (id, _) = send(&mut lc, t(0), 0);
    ok(&mut lc, id, &token_body("A", None, None), t(0));
    let tok = lc.token().unwrap();
    assert!(!tok.expiry_known());
    assert_eq!(tok.expires_at(), wall(900));
    assert_eq!(tok.valid_until(), t(900));
    assert_eq!(tok.refresh_due(), t(600));
    assert!(matches!(events(&mut lc).as_slice(), [Event::Obtained(o)] if !o.expiry_known));
    assert!(matches!(lc.poll(t(600)), Next::Send(_)));
}

#[test]
fn zero_expires_in_is_a_failure_not_a_token() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 0);
    assert_eq!(
        lc.handle_response(
            id,
            StatusCode::OK,
            &json(),
            &token_body("A", Some(0), None),
            t(0)
        ),
        Handled::Failed
    );
    assert!(lc.token().is_none());
    assert!(matches!(
        events(&mut lc).as_slice(),
        [Event::Failed {
            retry: Retry::At(_),
            ..
        }]
    ));
}

#[test]
fn backoff_doubles_with_jitter_from_entropy_and_honours_retry_after() {
    let mut lc = machine(LifecycleConfig::default());
    // Jitter byte 0: the lower end (half of the backoff).
    let (id, _) = send(&mut lc, t(0), 0);
    assert_eq!(
        lc.handle_response(id, StatusCode::INTERNAL_SERVER_ERROR, &json(), b"{}", t(0)),
        Handled::Failed
    );
    let ev = events(&mut lc);
    let [Event::Failed {
        error, retry, kind, ..
    }] = ev.as_slice()
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*kind, FetchKind::Grant);
    assert!(matches!(error, FetchError::Response(_)));
    assert!(!error.needs_human());
    assert_eq!(*retry, Retry::At(ms(500)));
    match lc.poll(ms(499)) {
        Next::Wait { until, reason } => {
            assert_eq!(until, ms(500));
            assert_eq!(reason, WaitFor::Backoff);
        }
        other => panic!("{other:?}"),
    }
    // Second failure, jitter byte 0xFF: the upper end of 1..2 s.
    let (id, _) = send(&mut lc, ms(500), 0xFF);
    let _ = lc.handle_response(
        id,
        StatusCode::BAD_GATEWAY,
        &HeaderMap::new(),
        b"<html>",
        ms(500),
    );
    assert!(matches!(
        events(&mut lc).as_slice(),
        [Event::Failed { retry: Retry::At(at), .. }] if *at == ms(2500)
    ));
    // 503 with Retry-After: 120 outweighs the 2..4 s backoff.
    let (id, _) = send(&mut lc, ms(2500), 0);
    let mut h = json();
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
    let _ = lc.handle_response(
        id,
        StatusCode::SERVICE_UNAVAILABLE,
        &h,
        &error_body("temporarily_unavailable"),
        ms(2500),
    );
    assert!(matches!(
        events(&mut lc).as_slice(),
        [Event::Failed { retry: Retry::At(at), .. }] if *at == ms(122_500)
    ));
    assert!(matches!(lc.poll(ms(122_499)), Next::Wait { .. }));
    let (id, _) = send(&mut lc, ms(122_500), 0);
    ok(&mut lc, id, &token_body("A", Some(60), None), ms(122_500));
    assert_eq!(lc.failures(), 0);
    // The cap on Retry-After.
    let c = LifecycleConfig::default();
    assert_eq!(
        c.backoff(1, 0, Some(Duration::from_secs(86_400 * 30))),
        Duration::from_secs(3600)
    );
    assert_eq!(c.backoff(40, u32::MAX, None), Duration::from_secs(300));
}

#[test]
fn errors_that_need_a_human_are_never_retried_and_say_so() {
    for code in [
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "invalid_scope",
    ] {
        let mut lc = machine(LifecycleConfig::default());
        let (id, _) = send(&mut lc, t(0), 0);
        let _ = lc.handle_response(
            id,
            StatusCode::BAD_REQUEST,
            &json(),
            &error_body(code),
            t(0),
        );
        let ev = events(&mut lc);
        let [Event::Failed { error, retry, .. }] = ev.as_slice() else {
            panic!("{ev:?}")
        };
        assert_eq!(*retry, Retry::NeedsHuman, "{code}");
        assert!(error.needs_human());
        assert_eq!(error.code(), Some(&ErrorCode::parse(code)));
        for s in [0, 10, 1000, 100_000] {
            match lc.poll(t(s)) {
                Next::Failed(e) => assert_eq!(e.code(), Some(&ErrorCode::parse(code))),
                other => panic!("{code}: {other:?}"),
            }
        }
        assert_eq!(lc.poll_timeout(), None);
        lc.resume();
        assert!(matches!(lc.poll(t(100_001)), Next::Send(_)));
    }
}

#[test]
fn a_halt_keeps_serving_the_old_token_until_expiry() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 0);
    ok(&mut lc, id, &token_body("A", Some(100), None), t(0));
    let (id, _) = send(&mut lc, t(80), 0);
    let _ = lc.handle_response(
        id,
        StatusCode::UNAUTHORIZED,
        &json(),
        &error_body("invalid_client"),
        t(80),
    );
    assert_eq!(ready_secret(&mut lc, t(99)), "A");
    assert!(matches!(lc.poll(t(100)), Next::Failed(_)));
}

#[test]
fn refresh_tokens_are_used_rotated_and_kept() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 0);
    ok(&mut lc, id, &token_body("A", Some(100), Some("RT1")), t(0));
    assert!(lc.has_refresh_token());
    let (id, body) = send(&mut lc, t(80), 0);
    assert_eq!(lc.in_flight(), Some((id, FetchKind::Refresh)));
    assert_eq!(body, "grant_type=refresh_token&refresh_token=RT1");
    ok(&mut lc, id, &token_body("B", Some(100), Some("RT2")), t(80));
    let ev = events(&mut lc);
    match ev.as_slice() {
        [_, Event::Refreshed(o)] => {
            assert!(o.refresh_token_rotated);
            assert_eq!(o.refresh_token, Some(RefreshToken::new("RT2")));
        }
        other => panic!("{other:?}"),
    }
    // A refresh response without a refresh token keeps the current one (RFC 6749 §6).
    let (id, body) = send(&mut lc, t(160), 0);
    assert_eq!(body, "grant_type=refresh_token&refresh_token=RT2");
    ok(&mut lc, id, &token_body("C", Some(100), None), t(160));
    match events(&mut lc).as_slice() {
        [Event::Refreshed(o)] => {
            assert!(!o.refresh_token_rotated);
            assert_eq!(o.refresh_token, Some(RefreshToken::new("RT2")));
        }
        other => panic!("{other:?}"),
    }
    let (_, body) = send(&mut lc, t(240), 0);
    assert_eq!(body, "grant_type=refresh_token&refresh_token=RT2");
}

#[test]
fn a_rejected_refresh_token_falls_back_to_the_original_grant() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 0);
    ok(&mut lc, id, &token_body("A", Some(100), Some("RT1")), t(0));
    let (id, _) = send(&mut lc, t(80), 0);
    let _ = lc.handle_response(
        id,
        StatusCode::BAD_REQUEST,
        &json(),
        &error_body("invalid_grant"),
        t(80),
    );
    let ev = events(&mut lc);
    assert!(matches!(
        ev.as_slice(),
        [
            _,
            Event::Failed {
                retry: Retry::FallBackToGrant,
                kind: FetchKind::Refresh,
                ..
            }
        ]
    ));
    assert!(!lc.has_refresh_token());
    // At once, without backoff.
    let (id, body) = send(&mut lc, t(80), 0);
    assert_eq!(body, "grant_type=client_credentials&scope=read");
    ok(&mut lc, id, &token_body("B", Some(100), None), t(80));
    assert_eq!(ready_secret(&mut lc, t(81)), "B");
}

#[test]
fn without_a_grant_a_rejected_refresh_token_needs_a_human() {
    let mut lc = TokenLifecycle::without_grant(
        Client::new(
            AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap()),
            grantwire::NoneAuth::new(ClientId::new("app")),
        )
        .unwrap(),
        LifecycleConfig::default(),
    );
    assert!(matches!(lc.poll(t(0)), Next::Failed(e) if *e == FetchError::NoGrant));
    lc.seed(
        TokenResponse::new(AccessToken::new("A"), TokenType::Bearer, wall(0))
            .with_expires_in(Duration::from_secs(100))
            .with_refresh_token(RefreshToken::new("RT")),
        t(0),
    );
    assert_eq!(ready_secret(&mut lc, t(1)), "A");
    let (id, body) = send(&mut lc, t(80), 0);
    assert_eq!(
        body,
        "grant_type=refresh_token&refresh_token=RT&client_id=app"
    );
    let _ = lc.handle_response(
        id,
        StatusCode::BAD_REQUEST,
        &json(),
        &error_body("invalid_grant"),
        t(80),
    );
    assert!(matches!(
        events(&mut lc).as_slice(),
        [Event::Failed {
            retry: Retry::NeedsHuman,
            ..
        }]
    ));
    assert_eq!(ready_secret(&mut lc, t(99)), "A");
    assert!(matches!(lc.poll(t(100)), Next::Failed(e) if *e == FetchError::NoGrant));
}

#[test]
fn invalidate_forgets_only_the_token_held() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 0);
    ok(&mut lc, id, &token_body("A", Some(3600), Some("RT")), t(0));
    assert!(!lc.invalidate(&AccessToken::new("other")));
    assert_eq!(ready_secret(&mut lc, t(1)), "A");
    assert!(lc.invalidate(&AccessToken::new("A")));
    assert!(!lc.invalidate(&AccessToken::new("A")));
    let (id, body) = send(&mut lc, t(2), 0);
    assert!(body.starts_with("grant_type=refresh_token"));
    // Many callers reporting the same rejected token cause no second fetch.
    for _ in 0..10 {
        assert!(!lc.invalidate(&AccessToken::new("A")));
        assert!(matches!(lc.poll(t(2)), Next::Wait { .. }));
    }
    ok(&mut lc, id, &token_body("B", Some(3600), None), t(3));
    assert!(!lc.invalidate(&AccessToken::new("A")));
    assert_eq!(ready_secret(&mut lc, t(3)), "B");
}

#[test]
fn a_request_without_answer_times_out_and_late_answers_are_stale() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 0);
    assert_eq!(lc.poll_timeout(), Some(t(30)));
    lc.handle_timeout(t(29));
    assert!(events(&mut lc).is_empty());
    lc.handle_timeout(t(30));
    assert!(matches!(
        events(&mut lc).as_slice(),
        [Event::Failed {
            error: FetchError::TimedOut,
            retry: Retry::At(_),
            ..
        }]
    ));
    assert_eq!(lc.in_flight(), None);
    assert_eq!(
        lc.handle_response(
            id,
            StatusCode::OK,
            &json(),
            &token_body("late", Some(60), None),
            t(31)
        ),
        Handled::Stale
    );
    assert!(lc.token().is_none());
}

#[test]
fn request_ids_are_built_once() {
    let mut lc = machine(LifecycleConfig::default());
    let id = match lc.poll(t(0)) {
        Next::Send(id) => id,
        other => panic!("{other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(0);
    assert!(lc.request(id, &mut Context::new(wall(0), &mut rng)).is_ok());
    assert!(lc
        .request(id, &mut Context::new(wall(0), &mut rng))
        .is_err());
    ok(&mut lc, id, &token_body("A", Some(60), None), t(0));
    assert!(lc
        .request(id, &mut Context::new(wall(0), &mut rng))
        .is_err());
}

#[test]
fn a_request_that_cannot_be_built_halts_with_a_typed_error() {
    let mut lc = TokenLifecycle::new(
        Client::new(
            AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap()),
            ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s")),
        )
        .unwrap(),
        ClientCredentials::new().extra("scope", "dup"),
        LifecycleConfig::default(),
    );
    let id = match lc.poll(t(0)) {
        Next::Send(id) => id,
        other => panic!("{other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(0);
    assert!(lc
        .request(id, &mut Context::new(wall(0), &mut rng))
        .is_err());
    assert!(matches!(
        events(&mut lc).as_slice(),
        [Event::Failed {
            error: FetchError::Request(_),
            retry: Retry::NeedsHuman,
            ..
        }]
    ));
    assert!(matches!(
        lc.poll(t(1)),
        Next::Failed(e) if matches!(*e, FetchError::Request(_))
    ));
}

#[test]
fn a_stale_instant_never_gets_a_token_past_its_lifetime() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(1000), 0);
    ok(&mut lc, id, &token_body("A", Some(100), None), t(1000));
    // A caller with a stale clock cannot get a token past its lifetime from receipt: 1,000 s
    // before receipt is as far from it as 1,000 s after.
    assert!(matches!(lc.poll(t(1100)), Next::Send(_)));
    assert!(!matches!(lc.poll(t(0)), Next::Ready(_)));
    assert!(lc.token().is_none());
    // The stale reading timed the request out (it is 1,100 s away from the poll that sent it)
    // and started a backoff from itself; an honest reading ends that backoff at once.
    assert_eq!(lc.in_flight(), None);
    assert!(matches!(lc.poll(t(1101)), Next::Send(_)));
}

#[test]
fn events_are_bounded_and_debug_never_shows_secrets() {
    let mut lc = machine(LifecycleConfig::default());
    let mut now = 0;
    for _ in 0..200 {
        let (id, _) = send(&mut lc, t(now), 0);
        ok(
            &mut lc,
            id,
            &token_body("tok-secret-xyz", Some(10), Some("rt-secret-xyz")),
            t(now),
        );
        now += 10;
    }
    let dbg = format!("{lc:?}");
    assert!(!dbg.contains("secret-xyz"), "{dbg}");
    let ev = events(&mut lc);
    assert_eq!(ev.len(), grantwire::lifecycle::MAX_QUEUED_EVENTS);
    let dbg = format!("{ev:?}");
    assert!(!dbg.contains("secret-xyz"));
}

#[test]
fn keys_identify_scope_sets_and_audiences_whatever_the_order() {
    let id = ClientId::new("svc");
    let k1 = LifecycleKey::new(
        Some(&id),
        Some(&Scope::parse("b a").unwrap()),
        ["https://api/2", "https://api/1"],
    );
    let k2 = LifecycleKey::new(
        Some(&id),
        Some(&Scope::parse("a b a").unwrap()),
        ["https://api/1", "https://api/2"],
    );
    let k3 = LifecycleKey::new(Some(&id), Some(&Scope::parse("a").unwrap()), []);
    assert_eq!(k1, k2);
    let mut all = TokenLifecycles::new();
    let a = all.get_or_insert_with(k1, || machine(LifecycleConfig::default()));
    let b = all.get_or_insert_with(k2.clone(), || unreachable!("same key"));
    let c = all.get_or_insert_with(k3, || machine(LifecycleConfig::default()));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(all.len(), 2);
    assert_eq!(all.find(&k2), Some(a));
    // Single flight holds per key: each key sends its own single request.
    assert!(matches!(all.get_mut(a).unwrap().poll(t(0)), Next::Send(_)));
    assert!(matches!(
        all.get_mut(a).unwrap().poll(t(0)),
        Next::Wait { .. }
    ));
    assert!(matches!(all.get_mut(c).unwrap().poll(t(0)), Next::Send(_)));
    assert_eq!(all.poll_timeout(), Some(t(30)));
    all.handle_timeout(t(30));
    assert_eq!(all.get(a).unwrap().in_flight(), None);
}

/// Drives the machine with a clock that jumps to the next deadline and a server that answers
/// every request at once, failing every `fail_every`-th one.
fn simulate(hours: u64, expires_in: u64, fail_every: u64) -> (u64, u64) {
    let mut lc = machine(LifecycleConfig::default());
    let mut now = t(0);
    let end = t(hours * 3600);
    let (mut fetches, mut failures) = (0u64, 0u64);
    let mut expiry_of: HashMap<String, Instant> = HashMap::new();
    while now < end {
        loop {
            match lc.poll(now) {
                Next::Send(id) => {
                    let mut rng = |b: &mut [u8]| b.fill(0x80);
                    lc.request(id, &mut Context::new(wall_of(now), &mut rng))
                        .unwrap();
                    fetches += 1;
                    if fail_every > 0 && fetches % fail_every == 0 {
                        failures += 1;
                        let _ = lc.handle_response(
                            id,
                            StatusCode::SERVICE_UNAVAILABLE,
                            &json(),
                            b"{}",
                            now,
                        );
                    } else {
                        let name = format!("tok{fetches}");
                        expiry_of.insert(name.clone(), now + Duration::from_secs(expires_in));
                        ok(&mut lc, id, &token_body(&name, Some(expires_in), None), now);
                    }
                }
                Next::Ready(tok) => {
                    assert!(now < expiry_of[tok.access_token().secret()]);
                    break;
                }
                Next::Wait { until, .. } => {
                    assert!(until >= now);
                    break;
                }
                Next::Failed(e) => panic!("{e:?}"),
            }
        }
        while lc.poll_event().is_some() {}
        let next = lc
            .poll_timeout()
            .expect("a token or a retry is always scheduled");
        assert!(next >= now, "deadline in the past");
        now = next.max(now + Duration::from_millis(1));
        lc.handle_timeout(now);
    }
    (fetches, failures)
}

#[test]
fn simulated_clock_jumping_to_each_deadline() {
    // One day of 1-hour tokens refreshed every 48 minutes: fetches at 0, 48, ..., 23h12.
    assert_eq!(simulate(24, 3600, 0), (30, 0));
    // 10-minute tokens refreshed at 5 minutes: 288 fetches a day.
    assert_eq!(simulate(24, 600, 0), (288, 0));
    // Every third request fails: each failure costs exactly one retry.
    let (fetches, failures) = simulate(24, 3600, 3);
    assert!(failures > 0);
    assert!(
        fetches <= 30 + failures + 1,
        "{fetches} fetches, {failures} failures"
    );
}

#[derive(Clone, Debug)]
enum Answer {
    Token {
        expires_in: Option<u64>,
        refresh: bool,
    },
    Unavailable {
        retry_after: Option<u64>,
    },
    OAuth(&'static str),
    Garbage,
}

#[derive(Clone, Debug)]
enum Op {
    Poll(u8),
    Advance(u64),
    Answer(Answer),
    Timeout,
    InvalidateCurrent,
    Resume,
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        4 => (proptest::option::of(0u64..4000), any::<bool>())
            .prop_map(|(expires_in, refresh)| Answer::Token { expires_in, refresh }),
        1 => proptest::option::of(0u64..600).prop_map(|retry_after| Answer::Unavailable { retry_after }),
        1 => prop_oneof![
            Just("invalid_grant"),
            Just("invalid_client"),
            Just("server_error"),
            Just("invalid_scope"),
            Just("slow_down"),
        ]
        .prop_map(Answer::OAuth),
        1 => Just(Answer::Garbage),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..6).prop_map(Op::Poll),
        3 => prop_oneof![0u64..5, 0u64..100, 0u64..5000].prop_map(Op::Advance),
        3 => answer().prop_map(Op::Answer),
        1 => Just(Op::Timeout),
        1 => Just(Op::InvalidateCurrent),
        1 => Just(Op::Resume),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random schedules of callers, answers, failures and clock jumps: never an expired token,
    /// never two requests in flight, every fetch justified by an expiry or a failure, and no
    /// deadline in the past.
    #[test]
    fn random_schedules_keep_the_invariants(ops in proptest::collection::vec(op(), 1..120)) {
        let cfg = LifecycleConfig { default_lifetime: Duration::from_secs(700), ..LifecycleConfig::default() };
        let mut lc = machine(cfg);
        let mut now = t(0);
        let mut outstanding: Option<RequestId> = None;
        let mut expiry_of: HashMap<String, Instant> = HashMap::new();
        let mut serial = 0u64;
        // One fetch is allowed at the start; each token, failure, effective invalidation or
        // resume allows one more.
        let mut credits: i64 = 1;
        for op in ops {
            match op {
                Op::Poll(callers) => {
                    for _ in 0..callers {
                        match lc.poll(now) {
                            Next::Send(id) => {
                                prop_assert!(outstanding.is_none(), "two requests in flight");
                                prop_assert!(credits > 0, "fetch not justified by an expiry or a failure");
                                credits -= 1;
                                let mut rng = |b: &mut [u8]| b.fill(serial as u8);
                                if lc.request(id, &mut Context::new(wall_of(now), &mut rng)).is_ok() {
                                    outstanding = Some(id);
                                }
                            }
                            Next::Ready(tok) => {
                                let secret = tok.access_token().secret();
                                prop_assert!(now < expiry_of[secret], "expired token handed out");
                                prop_assert!(now < tok.valid_until() && tok.is_valid(now));
                            }
                            Next::Wait { until, reason } => {
                                prop_assert!(until >= now, "deadline in the past");
                                if let WaitFor::Response(id) = reason {
                                    prop_assert_eq!(lc.in_flight().map(|(f, _)| f), Some(id));
                                }
                            }
                            Next::Failed(e) => prop_assert!(e.needs_human()),
                        }
                    }
                }
                Op::Advance(s) => now += Duration::from_secs(s),
                Op::Answer(a) => {
                    if let Some(id) = outstanding.take() {
                        serial += 1;
                        let name = format!("tok{serial}");
                        let (status, headers, body) = match a {
                            Answer::Token { expires_in, refresh } => {
                                if expires_in != Some(0) {
                                    let life = expires_in.unwrap_or(700);
                                    expiry_of.insert(name.clone(), now + Duration::from_secs(life));
                                }
                                let rt = format!("rt{serial}");
                                (StatusCode::OK, json(), token_body(&name, expires_in, refresh.then_some(rt.as_str())))
                            }
                            Answer::Unavailable { retry_after } => {
                                let mut h = json();
                                if let Some(r) = retry_after {
                                    h.insert(header::RETRY_AFTER, HeaderValue::from_str(&r.to_string()).unwrap());
                                }
                                (StatusCode::SERVICE_UNAVAILABLE, h, b"{}".to_vec())
                            }
                            Answer::OAuth(code) => (StatusCode::BAD_REQUEST, json(), error_body(code)),
                            Answer::Garbage => (StatusCode::OK, HeaderMap::new(), b"<html>".to_vec()),
                        };
                        let _ = lc.handle_response(id, status, &headers, &body, now);
                    }
                }
                Op::Timeout => lc.handle_timeout(now),
                Op::InvalidateCurrent => {
                    let current = lc.token().map(|t| t.access_token().clone());
                    if let Some(tok) = current {
                        if lc.invalidate(&tok) {
                            credits += 1;
                        }
                    }
                }
                Op::Resume => {
                    if lc.halted().is_some() {
                        credits += 1;
                    }
                    lc.resume();
                }
            }
            while let Some(ev) = lc.poll_event() {
                match ev {
                    Event::Obtained(_) | Event::Refreshed(_) => credits += 1,
                    Event::Failed { id, .. } => {
                        credits += 1;
                        if outstanding == Some(id) {
                            outstanding = None;
                        }
                    }
                    other => panic!("unexpected event {other:?}"),
                }
            }
            prop_assert_eq!(lc.in_flight().map(|(id, _)| id).filter(|_| outstanding.is_some()), outstanding);
            // Nothing is forgotten: a request in flight or a token held always has a deadline.
            if lc.in_flight().is_some() || lc.token().is_some() {
                prop_assert!(lc.poll_timeout().is_some(), "no deadline scheduled");
            }
        }
    }
}

/// `poll`'s answer borrows nothing and shares the token held (issue 9): a driver can keep the
/// answer after it let go of the machine, send it to another thread, and every cache hit hands
/// out the same allocation rather than a copy. Before, `Poll::Ready(&Token)` borrowed the
/// machine, so none of this compiled.
#[test]
fn a_ready_token_is_shared_not_borrowed() {
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 1);
    ok(&mut lc, id, &token_body("tok-1", Some(3600), None), t(0));
    let first = lc.poll(t(1));
    let second = lc.poll(t(2));
    shareable(&first);
    let (Next::Ready(a), Next::Ready(b)) = (first, second) else {
        panic!("expected two cache hits");
    };
    assert!(
        std::sync::Arc::ptr_eq(&a, &b),
        "a cache hit copies the token"
    );
    // The machine goes on (even replaces the token) while callers elsewhere hold theirs.
    lc.invalidate(a.access_token());
    let (id, _) = send(&mut lc, t(3), 1);
    ok(&mut lc, id, &token_body("tok-2", Some(3600), None), t(3));
    let elsewhere = std::thread::spawn(move || a.access_token().secret().to_owned());
    assert_eq!(elsewhere.join().unwrap(), "tok-1");
    assert_eq!(ready_secret(&mut lc, t(4)), "tok-2");
    assert_eq!(b.access_token().secret(), "tok-1");
}

/// A halted machine shares its failure the same way.
#[test]
fn a_halt_is_shared_not_borrowed() {
    let mut lc = machine(LifecycleConfig::default());
    let (id, _) = send(&mut lc, t(0), 1);
    let _ = lc.handle_response(
        id,
        StatusCode::UNAUTHORIZED,
        &json(),
        &error_body("invalid_client"),
        t(0),
    );
    let (Next::Failed(a), Next::Failed(b)) = (lc.poll(t(1)), lc.poll(t(2))) else {
        panic!("expected a halt");
    };
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert_eq!(a.code(), Some(&ErrorCode::InvalidClient));
}
