#![no_main]
//! Arbitrary bytes as a token endpoint response body, under every profile and a few statuses.
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{ParseOptions, Profile, TokenResponse};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut form = HeaderMap::new();
    form.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
    for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
        let opts = ParseOptions { max_depth: 8, ..ParseOptions::with_profile(profile) };
        for status in [StatusCode::OK, StatusCode::CREATED, StatusCode::BAD_REQUEST] {
            let _ = TokenResponse::parse_with((status, &headers, data), now, &opts);
        }
        let _ = TokenResponse::parse_with((StatusCode::OK, &form, data), now, &opts);
    }
});
