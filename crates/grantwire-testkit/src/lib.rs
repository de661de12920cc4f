//! # grantwire-testkit: a strict, in-memory OAuth 2.0 authorization server for tests
//!
//! [`AuthServer`] is Sans-IO: an `http::Request` with a byte body, or the `SecretRequest` a
//! grantwire builder returns ([`IncomingRequest`]), goes in with the current time and an
//! [`Entropy`](grantwire::Entropy) source, an `http::Response<Vec<u8>>` comes out. **It never
//! reads a clock, never draws randomness of its own and never opens a socket**; the optional
//! `loopback` feature adds [`LoopbackServer`], which serves it on `127.0.0.1` for clients that
//! need a real HTTP peer, and the `tls` feature its HTTPS listener
//! (`LoopbackServer::start_tls`, with certificates from a `TestPki` generated at start), which
//! asks for a client certificate and hands it to the server, so `tls_client_auth` and
//! `self_signed_tls_client_auth` run over a real handshake.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use grantwire::{Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Context, TokenResponse};
//! use grantwire_testkit::{AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, ServerConfig};
//!
//! let registry = ClientRegistry::new().with(
//!     ClientConfig::new("svc", ClientAuthConfig::ClientSecretBasic(ClientSecret::new("s3cret")))
//!         .grant(GrantType::ClientCredentials)
//!         .scopes(["read"]),
//! );
//! let mut server = AuthServer::new(ServerConfig::new("https://as.example")?, registry);
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut entropy = |buf: &mut [u8]| buf.fill(7); // a CSPRNG outside tests
//!
//! // The server hands out its own AuthorizationServer value: issuer and every endpoint.
//! let auth = ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret"));
//! let client = Client::new(server.authorization_server()?, auth)?;
//! let request = ClientCredentials::new().to_request(&client, &mut Context::new(now, &mut entropy))?;
//! let response = server.handle(&request, now, &mut entropy);
//! let token = TokenResponse::parse(&response, now)?;
//! assert_eq!(token.scope().map(|s| s.as_str()), Some("read"));
//! assert_eq!(server.counters().client("svc"), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Endpoints (paths below the issuer)
//! | path | what | RFC |
//! | --- | --- | --- |
//! | `/token` | client_credentials, refresh_token (rotating), authorization_code with PKCE, JWT bearer, token exchange | RFC 6749 §4.1.3, §4.4, §6; RFC 7636; RFC 7523 §2.1; RFC 8693 |
//! | `/introspect` | token introspection, per-client policy | RFC 7662 |
//! | `/revoke` | token revocation; a refresh token takes its access tokens with it | RFC 7009 |
//! | `/.well-known/oauth-authorization-server` | metadata listing exactly what is supported | RFC 8414 |
//! | `/resource` | a protected resource accepting bearer tokens | RFC 6750 |
//! | `/jwks` | the public key that signs JWT access tokens | RFC 7517 §5, RFC 9068 |
//!
//! Access tokens are opaque by default, or JWTs (RFC 9068) with
//! [`AccessTokenFormat::Jwt`]; either way they are stored, so introspection and revocation work.
//! Authorization codes come from [`AuthServer::issue_authorization_code`] (there is no
//! authorization endpoint: a test plays the user's consent).
//!
//! ## Client authentication, verified strictly
//! `client_secret_basic` (with RFC 6749 Appendix B form-decoding of id and secret),
//! `client_secret_post`, `none`, `client_secret_jwt` and `private_key_jwt` (verified with
//! `grantwire-jose` under the one algorithm registered for the client; `iss` = `sub` =
//! client_id; `aud` a single string: the issuer by default, or whichever of the three rules real
//! servers apply [`AssertionPolicy::audience`] demands (token endpoint URL everywhere, or the URL
//! of the endpoint called); `exp` required and at most
//! [`AssertionPolicy::max_lifetime`] ahead; `iat`/`nbf` within the leeway; `jti` required and
//! remembered until expiry), and the RFC 8705 methods through a [`PresentedCertificate`]
//! attached to the request as an `http` extension (by the `tls` listener after a real
//! handshake, or by a test); `tls_client_auth` matches the subject DN of a certificate whose
//! chain was verified, `self_signed_tls_client_auth` the registered certificate's bytes. A request using more than one mechanism is
//! refused. Secrets are compared in constant time. Errors follow RFC 6749 §5.2: `invalid_client`
//! is 401 with `WWW-Authenticate: Basic` when the `Authorization` header was used, 400 otherwise;
//! error bodies carry only fixed descriptions, never a value from the request.
//!
//! ## Why a client authentication failed
//! Every rejected client authentication gets a random `client_auth_id` member in its error body
//! (16 bytes of the server's entropy, hex) and an [`AuthEvent`] naming the exact
//! [`AuthFailureCause`] (wrong secret, unknown client, method not registered, assertion
//! expired, `aud` wrong and what it was, `jti` replayed, alg not allowed, certificate mismatch,
//! …), as Connect2id reports to its operators; accepted authentications are events too.
//! [`AuthServer::auth_events`] lists the last [`MAX_AUTH_EVENTS`], newest first. No event holds
//! a secret, an assertion or a token. `grantwire serve` shows them on a web page.
//!
//! ## For client tests
//! [`Fault`]s script the next responses of an endpoint (5xx, 429/503 with `Retry-After`, HTML,
//! malformed JSON, an error in a 200, a delay), and [`Counters`] tell how many requests each
//! endpoint and each client made.

#![forbid(unsafe_code)]

mod assertion;
mod client_auth;
mod events;
mod faults;
pub mod harness;
mod keys;
mod params;
mod registry;
mod server;
mod store;

#[cfg(feature = "loopback")]
mod loopback;
#[cfg(feature = "tls")]
mod tls;

pub use assertion::AssertionPolicy;
pub use events::{AuthEvent, AuthFailureCause, MAX_AUTH_EVENTS, MAX_EVENT_TEXT};
pub use faults::{Counters, EndpointKind, Fault, InjectedDelay};
pub use registry::{
    ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, IntrospectionPolicy,
    PresentedCertificate,
};
pub use server::{
    AccessTokenFormat, AuthServer, AuthorizationCodeRequest, IncomingRequest, ServerConfig,
};

pub use grantwire_jose;

#[cfg(feature = "loopback")]
pub use loopback::LoopbackServer;
#[cfg(feature = "tls")]
pub use tls::{ClientIdentity, TestPki, TlsListener};

/// Errors of the testkit's own API (configuration, registry loading, minting codes, the loopback
/// server). Requests to the server never produce one: they get an HTTP response.
///
/// No variant holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client registration is unusable.
    #[error("invalid registration for client {client_id:?}: {reason}")]
    InvalidRegistry {
        /// The client.
        client_id: String,
        /// Why.
        reason: &'static str,
    },
    /// The registry JSON is malformed (position only: the message never quotes the file, which
    /// holds secrets).
    #[error("the client registry JSON is malformed or has an unknown member (line {line}, column {column})")]
    RegistryJson {
        /// Line of the problem.
        line: usize,
        /// Column of the problem.
        column: usize,
    },
    /// The registry file could not be read.
    #[error("could not read the client registry file: {kind}")]
    RegistryFile {
        /// The I/O error kind.
        kind: std::io::ErrorKind,
    },
    /// A key or secret cannot serve the registered method or algorithm.
    #[error("unusable key: {reason}")]
    InvalidKey {
        /// Why.
        reason: &'static str,
    },
    /// The issuer identifier is not an `https` URL (or `http` on loopback) without query or
    /// fragment (RFC 8414 §2).
    #[error("invalid issuer identifier (RFC 8414 §2)")]
    InvalidIssuer,
    /// An authorization code or access token could not be minted by
    /// [`AuthServer::issue_authorization_code`] or [`AuthServer::issue_access_token`].
    #[error("cannot issue a code or token: {reason}")]
    CannotIssue {
        /// Why.
        reason: &'static str,
    },
    /// The loopback server could not start.
    #[error("loopback server: {kind}")]
    Io {
        /// The I/O error kind.
        kind: std::io::ErrorKind,
    },
    /// The TLS listener's certificates or configuration could not be made (feature `tls`).
    #[error("loopback TLS: {reason}")]
    Tls {
        /// Why.
        reason: &'static str,
    },
}
