//! One authorization server value, every client-authentication method: token → introspect →
//! revoke → introspect through the testkit server, as an embedder writes it: a `Client` per
//! method built from the server's own `AuthorizationServer`, the builders taking
//! `(&client, &mut ctx)`, and `?` throughout (no string conversion of any error).
//!
//! The TLS methods present their certificate the way a transport would: as a
//! `PresentedCertificate` extension on the built request (RFC 8705 §2).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grantwire::{
    AuthorizationCodeGrant, AuthorizationServer, Client, ClientAuthentication, ClientCredentials,
    ClientId, ClientSecret, ClientSecretBasic, ClientSecretPost, Context, IntrospectionRequest,
    IntrospectionResponse, NoneAuth, PkceVerifier, RevocationOutcome, RevocationRequest,
    SecretRequest, SecretString, SelfSignedTlsClientAuth, TlsClientAuth, TokenResponse,
};
use grantwire_jose::{Algorithm, ClientSecretJwt, PrivateKey, PrivateKeyJwt, SigningKey};
use grantwire_testkit::{
    AuthServer, AuthorizationCodeRequest, ClientAuthConfig, ClientConfig, ClientRegistry,
    GrantType, IntrospectionPolicy, PresentedCertificate, ServerConfig,
};

// One error type under `?` for the core and grantwire-jose (its errors convert with their cause
// kept as the source). The testkit's own set-up errors are unwrapped: they are not the client's.
type Result<T> = std::result::Result<T, grantwire::Error>;

const ISSUER: &str = "https://as.example";
const HS_SECRET: &str = "a-client-secret-that-is-long-enough-for-hs256-0123456789";
const SELF_SIGNED_DER: &[u8] = b"self-signed-certificate-der";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn es256_key() -> Result<SigningKey> {
    let path = format!(
        "{}/tests/fixtures/client-a-es256.private.jwk.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let key = PrivateKey::from_jwk(&std::fs::read(path).expect("test key file"))?;
    Ok(SigningKey::new(Algorithm::ES256, &key)?)
}

/// The registry: one client per method, each allowed to introspect its own tokens.
fn registry(key: &SigningKey) -> Result<ClientRegistry> {
    let methods = [
        ("public", ClientAuthConfig::None),
        (
            "basic",
            ClientAuthConfig::ClientSecretBasic(ClientSecret::new("basic-secret")),
        ),
        (
            "post",
            ClientAuthConfig::ClientSecretPost(ClientSecret::new("post-secret")),
        ),
        (
            "hs",
            ClientAuthConfig::client_secret_jwt(ClientSecret::new(HS_SECRET), Algorithm::HS256)
                .expect("testkit client"),
        ),
        (
            "pk",
            ClientAuthConfig::private_key_jwt(key.jwks(), Algorithm::ES256)
                .expect("testkit client"),
        ),
        (
            "mtls",
            ClientAuthConfig::TlsClientAuth {
                subject_dn: "CN=mtls,O=Example".into(),
            },
        ),
        (
            "selfsigned",
            ClientAuthConfig::SelfSignedTlsClientAuth {
                certificates: vec![SELF_SIGNED_DER.to_vec()],
            },
        ),
    ];
    let mut registry = ClientRegistry::new();
    for (id, auth) in methods {
        registry = registry.with(
            ClientConfig::new(id, auth)
                .grant(GrantType::ClientCredentials)
                .grant(GrantType::AuthorizationCode)
                .scopes(["read"])
                .redirect_uri("https://app.example/cb")
                .introspection(IntrospectionPolicy::OwnTokens),
        );
    }
    Ok(registry.with(
        ClientConfig::new(
            "rs",
            ClientAuthConfig::ClientSecretBasic(ClientSecret::new("rs-secret")),
        )
        .introspection(IntrospectionPolicy::AnyToken),
    ))
}

/// The method's client-side authentication and the certificate its transport presents.
fn methods(key: SigningKey) -> Result<Vec<(&'static str, Arc<dyn ClientAuthentication>)>> {
    Ok(vec![
        ("public", Arc::new(NoneAuth::new(ClientId::new("public")))),
        (
            "basic",
            Arc::new(ClientSecretBasic::new(
                ClientId::new("basic"),
                ClientSecret::new("basic-secret"),
            )),
        ),
        (
            "post",
            Arc::new(ClientSecretPost::new(
                ClientId::new("post"),
                ClientSecret::new("post-secret"),
            )),
        ),
        (
            "hs",
            Arc::new(ClientSecretJwt::new(
                ClientId::new("hs"),
                &ClientSecret::new(HS_SECRET),
                Algorithm::HS256,
            )?),
        ),
        (
            "pk",
            Arc::new(PrivateKeyJwt::new(ClientId::new("pk"), key)?),
        ),
        ("mtls", Arc::new(TlsClientAuth::new(ClientId::new("mtls")))),
        (
            "selfsigned",
            Arc::new(SelfSignedTlsClientAuth::new(ClientId::new("selfsigned"))),
        ),
    ])
}

/// Sends `request` the way a transport with the client's certificate would.
fn send(
    server: &mut AuthServer,
    client: &Client,
    mut request: SecretRequest,
) -> http::Response<Vec<u8>> {
    let certificate = match client.method() {
        grantwire::AuthMethod::TlsClientAuth => Some(PresentedCertificate::new(
            b"pki-issued-der".to_vec(),
            "CN=mtls,O=Example",
        )),
        grantwire::AuthMethod::SelfSignedTlsClientAuth => Some(PresentedCertificate::new(
            SELF_SIGNED_DER.to_vec(),
            "CN=selfsigned",
        )),
        _ => None,
    };
    if let Some(c) = certificate {
        request.extensions_mut().insert(c);
    }
    let mut entropy = |b: &mut [u8]| b.fill(3);
    server.handle(&request, now(), &mut entropy)
}

/// A token for `client`: client credentials, or for the public client (RFC 6749 §4.4 is for
/// confidential clients only) the authorization code grant with PKCE.
fn token(server: &mut AuthServer, client: &Client, ctx: &mut Context<'_>) -> Result<TokenResponse> {
    let request = if client.method() == grantwire::AuthMethod::None {
        let mut fill = |b: &mut [u8]| b.fill(5);
        let verifier = PkceVerifier::generate(&mut fill);
        let code = server
            .issue_authorization_code(
                &AuthorizationCodeRequest::new("public", "alice")
                    .redirect_uri("https://app.example/cb")
                    .code_challenge_s256(verifier.challenge_s256()),
                now(),
                &mut fill,
            )
            .expect("testkit issues a code");
        AuthorizationCodeGrant::new(SecretString::new(code.secret()))
            .redirect_uri("https://app.example/cb")
            .pkce_verifier(verifier)
            .to_request(client, ctx)?
    } else {
        ClientCredentials::new().to_request(client, ctx)?
    };
    TokenResponse::parse(&send(server, client, request), now())
}

#[test]
fn every_method_token_introspect_revoke_introspect_with_one_server_value() -> Result<()> {
    let key = es256_key()?;
    let mut server = AuthServer::new(ServerConfig::new(ISSUER).expect("issuer"), registry(&key)?);
    // The one server value every client and every request uses.
    let as_value: Arc<AuthorizationServer> = Arc::new(server.authorization_server()?);
    let rs = Client::new(
        (*as_value).clone(),
        ClientSecretBasic::new(ClientId::new("rs"), ClientSecret::new("rs-secret")),
    )?;
    // Each assertion needs a fresh jti: a counter stands in for a CSPRNG.
    let mut counter = 0u8;
    let mut entropy = |b: &mut [u8]| {
        for x in b.iter_mut() {
            counter = counter.wrapping_add(1);
            *x = counter;
        }
    };
    let mut ctx = Context::new(now(), &mut entropy);
    let mut seen = Vec::new();
    for (name, auth) in methods(key)? {
        let client = Client::from_arcs(Arc::clone(&as_value), auth)?;
        let token = token(&mut server, &client, &mut ctx)?;
        // A public client may not introspect (RFC 7662 §2.1: the caller must be authorized),
        // so a resource server asks for it; every other client asks itself.
        let introspector = if client.method() == grantwire::AuthMethod::None {
            &rs
        } else {
            &client
        };
        let introspect = IntrospectionRequest::access_token(token.access_token());
        let answer = send(
            &mut server,
            introspector,
            introspect.to_request(introspector, &mut ctx)?,
        );
        let active = IntrospectionResponse::parse(&answer, now())?;
        assert!(active.is_active(), "{name}: a fresh token is active");
        assert_eq!(
            active
                .active()
                .and_then(|t| t.client_id())
                .map(|c| c.as_str()),
            Some(client.client_id().map_or("", |c| c.as_str())),
            "{name}"
        );

        let revoke = RevocationRequest::access_token(token.access_token());
        let answer = send(&mut server, &client, revoke.to_request(&client, &mut ctx)?);
        assert_eq!(
            RevocationOutcome::parse(&answer, now())?,
            RevocationOutcome::Revoked,
            "{name}"
        );

        let answer = send(
            &mut server,
            introspector,
            introspect.to_request(introspector, &mut ctx)?,
        );
        let after = IntrospectionResponse::parse(&answer, now())?;
        assert!(!after.is_active(), "{name}: a revoked token is inactive");
        seen.push(client.method());
    }
    // Every client-authentication method the core and grantwire-jose offer went through.
    let mut expected: Vec<_> = grantwire::AuthMethod::ALL
        .into_iter()
        .filter(|m| *m != grantwire::AuthMethod::Unauthenticated)
        .collect();
    expected.sort_by_key(|m| m.as_str());
    seen.sort_by_key(|m| m.as_str());
    assert_eq!(seen, expected);
    Ok(())
}

/// The introspection endpoint is part of the server value: a server value without one is a
/// typed configuration error at build time, before anything is sent.
#[test]
fn a_server_value_without_introspection_is_a_typed_error() -> Result<()> {
    let server = AuthServer::new(
        ServerConfig::new(ISSUER).expect("issuer"),
        ClientRegistry::new(),
    );
    let full = server.authorization_server()?;
    let token_only = AuthorizationServer::new(full.token_endpoint().clone());
    let client = Client::new(
        token_only,
        ClientSecretBasic::new(ClientId::new("rs"), ClientSecret::new("rs-secret")),
    )?;
    let mut entropy = |b: &mut [u8]| b.fill(9);
    let err = IntrospectionRequest::new(SecretString::new("t"))
        .to_request(&client, &mut Context::new(now(), &mut entropy))
        .unwrap_err();
    assert_eq!(
        err,
        grantwire::Error::EndpointNotConfigured {
            endpoint: "introspection_endpoint"
        }
    );
    assert!(err.is_configuration());
    Ok(())
}
