//! The cache hit never serves a token at or past its refresh time, on its fast (coarse) clock
//! or its precise one.

mod common;

use std::time::Instant;

use common::*;
use grantwire::lifecycle::LifecycleConfig;
use grantwire_client::SendResult;

#[test]
fn a_hit_never_serves_a_token_due_for_refresh() {
    // expires_in 1 s: refreshed after half its lifetime (the buffer rule), so the hit moves
    // from the fast clock to the precise one and then stops, within half a second.
    let source = source(LifecycleConfig::default());
    let send = |_r: grantwire::SecretRequest| -> SendResult { Ok(ok("short", 1)) };
    let token = source.token_blocking(&send).unwrap();
    let due = token.refresh_due();
    assert!(due < token.valid_until());
    let mut hits = 0u64;
    loop {
        let before = Instant::now();
        let hit = source.cached();
        let via_closure = source.with_cached(|t| t.refresh_due());
        match hit {
            Some(t) => {
                assert!(
                    before < t.refresh_due(),
                    "served {:?} past its refresh time",
                    before - t.refresh_due()
                );
                hits += 1;
            }
            None => {
                assert!(Instant::now() >= due, "a fresh token was not served");
                assert!(via_closure.is_none() || before < due);
                break;
            }
        }
        if let Some(d) = via_closure {
            assert!(before < d);
        }
    }
    assert!(hits > 0);
    // After it, only the lifecycle (a new request) gives a token.
    assert!(source.cached().is_none());
    assert!(source.with_cached(|_| ()).is_none());
}
