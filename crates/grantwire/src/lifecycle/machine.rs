//! [`TokenLifecycle`]: the state machine for one key. See the [module docs](super).

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::request::SecretRequest;

use super::clock::{apart, later, later_wall};
use super::config::LifecycleConfig;
use super::grant::GrantSource;
use super::outcome::{
    Event, FetchError, FetchKind, Handled, Next, Obtained, RequestId, Retry, TransportError,
    WaitFor, MAX_QUEUED_EVENTS,
};
use super::token::Token;
use crate::auth::Context;
use crate::client::Client;
use crate::error::ErrorCode;
use crate::grant::RefreshGrant;
use crate::response::TokenResponse;
use crate::secret::{AccessToken, RefreshToken};
use crate::Error;

/// The request in flight.
#[derive(Clone, Copy, Debug)]
struct Flight {
    id: RequestId,
    kind: FetchKind,
    /// The instant of the `poll` that answered `Send`: the timeout runs from here.
    started: Instant,
    /// The wall-clock time of the `Context` it was built with; `None` until built.
    wall: Option<SystemTime>,
    jitter: u32,
}

impl Flight {
    fn timed_out(&self, now: Instant, timeout: Duration) -> bool {
        apart(now, self.started) >= timeout
    }
}

/// A backoff after a failure: no fetch until `wait` has passed since `failed`.
#[derive(Clone, Copy, Debug)]
struct Backoff {
    failed: Instant,
    wait: Duration,
}

impl Backoff {
    fn over(&self, now: Instant) -> bool {
        apart(now, self.failed) >= self.wait
    }
    fn until(&self) -> Instant {
        later(self.failed, self.wait)
    }
}

/// The token lifecycle state machine for one [`LifecycleKey`](super::LifecycleKey). See the
/// [module docs](super).
pub struct TokenLifecycle {
    client: Client,
    grant: Option<Box<dyn GrantSource>>,
    config: LifecycleConfig,
    token: Option<Arc<Token>>,
    refresh_token: Option<RefreshToken>,
    flight: Option<Flight>,
    backoff: Option<Backoff>,
    failures: u32,
    halted: Option<Arc<FetchError>>,
    next_id: u64,
    events: VecDeque<Event>,
}

impl fmt::Debug for TokenLifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenLifecycle")
            .field("client", &self.client)
            .field("token", &self.token)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("flight", &self.flight)
            .field("backoff", &self.backoff)
            .field("failures", &self.failures)
            .field("halted", &self.halted)
            .finish_non_exhaustive()
    }
}

impl TokenLifecycle {
    /// A machine that obtains tokens with `grant` from `client`'s server, authenticating as
    /// `client` does.
    pub fn new(client: Client, grant: impl GrantSource + 'static, config: LifecycleConfig) -> Self {
        Self::from_parts(client, Some(Box::new(grant)), config)
    }

    /// A machine with no original grant: it lives on a token (and refresh token) obtained
    /// elsewhere, for example by the authorization code grant, given to
    /// [`TokenLifecycle::seed`]. When the refresh token is rejected it reports
    /// [`FetchError::NoGrant`].
    pub fn without_grant(client: Client, config: LifecycleConfig) -> Self {
        Self::from_parts(client, None, config)
    }

    /// Like [`TokenLifecycle::new`] with a boxed (or no) grant.
    pub fn from_parts(
        client: Client,
        grant: Option<Box<dyn GrantSource>>,
        config: LifecycleConfig,
    ) -> Self {
        Self {
            client,
            grant,
            config,
            token: None,
            refresh_token: None,
            flight: None,
            backoff: None,
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
        self.token.as_deref()
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
        self.halted.as_deref()
    }

    // ---- output --------------------------------------------------------------------------

    /// What to do at the monotonic instant `now`. A fresh token is shared with the machine
    /// (an [`Arc`] clone): the cache hit costs a few comparisons and one atomic increment,
    /// allocates nothing, and borrows nothing, so the answer can leave a lock or a thread.
    #[must_use = "poll says what to do: use the token, send a request, wait, or get a human"]
    #[inline]
    pub fn poll(&mut self, now: Instant) -> Next {
        let fresh = self.token.as_ref().is_some_and(|t| t.is_fresh(now));
        if !fresh {
            return self.poll_slow(now);
        }
        match &self.token {
            Some(t) => Next::Ready(Arc::clone(t)),
            // `fresh` implies a token; answer harmlessly rather than panic.
            None => Next::Wait {
                until: now,
                reason: WaitFor::Backoff,
            },
        }
    }

    #[inline(never)]
    fn poll_slow(&mut self, now: Instant) -> Next {
        self.expire(now);
        // The token held, if any, is due for refresh at `now`.
        let backoff_over = self.backoff.is_none_or(|b| b.over(now));
        if self.flight.is_none() && self.halted.is_none() && backoff_over {
            let kind = if self.refresh_token.is_some() {
                Some(FetchKind::Refresh)
            } else if self.grant.is_some() {
                Some(FetchKind::Grant)
            } else {
                None
            };
            match kind {
                Some(kind) => {
                    self.backoff = None;
                    let id = RequestId(self.next_id);
                    self.next_id += 1;
                    self.flight = Some(Flight {
                        id,
                        kind,
                        started: now,
                        wall: None,
                        jitter: 0,
                    });
                    return Next::Send(id);
                }
                None => self.halted = Some(Arc::new(FetchError::NoGrant)),
            }
        }
        if let Some(t) = &self.token {
            if t.is_valid(now) {
                return Next::Ready(Arc::clone(t));
            }
        }
        if let Some(h) = &self.halted {
            return Next::Failed(Arc::clone(h));
        }
        let (until, reason) = match (self.flight, self.backoff) {
            (Some(f), _) => (
                later(f.started, self.config.request_timeout),
                WaitFor::Response(f.id),
            ),
            (None, Some(b)) => (b.until(), WaitFor::Backoff),
            // Unreachable (a due fetch would have been sent): wake at once.
            (None, None) => (now, WaitFor::Backoff),
        };
        Next::Wait {
            until: until.max(now),
            reason,
        }
    }

    /// The next event, if any. Drain after every input.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When the machine next needs [`TokenLifecycle::handle_timeout`] (or a `poll`): the
    /// request deadline, the end of a backoff, the refresh time or the expiry of the token held,
    /// whichever is first. It may already have passed: then call at once. `None` when nothing
    /// is scheduled (no token, nothing in flight: poll to start).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| {
            next = Some(next.map_or(t, |n| n.min(t)));
        };
        if let Some(f) = &self.flight {
            consider(later(f.started, self.config.request_timeout));
        } else if self.halted.is_none() {
            let backoff_until = self.backoff.map(|b| b.until());
            if let Some(b) = backoff_until {
                consider(b);
            }
            if let Some(t) = &self.token {
                let due = t.refresh_due();
                consider(backoff_until.map_or(due, |b| b.max(due)));
            }
        }
        if let Some(t) = &self.token {
            consider(t.valid_until());
        }
        next
    }

    // ---- commands ------------------------------------------------------------------------

    /// Builds the request [`Next::Send`] asked for; call it right after that `poll`. `ctx`
    /// supplies the wall-clock time and entropy for client authentication, and the jitter of a
    /// backoff should this request fail. A request id is built once; a second call, or an id
    /// that is not in flight, is refused.
    ///
    /// If building fails, the failure is recorded like any other ([`FetchError::Request`]) and
    /// returned: retried after a backoff from the `poll` that asked for it, unless
    /// [`Error::is_configuration`] (then [`Retry::NeedsHuman`]).
    pub fn request(
        &mut self,
        id: RequestId,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        let flight = match &mut self.flight {
            Some(f) if f.id == id && f.wall.is_none() => f,
            _ => {
                return Err(Error::InvalidParameter {
                    name: "request id".into(),
                    reason: "not a request in flight that is still to be built",
                })
            }
        };
        flight.wall = Some(ctx.now());
        let mut jitter = [0u8; 4];
        ctx.fill_random(&mut jitter);
        flight.jitter = u32::from_le_bytes(jitter);
        let (kind, started) = (flight.kind, flight.started);
        let built = match kind {
            FetchKind::Refresh => match &self.refresh_token {
                Some(rt) => RefreshGrant::new(rt.clone()).to_request(&self.client, ctx),
                None => Err(Error::InvalidParameter {
                    name: "refresh_token".into(),
                    reason: "no refresh token held",
                }),
            },
            FetchKind::Grant => match &self.grant {
                Some(g) => g.to_request(&self.client, ctx),
                None => Err(Error::InvalidParameter {
                    name: "grant_type".into(),
                    reason: "no grant configured",
                }),
            },
        };
        if let Err(e) = &built {
            self.fail(FetchError::Request(e.clone()), started);
        }
        built
    }

    /// A resource server refused `token` (401 `invalid_token`, RFC 6750 §3.1): forget it so the
    /// next `poll` fetches a new one (with the refresh token, when held). Returns whether it was
    /// the token held; a token already replaced is ignored, so many callers reporting the same
    /// rejection cause one fetch.
    pub fn invalidate(&mut self, token: &AccessToken) -> bool {
        match &self.token {
            Some(t) if t.access_token() == token => {
                self.token = None;
                true
            }
            _ => false,
        }
    }

    /// Stores a token obtained elsewhere (for example by the authorization code grant) as if it
    /// had just been received at the instant `now`, with its refresh token. Its wall-clock
    /// receipt is the response's [`TokenResponse::received_at`]. A token whose `expires_in` is
    /// zero is not stored (its refresh token is), so the next `poll` refreshes at once.
    pub fn seed(&mut self, response: TokenResponse, now: Instant) {
        if let Some(rt) = response.refresh_token() {
            self.refresh_token = Some(rt.clone());
        }
        if let Some(t) = Token::from_response(&response, now, &self.config) {
            self.token = Some(Arc::new(t));
        }
        self.halted = None;
    }

    /// Clears a halt ([`Retry::NeedsHuman`]), the failure count and any backoff, after a human
    /// fixed the cause. The next `poll` fetches at once.
    pub fn resume(&mut self) {
        self.halted = None;
        self.failures = 0;
        self.backoff = None;
    }

    // ---- input ---------------------------------------------------------------------------

    /// Feeds the answer to request `id`, received at the instant `now`: the token's age runs
    /// from here. An answer for an id that is not in flight (timed out, already answered) or
    /// whose request was never built is [`Handled::Stale`] and ignored.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        now: Instant,
    ) -> Handled {
        let (flight, wall) = match self.flight {
            Some(f) if f.id == id => match f.wall {
                Some(w) => (f, w),
                None => return Handled::Stale,
            },
            _ => return Handled::Stale,
        };
        // The wall-clock time of receipt, for reporting and `Retry-After` dates: the request's
        // `Context` time plus the monotonic time it was in flight.
        let wall = later_wall(wall, now.saturating_duration_since(flight.started));
        let parsed =
            TokenResponse::parse_with((status, headers, body), wall, &self.config.parse_options);
        let response = match parsed {
            Ok(r) => r,
            Err(e) => {
                self.fail(FetchError::Response(e), now);
                return Handled::Failed;
            }
        };
        let Some(token) = Token::from_response(&response, now, &self.config) else {
            self.fail(
                FetchError::Response(
                    Error::invalid_value("expires_in", "zero: the token is already expired")
                        .with_response(|| crate::error::ResponseInfo::new(status, headers)),
                ),
                now,
            );
            return Handled::Failed;
        };
        self.flight = None;
        self.failures = 0;
        self.backoff = None;
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
            access_token: token.access_token().clone(),
            expires_at: token.expires_at(),
            expiry_known: token.expiry_known(),
            scope: token.scope().cloned(),
            refresh_token: self.refresh_token.clone(),
            refresh_token_rotated: rotated,
        });
        self.token = Some(Arc::new(token));
        self.push_event(match flight.kind {
            FetchKind::Grant => Event::Obtained(info),
            FetchKind::Refresh => Event::Refreshed(info),
        });
        Handled::Token
    }

    /// Feeds an `http::Response` answering request `id`, received at the instant `now`.
    pub fn handle_http_response<B: AsRef<[u8]>>(
        &mut self,
        id: RequestId,
        response: &http::Response<B>,
        now: Instant,
    ) -> Handled {
        self.handle_response(
            id,
            response.status(),
            response.headers(),
            response.body().as_ref(),
            now,
        )
    }

    /// Request `id` could not be sent or its answer not received (connection refused, reset,
    /// transport timeout) at the instant `now`: it fails with [`FetchError::Transport`] and is
    /// retried after a backoff, like a 5xx answer, instead of waiting for
    /// [`LifecycleConfig::request_timeout`].
    pub fn handle_transport_error(
        &mut self,
        id: RequestId,
        error: TransportError,
        now: Instant,
    ) -> Handled {
        match self.flight {
            Some(f) if f.id == id && f.wall.is_some() => {
                self.fail(FetchError::Transport(error), now);
                Handled::Failed
            }
            _ => Handled::Stale,
        }
    }

    /// Tells the machine the instant: a request in flight for
    /// [`LifecycleConfig::request_timeout`] fails with [`FetchError::TimedOut`] (and is retried
    /// after a backoff), an expired token is dropped.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.expire(now);
    }

    // ---- internals -----------------------------------------------------------------------

    fn expire(&mut self, now: Instant) {
        let timeout = self.config.request_timeout;
        if self.flight.is_some_and(|f| f.timed_out(now, timeout)) {
            self.fail(FetchError::TimedOut, now);
        }
        if self.token.as_ref().is_some_and(|t| !t.is_valid(now)) {
            self.token = None;
        }
    }

    fn fail(&mut self, error: FetchError, now: Instant) {
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
                self.backoff = None;
                Retry::FallBackToGrant
            } else {
                self.halted = Some(Arc::new(FetchError::NoGrant));
                Retry::NeedsHuman
            }
        } else if error.needs_human() {
            self.halted = Some(Arc::new(error.clone()));
            Retry::NeedsHuman
        } else {
            self.failures = self.failures.saturating_add(1);
            let retry_after = error.error().and_then(Error::retry_after);
            let backoff = Backoff {
                failed: now,
                wait: self
                    .config
                    .backoff(self.failures, flight.jitter, retry_after),
            };
            self.backoff = Some(backoff);
            Retry::At(backoff.until())
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
