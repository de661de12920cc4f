//! A cache hit of `TokenClient::token()` allocates nothing (the token is shared as an `Arc`).
//!
//! Its own binary: the counting allocator is process-wide.

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
    let region = Region::new(GLOBAL);
    for _ in 0..1000 {
        let hit = tokens.token().await.unwrap();
        assert_eq!(hit.access_token(), first.access_token());
    }
    let change = region.change();
    assert_eq!(change.allocations, 0, "{change:?}");
    drop(lo);
}
