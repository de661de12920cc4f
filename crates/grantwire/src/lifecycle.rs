//! The token lifecycle: a Sans-IO state machine that keeps one access token fresh for one key
//! (client, scope set, audience/resources), in the quinn-proto style.
//!
//! The machine never reads a clock, never sleeps and never sends anything: time is an argument
//! of every input, randomness comes in through the [`Context`] given to
//! [`TokenLifecycle::request`], and requests go out as [`SecretRequest`] values that any
//! transport sends.
//!
//! Methods come in four kinds:
//! - **output** (`#[must_use]`): [`TokenLifecycle::poll`] answers "here is a fresh token",
//!   "send this request", "wait until this deadline" or "a human must act";
//!   [`TokenLifecycle::poll_event`] hands out what happened; [`TokenLifecycle::poll_timeout`]
//!   says when to call [`TokenLifecycle::handle_timeout`].
//! - **input**: [`TokenLifecycle::handle_response`] (or
//!   [`TokenLifecycle::handle_http_response`]) and [`TokenLifecycle::handle_timeout`].
//! - **commands**: [`TokenLifecycle::request`] (build the request [`Poll::Send`] asked for),
//!   [`TokenLifecycle::invalidate`] (a resource server answered 401 `invalid_token`,
//!   RFC 6750 §3.1), [`TokenLifecycle::seed`], [`TokenLifecycle::resume`].
//! - **getters** taking `&self`.
//!
//! ## Run loop
//! After every input, call `poll` until it stops answering `Send`, and drain `poll_event`:
//!
//! ```
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use grantwire::lifecycle::{Poll, TokenLifecycle, LifecycleConfig};
//! use grantwire::{ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Context, TokenEndpoint};
//!
//! let endpoint = TokenEndpoint::parse("https://as.example/token")?;
//! let auth = ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret"));
//! let mut lc = TokenLifecycle::new(endpoint, auth, ClientCredentials::new(), LifecycleConfig::default());
//! let mut rng = |b: &mut [u8]| b.fill(9); // a CSPRNG in production
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! let id = match lc.poll(now) { Poll::Send(id) => id, other => panic!("{other:?}") };
//! let request = lc.request(id, &mut Context::new(now, &mut rng))?;
//! assert_eq!(request.body(), b"grant_type=client_credentials");
//! // 999 more callers arrive while the request is in flight: they wait, nothing is sent twice.
//! for _ in 0..999 {
//!     assert!(matches!(lc.poll(now), Poll::Wait { .. }));
//! }
//! let body = br#"{"access_token":"mF_9.B5f-4.1JqM","token_type":"Bearer","expires_in":3600}"#;
//! lc.handle_response(id, http::StatusCode::OK, &http::HeaderMap::new(), body, now);
//! match lc.poll(now) {
//!     Poll::Ready(token) => assert_eq!(token.access_token().secret(), "mF_9.B5f-4.1JqM"),
//!     other => panic!("{other:?}"),
//! }
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
//! - **Failures**: exponential backoff with jitter, at least the server's `Retry-After`; never a
//!   retry after `invalid_client`, `invalid_grant`, `unauthorized_client` or `invalid_scope`
//!   ([`ErrorCode::needs_human`]): the event says [`Retry::NeedsHuman`].
//! - **Refresh tokens** are used when the server issued one, replaced when it rotates them, and
//!   dropped for the original grant when the server rejects them.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::auth::{ClientAuthentication, Context};
use crate::endpoint::TokenEndpoint;
use crate::error::ErrorCode;
use crate::grant::{ClientCredentials, JwtBearer, RefreshGrant, TokenExchange};
use crate::request::SecretRequest;
use crate::response::{ParseOptions, TokenResponse, TokenType};
use crate::secret::{AccessToken, ClientId, RefreshToken};
use crate::{Error, Scope};

/// How the machine obtains a token from scratch: the original grant (RFC 6749 §4.4, RFC 7523
/// §2.1, RFC 8693 §2.1, or anything else that builds a token request).
///
/// Implemented by [`ClientCredentials`], [`TokenExchange`] and [`JwtBearer`] (whose assertion is
/// fixed: for assertions minted per request, implement this trait with the signer), and by any
/// `Fn(&TokenEndpoint, &dyn ClientAuthentication, &mut Context) -> Result<SecretRequest, Error>`.
pub trait GrantSource: Send + Sync {
    /// Builds a token request for this grant.
    fn to_request(
        &self,
        endpoint: &TokenEndpoint,
        auth: &dyn ClientAuthentication,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error>;
}

impl GrantSource for ClientCredentials {
    fn to_request(
        &self,
        endpoint: &TokenEndpoint,
        auth: &dyn ClientAuthentication,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        ClientCredentials::to_request(self, endpoint, auth, ctx)
    }
}

impl GrantSource for TokenExchange {
    fn to_request(
        &self,
        endpoint: &TokenEndpoint,
        auth: &dyn ClientAuthentication,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        TokenExchange::to_request(self, endpoint, auth, ctx)
    }
}

impl GrantSource for JwtBearer {
    fn to_request(
        &self,
        endpoint: &TokenEndpoint,
        auth: &dyn ClientAuthentication,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        JwtBearer::to_request(self, endpoint, auth, ctx)
    }
}

impl<F> GrantSource for F
where
    F: Fn(
            &TokenEndpoint,
            &dyn ClientAuthentication,
            &mut Context<'_>,
        ) -> Result<SecretRequest, Error>
        + Send
        + Sync,
{
    fn to_request(
        &self,
        endpoint: &TokenEndpoint,
        auth: &dyn ClientAuthentication,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        self(endpoint, auth, ctx)
    }
}

/// Timing and retry policy of a [`TokenLifecycle`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifecycleConfig {
    /// Refresh once this share of the lifetime has passed (default 0.8; clamped to 0.1–1.0 so a
    /// token is never refreshed the moment it arrives).
    pub refresh_share: f64,
    /// Refresh this long before expiry (default 5 minutes), capped at half the lifetime so a
    /// short-lived token is not refreshed as soon as it arrives. Whichever of share and buffer
    /// comes first wins.
    pub refresh_buffer: Duration,
    /// The lifetime assumed when the server sends no `expires_in` (RFC 6749 §5.1 makes it
    /// optional). Default 10 minutes; never infinite.
    pub default_lifetime: Duration,
    /// How long a request may stay in flight before it counts as failed (default 30 s).
    pub request_timeout: Duration,
    /// Backoff after the first failure (default 1 s); doubled after each further failure.
    pub initial_backoff: Duration,
    /// Largest backoff (default 5 minutes).
    pub max_backoff: Duration,
    /// Largest `Retry-After` honoured (default 1 hour), so a hostile or broken server cannot
    /// park the client for days.
    pub max_retry_after: Duration,
    /// Profile and limits for parsing token responses.
    pub parse_options: ParseOptions,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            refresh_share: 0.8,
            refresh_buffer: Duration::from_secs(300),
            default_lifetime: Duration::from_secs(600),
            request_timeout: Duration::from_secs(30),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            max_retry_after: Duration::from_secs(3600),
            parse_options: ParseOptions::default(),
        }
    }
}

impl LifecycleConfig {
    /// When a token received at `received_at` and expiring at `expires_at` is due for refresh.
    pub fn refresh_at(&self, received_at: SystemTime, expires_at: SystemTime) -> SystemTime {
        let lifetime = expires_at
            .duration_since(received_at)
            .unwrap_or(Duration::ZERO);
        let share = if self.refresh_share.is_nan() {
            0.8
        } else {
            self.refresh_share.clamp(0.1, 1.0)
        };
        let by_share = lifetime.mul_f64(share);
        let by_buffer = lifetime - self.refresh_buffer.min(lifetime / 2);
        later(received_at, by_share.min(by_buffer))
    }

    /// The backoff before retry number `failures` (1 for the first), with `jitter` in
    /// `0..=u32::MAX` spreading it over the upper half ("equal jitter"), and at least
    /// `retry_after` (capped at [`LifecycleConfig::max_retry_after`]).
    pub fn backoff(&self, failures: u32, jitter: u32, retry_after: Option<Duration>) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let full = self
            .initial_backoff
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff);
        let half = full / 2;
        let jittered = half + (full - half).mul_f64(f64::from(jitter) / f64::from(u32::MAX));
        match retry_after {
            Some(r) => jittered.max(r.min(self.max_retry_after)),
            None => jittered,
        }
    }
}

/// Identifies a request the machine asked for; answers carry it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// The number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Which grant a request uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FetchKind {
    /// The original grant ([`GrantSource`]).
    Grant,
    /// The refresh token grant (RFC 6749 §6).
    Refresh,
}

/// A token the machine holds. Handed out by reference: a cache hit copies nothing.
pub struct Token {
    access_token: AccessToken,
    token_type: TokenType,
    received_at: SystemTime,
    expires_at: SystemTime,
    refresh_at: SystemTime,
    expiry_known: bool,
    scope: Option<Scope>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("refresh_at", &self.refresh_at)
            .field("expiry_known", &self.expiry_known)
            .finish_non_exhaustive()
    }
}

impl Token {
    /// The access token.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    /// Its type (RFC 6749 §7.1).
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }
    /// When the response carrying it arrived.
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }
    /// When it expires: from `expires_in`, or [`LifecycleConfig::default_lifetime`] after
    /// receipt when the server did not say ([`Token::expiry_known`] is then `false`).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
    /// When the machine starts refreshing it.
    pub fn refresh_at(&self) -> SystemTime {
        self.refresh_at
    }
    /// Whether the server sent `expires_in`.
    pub fn expiry_known(&self) -> bool {
        self.expiry_known
    }
    /// The granted scope, when the server said.
    pub fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
    }
}

/// What the machine wants the caller to do, from [`TokenLifecycle::poll`].
#[derive(Debug)]
#[must_use]
pub enum Poll<'a> {
    /// A token valid at the `now` given to `poll`.
    Ready(&'a Token),
    /// Build the request with [`TokenLifecycle::request`], send it, and feed the answer to
    /// [`TokenLifecycle::handle_response`]. Then poll again.
    Send(RequestId),
    /// No usable token yet: a request is in flight or a backoff is running. Poll again when a
    /// response arrives or at `until`, whichever is first (calling
    /// [`TokenLifecycle::handle_timeout`] then).
    Wait {
        /// The deadline.
        until: SystemTime,
    },
    /// No usable token and no automatic way to get one: a human must act (fix credentials or
    /// configuration, then [`TokenLifecycle::resume`]).
    Failed(&'a FetchError),
}

/// Why a fetch failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with an OAuth error or something that is not a usable token
    /// response.
    #[error("token response: {0}")]
    Response(Error),
    /// The request could not be built (parameters or client authentication).
    #[error("could not build the token request: {0}")]
    Request(Error),
    /// No response before [`LifecycleConfig::request_timeout`].
    #[error("the token request timed out")]
    TimedOut,
    /// The refresh token was rejected (or none is left) and there is no original grant to fall
    /// back to.
    #[error(
        "no way to obtain a new token: the refresh token was rejected and no grant is configured"
    )]
    NoGrant,
}

impl FetchError {
    /// The crate error, for failures that have one.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Self::Response(e) | Self::Request(e) => Some(e),
            _ => None,
        }
    }

    /// The OAuth error code, when the server sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.error().and_then(Error::oauth).map(|e| &e.error)
    }

    /// Whether retrying cannot help until a human acts: an OAuth error whose code
    /// [`ErrorCode::needs_human`], a request that cannot be built, or nothing left to try.
    pub fn needs_human(&self) -> bool {
        match self {
            Self::Response(e) => e.oauth().is_some_and(|o| o.error.needs_human()),
            Self::Request(_) | Self::NoGrant => true,
            Self::TimedOut => false,
        }
    }
}

/// What the machine will do after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// Retry at this time (backoff with jitter, at least the server's `Retry-After`).
    At(SystemTime),
    /// The refresh token was rejected: it is dropped and the original grant is used at once.
    FallBackToGrant,
    /// Never retried automatically: a human must act ([`ErrorCode::needs_human`], a request
    /// that cannot be built, or nothing left to try). Call [`TokenLifecycle::resume`] after.
    NeedsHuman,
}

/// A token the machine obtained, as reported in an [`Event`] so the caller can persist or log
/// it. Secrets are redacted in `Debug`.
#[derive(Clone, Debug)]
pub struct Obtained {
    /// The request that brought it.
    pub id: RequestId,
    /// The access token.
    pub access_token: AccessToken,
    /// When it expires (see [`Token::expires_at`]).
    pub expires_at: SystemTime,
    /// Whether the server sent `expires_in`.
    pub expiry_known: bool,
    /// The granted scope, when the server said.
    pub scope: Option<Scope>,
    /// The refresh token the machine now holds, if any (to persist it).
    pub refresh_token: Option<RefreshToken>,
    /// Whether the server sent a new refresh token in a refresh response (rotation).
    pub refresh_token_rotated: bool,
}

/// Something that happened, from [`TokenLifecycle::poll_event`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A token from the original grant.
    Obtained(Box<Obtained>),
    /// A token from the refresh token grant.
    Refreshed(Box<Obtained>),
    /// A fetch failed.
    Failed {
        /// The request.
        id: RequestId,
        /// The grant it used.
        kind: FetchKind,
        /// Why.
        error: FetchError,
        /// What happens next.
        retry: Retry,
    },
}

/// What [`TokenLifecycle::handle_response`] did with an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Handled {
    /// A new token was stored.
    Token,
    /// The answer was a failure; see the [`Event::Failed`] queued.
    Failed,
    /// The answer was for a request that is no longer in flight (timed out, superseded); it
    /// was ignored.
    Stale,
}

/// The request in flight.
#[derive(Clone, Copy, Debug)]
struct Flight {
    id: RequestId,
    kind: FetchKind,
    deadline: SystemTime,
    built: bool,
    jitter: u32,
}

/// Most events kept when the caller does not drain them; older ones are dropped first.
pub const MAX_QUEUED_EVENTS: usize = 64;

/// A key for which at most one request is in flight: the client, the scope set and the
/// audiences/resources (single flight per key).
///
/// Two keys are equal when they name the same client, the same set of scope tokens (in any
/// order) and the same set of audiences.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LifecycleKey {
    client_id: Option<ClientId>,
    scope: Vec<String>,
    audiences: Vec<String>,
}

impl LifecycleKey {
    /// The key of a client, a scope and audiences or resource indicators.
    pub fn new<'a>(
        client_id: Option<&ClientId>,
        scope: Option<&Scope>,
        audiences: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut scope: Vec<String> = scope
            .map(|s| s.iter().map(str::to_owned).collect())
            .unwrap_or_default();
        scope.sort_unstable();
        scope.dedup();
        let mut audiences: Vec<String> = audiences.into_iter().map(str::to_owned).collect();
        audiences.sort_unstable();
        audiences.dedup();
        Self {
            client_id: client_id.cloned(),
            scope,
            audiences,
        }
    }
}

/// The token lifecycle state machine for one [`LifecycleKey`]. See the [module docs](self).
pub struct TokenLifecycle {
    endpoint: TokenEndpoint,
    auth: Box<dyn ClientAuthentication>,
    grant: Option<Box<dyn GrantSource>>,
    config: LifecycleConfig,
    clock: SystemTime,
    token: Option<Token>,
    refresh_token: Option<RefreshToken>,
    flight: Option<Flight>,
    retry_at: Option<SystemTime>,
    failures: u32,
    halted: Option<FetchError>,
    next_id: u64,
    events: VecDeque<Event>,
}

impl fmt::Debug for TokenLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenLifecycle")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth.method())
            .field("token", &self.token)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("flight", &self.flight)
            .field("retry_at", &self.retry_at)
            .field("failures", &self.failures)
            .field("halted", &self.halted)
            .finish_non_exhaustive()
    }
}

impl TokenLifecycle {
    /// A machine that obtains tokens with `grant` at `endpoint`, authenticating with `auth`.
    pub fn new(
        endpoint: TokenEndpoint,
        auth: impl ClientAuthentication + 'static,
        grant: impl GrantSource + 'static,
        config: LifecycleConfig,
    ) -> Self {
        Self::build(endpoint, Box::new(auth), Some(Box::new(grant)), config)
    }

    /// A machine with no original grant: it lives on a token (and refresh token) obtained
    /// elsewhere, for example by the authorization code grant, given to
    /// [`TokenLifecycle::seed`]. When the refresh token is rejected it reports
    /// [`FetchError::NoGrant`].
    pub fn without_grant(
        endpoint: TokenEndpoint,
        auth: impl ClientAuthentication + 'static,
        config: LifecycleConfig,
    ) -> Self {
        Self::build(endpoint, Box::new(auth), None, config)
    }

    /// Like [`TokenLifecycle::new`] with boxed parts.
    pub fn from_parts(
        endpoint: TokenEndpoint,
        auth: Box<dyn ClientAuthentication>,
        grant: Option<Box<dyn GrantSource>>,
        config: LifecycleConfig,
    ) -> Self {
        Self::build(endpoint, auth, grant, config)
    }

    fn build(
        endpoint: TokenEndpoint,
        auth: Box<dyn ClientAuthentication>,
        grant: Option<Box<dyn GrantSource>>,
        config: LifecycleConfig,
    ) -> Self {
        Self {
            endpoint,
            auth,
            grant,
            config,
            clock: SystemTime::UNIX_EPOCH,
            token: None,
            refresh_token: None,
            flight: None,
            retry_at: None,
            failures: 0,
            halted: None,
            next_id: 0,
            events: VecDeque::new(),
        }
    }

    // ---- getters -------------------------------------------------------------------------

    /// The policy.
    pub fn config(&self) -> &LifecycleConfig {
        &self.config
    }

    /// The token held, valid or not (use [`TokenLifecycle::poll`] to get a valid one).
    pub fn token(&self) -> Option<&Token> {
        self.token.as_ref()
    }

    /// Whether a refresh token is held.
    pub fn has_refresh_token(&self) -> bool {
        self.refresh_token.is_some()
    }

    /// The request in flight, if any.
    pub fn in_flight(&self) -> Option<(RequestId, FetchKind)> {
        self.flight.map(|f| (f.id, f.kind))
    }

    /// Consecutive failures since the last token.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The failure that stopped the machine, while it waits for a human.
    pub fn halted(&self) -> Option<&FetchError> {
        self.halted.as_ref()
    }

    /// The latest time the machine was told (times given out of order are raised to it).
    pub fn now(&self) -> SystemTime {
        self.clock
    }

    // ---- output --------------------------------------------------------------------------

    /// What to do now. A fresh token is a borrow of the machine's own: the cache hit costs a
    /// few comparisons and allocates nothing.
    #[must_use = "poll says what to do: use the token, send a request, wait, or get a human"]
    #[inline]
    pub fn poll(&mut self, now: SystemTime) -> Poll<'_> {
        if now > self.clock {
            self.clock = now;
        }
        let fresh = match &self.token {
            Some(t) => self.clock < t.refresh_at,
            None => false,
        };
        if !fresh {
            return self.poll_slow();
        }
        match &self.token {
            Some(t) => Poll::Ready(t),
            // `fresh` implies a token; answer harmlessly rather than panic.
            None => Poll::Wait { until: self.clock },
        }
    }

    #[inline(never)]
    fn poll_slow(&mut self) -> Poll<'_> {
        let now = self.clock;
        self.expire(now);
        let due = match &self.token {
            None => true,
            Some(t) => now >= t.refresh_at,
        };
        let backoff_over = none_or_passed(self.retry_at, now);
        if due && self.flight.is_none() && self.halted.is_none() && backoff_over {
            let kind = if self.refresh_token.is_some() {
                Some(FetchKind::Refresh)
            } else if self.grant.is_some() {
                Some(FetchKind::Grant)
            } else {
                None
            };
            match kind {
                Some(kind) => {
                    self.retry_at = None;
                    let id = RequestId(self.next_id);
                    self.next_id += 1;
                    self.flight = Some(Flight {
                        id,
                        kind,
                        deadline: later(now, self.config.request_timeout),
                        built: false,
                        jitter: 0,
                    });
                    return Poll::Send(id);
                }
                None => {
                    self.halted = Some(FetchError::NoGrant);
                }
            }
        }
        if let Some(t) = &self.token {
            if now < t.expires_at {
                return Poll::Ready(t);
            }
        }
        if let Some(h) = &self.halted {
            return Poll::Failed(h);
        }
        let until = match (self.flight, self.retry_at) {
            (Some(f), _) => f.deadline,
            (None, Some(r)) => r,
            // Unreachable in practice (a due fetch would have been sent); wake at once.
            (None, None) => now,
        };
        Poll::Wait {
            until: until.max(now),
        }
    }

    /// The next event, if any. Drain after every input.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When the machine next needs [`TokenLifecycle::handle_timeout`] (or a `poll`): the
    /// request deadline, the end of a backoff, the refresh time or the expiry of the token held,
    /// whichever is first; never earlier than the latest time the machine was told. `None` when
    /// nothing is scheduled (no token, nothing in flight: poll to start).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<SystemTime> {
        let mut next: Option<SystemTime> = None;
        let mut consider = |t: SystemTime| {
            next = Some(next.map_or(t, |n| n.min(t)));
        };
        if let Some(f) = &self.flight {
            consider(f.deadline);
        } else if self.halted.is_none() {
            if let Some(r) = self.retry_at {
                consider(r);
            }
            if let Some(t) = &self.token {
                consider(t.refresh_at.max(self.retry_at.unwrap_or(t.refresh_at)));
            }
        }
        if let Some(t) = &self.token {
            consider(t.expires_at);
        }
        next.map(|n| n.max(self.clock))
    }

    // ---- commands ------------------------------------------------------------------------

    /// Builds the request [`Poll::Send`] asked for. `ctx` supplies time and entropy for client
    /// authentication, and the jitter of a backoff should this request fail. A request id is
    /// built once; a second call, or an id that is not in flight, is refused.
    ///
    /// If building fails, the failure is recorded like any other ([`FetchError::Request`], which
    /// needs a human) and returned.
    pub fn request(
        &mut self,
        id: RequestId,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        let flight = match &mut self.flight {
            Some(f) if f.id == id && !f.built => f,
            _ => {
                return Err(Error::InvalidParameter {
                    name: "request id".into(),
                    reason: "not a request in flight that is still to be built",
                })
            }
        };
        flight.built = true;
        let mut jitter = [0u8; 4];
        ctx.fill_random(&mut jitter);
        flight.jitter = u32::from_le_bytes(jitter);
        let kind = flight.kind;
        let built = match kind {
            FetchKind::Refresh => match &self.refresh_token {
                Some(rt) => {
                    RefreshGrant::new(rt.clone()).to_request(&self.endpoint, &*self.auth, ctx)
                }
                None => Err(Error::InvalidParameter {
                    name: "refresh_token".into(),
                    reason: "no refresh token held",
                }),
            },
            FetchKind::Grant => match &self.grant {
                Some(g) => g.to_request(&self.endpoint, &*self.auth, ctx),
                None => Err(Error::InvalidParameter {
                    name: "grant_type".into(),
                    reason: "no grant configured",
                }),
            },
        };
        if let Err(e) = &built {
            let now = self.clock.max(ctx.now());
            self.clock = now;
            self.fail(FetchError::Request(e.clone()), now);
        }
        built
    }

    /// A resource server refused `token` (401 `invalid_token`, RFC 6750 §3.1): forget it so the
    /// next `poll` fetches a new one (with the refresh token, when held). Returns whether it was
    /// the token held; a token already replaced is ignored, so many callers reporting the same
    /// rejection cause one fetch.
    pub fn invalidate(&mut self, token: &AccessToken) -> bool {
        match &self.token {
            Some(t) if &t.access_token == token => {
                self.token = None;
                true
            }
            _ => false,
        }
    }

    /// Stores a token obtained elsewhere (for example by the authorization code grant) as if it
    /// had just been received at `now`, with its refresh token. A token whose `expires_in` is
    /// zero is not stored (its refresh token is), so the next `poll` refreshes at once.
    pub fn seed(&mut self, response: TokenResponse, now: SystemTime) {
        if now > self.clock {
            self.clock = now;
        }
        let now = self.clock;
        if let Some(rt) = response.refresh_token() {
            self.refresh_token = Some(rt.clone());
        }
        if let Some(t) = self.make_token(&response, now) {
            self.token = Some(t);
        }
        self.halted = None;
    }

    /// Clears a halt ([`Retry::NeedsHuman`]) and the failure count, after a human fixed the
    /// cause. The next `poll` fetches at once.
    pub fn resume(&mut self) {
        self.halted = None;
        self.failures = 0;
        self.retry_at = None;
    }

    // ---- input ---------------------------------------------------------------------------

    /// Feeds the answer to request `id`, received at `now`.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Handled {
        if now > self.clock {
            self.clock = now;
        }
        let now = self.clock;
        let flight = match self.flight {
            Some(f) if f.id == id => f,
            _ => return Handled::Stale,
        };
        let parsed =
            TokenResponse::parse_with(status, headers, body, now, &self.config.parse_options);
        let response = match parsed {
            Ok(r) => r,
            Err(e) => {
                self.fail(FetchError::Response(e), now);
                return Handled::Failed;
            }
        };
        let Some(token) = self.make_token(&response, now) else {
            self.fail(
                FetchError::Response(Error::InvalidValue {
                    member: "expires_in",
                    reason: "zero: the token is already expired",
                }),
                now,
            );
            return Handled::Failed;
        };
        self.flight = None;
        self.failures = 0;
        self.retry_at = None;
        self.halted = None;
        let rotated = match (flight.kind, response.refresh_token()) {
            (_, Some(rt)) => {
                let changed = self.refresh_token.as_ref() != Some(rt);
                self.refresh_token = Some(rt.clone());
                flight.kind == FetchKind::Refresh && changed
            }
            // RFC 6749 §6: without a new refresh token, the old one stays valid.
            (FetchKind::Refresh, None) => false,
            (FetchKind::Grant, None) => {
                self.refresh_token = None;
                false
            }
        };
        let info = Box::new(Obtained {
            id,
            access_token: token.access_token.clone(),
            expires_at: token.expires_at,
            expiry_known: token.expiry_known,
            scope: token.scope.clone(),
            refresh_token: self.refresh_token.clone(),
            refresh_token_rotated: rotated,
        });
        self.token = Some(token);
        self.push_event(match flight.kind {
            FetchKind::Grant => Event::Obtained(info),
            FetchKind::Refresh => Event::Refreshed(info),
        });
        Handled::Token
    }

    /// Feeds an `http::Response` answering request `id`.
    pub fn handle_http_response<B: AsRef<[u8]>>(
        &mut self,
        id: RequestId,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Handled {
        self.handle_response(
            id,
            response.status(),
            response.headers(),
            response.body().as_ref(),
            now,
        )
    }

    /// Tells the machine the time: a request past its deadline fails with
    /// [`FetchError::TimedOut`] (and is retried after a backoff), an expired token is dropped.
    pub fn handle_timeout(&mut self, now: SystemTime) {
        if now > self.clock {
            self.clock = now;
        }
        let now = self.clock;
        self.expire(now);
    }

    // ---- internals -----------------------------------------------------------------------

    fn expire(&mut self, now: SystemTime) {
        if let Some(f) = self.flight {
            if now >= f.deadline {
                self.fail(FetchError::TimedOut, now);
            }
        }
        if self.token.as_ref().is_some_and(|t| now >= t.expires_at) {
            self.token = None;
        }
    }

    fn make_token(&self, response: &TokenResponse, now: SystemTime) -> Option<Token> {
        let (lifetime, known) = match response.expires_in() {
            Some(d) => (d, true),
            None => (self.config.default_lifetime, false),
        };
        if lifetime.is_zero() {
            return None;
        }
        let expires_at = later(now, lifetime);
        Some(Token {
            access_token: response.access_token().clone(),
            token_type: response.token_type(),
            received_at: now,
            expires_at,
            refresh_at: self.config.refresh_at(now, expires_at),
            expiry_known: known,
            scope: response.scope().cloned(),
        })
    }

    fn fail(&mut self, error: FetchError, now: SystemTime) {
        let Some(flight) = self.flight.take() else {
            return;
        };
        let rejected_refresh = flight.kind == FetchKind::Refresh
            && matches!(
                error.code(),
                Some(
                    ErrorCode::InvalidGrant
                        | ErrorCode::UnauthorizedClient
                        | ErrorCode::InvalidScope
                )
            );
        let retry = if rejected_refresh {
            self.refresh_token = None;
            if self.grant.is_some() {
                self.retry_at = None;
                Retry::FallBackToGrant
            } else {
                self.halted = Some(FetchError::NoGrant);
                Retry::NeedsHuman
            }
        } else if error.needs_human() {
            self.halted = Some(error.clone());
            Retry::NeedsHuman
        } else {
            self.failures = self.failures.saturating_add(1);
            let retry_after = error.error().and_then(Error::retry_after);
            let at = later(
                now,
                self.config
                    .backoff(self.failures, flight.jitter, retry_after),
            );
            self.retry_at = Some(at);
            Retry::At(at)
        };
        self.push_event(Event::Failed {
            id: flight.id,
            kind: flight.kind,
            error,
            retry,
        });
    }

    fn push_event(&mut self, e: Event) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }
}

/// `t + d`, saturating at a century from `t` (or `t` itself at the end of representable time)
/// so absurd configurations or clocks cannot panic.
fn later(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(t)
}

/// Whether an optional deadline is absent or reached.
fn none_or_passed(at: Option<SystemTime>, now: SystemTime) -> bool {
    match at {
        None => true,
        Some(t) => now >= t,
    }
}

/// Several [`TokenLifecycle`]s, one per [`LifecycleKey`]: single flight holds per key however
/// many callers ask, and a [`KeyId`] reaches a machine without hashing on the hot path.
#[derive(Debug, Default)]
pub struct TokenLifecycles {
    keys: std::collections::HashMap<LifecycleKey, KeyId>,
    machines: Vec<TokenLifecycle>,
}

/// A handle to one machine of a [`TokenLifecycles`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(usize);

impl TokenLifecycles {
    /// No machines.
    pub fn new() -> Self {
        Self::default()
    }

    /// The machine for `key`, created by `make` when there is none yet.
    pub fn get_or_insert_with(
        &mut self,
        key: LifecycleKey,
        make: impl FnOnce() -> TokenLifecycle,
    ) -> KeyId {
        if let Some(id) = self.keys.get(&key) {
            return *id;
        }
        let id = KeyId(self.machines.len());
        self.machines.push(make());
        self.keys.insert(key, id);
        id
    }

    /// The handle of `key`, if it has a machine.
    pub fn find(&self, key: &LifecycleKey) -> Option<KeyId> {
        self.keys.get(key).copied()
    }

    /// The machine behind `id`.
    pub fn get_mut(&mut self, id: KeyId) -> Option<&mut TokenLifecycle> {
        self.machines.get_mut(id.0)
    }

    /// The machine behind `id`.
    pub fn get(&self, id: KeyId) -> Option<&TokenLifecycle> {
        self.machines.get(id.0)
    }

    /// The earliest [`TokenLifecycle::poll_timeout`] of all machines.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<SystemTime> {
        self.machines.iter().filter_map(|m| m.poll_timeout()).min()
    }

    /// [`TokenLifecycle::handle_timeout`] on every machine.
    pub fn handle_timeout(&mut self, now: SystemTime) {
        for m in &mut self.machines {
            m.handle_timeout(now);
        }
    }

    /// Number of machines.
    pub fn len(&self) -> usize {
        self.machines.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.machines.is_empty()
    }
}
