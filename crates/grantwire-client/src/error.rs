//! [`TokenError`]: why [`TokenSource`](crate::TokenSource) has no valid token to give.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use grantwire::lifecycle::FetchError;

use crate::transport::TransportFailure;

/// Why no valid token is available. Cheap to clone: every caller waiting on the same failed
/// request gets the same error.
///
/// The token source never spins and never sleeps through a backoff on the caller's behalf: a
/// call made while the lifecycle backs off, with no valid token held, returns
/// [`TokenError::Unavailable`] at once, carrying the failure of the last attempt and
/// [`TokenError::retry_at`], the instant the next attempt may be made. A call after that
/// instant sends again.
#[derive(Clone)]
#[non_exhaustive]
pub enum TokenError {
    /// The last attempt failed and a retry is scheduled (exponential backoff with jitter, at
    /// least the server's `Retry-After`).
    Unavailable {
        /// Why the last attempt failed (an error answer, a transport failure, a timeout).
        error: Arc<FetchError>,
        /// The adapter's transport failure, when that was the cause.
        transport: Option<Arc<TransportFailure>>,
        /// No request is sent before this instant.
        retry_at: Instant,
    },
    /// No automatic retry can help: the server refused the client (`invalid_client`,
    /// `invalid_grant`, `unauthorized_client`, `invalid_scope`), the request cannot be built
    /// with this configuration, or no grant is left. Every caller gets this error until
    /// [`TokenSource::resume`](crate::TokenSource::resume) is called.
    NeedsHuman {
        /// The failure that halted the lifecycle.
        error: Arc<FetchError>,
    },
}

impl TokenError {
    /// The lifecycle's failure.
    pub fn fetch_error(&self) -> &FetchError {
        match self {
            Self::Unavailable { error, .. } | Self::NeedsHuman { error } => error,
        }
    }

    /// When the next attempt may be made; `None` when none is scheduled
    /// ([`TokenError::NeedsHuman`]).
    pub fn retry_at(&self) -> Option<Instant> {
        match self {
            Self::Unavailable { retry_at, .. } => Some(*retry_at),
            Self::NeedsHuman { .. } => None,
        }
    }

    /// Whether a human must act before a token can be obtained.
    pub fn needs_human(&self) -> bool {
        matches!(self, Self::NeedsHuman { .. })
    }

    /// The transport failure that caused it, if any.
    pub fn transport(&self) -> Option<&TransportFailure> {
        match self {
            Self::Unavailable { transport, .. } => transport.as_deref(),
            Self::NeedsHuman { .. } => None,
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable { error, .. } => {
                write!(
                    f,
                    "no valid access token ({error}); retrying after a backoff"
                )
            }
            Self::NeedsHuman { error } => write!(
                f,
                "no valid access token ({error}); not retried until the configuration is fixed"
            ),
        }
    }
}

impl fmt::Debug for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable {
                error,
                transport,
                retry_at,
            } => f
                .debug_struct("Unavailable")
                .field("error", error)
                .field("transport", transport)
                .field("retry_at", retry_at)
                .finish(),
            Self::NeedsHuman { error } => {
                f.debug_struct("NeedsHuman").field("error", error).finish()
            }
        }
    }
}

impl StdError for TokenError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self.transport() {
            Some(t) => Some(t),
            None => Some(self.fetch_error()),
        }
    }
}
