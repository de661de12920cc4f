//! Replays the seed corpus of the `revocation_response` fuzz target with the target's own
//! checks, and holds the issue 8 seeds of the other corpora (duplicate members, absurd
//! Retry-After values, scopes at the token cap) to their contract on stable.

use std::path::PathBuf;
use std::time::{Duration, Instant, UNIX_EPOCH};

use grantwire::challenge::{parse_retry_after, MAX_RETRY_AFTER};
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{
    parse_error_response, Error, ErrorCode, IntrospectionResponse, ParseOptions, Profile,
    RevocationOutcome, TokenResponse,
};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "corpus {target} is empty");
    out
}

const PROFILES: [Profile; 3] = [Profile::Strict, Profile::Default, Profile::Lenient];

fn headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::RETRY_AFTER,
        HeaderValue::from_static("18446744073709551615"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h
}

#[test]
fn revocation_response_corpus() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (mut revoked, mut unsupported, mut refused) = (0, 0, 0);
    for (name, data) in corpus("revocation_response") {
        for profile in PROFILES {
            let opts = ParseOptions {
                max_depth: 8,
                ..ParseOptions::with_profile(profile)
            };
            for status in [
                StatusCode::OK,
                StatusCode::NO_CONTENT,
                StatusCode::BAD_REQUEST,
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::INTERNAL_SERVER_ERROR,
            ] {
                match RevocationOutcome::parse_with((status, &headers(), &data), now, &opts) {
                    Ok(_) => revoked += 1,
                    Err(e) => {
                        // Every failure is an error that keeps its status (issue 9).
                        assert_eq!(
                            e.response().map(|r| r.status),
                            Some(status.as_u16()),
                            "{name}: {e:?}"
                        );
                        if e.oauth()
                            .is_some_and(|o| o.error == ErrorCode::UnsupportedTokenType)
                        {
                            unsupported += 1;
                        } else {
                            refused += 1;
                        }
                        assert!(e.retry_after().is_none_or(|d| d <= MAX_RETRY_AFTER));
                        assert!(!e.to_string().chars().any(char::is_control), "{name}");
                        // The body is read on every failure status, 503 included.
                        if name.starts_with("duplicate") && !status.is_success() {
                            assert!(matches!(e, Error::DuplicateMember { .. }), "{name}: {e:?}");
                        }
                    }
                }
            }
        }
    }
    assert!(revoked > 0 && unsupported > 0 && refused > 0);
}

#[test]
fn duplicate_seeds_are_refused_alike_in_every_profile() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let h = headers();
    let mut seen = 0;
    for target in ["token_response", "introspection_response", "error_response"] {
        for (name, data) in corpus(target) {
            if !name.starts_with("duplicate") {
                continue;
            }
            let results: Vec<Error> = PROFILES
                .iter()
                .map(|p| {
                    let o = ParseOptions::with_profile(*p);
                    match target {
                        "token_response" => {
                            TokenResponse::parse_with((StatusCode::OK, &h, &data), now, &o)
                                .map(drop)
                        }
                        "introspection_response" => {
                            IntrospectionResponse::parse_with((StatusCode::OK, &h, &data), now, &o)
                                .map(drop)
                        }
                        _ => parse_error_response((StatusCode::BAD_REQUEST, &h, &data), now, &o)
                            .map(drop),
                    }
                    .unwrap_err()
                })
                .collect();
            assert!(
                matches!(results[0], Error::DuplicateMember { .. }),
                "{target}/{name}: {:?}",
                results[0]
            );
            assert!(results.iter().all(|r| *r == results[0]), "{target}/{name}");
            seen += 1;
        }
    }
    assert!(seen >= 6, "only {seen} duplicate seeds");
}

#[test]
fn scope_seeds_parse_quickly_and_the_cap_holds() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for (name, data) in corpus("token_response") {
        if !name.starts_with("scope_") {
            continue;
        }
        for profile in PROFILES {
            let start = Instant::now();
            let r = TokenResponse::parse_with(
                (StatusCode::OK, &headers(), &data),
                now,
                &ParseOptions::with_profile(profile),
            );
            assert!(start.elapsed() < Duration::from_secs(1), "{name}");
            if name.contains("over_cap") {
                assert!(matches!(r, Err(Error::TooManyScopeTokens { .. })), "{name}");
            } else if !name.contains("array") || profile == Profile::Lenient {
                assert!(r.is_ok(), "{name} {profile:?}: {r:?}");
            }
        }
    }
}

#[test]
fn retry_after_seeds_stay_under_the_cap() {
    for (name, data) in corpus("retry_after") {
        let Ok(s) = std::str::from_utf8(&data) else {
            continue;
        };
        for secs in [0u64, 784_111_777, 1_700_000_000, 253_402_300_799] {
            let now = UNIX_EPOCH + Duration::from_secs(secs);
            if let Ok(d) = parse_retry_after(s, now) {
                assert!(d <= MAX_RETRY_AFTER, "{name}");
                let _ = now + d;
                let _ = Instant::now() + d;
            }
        }
    }
}
