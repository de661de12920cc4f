//! [`TokenEvent`]: what happened, for the application's callback. No event carries a token or
//! a secret.

use std::sync::Arc;
use std::time::SystemTime;

use grantwire::lifecycle::{FetchError, FetchKind, Obtained, RequestId, Retry};
use grantwire::Scope;

use crate::transport::TransportFailure;

/// Something the [`TokenSource`](crate::TokenSource) did, handed to the callbacks registered
/// with [`TokenSource::on_event`](crate::TokenSource::on_event) after the fact, outside any
/// lock. Neither the access token nor the refresh token is in it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum TokenEvent {
    /// A token from the original grant.
    Obtained(TokenInfo),
    /// A token from the refresh token grant (RFC 6749 §6).
    Refreshed(TokenInfo),
    /// A fetch failed.
    Failed {
        /// The request.
        request: RequestId,
        /// The grant it used.
        kind: FetchKind,
        /// Why.
        error: Arc<FetchError>,
        /// The adapter's transport failure, when that was the cause.
        transport: Option<Arc<TransportFailure>>,
        /// What happens next.
        retry: Retry,
    },
    /// A resource server refused the token held (401 `invalid_token`, RFC 6750 §3.1); the next
    /// call fetches a new one.
    Invalidated,
}

/// What is known about a token obtained, without the token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The request that brought it.
    pub request: RequestId,
    /// When it expires by the wall clock (reporting only).
    pub expires_at: SystemTime,
    /// Whether the server sent `expires_in`.
    pub expiry_known: bool,
    /// The granted scope, when the server said.
    pub scope: Option<Scope>,
    /// Whether a refresh token is held now.
    pub has_refresh_token: bool,
    /// Whether the server rotated the refresh token.
    pub refresh_token_rotated: bool,
}

impl TokenInfo {
    pub(crate) fn from_obtained(o: &Obtained) -> Self {
        Self {
            request: o.id,
            expires_at: o.expires_at,
            expiry_known: o.expiry_known,
            scope: o.scope.clone(),
            has_refresh_token: o.refresh_token.is_some(),
            refresh_token_rotated: o.refresh_token_rotated,
        }
    }
}
