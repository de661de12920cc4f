//! Shared helpers: a loopback authorization server with one confidential client.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, SystemTime};

use grantwire::{
    Client, ClientCredentials, ClientId, ClientSecret, ClientSecretPost, Context, SecretRequest,
};
use grantwire_testkit::{
    AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, IntrospectionPolicy,
    LoopbackServer, ServerConfig,
};

pub const CLIENT_ID: &str = "svc";
pub const SECRET: &str = "svc-secret";

pub fn registry() -> ClientRegistry {
    ClientRegistry::new()
        .with(
            ClientConfig::new(
                CLIENT_ID,
                ClientAuthConfig::ClientSecretPost(ClientSecret::new(SECRET)),
            )
            .grant(GrantType::ClientCredentials)
            .scopes(["read"])
            .introspection(IntrospectionPolicy::AnyToken),
        )
        .with(
            ClientConfig::new(
                "wrong",
                ClientAuthConfig::ClientSecretPost(ClientSecret::new("right")),
            )
            .grant(GrantType::ClientCredentials),
        )
}

/// A loopback server whose access tokens live `lifetime`.
pub fn server_with(lifetime: Duration) -> LoopbackServer {
    let config = ServerConfig::new("https://placeholder.example")
        .unwrap()
        .access_token_lifetime(lifetime);
    LoopbackServer::start(AuthServer::new(config, registry())).unwrap()
}

pub fn server() -> LoopbackServer {
    server_with(Duration::from_secs(3600))
}

/// The client `svc` of `lo`, with `secret`.
pub fn client_with(lo: &LoopbackServer, id: &str, secret: &str) -> Client {
    Client::new(
        lo.authorization_server().unwrap(),
        ClientSecretPost::new(ClientId::new(id), ClientSecret::new(secret)),
    )
    .unwrap()
}

pub fn client(lo: &LoopbackServer) -> Client {
    client_with(lo, CLIENT_ID, SECRET)
}

/// A client-credentials token request of `client`.
pub fn token_request(client: &Client) -> SecretRequest {
    let mut entropy = |b: &mut [u8]| b.fill(7);
    ClientCredentials::new()
        .to_request(client, &mut Context::new(SystemTime::now(), &mut entropy))
        .unwrap()
}
