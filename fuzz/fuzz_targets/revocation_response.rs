#![no_main]
//! Arbitrary bytes as a revocation response body (RFC 7009 §2.2), under every profile, with a
//! few statuses and an absurd Retry-After: never a panic, any wait within the documented cap,
//! and the printed error free of control characters.
use grantwire::challenge::MAX_RETRY_AFTER;
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{ParseOptions, Profile, RevocationOutcome};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("18446744073709551615"));
    for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
        let opts = ParseOptions { max_depth: 8, ..ParseOptions::with_profile(profile) };
        for status in [StatusCode::OK, StatusCode::NO_CONTENT, StatusCode::BAD_REQUEST, StatusCode::SERVICE_UNAVAILABLE, StatusCode::INTERNAL_SERVER_ERROR] {
            match RevocationOutcome::parse_with((status, &headers, data), now, &opts) {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.response().map(|r| r.status), Some(status.as_u16()));
                    assert!(e.retry_after().is_none_or(|d| d <= MAX_RETRY_AFTER));
                    assert!(!e.to_string().chars().any(char::is_control));
                }
            }
        }
    }
});
