//! [`LifecycleConfig`]: the timing and retry policy.

use std::time::Duration;

use crate::profile::ParseOptions;

/// Timing and retry policy of a [`TokenLifecycle`](super::TokenLifecycle). Every duration is
/// measured on the caller's monotonic [`Instant`](std::time::Instant)s, never on the wall clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifecycleConfig {
    /// Refresh once this share of the lifetime has passed (default 0.8; clamped to 0.1–1.0 so a
    /// token is never refreshed the moment it arrives).
    pub refresh_share: f64,
    /// Refresh this long before expiry (default 5 minutes), capped at half the lifetime so a
    /// short-lived token is not refreshed as soon as it arrives. Whichever of share and buffer
    /// comes first wins.
    pub refresh_buffer: Duration,
    /// The lifetime assumed when the server sends no `expires_in` (RFC 6749 §5.1 makes it
    /// optional). Default 10 minutes; never infinite.
    pub default_lifetime: Duration,
    /// How long a request may stay in flight before it counts as failed (default 30 s).
    pub request_timeout: Duration,
    /// Backoff after the first failure (default 1 s); doubled after each further failure.
    pub initial_backoff: Duration,
    /// Largest backoff (default 5 minutes).
    pub max_backoff: Duration,
    /// Largest `Retry-After` honoured (default 1 hour), so a hostile or broken server cannot
    /// park the client for days.
    pub max_retry_after: Duration,
    /// Profile and limits for parsing token responses.
    pub parse_options: ParseOptions,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            refresh_share: 0.8,
            refresh_buffer: Duration::from_secs(300),
            default_lifetime: Duration::from_secs(600),
            request_timeout: Duration::from_secs(30),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            max_retry_after: Duration::from_secs(3600),
            parse_options: ParseOptions::default(),
        }
    }
}

impl LifecycleConfig {
    /// The age at which a token living `lifetime` (measured from its receipt) is due for
    /// refresh: the share or the buffer before expiry, whichever comes first.
    pub fn refresh_after(&self, lifetime: Duration) -> Duration {
        let share = if self.refresh_share.is_nan() {
            0.8
        } else {
            self.refresh_share.clamp(0.1, 1.0)
        };
        let by_share = scale(lifetime, share);
        let by_buffer = lifetime - self.refresh_buffer.min(lifetime / 2);
        by_share.min(by_buffer)
    }

    /// The backoff before retry number `failures` (1 for the first), with `jitter` in
    /// `0..=u32::MAX` spreading it over the upper half ("equal jitter"), and at least
    /// `retry_after` (capped at [`LifecycleConfig::max_retry_after`]).
    pub fn backoff(&self, failures: u32, jitter: u32, retry_after: Option<Duration>) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let full = self
            .initial_backoff
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff);
        let half = full / 2;
        let jittered = half + scale(full - half, f64::from(jitter) / f64::from(u32::MAX));
        match retry_after {
            Some(r) => jittered.max(r.min(self.max_retry_after)),
            None => jittered,
        }
    }
}

/// `d * factor` for `factor` in `0.0..=1.0`, never above `d` and never panicking on float
/// rounding at the top of the `Duration` range.
fn scale(d: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * factor)
        .unwrap_or(d)
        .min(d)
}
