//! The verifier's rules: algorithm allow-list and pinning, bounds, time checks, kid
//! selection, claim checks.

mod common;

use base64::Engine as _;
use common::*;
use grantwire::ClientId;
use grantwire_jose::{
    Algorithm, ClientAssertion, Error, JwkSet, SigningKey, Verifier, VerifyingKey,
};
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const NOW: u64 = 1_700_000_000;

fn token(key: &SigningKey, claims: serde_json::Value) -> String {
    let mut e = counter_entropy();
    key.sign_compact(claims.to_string().as_bytes(), None, &mut e)
        .unwrap()
        .secret()
        .to_owned()
}

fn std_claims() -> serde_json::Value {
    json!({"iss": "c", "sub": "c", "aud": "https://as.example", "iat": NOW, "exp": NOW + 60})
}

#[test]
fn hmac_with_a_public_key_is_refused() {
    // CVE-2024-37568 class: an attacker signs HS256 with the public key as the secret.
    let public_pem = vector_bytes("rfc7515_a2_public.pem");
    let forged = token(
        &SigningKey::hmac(Algorithm::HS256, &public_pem).unwrap(),
        std_claims(),
    );
    let rsa = VerifyingKey::from_public_pem(&public_pem).unwrap();
    assert!(!rsa.fits(Algorithm::HS256));
    // Even with HS256 allowed, an RSA key never verifies an HMAC.
    let err = Verifier::new(vec![rsa.clone()])
        .algorithms(&Algorithm::ALL)
        .verify(&forged, at(NOW))
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingKey { .. }), "{err:?}");
    // With the default allow-list, HS256 is not even considered.
    let err = Verifier::new(vec![rsa])
        .verify(&forged, at(NOW))
        .unwrap_err();
    assert!(matches!(err, Error::AlgorithmNotAllowed { .. }), "{err:?}");
}

#[test]
fn none_and_unknown_algorithms_are_refused() {
    let payload = B64.encode(std_claims().to_string());
    for alg in ["none", "None", "HS1", "RS256 ", ""] {
        let header = B64.encode(json!({ "alg": alg }).to_string());
        let t = format!("{header}.{payload}.AAAA");
        let err = Verifier::new(vec![VerifyingKey::hmac(&[1; 64])])
            .algorithms(&Algorithm::ALL)
            .verify(&t, at(NOW))
            .unwrap_err();
        assert!(
            matches!(err, Error::AlgorithmNotAllowed { .. }),
            "{alg}: {err:?}"
        );
    }
    // An unsecured JWS with an empty signature is malformed before anything else.
    let header = B64.encode(r#"{"alg":"none"}"#);
    assert!(Verifier::new(vec![])
        .verify(&format!("{header}.{payload}."), at(NOW))
        .is_err());
}

#[test]
fn the_algorithm_is_pinned_to_the_key_and_the_allow_list() {
    let es256 = signing_key(Algorithm::ES256);
    let t = token(&es256, std_claims());
    let vk = es256.verifying_key().unwrap();
    assert_eq!(vk.algorithm(), Some(Algorithm::ES256));
    assert!(Verifier::new(vec![vk.clone()]).verify(&t, at(NOW)).is_ok());
    let err = Verifier::new(vec![vk.clone()])
        .algorithms(&[Algorithm::RS256])
        .verify(&t, at(NOW))
        .unwrap_err();
    assert!(matches!(err, Error::AlgorithmNotAllowed { .. }));
    // A key pinned to RS256 does not verify PS256 from the same RSA key.
    let rs = signing_key(Algorithm::RS256);
    let ps = signing_key(Algorithm::PS256);
    let t = token(&ps, std_claims());
    let err = Verifier::new(vec![rs.verifying_key().unwrap()])
        .verify(&t, at(NOW))
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingKey { .. }), "{err:?}");
    // An unpinned RSA key (from PEM) verifies both.
    let unpinned = VerifyingKey::from_public_pem(&vector_bytes("rfc7515_a2_public.pem")).unwrap();
    assert!(Verifier::new(vec![unpinned]).verify(&t, at(NOW)).is_ok());
}

#[test]
fn size_and_segment_bounds() {
    let key = signing_key(Algorithm::ES256);
    let t = token(&key, std_claims());
    let v = Verifier::new(vec![key.verifying_key().unwrap()]);
    let long = "a".repeat(Verifier::DEFAULT_MAX_LEN + 1);
    assert!(matches!(
        v.verify(&long, at(NOW)),
        Err(Error::TokenTooLarge { .. })
    ));
    assert!(matches!(
        v.clone().max_len(t.len() - 1).verify(&t, at(NOW)),
        Err(Error::TokenTooLarge { .. })
    ));
    for bad in [
        format!("{t}.extra"),
        t.replacen('.', "", 1),
        "a.b".to_owned(),
        "....".to_owned(),
        ".".repeat(10_000),
        String::new(),
    ] {
        assert!(
            matches!(v.verify(&bad, at(NOW)), Err(Error::Malformed { .. })),
            "{bad:.40}"
        );
    }
}

#[test]
fn time_checks_with_leeway() {
    let key = signing_key(Algorithm::HS256);
    let vk = key.verifying_key().unwrap();
    let v = Verifier::new(vec![vk])
        .algorithms(&[Algorithm::HS256])
        .leeway(10);
    let t = token(&key, std_claims());
    assert!(v.verify(&t, at(NOW + 69)).is_ok());
    assert!(matches!(
        v.verify(&t, at(NOW + 70)),
        Err(Error::Expired { .. })
    ));
    let future = token(&key, json!({"iat": NOW + 100, "exp": NOW + 200}));
    assert!(matches!(
        v.verify(&future, at(NOW)),
        Err(Error::IssuedInFuture { .. })
    ));
    assert!(v.verify(&future, at(NOW + 90)).is_ok());
    let nbf = token(&key, json!({"nbf": NOW + 50, "exp": NOW + 200}));
    assert!(matches!(
        v.verify(&nbf, at(NOW)),
        Err(Error::NotYetValid { .. })
    ));
    assert!(v.verify(&nbf, at(NOW + 40)).is_ok());
    let no_exp = token(&key, json!({"iss": "c"}));
    assert!(matches!(
        v.verify(&no_exp, at(NOW)),
        Err(Error::InvalidClaim { name: "exp", .. })
    ));
    assert!(v
        .clone()
        .allow_missing_exp()
        .verify(&no_exp, at(NOW))
        .is_ok());
    let long = token(&key, json!({"iat": NOW, "exp": NOW + 3600}));
    assert!(matches!(
        v.clone().max_lifetime(300).verify(&long, at(NOW)),
        Err(Error::LifetimeTooLong { .. })
    ));
    let wrong_type = token(&key, json!({"exp": "tomorrow"}));
    assert!(matches!(
        v.verify(&wrong_type, at(NOW)),
        Err(Error::InvalidClaim { .. })
    ));
}

#[test]
fn claim_rules() {
    let key = signing_key(Algorithm::ES384);
    let v = Verifier::new(vec![key.verifying_key().unwrap()]);
    let t = token(&key, std_claims());
    assert!(v
        .clone()
        .issuer("c")
        .subject("c")
        .audience("https://as.example")
        .verify(&t, at(NOW))
        .is_ok());
    assert!(matches!(
        v.clone().issuer("d").verify(&t, at(NOW)),
        Err(Error::ClaimMismatch { name: "iss" })
    ));
    assert!(matches!(
        v.clone().subject("d").verify(&t, at(NOW)),
        Err(Error::ClaimMismatch { name: "sub" })
    ));
    assert!(matches!(
        v.clone()
            .audience("https://as.example/token")
            .verify(&t, at(NOW)),
        Err(Error::ClaimMismatch { name: "aud" })
    ));
    assert!(matches!(
        v.clone().require(&["jti"]).verify(&t, at(NOW)),
        Err(Error::InvalidClaim { name: "jti", .. })
    ));
    assert!(matches!(
        v.clone().typ("JWT").verify(&t, at(NOW)),
        Err(Error::ClaimMismatch { name: "typ" })
    ));
    // aud as an array is accepted and reported.
    let arr = token(
        &key,
        json!({"aud": ["x", "https://as.example"], "exp": NOW + 5}),
    );
    let ok = v
        .clone()
        .audience("https://as.example")
        .verify(&arr, at(NOW))
        .unwrap();
    assert!(!ok.aud_is_single_string());
    assert_eq!(ok.claims.aud.len(), 2);
    #[derive(serde::Deserialize)]
    struct Mine {
        aud: Vec<String>,
    }
    assert_eq!(ok.claims_as::<Mine>().unwrap().aud[0], "x");
}

#[test]
fn crit_headers_are_refused() {
    let key = signing_key(Algorithm::HS256);
    let header = B64.encode(json!({"alg": "HS256", "crit": ["exp"], "exp": 1}).to_string());
    let payload = B64.encode(std_claims().to_string());
    let input = format!("{header}.{payload}");
    let sig = key
        .sign_raw(input.as_bytes(), &mut counter_entropy())
        .unwrap();
    let t = format!("{input}.{}", B64.encode(sig));
    let err = Verifier::new(vec![key.verifying_key().unwrap()])
        .algorithms(&[Algorithm::HS256])
        .verify(&t, at(NOW))
        .unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }));
}

#[test]
fn kid_selects_among_keys_of_a_jwk_set() {
    let a = signing_key(Algorithm::ES256).with_kid("a");
    let b = signing_key(Algorithm::ES384).with_kid("b");
    let c = signing_key(Algorithm::RS256).with_kid("c");
    let set = JwkSet {
        keys: [&a, &b, &c]
            .iter()
            .map(|k| k.public_jwk().unwrap())
            .collect(),
    };
    let set = JwkSet::from_json(set.to_json().as_bytes()).unwrap();
    let v = Verifier::from_jwks(&set);
    assert_eq!(v.keys().len(), 3);
    for k in [&a, &b, &c] {
        assert!(v.verify(&token(k, std_claims()), at(NOW)).is_ok());
    }
    let stranger = token(&signing_key(Algorithm::ES256).with_kid("z"), std_claims());
    assert_eq!(
        v.verify(&stranger, at(NOW)).unwrap_err(),
        Error::NoMatchingKey {
            kid: Some("z".into())
        }
    );
    // Same kid, wrong key: a bad signature, not a match.
    let imposter = token(
        &SigningKey::new(Algorithm::ES256, &private("p256_with_params.pem"))
            .unwrap()
            .with_kid("a"),
        std_claims(),
    );
    assert_eq!(
        v.verify(&imposter, at(NOW)).unwrap_err(),
        Error::BadSignature
    );
    // Unknown key types in a set are skipped, not fatal (RFC 7517 §5).
    let mixed = br#"{"keys":[{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},{"kty":"RSA"},42,{"kty":"EC","crv":"P-256","use":"enc","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    // Only the Ed25519 key is usable: X25519 is not a signature key, the RSA key is empty,
    // 42 is not a key, and the P-256 key is for encryption.
    assert_eq!(
        Verifier::from_jwks(&JwkSet::from_json(mixed).unwrap())
            .keys()
            .len(),
        1
    );
    assert!(JwkSet::from_json(b"[]").is_err());
}

#[test]
fn the_one_key_shorthand() {
    let key = signing_key(Algorithm::PS384);
    let t = ClientAssertion::new(ClientId::new("c"), key.clone())
        .mint("https://as.example", at(NOW), &mut counter_entropy())
        .unwrap();
    let verified = grantwire_jose::verify(
        t.secret(),
        &key.verifying_key().unwrap(),
        &[Algorithm::PS384],
        at(NOW),
    )
    .unwrap();
    assert_eq!(verified.header.alg, Algorithm::PS384);
    assert_eq!(verified.claims.iss.as_deref(), Some("c"));
}
