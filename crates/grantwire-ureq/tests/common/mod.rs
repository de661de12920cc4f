//! Shared helpers: a loopback authorization server with one client_secret_post client.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, SystemTime};

use grantwire::{Client, ClientCredentials, ClientId, ClientSecret, ClientSecretPost, Context};
use grantwire_testkit::{
    AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, LoopbackServer,
    ServerConfig,
};

pub const CLIENT_ID: &str = "svc";
pub const SECRET: &str = "svc secret+%:";

pub fn auth_server(lifetime: Duration) -> AuthServer {
    let registry = ClientRegistry::new().with(
        ClientConfig::new(
            CLIENT_ID,
            ClientAuthConfig::ClientSecretPost(ClientSecret::new(SECRET)),
        )
        .grant(GrantType::ClientCredentials)
        .scopes(["read"]),
    );
    AuthServer::new(
        ServerConfig::new("https://placeholder.example")
            .unwrap()
            .access_token_lifetime(lifetime),
        registry,
    )
}

pub fn start(lifetime: Duration) -> LoopbackServer {
    LoopbackServer::start(auth_server(lifetime)).unwrap()
}

/// The client as the served server knows it; `secret` lets a test present a wrong one.
pub fn client_with(lo: &LoopbackServer, secret: &str) -> Client {
    Client::new(
        lo.authorization_server().unwrap(),
        ClientSecretPost::new(ClientId::new(CLIENT_ID), ClientSecret::new(secret)),
    )
    .unwrap()
}

pub fn client(lo: &LoopbackServer) -> Client {
    client_with(lo, SECRET)
}

/// A client-credentials request built by the core.
pub fn token_request(client: &Client) -> grantwire::SecretRequest {
    let mut rng = |b: &mut [u8]| b.fill(7);
    ClientCredentials::new()
        .to_request(client, &mut Context::new(SystemTime::now(), &mut rng))
        .unwrap()
}
