//! [`Sleeper`]: the timer an async adapter lends the token source.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// A future that completes at a deadline, from the async runtime the adapter runs on
/// (`tokio::time::sleep_until`, `async_io::Timer::at`, ...). The token source has no runtime
/// of its own.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The async runtime's timer, given with
/// [`TokenSource::with_sleeper`](crate::TokenSource::with_sleeper).
///
/// [`TokenSource::token_async`](crate::TokenSource::token_async) uses it for one thing: a
/// caller waiting for another caller's request in flight stops waiting at the lifecycle's
/// request deadline ([`LifecycleConfig::request_timeout`](grantwire::LifecycleConfig)), should
/// that request never finish. Without a sleeper such a caller waits until the request in flight
/// completes, fails or is dropped (the token source records a dropped request as a transport
/// failure, so a cancelled caller never strands the others), which is enough when the adapter's
/// transport has its own total timeout. Backoffs never sleep: a call during a backoff returns
/// [`TokenError::Unavailable`](crate::TokenError::Unavailable) at once.
pub trait Sleeper: Send + Sync {
    /// A future that completes at `deadline` (at once when it has passed).
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}

impl<F> Sleeper for F
where
    F: Fn(Instant) -> Sleep + Send + Sync,
{
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        self(deadline)
    }
}
