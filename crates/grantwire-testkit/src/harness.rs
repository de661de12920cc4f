//! A fuzzing harness for the token endpoint, shared by the cargo-fuzz target
//! `testkit_token_endpoint` and the stable test that replays its corpus.

use std::time::{Duration, UNIX_EPOCH};

use grantwire::{ClientSecret, Scope};
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request, StatusCode};

use crate::{
    AuthServer, AuthorizationCodeRequest, ClientAuthConfig, ClientConfig, ClientRegistry,
    GrantType, PresentedCertificate, ServerConfig,
};

/// The code verifier of the authorization code the harness mints first (RFC 7636 §4.1).
pub const HARNESS_CODE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The secret of the harness's `client_secret_jwt` client `hs` (HS256).
pub const HARNESS_HS256_SECRET: &str = "harness-hs256-secret-of-at-least-32-bytes";

/// A deterministic generator: the harness's tokens are the same on every run, so a corpus can
/// hold valid codes and tokens.
struct Counter(u64);

impl Counter {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            *b = (self.0 >> 56) as u8;
        }
    }
}

/// A server with one client per built-in authentication method, every grant, and an
/// authorization code (for client `pub`, verifier [`HARNESS_CODE_VERIFIER`]) and an access token
/// (client `post`) already issued. Returns the server, the code and the token.
pub fn harness_server() -> (AuthServer, String, String) {
    let all = |c: ClientConfig| {
        c.grant(GrantType::ClientCredentials)
            .grant(GrantType::AuthorizationCode)
            .grant(GrantType::RefreshToken)
            .grant(GrantType::TokenExchange)
            .grant(GrantType::JwtBearer)
            .scopes(["read", "write"])
            .audience("https://api.example")
            .resource("https://api.example/v1")
            .redirect_uri("https://app.example/cb")
    };
    let registry = ClientRegistry::new()
        .with(all(ClientConfig::new(
            "basic",
            ClientAuthConfig::ClientSecretBasic(ClientSecret::new("basic-secret")),
        )))
        .with(all(ClientConfig::new(
            "post",
            ClientAuthConfig::ClientSecretPost(ClientSecret::new("post-secret")),
        )))
        .with(all(ClientConfig::new("pub", ClientAuthConfig::None)))
        .with(all(ClientConfig::new(
            "hs",
            ClientAuthConfig::ClientSecretJwt {
                secret: ClientSecret::new(HARNESS_HS256_SECRET),
                alg: grantwire_jose::Algorithm::HS256,
            },
        )))
        .with(all(ClientConfig::new(
            "mtls",
            ClientAuthConfig::TlsClientAuth {
                subject_dn: "CN=mtls".into(),
            },
        )));
    // Invariant: a constant, valid issuer; no input reaches this call.
    #[allow(clippy::expect_used)]
    let config = ServerConfig::new("https://as.example")
        .expect("constant issuer is valid")
        .refresh_with_client_credentials(true);
    let mut server = AuthServer::new(config, registry);
    let mut rng = Counter(1);
    let mut entropy = |b: &mut [u8]| rng.fill(b);
    let challenge = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(HARNESS_CODE_VERIFIER.as_bytes()))
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let code = server
        .issue_authorization_code(
            &AuthorizationCodeRequest::new("pub", "alice")
                .redirect_uri("https://app.example/cb")
                .code_challenge_s256(challenge),
            now,
            &mut entropy,
        )
        .map(|c| c.secret().to_owned())
        .unwrap_or_default();
    let token = server
        .issue_access_token(
            "post",
            "alice",
            Scope::parse("read").ok().as_ref(),
            now,
            &mut entropy,
        )
        .map(|t| t.secret().to_owned())
        .unwrap_or_default();
    (server, code, token)
}

/// Runs arbitrary bytes as one request to the token endpoint of [`harness_server`] and returns
/// the status. Layout: a flag byte (bit 0: form content type, bit 1: GET instead of POST, bit 2:
/// a presented certificate, bit 3: an `Authorization` header, bit 4: a second one), a length
/// byte `n`, `n` bytes of header value, then the body.
pub fn token_endpoint_input(data: &[u8]) -> StatusCode {
    let (server, _, _) = harness_server();
    run(server, data)
}

fn run(mut server: AuthServer, data: &[u8]) -> StatusCode {
    let flags = data.first().copied().unwrap_or(0);
    let n = usize::from(data.get(1).copied().unwrap_or(0));
    let rest = data.get(2..).unwrap_or_default();
    let (header, body) = rest.split_at(n.min(rest.len()));
    let mut request = Request::new(body.to_vec());
    *request.method_mut() = if flags & 2 != 0 {
        Method::GET
    } else {
        Method::POST
    };
    if let Ok(uri) = server.token_endpoint().parse() {
        *request.uri_mut() = uri;
    }
    if flags & 1 != 0 {
        request.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    if flags & 4 != 0 {
        request
            .extensions_mut()
            .insert(PresentedCertificate::new(header.to_vec(), "CN=mtls"));
    }
    if let Ok(value) = HeaderValue::from_bytes(header) {
        if flags & 8 != 0 {
            request.headers_mut().append(AUTHORIZATION, value.clone());
        }
        if flags & 16 != 0 {
            request.headers_mut().append(AUTHORIZATION, value);
        }
    }
    let mut rng = Counter(u64::from(flags) + 2);
    let mut entropy = |b: &mut [u8]| rng.fill(b);
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_010);
    server.handle(&request, now, &mut entropy).status()
}
