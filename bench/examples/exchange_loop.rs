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
//! setup. An optional second argument `oauth2` runs `oauth2` 5's exchange instead.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grantwire_bench::exchange::CannedExchange;

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let oauth2 = args.next().as_deref() == Some("oauth2");
    let x = CannedExchange::new();
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for _ in 0..rounds {
        if oauth2 {
            black_box(oauth2_exchange(&x));
        } else {
            black_box(grantwire_exchange(&x, now));
        }
    }
}

#[inline(never)]
fn grantwire_exchange(x: &CannedExchange, now: SystemTime) -> grantwire::TokenResponse {
    let mut entropy = |buf: &mut [u8]| buf.fill(0);
    let mut ctx = grantwire::Context::new(now, &mut entropy);
    let request = x
        .grant
        .to_request(&x.client, &mut ctx)
        .expect("grantwire request");
    // The canned transport: takes the request, answers a copy of the canned response.
    black_box(request);
    let response = x.response.clone();
    grantwire::TokenResponse::parse(&response, now).expect("grantwire parse")
}

#[inline(never)]
fn oauth2_exchange(x: &CannedExchange) -> oauth2::basic::BasicTokenResponse {
    x.oauth2
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("read".into()))
        .add_scope(oauth2::Scope::new("write".into()))
        .request(&|request: oauth2::HttpRequest| {
            black_box(request);
            Ok::<_, std::convert::Infallible>(x.response.clone())
        })
        .expect("oauth2 exchange")
}
