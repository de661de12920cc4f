#![no_main]
//! Arbitrary bytes as an OAuth error response body, with WWW-Authenticate and Retry-After.
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{parse_error_response, ParseOptions, Profile};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
        let opts = ParseOptions::with_profile(profile);
        for status in [StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE, StatusCode::OK] {
            if let Ok(e) = parse_error_response((status, &headers, data), now, &opts) {
                let _ = e.to_string();
                let _ = e.advice();
            }
        }
    }
});
