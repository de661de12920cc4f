//! A cache hit of `TokenClient::token()` allocates nothing (the token is shared as an `Arc`).
//!
//! Its own binary: the counting allocator is process-wide, so it also counts the loopback
//! server's threads, which may still be finishing the first exchange (freeing its buffers,
//! reading the next request) when the measurement starts. A region of 1,000 hits is therefore
//! measured up to three times: an allocation on the hit path would show in every region
//! (at least 1,000 allocations each), a straggler from another thread in one at most.

mod common;

use std::alloc::System;

use grantwire_reqwest::TokenClient;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[tokio::test(flavor = "current_thread")]
async fn a_cache_hit_allocates_nothing() {
    let lo = common::server();
    let tokens = TokenClient::builder(common::client(&lo)).build().unwrap();
    let first = tokens.token().await.unwrap();
    let mut regions = Vec::new();
    for _ in 0..3 {
        let region = Region::new(GLOBAL);
        for _ in 0..1000 {
            let hit = tokens.token().await.unwrap();
            assert_eq!(hit.access_token(), first.access_token());
        }
        let change = region.change();
        if change.allocations == 0 {
            drop(lo);
            return;
        }
        regions.push(change);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("every region of 1,000 cache hits allocated: {regions:?}");
}
