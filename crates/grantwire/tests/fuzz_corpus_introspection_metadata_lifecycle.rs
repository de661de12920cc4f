//! Replays the seed corpora of the `introspection_response`, `metadata` and `lifecycle` fuzz
//! targets (`fuzz/corpus/<target>/`) through the same code on stable, so what fuzzing once found
//! stays caught without nightly.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::metadata::{Discovery, ServerMetadata};
use grantwire::{AuthMethod, IntrospectionResponse, Issuer, ParseOptions, Profile};

include!("support/lifecycle_driver.rs");

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

fn json() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h
}

#[test]
fn introspection_response_corpus() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (mut active, mut inactive, mut refused) = (0, 0, 0);
    for (name, data) in corpus("introspection_response") {
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let opts = ParseOptions {
                max_depth: 8,
                ..ParseOptions::with_profile(profile)
            };
            for status in [StatusCode::OK, StatusCode::UNAUTHORIZED] {
                match IntrospectionResponse::parse_with((status, &json(), &data), now, &opts) {
                    Ok(IntrospectionResponse::Active(_)) => active += 1,
                    Ok(IntrospectionResponse::Inactive) => inactive += 1,
                    Err(e) => {
                        refused += 1;
                        assert!(!e.to_string().contains("jdoe"), "{name}: {e}");
                    }
                }
            }
        }
    }
    // The seeds hold valid, inactive and malformed answers: all three outcomes occur.
    assert!(active > 0 && inactive > 0 && refused > 0);
}

#[test]
fn metadata_corpus() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (mut parsed, mut issuers) = (0, 0);
    for (name, data) in corpus("metadata") {
        for issuer in ["https://as.example", "https://sso.example/realms/acme"] {
            let issuer = Issuer::parse(issuer).unwrap();
            for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
                let opts = ParseOptions {
                    max_depth: 8,
                    ..ParseOptions::with_profile(profile)
                };
                if let Ok(md) = ServerMetadata::parse_with(
                    (StatusCode::OK, &json(), &data),
                    &issuer,
                    now,
                    &opts,
                ) {
                    assert_eq!(md.issuer(), &issuer, "{name}");
                    let _ = md.choose_token_auth_method(&AuthMethod::ALL);
                    parsed += 1;
                }
            }
        }
        if let Ok(Ok(issuer)) = std::str::from_utf8(&data).map(Issuer::parse) {
            for d in [
                Discovery::OAuthAuthorizationServer,
                Discovery::OpenIdConfiguration,
            ] {
                assert!(d.url(&issuer).unwrap().as_str().contains("/.well-known/"));
            }
            issuers += 1;
        }
    }
    assert!(parsed > 0 && issuers > 0);
}

#[test]
fn lifecycle_corpus() {
    let (mut sends, mut readies) = (0, 0);
    for (_, data) in corpus("lifecycle") {
        let (s, r) = drive_lifecycle(&data);
        sends += s;
        readies += r;
    }
    // The seeds fetch and serve tokens, not just fail.
    assert!(sends > 10 && readies > 5, "{sends} sends, {readies} tokens");
}

#[test]
fn lifecycle_invariants_hold_on_pseudo_random_inputs() {
    // A deterministic spread of inputs beyond the seeds (xorshift), so the driver itself is
    // exercised on stable with more than the hand-written schedules.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in (2..400).step_by(7) {
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let _ = drive_lifecycle(&data);
    }
}
