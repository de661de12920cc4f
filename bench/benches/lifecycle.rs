//! The token lifecycle's hot path (targets in docs/PERFORMANCE.md): `poll(now)` on a machine
//! holding a fresh token (a cache hit), which should cost under 50 ns and allocate nothing; and
//! `poll` while a request is in flight (the other callers at expiry), which must not send.
//!
//! Nothing timed is asserted: criterion prints the figures. What is checked, before timing,
//! is behaviour: the hit returns the token, 1,000 callers at expiry cause exactly one request,
//! and a cache hit allocates nothing (counted by `stats_alloc`'s global allocator over
//! 1,000,000 polls). Run with `cargo xtask bench` or
//! `cargo bench -p grantwire-bench --bench lifecycle`.

use std::alloc::System;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::Criterion;
use grantwire::lifecycle::{LifecycleConfig, Next, TokenLifecycle};
use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
    Context, Endpoint,
};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const POLLS_COUNTED: usize = 1_000_000;

/// The monotonic instant `secs` after the benchmark's start: what the machine schedules on.
fn t(secs: u64) -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now) + Duration::from_secs(secs)
}

/// The wall clock, only for the request's `Context`.
fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A machine holding a one-hour token received at `t(0)`.
fn machine_with_token() -> TokenLifecycle {
    let mut lc = TokenLifecycle::new(
        Client::new(
            AuthorizationServer::new(
                Endpoint::parse("https://as.example/token").expect("endpoint"),
            ),
            ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")),
        )
        .expect("client"),
        ClientCredentials::new(),
        LifecycleConfig::default(),
    );
    let id = match lc.poll(t(0)) {
        Next::Send(id) => id,
        other => panic!("expected Send, got {other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(7);
    lc.request(id, &mut Context::new(wall(), &mut rng))
        .expect("request");
    let body = br#"{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2ln","token_type":"Bearer","expires_in":3600}"#;
    let _ = lc.handle_response(
        id,
        http::StatusCode::OK,
        &http::HeaderMap::new(),
        body,
        t(0),
    );
    while lc.poll_event().is_some() {}
    lc
}

fn check(lc: &mut TokenLifecycle) {
    match lc.poll(t(60)) {
        Next::Ready(tok) => assert!(tok.access_token().secret().starts_with("eyJ")),
        other => panic!("expected a cache hit, got {other:?}"),
    }
    let mut at_expiry = machine_with_token();
    let sends = (0..1000)
        .filter(|_| matches!(at_expiry.poll(t(3600)), Next::Send(_)))
        .count();
    assert_eq!(
        sends, 1,
        "1,000 callers at expiry cause exactly one request"
    );
    let region = Region::new(GLOBAL);
    for _ in 0..POLLS_COUNTED {
        let hit = matches!(black_box(&mut *lc).poll(black_box(t(60))), Next::Ready(_));
        black_box(hit);
    }
    let stats = region.change();
    // nextest reads `--list` output line by line: print the count only when benchmarking.
    let listing = std::env::args().any(|a| a == "--list" || a == "--test");
    if !listing {
        println!(
            "lifecycle cache hit: {} allocations, {} bytes over {POLLS_COUNTED} polls",
            stats.allocations, stats.bytes_allocated
        );
    }
    assert_eq!(
        stats.allocations + stats.reallocations,
        0,
        "a cache hit allocates"
    );
}

fn main() {
    let mut lc = machine_with_token();
    check(&mut lc);
    let mut c = Criterion::default().configure_from_args();
    let now = t(60);
    c.bench_function("lifecycle/poll-cache-hit", |b| {
        b.iter(|| match lc.poll(black_box(now)) {
            Next::Ready(tok) => black_box(tok.received()),
            _ => unreachable!("checked above: a cache hit"),
        })
    });
    let mut busy = machine_with_token();
    let expiry = t(3600);
    assert!(matches!(busy.poll(expiry), Next::Send(_)));
    c.bench_function("lifecycle/poll-in-flight-wait", |b| {
        b.iter(|| match busy.poll(black_box(expiry)) {
            Next::Wait { until, .. } => black_box(until),
            _ => unreachable!("a request is in flight and the token expired"),
        })
    });
    c.final_summary();
}
