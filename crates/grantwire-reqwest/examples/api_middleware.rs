//! Calling an API through `reqwest-middleware` with automatic refresh: `GrantwireMiddleware`
//! attaches `Authorization: Bearer` to every request and, when the API answers 401
//! `invalid_token` (RFC 6750 §3.1), gets a new token and sends the request once more.
//!
//! ```sh
//! cargo run -p grantwire-reqwest --features middleware --example api_middleware
//! GRANTWIRE_ISSUER=https://as.example GRANTWIRE_CLIENT_ID=svc GRANTWIRE_CLIENT_SECRET=... \
//!     GRANTWIRE_API_URL=https://api.example/v1/things [GRANTWIRE_SCOPE=read] \
//!     cargo run -p grantwire-reqwest --features middleware --example api_middleware
//! ```
//!
//! It calls the API, revokes the token (RFC 7009; what an administrator or a key rotation
//! does behind a service's back), and calls again: the middleware recovers by itself. Without
//! `GRANTWIRE_ISSUER` it starts the testkit's loopback server, whose resource endpoint checks
//! the bearer token. Token events go to stderr (they never hold a token or secret).

mod support;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use grantwire::lifecycle::Token;
use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
    RevocationRequest, Scope,
};
use grantwire_reqwest::{GrantwireMiddleware, TokenClient};
use grantwire_testkit::{ClientAuthConfig, ClientConfig, EndpointKind, GrantType, LoopbackServer};
use support::Result;

/// The part that matters: a token client, the middleware around a reqwest client, API calls.
/// Returns the tokens used for the first and the last call.
async fn run(
    server: AuthorizationServer,
    client_id: String,
    secret: ClientSecret,
    scope: Option<String>,
    api_url: &str,
    out: &mut dyn Write,
) -> Result<(Arc<Token>, Arc<Token>)> {
    let client = Client::new(
        server,
        ClientSecretBasic::new(ClientId::new(client_id), secret),
    )?;
    let mut grant = ClientCredentials::new();
    if let Some(scope) = scope {
        grant = grant.scope(Scope::parse(&scope)?);
    }
    let tokens = TokenClient::builder(client)
        .grant(grant)
        .on_event(|event| eprintln!("token event: {event:?}"))
        .build()?;
    let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(GrantwireMiddleware::new(tokens.clone()))
        .build();

    let response = api.get(api_url).send().await?;
    writeln!(out, "first call: {}", response.status())?;
    let first = tokens.token().await?;
    support::print_token(out, "token used", &first)?;

    match tokens
        .revoke(RevocationRequest::access_token(first.access_token()))
        .await
    {
        Ok(_) => writeln!(out, "revoked that token at the server")?,
        Err(e) => writeln!(
            out,
            "could not revoke the token ({e}); the next call reuses it"
        )?,
    }
    // The API refuses the revoked token; the middleware refreshes and retries once.
    let response = api.get(api_url).send().await?;
    writeln!(out, "second call: {}", response.status())?;
    let last = tokens.token().await?;
    support::print_token(out, "token used", &last)?;
    Ok((first, last))
}

const DEMO_CLIENT_ID: &str = "demo-api-caller";
const DEMO_SECRET: &str = "demo-secret-for-the-loopback-server-only";

/// The demo server and the URL of its resource endpoint.
fn demo() -> Result<(LoopbackServer, String)> {
    let client = ClientConfig::new(
        DEMO_CLIENT_ID,
        ClientAuthConfig::ClientSecretBasic(ClientSecret::new(DEMO_SECRET)),
    )
    .grant(GrantType::ClientCredentials)
    .scopes([support::DEMO_SCOPE]);
    let server = support::demo_server("GRANTWIRE_ISSUER", support::demo_config()?, client)?;
    let api = server.lock().endpoint_url(EndpointKind::Resource);
    Ok((server, api))
}

async fn from_env() -> Result<(Arc<Token>, Arc<Token>)> {
    let mut out = std::io::stdout();
    let scope = support::env("GRANTWIRE_SCOPE");
    if let Some(server) = support::issuer_from_env().await? {
        let id = support::require("GRANTWIRE_CLIENT_ID")?;
        let secret = ClientSecret::new(support::require("GRANTWIRE_CLIENT_SECRET")?);
        let api = support::require("GRANTWIRE_API_URL")?;
        return run(server, id, secret, scope, &api, &mut out).await;
    }
    let (demo, api) = demo()?;
    let secret = ClientSecret::new(DEMO_SECRET);
    let server = demo.authorization_server()?;
    run(server, DEMO_CLIENT_ID.into(), secret, scope, &api, &mut out).await
}

#[tokio::main]
async fn main() -> ExitCode {
    support::exit(from_env().await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn recovers_from_a_revoked_token_with_one_refresh_and_one_retry() {
        let (demo, api) = demo().unwrap();
        let mut out = Vec::new();
        let server = demo.authorization_server().unwrap();
        let secret = ClientSecret::new(DEMO_SECRET);
        let (first, last) = run(server, DEMO_CLIENT_ID.into(), secret, None, &api, &mut out)
            .await
            .unwrap();
        assert_ne!(first.access_token().secret(), last.access_token().secret());
        let _ = support::printed_without_secrets(out.clone(), &first, &[DEMO_SECRET]);
        let text = support::printed_without_secrets(out, &last, &[DEMO_SECRET]);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines[0], "first call: 200 OK", "{text}");
        assert_eq!(lines[2], "revoked that token at the server", "{text}");
        assert_eq!(lines[3], "second call: 200 OK", "{text}");
        let counters = demo.lock().counters().clone();
        // One token at first, one after the 401; three API calls: ok, refused, retried.
        assert_eq!(counters.endpoint(EndpointKind::Token), 2, "{counters:?}");
        assert_eq!(counters.endpoint(EndpointKind::Resource), 3, "{counters:?}");
    }
}
