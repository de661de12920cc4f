//! Client assertions: every default and option of the claims and header, the form
//! parameters, and the round trip through the verifier.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use grantwire::{
    AssertionAudience, AuthMethod, AuthorizationServer, Client, ClientAuthentication,
    ClientCredentials, ClientId, ClientSecret, Context, Endpoint, Issuer,
};
use grantwire_jose::{
    Algorithm, Audience, ClientAssertion, ClientSecretJwt, Error, PrivateKeyJwt, SigningKey,
    Verifier, CLIENT_ASSERTION_TYPE,
};
use serde_json::json;

const NOW: u64 = 1_700_000_000;

fn endpoint(with_issuer: bool) -> AuthorizationServer {
    let e = AuthorizationServer::new(Endpoint::parse("https://as.example/oauth2/token").unwrap());
    if with_issuer {
        e.with_issuer(Issuer::parse("https://as.example").unwrap())
    } else {
        e
    }
}

/// Configures a client and builds a client-credentials request; returns its form.
fn form_of<A: ClientAuthentication + Clone + 'static>(
    auth: &A,
    with_issuer: bool,
) -> Result<Vec<(String, String)>, grantwire::Error> {
    let mut entropy = counter_entropy();
    let client = Client::new(endpoint(with_issuer), auth.clone())?;
    let req =
        ClientCredentials::new().to_request(&client, &mut Context::new(at(NOW), &mut entropy))?;
    Ok(grantwire::form::parse(req.body()).unwrap())
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn split(jwt: &str) -> (serde_json::Value, serde_json::Value) {
    let mut it = jwt.split('.');
    let h = decode_json(it.next().unwrap());
    let p = decode_json(it.next().unwrap());
    (h, p)
}

#[test]
fn private_key_jwt_defaults() {
    let key = signing_key(Algorithm::ES256);
    let kid = key.kid().unwrap().to_owned();
    let auth = PrivateKeyJwt::new(ClientId::new("client-1"), key.clone()).unwrap();
    assert_eq!(auth.method(), AuthMethod::PrivateKeyJwt);
    let form = form_of(&auth, true).unwrap();
    assert_eq!(param(&form, "grant_type"), Some("client_credentials"));
    assert_eq!(
        param(&form, "client_assertion_type"),
        Some(CLIENT_ASSERTION_TYPE)
    );
    assert_eq!(param(&form, "client_id"), Some("client-1"));
    let jwt = param(&form, "client_assertion").unwrap();
    let (header, claims) = split(jwt);
    assert_eq!(header, json!({"alg": "ES256", "kid": kid}));
    assert_eq!(claims["iss"], "client-1");
    assert_eq!(claims["sub"], "client-1");
    // aud: the issuer, one JSON string (rfc7523bis), never the token endpoint by default.
    assert_eq!(claims["aud"], "https://as.example");
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 60);
    assert!(claims.get("nbf").is_none());
    // jti: 128 bits of the caller's entropy (the counter's first 16 bytes), base64url.
    let jti = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims["jti"].as_str().unwrap())
        .unwrap();
    assert_eq!(jti, (1..=16).collect::<Vec<u8>>());
    assert_eq!(claims.as_object().unwrap().len(), 6);
    // The verifier accepts it.
    let v = Verifier::new(vec![key.verifying_key().unwrap()])
        .issuer("client-1")
        .subject("client-1")
        .audience("https://as.example")
        .max_lifetime(300)
        .verify(jwt, at(NOW))
        .unwrap();
    assert!(v.aud_is_single_string());
}

#[test]
fn fresh_jti_per_request() {
    let auth = PrivateKeyJwt::new(ClientId::new("c"), signing_key(Algorithm::HS256).clone());
    assert!(auth.is_err(), "an HMAC key is not a private_key_jwt key");
    let auth =
        ClientSecretJwt::from_key(ClientId::new("c"), signing_key(Algorithm::HS256)).unwrap();
    let mut entropy = counter_entropy();
    let mut jtis = std::collections::HashSet::new();
    for _ in 0..12 {
        let jwt = auth
            .assertion()
            .mint("https://as.example", at(NOW), &mut entropy)
            .unwrap();
        let (_, claims) = split(jwt.secret());
        assert!(jtis.insert(claims["jti"].as_str().unwrap().to_owned()));
    }
}

#[test]
fn no_issuer_no_assertion_unless_another_audience_rule() {
    let key = signing_key(Algorithm::RS256);
    let auth = PrivateKeyJwt::new(ClientId::new("client-1"), key).unwrap();
    // Refused when the client is configured, before any request is built.
    let err = Client::new(endpoint(false), auth.clone()).unwrap_err();
    assert_eq!(
        err,
        grantwire::Error::AudienceUnavailable {
            audience: AssertionAudience::Issuer
        }
    );
    let message = err.to_string();
    assert!(message.contains("issuer"), "{message}");
    for rule in [Audience::TokenEndpoint, Audience::CalledEndpoint] {
        let form = form_of(&auth.clone().audience(rule), false).unwrap();
        let (_, claims) = split(param(&form, "client_assertion").unwrap());
        assert_eq!(claims["aud"], "https://as.example/oauth2/token");
    }
    let legacy = auth.audience(AssertionAudience::TokenEndpoint.into());
    let fixed = legacy.audience(Audience::Fixed("urn:as".into()));
    let (_, claims) = split(param(&form_of(&fixed, true).unwrap(), "client_assertion").unwrap());
    assert_eq!(claims["aud"], "urn:as");
}

#[test]
fn lifetime_is_configurable_and_capped_at_five_minutes() {
    let auth = PrivateKeyJwt::new(ClientId::new("c"), signing_key(Algorithm::ES256)).unwrap();
    let longer = auth.clone().lifetime(Duration::from_secs(300)).unwrap();
    let (_, claims) = split(param(&form_of(&longer, true).unwrap(), "client_assertion").unwrap());
    assert_eq!(claims["exp"], NOW + 300);
    for bad in [0, 301, 3600] {
        assert!(matches!(
            auth.clone().lifetime(Duration::from_secs(bad)),
            Err(Error::InvalidOption {
                name: "lifetime",
                ..
            })
        ));
    }
}

#[test]
fn optional_nbf_typ_x5t_and_extra_claims() {
    let cert = vector_bytes("p256_cert.der");
    let auth = PrivateKeyJwt::new(ClientId::new("c"), signing_key(Algorithm::ES256))
        .unwrap()
        .with_nbf()
        .with_typ()
        .with_x5t_s256(&cert)
        .claim("tenant", json!("blue"))
        .unwrap();
    let form = form_of(&auth, true).unwrap();
    let jwt = param(&form, "client_assertion").unwrap();
    let (header, claims) = split(jwt);
    assert_eq!(header["typ"], "client-authentication+jwt");
    use sha2::Digest as _;
    assert_eq!(
        header["x5t#S256"],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&cert))
    );
    assert_eq!(claims["nbf"], NOW);
    assert_eq!(claims["tenant"], "blue");
    Verifier::new(vec![signing_key(Algorithm::ES256).verifying_key().unwrap()])
        .typ("client-authentication+jwt")
        .verify(jwt, at(NOW))
        .unwrap();
}

#[test]
fn extra_claims_cannot_override_registered_ones() {
    let a = ClientAssertion::new(ClientId::new("c"), signing_key(Algorithm::ES256));
    for name in ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"] {
        assert!(matches!(
            a.clone().claim(name, json!("x")),
            Err(Error::InvalidOption { name: "claim", .. })
        ));
    }
    let a = a.claim("x", json!(1)).unwrap();
    assert!(a.claim("x", json!(2)).is_err());
}

#[test]
fn client_id_parameter_can_be_left_out() {
    let auth = PrivateKeyJwt::new(ClientId::new("c"), signing_key(Algorithm::ES256))
        .unwrap()
        .without_client_id_param();
    let form = form_of(&auth, true).unwrap();
    assert!(param(&form, "client_id").is_none());
    assert!(param(&form, "client_assertion").is_some());
}

#[test]
fn client_secret_jwt_with_the_client_secret() {
    let secret = ClientSecret::new("a-client-secret-of-at-least-32-bytes!!");
    let auth = ClientSecretJwt::new(ClientId::new("app"), &secret, Algorithm::HS256).unwrap();
    assert_eq!(auth.method(), AuthMethod::ClientSecretJwt);
    let form = form_of(&auth, true).unwrap();
    let jwt = param(&form, "client_assertion").unwrap();
    let (header, _) = split(jwt);
    assert_eq!(header, json!({"alg": "HS256"}));
    let key = grantwire_jose::VerifyingKey::hmac(secret.secret().as_bytes());
    Verifier::new(vec![key])
        .algorithms(&[Algorithm::HS256])
        .issuer("app")
        .verify(jwt, at(NOW + 30))
        .unwrap();
    // Too short for HS512 (RFC 7518 §3.2).
    assert!(matches!(
        ClientSecretJwt::new(ClientId::new("app"), &secret, Algorithm::HS512),
        Err(Error::HmacSecretTooShort { .. })
    ));
    assert!(ClientSecretJwt::new(ClientId::new("app"), &secret, Algorithm::RS256).is_err());
}

#[test]
fn json_special_characters_in_client_id_are_escaped() {
    let id = "we\"ird\\id\u{1}é";
    let auth = PrivateKeyJwt::new(ClientId::new(id), signing_key(Algorithm::ES256)).unwrap();
    let form = form_of(&auth, true).unwrap();
    let (_, claims) = split(param(&form, "client_assertion").unwrap());
    assert_eq!(claims["iss"], id);
    assert_eq!(claims["sub"], id);
}

#[test]
fn the_assertion_never_appears_in_debug_output() {
    let auth = PrivateKeyJwt::new(ClientId::new("c"), signing_key(Algorithm::ES256)).unwrap();
    let mut entropy = counter_entropy();
    let jwt = auth
        .assertion()
        .mint("https://as.example", at(NOW), &mut entropy)
        .unwrap();
    let shown = format!("{jwt:?} {auth:?}");
    assert!(!shown.contains(&jwt.secret()[..20]), "{shown}");
}

#[test]
fn every_algorithm_signs_assertions_that_verify_on_every_backend() {
    for alg in Algorithm::ALL {
        for signer_backend in grantwire_jose::Backend::available() {
            let key = SigningKey::with_backend(signer_backend, alg, &key_for(alg)).unwrap();
            let a = ClientAssertion::new(ClientId::new("c"), key.clone());
            let mut entropy = counter_entropy();
            let jwt = a.mint("https://as.example", at(NOW), &mut entropy).unwrap();
            for verifier_backend in grantwire_jose::Backend::available() {
                let vk = key.verifying_key().unwrap().with_backend(verifier_backend);
                Verifier::new(vec![vk])
                    .algorithms(&[alg])
                    .audience("https://as.example")
                    .verify(jwt.secret(), at(NOW))
                    .unwrap_or_else(|e| panic!("{alg} {signer_backend}->{verifier_backend}: {e}"));
            }
        }
    }
}

/// `aud` under each rule at the introspection and revocation endpoints, derived from the one
/// server value: the token-endpoint rule names the token endpoint there too (never the endpoint
/// called, which Authlib refuses), and the issuer rule needs an issuer when the client is
/// configured.
#[test]
fn audience_rules_at_introspection_and_revocation() {
    use grantwire::{IntrospectionRequest, RevocationRequest, SecretString};
    let server = endpoint(true)
        .with_introspection_endpoint(
            Endpoint::parse("https://as.example/oauth2/introspect").unwrap(),
        )
        .with_revocation_endpoint(Endpoint::parse("https://as.example/oauth2/revoke").unwrap());
    let auth =
        PrivateKeyJwt::new(ClientId::new("client-1"), signing_key(Algorithm::ES256)).unwrap();
    let aud_of = |req: &grantwire::SecretRequest| {
        let form = grantwire::form::parse(req.body()).unwrap();
        let (_, claims) = split(param(&form, "client_assertion").unwrap());
        claims["aud"].as_str().unwrap().to_owned()
    };
    for (path, kind) in [("introspect", 0), ("revoke", 1)] {
        let called = format!("https://as.example/oauth2/{path}");
        let build = |auth: &PrivateKeyJwt| {
            let client = Client::new(server.clone(), auth.clone()).unwrap();
            let mut entropy = counter_entropy();
            let mut ctx = Context::new(at(NOW), &mut entropy);
            let t = SecretString::new("the-token");
            let req = if kind == 0 {
                IntrospectionRequest::new(t).to_request(&client, &mut ctx)
            } else {
                RevocationRequest::new(t).to_request(&client, &mut ctx)
            };
            req.unwrap()
        };
        assert_eq!(aud_of(&build(&auth)), "https://as.example", "{path}");
        let called_rule = auth.clone().audience(Audience::CalledEndpoint);
        assert_eq!(aud_of(&build(&called_rule)), called, "{path}");
        let te_rule = auth.clone().audience(Audience::TokenEndpoint);
        assert_eq!(
            aud_of(&build(&te_rule)),
            "https://as.example/oauth2/token",
            "{path}"
        );
    }
    // Without an issuer, only the rules that do not need one configure.
    let no_issuer = AuthorizationServer::new(server.token_endpoint().clone());
    assert_eq!(
        Client::new(no_issuer.clone(), auth.clone()).unwrap_err(),
        grantwire::Error::AudienceUnavailable {
            audience: AssertionAudience::Issuer
        }
    );
    for rule in [
        Audience::TokenEndpoint,
        Audience::CalledEndpoint,
        Audience::Fixed("urn:as".into()),
    ] {
        assert!(Client::new(no_issuer.clone(), auth.clone().audience(rule)).is_ok());
    }
}

/// The provider presets plug into the assertion: Okta and Entra ID name the token endpoint at
/// every endpoint, the others the issuer.
#[test]
fn presets_pick_their_audience_rule() {
    use grantwire::providers;
    for p in providers::ALL {
        let rule: Audience = p.assertion_audience.into();
        let expected = match p.name {
            n if n.starts_with("Okta")
                || n.starts_with("Microsoft Entra")
                || n.starts_with("Google") =>
            {
                Audience::TokenEndpoint
            }
            _ => Audience::Issuer,
        };
        assert_eq!(rule, expected, "{}", p.name);
    }
    assert_eq!(
        Audience::from(AssertionAudience::CalledEndpoint),
        Audience::CalledEndpoint
    );
}
