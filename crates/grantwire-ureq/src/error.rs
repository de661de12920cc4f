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
    /// The request could not be built (an endpoint not configured, client authentication
    /// unavailable).
    #[error("could not build the request: {0}")]
    Request(grantwire::Error),
    /// The server's answer was an OAuth error or not a usable response.
    #[error("response: {0}")]
    Response(grantwire::Error),
    /// The access token has bytes a header value cannot carry, so it was not sent.
    #[error("the access token cannot be sent in an Authorization header")]
    TokenNotAHeader,
    /// The operating system's random generator failed; nothing was sent.
    #[error("no randomness available from the operating system")]
    NoRandomness,
}

impl Error {
    /// The core error of an [`Error::Request`] or [`Error::Response`], to match on its kind or
    /// OAuth error code.
    pub fn grantwire(&self) -> Option<&grantwire::Error> {
        match self {
            Self::Request(e) | Self::Response(e) => Some(e),
            _ => None,
        }
    }
}
