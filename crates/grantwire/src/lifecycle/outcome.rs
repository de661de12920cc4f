//! What the machine answers and reports: [`Next`], [`Event`], [`FetchError`] and their parts.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::token::Token;
use crate::error::ErrorCode;
use crate::secret::{AccessToken, RefreshToken};
use crate::{Error, Scope};

/// Identifies a request the machine asked for; answers carry it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(super) u64);

impl RequestId {
    /// The number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Which grant a request uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FetchKind {
    /// The original grant ([`GrantSource`](super::GrantSource)).
    Grant,
    /// The refresh token grant (RFC 6749 §6).
    Refresh,
}

/// What the machine wants the caller to do, from [`TokenLifecycle::poll`](super::TokenLifecycle::poll).
///
/// It borrows nothing: a driver can drop its lock on the machine and hand the answer to another
/// thread. A token is shared as an [`Arc`], so a cache hit copies no secret and allocates
/// nothing (it costs one atomic increment). Named `Next`, not `Poll`, so it sits beside
/// [`std::task::Poll`] in an async driver without a rename.
#[derive(Clone, Debug)]
#[must_use]
pub enum Next {
    /// A token valid at the `now` given to `poll`, shared with the machine.
    Ready(Arc<Token>),
    /// Build the request with [`TokenLifecycle::request`](super::TokenLifecycle::request), send
    /// it, and feed the outcome back: the answer to `handle_response`, a failure to send or
    /// receive to `handle_transport_error`. Then poll again.
    Send(RequestId),
    /// No usable token yet. Poll again when [`WaitFor`] happens or at `until`, whichever is
    /// first (calling `handle_timeout` at `until`).
    Wait {
        /// The deadline (never before the `now` given to `poll`).
        until: Instant,
        /// What the machine waits for.
        reason: WaitFor,
    },
    /// No usable token and no automatic way to get one: a human must act (fix credentials or
    /// configuration, then `resume`). Shared with the machine, like a token.
    Failed(Arc<FetchError>),
}

/// What a [`Next::Wait`] waits for, so a driver can wake its waiting callers at the right
/// moment rather than at the deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitFor {
    /// The outcome of this request, in flight: wake the waiters as soon as its response or
    /// transport failure has been fed to the machine (at `until` it times out).
    Response(RequestId),
    /// The end of a backoff after a failure: nothing happens before `until`.
    Backoff,
}

/// Why a request could not complete at the transport level, fed with
/// [`TokenLifecycle::handle_transport_error`](super::TokenLifecycle::handle_transport_error).
/// It backs off like a 5xx answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection: refused, unreachable, name resolution or TLS handshake failed.
    #[error("could not connect to the token endpoint")]
    Connect,
    /// The connection failed while the request was being sent.
    #[error("could not send the token request")]
    Send,
    /// The connection failed before a complete response arrived.
    #[error("the connection failed before the token response was complete")]
    Receive,
    /// The transport's own timeout expired before a response arrived.
    #[error("the transport timed out waiting for the token response")]
    TimedOut,
}

/// Why a fetch failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with an OAuth error or something that is not a usable token
    /// response.
    #[error("token response: {0}")]
    Response(Error),
    /// The request could not be built (parameters or client authentication). Retried with
    /// backoff unless [`Error::is_configuration`].
    #[error("could not build the token request: {0}")]
    Request(Error),
    /// The transport could not deliver the request or its answer.
    #[error("token request: {0}")]
    Transport(TransportError),
    /// No response before [`LifecycleConfig::request_timeout`](super::LifecycleConfig::request_timeout).
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
    /// [`ErrorCode::needs_human`], a request that cannot be built because of the configuration
    /// ([`Error::is_configuration`]), or nothing left to try.
    pub fn needs_human(&self) -> bool {
        match self {
            Self::Response(e) => e.oauth().is_some_and(|o| o.error.needs_human()),
            Self::Request(e) => e.is_configuration(),
            Self::NoGrant => true,
            Self::Transport(_) | Self::TimedOut => false,
        }
    }
}

/// What the machine will do after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// Retry at this instant (backoff with jitter, at least the server's `Retry-After`).
    At(Instant),
    /// The refresh token was rejected: it is dropped and the original grant is used at once.
    FallBackToGrant,
    /// Never retried automatically: a human must act ([`ErrorCode::needs_human`], a request
    /// that cannot be built because of the configuration, or nothing left to try). Call
    /// `resume` after.
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
    /// When it expires by the wall clock (see [`Token::expires_at`]; reporting only).
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

/// Something that happened, from [`TokenLifecycle::poll_event`](super::TokenLifecycle::poll_event).
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

/// What the machine did with an answer (`handle_response`, `handle_transport_error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Handled {
    /// A new token was stored.
    Token,
    /// The answer was a failure; see the [`Event::Failed`] queued.
    Failed,
    /// The answer was for a request that is not in flight (timed out, superseded, or never
    /// built); it was ignored.
    Stale,
}

/// Most events kept when the caller does not drain them; older ones are dropped first.
pub const MAX_QUEUED_EVENTS: usize = 64;
