#![no_main]
//! Arbitrary strings as a Retry-After header value, against a few clocks.
use grantwire::challenge::parse_retry_after;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        for secs in [0u64, 784_111_777, 1_700_000_000, 253_402_300_799] {
            let _ = parse_retry_after(s, UNIX_EPOCH + Duration::from_secs(secs));
        }
    }
});
