//! A cache hit allocates nothing. One test in its own binary: the counting allocator is
//! process-wide.

mod common;

use std::alloc::System;

use common::*;
use grantwire::lifecycle::LifecycleConfig;
use grantwire_client::SendResult;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn a_cache_hit_allocates_nothing() {
    let source = source(LifecycleConfig::default());
    let send = |_r: grantwire::SecretRequest| -> SendResult { Ok(ok("hit", 3600)) };
    source.token_blocking(&send).unwrap();
    // Warm up: the first load on a thread may set up arc-swap's per-thread slots.
    assert!(source.cached().is_some());
    let region = Region::new(GLOBAL);
    for _ in 0..100_000 {
        let t = source.cached().expect("hit");
        std::hint::black_box(&t);
        let t = source.token_blocking(&send).expect("hit");
        std::hint::black_box(&t);
    }
    let stats = region.change();
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
}
