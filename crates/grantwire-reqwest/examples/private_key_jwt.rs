//! Service to service with a private key: the client credentials grant, the client
//! authenticating with `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9). Each token
//! request carries a freshly signed, short-lived assertion; the key never leaves the process.
//!
//! ```sh
//! cargo run -p grantwire-reqwest --example private_key_jwt
//! GRANTWIRE_ISSUER=https://as.example GRANTWIRE_CLIENT_ID=svc GRANTWIRE_KEY_FILE=key.pem \
//!     [GRANTWIRE_KEY_ALG=ES256] [GRANTWIRE_SCOPE=read] \
//!     cargo run -p grantwire-reqwest --example private_key_jwt
//! ```
//!
//! The key file may be PEM (PKCS#8, PKCS#1, SEC1), DER or a private JWK; the algorithm
//! defaults to ES256. Without `GRANTWIRE_ISSUER` it starts the testkit's loopback server and
//! registers a demo client with the public half of a demo key (made for this demo only).

mod support;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use grantwire::lifecycle::Token;
use grantwire::{AuthorizationServer, Client, ClientCredentials, ClientId, Scope};
use grantwire_jose::{Algorithm, PrivateKey, PrivateKeyJwt, SigningKey};
use grantwire_reqwest::TokenClient;
use grantwire_testkit::{ClientAuthConfig, ClientConfig, GrantType, LoopbackServer};
use support::Result;

/// The part that matters: a signing key, the client authenticating with it, a token.
async fn run(
    server: AuthorizationServer,
    client_id: String,
    key: SigningKey,
    scope: Option<String>,
    out: &mut dyn Write,
) -> Result<Arc<Token>> {
    let kid = key.kid().unwrap_or("(none)").to_owned();
    let alg = key.algorithm();
    // The assertion's audience follows the server (its issuer when it has one, RFC 7523bis).
    let client = Client::new(server, PrivateKeyJwt::new(ClientId::new(client_id), key)?)?;
    let mut grant = ClientCredentials::new();
    if let Some(scope) = scope {
        grant = grant.scope(Scope::parse(&scope)?);
    }
    let tokens = TokenClient::builder(client).grant(grant).build()?;
    let token = tokens.token().await?;
    writeln!(
        out,
        "signed the client assertion with {} key {kid}",
        alg.name()
    )?;
    support::print_token(out, "access token", &token)?;
    Ok(token)
}

/// Reads the key file and binds it to one algorithm; the `kid` is the JWK's, or else the key's
/// RFC 7638 thumbprint.
fn signing_key(bytes: &[u8], alg: &str) -> Result<SigningKey> {
    let alg = Algorithm::from_name(alg).ok_or_else(|| format!("unknown algorithm {alg:?}"))?;
    Ok(SigningKey::new(alg, &PrivateKey::from_bytes(bytes)?)?)
}

const DEMO_CLIENT_ID: &str = "demo-service-pk";
/// A P-256 key made for this demo only: it protects nothing.
const DEMO_KEY: &str = include_str!("support/demo-es256.jwk.json");

fn demo(key: &SigningKey) -> Result<LoopbackServer> {
    let client = ClientConfig::new(
        DEMO_CLIENT_ID,
        ClientAuthConfig::private_key_jwt(key.jwks(), key.algorithm())?,
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
        let path = support::require("GRANTWIRE_KEY_FILE")?;
        let alg = support::env("GRANTWIRE_KEY_ALG").unwrap_or_else(|| "ES256".into());
        let key = signing_key(&std::fs::read(&path)?, &alg)?;
        return run(server, id, key, scope, &mut out).await;
    }
    let key = signing_key(DEMO_KEY.as_bytes(), "ES256")?;
    let demo = demo(&key)?;
    run(
        demo.authorization_server()?,
        DEMO_CLIENT_ID.into(),
        key,
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
    async fn authenticates_with_the_demo_key_and_prints_the_token_redacted() {
        let key = signing_key(DEMO_KEY.as_bytes(), "ES256").unwrap();
        let demo = demo(&key).unwrap();
        let mut out = Vec::new();
        let server = demo.authorization_server().unwrap();
        let token = run(server, DEMO_CLIENT_ID.into(), key, None, &mut out)
            .await
            .unwrap();
        // The private scalar `d` of the demo key must not appear either.
        let d = DEMO_KEY
            .split("\"d\": \"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let text = support::printed_without_secrets(out, &token, &[d]);
        assert!(text.contains("with ES256 key demo-es256"), "{text}");
        assert!(text.contains("expires in 3600 s, scope read"), "{text}");
        assert_eq!(demo.lock().counters().endpoint(EndpointKind::Token), 1);
    }
}
