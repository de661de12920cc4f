//! What parsers hand a tool to print: quirk names that never change, and the introspection
//! members exactly as the server sent them.

use std::time::{Duration, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::introspection::IntrospectionResponse;
use grantwire::{ParseOptions, Profile, Quirk, TokenResponse};
use serde_json::{json, Value};

/// The released names. Changing one breaks every CLI and log that matches on it.
const NAMES: [(Quirk, &str); 7] = [
    (Quirk::ExpiresInString, "expires_in_string"),
    (Quirk::NonOkSuccessStatus, "non_ok_success_status"),
    (Quirk::ContentTypeNotJson, "content_type_not_json"),
    (Quirk::NullMember, "null_member"),
    (Quirk::ScopeArray, "scope_array"),
    (Quirk::ScopeCommaSeparated, "scope_comma_separated"),
    (Quirk::FormEncodedBody, "form_encoded_body"),
];

#[test]
fn every_quirk_has_a_stable_name() {
    assert_eq!(
        Quirk::ALL.len(),
        NAMES.len(),
        "a quirk without a pinned name"
    );
    for (q, name) in NAMES {
        assert!(Quirk::ALL.contains(&q));
        assert_eq!(q.as_str(), name);
        assert_eq!(q.to_string(), name);
        assert_eq!(name.parse::<Quirk>(), Ok(q));
        assert_eq!(Quirk::from_name(name), Some(q));
        assert_eq!(serde_json::to_value(q).unwrap(), json!(name));
        assert_eq!(serde_json::from_value::<Quirk>(json!(name)).unwrap(), q);
    }
    assert!("ExpiresInString".parse::<Quirk>().is_err());
    assert!(serde_json::from_value::<Quirk>(json!("nope")).is_err());
}

#[test]
fn a_parsed_token_lists_its_quirks_by_name() {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    let body = br#"{"access_token":"a","token_type":"Bearer","expires_in":"60","scope":["a","b"],"refresh_token":null}"#;
    let t = TokenResponse::parse_with(
        (StatusCode::CREATED, &h, body),
        UNIX_EPOCH,
        &ParseOptions::with_profile(Profile::Lenient),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(t.quirks()).unwrap(),
        json!([
            "expires_in_string",
            "non_ok_success_status",
            "content_type_not_json",
            "null_member",
            "scope_array"
        ])
    );
}

fn introspect(body: &[u8], profile: Profile, ct: &'static str) -> IntrospectionResponse {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    IntrospectionResponse::parse_with(
        (StatusCode::OK, &h, body),
        UNIX_EPOCH + Duration::from_secs(1_419_350_000),
        &ParseOptions::with_profile(profile),
    )
    .unwrap()
}

#[test]
fn introspection_keeps_the_members_as_received() {
    let body = br#"{"active":true,"scope":"read  write read","aud":"https://rs.example","exp":1419356238,"iat":1419350238.5,"client_id":"l238j323ds-23ij4","cnf":{"x5t#S256":"abc"},"ext":[1,{"k":null}]}"#;
    let r = introspect(body, Profile::Default, "application/json");
    let t = r.active().unwrap();
    // Typed: normalised.
    assert_eq!(t.scope().unwrap().as_str(), "read write");
    assert_eq!(t.aud(), ["https://rs.example"]);
    // As received: the same names in the same order, the same JSON values.
    let names: Vec<&str> = t.members().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "active",
            "scope",
            "aud",
            "exp",
            "iat",
            "client_id",
            "cnf",
            "ext"
        ]
    );
    let expected: serde_json::Map<String, Value> = serde_json::from_slice(body).unwrap();
    for (k, v) in t.members() {
        assert_eq!(Some(v), expected.get(k), "{k}");
    }
    assert_eq!(t.member("aud"), Some(&json!("https://rs.example")));
    assert_eq!(t.member("scope"), Some(&json!("read  write read")));
    assert_eq!(t.member("exp"), Some(&json!(1419356238)));
    assert_eq!(t.member("iat"), Some(&json!(1419350238.5)));
    assert_eq!(t.member("nope"), None);
    // An array audience stays an array.
    let r = introspect(
        br#"{"active":true,"aud":["a","b"]}"#,
        Profile::Default,
        "application/json",
    );
    assert_eq!(r.active().unwrap().member("aud"), Some(&json!(["a", "b"])));
    // Values may be sensitive: Debug names members but prints no value.
    let dbg = format!(
        "{:?}",
        introspect(
            br#"{"active":true,"secret_claim":"hunter2-xyz","sub":"s"}"#,
            Profile::Default,
            "application/json"
        )
    );
    assert!(!dbg.contains("hunter2-xyz"), "{dbg}");
}
