//! Properties: what grantwire's builders produce, the testkit accepts, for every built-in
//! client-authentication method and every grant; every single tamper is rejected with the right
//! error code and status.

mod common;

use common::Rng;
use common::*;
use grantwire::grant::token_type_uri;
use grantwire::JwtBearer;
use grantwire::{
    AuthorizationCodeGrant, ClientAuthentication, ClientCredentials, ClientId, ClientSecret,
    ClientSecretBasic, ClientSecretPost, NoneAuth, PkceVerifier, RefreshGrant, RefreshToken, Scope,
    SecretString, SelfSignedTlsClientAuth, TlsClientAuth, TokenExchange, TokenResponse,
};
use grantwire_jose::{Algorithm, Audience, ClientSecretJwt, PrivateKey, PrivateKeyJwt, SigningKey};
use grantwire_testkit::{
    AuthServer, AuthorizationCodeRequest, ClientAuthConfig, ClientConfig, ClientRegistry,
    GrantType, PresentedCertificate, ServerConfig,
};
use http::{Request, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

#[derive(Clone, Copy, Debug)]
enum Method {
    Basic,
    Post,
    None,
    Tls,
    SelfSigned,
    SecretJwt,
    PrivateKeyJwt,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Grant {
    ClientCredentials,
    AuthorizationCode,
    Refresh,
    TokenExchange,
    JwtBearer,
}

const SCOPES: [&str; 4] = ["read", "write", "admin", "x:y"];
const DN: &str = "CN=client,O=Example";
const CERT: &[u8] = b"\x30\x82registered-certificate";

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Basic),
        Just(Method::Post),
        Just(Method::None),
        Just(Method::Tls),
        Just(Method::SelfSigned),
        Just(Method::SecretJwt),
        Just(Method::PrivateKeyJwt)
    ]
}

fn grant() -> impl Strategy<Value = Grant> {
    prop_oneof![
        Just(Grant::ClientCredentials),
        Just(Grant::AuthorizationCode),
        Just(Grant::Refresh),
        Just(Grant::TokenExchange),
        Just(Grant::JwtBearer)
    ]
}

/// Client ids and secrets with the characters that trip encoders: space, `:`, `+`, `%`, `&`,
/// `=`, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 :+%&=/~é€😀-]{1,24}").unwrap()
}

fn scope_subset() -> impl Strategy<Value = Vec<bool>> {
    proptest::collection::vec(any::<bool>(), SCOPES.len())
}

/// HMAC secrets must be at least as long as the hash (RFC 7518 §3.2): pad to 64 bytes (HS512).
fn hs_secret(secret: &str) -> String {
    format!("{secret}{}", "s".repeat(64))
}

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

/// The key a JWT-method client signs with (assertions and JWT bearer grants).
fn signing_key(m: Method, secret: &str) -> Option<SigningKey> {
    match m {
        Method::SecretJwt => SigningKey::hmac(Algorithm::HS256, hs_secret(secret).as_bytes()).ok(),
        Method::PrivateKeyJwt => Some(key("client-a-es256")),
        _ => None,
    }
}

fn auth_config(m: Method, secret: &str) -> ClientAuthConfig {
    match m {
        Method::Basic => ClientAuthConfig::ClientSecretBasic(ClientSecret::new(secret)),
        Method::Post => ClientAuthConfig::ClientSecretPost(ClientSecret::new(secret)),
        Method::None => ClientAuthConfig::None,
        Method::Tls => ClientAuthConfig::TlsClientAuth {
            subject_dn: DN.into(),
        },
        Method::SelfSigned => ClientAuthConfig::SelfSignedTlsClientAuth {
            certificates: vec![CERT.to_vec()],
        },
        Method::SecretJwt => ClientAuthConfig::client_secret_jwt(
            ClientSecret::new(hs_secret(secret)),
            Algorithm::HS256,
        )
        .unwrap(),
        Method::PrivateKeyJwt => {
            ClientAuthConfig::private_key_jwt(key("client-a-es256").jwks(), Algorithm::ES256)
                .unwrap()
        }
    }
}

fn client_auth(m: Method, id: &str, secret: &str) -> Box<dyn ClientAuthentication> {
    let id = ClientId::new(id);
    match m {
        Method::Basic => Box::new(ClientSecretBasic::new(id, ClientSecret::new(secret))),
        Method::Post => Box::new(ClientSecretPost::new(id, ClientSecret::new(secret))),
        Method::None => Box::new(NoneAuth::new(id)),
        Method::Tls => Box::new(TlsClientAuth::new(id)),
        Method::SelfSigned => Box::new(SelfSignedTlsClientAuth::new(id)),
        Method::SecretJwt => Box::new(
            ClientSecretJwt::new(id, &ClientSecret::new(hs_secret(secret)), Algorithm::HS256)
                .unwrap(),
        ),
        Method::PrivateKeyJwt => Box::new(PrivateKeyJwt::new(id, key("client-a-es256")).unwrap()),
    }
}

fn setup(m: Method, id: &str, secret: &str, grants: &[GrantType]) -> AuthServer {
    let mut client = ClientConfig::new(id, auth_config(m, secret))
        .scopes(SCOPES)
        .audience("https://api.example")
        .resource("https://api.example/v1")
        .resource("urn:example:resource")
        .redirect_uri("https://app.example/cb");
    for g in grants {
        client = client.grant(*g);
    }
    let registry = ClientRegistry::new().with(client).with(
        ClientConfig::new(
            "other",
            ClientAuthConfig::ClientSecretPost(ClientSecret::new("other-secret")),
        )
        .grant(GrantType::ClientCredentials),
    );
    AuthServer::new(
        ServerConfig::new(ISSUER)
            .unwrap()
            .refresh_with_client_credentials(true),
        registry,
    )
}

/// The built request as a plain `http::Request` (tests tamper with it), with the certificate
/// a mutual-TLS transport would present.
fn with_cert(m: Method, req: grantwire::SecretRequest) -> Request<Vec<u8>> {
    let mut req = req.into_http();
    match m {
        Method::Tls => {
            req.extensions_mut()
                .insert(PresentedCertificate::new(b"whatever".to_vec(), DN));
        }
        Method::SelfSigned => {
            req.extensions_mut()
                .insert(PresentedCertificate::new(CERT.to_vec(), "CN=self"));
        }
        _ => {}
    }
    req
}

fn chosen(subset: &[bool]) -> Option<Scope> {
    let tokens: Vec<&str> = SCOPES
        .iter()
        .zip(subset)
        .filter(|(_, on)| **on)
        .map(|(s, _)| *s)
        .collect();
    (!tokens.is_empty()).then(|| Scope::from_tokens(tokens).unwrap())
}

/// Builds the token request for `grant`, doing the server-side set-up it needs (a code, a
/// refresh token, a subject token). Returns `None` for combinations RFC 6749 forbids (a public
/// client cannot use client credentials).
/// What a request is built from.
struct Case<'a> {
    m: Method,
    auth: &'a std::sync::Arc<dyn ClientAuthentication>,
    id: &'a str,
    secret: &'a str,
    g: Grant,
    scope: Option<Scope>,
    targets: (bool, bool),
}

fn token_request(s: &mut AuthServer, rng: &mut Rng, case: &Case<'_>) -> Option<Request<Vec<u8>>> {
    let Case {
        m,
        auth,
        id,
        secret,
        g,
        ref scope,
        targets,
    } = *case;
    let scope = scope.clone();
    let ep = endpoint(s);
    let client = grantwire::Client::from_arcs(ep.into(), auth.clone()).unwrap();
    let apply_scope = |sc: &Option<Scope>| sc.clone().unwrap_or_default();
    let req = match g {
        Grant::ClientCredentials => {
            if matches!(m, Method::None) {
                return None;
            }
            let mut grant = ClientCredentials::new().scope(apply_scope(&scope));
            if targets.0 {
                grant = grant.audience("https://api.example");
            }
            if targets.1 {
                grant = grant
                    .resource("https://api.example/v1")
                    .resource("urn:example:resource");
            }
            build(T0, rng, |c| grant.to_request(&client, c)).unwrap()
        }
        Grant::AuthorizationCode | Grant::Refresh => {
            let (code, verifier) = mint_code(s, rng, id, &scope);
            let req = build(T0, rng, |c| {
                AuthorizationCodeGrant::new(code)
                    .redirect_uri("https://app.example/cb")
                    .pkce_verifier(verifier)
                    .to_request(&client, c)
            })
            .unwrap();
            if g == Grant::AuthorizationCode {
                req
            } else {
                let resp = send(s, &with_cert(m, req), T0, rng);
                assert_eq!(resp.status(), StatusCode::OK);
                let tok = TokenResponse::parse(&resp, at(T0)).unwrap();
                let rt = tok.refresh_token().unwrap().secret().to_owned();
                build(T0 + 1, rng, |c| {
                    RefreshGrant::new(RefreshToken::new(rt))
                        .scope(apply_scope(&scope))
                        .to_request(&client, c)
                })
                .unwrap()
            }
        }
        Grant::JwtBearer => {
            // RFC 7523 §2.1: a JWT method client asserts for a user, signed with its own key.
            let key = signing_key(m, secret)?;
            let mut jti = [0u8; 12];
            rng.fill(&mut jti);
            let claims = serde_json::json!({
                "iss": id, "sub": "alice", "aud": ISSUER, "exp": T0 + 60, "iat": T0,
                "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            });
            let mut e = |b: &mut [u8]| rng.fill(b);
            let assertion = key
                .sign_compact(&serde_json::to_vec(&claims).unwrap(), None, &mut e)
                .unwrap();
            let grant = JwtBearer::new(assertion).scope(apply_scope(&scope));
            build(T0, rng, |c| grant.to_request(&client, c)).unwrap()
        }
        Grant::TokenExchange => {
            let mut e = |b: &mut [u8]| rng.fill(b);
            let subject = s
                .issue_access_token(id, "alice", None, at(T0), &mut e)
                .unwrap();
            let mut grant = TokenExchange::new(
                SecretString::new(subject.secret()),
                token_type_uri::ACCESS_TOKEN,
            )
            .scope(apply_scope(&scope));
            if targets.0 {
                grant = grant.audience("https://api.example");
            }
            if targets.1 {
                grant = grant.resource("urn:example:resource");
            }
            build(T0, rng, |c| grant.to_request(&client, c)).unwrap()
        }
    };
    Some(with_cert(m, req))
}

fn mint_code(
    s: &mut AuthServer,
    rng: &mut Rng,
    id: &str,
    scope: &Option<Scope>,
) -> (SecretString, PkceVerifier) {
    let mut e = |b: &mut [u8]| rng.fill(b);
    let verifier = PkceVerifier::generate(&mut e);
    let mut req = AuthorizationCodeRequest::new(id, "alice")
        .redirect_uri("https://app.example/cb")
        .code_challenge_s256(verifier.challenge_s256());
    if let Some(sc) = scope {
        req = req.scope(sc);
    }
    (
        s.issue_authorization_code(&req, at(T0), &mut e).unwrap(),
        verifier,
    )
}

const ALL_GRANTS: [GrantType; 5] = [
    GrantType::ClientCredentials,
    GrantType::AuthorizationCode,
    GrantType::RefreshToken,
    GrantType::TokenExchange,
    GrantType::JwtBearer,
];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn what_grantwire_builds_is_accepted(
        m in method(), g in grant(), id in text(), secret in text(), subset in scope_subset(),
        targets in (any::<bool>(), any::<bool>()), seed in 1u64..,
    ) {
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let auth: std::sync::Arc<dyn ClientAuthentication> = client_auth(m, &id, &secret).into();
        let scope = chosen(&subset);
        let case = Case { m, auth: &auth, id: &id, secret: &secret, g, scope: scope.clone(), targets };
        let Some(req) = token_request(&mut s, &mut rng, &case) else {
            return Ok(());
        };
        let resp = send(&mut s, &req, T0 + 1, &mut rng);
        prop_assert_eq!(resp.status(), StatusCode::OK, "{}", String::from_utf8_lossy(resp.body()));
        let tok = TokenResponse::parse(&resp, at(T0 + 1)).unwrap();
        let granted = tok.scope().cloned().unwrap_or_default();
        match &scope {
            Some(sc) => prop_assert!(granted.set_eq(sc)),
            None => prop_assert_eq!(granted.len(), SCOPES.len()),
        }
        prop_assert_eq!(s.counters().client(&id) as usize >= 1, true);
    }

    #[test]
    fn wrong_secret_is_invalid_client(
        m in prop_oneof![Just(Method::Basic), Just(Method::Post)], id in text(), secret in text(),
        other in text(), seed in 1u64..,
    ) {
        prop_assume!(other != secret);
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let auth: std::sync::Arc<dyn ClientAuthentication> = client_auth(m, &id, &other).into();
        let case = Case { m, auth: &auth, id: &id, secret: &secret, g: Grant::ClientCredentials, scope: None, targets: (false, false) };
        let req = token_request(&mut s, &mut rng, &case).unwrap();
        let resp = send(&mut s, &req, T0, &mut rng);
        let via_header = matches!(m, Method::Basic);
        assert_error(&resp, "invalid_client", if via_header { 401 } else { 400 });
        prop_assert_eq!(resp.headers().contains_key("www-authenticate"), via_header);
        // Only the fixed description and the random id of the event: nothing from the request
        // comes back.
        let mut body = json(&resp);
        let auth_id = body.as_object_mut().and_then(|o| o.remove("client_auth_id"));
        let auth_id = auth_id.as_ref().and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        prop_assert!(auth_id.len() == 32 && auth_id.bytes().all(|b| b.is_ascii_hexdigit()));
        prop_assert_eq!(body, serde_json::json!({
            "error": "invalid_client", "error_description": "client authentication failed",
        }));
        let event = s.auth_events().next().cloned().unwrap();
        prop_assert_eq!(event.cause, Some(grantwire_testkit::AuthFailureCause::WrongSecret));
        prop_assert_eq!(event.client_auth_id.as_deref(), Some(auth_id.as_str()));
    }

    #[test]
    fn another_clients_credential_is_invalid_client(
        m in prop_oneof![Just(Method::Basic), Just(Method::Post), Just(Method::Tls), Just(Method::SelfSigned)],
        id in text(), secret in text(), seed in 1u64..,
    ) {
        prop_assume!(id != "other");
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let ep = endpoint(&s);
        let req = match m {
            // The other client's (valid) secret under this client's id.
            Method::Basic => build(T0, &mut rng, |c| ClientCredentials::new().to_request(&cl(&ep, &ClientSecretBasic::new(ClientId::new(id.as_str()), ClientSecret::new("other-secret"))), c)).unwrap(),
            Method::Post => build(T0, &mut rng, |c| ClientCredentials::new().to_request(&cl(&ep, &ClientSecretPost::new(ClientId::new(id.as_str()), ClientSecret::new("other-secret"))), c)).unwrap(),
            // Another certificate.
            _ => {
                let mut req = build(T0, &mut rng, |c| ClientCredentials::new().to_request(&cl_box(&ep, client_auth(m, &id, "")), c)).unwrap();
                req.extensions_mut().insert(PresentedCertificate::new(b"another".to_vec(), "CN=another"));
                req
            }
        };
        let resp = send(&mut s, &req, T0, &mut rng);
        prop_assume!(secret != "other-secret");
        assert_error(&resp, "invalid_client", if matches!(m, Method::Basic) { 401 } else { 400 });
    }

    #[test]
    fn two_mechanisms_are_invalid_request(
        id in text(), secret in text(), mix in 0..4u8, seed in 1u64..,
    ) {
        // Valid credentials for the registered method, plus a second mechanism.
        let m = match mix {
            0 => Method::Basic,
            1 => Method::Post,
            2 => Method::PrivateKeyJwt,
            _ => Method::SecretJwt,
        };
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let ep = endpoint(&s);
        let auth = client_auth(m, &id, &secret);
        let mut req = build(T0, &mut rng, |c| ClientCredentials::new().to_request(&cl_box(&ep, auth), c)).unwrap().into_http();
        match m {
            // Basic plus a client_secret in the body.
            Method::Basic => req.body_mut().extend_from_slice(b"&client_secret=x"),
            // An assertion plus a client_secret in the body.
            Method::SecretJwt => req.body_mut().extend_from_slice(b"&client_secret=x"),
            // client_secret_post or an assertion, plus a Basic header.
            _ => {
                let basic = ClientSecretBasic::new(ClientId::new(id.as_str()), ClientSecret::new(secret.as_str()));
                let other = build(T0, &mut rng, |c| ClientCredentials::new().to_request(&cl(&ep, &basic), c)).unwrap();
                req.headers_mut().insert("authorization", other.headers()["authorization"].clone());
            }
        }
        let resp = send(&mut s, &req, T0, &mut rng);
        assert_error(&resp, "invalid_request", 400);
    }

    #[test]
    fn a_grant_the_client_is_not_allowed_is_unauthorized_client(
        m in method(), g in grant(), id in text(), secret in text(), seed in 1u64..,
    ) {
        // Everything is set up with every grant, then the one under test is withdrawn.
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let auth: std::sync::Arc<dyn ClientAuthentication> = client_auth(m, &id, &secret).into();
        let case = Case { m, auth: &auth, id: &id, secret: &secret, g, scope: None, targets: (false, false) };
        let Some(req) = token_request(&mut s, &mut rng, &case) else {
            return Ok(());
        };
        let withdrawn = match g {
            Grant::ClientCredentials => GrantType::ClientCredentials,
            Grant::AuthorizationCode => GrantType::AuthorizationCode,
            Grant::Refresh => GrantType::RefreshToken,
            Grant::TokenExchange => GrantType::TokenExchange,
            Grant::JwtBearer => GrantType::JwtBearer,
        };
        let kept: Vec<GrantType> = ALL_GRANTS.into_iter().filter(|x| *x != withdrawn).collect();
        let old = s.registry().get(&id).unwrap().clone();
        let mut client = ClientConfig::new(id.as_str(), old.auth().clone())
            .scopes(SCOPES)
            .audience("https://api.example")
            .resource("https://api.example/v1")
            .resource("urn:example:resource")
            .redirect_uri("https://app.example/cb");
        for k in kept {
            client = client.grant(k);
        }
        s.registry_mut().insert(client);
        let resp = send(&mut s, &req, T0 + 1, &mut rng);
        assert_error(&resp, "unauthorized_client", 400);
    }

    #[test]
    fn scope_and_target_tampers(
        m in method(), g in grant(), id in text(), secret in text(), seed in 1u64..,
        tamper in 0..3u8,
    ) {
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let auth: std::sync::Arc<dyn ClientAuthentication> = client_auth(m, &id, &secret).into();
        let case = Case { m, auth: &auth, id: &id, secret: &secret, g, scope: None, targets: (false, false) };
        let Some(mut req) = token_request(&mut s, &mut rng, &case) else {
            return Ok(());
        };
        let (extra, code): (&[u8], &str) = match tamper {
            0 => (b"&scope=not-granted", "invalid_scope"),
            1 => (b"&resource=https%3A%2F%2Fevil.example%2F", "invalid_target"),
            _ => (b"&audience=https%3A%2F%2Fevil.example", "invalid_target"),
        };
        // Code and refresh grants carry their audience from the original grant, and the code
        // grant has no scope parameter (RFC 6749 §4.1.3): those parameters are ignored there.
        prop_assume!(match tamper {
            0 => g != Grant::AuthorizationCode,
            _ => matches!(g, Grant::ClientCredentials | Grant::TokenExchange),
        });
        req.body_mut().extend_from_slice(extra);
        let resp = send(&mut s, &req, T0 + 1, &mut rng);
        assert_error(&resp, code, 400);
    }

    #[test]
    fn every_assertion_tamper_is_invalid_client(
        pk in any::<bool>(), id in text(), secret in text(), tamper in 0..5u8, seed in 1u64..,
    ) {
        let m = if pk { Method::PrivateKeyJwt } else { Method::SecretJwt };
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let ep = endpoint(&s);
        let cid = || ClientId::new(id.as_str());
        let hs = |sec: String, alg| ClientSecretJwt::new(cid(), &ClientSecret::new(sec), alg).unwrap();
        let pkj = |k: &str| PrivateKeyJwt::new(cid(), key(k)).unwrap();
        let (auth, built): (Box<dyn ClientAuthentication>, u64) = match (tamper, pk) {
            // Wrong aud: the token endpoint (legacy, refused by the strict default).
            (0, false) => (Box::new(hs(hs_secret(&secret), Algorithm::HS256).audience(Audience::TokenEndpoint)), T0),
            (0, true) => (Box::new(pkj("client-a-es256").audience(Audience::Fixed("https://other.example".into()))), T0),
            // Expired: built long before it is sent.
            (1, false) => (Box::new(hs(hs_secret(&secret), Algorithm::HS256)), T0 - 500),
            (1, true) => (Box::new(pkj("client-a-es256")), T0 - 500),
            // Wrong alg: the registered secret under HS512 / an ES384 key for an ES256 client.
            (2, false) => (Box::new(hs(hs_secret(&secret), Algorithm::HS512)), T0),
            (2, true) => (Box::new(pkj("client-c-es384")), T0),
            // Another client's key.
            (3, false) => (Box::new(hs(hs_secret(&format!("{secret}!")), Algorithm::HS256)), T0),
            (3, true) => (Box::new(pkj("client-b-es256")), T0),
            // Replayed jti: the same valid request twice.
            (_, _) => (client_auth(m, &id, &secret), T0),
        };
        let req = build(built, &mut rng, |c| ClientCredentials::new().to_request(&cl_box(&ep, auth), c)).unwrap();
        if tamper == 4 {
            prop_assert_eq!(send(&mut s, &req, T0, &mut rng).status(), StatusCode::OK);
        }
        let resp = send(&mut s, &req, T0, &mut rng);
        assert_error(&resp, "invalid_client", 400);
    }
}
