//! [`TransportFailure`]: what an adapter reports when a token request could not be delivered
//! or its answer not received.

use std::error::Error as StdError;
use std::fmt;

use grantwire::lifecycle::TransportError;

/// A token request that could not complete at the transport level: connection refused, reset,
/// transport timeout, body over its cap. The [`TransportError`] kind goes to the lifecycle
/// (which backs off as after a 5xx answer); the source, the adapter's own error, is kept for
/// the application.
///
/// Its `Display` says only the kind: no URL, query string or body. `Debug` shows the kind and
/// whether there is a source, never the source itself (an HTTP client's error may print the
/// URL). Adapters should strip URLs from their errors before boxing them as the source.
pub struct TransportFailure {
    kind: TransportError,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl TransportFailure {
    /// A failure of `kind`, caused by `source` (the adapter's error), if any.
    pub fn new(kind: TransportError, source: Option<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { kind, source }
    }

    /// The kind the lifecycle is told.
    pub fn kind(&self) -> TransportError {
        self.kind
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl fmt::Debug for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportFailure")
            .field("kind", &self.kind)
            .field("has_source", &self.source.is_some())
            .finish()
    }
}

impl StdError for TransportFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

impl From<TransportError> for TransportFailure {
    fn from(kind: TransportError) -> Self {
        Self::new(kind, None)
    }
}
