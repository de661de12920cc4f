//! `grantwire_client::TokenSource::cached()`, the cache hit every outgoing API call makes:
//! one thread, and two threads hitting the same source at once (this machine has two cores).
//! Target (issue 10): under 20 ns single-threaded, no slowdown beyond 1.5x under contention.
//!
//! Run with `cargo bench -p grantwire-bench --bench token_source`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use criterion::Criterion;
use grantwire::lifecycle::LifecycleConfig;
use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
    Endpoint,
};
use grantwire_client::{SendResult, TokenSource};

fn source() -> TokenSource {
    let client = Client::new(
        AuthorizationServer::new(Endpoint::parse("https://as.example/token").expect("endpoint")),
        ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")),
    )
    .expect("client");
    let source = TokenSource::new(client, ClientCredentials::new(), LifecycleConfig::default());
    let send = |_r: grantwire::SecretRequest| -> SendResult {
        Ok(http::Response::new(
            br#"{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2ln","token_type":"Bearer","expires_in":3600}"#
                .to_vec(),
        ))
    };
    source.token_blocking(&send).expect("token");
    assert!(source.cached().is_some());
    source
}

/// Times `op` on this thread while a second thread runs the same `op` on the same source.
fn contended(c: &mut Criterion, name: &str, s: &TokenSource, op: fn(&TokenSource) -> usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let other = {
        let (s, stop) = (s.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(op(&s));
            }
        })
    };
    c.bench_function(name, |b| b.iter(|| black_box(op(s))));
    stop.store(true, Ordering::Relaxed);
    other.join().expect("contending thread");
}

fn cached(s: &TokenSource) -> usize {
    s.cached().map_or(0, |t| t.access_token().secret().len())
}

fn with_cached(s: &TokenSource) -> usize {
    s.with_cached(|t| t.access_token().secret().len())
        .unwrap_or(0)
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let s = source();
    c.bench_function("token_source/cached/1 thread", |b| {
        b.iter(|| black_box(cached(&s)))
    });
    c.bench_function("token_source/with_cached/1 thread", |b| {
        b.iter(|| black_box(with_cached(&s)))
    });
    contended(
        &mut c,
        "token_source/cached/2 threads contending",
        &s,
        cached,
    );
    contended(
        &mut c,
        "token_source/with_cached/2 threads contending",
        &s,
        with_cached,
    );
    c.final_summary();
}
