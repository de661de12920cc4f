//! What the examples share and is not the point of any of them: reading settings from the
//! environment, the demo authorization server (the testkit's loopback server) used when no real
//! issuer is configured, and printing a token without printing it.
#![allow(dead_code)]

use std::error::Error;
use std::io::Write;
use std::process::ExitCode;

use grantwire::lifecycle::Token;
use grantwire::{AuthorizationServer, Discover, Issuer};
use grantwire_reqwest::Transport;
use grantwire_testkit::{AuthServer, ClientConfig, ClientRegistry, LoopbackServer, ServerConfig};

/// The error type of the examples: anything, shown with its `Display` (never a secret).
pub(crate) type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The scope the demo server grants.
pub(crate) const DEMO_SCOPE: &str = "read";

/// `name` from the environment, when set and not empty.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `name` from the environment, or an error saying it is needed.
pub(crate) fn require(name: &str) -> Result<String> {
    env(name).ok_or_else(|| format!("{name} is not set (needed with GRANTWIRE_ISSUER)").into())
}

/// The real server named by `GRANTWIRE_ISSUER`, found by discovery (RFC 8414), or `None`.
pub(crate) async fn issuer_from_env() -> Result<Option<AuthorizationServer>> {
    match env("GRANTWIRE_ISSUER") {
        Some(issuer) => Ok(Some(discover(&issuer).await?)),
        None => Ok(None),
    }
}

/// The server whose issuer identifier is `issuer`, from its metadata (RFC 8414 §3).
pub(crate) async fn discover(issuer: &str) -> Result<AuthorizationServer> {
    let metadata = Transport::new()?
        .discover(Discover::new(Issuer::parse(issuer)?))
        .await?;
    Ok(metadata.authorization_server()?)
}

/// Starts the testkit's loopback server (127.0.0.1, a free port) with `client` registered,
/// and says on stderr that it does so because the variable `unset` is not set. Dropping the
/// value stops it.
pub(crate) fn demo_server(
    unset: &str,
    config: ServerConfig,
    client: ClientConfig,
) -> Result<LoopbackServer> {
    let id = client.client_id().as_str().to_owned();
    let registry = ClientRegistry::new().with(client);
    let server = LoopbackServer::start(AuthServer::new(config, registry))?;
    eprintln!(
        "{unset} is not set: using a demo authorization server at {} with demo client {id:?}",
        server.issuer()
    );
    Ok(server)
}

/// The demo server's configuration (the issuer is replaced by the loopback address).
pub(crate) fn demo_config() -> Result<ServerConfig> {
    Ok(ServerConfig::new("https://placeholder.example")?)
}

/// The first characters of a secret and its length: enough to tell two apart, not to use one.
pub(crate) fn redact(secret: &str) -> String {
    let prefix: String = secret.chars().take(6).collect();
    format!("{prefix}… ({} chars)", secret.chars().count())
}

/// One line about `token`: redacted value, type, lifetime and scope.
pub(crate) fn print_token(out: &mut dyn Write, label: &str, token: &Token) -> std::io::Result<()> {
    let scope = token.scope().map_or("(not stated)", |s| s.as_str());
    writeln!(
        out,
        "{label}: {} {}, expires in {} s, scope {scope}",
        token.token_type().as_str(),
        redact(token.access_token().secret()),
        token.lifetime().as_secs(),
    )
}

/// The process exit status for `result`, printing the error (and its causes) on stderr.
pub(crate) fn exit<T>(result: Result<T>) -> ExitCode {
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut cause = e.source();
            while let Some(c) = cause {
                eprintln!("  caused by: {c}");
                cause = c.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// For the examples' tests: what was printed, checked to hold neither `token` nor any of
/// `secrets` in full.
pub(crate) fn printed_without_secrets(out: Vec<u8>, token: &Token, secrets: &[&str]) -> String {
    let text = String::from_utf8(out).expect("the examples print UTF-8");
    let token = token.access_token().secret();
    assert!(!text.contains(token), "the full token was printed:\n{text}");
    assert!(
        text.contains(&redact(token)),
        "no redacted token in:\n{text}"
    );
    for secret in secrets {
        assert!(!text.contains(secret), "a secret was printed:\n{text}");
    }
    text
}
