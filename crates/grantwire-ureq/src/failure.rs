//! Placeholder until `grantwire_client::TransportFailure` lands: the same shape.

use grantwire::lifecycle::TransportError;

/// Why a request got no usable response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportFailure {
    /// Connect, send, receive or timeout.
    #[error("{0}")]
    Transport(TransportError),
    /// The response body was larger than the cap.
    #[error("the response body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The cap.
        limit: u64,
    },
    /// The request could not be sent as built.
    #[error("the transport could not send this request")]
    Request,
}
