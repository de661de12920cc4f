//! The blocking adapter for [`grantwire`]: a [`Transport`] on ureq 3 (rustls) that sends the
//! core's requests and hands status, headers and body back to its parsers, and a
//! [`TokenClient`] that keeps an access token fresh and attaches it to API requests.
//!
//! This crate, with the token source below it ([`grantwire_client`]), is where the clock is
//! read, OS randomness drawn and sockets opened; everything it decides beyond moving bytes
//! (refresh timing, single flight, backoff, `Retry-After`, invalidation) is the core's
//! lifecycle. ureq's types appear only in [`Transport::from_agent`] and [`Transport::agent`]:
//! a ureq major never forces a core major.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use grantwire_testkit::{AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, LoopbackServer, ServerConfig};
//! # let registry = ClientRegistry::new().with(
//! #     ClientConfig::new("svc", ClientAuthConfig::ClientSecretBasic(grantwire::ClientSecret::new("s3cret")))
//! #         .grant(GrantType::ClientCredentials).scopes(["read"]));
//! # let server = LoopbackServer::start(AuthServer::new(ServerConfig::new("https://placeholder.example")?, registry))?;
//! # let issuer = server.issuer(); // http://127.0.0.1:PORT, a loopback test server
//! use grantwire::{Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Issuer, Scope};
//! use grantwire_ureq::TokenClient;
//!
//! // Find the server's endpoints (RFC 8414), then build the client.
//! let metadata = grantwire_ureq::discover(&grantwire_ureq::Transport::new(), Issuer::parse(&issuer)?)?;
//! let client = Client::new(
//!     metadata.authorization_server()?,
//!     ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")),
//! )?;
//! let tokens = TokenClient::builder(client)
//!     .grant(ClientCredentials::new().scope(Scope::parse("read")?))
//!     .on_event(|event| eprintln!("token event: {event:?}")) // never holds a token
//!     .build();
//!
//! // Every call: a fresh token, the cache hit when one is held.
//! let token = tokens.token()?;
//! assert!(!token.access_token().secret().is_empty());
//!
//! // An API call with `Authorization: Bearer`, retried once after 401 invalid_token.
//! let response = tokens.send(http::Request::get(format!("{issuer}/resource")).body(Vec::new())?)?;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```
//!
//! A runnable program: `cargo run -p grantwire-ureq --example blocking_service` (the testkit's
//! loopback server unless `GRANTWIRE_ISSUER` names a real one).
//!
//! ## In scope
//! - [`Transport`]: one request, one capped response, typed failures
//!   ([`TransportFailure`] with the lifecycle's [`TransportError`] kind; a body over the cap
//!   has the source [`BodyTooLarge`], every other failure a [`UreqFailure`] without the URL).
//! - [`TokenClient`]: [`token`](TokenClient::token), [`send`](TokenClient::send) (Bearer
//!   attached, one retry after 401 `invalid_token`, RFC 6750 §3.1),
//!   [`introspect`](TokenClient::introspect) (RFC 7662), [`revoke`](TokenClient::revoke)
//!   (RFC 7009), [`discover`](TokenClient::discover) (RFC 8414 and OpenID discovery, through
//!   the core's [`Discover`](grantwire::Discover) step), events through
//!   [`on_event`](TokenClientBuilder::on_event).
//!
//! ## Out of scope
//! - Async: `grantwire-reqwest`. Middleware for other HTTP clients.
//! - Following redirects (never, on credentialed requests: RFC 9700 §4.11), response
//!   decompression (ureq's `gzip` feature is off, so the cap counts the bytes received),
//!   cookies (configure an agent and use [`Transport::from_agent`]).
//! - DPoP proofs. (Mutual TLS client certificates: [`Transport::with_client_certificate`];
//!   a private CA: [`TransportOptions::root_certificates`].)
//! - Retrying API requests for any reason but 401 `invalid_token`, or more than once.
//!
//! ## Defaults
//! | setting | default | where |
//! |---|---|---|
//! | redirects | never followed; a 3xx is returned as a response | [`Transport::with_options`] |
//! | 4xx / 5xx | returned as responses, for the core's parsers | [`Transport::with_options`] |
//! | response body cap | 1 MiB, enforced while reading ([`DEFAULT_MAX_BODY_BYTES`]) | [`TransportOptions::max_body_bytes`] |
//! | connect timeout | 10 s ([`DEFAULT_CONNECT_TIMEOUT`]) | [`TransportOptions::connect_timeout`] |
//! | total timeout | 30 s, body included ([`DEFAULT_TIMEOUT`]) | [`TransportOptions::timeout`] |
//! | `User-Agent` | `grantwire/<version>` ([`USER_AGENT`]) | |
//! | TLS | rustls with the webpki roots, ring provider | [`TransportOptions::root_certificates`], [`Transport::with_client_certificate`], [`Transport::from_agent`] |
//! | proxy | from the environment (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`...), as ureq reads it | [`Transport::from_agent`] to change |
//! | grant | client credentials | [`TokenClientBuilder::grant`] |
//! | refresh, backoff, `Retry-After` cap | [`LifecycleConfig::default`](grantwire::LifecycleConfig) | [`TokenClientBuilder::config`] |
//!
//! ## Secrets
//! The token request's body is lent to ureq from the core's wiped
//! [`SecretBody`](grantwire::SecretBody), never copied by this crate (ureq's and rustls'
//! write buffers are theirs and not wiped). The `Authorization: Bearer` value is built in a
//! wiped string and marked sensitive. [`Error`], [`TransportFailure`] and every event say
//! what failed, never with a token, a secret, a URL query or a body.
//!
//! [`TransportError`]: grantwire::lifecycle::TransportError
#![forbid(unsafe_code)]

mod client;
mod error;
mod transport;

pub use client::{discover, TokenClient, TokenClientBuilder};
pub use error::Error;
pub use grantwire_client::{TokenError, TokenEvent, TokenSource, TransportFailure};
pub use transport::{
    BodyTooLarge, InvalidPem, Transport, TransportOptions, UreqFailure, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, USER_AGENT,
};
