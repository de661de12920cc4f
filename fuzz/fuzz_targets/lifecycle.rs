#![no_main]
//! Arbitrary input sequences driving the token lifecycle state machine: callers, answers
//! (including raw fuzzed bodies), transport failures, timeouts, invalidations, clock jumps in
//! both directions, wrong instants and wall-clock steps. The driver panics when an invariant
//! breaks (a token handed out at or past its lifetime from receipt, two requests in flight,
//! a wait for a request not in flight, deadline in the past, unjustified fetch).
use libfuzzer_sys::fuzz_target;

include!("../../crates/grantwire/tests/support/lifecycle_driver.rs");

fuzz_target!(|data: &[u8]| {
    let _ = drive_lifecycle(data);
});
