//! # grantwire-reqwest: the async transport and token client for grantwire
//!
//! Sends the core's [`SecretRequest`](grantwire::SecretRequest)s with reqwest (rustls, no
//! native-tls or OpenSSL), keeps an access token fresh for every caller, and attaches it to API
//! requests. The core's API contains no reqwest type, so a reqwest major is a major of this
//! crate only. This crate, with `grantwire-client`, is where the clock, OS randomness and
//! sockets are used.
//!
//! ```no_run
//! use grantwire::{Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Issuer, Scope};
//! use grantwire_reqwest::{TokenClient, Transport};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Discover the server, then describe the client: values, no type parameters.
//! let metadata = Transport::new()?
//!     .discover(grantwire::Discover::new(Issuer::parse("https://as.example")?))
//!     .await?;
//! let client = Client::new(
//!     metadata.authorization_server()?,
//!     ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")),
//! )?;
//! let tokens = TokenClient::builder(client)
//!     .grant(ClientCredentials::new().scope(Scope::parse("read")?))
//!     .on_event(|event| eprintln!("{event:?}")) // no token or secret in any event
//!     .build()?;
//! // Every clone shares the token; concurrent callers share one token request.
//! let token = tokens.token().await?;
//! // API calls get `Authorization: Bearer` and one retry after a 401 invalid_token.
//! let request = tokens.transport().client().get("https://api.example/v1/things").build()?;
//! let response = tokens.send(request).await?;
//! # let _ = (token, response);
//! # Ok(()) }
//! ```
//!
//! Runnable programs in `examples/` (each uses the testkit's loopback server unless
//! `GRANTWIRE_ISSUER` names a real one): `service_secret`, `private_key_jwt`, `service_account`
//! (a Google service-account file, JWT-bearer grant) and `api_middleware` (feature
//! `middleware`), e.g. `cargo run -p grantwire-reqwest --example service_secret`.
//!
//! ## In scope
//! - [`Transport`]: one exchange, with the defaults below; failures are
//!   [`TransportFailure`]s whose kind the lifecycle backs off on.
//! - [`TokenClient`]: [`token`](TokenClient::token), [`send`](TokenClient::send) (attach, and
//!   the single retry after 401 `invalid_token`, RFC 6750 §3.1, never for a body that cannot be
//!   replayed), [`introspect`](TokenClient::introspect) (RFC 7662),
//!   [`revoke`](TokenClient::revoke) (RFC 7009), [`discover`](TokenClient::discover)
//!   (RFC 8414 with the core's [`Discover`](grantwire::Discover) step); events through
//!   [`TokenClientBuilder::on_event`] and `tracing`.
//! - Feature `middleware`: [`GrantwireMiddleware`] for `reqwest_middleware` 0.5.
//! - Feature `tower`: [`AuthLayer`] / [`AuthService`] for any `http::Request<B>` service
//!   (hyper, tonic and axum clients), with `B: Clone` for the replay.
//!
//! ## Out of scope
//! Refresh policy, single flight and backoff (the core's lifecycle, driven by
//! `grantwire-client`), sleeping through a backoff (a call during one returns
//! [`TokenError::Unavailable`] at once with the instant to retry), blocking I/O
//! (`grantwire-ureq`), DPoP and mutual TLS, caching tokens across processes.
//!
//! ## Defaults
//! | what | default | change with |
//! | --- | --- | --- |
//! | redirects | never followed (RFC 9700 §4.11): a 3xx reaches the parser, which refuses it | [`Transport::from_client`] (then yours to set) |
//! | connect timeout | 10 s | [`TransportOptions::connect_timeout`] |
//! | total timeout (connect to last body byte) | 30 s | [`TransportOptions::timeout`] |
//! | response body | 1 MiB, capped while reading ([`BodyTooLarge`]) | [`TransportOptions::max_body_bytes`] |
//! | `User-Agent` | `grantwire/<version>` ([`USER_AGENT_VALUE`]) | a header on the request |
//! | TLS | rustls, platform verifier | [`Transport::from_client`] |
//! | grant | client credentials | [`TokenClientBuilder::grant`] |
//! | lifecycle policy | [`LifecycleConfig::default`](grantwire::LifecycleConfig) | [`TokenClientBuilder::config`] |
//!
//! API requests sent by [`TokenClient::send`] use the same reqwest client (no redirects,
//! same timeouts); their bodies are the caller's to read.
//!
//! ## Features
//! | feature | adds |
//! | --- | --- |
//! | `middleware` | [`GrantwireMiddleware`] (reqwest-middleware 0.5) |
//! | `tower` | [`AuthLayer`], [`AuthService`] (tower-layer / tower-service 0.3) |
#![forbid(unsafe_code)]

mod bearer;
mod client;
mod error;
#[cfg(feature = "tower")]
mod layer;
#[cfg(feature = "middleware")]
mod middleware;
mod transport;
mod url_cache;

pub use client::{TokenClient, TokenClientBuilder};
pub use error::Error;
#[cfg(feature = "tower")]
pub use layer::{AuthLayer, AuthService, BoxError};
#[cfg(feature = "middleware")]
pub use middleware::GrantwireMiddleware;
pub use transport::{BodyTooLarge, Transport, TransportOptions, USER_AGENT_VALUE};

pub use grantwire_client::{TokenError, TokenEvent, TokenSource, TransportFailure};
