//! [`Token`]: the access token the machine holds, with its age measured on the caller's
//! monotonic clock.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use super::clock::{apart, later, later_wall};
use super::config::LifecycleConfig;
use crate::response::{TokenResponse, TokenType};
use crate::secret::AccessToken;
use crate::Scope;

/// A token the machine holds. Handed out as an `Arc<Token>` ([`Next::Ready`](super::Next::Ready)):
/// a cache hit copies nothing and allocates nothing, and the token can be shared across threads.
///
/// Its age is measured from [`Token::received`], the [`Instant`] given with the response; the
/// wall-clock times ([`Token::received_at`], [`Token::expires_at`]) are for reporting only and
/// never decide whether the token is served.
///
/// `Clone` copies the access token (each copy is zeroized on drop); a token client uses it to
/// give threads separate copies, so that cache hits on several cores do not write one shared
/// reference count.
#[derive(Clone)]
pub struct Token {
    access_token: AccessToken,
    token_type: TokenType,
    received: Instant,
    lifetime: Duration,
    refresh_after: Duration,
    received_at: SystemTime,
    expiry_known: bool,
    scope: Option<Scope>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("lifetime", &self.lifetime)
            .field("refresh_after", &self.refresh_after)
            .field("expires_at", &self.expires_at())
            .field("expiry_known", &self.expiry_known)
            .finish_non_exhaustive()
    }
}

impl Token {
    /// The token in `response`, received at `received`; `None` when it lives zero seconds.
    pub(super) fn from_response(
        response: &TokenResponse,
        received: Instant,
        config: &LifecycleConfig,
    ) -> Option<Self> {
        let (lifetime, expiry_known) = match response.expires_in() {
            Some(d) => (d, true),
            None => (config.default_lifetime, false),
        };
        if lifetime.is_zero() {
            return None;
        }
        Some(Self {
            access_token: response.access_token().clone(),
            token_type: response.token_type(),
            received,
            lifetime,
            refresh_after: config.refresh_after(lifetime),
            received_at: response.received_at(),
            expiry_known,
            scope: response.scope().cloned(),
        })
    }

    /// The access token.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    /// Its type (RFC 6749 §7.1).
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }
    /// The instant the response carrying it was received: its age is measured from here.
    pub fn received(&self) -> Instant {
        self.received
    }
    /// How long it lives from [`Token::received`]: `expires_in`, or
    /// [`LifecycleConfig::default_lifetime`] when the server did not say
    /// ([`Token::expiry_known`] is then `false`).
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }
    /// The instant the machine starts refreshing it.
    pub fn refresh_due(&self) -> Instant {
        later(self.received, self.refresh_after)
    }
    /// The instant it expires.
    pub fn valid_until(&self) -> Instant {
        later(self.received, self.lifetime)
    }
    /// Whether it is still served at `now`: less than its lifetime away from its receipt, in
    /// either direction (see the [module docs](super)).
    #[inline]
    pub fn is_valid(&self, now: Instant) -> bool {
        apart(now, self.received) < self.lifetime
    }
    /// Whether it is served at `now` without starting a refresh.
    #[inline]
    pub(super) fn is_fresh(&self, now: Instant) -> bool {
        apart(now, self.received) < self.refresh_after
    }
    /// The wall-clock time of receipt, for reporting: the `Context` time of the request plus the
    /// time it was in flight (or the time a seeded response was parsed at).
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }
    /// The wall-clock expiry, for reporting and persisting: [`Token::received_at`] plus the
    /// lifetime. The machine never schedules on it.
    pub fn expires_at(&self) -> SystemTime {
        later_wall(self.received_at, self.lifetime)
    }
    /// Whether the server sent `expires_in`.
    pub fn expiry_known(&self) -> bool {
        self.expiry_known
    }
    /// The granted scope, when the server said.
    pub fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
    }
}
