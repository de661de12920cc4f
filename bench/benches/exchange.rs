//! A client-credentials exchange with `client_secret_basic`, side by side (targets in
//! docs/PERFORMANCE.md): build the token request, then parse a typical JSON token response
//! (an 800-character Bearer token, `expires_in` 3600, scope `read write`).
//!
//! - `grantwire`: `ClientCredentials::to_request` with `ClientSecretBasic`, the canned transport,
//!   then `TokenResponse::parse` of the response it returned.
//! - `oauth2` 5: `exchange_client_credentials().add_scope(..).request(&client)` where the HTTP
//!   client is a synchronous closure returning the canned `http::Response` (a clone: its API
//!   takes the response by value).
//! - `hand-rolled`: the floor: format the body, base64 the Basic header, build the
//!   `http::Request`, the canned transport, `serde_json` into a four-field struct.
//!
//! The canned transport is the same step on every path: it takes the built request by value
//! (black-boxed, then dropped: for grantwire that wipes the body) and returns a clone of the
//! canned `http::Response`, as oauth2's closure must.
//!
//! Every path is checked once against the canned values before anything is timed. After the
//! criterion run a summary prints time per exchange (criterion's slope estimate, recomputed from
//! the same samples), allocations per exchange (counted by `stats_alloc`'s global allocator) and
//! the oauth2/grantwire ratio against the targets. Run with `cargo xtask bench`.

use std::alloc::System;
use std::cell::RefCell;
use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use criterion::Criterion;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

use grantwire_bench::exchange::{
    self as shared, canned_transport, CannedExchange, Oauth2Client, CLIENT_ID, CLIENT_SECRET,
    SCOPE, TOKEN_LEN, TOKEN_URL,
};
use grantwire_bench::samples::{timed, Samples, SAMPLE_SIZE};

/// Exchanges per allocation count (the count printed is the mean over them).
const ALLOC_ROUNDS: usize = 1_000;

/// The canned server side and the per-implementation configuration, built once.
struct Fixture {
    token: String,
    response: http::Response<Vec<u8>>,
    received_at: SystemTime,
    gw: GrantwireSetup,
    oauth2: Oauth2Client,
}

struct GrantwireSetup {
    client: grantwire::Client,
    grant: grantwire::ClientCredentials,
}

impl Fixture {
    fn new() -> Self {
        let CannedExchange {
            token,
            response,
            client,
            grant,
            oauth2,
        } = CannedExchange::new();
        Self {
            token,
            response,
            received_at: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            gw: GrantwireSetup { client, grant },
            oauth2,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The three exchanges. Each hands the built request to a canned transport (black-boxed, dropped),
// and returns the parsed token.

#[inline(never)]
fn grantwire_build(fx: &Fixture) -> grantwire::SecretRequest {
    let mut entropy = |buf: &mut [u8]| buf.fill(0);
    let mut ctx = grantwire::Context::new(fx.received_at, &mut entropy);
    fx.gw
        .grant
        .to_request(&fx.gw.client, &mut ctx)
        .expect("grantwire request")
}

#[inline(never)]
fn grantwire_parse(fx: &Fixture) -> grantwire::TokenResponse {
    grantwire::TokenResponse::parse(&fx.response, fx.received_at).expect("grantwire parse")
}

/// grantwire's canned transport: the same work as oauth2's closure (consume the request,
/// return a copy of the canned response).
#[inline(never)]
fn grantwire_transport(fx: &Fixture, request: grantwire::SecretRequest) -> http::Response<Vec<u8>> {
    black_box(request);
    fx.response.clone()
}

#[inline(never)]
fn grantwire_exchange(fx: &Fixture) -> grantwire::TokenResponse {
    let response = grantwire_transport(fx, grantwire_build(fx));
    grantwire::TokenResponse::parse(&response, fx.received_at).expect("grantwire parse")
}

#[inline(never)]
fn oauth2_exchange(fx: &Fixture) -> oauth2::basic::BasicTokenResponse {
    shared::oauth2_exchange(&fx.oauth2, &canned_transport(&fx.response))
}

/// What the hand-rolled floor keeps of a token response.
#[derive(serde::Deserialize)]
struct HandRolledToken {
    access_token: String,
    token_type: String,
    expires_in: Option<u64>,
    scope: Option<String>,
}

#[inline(never)]
fn hand_rolled_build() -> http::Request<Vec<u8>> {
    let body = format!("grant_type=client_credentials&scope={}", "read%20write");
    let mut basic = String::from("Basic ");
    base64::engine::general_purpose::STANDARD
        .encode_string(format!("{CLIENT_ID}:{CLIENT_SECRET}"), &mut basic);
    let mut auth = HeaderValue::try_from(basic).expect("basic header");
    auth.set_sensitive(true);
    http::Request::builder()
        .method(http::Method::POST)
        .uri(http::Uri::from_static(TOKEN_URL))
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(AUTHORIZATION, auth)
        .body(body.into_bytes())
        .expect("hand-rolled request")
}

/// The hand-rolled floor's canned transport, the same step again.
#[inline(never)]
fn hand_rolled_transport(fx: &Fixture, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    black_box(request);
    fx.response.clone()
}

#[inline(never)]
fn hand_rolled_exchange(fx: &Fixture) -> HandRolledToken {
    let response = hand_rolled_transport(fx, hand_rolled_build());
    let token: HandRolledToken =
        serde_json::from_slice(response.body()).expect("hand-rolled parse");
    assert!(token.token_type.eq_ignore_ascii_case("bearer"));
    token
}

// ---------------------------------------------------------------------------------------------
// Validation: every path produces the right request and the canned token before it is timed.

fn expected_basic() -> String {
    let raw = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn check_request(name: &str, req: &http::Request<Vec<u8>>, body: &str) {
    assert_eq!(req.method(), http::Method::POST, "{name}: method");
    assert_eq!(req.uri(), TOKEN_URL, "{name}: uri");
    assert_eq!(
        req.headers()[CONTENT_TYPE],
        "application/x-www-form-urlencoded",
        "{name}: content type"
    );
    assert_eq!(
        req.headers()[AUTHORIZATION],
        expected_basic().as_str(),
        "{name}: Authorization"
    );
    assert_eq!(
        std::str::from_utf8(req.body()).expect("utf-8 body"),
        body,
        "{name}: body"
    );
}

fn validate(fx: &Fixture) {
    assert_eq!(fx.token.len(), TOKEN_LEN);

    check_request(
        "grantwire",
        &grantwire_build(fx).into_http(),
        "grant_type=client_credentials&scope=read%20write",
    );
    let gw = grantwire_exchange(fx);
    assert_eq!(gw.access_token().secret(), fx.token, "grantwire: token");
    assert_eq!(gw.token_type(), grantwire::TokenType::Bearer);
    assert_eq!(gw.expires_in(), Some(Duration::from_secs(3600)));
    assert_eq!(
        gw.expires_at(),
        Some(fx.received_at + Duration::from_secs(3600))
    );
    assert_eq!(gw.scope().map(grantwire::Scope::as_str), Some(SCOPE));
    assert!(gw.quirks().is_empty(), "grantwire: no quirk on an RFC body");

    // oauth2 through a transport that checks what it is sent.
    let seen = RefCell::new(None);
    let checking = |request: oauth2::HttpRequest| -> Result<oauth2::HttpResponse, Infallible> {
        *seen.borrow_mut() = Some(request);
        Ok(fx.response.clone())
    };
    let o = fx
        .oauth2
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("read".into()))
        .add_scope(oauth2::Scope::new("write".into()))
        .request(&checking)
        .expect("oauth2 exchange");
    check_request(
        "oauth2",
        seen.borrow().as_ref().expect("oauth2 sent a request"),
        "grant_type=client_credentials&scope=read+write",
    );
    {
        use oauth2::TokenResponse as _;
        assert_eq!(o.access_token().secret(), &fx.token, "oauth2: token");
        assert_eq!(*o.token_type(), oauth2::basic::BasicTokenType::Bearer);
        assert_eq!(o.expires_in(), Some(Duration::from_secs(3600)));
        let scopes: Vec<&str> = o
            .scopes()
            .expect("oauth2: scope")
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(scopes, ["read", "write"]);
    }
    let o2 = oauth2_exchange(fx);
    assert_eq!(oauth2::TokenResponse::access_token(&o2).secret(), &fx.token);

    check_request(
        "hand-rolled",
        &hand_rolled_build(),
        "grant_type=client_credentials&scope=read%20write",
    );
    let h = hand_rolled_exchange(fx);
    assert_eq!(h.access_token, fx.token, "hand-rolled: token");
    assert_eq!(h.expires_in, Some(3600));
    assert_eq!(h.scope.as_deref(), Some(SCOPE));
}

// ---------------------------------------------------------------------------------------------
// Allocation counting.

#[derive(Clone, Copy, Default)]
struct Allocs {
    allocations: f64,
    reallocations: f64,
    bytes: f64,
}

/// Allocations per call of `f`, averaged over `ALLOC_ROUNDS` calls after one warm-up call (which
/// may fill lazily initialised state).
fn count_allocs<R>(mut f: impl FnMut() -> R) -> Allocs {
    drop(black_box(f()));
    let region = Region::new(GLOBAL);
    for _ in 0..ALLOC_ROUNDS {
        drop(black_box(f()));
    }
    let s = region.change();
    let n = ALLOC_ROUNDS as f64;
    Allocs {
        allocations: s.allocations as f64 / n,
        reallocations: s.reallocations as f64 / n,
        bytes: s.bytes_allocated as f64 / n,
    }
}

// ---------------------------------------------------------------------------------------------
// Timing: criterion runs each routine; `iter_custom` also keeps (iterations, elapsed) of each
// call so the summary can print the ratio from the very samples criterion analysed.

/// Like [`timed`] for the cost of dropping what `make` returns: values are made in untimed
/// batches, then dropped under the clock (for `TokenResponse`, zeroizing its secrets).
fn timed_drop<R>(c: &mut Criterion, id: &str, samples: &Samples, mut make: impl FnMut() -> R) {
    c.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(256);
                let batch: Vec<R> = (0..n).map(|_| make()).collect();
                let start = Instant::now();
                drop(black_box(batch));
                elapsed += start.elapsed();
                left -= n;
            }
            samples.push(iters, elapsed);
            elapsed
        });
    });
}

/// Median time per call of each routine over `ROUNDS` rounds that take turns (`BATCH` calls of
/// one routine, then of the next): on a shared machine, load that comes and goes during the run
/// hits every routine alike, which sequential criterion runs cannot promise.
fn interleaved(routines: &mut [&mut dyn FnMut()]) -> Vec<Duration> {
    const ROUNDS: usize = 51;
    const BATCH: u32 = 2_000;
    let mut times = vec![Vec::with_capacity(ROUNDS); routines.len()];
    for _ in 0..ROUNDS {
        for (routine, times) in routines.iter_mut().zip(&mut times) {
            let start = Instant::now();
            for _ in 0..BATCH {
                routine();
            }
            times.push(start.elapsed() / BATCH);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_unstable();
            t[t.len() / 2]
        })
        .collect()
}

fn micros(d: Option<Duration>) -> String {
    d.map_or_else(
        || "n/a".to_owned(),
        |d| format!("{:.3} µs", d.as_secs_f64() * 1e6),
    )
}

/// Whether criterion is measuring (`cargo bench`), not testing (`cargo test --benches`, or
/// `--test`), listing or profiling: only then are the summary's counts and timings worth the time.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"))
}

/// One line of the summary.
struct Row<'a> {
    name: &'a str,
    samples: Samples,
    allocs: Option<Allocs>,
}

impl<'a> Row<'a> {
    fn new(name: &'a str) -> Self {
        Self {
            name,
            samples: Samples::default(),
            allocs: None,
        }
    }
}

fn main() {
    let fx = Fixture::new();
    validate(&fx);

    let mut c = Criterion::default()
        .sample_size(SAMPLE_SIZE)
        .configure_from_args();

    let mut gw = Row::new("grantwire");
    let mut o2 = Row::new("oauth2 5");
    let mut hand = Row::new("hand-rolled");
    let mut gw_build = Row::new("  grantwire build");
    let mut gw_parse = Row::new("  grantwire parse");
    let gw_drop = Row::new("  (token drop)");
    let mut hand_build = Row::new("  hand-rolled build");
    let mut hand_parse = Row::new("  hand-rolled parse");
    let mut transport = Row::new("  canned transport");
    let respond = canned_transport(&fx.response);
    let hand_parse_fn = || {
        let t: HandRolledToken = serde_json::from_slice(fx.response.body()).expect("parse");
        t
    };

    timed(&mut c, "exchange/grantwire", &gw.samples, || {
        grantwire_exchange(&fx)
    });
    timed(&mut c, "exchange/oauth2", &o2.samples, || {
        oauth2_exchange(&fx)
    });
    timed(&mut c, "exchange/hand-rolled", &hand.samples, || {
        hand_rolled_exchange(&fx)
    });
    timed(&mut c, "step/grantwire-build", &gw_build.samples, || {
        grantwire_build(&fx)
    });
    timed(&mut c, "step/grantwire-parse", &gw_parse.samples, || {
        grantwire_parse(&fx)
    });
    timed_drop(
        &mut c,
        "step/grantwire-token-drop",
        &gw_drop.samples,
        || grantwire_parse(&fx),
    );
    timed(
        &mut c,
        "step/hand-rolled-build",
        &hand_build.samples,
        hand_rolled_build,
    );
    timed(
        &mut c,
        "step/hand-rolled-parse",
        &hand_parse.samples,
        hand_parse_fn,
    );
    timed(&mut c, "step/canned-transport", &transport.samples, || {
        respond(http::Request::new(Vec::new()))
    });
    c.final_summary();
    if !measuring() {
        // Test or list mode: print nothing more (nextest reads the `--list` output).
        return;
    }

    gw.allocs = Some(count_allocs(|| grantwire_exchange(&fx)));
    o2.allocs = Some(count_allocs(|| oauth2_exchange(&fx)));
    hand.allocs = Some(count_allocs(|| hand_rolled_exchange(&fx)));
    gw_build.allocs = Some(count_allocs(|| grantwire_build(&fx)));
    gw_parse.allocs = Some(count_allocs(|| grantwire_parse(&fx)));
    hand_build.allocs = Some(count_allocs(hand_rolled_build));
    hand_parse.allocs = Some(count_allocs(hand_parse_fn));
    transport.allocs = Some(count_allocs(|| respond(http::Request::new(Vec::new()))));

    println!();
    println!("client-credentials exchange, client_secret_basic, {TOKEN_LEN}-char Bearer token");
    println!(
        "{:<22} {:>10} {:>8} {:>9} {:>7}",
        "", "time", "allocs", "reallocs", "bytes"
    );
    let rows = [
        &gw,
        &o2,
        &hand,
        &gw_build,
        &gw_parse,
        &gw_drop,
        &hand_build,
        &hand_parse,
        &transport,
    ];
    for row in rows {
        let time = micros(row.samples.per_iteration());
        match row.allocs {
            Some(a) => println!(
                "{:<22} {:>10} {:>8.1} {:>9.1} {:>7.0}",
                row.name, time, a.allocations, a.reallocations, a.bytes
            ),
            None => println!("{:<22} {:>10} {:>8}", row.name, time, "-"),
        }
    }
    let verdict = |ratio: f64| if ratio >= 3.0 { "met" } else { "MISSED" };
    match (gw.samples.per_iteration(), o2.samples.per_iteration()) {
        (Some(g), Some(o)) => {
            let ratio = o.as_secs_f64() / g.as_secs_f64();
            println!(
                "ratio oauth2/grantwire: {ratio:.2}x (target >= 3x: {})",
                verdict(ratio)
            );
            if let Some(t) = transport.samples.per_iteration() {
                let ratio =
                    (o.as_secs_f64() - t.as_secs_f64()) / (g.as_secs_f64() - t.as_secs_f64());
                println!(
                    "  with the canned transport subtracted from both: {ratio:.2}x ({})",
                    verdict(ratio)
                );
            }
        }
        _ => println!(
            "ratio oauth2/grantwire: n/a (run both exchange/grantwire and exchange/oauth2)"
        ),
    }
    let medians = interleaved(&mut [
        &mut || drop(black_box(grantwire_exchange(&fx))),
        &mut || drop(black_box(oauth2_exchange(&fx))),
        &mut || drop(black_box(hand_rolled_exchange(&fx))),
        &mut || drop(black_box(grantwire_parse(&fx))),
        &mut || drop(black_box(hand_parse_fn())),
    ]);
    let ratio = medians[1].as_secs_f64() / medians[0].as_secs_f64();
    println!(
        "interleaved check (median of 51 alternating rounds): grantwire {}, oauth2 {}, \
         hand-rolled {}; ratio {ratio:.2}x ({})",
        micros(Some(medians[0])),
        micros(Some(medians[1])),
        micros(Some(medians[2])),
        verdict(ratio)
    );
    let parse_ratio = medians[3].as_secs_f64() / medians[4].as_secs_f64();
    println!(
        "interleaved parse alone (result dropped): grantwire {}, plain serde_json into a \
         four-field struct {}; grantwire/serde_json {parse_ratio:.2}x (target <= 1: {})",
        micros(Some(medians[3])),
        micros(Some(medians[4])),
        if parse_ratio <= 1.0 { "met" } else { "MISSED" }
    );
    let gw_allocs = gw.allocs.map_or(0.0, |a| a.allocations + a.reallocations);
    println!(
        "grantwire allocations + reallocations per exchange: {gw_allocs:.1} (target <= 12: {})",
        if gw_allocs <= 12.0 { "met" } else { "MISSED" }
    );
    println!(
        "time: criterion's slope estimate (n/a when filtered out); exchange rows include dropping \
         the result and the canned transport (a response clone) on every path"
    );
}
