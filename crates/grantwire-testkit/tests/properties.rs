//! Properties: what grantwire's builders produce, the testkit accepts, for every built-in
//! client-authentication method and every grant; every single tamper is rejected with the right
//! error code and status.

mod common;

use common::Rng;
use common::*;
use grantwire::grant::token_type_uri;
use grantwire::{
    AuthorizationCodeGrant, ClientAuthentication, ClientCredentials, ClientId, ClientSecret,
    ClientSecretBasic, ClientSecretPost, NoneAuth, PkceVerifier, RefreshGrant, RefreshToken, Scope,
    SecretString, SelfSignedTlsClientAuth, TlsClientAuth, TokenExchange, TokenResponse,
};
use grantwire_testkit::{
    AuthServer, AuthorizationCodeRequest, ClientAuthConfig, ClientConfig, ClientRegistry,
    GrantType, PresentedCertificate, ServerConfig,
};
use http::{Request, StatusCode};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Method {
    Basic,
    Post,
    None,
    Tls,
    SelfSigned,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Grant {
    ClientCredentials,
    AuthorizationCode,
    Refresh,
    TokenExchange,
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
        Just(Method::SelfSigned)
    ]
}

fn grant() -> impl Strategy<Value = Grant> {
    prop_oneof![
        Just(Grant::ClientCredentials),
        Just(Grant::AuthorizationCode),
        Just(Grant::Refresh),
        Just(Grant::TokenExchange)
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

fn with_cert(m: Method, mut req: Request<Vec<u8>>) -> Request<Vec<u8>> {
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
fn token_request(
    s: &mut AuthServer,
    rng: &mut Rng,
    m: Method,
    auth: &dyn ClientAuthentication,
    id: &str,
    g: Grant,
    scope: Option<Scope>,
    targets: (bool, bool),
) -> Option<Request<Vec<u8>>> {
    let ep = endpoint(s);
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
            build(T0, rng, |c| grant.to_request(&ep, auth, c)).unwrap()
        }
        Grant::AuthorizationCode | Grant::Refresh => {
            let (code, verifier) = mint_code(s, rng, id, &scope);
            let req = build(T0, rng, |c| {
                AuthorizationCodeGrant::new(code)
                    .redirect_uri("https://app.example/cb")
                    .pkce_verifier(verifier)
                    .to_request(&ep, auth, c)
            })
            .unwrap();
            if g == Grant::AuthorizationCode {
                req
            } else {
                let resp = send(s, &with_cert(m, req), T0, rng);
                assert_eq!(resp.status(), StatusCode::OK);
                let tok = TokenResponse::parse(resp.status(), resp.headers(), resp.body(), at(T0))
                    .unwrap();
                let rt = tok.refresh_token().unwrap().secret().to_owned();
                build(T0 + 1, rng, |c| {
                    RefreshGrant::new(RefreshToken::new(rt))
                        .scope(apply_scope(&scope))
                        .to_request(&ep, auth, c)
                })
                .unwrap()
            }
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
            build(T0, rng, |c| grant.to_request(&ep, auth, c)).unwrap()
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

const ALL_GRANTS: [GrantType; 4] = [
    GrantType::ClientCredentials,
    GrantType::AuthorizationCode,
    GrantType::RefreshToken,
    GrantType::TokenExchange,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn what_grantwire_builds_is_accepted(
        m in method(), g in grant(), id in text(), secret in text(), subset in scope_subset(),
        targets in (any::<bool>(), any::<bool>()), seed in 1u64..,
    ) {
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let auth = client_auth(m, &id, &secret);
        let scope = chosen(&subset);
        let Some(req) = token_request(&mut s, &mut rng, m, auth.as_ref(), &id, g, scope.clone(), targets) else {
            return Ok(());
        };
        let resp = send(&mut s, &req, T0 + 1, &mut rng);
        prop_assert_eq!(resp.status(), StatusCode::OK, "{}", String::from_utf8_lossy(resp.body()));
        let tok = TokenResponse::parse(resp.status(), resp.headers(), resp.body(), at(T0 + 1)).unwrap();
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
        let auth = client_auth(m, &id, &other);
        let req = token_request(&mut s, &mut rng, m, auth.as_ref(), &id, Grant::ClientCredentials, None, (false, false)).unwrap();
        let resp = send(&mut s, &req, T0, &mut rng);
        let via_header = matches!(m, Method::Basic);
        assert_error(&resp, "invalid_client", if via_header { 401 } else { 400 });
        prop_assert_eq!(resp.headers().contains_key("www-authenticate"), via_header);
        // Only the fixed description: nothing from the request comes back.
        prop_assert_eq!(json(&resp), serde_json::json!({
            "error": "invalid_client", "error_description": "client authentication failed",
        }));
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
            Method::Basic => build(T0, &mut rng, |c| ClientCredentials::new().to_request(&ep, &ClientSecretBasic::new(ClientId::new(id.as_str()), ClientSecret::new("other-secret")), c)).unwrap(),
            Method::Post => build(T0, &mut rng, |c| ClientCredentials::new().to_request(&ep, &ClientSecretPost::new(ClientId::new(id.as_str()), ClientSecret::new("other-secret")), c)).unwrap(),
            // Another certificate.
            _ => {
                let mut req = build(T0, &mut rng, |c| ClientCredentials::new().to_request(&ep, client_auth(m, &id, "").as_ref(), c)).unwrap();
                req.extensions_mut().insert(PresentedCertificate::new(b"another".to_vec(), "CN=another"));
                req
            }
        };
        let resp = send(&mut s, &req, T0, &mut rng);
        prop_assume!(!(secret == "other-secret"));
        assert_error(&resp, "invalid_client", if matches!(m, Method::Basic) { 401 } else { 400 });
    }

    #[test]
    fn two_mechanisms_are_invalid_request(
        id in text(), secret in text(), basic_first in any::<bool>(), seed in 1u64..,
    ) {
        let m = if basic_first { Method::Basic } else { Method::Post };
        let mut s = setup(m, &id, &secret, &ALL_GRANTS);
        let mut rng = Rng(seed);
        let ep = endpoint(&s);
        // Valid credentials for the registered method, plus a second mechanism.
        let grant = if basic_first {
            ClientCredentials::new().extra("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        } else {
            ClientCredentials::new()
        };
        let auth = client_auth(m, &id, &secret);
        let req = build(T0, &mut rng, |c| grant.to_request(&ep, auth.as_ref(), c));
        let mut req = match req {
            Ok(r) => r,
            // grantwire refuses an extra named like an auth parameter: build the body by hand.
            Err(_) => {
                let mut r = build(T0, &mut rng, |c| ClientCredentials::new().to_request(&ep, auth.as_ref(), c)).unwrap();
                r.body_mut().extend_from_slice(b"&client_secret=x");
                r
            }
        };
        if !basic_first {
            let basic = ClientSecretBasic::new(ClientId::new(id.as_str()), ClientSecret::new(secret.as_str()));
            let other = build(T0, &mut rng, |c| ClientCredentials::new().to_request(&ep, &basic, c)).unwrap();
            req.headers_mut().insert("authorization", other.headers()["authorization"].clone());
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
        let auth = client_auth(m, &id, &secret);
        let Some(req) = token_request(&mut s, &mut rng, m, auth.as_ref(), &id, g, None, (false, false)) else {
            return Ok(());
        };
        let withdrawn = match g {
            Grant::ClientCredentials => GrantType::ClientCredentials,
            Grant::AuthorizationCode => GrantType::AuthorizationCode,
            Grant::Refresh => GrantType::RefreshToken,
            Grant::TokenExchange => GrantType::TokenExchange,
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
        let auth = client_auth(m, &id, &secret);
        let Some(mut req) = token_request(&mut s, &mut rng, m, auth.as_ref(), &id, g, None, (false, false)) else {
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
}
