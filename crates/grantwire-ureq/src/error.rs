//! [`Error`]: why a [`TokenClient`](crate::TokenClient) call failed.

use grantwire_client::{TokenError, TransportFailure};

/// Why a call of [`TokenClient`](crate::TokenClient) (or [`discover`](crate::discover))
/// failed. No variant carries a token, a secret or a request body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No valid access token: backing off after a failure, or halted until a human acts.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The request could not be delivered or its answer not received (including a response
    /// body over the cap).
    #[error("request failed: {0}")]
    Transport(#[from] TransportFailure),
    /// The server answered with an OAuth error or something unusable, or the request could
    /// not be built: match on [`grantwire::Error`].
    #[error(transparent)]
    Core(#[from] grantwire::Error),
    /// The access token has bytes a header value cannot carry, so it was not sent.
    #[error("the access token cannot be sent in an Authorization header")]
    TokenNotAHeader,
    /// The operating system's random generator failed; nothing was sent.
    #[error("no randomness available from the operating system")]
    NoRandomness,
}
