//! Shared helpers for the testkit's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grantwire::{AuthorizationServer, Client, ClientAuthentication, ClientSecret, Context};
use grantwire_testkit::{
    AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, IntrospectionPolicy,
    ServerConfig,
};
use http::{Request, Response};

pub const ISSUER: &str = "https://as.example";
pub const T0: u64 = 1_700_000_000;

/// A deterministic entropy source (xorshift64*), distinct per seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
    }
}

pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// The standard registry used by the tests.
pub fn registry() -> ClientRegistry {
    ClientRegistry::new()
        .with(
            ClientConfig::new(
                "basic",
                ClientAuthConfig::ClientSecretBasic(ClientSecret::new("basic secret:+%")),
            )
            .grant(GrantType::ClientCredentials)
            .grant(GrantType::TokenExchange)
            .scopes(["read", "write"])
            .audience("https://api.example")
            .resource("https://api.example/v1"),
        )
        .with(
            ClientConfig::new(
                "post",
                ClientAuthConfig::ClientSecretPost(ClientSecret::new("post-secret")),
            )
            .grant(GrantType::ClientCredentials)
            .grant(GrantType::AuthorizationCode)
            .grant(GrantType::RefreshToken)
            .scopes(["read", "write", "admin"])
            .redirect_uri("https://app.example/cb"),
        )
        .with(
            ClientConfig::new("public", ClientAuthConfig::None)
                .grant(GrantType::AuthorizationCode)
                .grant(GrantType::RefreshToken)
                .grant(GrantType::ClientCredentials)
                .scopes(["read"])
                .redirect_uri("https://app.example/cb"),
        )
        .with(
            ClientConfig::new(
                "mtls",
                ClientAuthConfig::TlsClientAuth {
                    subject_dn: "CN=mtls,O=Example".into(),
                },
            )
            .grant(GrantType::ClientCredentials)
            .scopes(["read"]),
        )
        .with(
            ClientConfig::new(
                "selfsigned",
                ClientAuthConfig::SelfSignedTlsClientAuth {
                    certificates: vec![b"cert-der-bytes".to_vec()],
                },
            )
            .grant(GrantType::ClientCredentials)
            .scopes(["read"]),
        )
        .with(
            ClientConfig::new(
                "rs",
                ClientAuthConfig::ClientSecretBasic(ClientSecret::new("rs-secret")),
            )
            .introspection(IntrospectionPolicy::AnyToken),
        )
}

pub fn server() -> AuthServer {
    AuthServer::new(ServerConfig::new(ISSUER).unwrap(), registry())
}

/// The server as a client sees it: issuer (the default audience of client assertions) and
/// endpoints.
pub fn endpoint(server: &AuthServer) -> AuthorizationServer {
    server.authorization_server().unwrap()
}

/// A client of `server` authenticating with (a clone of) `auth`.
pub fn cl<A: ClientAuthentication + Clone + 'static>(
    server: &AuthorizationServer,
    auth: &A,
) -> Client {
    Client::new(server.clone(), auth.clone()).unwrap()
}

/// A client of `server` authenticating with a boxed method.
pub fn cl_box(server: &AuthorizationServer, auth: Box<dyn ClientAuthentication>) -> Client {
    Client::from_arcs(server.clone().into(), auth.into()).unwrap()
}

/// Runs `build` with a context at `now`.
pub fn build<T>(now: u64, rng: &mut Rng, build: impl FnOnce(&mut Context<'_>) -> T) -> T {
    let mut e = |b: &mut [u8]| rng.fill(b);
    let mut ctx = Context::new(at(now), &mut e);
    build(&mut ctx)
}

pub fn send(
    server: &mut AuthServer,
    req: &impl grantwire_testkit::IncomingRequest,
    now: u64,
    rng: &mut Rng,
) -> Response<Vec<u8>> {
    let mut e = |b: &mut [u8]| rng.fill(b);
    server.handle(req, at(now), &mut e)
}

pub fn json(resp: &Response<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(resp.body()).unwrap_or(serde_json::Value::Null)
}

/// Asserts an OAuth error with this code and status.
#[track_caller]
pub fn assert_error(resp: &Response<Vec<u8>>, code: &str, status: u16) {
    assert_eq!(
        resp.status().as_u16(),
        status,
        "body: {}",
        String::from_utf8_lossy(resp.body())
    );
    assert_eq!(
        json(resp)["error"],
        code,
        "body: {}",
        String::from_utf8_lossy(resp.body())
    );
}

/// A form POST to `url` with `pairs` and optional headers.
pub fn form_post(url: &str, pairs: &[(&str, &str)], headers: &[(&str, &str)]) -> Request<Vec<u8>> {
    let mut body = Vec::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            body.push(b'&');
        }
        body.extend_from_slice(grantwire::form::encode(k).as_bytes());
        body.push(b'=');
        body.extend_from_slice(grantwire::form::encode(v).as_bytes());
    }
    let mut b = Request::post(url).header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body).unwrap()
}
