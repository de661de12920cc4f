//! JWT client assertions (RFC 7523 §2.2, §3), the JWT bearer grant (RFC 7523 §2.1) and JWT
//! access tokens (RFC 9068), against what grantwire-jose mints.

mod common;

use std::time::Duration;

use common::*;
use grantwire::{
    AssertionAudience, AuthorizationServer, ClientAuthentication, ClientCredentials, ClientId,
    ClientSecret, Endpoint, Issuer, JwtBearer, Scope, SecretString, Unauthenticated,
};
use grantwire_jose::{
    Algorithm, Audience, ClientSecretJwt, JwkSet, PrivateKey, PrivateKeyJwt, SigningKey, Verifier,
};
use grantwire_testkit::{
    AccessTokenFormat, AssertionPolicy, AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry,
    EndpointKind, GrantType, ServerConfig,
};
use http::StatusCode;

const HS_SECRET: &str = "a-client-secret-that-is-long-enough-for-hs512-0123456789abcdef-xyz";

fn key(name: &str) -> SigningKey {
    let path = format!(
        "{}/tests/fixtures/{name}.private.jwk.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let pk = PrivateKey::from_jwk(&std::fs::read(path).unwrap()).unwrap();
    let alg = if name.ends_with("es384") {
        Algorithm::ES384
    } else {
        Algorithm::ES256
    };
    SigningKey::new(alg, &pk).unwrap()
}

fn jwks_of(k: &SigningKey) -> JwkSet {
    k.jwks()
}

fn jwt_registry() -> ClientRegistry {
    ClientRegistry::new()
        .with(
            ClientConfig::new(
                "hs",
                ClientAuthConfig::client_secret_jwt(ClientSecret::new(HS_SECRET), Algorithm::HS256)
                    .unwrap(),
            )
            .grant(GrantType::ClientCredentials)
            .grant(GrantType::JwtBearer)
            .scopes(["read"]),
        )
        .with(
            ClientConfig::new(
                "pk",
                ClientAuthConfig::private_key_jwt(
                    jwks_of(&key("client-a-es256")),
                    Algorithm::ES256,
                )
                .unwrap(),
            )
            .grant(GrantType::ClientCredentials)
            .grant(GrantType::JwtBearer)
            .scopes(["read", "write"]),
        )
        .with(
            ClientConfig::new(
                "pk-b",
                ClientAuthConfig::private_key_jwt(
                    jwks_of(&key("client-b-es256")),
                    Algorithm::ES256,
                )
                .unwrap(),
            )
            .grant(GrantType::ClientCredentials)
            .scopes(["read"]),
        )
}

fn jwt_server(policy: AssertionPolicy) -> AuthServer {
    AuthServer::new(
        ServerConfig::new(ISSUER).unwrap().assertion_policy(policy),
        jwt_registry(),
    )
}

fn ep() -> AuthorizationServer {
    AuthorizationServer::new(Endpoint::parse(&format!("{ISSUER}/token")).unwrap())
        .with_issuer(Issuer::parse(ISSUER).unwrap())
}

fn cc<A: ClientAuthentication + Clone + 'static>(
    s: &mut AuthServer,
    auth: &A,
    built: u64,
    sent: u64,
    rng: &mut Rng,
) -> http::Response<Vec<u8>> {
    let req = build(built, rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep(), auth), c)
    })
    .unwrap();
    send(s, &req, sent, rng)
}

#[test]
fn both_jwt_methods_are_accepted_once() {
    let mut s = jwt_server(AssertionPolicy::default());
    let mut rng = Rng(21);
    let hs = ClientSecretJwt::new(
        ClientId::new("hs"),
        &ClientSecret::new(HS_SECRET),
        Algorithm::HS256,
    )
    .unwrap();
    let pk = PrivateKeyJwt::new(ClientId::new("pk"), key("client-a-es256"))
        .unwrap()
        .with_typ()
        .with_nbf();
    for auth in [Box::new(hs) as Box<dyn ClientAuthentication>, Box::new(pk)] {
        let client = cl_box(&ep(), auth);
        let req = build(T0, &mut rng, |c| {
            ClientCredentials::new().to_request(&client, c)
        })
        .unwrap();
        let resp = send(&mut s, &req, T0, &mut rng);
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(resp.body())
        );
        // The same assertion again: its jti is remembered.
        let again = send(&mut s, &req, T0 + 1, &mut rng);
        assert_error(&again, "invalid_client", 400);
    }
    assert_eq!(s.counters().client("pk"), 2);
}

#[test]
fn every_assertion_tamper_is_invalid_client() {
    let mut rng = Rng(22);
    let strict = AssertionPolicy::default();
    let pk = || PrivateKeyJwt::new(ClientId::new("pk"), key("client-a-es256")).unwrap();
    // Wrong aud: the token endpoint URL, which only a server that accepts that rule takes.
    let legacy = pk().audience(Audience::TokenEndpoint);
    assert_error(
        &cc(&mut jwt_server(strict.clone()), &legacy, T0, T0, &mut rng),
        "invalid_client",
        400,
    );
    let mut lenient = jwt_server(
        strict
            .clone()
            .also_accept_audience(AssertionAudience::TokenEndpoint),
    );
    assert_eq!(
        cc(&mut lenient, &legacy, T0, T0, &mut rng).status(),
        StatusCode::OK
    );
    // Another audience altogether.
    let other = pk().audience(Audience::Fixed("https://other.example".into()));
    assert_error(
        &cc(&mut jwt_server(strict.clone()), &other, T0, T0, &mut rng),
        "invalid_client",
        400,
    );
    // Expired (exp = built + 60, beyond the 30 s leeway), and not yet valid (iat in the future).
    assert_error(
        &cc(
            &mut jwt_server(strict.clone()),
            &pk(),
            T0,
            T0 + 91,
            &mut rng,
        ),
        "invalid_client",
        400,
    );
    assert_eq!(
        cc(
            &mut jwt_server(strict.clone()),
            &pk(),
            T0,
            T0 + 89,
            &mut rng
        )
        .status(),
        StatusCode::OK
    );
    assert_error(
        &cc(
            &mut jwt_server(strict.clone()),
            &pk(),
            T0 + 31,
            T0,
            &mut rng,
        ),
        "invalid_client",
        400,
    );
    // exp further ahead than the policy allows.
    let long = pk().lifetime(Duration::from_secs(300)).unwrap();
    let short_policy = strict.clone().max_lifetime(Duration::from_secs(120));
    assert_error(
        &cc(&mut jwt_server(short_policy), &long, T0, T0, &mut rng),
        "invalid_client",
        400,
    );
    // Another client's key under this client's id.
    let stolen = PrivateKeyJwt::new(ClientId::new("pk"), key("client-b-es256")).unwrap();
    assert_error(
        &cc(&mut jwt_server(strict.clone()), &stolen, T0, T0, &mut rng),
        "invalid_client",
        400,
    );
    // Wrong alg: the registered secret, but HS512 instead of the registered HS256.
    let hs512 = ClientSecretJwt::new(
        ClientId::new("hs"),
        &ClientSecret::new(HS_SECRET),
        Algorithm::HS512,
    )
    .unwrap();
    assert_error(
        &cc(&mut jwt_server(strict.clone()), &hs512, T0, T0, &mut rng),
        "invalid_client",
        400,
    );
    // Wrong secret.
    let wrong = ClientSecretJwt::new(
        ClientId::new("hs"),
        &ClientSecret::new(HS_SECRET.replace('a', "b")),
        Algorithm::HS256,
    )
    .unwrap();
    assert_error(
        &cc(&mut jwt_server(strict.clone()), &wrong, T0, T0, &mut rng),
        "invalid_client",
        400,
    );
    // An ES384 key for a client registered for ES256.
    let es384 = PrivateKeyJwt::new(ClientId::new("pk"), key("client-c-es384")).unwrap();
    assert_error(
        &cc(&mut jwt_server(strict.clone()), &es384, T0, T0, &mut rng),
        "invalid_client",
        400,
    );
    // A secret-based client presenting a signed assertion, and a JWT client using Basic.
    let basic =
        grantwire::ClientSecretBasic::new(ClientId::new("hs"), ClientSecret::new(HS_SECRET));
    assert_error(
        &cc(&mut jwt_server(strict.clone()), &basic, T0, T0, &mut rng),
        "invalid_client",
        401,
    );
    // client_id in the body differs from the assertion's iss.
    let mut s = jwt_server(strict.clone());
    let mut req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep(), &pk().without_client_id_param()), c)
    })
    .unwrap()
    .into_http();
    req.body_mut().extend_from_slice(b"&client_id=pk-b");
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_client", 400);
    // Wrong client_assertion_type.
    let mut req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep(), &pk()), c)
    })
    .unwrap()
    .into_http();
    let body = String::from_utf8(req.body().clone())
        .unwrap()
        .replace("jwt-bearer", "saml2-bearer");
    *req.body_mut() = body.into_bytes();
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_request", 400);
}

/// Hand-made claims signed with a key, for the cases jose's minter cannot produce.
fn signed(k: &SigningKey, claims: serde_json::Value, rng: &mut Rng) -> String {
    let mut e = |b: &mut [u8]| rng.fill(b);
    k.sign_compact(&serde_json::to_vec(&claims).unwrap(), None, &mut e)
        .unwrap()
        .secret()
        .to_owned()
}

#[test]
fn claim_shapes_are_strict() {
    let mut rng = Rng(23);
    let k = key("client-a-es256");
    let base = serde_json::json!({"iss": "pk", "sub": "pk", "aud": ISSUER, "exp": T0 + 60, "iat": T0, "jti": "j1"});
    let variants: Vec<(&str, serde_json::Value)> = vec![
        ("aud array", serde_json::json!({"aud": [ISSUER]})),
        ("sub differs", serde_json::json!({"sub": "someone"})),
        ("no exp", serde_json::json!({"exp": null})),
        ("no jti", serde_json::json!({"jti": null})),
        ("fractional exp", serde_json::json!({"exp": 1.5})),
        ("nbf in the future", serde_json::json!({"nbf": T0 + 600})),
    ];
    let send_assertion = |assertion: &str, rng: &mut Rng| {
        let mut s = jwt_server(AssertionPolicy::default());
        let req = form_post(
            &format!("{ISSUER}/token"),
            &[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion),
            ],
            &[],
        );
        send(&mut s, &req, T0, rng)
    };
    assert_eq!(
        send_assertion(&signed(&k, base.clone(), &mut rng), &mut rng).status(),
        StatusCode::OK
    );
    for (what, patch) in variants {
        let mut claims = base.clone();
        for (name, value) in patch.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        let resp = send_assertion(&signed(&k, claims, &mut rng), &mut rng);
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(json(&resp)["error"], "invalid_client", "{what}");
    }
    // alg "none" and a stripped signature.
    let none = format!(
        "eyJhbGciOiJub25lIn0.{}.",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&base).unwrap()
        )
    );
    assert_error(&send_assertion(&none, &mut rng), "invalid_client", 400);
    let good = signed(&k, base, &mut rng);
    let stripped = &good[..good.rfind('.').unwrap() + 1];
    assert_error(&send_assertion(stripped, &mut rng), "invalid_client", 400);
}

#[test]
fn jwt_bearer_grant_with_and_without_client_authentication() {
    let mut rng = Rng(24);
    let k = key("client-a-es256");
    let mut s = jwt_server(AssertionPolicy::default());
    let grant = |claims: serde_json::Value, rng: &mut Rng| {
        JwtBearer::new(SecretString::new(signed(&k, claims, rng)))
            .scope(Scope::parse("write").unwrap())
    };
    let claims = |jti: &str| serde_json::json!({"iss": "pk", "sub": "alice@example.com", "aud": ISSUER, "exp": T0 + 60, "iat": T0, "jti": jti});
    // Unauthenticated (RFC 7523 §3.1): the assertion alone identifies the issuer.
    let g = grant(claims("g1"), &mut rng);
    let req = build(T0, &mut rng, |c| {
        g.to_request(&cl(&ep(), &Unauthenticated), c)
    })
    .unwrap();
    let resp = send(&mut s, &req, T0, &mut rng);
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    assert_eq!(json(&resp)["scope"], "write");
    // Replayed.
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_grant", 400);
    // Authenticated as the issuer with private_key_jwt.
    let pk = PrivateKeyJwt::new(ClientId::new("pk"), key("client-a-es256")).unwrap();
    let g = grant(claims("g2"), &mut rng);
    let req = build(T0, &mut rng, |c| g.to_request(&cl(&ep(), &pk), c)).unwrap();
    assert_eq!(send(&mut s, &req, T0, &mut rng).status(), StatusCode::OK);
    // Authenticated as another client than the assertion's issuer.
    let hs = ClientSecretJwt::new(
        ClientId::new("hs"),
        &ClientSecret::new(HS_SECRET),
        Algorithm::HS256,
    )
    .unwrap();
    let g = grant(claims("g3"), &mut rng);
    let req = build(T0, &mut rng, |c| g.to_request(&cl(&ep(), &hs), c)).unwrap();
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_grant", 400);
    // Expired, wrong audience, another key.
    for bad in [
        serde_json::json!({"iss": "pk", "sub": "a", "aud": ISSUER, "exp": T0 - 100, "jti": "g4"}),
        serde_json::json!({"iss": "pk", "sub": "a", "aud": "https://other.example", "exp": T0 + 60, "jti": "g5"}),
    ] {
        let g = JwtBearer::new(SecretString::new(signed(&k, bad, &mut rng)));
        let req = build(T0, &mut rng, |c| {
            g.to_request(&cl(&ep(), &Unauthenticated), c)
        })
        .unwrap();
        assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_grant", 400);
    }
    let g = JwtBearer::new(SecretString::new(signed(
        &key("client-b-es256"),
        claims("g6"),
        &mut rng,
    )));
    let req = build(T0, &mut rng, |c| {
        g.to_request(&cl(&ep(), &Unauthenticated), c)
    })
    .unwrap();
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_grant", 400);
    // A client not allowed the grant ("pk-b" signs for itself).
    let g = JwtBearer::new(SecretString::new(signed(
        &key("client-b-es256"),
        serde_json::json!({"iss": "pk-b", "sub": "a", "aud": ISSUER, "exp": T0 + 60, "jti": "g7"}),
        &mut rng,
    )));
    let req = build(T0, &mut rng, |c| {
        g.to_request(&cl(&ep(), &Unauthenticated), c)
    })
    .unwrap();
    assert_error(
        &send(&mut s, &req, T0, &mut rng),
        "unauthorized_client",
        400,
    );
}

#[test]
fn jwt_access_tokens_verify_against_the_published_jwks() {
    let mut rng = Rng(25);
    let mut s = AuthServer::new(
        ServerConfig::new(ISSUER)
            .unwrap()
            .access_token_format(AccessTokenFormat::Jwt),
        jwt_registry(),
    );
    let pk = PrivateKeyJwt::new(ClientId::new("pk"), key("client-a-es256")).unwrap();
    let resp = cc(&mut s, &pk, T0, T0, &mut rng);
    assert_eq!(resp.status(), StatusCode::OK);
    let token = json(&resp)["access_token"].as_str().unwrap().to_owned();
    let jwks_resp = send(
        &mut s,
        &http::Request::get(format!("{ISSUER}/jwks"))
            .body(Vec::new())
            .unwrap(),
        T0,
        &mut rng,
    );
    assert_eq!(jwks_resp.status(), StatusCode::OK);
    let jwks = JwkSet::from_json(jwks_resp.body()).unwrap();
    assert_eq!(jwks.keys.len(), 1);
    assert!(
        jwks_resp.body().windows(3).all(|w| w != b"\"d\""),
        "no private member"
    );
    let verified = Verifier::from_jwks(&jwks)
        .algorithms(&[Algorithm::ES256])
        .issuer(ISSUER)
        .audience(format!("{ISSUER}/resource"))
        .typ("at+jwt")
        .verify(&token, at(T0 + 1))
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(verified.payload()).unwrap();
    assert_eq!(claims["client_id"], "pk");
    assert_eq!(claims["sub"], "pk");
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["exp"], T0 + 3600);
    // The JWT is also a live token of this server: resource, introspection.
    let r = http::Request::get(format!("{ISSUER}/resource"))
        .header("authorization", format!("Bearer {token}"))
        .body(Vec::new())
        .unwrap();
    assert_eq!(send(&mut s, &r, T0 + 1, &mut rng).status(), StatusCode::OK);
    // Metadata lists the JWT methods, the algorithms and the JWK Set.
    let meta = s.metadata_document();
    assert_eq!(meta["jwks_uri"], format!("{ISSUER}/jwks"));
    let methods = meta["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    assert!(
        methods.contains(&"private_key_jwt".into())
            && methods.contains(&"client_secret_jwt".into())
    );
    assert!(meta["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&"ES256".into()));
    assert!(meta["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&"urn:ietf:params:oauth:grant-type:jwt-bearer".into()));
    assert_eq!(s.counters().endpoint(EndpointKind::Jwks), 1);
}

#[test]
fn registry_json_registers_jwt_clients() {
    let jwks = serde_json::to_string(&jwks_of(&key("client-a-es256"))).unwrap();
    let json = format!(
        r#"{{"clients": [
        {{"client_id": "pk", "token_endpoint_auth_method": "private_key_jwt", "jwks": {jwks},
          "token_endpoint_auth_signing_alg": "ES256", "grant_types": ["client_credentials"], "scope": "read"}},
        {{"client_id": "hs", "token_endpoint_auth_method": "client_secret_jwt", "client_secret": "{HS_SECRET}"}}
    ]}}"#
    );
    let reg = ClientRegistry::from_json(&json).unwrap();
    // A single JWK instead of a set.
    let one = serde_json::to_string(&jwks_of(&key("client-b-es256")).keys[0]).unwrap();
    let single = ClientRegistry::from_json(&format!(
        r#"{{"clients": [{{"client_id": "one", "token_endpoint_auth_method": "private_key_jwt", "jwks": {one}}}]}}"#
    ))
    .unwrap();
    assert!(matches!(
        single.get("one").unwrap().auth(),
        ClientAuthConfig::PrivateKeyJwt {
            alg: Algorithm::ES256,
            ..
        }
    ));
    assert!(matches!(
        reg.get("pk").unwrap().auth(),
        ClientAuthConfig::PrivateKeyJwt {
            alg: Algorithm::ES256,
            ..
        }
    ));
    assert!(matches!(
        reg.get("hs").unwrap().auth(),
        ClientAuthConfig::ClientSecretJwt {
            alg: Algorithm::HS256,
            ..
        }
    ));
    let mut s = AuthServer::new(ServerConfig::new(ISSUER).unwrap(), reg);
    let mut rng = Rng(26);
    let pk = PrivateKeyJwt::new(ClientId::new("pk"), key("client-a-es256")).unwrap();
    assert_eq!(cc(&mut s, &pk, T0, T0, &mut rng).status(), StatusCode::OK);
    // A too-short secret for the algorithm, a key that does not fit the algorithm.
    for bad in [
        r#"{"clients": [{"client_id": "x", "token_endpoint_auth_method": "client_secret_jwt", "client_secret": "short", "token_endpoint_auth_signing_alg": "HS256"}]}"#.to_owned(),
        format!(r#"{{"clients": [{{"client_id": "x", "token_endpoint_auth_method": "private_key_jwt", "jwks": {jwks}, "token_endpoint_auth_signing_alg": "RS256"}}]}}"#),
        r#"{"clients": [{"client_id": "x", "token_endpoint_auth_method": "private_key_jwt"}]}"#.to_owned(),
    ] {
        assert!(ClientRegistry::from_json(&bad).is_err(), "{bad}");
    }
    assert!(
        ClientAuthConfig::client_secret_jwt(ClientSecret::new("short"), Algorithm::HS256).is_err()
    );
    assert!(
        ClientAuthConfig::private_key_jwt(jwks_of(&key("client-a-es256")), Algorithm::ES384)
            .is_err()
    );
}
