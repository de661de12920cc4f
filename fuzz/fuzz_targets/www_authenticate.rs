#![no_main]
//! Arbitrary strings as a WWW-Authenticate header value.
use grantwire::challenge::parse_www_authenticate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(challenges) = parse_www_authenticate(s) {
            for c in &challenges {
                let _ = c.param("error");
            }
        }
    }
});
