#![no_main]
//! Arbitrary bytes as an authorization server metadata document (RFC 8414 §3.2) and as an
//! issuer identifier: never a panic; a parsed document always names the issuer asked for; every
//! valid issuer yields both well-known URLs.
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::metadata::{Discovery, ServerMetadata};
use grantwire::{AuthMethod, Issuer, ParseOptions, Profile};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for issuer in ["https://as.example", "https://sso.example/realms/acme"] {
        let Ok(issuer) = Issuer::parse(issuer) else { return };
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let opts = ParseOptions { max_depth: 8, ..ParseOptions::with_profile(profile) };
            if let Ok(md) = ServerMetadata::parse_with((StatusCode::OK, &headers, data), &issuer, now, &opts) {
                assert_eq!(md.issuer(), &issuer);
                let _ = md.choose_token_auth_method(&AuthMethod::ALL);
                let _ = md.choose_token_signing_alg(AuthMethod::PrivateKeyJwt, &["ES256", "RS256"]);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(issuer) = Issuer::parse(text) {
            for d in [Discovery::OAuthAuthorizationServer, Discovery::OpenIdConfiguration] {
                let url = d.url(&issuer).expect("every issuer has a well-known URL");
                assert!(url.as_str().contains("/.well-known/"));
            }
        }
    }
});
