//! Runs grantwire's canned client-credentials exchange (the `exchange/grantwire` row of
//! `benches/exchange.rs`: build with `client_secret_basic`, the canned transport, the full
//! parse) a given number of times, for instruction counts:
//!
//! ```text
//! cargo build --release -p grantwire-bench --example exchange_loop
//! valgrind --tool=callgrind target/release/examples/exchange_loop 1000
//! valgrind --tool=callgrind target/release/examples/exchange_loop 11000
//! ```
//!
//! The difference of the two totals divided by 10,000 is the count per exchange, without the
//! setup. An optional second argument runs something else: `oauth2` (`oauth2` 5's exchange),
//! or one step of grantwire's: `build`, `parse`, `transport`. The time per call of the fastest
//! of 15 batches is printed (to standard error) too.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grantwire_bench::exchange::{canned_transport, oauth2_exchange, CannedExchange};

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let what = args.next().unwrap_or_else(|| "grantwire".into());
    let x = CannedExchange::new();
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    // Timed in 15 batches; the fastest batch is printed (the one least disturbed by other load).
    let batch = (rounds / 15).max(1);
    let mut fastest = u128::MAX;
    let mut done = 0;
    while done < rounds {
        let n = batch.min(rounds - done);
        let started = std::time::Instant::now();
        for _ in 0..n {
            match what.as_str() {
                "oauth2" => drop(black_box(oauth2_exchange(
                    &x.oauth2,
                    &canned_transport(&x.response),
                ))),
                // The steps of grantwire's exchange alone.
                "build" => drop(black_box(grantwire_build(&x, now))),
                "parse" => drop(black_box(
                    grantwire::TokenResponse::parse(&x.response, now).expect("grantwire parse"),
                )),
                "transport" => drop(black_box(x.response.clone())),
                _ => drop(black_box(grantwire_exchange(&x, now))),
            }
        }
        fastest = fastest.min(started.elapsed().as_nanos() * 10 / n as u128);
        done += n;
    }
    eprintln!(
        "{what}: {}.{} ns per call (fastest of the batches)",
        fastest / 10,
        fastest % 10
    );
}

#[inline(never)]
fn grantwire_build(x: &CannedExchange, now: SystemTime) -> grantwire::SecretRequest {
    let mut entropy = |buf: &mut [u8]| buf.fill(0);
    let mut ctx = grantwire::Context::new(now, &mut entropy);
    x.grant
        .to_request(&x.client, &mut ctx)
        .expect("grantwire request")
}

#[inline(never)]
fn grantwire_exchange(x: &CannedExchange, now: SystemTime) -> grantwire::TokenResponse {
    let request = grantwire_build(x, now);
    // The canned transport: takes the request, answers a copy of the canned response.
    black_box(request);
    let response = x.response.clone();
    grantwire::TokenResponse::parse(&response, now).expect("grantwire parse")
}
