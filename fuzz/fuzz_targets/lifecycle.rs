#![no_main]
//! Arbitrary input sequences driving the token lifecycle state machine: callers, answers
//! (including raw fuzzed bodies), failures, timeouts, invalidations and clock jumps. The driver
//! panics when an invariant breaks (expired token handed out, two requests in flight, deadline
//! in the past, unjustified fetch).
use libfuzzer_sys::fuzz_target;

include!("../../crates/grantwire/tests/issue5_support/lifecycle_driver.rs");

fuzz_target!(|data: &[u8]| {
    let _ = drive_lifecycle(data);
});
