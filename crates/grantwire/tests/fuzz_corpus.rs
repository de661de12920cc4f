//! Replays every seed and regression file of the core's fuzz targets through the same parsers,
//! so stable `cargo test` catches what fuzzing once found. The fuzz targets live in `fuzz/`.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use grantwire::challenge::{parse_retry_after, parse_www_authenticate};
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{parse_error_response, ParseOptions, Profile, TokenResponse};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "corpus {target} is empty");
    out
}

#[test]
fn token_response_corpus() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut parsed = 0;
    for (_, data) in corpus("token_response") {
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let opts = ParseOptions {
                max_depth: 8,
                ..ParseOptions::with_profile(profile)
            };
            for status in [StatusCode::OK, StatusCode::CREATED, StatusCode::BAD_REQUEST] {
                if TokenResponse::parse_with((status, &headers, &data), now, &opts).is_ok() {
                    parsed += 1;
                }
            }
        }
    }
    // The corpus holds real provider shapes: a good share must parse.
    assert!(parsed >= 10, "only {parsed} corpus entries parsed");
}

#[test]
fn error_response_corpus() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    let mut oauth = 0;
    for (_, data) in corpus("error_response") {
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let opts = ParseOptions::with_profile(profile);
            for status in [
                StatusCode::BAD_REQUEST,
                StatusCode::UNAUTHORIZED,
                StatusCode::OK,
            ] {
                if let Ok(e) = parse_error_response((status, &headers, &data), now, &opts) {
                    assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
                    assert!(!e.to_string().is_empty());
                    oauth += 1;
                }
            }
        }
    }
    assert!(oauth >= 10, "only {oauth} corpus entries were OAuth errors");
}

#[test]
fn header_corpora() {
    for (name, data) in corpus("www_authenticate") {
        if let Ok(s) = std::str::from_utf8(&data) {
            let parsed = parse_www_authenticate(s);
            if !name.contains("crash") && !name.contains("escapes") {
                assert!(parsed.is_ok(), "{name}: {parsed:?}");
            }
        }
    }
    for (_, data) in corpus("retry_after") {
        if let Ok(s) = std::str::from_utf8(&data) {
            for secs in [0u64, 784_111_777, 1_700_000_000, 253_402_300_799] {
                let _ = parse_retry_after(s, UNIX_EPOCH + Duration::from_secs(secs));
            }
        }
    }
}
