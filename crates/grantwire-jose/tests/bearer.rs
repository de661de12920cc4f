//! JWT-bearer grant assertions and Google service-account key files.

mod common;

use std::time::Duration;

use common::*;
use grantwire::Context;
use grantwire_jose::{BearerAssertion, Error, ServiceAccountKey, Verifier};

const NOW: u64 = 1_700_000_000;

fn sa_json() -> serde_json::Value {
    serde_json::from_slice(&vector_bytes("service_account.json")).unwrap()
}

#[test]
fn service_account_assertion_claims() {
    let sa = ServiceAccountKey::from_json(&vector_bytes("service_account.json")).unwrap();
    assert_eq!(
        sa.client_email(),
        "svc@grantwire-test.iam.gserviceaccount.com"
    );
    assert_eq!(sa.token_uri(), "https://oauth2.googleapis.com/token");
    let shown = format!("{sa:?}");
    assert!(
        !shown.contains("PRIVATE KEY") && !shown.contains("MIIEv"),
        "{shown}"
    );

    let a = BearerAssertion::from_service_account(&sa)
        .unwrap()
        .scope("https://www.googleapis.com/auth/cloud-platform");
    let jwt = a.mint(at(NOW), &mut counter_entropy()).unwrap();
    let mut parts = jwt.secret().split('.');
    let header = decode_json(parts.next().unwrap());
    let claims = decode_json(parts.next().unwrap());
    assert_eq!(
        header,
        serde_json::json!({"alg": "RS256", "kid": "a2c4e6f8b0d2e4f6a8c0b2d4e6f8a0c2b4d6e8f0", "typ": "JWT"})
    );
    assert_eq!(claims["iss"], sa.client_email());
    assert_eq!(claims["sub"], sa.client_email());
    assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/cloud-platform"
    );
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 3600);
    let vk = sa.signing_key().unwrap().verifying_key().unwrap();
    Verifier::new(vec![vk])
        .audience(sa.token_uri())
        .max_lifetime(3600)
        .verify(jwt.secret(), at(NOW))
        .unwrap();

    // Domain-wide delegation, a shorter life, a jti.
    let d = a
        .clone()
        .subject("user@example.com")
        .lifetime(Duration::from_secs(600))
        .unwrap()
        .with_jti();
    let jwt = d.mint(at(NOW), &mut counter_entropy()).unwrap();
    let claims = decode_json(jwt.secret().split('.').nth(1).unwrap());
    assert_eq!(claims["sub"], "user@example.com");
    assert_eq!(claims["exp"], NOW + 600);
    assert!(claims["jti"].is_string());
    assert!(a.clone().lifetime(Duration::from_secs(3601)).is_err());

    // The grant request carries grant_type and the assertion.
    let grant = a.grant(at(NOW), &mut counter_entropy()).unwrap();
    let mut e = counter_entropy();
    let req = grant
        .to_request(
            &grantwire::Client::new(
                sa.authorization_server().unwrap(),
                grantwire::Unauthenticated,
            )
            .unwrap(),
            &mut Context::new(at(NOW), &mut e),
        )
        .unwrap();
    let form = grantwire::form::parse(req.body()).unwrap();
    assert_eq!(
        form[0],
        (
            "grant_type".into(),
            "urn:ietf:params:oauth:grant-type:jwt-bearer".into()
        )
    );
    assert_eq!(form[1].0, "assertion");
}

#[test]
fn service_account_files_are_untrusted_input() {
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("type", serde_json::json!("authorized_user")),
        ("client_email", serde_json::json!("no-at-sign")),
        ("client_email", serde_json::json!("a@b\n")),
        ("client_email", serde_json::Value::Null),
        ("token_uri", serde_json::json!("http://evil.example/token")),
        ("token_uri", serde_json::json!("not a url")),
        (
            "private_key",
            serde_json::json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        ),
        ("private_key", serde_json::json!(42)),
        ("private_key_id", serde_json::json!("x".repeat(200))),
    ];
    for (field, value) in cases {
        let mut j = sa_json();
        j[field] = value;
        let r = ServiceAccountKey::from_json(j.to_string().as_bytes());
        assert!(r.is_err(), "{field}");
    }
    // A 1024-bit key inside the file is refused by the RSA rule.
    let mut j = sa_json();
    j["private_key"] = String::from_utf8(vector_bytes("rsa1024_pkcs8.pem"))
        .unwrap()
        .into();
    assert_eq!(
        ServiceAccountKey::from_json(j.to_string().as_bytes()).unwrap_err(),
        Error::RsaKeyTooSmall { bits: 1024 }
    );
    assert!(matches!(
        ServiceAccountKey::from_json(&vec![b'{'; 70_000]),
        Err(Error::KeyTooLarge { .. })
    ));
    assert!(ServiceAccountKey::from_json(b"[]").is_err());
}
