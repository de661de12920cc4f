//! A token for a Google service account: the JWT-bearer grant (RFC 7523 §2.1) with an
//! assertion signed by the key in the service-account JSON file, sent to its `token_uri`. The
//! `TokenClient` mints a fresh assertion for every token request, so refreshes just work.
//!
//! ```sh
//! cargo run -p grantwire-reqwest --example service_account
//! GRANTWIRE_SERVICE_ACCOUNT=sa.json GRANTWIRE_SCOPE=https://www.googleapis.com/auth/cloud-platform \
//!     cargo run -p grantwire-reqwest --example service_account
//! ```
//!
//! No issuer is needed: the file names the token endpoint. Without `GRANTWIRE_SERVICE_ACCOUNT`
//! it starts the testkit's loopback server, points a demo service-account file (its key made
//! for tests only) at it and registers the account's public key there.

mod support;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use grantwire::lifecycle::Token;
use grantwire::{AssertionAudience, Client, Unauthenticated};
use grantwire_jose::{Algorithm, BearerAssertion, ServiceAccountKey, MAX_BEARER_LIFETIME};
use grantwire_reqwest::TokenClient;
use grantwire_testkit::{
    AssertionPolicy, ClientAuthConfig, ClientConfig, GrantType, LoopbackServer,
};
use support::Result;

/// The part that matters: the file gives the key, the account and the token endpoint.
async fn run(json: &[u8], scope: Option<String>, out: &mut dyn Write) -> Result<Arc<Token>> {
    // Untrusted input: bounded, every field checked, the RSA key's rules applied.
    let account = ServiceAccountKey::from_json(json)?;
    let mut assertion = BearerAssertion::from_service_account(&account)?
        .lifetime(Duration::from_secs(300))?
        .with_jti();
    if let Some(scope) = scope {
        assertion = assertion.scope(scope); // Google reads the scope from the assertion
    }
    // The grant authenticates the account; no client authentication on top (Google's way).
    let client = Client::new(account.authorization_server()?, Unauthenticated)?;
    let tokens = TokenClient::builder(client)
        // A closure is a grant source: a new assertion (new `iat`, `exp`, `jti`) per request.
        .grant(move |client: &Client, ctx: &mut grantwire::Context<'_>| {
            let now = ctx.now();
            let jwt_bearer = assertion.grant(now, &mut |b: &mut [u8]| ctx.fill_random(b))?;
            jwt_bearer.to_request(client, ctx)
        })
        .build()?;
    let token = tokens.token().await?;
    writeln!(out, "service account {}", account.client_email())?;
    support::print_token(out, "access token", &token)?;
    Ok(token)
}

/// A service-account file whose key was made for tests only: it protects nothing.
const DEMO_ACCOUNT: &str = include_str!("support/demo-service-account.json");

/// The demo server, and the demo file pointed at it.
fn demo() -> Result<(LoopbackServer, Vec<u8>)> {
    let account = ServiceAccountKey::from_json(DEMO_ACCOUNT.as_bytes())?;
    let client = ClientConfig::new(
        account.client_email(),
        ClientAuthConfig::private_key_jwt(account.signing_key()?.jwks(), Algorithm::RS256)?,
    )
    .grant(GrantType::JwtBearer)
    .scopes([support::DEMO_SCOPE]);
    // Like Google: the assertion's audience is the token endpoint; it may live up to an hour.
    let policy = AssertionPolicy::new()
        .audience(AssertionAudience::TokenEndpoint)
        .max_lifetime(MAX_BEARER_LIFETIME);
    let server = support::demo_server(
        "GRANTWIRE_SERVICE_ACCOUNT",
        support::demo_config()?.assertion_policy(policy),
        client,
    )?;
    let mut file: serde_json::Value = serde_json::from_str(DEMO_ACCOUNT)?;
    file["token_uri"] = server.token_endpoint().into();
    Ok((server, serde_json::to_vec(&file)?))
}

async fn from_env() -> Result<Arc<Token>> {
    let mut out = std::io::stdout();
    let scope = support::env("GRANTWIRE_SCOPE");
    if let Some(path) = support::env("GRANTWIRE_SERVICE_ACCOUNT") {
        return run(&std::fs::read(path)?, scope, &mut out).await;
    }
    let (_server, file) = demo()?;
    run(
        &file,
        scope.or_else(|| Some(support::DEMO_SCOPE.into())),
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
    async fn gets_a_token_for_the_demo_account_and_prints_it_redacted() {
        let (demo, file) = demo().unwrap();
        let mut out = Vec::new();
        let token = run(&file, Some("read".into()), &mut out).await.unwrap();
        let text = support::printed_without_secrets(out, &token, &["PRIVATE KEY"]);
        assert!(text.contains("service account svc@"), "{text}");
        assert!(text.contains("expires in 3600 s, scope read"), "{text}");
        assert_eq!(demo.lock().counters().endpoint(EndpointKind::Token), 1);
    }
}
