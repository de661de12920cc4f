//! Service to service without async: the client credentials grant with a client secret
//! (`client_secret_basic`), then an API call with the token attached, on the blocking
//! `TokenClient` (ureq). `send` retries once, with a new token, after a 401 `invalid_token`.
//!
//! ```sh
//! cargo run -p grantwire-ureq --example blocking_service
//! GRANTWIRE_ISSUER=https://as.example GRANTWIRE_CLIENT_ID=svc GRANTWIRE_CLIENT_SECRET=... \
//!     [GRANTWIRE_API_URL=https://api.example/v1/things] [GRANTWIRE_SCOPE=read] \
//!     cargo run -p grantwire-ureq --example blocking_service
//! ```
//!
//! Without `GRANTWIRE_ISSUER` it starts the testkit's loopback server with a demo client and
//! calls its resource endpoint. It prints the token redacted (a prefix and the length).

use std::error::Error;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use grantwire::lifecycle::Token;
use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
    Issuer, Scope,
};
use grantwire_testkit::{
    AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, EndpointKind, GrantType,
    LoopbackServer, ServerConfig,
};
use grantwire_ureq::{TokenClient, Transport};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The part that matters: a token client, a token, an API call.
fn run(
    server: AuthorizationServer,
    client_id: String,
    secret: ClientSecret,
    scope: Option<String>,
    api_url: Option<&str>,
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
    let tokens = TokenClient::builder(client).grant(grant).build();
    let token = tokens.token()?;
    writeln!(
        out,
        "access token: {} {}, expires in {} s",
        token.token_type().as_str(),
        redact(token.access_token().secret()),
        token.lifetime().as_secs(),
    )?;
    if let Some(url) = api_url {
        let response = tokens.send(http::Request::get(url).body(Vec::new())?)?;
        writeln!(
            out,
            "API call: {} ({} bytes)",
            response.status(),
            response.body().len()
        )?;
    }
    Ok(token)
}

/// The first characters of a secret and its length: enough to tell two apart, not to use one.
fn redact(secret: &str) -> String {
    let prefix: String = secret.chars().take(6).collect();
    format!("{prefix}… ({} chars)", secret.chars().count())
}

const DEMO_CLIENT_ID: &str = "demo-service";
const DEMO_SECRET: &str = "demo-secret-for-the-loopback-server-only";

/// The testkit's loopback server with the demo client; dropping it stops it.
fn demo() -> Result<LoopbackServer> {
    let client = ClientConfig::new(
        DEMO_CLIENT_ID,
        ClientAuthConfig::ClientSecretBasic(ClientSecret::new(DEMO_SECRET)),
    )
    .grant(GrantType::ClientCredentials)
    .scopes(["read"]);
    let config = ServerConfig::new("https://placeholder.example")?; // becomes 127.0.0.1:PORT
    let server =
        LoopbackServer::start(AuthServer::new(config, ClientRegistry::new().with(client)))?;
    eprintln!(
        "GRANTWIRE_ISSUER is not set: using a demo authorization server at {} with demo client {DEMO_CLIENT_ID:?}",
        server.issuer()
    );
    Ok(server)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn from_env() -> Result<Arc<Token>> {
    let mut out = std::io::stdout();
    let scope = env("GRANTWIRE_SCOPE");
    if let Some(issuer) = env("GRANTWIRE_ISSUER") {
        let metadata = grantwire_ureq::discover(&Transport::new(), Issuer::parse(&issuer)?)?;
        let id = env("GRANTWIRE_CLIENT_ID").ok_or("GRANTWIRE_CLIENT_ID is not set")?;
        let secret = env("GRANTWIRE_CLIENT_SECRET").ok_or("GRANTWIRE_CLIENT_SECRET is not set")?;
        let api = env("GRANTWIRE_API_URL");
        let server = metadata.authorization_server()?;
        return run(
            server,
            id,
            ClientSecret::new(secret),
            scope,
            api.as_deref(),
            &mut out,
        );
    }
    let demo = demo()?;
    let api = demo.lock().endpoint_url(EndpointKind::Resource);
    let (id, secret) = (DEMO_CLIENT_ID.into(), ClientSecret::new(DEMO_SECRET));
    run(
        demo.authorization_server()?,
        id,
        secret,
        scope,
        Some(&api),
        &mut out,
    )
}

fn main() -> ExitCode {
    match from_env() {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gets_a_token_calls_the_api_and_prints_no_secret() {
        let demo = demo().unwrap();
        let api = demo.lock().endpoint_url(EndpointKind::Resource);
        let server = demo.authorization_server().unwrap();
        let secret = ClientSecret::new(DEMO_SECRET);
        let mut out = Vec::new();
        let token = run(
            server,
            DEMO_CLIENT_ID.into(),
            secret,
            None,
            Some(&api),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let value = token.access_token().secret();
        assert!(
            !text.contains(value) && !text.contains(DEMO_SECRET),
            "{text}"
        );
        assert!(
            text.contains(&format!("Bearer {}, expires in 3600 s", redact(value))),
            "{text}"
        );
        assert!(text.contains("API call: 200 OK"), "{text}");
        let counters = demo.lock().counters().clone();
        assert_eq!(counters.endpoint(EndpointKind::Token), 1, "{counters:?}");
        assert_eq!(counters.endpoint(EndpointKind::Resource), 1, "{counters:?}");
    }
}
