//! The cache hit: each thread gets its own copy of the token (no shared reference count). One
//! test in its own binary: the copy a thread gets depends on the threads hitting at the time.

mod common;

use std::sync::Arc;

use common::*;
use grantwire::lifecycle::LifecycleConfig;
use grantwire_client::SendResult;

#[test]
fn threads_hitting_the_cache_get_their_own_copy_of_the_token() {
    let source = source(LifecycleConfig::default());
    let send = |_r: grantwire::SecretRequest| -> SendResult { Ok(ok("copied", 3600)) };
    source.token_blocking(&send).unwrap();
    let here = source.cached().expect("hit");
    // Threads that come and go one after another (as a contending thread in a benchmark, or a
    // blocking pool's threads) each get a copy other than this live thread's.
    for _ in 0..20 {
        let other = source.clone();
        let there = std::thread::spawn(move || other.cached().expect("hit"))
            .join()
            .unwrap();
        assert_eq!(there.access_token(), here.access_token());
        assert_eq!(there.received(), here.received());
        assert_eq!(there.refresh_due(), here.refresh_due());
        assert_eq!(there.valid_until(), here.valid_until());
        assert!(
            !Arc::ptr_eq(&here, &there),
            "two live threads got the same Arc"
        );
    }
}
