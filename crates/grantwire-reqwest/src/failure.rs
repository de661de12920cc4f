//! Placeholder for `grantwire_client::TransportFailure` until that crate lands.

use grantwire::lifecycle::TransportError;

/// Why the transport could not complete an exchange, with the lifecycle's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}", if *.too_large { " (the response body exceeded the limit)" } else { "" })]
pub struct TransportFailure {
    kind: TransportError,
    too_large: bool,
}

impl TransportFailure {
    /// A failure of this kind.
    pub fn new(kind: TransportError) -> Self {
        Self {
            kind,
            too_large: false,
        }
    }

    /// A response body over the transport's cap (a [`TransportError::Receive`]).
    pub fn too_large() -> Self {
        Self {
            kind: TransportError::Receive,
            too_large: true,
        }
    }

    /// The kind to feed to the lifecycle.
    pub fn kind(&self) -> TransportError {
        self.kind
    }

    /// Whether the body exceeded the cap.
    pub fn is_too_large(&self) -> bool {
        self.too_large
    }
}
