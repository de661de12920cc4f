//! Issue 8, defects 1, 5 and 6: the scope cap, one duplicate rule for every profile and parser,
//! and server-controlled values kept within bounds.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use grantwire::challenge::{parse_retry_after, MAX_RETRY_AFTER};
use grantwire::error::{bounded_text, MAX_ERROR_CODE, MAX_ERROR_TEXT};
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::introspection::IntrospectionResponse;
use grantwire::{
    parse_error_response, Error, ErrorCode, ErrorResponse, Issuer, ParseOptions, Profile,
    ResponseInfo, RevocationOutcome, Scope, ServerMetadata, TokenResponse,
};

const PROFILES: [Profile; 3] = [Profile::Strict, Profile::Default, Profile::Lenient];

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn json() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h
}

/// Whether `e` is the duplicate-member error for `member`, with the response it came from.
fn is_dup(e: &Error, member: &str) -> bool {
    matches!(e, Error::DuplicateMember { member: m, response: Some(_) } if m == member)
}

// ---- Defect 1: the cap ------------------------------------------------------------------------

#[test]
fn scope_token_cap_is_a_typed_error_everywhere() {
    let at_cap: Vec<String> = (0..Scope::MAX_TOKENS).map(|i| format!("s{i}")).collect();
    assert_eq!(
        Scope::parse(&at_cap.join(" ")).unwrap().len(),
        Scope::MAX_TOKENS
    );
    let over = format!("{} s0", at_cap.join(" "));
    let too_many = Error::TooManyScopeTokens {
        limit: Scope::MAX_TOKENS,
        response: None,
    };
    // From a response, the same error carries that response's status and content type.
    let too_many_in_response = Error::TooManyScopeTokens {
        limit: Scope::MAX_TOKENS,
        response: Some(ResponseInfo::new(StatusCode::OK, &json())),
    };
    // Counted as sent: a duplicate past the cap is still one token too many.
    assert_eq!(Scope::parse(&over), Err(too_many.clone()));
    assert_eq!(Scope::from_tokens(over.split(' ')), Err(too_many.clone()));
    assert!(too_many.to_string().contains("10000"));
    let mut s = Scope::parse(&at_cap.join(" ")).unwrap();
    assert_eq!(s.insert("s1"), Ok(()), "a token already held is no growth");
    assert_eq!(s.insert("new"), Err(too_many.clone()));
    for (profile, scope) in [
        (Profile::Strict, format!("\"{over}\"")),
        (Profile::Default, format!("\"{over}\"")),
        (Profile::Lenient, format!("\"{}\"", over.replace(' ', ","))),
        (
            Profile::Lenient,
            format!("[\"{}\"]", over.replace(' ', "\",\"")),
        ),
    ] {
        let body = format!(r#"{{"access_token":"a","token_type":"Bearer","scope":{scope}}}"#);
        let got = TokenResponse::parse_with(
            (StatusCode::OK, &json(), body.as_bytes()),
            now(),
            &ParseOptions::with_profile(profile),
        );
        assert_eq!(got.unwrap_err(), too_many_in_response, "{profile:?}");
        let body = format!(r#"{{"active":true,"scope":{scope}}}"#);
        let got = IntrospectionResponse::parse_with(
            (StatusCode::OK, &json(), body.as_bytes()),
            now(),
            &ParseOptions::with_profile(profile),
        );
        assert_eq!(got.unwrap_err(), too_many_in_response, "{profile:?}");
    }
}

#[test]
fn dedupe_keeps_first_occurrence_order() {
    let tokens: Vec<String> = (0..40).map(|i| format!("t{}", i % 25)).collect();
    let s = Scope::from_tokens(tokens.iter().map(String::as_str)).unwrap();
    let want: Vec<String> = (0..25).map(|i| format!("t{i}")).collect();
    assert_eq!(s.as_str(), want.join(" "));
    let big = Scope::parse(&want.join(" ")).unwrap();
    let small = Scope::parse("t3 t24 t0").unwrap();
    assert!(big.is_superset_of(&small));
    assert!(!small.is_superset_of(&big));
    let mut reversed = want.clone();
    reversed.reverse();
    assert!(big.set_eq(&Scope::parse(&reversed.join(" ")).unwrap()));
    reversed[0] = "other".into();
    assert!(!big.set_eq(&Scope::parse(&reversed.join(" ")).unwrap()));
}

// ---- Defect 5: one duplicate rule --------------------------------------------------------------

/// Every parser that reads a JSON body, under every profile, with a status that leads it to read
/// the body.
fn all_parsers(body: &[u8]) -> Vec<(String, Result<(), Error>)> {
    let issuer = Issuer::parse("https://as.example").unwrap();
    let mut out = Vec::new();
    for profile in PROFILES {
        let o = ParseOptions::with_profile(profile);
        let h = json();
        let ok = StatusCode::OK;
        let bad = StatusCode::BAD_REQUEST;
        out.push((
            format!("token {profile:?}"),
            TokenResponse::parse_with((ok, &h, body), now(), &o).map(drop),
        ));
        out.push((
            format!("token 400 {profile:?}"),
            TokenResponse::parse_with((bad, &h, body), now(), &o).map(drop),
        ));
        out.push((
            format!("error {profile:?}"),
            parse_error_response((bad, &h, body), now(), &o).map(drop),
        ));
        out.push((
            format!("introspection {profile:?}"),
            IntrospectionResponse::parse_with((ok, &h, body), now(), &o).map(drop),
        ));
        out.push((
            format!("metadata {profile:?}"),
            ServerMetadata::parse_with((ok, &h, body), &issuer, now(), &o).map(drop),
        ));
        out.push((
            format!("revocation 400 {profile:?}"),
            RevocationOutcome::parse_with((bad, &h, body), now(), &o).map(drop),
        ));
    }
    out
}

#[test]
fn duplicates_are_refused_the_same_way_by_every_parser_and_profile() {
    let cases: [(&[u8], &str); 6] = [
        // The reproduction of issue 8: strict and default used to answer OAuth(InvalidGrant).
        (
            br#"{"access_token":"a","access_token":"b","error":"invalid_grant","error":"server_error"}"#,
            "access_token",
        ),
        (br#"{"error":"invalid_grant","error":"server_error"}"#, "error"),
        (
            br#"{"error":"invalid_grant","error_description":"a","error_description":"b"}"#,
            "error_description",
        ),
        (br#"{"active":true,"active":false,"error":"x"}"#, "active"),
        (
            br#"{"issuer":"https://as.example","issuer":"https://evil.example"}"#,
            "issuer",
        ),
        // Unknown members too: what a reader sees in them is as unpredictable.
        (br#"{"x-vendor":1,"error":"invalid_grant","x-vendor":2}"#, "x-vendor"),
    ];
    for (body, member) in cases {
        for (parser, got) in all_parsers(body) {
            assert!(
                got.as_ref().is_err_and(|e| is_dup(e, member)),
                "{parser} on {}: {got:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

#[test]
fn lenient_form_bodies_follow_the_same_rule() {
    let mut form = HeaderMap::new();
    form.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let o = ParseOptions::with_profile(Profile::Lenient);
    for (body, member) in [
        (
            &b"access_token=a&token_type=Bearer&access_token=b"[..],
            "access_token",
        ),
        (b"error=invalid_grant&error=server_error", "error"),
        (
            b"access_token=a&error=x&access_token=b&error=y",
            "access_token",
        ),
    ] {
        assert!(is_dup(
            &TokenResponse::parse_with((StatusCode::OK, &form, body), now(), &o).unwrap_err(),
            member
        ));
        // The same bytes sent as JSON-typed but not JSON: the lenient fallback reads the form.
        assert!(is_dup(
            &TokenResponse::parse_with((StatusCode::OK, &json(), body), now(), &o).unwrap_err(),
            member
        ));
    }
}

#[test]
fn duplicate_member_names_are_bounded_and_filtered() {
    let name = format!("{}\u{1b}[31m", "n".repeat(500));
    let body = format!(r#"{{"{name}":1,"{name}":2}}"#).replace('\u{1b}', "\\u001b");
    let e = TokenResponse::parse((StatusCode::OK, &json(), body.as_bytes()), now()).unwrap_err();
    let Error::DuplicateMember { member, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(member.chars().count(), 64);
    assert!(!e.to_string().chars().any(|c| c.is_control()));
}

// ---- Defect 6: server-controlled values --------------------------------------------------------

#[test]
fn retry_after_is_capped_and_safe_to_add() {
    let far = [
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "86401",
    ];
    for value in far {
        let d = parse_retry_after(value, now()).unwrap();
        assert_eq!(d, MAX_RETRY_AFTER, "{value}");
        // Adding it to any realistic instant cannot overflow or panic.
        let _ = SystemTime::now() + d;
        let _ = Instant::now() + d;
        let _ = UNIX_EPOCH + d;
        let _ = now() + d;
    }
    assert_eq!(
        parse_retry_after("86400", now()).unwrap(),
        Duration::from_secs(86_400)
    );
    // Through the parsers: every place a Retry-After reaches the caller.
    let mut h = json();
    h.insert(
        header::RETRY_AFTER,
        HeaderValue::from_static("18446744073709551615"),
    );
    let e = TokenResponse::parse(
        (StatusCode::BAD_REQUEST, &h, br#"{"error":"slow_down"}"#),
        now(),
    )
    .unwrap_err();
    assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER));
    let e =
        TokenResponse::parse((StatusCode::INTERNAL_SERVER_ERROR, &h, b"{}"), now()).unwrap_err();
    assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER));
    let e = TokenResponse::parse((StatusCode::BAD_GATEWAY, &h, b"<html>"), now()).unwrap_err();
    assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER));
    let e =
        RevocationOutcome::parse((StatusCode::SERVICE_UNAVAILABLE, &h, b""), now()).unwrap_err();
    assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER));
}

/// Characters that must never reach a log line or terminal from a server.
fn is_dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn server_error_text_is_bounded_and_filtered() {
    let hostile = format!(
        "{}\n2026-01-01 INFO login ok user=admin\u{1b}[2J\u{202e}gnp.exe\r\t{}",
        "secret echo ",
        "x".repeat(300_000)
    );
    let body = serde_json::json!({
        "error": format!("custom_{}\n\u{1b}[31m", "c".repeat(10_000)),
        "error_description": hostile,
        "error_uri": hostile,
    })
    .to_string();
    for profile in [Profile::Default, Profile::Lenient] {
        let e = parse_error_response(
            (StatusCode::BAD_REQUEST, &json(), body.as_bytes()),
            now(),
            &ParseOptions::with_profile(profile),
        )
        .unwrap();
        // Kept bounded in the struct (memory), not only when printed.
        let d = e.error_description.as_deref().unwrap();
        let u = e.error_uri.as_deref().unwrap();
        assert_eq!(d.chars().count(), MAX_ERROR_TEXT);
        assert_eq!(u.chars().count(), MAX_ERROR_TEXT);
        assert!(d.starts_with("secret echo \u{fffd}2026-01-01"), "{d:?}");
        let ErrorCode::Other(code) = &e.error else {
            panic!("{:?}", e.error)
        };
        assert_eq!(code.chars().count(), MAX_ERROR_CODE);
        for text in [
            d,
            u,
            code,
            &e.to_string(),
            &Error::OAuth(Box::new(e.clone())).to_string(),
        ] {
            assert!(!text.chars().any(is_dangerous), "{text:?}");
        }
        assert!(e.to_string().chars().count() < MAX_ERROR_TEXT + MAX_ERROR_CODE + 40);
    }
}

#[test]
fn display_filters_text_set_by_hand() {
    let mut e = ErrorResponse::new(ErrorCode::Other("a\nb".into()), 400);
    e.error_description = Some(format!("line\n{}", "y".repeat(10_000)));
    let shown = e.to_string();
    assert!(!shown.chars().any(is_dangerous));
    assert!(shown.chars().count() < MAX_ERROR_TEXT + MAX_ERROR_CODE + 40);
    assert_eq!(bounded_text("ab\u{2067}c", 10), "ab\u{fffd}c");
    assert_eq!(bounded_text("abc", 3), "abc");
    assert_eq!(bounded_text("abcd", 3), "ab…");
    assert_eq!(bounded_text("abcd", 0), "");
}
