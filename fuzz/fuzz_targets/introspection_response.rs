#![no_main]
//! Arbitrary bytes as an introspection response body (RFC 7662 §2.2), under every profile and a
//! few statuses: never a panic, and an inactive answer never carries claims.
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{IntrospectionResponse, ParseOptions, Profile};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
        let opts = ParseOptions { max_depth: 8, ..ParseOptions::with_profile(profile) };
        for status in [StatusCode::OK, StatusCode::UNAUTHORIZED] {
            if let Ok(r) = IntrospectionResponse::parse_with((status, &headers, data), now, &opts) {
                assert!(r.is_active() == r.active().is_some());
            }
        }
    }
});
