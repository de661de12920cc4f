//! [`Error`]: why a [`TokenClient`](crate::TokenClient) call failed.

use grantwire_client::{TokenError, TransportFailure};

/// Why a [`TokenClient`](crate::TokenClient) call failed. No variant carries a token, a
/// secret or a request body; reqwest's errors are kept without their URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No valid access token (see [`TokenError`]: backing off, or a human must act).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// An introspection, revocation or discovery request could not be delivered or its answer
    /// not read (including a body over the cap).
    #[error("transport: {0}")]
    Transport(#[from] TransportFailure),
    /// The request could not be built (an endpoint not configured, client authentication
    /// unavailable).
    #[error("could not build the request: {0}")]
    Request(grantwire::Error),
    /// The server's answer was an OAuth error or not a usable response.
    #[error("response: {0}")]
    Response(grantwire::Error),
    /// The operating system's random generator failed (client assertions need a `jti`).
    #[error("no OS randomness available")]
    Entropy,
    /// The API request itself failed ([`TokenClient::send`](crate::TokenClient::send)).
    #[error("request: {0}")]
    Http(reqwest::Error),
}

impl Error {
    /// The core error of a [`Error::Request`] or [`Error::Response`], to match on its kind or
    /// OAuth error code.
    pub fn grantwire(&self) -> Option<&grantwire::Error> {
        match self {
            Self::Request(e) | Self::Response(e) => Some(e),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Self::Http(e.without_url())
    }
}
