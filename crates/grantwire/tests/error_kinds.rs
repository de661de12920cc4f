//! `Error::kind()` sorts every error into one of four families, and every error a parser
//! returns carries the status and content type of the response it came from.

use std::error::Error as _;
use std::time::{Duration, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::introspection::IntrospectionResponse;
use grantwire::{
    parse_error_response, AssertionAudience, AuthMethod, Error, ErrorCode, ErrorKind,
    ErrorResponse, ErrorSource, ExpiresInProblem, Issuer, ParseOptions, Profile, ResponseInfo,
    RevocationOutcome, ServerMetadata, TokenResponse,
};

fn info(status: u16, ct: Option<&'static str>) -> ResponseInfo {
    let mut h = HeaderMap::new();
    if let Some(ct) = ct {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    ResponseInfo::new(StatusCode::from_u16(status).unwrap(), &h)
}

/// One value of every variant, with the family it belongs to. A new variant makes
/// `kind()` fail to compile in the crate (its match has no wildcard); this list pins the
/// answer for each existing one.
fn every_variant() -> Vec<(Error, ErrorKind)> {
    use ErrorKind::*;
    let r = || Some(info(200, Some("application/json")));
    vec![
        (
            Error::OAuth(Box::new(ErrorResponse::new(ErrorCode::InvalidClient, 401))),
            OAuth,
        ),
        (
            Error::NotJson {
                response: info(502, Some("text/html")),
                snippet: "<html>".into(),
                retry_after: None,
            },
            InvalidResponse,
        ),
        (
            Error::MissingMember {
                member: "access_token",
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::WrongType {
                member: "scope",
                expected: "a string",
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::InvalidValue {
                member: "issuer",
                reason: "r",
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::InvalidExpiresIn {
                problem: ExpiresInProblem::Negative,
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::UnsupportedTokenType {
                token_type: "mac".into(),
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::UnexpectedStatus {
                response: info(500, None),
                retry_after: None,
            },
            InvalidResponse,
        ),
        (
            Error::BodyTooLarge {
                limit: 1,
                length: 2,
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::NestingTooDeep {
                limit: 16,
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::StrictViolation {
                rule: "r",
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::DuplicateMember {
                member: "a".into(),
                response: r(),
            },
            InvalidResponse,
        ),
        (Error::InvalidForm, InvalidResponse),
        (
            Error::InvalidHeader {
                name: "Retry-After",
                reason: "r",
            },
            InvalidResponse,
        ),
        // A scope is the caller's configuration, unless a server sent it.
        (
            Error::InvalidScope {
                reason: "r",
                response: None,
            },
            Configuration,
        ),
        (
            Error::InvalidScope {
                reason: "r",
                response: r(),
            },
            InvalidResponse,
        ),
        (
            Error::TooManyScopeTokens {
                limit: 1,
                response: None,
            },
            Configuration,
        ),
        (
            Error::TooManyScopeTokens {
                limit: 1,
                response: r(),
            },
            InvalidResponse,
        ),
        (Error::InvalidUrl { reason: "r" }, Configuration),
        (Error::InsecureEndpoint, Configuration),
        (
            Error::DuplicateParameter {
                name: "scope".into(),
            },
            Configuration,
        ),
        (
            Error::InvalidParameter {
                name: "x".into(),
                reason: "r",
            },
            Configuration,
        ),
        (
            Error::AudienceUnavailable {
                audience: AssertionAudience::Issuer,
            },
            Configuration,
        ),
        (
            Error::ClientAuthentication {
                method: AuthMethod::PrivateKeyJwt,
                source: ErrorSource::new("RSA key too small"),
            },
            Configuration,
        ),
        (
            Error::ClientAuthenticationUnavailable {
                method: AuthMethod::PrivateKeyJwt,
                source: ErrorSource::new("KMS timeout"),
            },
            Unavailable,
        ),
        (
            Error::External {
                kind: Unavailable,
                source: ErrorSource::new("x"),
            },
            Unavailable,
        ),
        (
            Error::External {
                kind: OAuth,
                source: ErrorSource::new("x"),
            },
            OAuth,
        ),
    ]
}

#[test]
fn every_variant_has_its_kind_and_is_configuration_agrees() {
    for (e, kind) in every_variant() {
        assert_eq!(e.kind(), kind, "{e:?}");
        assert_eq!(
            e.is_configuration(),
            kind == ErrorKind::Configuration,
            "{e:?}"
        );
    }
    // A caller's match on the kind needs no wildcard.
    let name = |k: ErrorKind| match k {
        ErrorKind::OAuth => "oauth",
        ErrorKind::InvalidResponse => "invalid_response",
        ErrorKind::Configuration => "configuration",
        ErrorKind::Unavailable => "unavailable",
    };
    for (e, _) in every_variant() {
        assert_eq!(name(e.kind()), e.kind().as_str());
        assert_eq!(e.kind().to_string(), e.kind().as_str());
    }
}

#[test]
fn a_source_downcasts_to_the_original_error() {
    #[derive(Debug, PartialEq)]
    struct Hsm;
    impl std::fmt::Display for Hsm {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the HSM did not answer")
        }
    }
    impl std::error::Error for Hsm {}
    let e = Error::ClientAuthenticationUnavailable {
        method: AuthMethod::PrivateKeyJwt,
        source: ErrorSource::new(Hsm),
    };
    assert_eq!(e.source().unwrap().downcast_ref::<Hsm>(), Some(&Hsm));
    assert_eq!(
        e.to_string(),
        "private_key_jwt client authentication is temporarily unavailable: the HSM did not answer"
    );
    assert_eq!(e.clone(), e, "a clone shares the source");
}

fn now() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn headers(ct: Option<&'static str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(ct) = ct {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    h
}

/// Every parser, on bodies that fail for every reason: each error has the response's status
/// and content type.
#[test]
fn every_response_error_carries_status_and_content_type() {
    let issuer = Issuer::parse("https://as.example").unwrap();
    let bodies: [&[u8]; 9] = [
        b"<html>busy</html>",
        b"{}",
        br#"{"error":"invalid_client"}"#,
        br#"{"a":1,"a":2}"#,
        br#"{"access_token":7,"token_type":"Bearer","active":"yes","issuer":5}"#,
        br#"{"access_token":"a","token_type":"mac","active":true,"exp":-1,"issuer":"https://evil.example"}"#,
        br#"{"access_token":"a","token_type":"Bearer","expires_in":-1,"active":true,"scope":"a\\b"}"#,
        br#"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]"#,
        b"[]",
    ];
    let mut checked = 0;
    for status in [200u16, 201, 400, 401, 500, 503] {
        for ct in [
            Some("application/json"),
            Some("text/html; charset=utf-8"),
            None,
        ] {
            let h = headers(ct);
            let want = ResponseInfo::new(StatusCode::from_u16(status).unwrap(), &h);
            for body in bodies {
                for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
                    let o = ParseOptions::with_profile(profile);
                    let s = StatusCode::from_u16(status).unwrap();
                    let errors = [
                        TokenResponse::parse_with((s, &h, body), now(), &o).err(),
                        IntrospectionResponse::parse_with((s, &h, body), now(), &o).err(),
                        RevocationOutcome::parse_with((s, &h, body), now(), &o).err(),
                        ServerMetadata::parse_with((s, &h, body), &issuer, now(), &o).err(),
                        parse_error_response((s, &h, body), now(), &o).err(),
                    ];
                    for e in errors.into_iter().flatten() {
                        assert_eq!(e.response().as_ref(), Some(&want), "{e:?}");
                        assert_ne!(e.kind(), ErrorKind::Configuration, "{e:?}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn not_json_names_the_content_type_plainly() {
    let e = TokenResponse::parse(
        (
            StatusCode::BAD_GATEWAY,
            &headers(Some("text/html")),
            b"<html>",
        ),
        now(),
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("HTTP 502, content type text/html"), "{text}");
    assert!(!text.contains("Some("), "{text}");
    let e = TokenResponse::parse((StatusCode::BAD_GATEWAY, &headers(None), b"<html>"), now())
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("HTTP 502, no content type"), "{text}");
    assert!(!text.contains("None"), "{text}");
}

#[test]
fn the_content_type_kept_is_bounded_and_sanitised() {
    let mut h = HeaderMap::new();
    let long = format!(
        "text/html; charset=utf-8; session=CANARYtoken2d8e4b6f0a1c; pad={}",
        "x".repeat(300)
    );
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(&long).unwrap());
    let e = TokenResponse::parse((StatusCode::OK, &h, b"<html>"), now()).unwrap_err();
    let ct = e.response().unwrap().content_type.unwrap();
    assert!(ct.starts_with("text/html; charset=utf-8"), "{ct}");
    assert!(ct.chars().count() <= ResponseInfo::MAX_CONTENT_TYPE, "{ct}");
    assert!(!ct.contains("CANARY"), "{ct}");
    assert!(!e.to_string().contains("CANARY"));
    // Obsolete header text (bytes above 0x7f) is kept lossily, control characters replaced.
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_bytes(b"text/\xffhtml\t").unwrap(),
    );
    let e = TokenResponse::parse((StatusCode::OK, &h, b"<html>"), now()).unwrap_err();
    let ct = e.response().unwrap().content_type.unwrap();
    assert!(!ct.chars().any(char::is_control), "{ct:?}");
}

#[test]
fn an_oauth_error_keeps_the_content_type_too() {
    let e = TokenResponse::parse(
        (
            StatusCode::BAD_REQUEST,
            &headers(Some("application/json;charset=UTF-8")),
            br#"{"error":"invalid_grant"}"#,
        ),
        now(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    let r = e.response().unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/json;charset=UTF-8")
    );
    assert_eq!(
        e.oauth().unwrap().content_type.as_deref(),
        Some("application/json;charset=UTF-8")
    );
}
