//! RFC examples as test vectors: RFC 6749 §4.4.2, §4.4.3, §5.1, §5.2; RFC 6750 §3; RFC 7636
//! Appendix B is in `src/pkce.rs`.

use std::time::{Duration, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientSecret, ClientSecretBasic, Context,
    Endpoint, Error, ErrorCode, ParseOptions, Profile, TokenResponse, TokenType,
};

fn rfc_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h
}

const NOW: u64 = 1_700_000_000;

#[test]
fn rfc6749_4_4_2_request() {
    let ep = AuthorizationServer::new(Endpoint::parse("https://server.example.com/token").unwrap());
    let auth = ClientSecretBasic::new("s6BhdRkqt3".into(), ClientSecret::new("gX1fBat3bV"));
    let mut rng = |b: &mut [u8]| b.fill(0);
    let req = ClientCredentials::new()
        .to_request(
            &Client::new(ep.clone(), auth.clone()).unwrap(),
            &mut Context::new(UNIX_EPOCH, &mut rng),
        )
        .unwrap();
    assert_eq!(req.uri().path(), "/token");
    assert_eq!(req.uri().host(), Some("server.example.com"));
    assert_eq!(
        req.headers()[header::AUTHORIZATION],
        "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
    );
    assert_eq!(req.body(), b"grant_type=client_credentials");
}

#[test]
fn rfc6749_4_4_3_and_5_1_responses() {
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    // §4.4.3 verbatim: token_type "example" is not a type a client can use.
    let body = br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example","expires_in":3600,"example_parameter":"example_value"}"#;
    for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
        let r = TokenResponse::parse_with(
            (StatusCode::OK, &rfc_headers(), body),
            now,
            &ParseOptions::with_profile(profile),
        );
        assert_eq!(
            r.unwrap_err(),
            Error::UnsupportedTokenType {
                token_type: "example".into(),
                response: Some(grantwire::ResponseInfo::new(StatusCode::OK, &rfc_headers())),
            }
        );
    }
    // §5.1 with the type a client uses (Bearer, written in lower case: RFC 6749 §7.1).
    let body = br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"bearer","expires_in":3600,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","example_parameter":"example_value"}"#;
    for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
        let t = TokenResponse::parse_with(
            (StatusCode::OK, &rfc_headers(), body),
            now,
            &ParseOptions::with_profile(profile),
        )
        .unwrap();
        assert_eq!(t.access_token().secret(), "2YotnFZFEjr1zCsicMWpAA");
        assert_eq!(t.token_type(), TokenType::Bearer);
        assert_eq!(t.expires_at(), Some(now + Duration::from_secs(3600)));
        assert_eq!(
            t.refresh_token().unwrap().secret(),
            "tGzv3JOkF0XG5Qx2TlKWIA"
        );
        assert_eq!(t.extra()["example_parameter"], "example_value");
        assert!(t.quirks().is_empty());
    }
}

#[test]
fn rfc6749_5_2_error() {
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let body = br#"{"error":"invalid_request"}"#;
    let err =
        TokenResponse::parse((StatusCode::BAD_REQUEST, &rfc_headers(), body), now).unwrap_err();
    let e = err.oauth().expect("an OAuth error");
    assert_eq!(e.error, ErrorCode::InvalidRequest);
    assert_eq!(e.status, 400);
    assert!(e.error_description.is_none());
    assert!(e.advice().contains("malformed"));
}

#[test]
fn rfc6750_3_challenge_on_401() {
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let mut h = rfc_headers();
    h.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#),
    );
    h.insert(
        header::RETRY_AFTER,
        HeaderValue::from_static("Tue, 14 Nov 2023 22:14:20 GMT"),
    );
    let body = br#"{"error":"invalid_token","error_description":"The access token expired"}"#;
    let err = TokenResponse::parse((StatusCode::UNAUTHORIZED, &h, body), now).unwrap_err();
    let e = err.oauth().unwrap();
    assert_eq!(e.error, ErrorCode::InvalidToken);
    assert_eq!(e.challenges.len(), 1);
    assert_eq!(e.challenges[0].param("error"), Some("invalid_token"));
    // 1_700_000_000 is 2023-11-14T22:13:20Z: the date is 60 s ahead.
    assert_eq!(e.retry_after, Some(Duration::from_secs(60)));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
}
