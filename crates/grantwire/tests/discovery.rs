//! The discovery step (`grantwire::discovery`): which URL comes first, which answers move on to
//! the next one, which stop, with canned responses for every branch.

use std::time::{Duration, UNIX_EPOCH};

use grantwire::discovery::{Discover, Discovered};
use grantwire::http;
use grantwire::metadata::Discovery;
use grantwire::{Error, Issuer, ParseOptions, ServerMetadata};

const ISSUER: &str = "https://as.example/tenant";
const RFC8414_URL: &str = "https://as.example/.well-known/oauth-authorization-server/tenant";
const OPENID_URL: &str = "https://as.example/tenant/.well-known/openid-configuration";

fn issuer() -> Issuer {
    Issuer::parse(ISSUER).unwrap()
}

fn now() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn answer(status: u16, content_type: Option<&str>, body: &[u8]) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body.to_vec()).unwrap()
}

fn document(issuer: &str) -> http::Response<Vec<u8>> {
    let body = format!(r#"{{"issuer":"{issuer}","token_endpoint":"{ISSUER}/token"}}"#);
    answer(200, Some("application/json"), body.as_bytes())
}

fn url_of(step: &Discover) -> String {
    let request = step.request().unwrap();
    assert_eq!(request.method(), "GET");
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(step.url().unwrap().as_str(), request.uri().to_string());
    request.uri().to_string()
}

/// Feeds `response` to `step`, expecting a move to the next URL.
fn moves_on(step: Discover, response: &http::Response<Vec<u8>>) -> Discover {
    match step.handle_response(response, now()) {
        Discovered::TryNext(next) => next,
        other => panic!("expected TryNext for {response:?}, got {other:?}"),
    }
}

fn metadata(step: Discover, response: &http::Response<Vec<u8>>) -> ServerMetadata {
    match step.handle_response(response, now()) {
        Discovered::Metadata(md) => *md,
        other => panic!("expected Metadata, got {other:?}"),
    }
}

fn failed(step: Discover, response: &http::Response<Vec<u8>>) -> Error {
    match step.handle_response(response, now()) {
        Discovered::Failed(e) => e,
        other => panic!("expected Failed for {response:?}, got {other:?}"),
    }
}

#[test]
fn rfc8414_first_then_openid() {
    let step = Discover::new(issuer());
    assert_eq!(step.document(), Discovery::OAuthAuthorizationServer);
    assert_eq!(url_of(&step), RFC8414_URL);
    // Found at the first URL: one request.
    let md = metadata(step.clone(), &document(ISSUER));
    assert_eq!(md.issuer().as_str(), ISSUER);
    // Not there: the OpenID URL next, where it is found.
    let next = moves_on(step, &answer(404, Some("text/html"), b"<h1>Not Found</h1>"));
    assert_eq!(next.document(), Discovery::OpenIdConfiguration);
    assert_eq!(url_of(&next), OPENID_URL);
    assert_eq!(next.issuer(), &issuer());
    let md = metadata(next, &document(ISSUER));
    assert_eq!(
        md.token_endpoint().unwrap().as_str(),
        "https://as.example/tenant/token"
    );
}

#[test]
fn openid_first_and_only() {
    let step = Discover::new(issuer()).openid_first();
    assert_eq!(url_of(&step), OPENID_URL);
    let next = moves_on(step, &answer(404, None, b""));
    assert_eq!(url_of(&next), RFC8414_URL);
    let e = failed(next, &answer(404, None, b""));
    assert!(matches!(e, Error::NotJson { .. }), "{e:?}");
    assert_eq!(e.response().map(|r| r.status), Some(404));

    let only = Discover::new(issuer()).only(Discovery::OpenIdConfiguration);
    assert_eq!(url_of(&only), OPENID_URL);
    let e = failed(only.clone(), &answer(404, None, b""));
    assert!(matches!(e, Error::NotJson { .. }), "{e:?}");
    assert_eq!(e.response().map(|r| r.status), Some(404));
    let _ = metadata(only, &document(ISSUER));
}

#[test]
fn no_document_at_the_first_url_moves_on() {
    let json = Some("application/json");
    let html = Some("text/html");
    let cases = [
        answer(404, None, b""),
        answer(404, json, br#"{"error":"not_found"}"#),
        answer(405, None, b""),
        answer(410, html, b"gone"),
        answer(400, json, br#"{"error":"invalid_request"}"#),
        answer(401, None, b""),
        answer(
            403,
            Some("application/xml"),
            b"<Error><Code>AccessDenied</Code></Error>",
        ),
        answer(302, None, b""),
        // A single-page app's catch-all page, answered with 200.
        answer(200, html, b"<!doctype html><html><body>app</body></html>"),
        answer(200, json, b"[]"),
        answer(200, json, br#""metadata""#),
        // JSON, but not a metadata document: no `issuer` (RFC 8414 §2: REQUIRED).
        answer(200, json, br#"{"status":"ok"}"#),
    ];
    for response in &cases {
        let next = moves_on(Discover::new(issuer()), response);
        assert_eq!(url_of(&next), OPENID_URL);
        // At the last URL the same answer stops discovery.
        let _ = failed(next, response);
    }
}

#[test]
fn an_issuer_mismatch_stops_at_once() {
    // RFC 8414 §3.3: the data MUST NOT be used, and no other URL is tried.
    for other in [
        "https://attacker.example/tenant",
        "https://as.example/tenant/",
    ] {
        let e = failed(Discover::new(issuer()), &document(other));
        assert!(
            matches!(
                e,
                Error::InvalidValue {
                    member: "issuer",
                    ..
                }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn a_broken_document_for_this_issuer_stops() {
    let json = Some("application/json");
    type Check = fn(&Error) -> bool;
    let cases: [(&[u8], Check); 5] = [
        // A token endpoint in clear text to another host.
        (
            br#"{"issuer":"https://as.example/tenant","token_endpoint":"http://as.example/token"}"#,
            |e| matches!(e, Error::InvalidValue { member: "token_endpoint", .. } | Error::InsecureEndpoint),
        ),
        (
            br#"{"issuer":"https://as.example/tenant","grant_types_supported":"client_credentials"}"#,
            |e| matches!(e, Error::WrongType { member: "grant_types_supported", .. }),
        ),
        (
            br#"{"issuer":"https://as.example/tenant","issuer":"https://as.example/tenant"}"#,
            |e| matches!(e, Error::DuplicateMember { .. }),
        ),
        (br#"{"issuer":7}"#, |e| {
            matches!(e, Error::WrongType { member: "issuer", .. })
        }),
        // An OAuth error, even with 200: the server said no.
        (br#"{"error":"access_denied"}"#, |e| {
            matches!(e, Error::OAuth(_))
        }),
    ];
    for (body, expected) in cases {
        let e = failed(Discover::new(issuer()), &answer(200, json, body));
        assert!(expected(&e), "{}: {e:?}", String::from_utf8_lossy(body));
    }
    let too_large = ParseOptions {
        max_body_bytes: 16,
        ..ParseOptions::default()
    };
    let e = failed(
        Discover::new(issuer()).with_options(too_large),
        &document(ISSUER),
    );
    assert!(matches!(e, Error::BodyTooLarge { limit: 16, .. }), "{e:?}");
}

#[test]
fn a_transient_failure_stops_and_keeps_retry_after() {
    for status in [429, 500, 502, 503, 504] {
        let response = http::Response::builder()
            .status(status)
            .header("retry-after", "120")
            .body(b"busy".to_vec())
            .unwrap();
        let e = failed(Discover::new(issuer()), &response);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(120)), "{status}");
    }
    // With an OAuth error body, too.
    let e = failed(
        Discover::new(issuer()),
        &answer(
            503,
            Some("application/json"),
            br#"{"error":"temporarily_unavailable"}"#,
        ),
    );
    assert!(matches!(e, Error::OAuth(_)), "{e:?}");
}

#[test]
fn options_reach_the_parser() {
    let body =
        br#"{"issuer":"https://as.example/tenant","token_endpoint":"http://as.example/token"}"#;
    let step = Discover::new(issuer()).with_options(ParseOptions {
        danger_allow_http_endpoints: true,
        ..ParseOptions::default()
    });
    let md = metadata(step, &answer(200, Some("application/json"), body));
    assert_eq!(
        md.token_endpoint().unwrap().as_str(),
        "http://as.example/token"
    );
}

#[test]
fn an_issuer_with_a_trailing_slash_or_no_path() {
    // RFC 8414 §3.1: a terminating `/` of the path is removed before the insertion.
    let step = Discover::new(Issuer::parse("https://as.example/tenant/").unwrap());
    assert_eq!(url_of(&step), RFC8414_URL);
    let step = Discover::new(Issuer::parse("https://as.example").unwrap());
    assert_eq!(
        url_of(&step),
        "https://as.example/.well-known/oauth-authorization-server"
    );
    let next = moves_on(step, &answer(404, None, b""));
    assert_eq!(
        url_of(&next),
        "https://as.example/.well-known/openid-configuration"
    );
}
