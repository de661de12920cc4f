//! The profiles and the typed failures of the token response parser.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{Error, ErrorCode, ParseOptions, Profile, Quirk, ResponseInfo, TokenResponse};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn headers(ct: &'static str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h
}

fn parse(
    profile: Profile,
    status: u16,
    h: &HeaderMap,
    body: &[u8],
) -> Result<TokenResponse, Error> {
    TokenResponse::parse_with(
        (StatusCode::from_u16(status).unwrap(), h, body),
        now(),
        &ParseOptions::with_profile(profile),
    )
}

/// What an error from a 200 `application/json` response carries.
fn json_200() -> Option<ResponseInfo> {
    Some(ResponseInfo::new(
        StatusCode::OK,
        &headers("application/json"),
    ))
}

const OK: &[u8] = br#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#;

#[test]
fn strict_rejects_each_deviation_default_tolerates_and_lists_it() {
    let json = headers("application/json");
    // Any 2xx.
    assert!(matches!(
        parse(Profile::Strict, 201, &json, OK),
        Err(Error::StrictViolation { .. })
    ));
    let t = parse(Profile::Default, 201, &json, OK).unwrap();
    assert_eq!(
        t.quirks().iter().collect::<Vec<_>>(),
        [Quirk::NonOkSuccessStatus]
    );
    // Content type.
    let text = headers("text/plain");
    assert!(matches!(
        parse(Profile::Strict, 200, &text, OK),
        Err(Error::StrictViolation { .. })
    ));
    assert!(parse(Profile::Default, 200, &text, OK)
        .unwrap()
        .quirks()
        .contains(Quirk::ContentTypeNotJson));
    assert!(parse(
        Profile::Strict,
        200,
        &headers("application/json; charset=utf-8"),
        OK
    )
    .is_ok());
    // Cache-Control: no-store.
    let mut no_cache = HeaderMap::new();
    no_cache.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    assert!(matches!(
        parse(Profile::Strict, 200, &no_cache, OK),
        Err(Error::StrictViolation { .. })
    ));
    assert!(parse(Profile::Default, 200, &no_cache, OK)
        .unwrap()
        .quirks()
        .is_empty());
    // null members.
    let body = br#"{"access_token":"at","token_type":"Bearer","refresh_token":null,"scope":null}"#;
    assert!(matches!(
        parse(Profile::Strict, 200, &json, body),
        Err(Error::WrongType { .. })
    ));
    let t = parse(Profile::Default, 200, &json, body).unwrap();
    assert!(t.quirks().contains(Quirk::NullMember) && t.refresh_token().is_none());
}

#[test]
fn lenient_accepts_scope_arrays_comma_lists_and_forms() {
    let json = headers("application/json");
    let arr = br#"{"access_token":"at","token_type":"bearer","scope":["read","write"]}"#;
    assert!(matches!(
        parse(Profile::Default, 200, &json, arr),
        Err(Error::WrongType {
            member: "scope",
            ..
        })
    ));
    let t = parse(Profile::Lenient, 200, &json, arr).unwrap();
    assert_eq!(t.scope().unwrap().as_str(), "read write");
    assert!(t.quirks().contains(Quirk::ScopeArray));

    let comma = br#"{"access_token":"at","token_type":"bearer","scope":"repo,gist"}"#;
    // Default: a comma is a legal scope-token character, so it is one token.
    assert_eq!(
        parse(Profile::Default, 200, &json, comma)
            .unwrap()
            .scope()
            .unwrap()
            .len(),
        1
    );
    let t = parse(Profile::Lenient, 200, &json, comma).unwrap();
    assert_eq!(t.scope().unwrap().as_str(), "repo gist");
    assert!(t.quirks().contains(Quirk::ScopeCommaSeparated));

    let form = b"access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%2Cgist&token_type=bearer";
    let fh = headers("application/x-www-form-urlencoded");
    assert!(matches!(
        parse(Profile::Default, 200, &fh, form),
        Err(Error::NotJson { .. })
    ));
    let t = parse(Profile::Lenient, 200, &fh, form).unwrap();
    assert!(t.quirks().contains(Quirk::FormEncodedBody));
    assert_eq!(t.scope().unwrap().as_str(), "repo gist");
    // A form error body is an OAuth error too.
    let form_err = b"error=bad_verification_code&error_description=The+code+passed+is+incorrect";
    let e = parse(Profile::Lenient, 200, &fh, form_err).unwrap_err();
    assert_eq!(
        e.oauth().unwrap().error,
        ErrorCode::Other("bad_verification_code".into())
    );
}

#[test]
fn error_member_in_2xx_is_an_oauth_error() {
    let json = headers("application/json");
    for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
        let slack = br#"{"ok":false,"error":"invalid_code"}"#;
        let e = parse(profile, 200, &json, slack).unwrap_err();
        assert_eq!(
            e.oauth().unwrap().error,
            ErrorCode::Other("invalid_code".into())
        );
        assert_eq!(e.oauth().unwrap().status, 200);
        let e = parse(
            profile,
            200,
            &json,
            br#"{"access_token":"x","token_type":"Bearer","error":"invalid_grant"}"#,
        )
        .unwrap_err();
        assert_eq!(e.oauth().unwrap().error, ErrorCode::InvalidGrant);
    }
}

#[test]
fn typed_failures() {
    let json = headers("application/json");
    // Not JSON: status, content type, redacted snippet.
    let html =
        b"<html><body>Login expired for token 4f0c8a1b9e7d6c5b4a39281706f5e4d3</body></html>";
    match parse(Profile::Default, 502, &headers("text/html"), html).unwrap_err() {
        Error::NotJson {
            response, snippet, ..
        } => {
            assert_eq!(response.status, 502);
            assert_eq!(response.content_type.as_deref(), Some("text/html"));
            assert!(snippet.starts_with("<html><body>Login expired"));
            assert!(!snippet.contains("4f0c8a1b9e7d6c5b4a39281706f5e4d3"));
            assert!(snippet.contains("[redacted]"));
        }
        other => panic!("{other:?}"),
    }
    // Missing and mistyped members.
    assert_eq!(
        parse(Profile::Default, 200, &json, br#"{"token_type":"Bearer"}"#).unwrap_err(),
        Error::MissingMember {
            member: "access_token",
            response: json_200()
        }
    );
    assert_eq!(
        parse(Profile::Default, 200, &json, br#"{"access_token":"a"}"#).unwrap_err(),
        Error::MissingMember {
            member: "token_type",
            response: json_200()
        }
    );
    assert_eq!(
        parse(
            Profile::Default,
            200,
            &json,
            br#"{"access_token":7,"token_type":"Bearer"}"#
        )
        .unwrap_err(),
        Error::WrongType {
            member: "access_token",
            expected: "a string",
            response: json_200()
        }
    );
    assert_eq!(
        parse(
            Profile::Default,
            200,
            &json,
            br#"{"access_token":"","token_type":"Bearer"}"#
        )
        .unwrap_err(),
        Error::InvalidValue {
            member: "access_token",
            reason: "empty",
            response: json_200()
        }
    );
    assert_eq!(
        parse(Profile::Default, 200, &json, br#"["access_token"]"#).unwrap_err(),
        Error::WrongType {
            member: "(body)",
            expected: "a JSON object",
            response: json_200()
        }
    );
    assert_eq!(
        parse(
            Profile::Default,
            200,
            &json,
            br#"{"access_token":"a","token_type":"mac"}"#
        )
        .unwrap_err(),
        Error::UnsupportedTokenType {
            token_type: "mac".into(),
            response: json_200()
        }
    );
    // Duplicate members are ambiguous, so refused.
    assert_eq!(
        parse(
            Profile::Default,
            200,
            &json,
            br#"{"access_token":"a","access_token":"b","token_type":"Bearer"}"#
        )
        .unwrap_err(),
        Error::DuplicateMember {
            member: "access_token".into(),
            response: json_200()
        }
    );
    // Non-2xx without an error member.
    assert!(matches!(
        parse(Profile::Default, 500, &json, br#"{"message":"boom"}"#),
        Err(Error::UnexpectedStatus { response, .. }) if response.status == 500
    ));
    assert!(matches!(
        parse(Profile::Default, 302, &json, OK),
        Err(Error::UnexpectedStatus { response, .. }) if response.status == 302
    ));
}

#[test]
fn bounded_work() {
    let json = headers("application/json");
    let opts = ParseOptions {
        max_body_bytes: 64,
        ..ParseOptions::default()
    };
    let big = format!(
        r#"{{"access_token":"{}","token_type":"Bearer"}}"#,
        "a".repeat(100)
    );
    assert_eq!(
        TokenResponse::parse_with((StatusCode::OK, &json, big.as_bytes()), now(), &opts)
            .unwrap_err(),
        Error::BodyTooLarge {
            limit: 64,
            length: big.len(),
            response: json_200()
        }
    );
    // Default limit: 1 MiB.
    let huge = vec![b' '; 1024 * 1024 + 1];
    assert!(matches!(
        parse(Profile::Default, 200, &json, &huge),
        Err(Error::BodyTooLarge { limit: 1048576, .. })
    ));
    let deep = format!(
        r#"{{"access_token":"a","token_type":"Bearer","x":{}1{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    assert_eq!(
        parse(Profile::Default, 200, &json, deep.as_bytes()).unwrap_err(),
        Error::NestingTooDeep {
            limit: 16,
            response: json_200()
        }
    );
    let shallow = format!(
        r#"{{"access_token":"a","token_type":"Bearer","x":{}1{}}}"#,
        "[".repeat(10),
        "]".repeat(10)
    );
    assert!(parse(Profile::Default, 200, &json, shallow.as_bytes()).is_ok());
}

#[test]
fn expiry_uses_the_receive_time_passed_in() {
    let json = headers("application/json");
    let t1 = TokenResponse::parse((StatusCode::OK, &json, OK), UNIX_EPOCH).unwrap();
    let t2 = TokenResponse::parse((StatusCode::OK, &json, OK), now()).unwrap();
    assert_eq!(t1.expires_at(), Some(UNIX_EPOCH + Duration::from_secs(60)));
    assert_eq!(t2.expires_at(), Some(now() + Duration::from_secs(60)));
    assert_eq!(t2.received_at(), now());
}
