//! The command line: every flag of every subcommand (docs/CLI.md is the reference).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

/// `grantwire`: OAuth 2.0 tokens for people and scripts.
#[derive(Debug, Parser)]
#[command(name = "grantwire", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Obtains an access token and prints it.
    Token(TokenArgs),
    /// Obtains an access token and prints `Authorization: Bearer …` for `curl -H`.
    Header(HeaderArgs),
    /// Asks the introspection endpoint about a token (RFC 7662).
    Introspect(TokenOpArgs),
    /// Revokes a token at the revocation endpoint (RFC 7009).
    Revoke(TokenOpArgs),
    /// Prints an issuer's metadata (RFC 8414, then OpenID Connect discovery).
    Discover(DiscoverArgs),
    /// Runs the embedded authorization server on loopback, with the debugging page.
    Serve(crate::serve::ServeArgs),
    /// Runs every client-authentication method against the embedded server.
    Demo(crate::demo::DemoArgs),
    /// The configuration file.
    Config {
        /// What to do with it.
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// `grantwire config …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Prints the JSON Schema of the configuration file.
    Schema,
}

/// The seven client-authentication methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[value(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub(crate) enum Method {
    /// client_secret_basic (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// client_secret_post (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// client_secret_jwt (RFC 7523 §2.2).
    ClientSecretJwt,
    /// private_key_jwt (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// tls_client_auth (RFC 8705 §2.1).
    TlsClientAuth,
    /// self_signed_tls_client_auth (RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
    /// none: a public client (RFC 6749 §2.1).
    None,
}

impl Method {
    /// The registered name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::TlsClientAuth => "tls_client_auth",
            Self::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
            Self::None => "none",
        }
    }
}

/// `--grant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Deserialize, Default)]
#[value(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub(crate) enum GrantKind {
    /// RFC 6749 §4.4.
    #[default]
    ClientCredentials,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 7523 §2.1.
    JwtBearer,
    /// RFC 8693.
    TokenExchange,
}

impl GrantKind {
    /// The name used on the command line and in the cache key.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::RefreshToken => "refresh_token",
            Self::JwtBearer => "jwt_bearer",
            Self::TokenExchange => "token_exchange",
        }
    }
}

/// `--provider`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[value(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub(crate) enum ProviderName {
    /// Auth0.
    Auth0,
    /// Okta.
    Okta,
    /// Microsoft Entra ID.
    Entra,
    /// Google.
    Google,
    /// Amazon Cognito.
    Cognito,
    /// Salesforce.
    Salesforce,
    /// Keycloak.
    Keycloak,
}

/// ENDPOINT.
#[derive(Debug, Args, Default)]
pub(crate) struct EndpointArgs {
    /// The issuer: endpoints found by discovery (RFC 8414, then OpenID Connect).
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: Option<String>,
    /// The token endpoint.
    #[arg(long, value_name = "URL")]
    pub(crate) token_endpoint: Option<String>,
    /// The introspection endpoint (RFC 7662).
    #[arg(long, value_name = "URL")]
    pub(crate) introspection_endpoint: Option<String>,
    /// The revocation endpoint (RFC 7009).
    #[arg(long, value_name = "URL")]
    pub(crate) revocation_endpoint: Option<String>,
    /// A provider preset: fills what it knows (quirks, assertion audience).
    #[arg(long, value_enum)]
    pub(crate) provider: Option<ProviderName>,
}

/// CLIENT-AUTH. The secret is never a flag: `GRANTWIRE_CLIENT_SECRET` or
/// `--client-secret-file`.
#[derive(Debug, Args, Default)]
pub(crate) struct AuthArgs {
    /// The client identifier.
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// The client-authentication method.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub(crate) auth_method: Option<Method>,
    /// A file holding the client secret (else `GRANTWIRE_CLIENT_SECRET`).
    #[arg(long, value_name = "FILE")]
    pub(crate) client_secret_file: Option<PathBuf>,
    /// The private key for private_key_jwt (PEM or JWK).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// The signing algorithm (private_key_jwt; client_secret_jwt, default HS256).
    #[arg(long, value_name = "ALG")]
    pub(crate) alg: Option<String>,
    /// The `kid` header of client assertions.
    #[arg(long, value_name = "KID")]
    pub(crate) kid: Option<String>,
    /// The `aud` of client assertions: issuer, token-endpoint, endpoint or a URL.
    #[arg(long, value_name = "AUD")]
    pub(crate) assertion_audience: Option<String>,
    /// The client certificate (PEM) for the tls methods.
    #[arg(long, value_name = "FILE")]
    pub(crate) cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE")]
    pub(crate) cert_key: Option<PathBuf>,
}

/// GRANT.
#[derive(Debug, Args, Default)]
pub(crate) struct GrantArgs {
    /// The grant.
    #[arg(long, value_enum)]
    pub(crate) grant: Option<GrantKind>,
    /// The refresh token (`--grant refresh_token`); `-` reads it from stdin.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) refresh_token: Option<String>,
    /// The assertion (`--grant jwt_bearer`); `-` reads it from stdin.
    #[arg(long, value_name = "JWT")]
    pub(crate) assertion: Option<String>,
    /// A Google service-account JSON file (`--grant jwt_bearer`).
    #[arg(long, value_name = "FILE")]
    pub(crate) service_account: Option<PathBuf>,
    /// The subject token (`--grant token_exchange`); `-` reads it from stdin.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) subject_token: Option<String>,
    /// The subject token's type URI (`--grant token_exchange`).
    #[arg(long, value_name = "URI")]
    pub(crate) subject_token_type: Option<String>,
    /// The scope (space-separated).
    #[arg(long, value_name = "SCOPE")]
    pub(crate) scope: Option<String>,
    /// The audience (repeatable).
    #[arg(long, value_name = "A")]
    pub(crate) audience: Vec<String>,
    /// A resource indicator (RFC 8707; repeatable).
    #[arg(long, value_name = "URI")]
    pub(crate) resource: Vec<String>,
    /// An extra parameter `k=v` (repeatable).
    #[arg(long, value_name = "K=V")]
    pub(crate) param: Vec<String>,
}

/// Flags every network subcommand shares.
#[derive(Debug, Args, Default)]
pub(crate) struct CommonArgs {
    /// A configuration file (TOML); flags override it.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The total timeout of each request, in seconds (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) timeout: Option<Duration>,
    /// Trust only the CA certificates in FILE (PEM) for the server's certificate, instead of
    /// the built-in WebPKI roots (a private CA; `grantwire serve`'s TLS listener).
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Strict parsing: every deviation from the RFCs is an error.
    #[arg(long, conflicts_with = "lenient")]
    pub(crate) strict: bool,
    /// Lenient parsing: tolerate the known provider quirks.
    #[arg(long)]
    pub(crate) lenient: bool,
    /// The output format (default: text).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) output: Format,
    /// Traces each request and response on stderr: method, URL, header names and values with
    /// credentials redacted, form parameter names (never values), status and content type.
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,
}

/// `grantwire token`.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// ENDPOINT.
    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,
    /// CLIENT-AUTH.
    #[command(flatten)]
    pub(crate) auth: AuthArgs,
    /// GRANT.
    #[command(flatten)]
    pub(crate) grant: GrantArgs,
    /// Shared flags.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Reuse a token across invocations (a 0600 file in the user's cache directory).
    #[arg(long)]
    pub(crate) cache: bool,
}

/// `grantwire header`: the same flags as `token`.
#[derive(Debug, Args)]
pub(crate) struct HeaderArgs {
    /// The same flags as `token`.
    #[command(flatten)]
    pub(crate) token: TokenArgs,
}

/// `grantwire introspect` and `grantwire revoke`.
#[derive(Debug, Args)]
pub(crate) struct TokenOpArgs {
    /// ENDPOINT.
    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,
    /// CLIENT-AUTH.
    #[command(flatten)]
    pub(crate) auth: AuthArgs,
    /// Shared flags.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The token; `-` reads it from stdin.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) token: String,
    /// `access_token` or `refresh_token` (RFC 7009 §2.1, RFC 7662 §2.1).
    #[arg(long, value_name = "HINT")]
    pub(crate) token_type_hint: Option<String>,
}

/// `grantwire discover`.
#[derive(Debug, Args)]
pub(crate) struct DiscoverArgs {
    /// The issuer.
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: String,
    /// The total timeout of each request, in seconds (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) timeout: Option<Duration>,
    /// Trust only the CA certificates in FILE (PEM), instead of the WebPKI roots.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// The output format (default: text).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) output: Format,
}

/// A positive number of seconds, fractions allowed (`0.5`).
fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("not a number of seconds: {s:?}"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err("the timeout must be above 0 and at most 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}
