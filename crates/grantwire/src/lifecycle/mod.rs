//! The token lifecycle: a Sans-IO state machine that keeps one access token fresh for one key
//! (client, scope set, audience/resources), in the quinn-proto style.
//!
//! The machine never reads a clock, never sleeps and never sends anything: time is an argument
//! of every input, randomness comes in through the [`Context`](crate::Context) given to
//! [`TokenLifecycle::request`], and requests go out as [`SecretRequest`](crate::SecretRequest) values that any
//! transport sends.
//!
//! ## Two clocks, one for scheduling
//! Every input takes `now: std::time::Instant`, a **monotonic** reading the caller takes
//! (`Instant::now()` in production). All scheduling is measured on it: a token's age runs from
//! the instant its response was fed to [`TokenLifecycle::handle_response`], a request times out
//! [`LifecycleConfig::request_timeout`] after the `poll` that sent it, a backoff runs from the
//! failure. The wall clock (`SystemTime`) enters only through the `Context` given to
//! [`TokenLifecycle::request`], where client assertions need it for `iat`/`exp`; the machine
//! uses it for nothing but reporting [`Token::expires_at`] and reading `Retry-After` dates. An
//! NTP step, in either direction, changes no decision.
//!
//! Each input is judged on its own `now`; the machine keeps no "latest time" that one wrong
//! reading could raise for good. Ages are distances in either direction
//! (`|now - received|`), so whatever the caller passes (an instant standing still, jumping
//! ahead, or earlier than a previous one) the machine never hands out a token whose age
//! measured from its receipt reaches its lifetime. A wrong reading costs at most one early
//! fetch.
//!
//! Methods come in four kinds:
//! - **output** (`#[must_use]`): [`TokenLifecycle::poll`] answers "here is a fresh token",
//!   "send this request", "wait for this" or "a human must act";
//!   [`TokenLifecycle::poll_event`] hands out what happened; [`TokenLifecycle::poll_timeout`]
//!   says when to call [`TokenLifecycle::handle_timeout`].
//! - **input**: [`TokenLifecycle::handle_response`] (or
//!   [`TokenLifecycle::handle_http_response`]), [`TokenLifecycle::handle_transport_error`]
//!   (connection refused, could not send, transport timeout) and
//!   [`TokenLifecycle::handle_timeout`].
//! - **commands**: [`TokenLifecycle::request`] (build the request [`Next::Send`] asked for),
//!   [`TokenLifecycle::invalidate`] (a resource server answered 401 `invalid_token`,
//!   RFC 6750 §3.1), [`TokenLifecycle::seed`], [`TokenLifecycle::resume`].
//! - **getters** taking `&self`.
//!
//! ## Run loop
//! After every input, call `poll` until it stops answering `Send`, and drain `poll_event`.
//! A [`Next::Wait`] says what it waits for: with [`WaitFor::Response`] a driver parks the
//! caller on that request id and wakes it the moment the response (or transport failure) for
//! that id has been fed in, not at the deadline; with [`WaitFor::Backoff`] nothing can happen
//! before `until`.
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
//! use grantwire::lifecycle::{Next, TokenLifecycle, LifecycleConfig, TransportError, WaitFor};
//! use grantwire::{AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Context, Endpoint};
//!
//! let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?);
//! let client = Client::new(server, ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")))?;
//! let mut lc = TokenLifecycle::new(client, ClientCredentials::new(), LifecycleConfig::default());
//! let mut rng = |b: &mut [u8]| b.fill(9); // a CSPRNG in production
//! let start = Instant::now();              // monotonic: schedules everything
//! let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000); // SystemTime::now(): only for the Context
//!
//! let id = match lc.poll(start) { Next::Send(id) => id, other => panic!("{other:?}") };
//! let request = lc.request(id, &mut Context::new(wall, &mut rng))?;
//! assert_eq!(request.body(), b"grant_type=client_credentials");
//! // The connection is refused: back off (like a 5xx), then try again.
//! let _ = lc.handle_transport_error(id, TransportError::Connect, start);
//! let retry = match lc.poll(start) {
//!     Next::Wait { until, reason: WaitFor::Backoff } => until,
//!     other => panic!("{other:?}"),
//! };
//! let id = match lc.poll(retry) { Next::Send(id) => id, other => panic!("{other:?}") };
//! let _request = lc.request(id, &mut Context::new(wall, &mut rng))?;
//! // 999 more callers arrive while the request is in flight: they wait for its response,
//! // nothing is sent twice.
//! for _ in 0..999 {
//!     assert!(matches!(lc.poll(retry), Next::Wait { reason: WaitFor::Response(r), .. } if r == id));
//! }
//! let body = br#"{"access_token":"mF_9.B5f-4.1JqM","token_type":"Bearer","expires_in":3600}"#;
//! let received = retry + Duration::from_millis(40);
//! let _ = lc.handle_response(id, http::StatusCode::OK, &http::HeaderMap::new(), body, received);
//! match lc.poll(received) {
//!     Next::Ready(token) => assert_eq!(token.access_token().secret(), "mF_9.B5f-4.1JqM"),
//!     other => panic!("{other:?}"),
//! }
//! // An hour after receipt, by the monotonic clock, the token is never served again.
//! assert!(!matches!(lc.poll(received + Duration::from_secs(3600)), Next::Ready(_)));
//! while let Some(event) = lc.poll_event() { let _ = event; /* log or persist */ }
//! # Ok::<(), grantwire::Error>(())
//! ```
//!
//! ## Policy
//! - **Single flight**: at most one request in flight; every other caller is served the current
//!   token or told to wait.
//! - **Proactive refresh** when [`LifecycleConfig::refresh_share`] of the lifetime has passed or
//!   [`LifecycleConfig::refresh_buffer`] before expiry is reached, whichever comes first; the
//!   buffer never exceeds half the lifetime. The old token is served until its real expiry.
//! - **Unknown expiry** (no `expires_in`): [`LifecycleConfig::default_lifetime`], never forever.
//! - **Failures** (an error answer, a transport failure, a timeout, a request that could not be
//!   built for a transient reason): exponential backoff with jitter, at least the server's
//!   `Retry-After`; never a retry after `invalid_client`, `invalid_grant`,
//!   `unauthorized_client` or `invalid_scope` ([`ErrorCode::needs_human`](crate::ErrorCode::needs_human))
//!   or a request that cannot be built because of the configuration
//!   ([`Error::is_configuration`](crate::Error::is_configuration)): the event says
//!   [`Retry::NeedsHuman`].
//! - **Refresh tokens** are used when the server issued one, replaced when it rotates them, and
//!   dropped for the original grant when the server rejects them.

mod clock;
mod config;
mod grant;
mod keyed;
mod machine;
mod outcome;
mod token;

pub use config::LifecycleConfig;
pub use grant::GrantSource;
pub use keyed::{KeyId, LifecycleKey, TokenLifecycles};
pub use machine::TokenLifecycle;
pub use outcome::{
    Event, FetchError, FetchKind, Handled, Next, Obtained, RequestId, Retry, TransportError,
    WaitFor, MAX_QUEUED_EVENTS,
};
pub use token::Token;
