//! # grantwire: Sans-IO OAuth 2.0 client building blocks
//!
//! Values in, values out. Builders turn values into a [`SecretRequest`] (method, URI, headers
//! and a form body); parsers turn a status, headers and body bytes into typed results. **This crate never opens a socket, never
//! reads a clock and never draws randomness of its own**: the current time is an argument and
//! entropy is an [`Entropy`] the caller passes in, so the same inputs give the same bytes.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use grantwire::{AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Context, Endpoint, Issuer, Scope, TokenResponse};
//!
//! // One value for the authorization server (or `ServerMetadata::authorization_server()`)...
//! let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?)
//!     .with_issuer(Issuer::parse("https://as.example")?);
//! // ...and one for the client: the server plus how to authenticate there, checked together.
//! let client = Client::new(server, ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")))?;
//! let grant = ClientCredentials::new().scope(Scope::parse("read write")?).audience("https://api.example");
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut entropy = |buf: &mut [u8]| buf.fill(0); // use a CSPRNG in production
//! let request = grant.to_request(&client, &mut Context::new(now, &mut entropy))?;
//! assert_eq!(request.method(), "POST");
//! // Its Debug never shows the body (credentials); the body is wiped when dropped.
//! assert!(!format!("{request:?}").contains("grant_type"));
//! // A transport reads `method()`, `uri()`, `headers()` and `body()`, or takes it apart with
//! // `into_parts()` (the body stays wiped on drop); `into_http()` gives a plain
//! // `http::Request<Vec<u8>>` whose body nothing wipes.
//! // ... any transport sends `request` and returns status, headers and body ...
//! let body = br#"{"access_token":"mF_9.B5f-4.1JqM","token_type":"Bearer","expires_in":3600}"#;
//! let token = TokenResponse::parse((http::StatusCode::OK, &http::HeaderMap::new(), body), now)?;
//! assert_eq!(token.expires_at(), Some(now + Duration::from_secs(3600)));
//! # Ok::<(), grantwire::Error>(())
//! ```
//!
//! ## In scope
//! - Token requests: client credentials (RFC 6749 §4.4, with `audience` and RFC 8707
//!   resources), refresh (§6), authorization code (§4.1.3) with PKCE (RFC 7636) and the
//!   authorization URL (§4.1.1), JWT bearer (RFC 7523 §2.1), token exchange (RFC 8693).
//! - Client authentication through one trait, [`ClientAuthentication`], with `none`,
//!   `client_secret_basic`, `client_secret_post`, `tls_client_auth` and
//!   `self_signed_tls_client_auth` built in; `grantwire-jose` adds the JWT methods.
//! - Token responses (RFC 6749 §5.1) and OAuth error responses (§5.2) under a [`Profile`],
//!   `WWW-Authenticate` (RFC 6750 §3) and `Retry-After` (RFC 9110 §10.2.3). Every parser takes
//!   an `&http::Response<B>` or a `(status, &headers, &body)` tuple ([`ResponseView`]).
//! - One error type, [`Error`], sorted by [`Error::kind`] into the server saying no, the server
//!   saying nonsense, a configuration mistake and a transient local failure; every error from a
//!   response carries its status and content type ([`Error::response`]).
//! - Introspection (RFC 7662, [`introspection`]), revocation (RFC 7009, [`revocation`]) and
//!   server metadata (RFC 8414 and OpenID discovery, [`metadata`]) messages, with helpers that pick
//!   a client-authentication method and signing algorithm from the metadata.
//! - Discovery as a step ([`discovery`]): the RFC 8414 URL, then the OpenID one, moving on only
//!   where there is no document and stopping on an issuer mismatch (RFC 8414 §3.3).
//! - Provider presets as data ([`providers`]: Auth0, Okta, Entra ID, Google service accounts,
//!   AWS Cognito, Salesforce, Keycloak).
//! - The token lifecycle state machine ([`lifecycle`]): single flight, proactive refresh,
//!   backoff with jitter honouring `Retry-After`, refresh-token rotation, events; scheduled on
//!   a monotonic `Instant` the caller passes in, so wall-clock steps change nothing.
//! - Secret newtypes that redact `Debug`, have no `Display`, compare in constant time and
//!   zeroize on drop; built requests ([`SecretRequest`]) that redact their body in `Debug`,
//!   allocate it once and wipe it on drop.
//!
//! ## Out of scope
//! - Sending requests (any HTTP client sends a [`SecretRequest`] and hands back the response),
//!   TLS and certificates, reading the clock, generating randomness, signing or verifying JWTs
//!   (`grantwire-jose`), caching tokens across processes, and the user-agent side of redirects.
//!
//! ## Bounded work
//! Parsers refuse bodies over [`ParseOptions::max_body_bytes`] (1 MiB by default) and JSON nested
//! deeper than [`ParseOptions::max_depth`] (16), with typed errors; they never panic.

#![forbid(unsafe_code)]

pub mod auth;
pub mod challenge;
mod client;
pub mod discovery;
pub mod endpoint;
pub mod error;
pub mod form;
pub mod grant;
pub mod introspection;
mod json;
pub mod lifecycle;
pub mod metadata;
pub mod parse;
pub mod pkce;
pub mod profile;
pub mod providers;
pub mod request;
pub mod response;
pub mod revocation;
mod scan;
pub mod scope;
pub mod secret;
mod server;
mod token_request;

pub use http;

pub use auth::{
    AssertionAudience, AuthMethod, AuthParts, AuthTarget, ClientAuthentication, ClientSecretBasic,
    ClientSecretPost, Context, Entropy, NoneAuth, SelfSignedTlsClientAuth, TlsClientAuth,
    Unauthenticated,
};
pub use challenge::Challenge;
pub use client::Client;
pub use discovery::{Discover, Discovered};
pub use endpoint::{Endpoint, Issuer};
pub use error::{
    Error, ErrorCode, ErrorKind, ErrorResponse, ErrorSource, ExpiresInProblem, ResponseInfo,
};
pub use grant::{
    AuthorizationCodeGrant, ClientCredentials, JwtBearer, RefreshGrant, TokenExchange,
};
pub use json::{redacted_snippet, SNIPPET_LEN};
pub use parse::{parse_error_response, ResponseView};
pub use pkce::{AuthorizationRequest, PkceVerifier, State};
pub use profile::{ParseOptions, Profile, Quirk, Quirks};
pub use request::{SecretBody, SecretRequest};
pub use response::{Expiry, TokenResponse, TokenType};
pub use scope::Scope;
pub use secret::{AccessToken, ClientId, ClientSecret, RefreshToken, SecretString};
pub use server::AuthorizationServer;

pub use introspection::{ActiveToken, IntrospectionRequest, IntrospectionResponse, TokenTypeHint};
pub use lifecycle::{LifecycleConfig, TokenLifecycle};
pub use metadata::{Discovery, ServerMetadata};
pub use revocation::{RevocationOutcome, RevocationRequest};

/// `docs/sans-io.md`, compiled and run as doctests so the guide's toy-transport driver cannot
/// drift from the API (only under `cargo test --doc`; not part of the crate).
#[cfg(doctest)]
#[doc = include_str!("../../../docs/sans-io.md")]
pub struct SansIoGuide;
