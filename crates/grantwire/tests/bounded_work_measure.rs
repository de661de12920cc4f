//! Times the scope parser on the adversarial inputs of issue 8, defect 1. Ignored by default;
//! run it in release mode to get the figures quoted in docs/core.md ("Bounded work"):
//!
//! ```text
//! cargo test -p grantwire --release --test bounded_work_measure -- --ignored --nocapture
//! ```

use std::time::{Duration, Instant, UNIX_EPOCH};

use grantwire::http::{HeaderMap, StatusCode};
use grantwire::TokenResponse;

fn body(tokens: impl Iterator<Item = String>) -> Vec<u8> {
    let scope: Vec<String> = tokens.collect();
    format!(
        r#"{{"access_token":"a","token_type":"Bearer","scope":"{}"}}"#,
        scope.join(" ")
    )
    .into_bytes()
}

fn time(label: &str, body: &[u8]) {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let start = Instant::now();
    let r = TokenResponse::parse((StatusCode::OK, &HeaderMap::new(), body), now);
    let took = start.elapsed();
    let outcome = match &r {
        Ok(t) => format!("ok, {} tokens", t.scope().map_or(0, |s| s.len())),
        Err(e) => format!("error: {e}"),
    };
    println!(
        "{label}: {} bytes, {:.3} s ({outcome})",
        body.len(),
        took.as_secs_f64()
    );
}

#[test]
#[ignore = "measurement; run with --release --ignored --nocapture"]
fn scope_parse_times() {
    time(
        "80,000 distinct tokens",
        &body((0..80_000).map(|i| format!("s{i}"))),
    );
    time(
        "40,000 tokens + 1 duplicate",
        &body(
            (0..40_000)
                .map(|i| format!("s{i}"))
                .chain(["s0".to_owned()]),
        ),
    );
    // Just under a 10,000-token cap, in ~1 MiB, every token sharing a 90-byte prefix so each
    // comparison costs the most.
    let prefix = "p".repeat(90);
    time(
        "9,999 distinct 96-byte tokens",
        &body((0..9_999).map(|i| format!("{prefix}{i:06}"))),
    );
    time(
        "9,998 96-byte tokens + 1 duplicate",
        &body(
            (0..9_998)
                .map(|i| format!("{prefix}{i:06}"))
                .chain([format!("{prefix}{:06}", 0)]),
        ),
    );
}
