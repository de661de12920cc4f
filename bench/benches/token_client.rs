//! The token clients side by side (issue 10; targets in docs/PERFORMANCE.md), against the
//! testkit's loopback server (client_credentials, `client_secret_basic`, tokens of one hour):
//!
//! - cache hit, one thread and with a second thread hitting the same client at once:
//!   `grantwire_reqwest::TokenClient::token()` (its future polled once: a hit is ready at once),
//!   `grantwire_ureq::TokenClient::token()`, `oauth2` 5 behind the cache its users write (a
//!   `Mutex<Option<(Arc<AccessToken>, Instant)>>` checked against `Instant::now()`), and
//!   `huskarl` 0.11's `InMemoryTokenCache::token()` (polled once); `Instant::now()` alone is the
//!   clock's floor.
//! - one full token fetch over loopback HTTP, on one reused `reqwest` 0.13 client each (the
//!   peers' send a `User-Agent` as long as grantwire's, so the server reads the same bytes):
//!   grantwire-reqwest (`invalidate`, then `token()`), `oauth2` 5 (`exchange_client_credentials`
//!   through a `reqwest` 0.13 closure, as its users write for reqwest 0.13) and `huskarl` with
//!   `huskarl-reqwest` (`invalidate`, then `token()`).
//!
//! Every path is checked before anything is timed: a hit returns the token the server issued,
//! a fetch makes exactly one token request (the testkit counts) and returns a new token.
//! After the criterion run a summary prints time per call (criterion's slope estimate from the
//! same samples), the ratio to grantwire, the contention slowdown and allocations per hit.
//! Run with `cargo xtask bench`.

use std::alloc::System;
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::Criterion;
use grantwire::lifecycle::LifecycleConfig;
use grantwire::{ClientCredentials, ClientId, ClientSecret, ClientSecretBasic};
use grantwire_bench::order;
use grantwire_bench::samples::{timed, Samples, SAMPLE_SIZE};
use grantwire_testkit::{
    AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, EndpointKind, GrantType,
    LoopbackServer, ServerConfig,
};
use huskarl::cache::{GrantTokenSource, InMemoryRefreshTokenStore, InMemoryTokenCache};
use huskarl::prelude::*;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CLIENT_ID: &str = "svc";
const SECRET: &str = "svc-secret";
/// Hits per allocation count.
const ALLOC_ROUNDS: usize = 10_000;
/// The peers' `User-Agent`: as long as grantwire-reqwest's, so every fetch sends as many bytes.
const PEER_USER_AGENT: &str = "peerbench/0.1.0";

type Oauth2Client = oauth2::basic::BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

type Huskarl = InMemoryTokenCache<
    GrantTokenSource<
        huskarl::grant::client_credentials::ClientCredentialsGrant,
        InMemoryRefreshTokenStore,
    >,
>;

/// `oauth2` behind the cache its users write.
struct Oauth2Cached {
    client: Oauth2Client,
    http: reqwest::Client,
    cache: Mutex<Option<(Arc<oauth2::AccessToken>, Instant)>>,
}

impl Oauth2Cached {
    fn hit(&self) -> Option<Arc<oauth2::AccessToken>> {
        let cache = self.cache.lock().expect("lock");
        match &*cache {
            Some((token, until)) if Instant::now() < *until => Some(Arc::clone(token)),
            _ => None,
        }
    }

    async fn fetch(&self) -> Arc<oauth2::AccessToken> {
        use oauth2::TokenResponse as _;
        let http = &self.http;
        let send = |request: oauth2::HttpRequest| async move {
            let (parts, body) = request.into_parts();
            let response = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let mut out = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                out = out.header(name, value);
            }
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>(out.body(body).expect("response"))
        };
        let response = self
            .client
            .exchange_client_credentials()
            .request_async(&send)
            .await
            .expect("oauth2 fetch");
        let lifetime = response.expires_in().unwrap_or(Duration::from_secs(3600));
        let token = Arc::new(response.access_token().clone());
        // The margin an oauth2 user picks: refresh a minute early.
        let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(60));
        *self.cache.lock().expect("lock") = Some((Arc::clone(&token), until));
        token
    }
}

struct Fixture {
    server: LoopbackServer,
    runtime: tokio::runtime::Runtime,
    gw_reqwest: grantwire_reqwest::TokenClient,
    gw_ureq: grantwire_ureq::TokenClient,
    oauth2: Oauth2Cached,
    huskarl: Huskarl,
}

impl Fixture {
    fn new() -> Fixture {
        let registry = ClientRegistry::new().with(
            ClientConfig::new(
                CLIENT_ID,
                ClientAuthConfig::ClientSecretBasic(ClientSecret::new(SECRET)),
            )
            .grant(GrantType::ClientCredentials),
        );
        let config = ServerConfig::new("https://placeholder.example")
            .expect("config")
            .access_token_lifetime(Duration::from_secs(3600));
        let server = LoopbackServer::start(AuthServer::new(config, registry)).expect("server");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let gw_client = || {
            grantwire::Client::new(
                server.authorization_server().expect("server"),
                ClientSecretBasic::new(ClientId::new(CLIENT_ID), ClientSecret::new(SECRET)),
            )
            .expect("client")
        };
        let gw_reqwest = grantwire_reqwest::TokenClient::builder(gw_client())
            .grant(ClientCredentials::new())
            .config(LifecycleConfig::default())
            .build()
            .expect("grantwire-reqwest");
        let gw_ureq = grantwire_ureq::TokenClient::builder(gw_client())
            .grant(ClientCredentials::new())
            .build();
        // Each peer gets its own reqwest client, built as grantwire-reqwest builds its own: no
        // redirects, its connect and total timeouts (the total one arms a timer per request),
        // and a `User-Agent` of the same length as grantwire's, so that the server parses the
        // same request from each (the testkit's server reads headers byte by byte: one header
        // more costs it about 8,600 instructions a request, 4 % of a whole fetch's).
        assert_eq!(
            PEER_USER_AGENT.len(),
            grantwire_reqwest::USER_AGENT_VALUE.len(),
            "the peers' User-Agent is as long as grantwire's"
        );
        let reqwest_client = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
                .user_agent(PEER_USER_AGENT)
                .build()
                .expect("reqwest")
        };
        let endpoint = server.token_endpoint();
        let oauth2 = Oauth2Cached {
            client: oauth2::basic::BasicClient::new(oauth2::ClientId::new(CLIENT_ID.into()))
                .set_client_secret(oauth2::ClientSecret::new(SECRET.into()))
                .set_token_uri(oauth2::TokenUrl::new(endpoint.clone()).expect("token url")),
            http: reqwest_client(),
            cache: Mutex::new(None),
        };
        let grant = huskarl::grant::client_credentials::ClientCredentialsGrant::builder()
            .client_id(CLIENT_ID)
            .client_auth(
                huskarl::core::client_auth::ClientSecret::builder()
                    .client_secret(huskarl::core::secrets::ProvidedSecret::new(
                        huskarl::core::secrets::SecretString::from(SECRET),
                    ))
                    .prefer_basic_auth(true)
                    .build(),
            )
            .http_client(huskarl_reqwest::ReqwestClient::from(reqwest_client()))
            .token_endpoint(endpoint.as_str().try_into().expect("endpoint"))
            .build();
        let source = GrantTokenSource::builder()
            .grant(grant)
            .grant_parameters(
                huskarl::grant::client_credentials::ClientCredentialsGrantParameters::builder()
                    .build(),
            )
            .refresh_store(InMemoryRefreshTokenStore::default())
            .build();
        let huskarl = InMemoryTokenCache::builder().source(source).build();
        Fixture {
            server,
            runtime,
            gw_reqwest,
            gw_ureq,
            oauth2,
            huskarl,
        }
    }

    fn token_requests(&self) -> u64 {
        self.server.lock().counters().endpoint(EndpointKind::Token)
    }

    // One full fetch each (the token is dropped from the cache first).

    fn fetch_grantwire(&self) -> String {
        self.runtime.block_on(async {
            if let Some(t) = self.gw_reqwest.source().cached() {
                self.gw_reqwest.invalidate(&t);
            }
            let t = self.gw_reqwest.token().await.expect("grantwire fetch");
            t.access_token().secret().to_owned()
        })
    }

    fn fetch_oauth2(&self) -> String {
        self.runtime
            .block_on(self.oauth2.fetch())
            .secret()
            .to_owned()
    }

    fn fetch_huskarl(&self) -> String {
        self.runtime.block_on(async {
            self.huskarl.invalidate();
            let t = self.huskarl.token().await.expect("huskarl fetch");
            t.access_token().token().expose_secret().to_owned()
        })
    }
}

// Cache hits: the length of the token served, so nothing is optimised away.

fn hit_grantwire_reqwest(fx: &Fixture) -> usize {
    match poll_once(fx.gw_reqwest.token()) {
        Some(Ok(t)) => t.access_token().secret().len(),
        _ => 0,
    }
}

fn hit_grantwire_ureq(fx: &Fixture) -> usize {
    fx.gw_ureq
        .token()
        .map_or(0, |t| t.access_token().secret().len())
}

fn hit_oauth2(fx: &Fixture) -> usize {
    fx.oauth2.hit().map_or(0, |t| t.secret().len())
}

fn hit_huskarl(fx: &Fixture) -> usize {
    match poll_once(fx.huskarl.token()) {
        Some(Ok(t)) => t.access_token().token().expose_secret().len(),
        _ => 0,
    }
}

fn clock_floor(_fx: &Fixture) -> usize {
    black_box(Instant::now());
    1
}

/// Polls `f` once: a cache hit is ready at once; `None` if it was not.
fn poll_once<F: Future>(f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

/// Checks every path against the server before anything is timed.
fn validate(fx: &Fixture) {
    for (name, fetch) in [
        (
            "grantwire-reqwest",
            Fixture::fetch_grantwire as fn(&Fixture) -> String,
        ),
        ("oauth2", Fixture::fetch_oauth2),
        ("huskarl", Fixture::fetch_huskarl),
    ] {
        let before = fx.token_requests();
        let first = fetch(fx);
        let second = fetch(fx);
        assert_eq!(
            fx.token_requests(),
            before + 2,
            "{name}: one request per fetch"
        );
        assert!(
            !first.is_empty() && first != second,
            "{name}: a new token per fetch"
        );
    }
    // Fill the ureq client's cache too, then check that hits send nothing and serve the token
    // last fetched.
    let ureq_token = fx.gw_ureq.token().expect("grantwire-ureq fetch");
    let requests = fx.token_requests();
    let expect = |name: &str, got: usize, token: &str| {
        assert!(
            got > 0 && got == token.len(),
            "{name}: the hit served the wrong token"
        );
    };
    let gw = fx.gw_reqwest.source().cached().expect("grantwire hit");
    expect(
        "grantwire-reqwest",
        hit_grantwire_reqwest(fx),
        gw.access_token().secret(),
    );
    expect(
        "grantwire-ureq",
        hit_grantwire_ureq(fx),
        ureq_token.access_token().secret(),
    );
    let o2 = fx.oauth2.hit().expect("oauth2 hit");
    expect("oauth2", hit_oauth2(fx), o2.secret());
    let hk = poll_once(fx.huskarl.token())
        .expect("huskarl hit is ready")
        .expect("huskarl hit");
    expect(
        "huskarl",
        hit_huskarl(fx),
        hk.access_token().token().expose_secret(),
    );
    assert_eq!(fx.token_requests(), requests, "a cache hit sent a request");
}

// ---------------------------------------------------------------------------------------------
// Timing: `iter_custom` keeps (iterations, elapsed) so the summary uses criterion's samples.

/// Like [`timed`] while a second thread runs `op` on the same fixture.
fn contended(
    c: &mut Criterion,
    id: &str,
    samples: &Samples,
    fx: &Arc<Fixture>,
    op: fn(&Fixture) -> usize,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let other = {
        let (fx, stop) = (Arc::clone(fx), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(op(&fx));
            }
        })
    };
    timed(c, id, samples, || op(fx));
    stop.store(true, Ordering::Relaxed);
    other.join().expect("contending thread");
}

/// Interleaved timing: `ROUNDS` rounds, each timing one call of every routine, in the orders of
/// [`order::balanced`] taken in turn (every routine at every position, and directly after every
/// routine, equally often: what one call leaves behind for the next falls on all alike).
/// Returns each routine's median time per call and the median over rounds of its time divided
/// by the first routine's in the same round: load from other processes that comes and goes
/// hits the routines of one round alike, so the paired ratio holds up on a busy machine where
/// the times do not.
fn interleaved(fx: &Fixture, routines: &[fn(&Fixture) -> String]) -> Vec<(Duration, f64)> {
    const ROUNDS: usize = 600;
    let orders = order::balanced(routines.len());
    // Whole cycles of the orders, so the balance holds over the rounds timed.
    let rounds = ROUNDS.div_ceil(orders.len()) * orders.len();
    let mut times = vec![Vec::with_capacity(rounds); routines.len()];
    for round in orders.iter().cycle().take(rounds) {
        for &i in round {
            let start = Instant::now();
            black_box(routines[i](fx));
            times[i].push(start.elapsed());
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_unstable_by(f64::total_cmp);
        v[v.len() / 2]
    };
    times
        .iter()
        .map(|t| {
            let ratios = t
                .iter()
                .zip(&times[0])
                .map(|(t, first)| t.as_secs_f64() / first.as_secs_f64())
                .collect();
            let secs = median(t.iter().map(Duration::as_secs_f64).collect());
            (Duration::from_secs_f64(secs), median(ratios))
        })
        .collect()
}

/// Allocations per call of `op`, after one warm-up call.
fn allocs_per_call(fx: &Fixture, op: fn(&Fixture) -> usize) -> f64 {
    black_box(op(fx));
    let region = Region::new(GLOBAL);
    for _ in 0..ALLOC_ROUNDS {
        black_box(op(fx));
    }
    region.change().allocations as f64 / ALLOC_ROUNDS as f64
}

/// Whether criterion is measuring (`cargo bench`), not testing, listing or profiling.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"))
}

fn nanos(d: Option<Duration>) -> String {
    d.map_or_else(
        || "n/a".to_owned(),
        |d| format!("{:.1} ns", d.as_secs_f64() * 1e9),
    )
}

fn micros(d: Option<Duration>) -> String {
    d.map_or_else(
        || "n/a".to_owned(),
        |d| format!("{:.1} µs", d.as_secs_f64() * 1e6),
    )
}

fn ratio(a: Option<Duration>, b: Option<Duration>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if !b.is_zero() => format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64()),
        _ => "n/a".to_owned(),
    }
}

struct HitRow {
    name: &'static str,
    op: fn(&Fixture) -> usize,
    one: Samples,
    two: Samples,
}

fn main() {
    let fx = Arc::new(Fixture::new());
    validate(&fx);

    let mut c = Criterion::default()
        .sample_size(SAMPLE_SIZE)
        .configure_from_args();

    let hits = [
        (
            "grantwire-reqwest token()",
            hit_grantwire_reqwest as fn(&Fixture) -> usize,
        ),
        ("grantwire-ureq token()", hit_grantwire_ureq),
        ("oauth2 5 + Mutex cache", hit_oauth2),
        ("huskarl 0.11 InMemoryTokenCache", hit_huskarl),
        ("Instant::now() (floor)", clock_floor),
    ]
    .map(|(name, op)| HitRow {
        name,
        op,
        one: Samples::default(),
        two: Samples::default(),
    });
    for row in &hits {
        timed(
            &mut c,
            &format!("hit/1 thread/{}", row.name),
            &row.one,
            || (row.op)(&fx),
        );
    }
    for row in &hits {
        contended(
            &mut c,
            &format!("hit/2 threads/{}", row.name),
            &row.two,
            &fx,
            row.op,
        );
    }
    let fetches = [
        (
            "grantwire-reqwest",
            Fixture::fetch_grantwire as fn(&Fixture) -> String,
        ),
        ("oauth2 5 + reqwest", Fixture::fetch_oauth2),
        ("huskarl 0.11 + huskarl-reqwest", Fixture::fetch_huskarl),
    ]
    .map(|(name, f)| (name, f, Samples::default()));
    for (name, f, samples) in &fetches {
        timed(&mut c, &format!("fetch/{name}"), samples, || f(&fx));
    }
    c.final_summary();
    if !measuring() {
        return;
    }

    let gw_one = hits[0].one.per_iteration();
    // `Instant::now()` shares nothing between threads: its own two-thread slowdown is what the
    // machine's load costs (both threads not getting a core), which the last column divides out.
    let floor = hits
        .last()
        .map(|r| (r.one.per_iteration(), r.two.per_iteration()));
    let floor_slowdown = floor.and_then(|(one, two)| Some(two?.as_secs_f64() / one?.as_secs_f64()));
    println!();
    println!("token() cache hit (target: grantwire < 20 ns, 2 threads <= 1.5x, 0 allocations)");
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>12} {:>8} {:>16}",
        "", "1 thread", "2 threads", "slowdown", "vs grantwire", "allocs", "slowdown/floor's"
    );
    for row in &hits {
        let (one, two) = (row.one.per_iteration(), row.two.per_iteration());
        let relative = match (one, two, floor_slowdown) {
            (Some(one), Some(two), Some(f)) if f > 0.0 => {
                format!("{:.2}x", two.as_secs_f64() / one.as_secs_f64() / f)
            }
            _ => "n/a".to_owned(),
        };
        println!(
            "{:<34} {:>10} {:>10} {:>10} {:>12} {:>8.2} {:>16}",
            row.name,
            nanos(one),
            nanos(two),
            ratio(two, one),
            ratio(one, gw_one),
            allocs_per_call(&fx, row.op),
            relative,
        );
    }
    let gw_fetch = fetches[0].2.per_iteration();
    let routines: Vec<_> = fetches.iter().map(|(_, f, _)| *f).collect();
    let turns = interleaved(&fx, &routines);
    println!();
    println!("one token fetch over loopback HTTP (target: grantwire no slower than either)");
    println!(
        "{:<34} {:>10} {:>12} {:>12} {:>12}",
        "", "criterion", "vs grantwire", "interleaved", "vs grantwire"
    );
    for ((name, _, samples), turn) in fetches.iter().zip(&turns) {
        let t = samples.per_iteration();
        println!(
            "{:<34} {:>10} {:>12} {:>12} {:>12}",
            name,
            micros(t),
            ratio(t, gw_fetch),
            micros(Some(turn.0)),
            format!("{:.3}x", turn.1),
        );
    }
}
