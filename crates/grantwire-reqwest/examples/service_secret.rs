//! Service to service with a client secret: the client credentials grant (RFC 6749 §4.4) with
//! `client_secret_basic`, through a `TokenClient` that caches the token and refreshes it.
//!
//! ```sh
//! cargo run -p grantwire-reqwest --example service_secret
//! GRANTWIRE_ISSUER=https://as.example GRANTWIRE_CLIENT_ID=svc GRANTWIRE_CLIENT_SECRET=... \
//!     [GRANTWIRE_SCOPE="read write"] cargo run -p grantwire-reqwest --example service_secret
//! ```
//!
//! Without `GRANTWIRE_ISSUER` it starts the testkit's loopback server with a demo client. It
//! prints the token redacted (a prefix and the length), never in full.

mod support;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use grantwire::lifecycle::Token;
use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
    Scope,
};
use grantwire_reqwest::TokenClient;
use grantwire_testkit::{ClientAuthConfig, ClientConfig, GrantType, LoopbackServer};
use support::Result;

/// The part that matters: describe the client, build a token client, ask it for a token.
async fn run(
    server: AuthorizationServer,
    client_id: String,
    secret: ClientSecret,
    scope: Option<String>,
    out: &mut dyn Write,
) -> Result<Arc<Token>> {
    let client = Client::new(
        server,
        ClientSecretBasic::new(ClientId::new(client_id), secret),
    )?;
    let mut grant = ClientCredentials::new();
    if let Some(scope) = scope {
        grant = grant.scope(Scope::parse(&scope)?);
    }
    // One value, cheap to clone into every task that needs a token.
    let tokens = TokenClient::builder(client).grant(grant).build()?;
    let token = tokens.token().await?;
    support::print_token(out, "access token", &token)?;
    // Until the refresh is due every call is a cache hit: same token, no request.
    let again = tokens.token().await?;
    writeln!(
        out,
        "second call served from the cache: {}",
        Arc::ptr_eq(&token, &again)
    )?;
    Ok(token)
}

const DEMO_CLIENT_ID: &str = "demo-service";
const DEMO_SECRET: &str = "demo-secret-for-the-loopback-server-only";

fn demo() -> Result<LoopbackServer> {
    let client = ClientConfig::new(
        DEMO_CLIENT_ID,
        ClientAuthConfig::ClientSecretBasic(ClientSecret::new(DEMO_SECRET)),
    )
    .grant(GrantType::ClientCredentials)
    .scopes([support::DEMO_SCOPE]);
    support::demo_server("GRANTWIRE_ISSUER", support::demo_config()?, client)
}

async fn from_env() -> Result<Arc<Token>> {
    let mut out = std::io::stdout();
    let scope = support::env("GRANTWIRE_SCOPE");
    if let Some(server) = support::issuer_from_env().await? {
        let id = support::require("GRANTWIRE_CLIENT_ID")?;
        let secret = ClientSecret::new(support::require("GRANTWIRE_CLIENT_SECRET")?);
        return run(server, id, secret, scope, &mut out).await;
    }
    let demo = demo()?;
    let secret = ClientSecret::new(DEMO_SECRET);
    run(
        demo.authorization_server()?,
        DEMO_CLIENT_ID.into(),
        secret,
        scope,
        &mut out,
    )
    .await
}

#[tokio::main]
async fn main() -> ExitCode {
    support::exit(from_env().await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use grantwire_testkit::EndpointKind;

    #[tokio::test]
    async fn gets_a_token_from_the_demo_server_and_prints_it_redacted() {
        let demo = demo().unwrap();
        let mut out = Vec::new();
        let server = demo.authorization_server().unwrap();
        let secret = ClientSecret::new(DEMO_SECRET);
        let token = run(
            server,
            DEMO_CLIENT_ID.into(),
            secret,
            Some("read".into()),
            &mut out,
        )
        .await
        .unwrap();
        let text = support::printed_without_secrets(out, &token, &[DEMO_SECRET]);
        assert!(text.contains("expires in 3600 s, scope read"), "{text}");
        assert!(text.contains("served from the cache: true"), "{text}");
        assert_eq!(demo.lock().counters().endpoint(EndpointKind::Token), 1);
    }

    #[tokio::test]
    async fn works_with_a_discovered_issuer_as_with_grantwire_issuer_set() {
        let demo = demo().unwrap();
        let server = support::discover(&demo.issuer()).await.unwrap();
        let mut out = Vec::new();
        let secret = ClientSecret::new(DEMO_SECRET);
        let token = run(server, DEMO_CLIENT_ID.into(), secret, None, &mut out)
            .await
            .unwrap();
        let text = support::printed_without_secrets(out, &token, &[DEMO_SECRET]);
        assert!(text.contains("expires in 3600 s"), "{text}");
        assert_eq!(demo.lock().counters().endpoint(EndpointKind::Token), 1);
    }
}
