//! [`Cached`]: what a cache hit of [`TokenSource`](crate::TokenSource) reads, built once per
//! token under the lifecycle's lock and never written after.
//!
//! Two costs dominate a naive hit (measured in docs/PERFORMANCE.md): reading the monotonic
//! clock (`Instant::now()`, about 24 ns on a virtual machine) and, when two cores hit at once,
//! the reference-count increment of one shared `Arc` (its cache line bounces between cores).
//!
//! - Copies: the token is copied once per core (a power of two, 2 to 16) and each thread hands
//!   out the `Arc` of its own copy; copy 0 is the lifecycle's own `Arc`. A thread's copy index
//!   is the one fewest live threads hold when it first hits, and is released when the thread
//!   ends, so as many threads as copies (a runtime's workers, one per core) never share one.
//!   Every copy zeroizes its access token when dropped.
//! - Clock (Linux and Android): far from the deadline, the hit reads the kernel's coarse
//!   monotonic clock (`CLOCK_MONOTONIC_COARSE`, a few ns: the time of the last timer tick).
//!   That clock is the monotonic clock `Instant` reads, as of the last tick, so it never runs
//!   ahead of it and lags it by about one tick (1 to 10 ms; the kernel forces an update when
//!   the timekeeping core stalls for a few ticks). The fast deadline is the token's fresh-until
//!   instant minus [`COARSE_MARGIN`], in that clock's nanoseconds; after it (and on other
//!   systems) the hit reads `Instant::now()` and applies the lifecycle's own rule. A token is
//!   therefore served past its refresh time only if the coarse clock lagged by more than
//!   [`COARSE_MARGIN`], far beyond any tick.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use grantwire::lifecycle::Token;

/// How long before the token's fresh-until instant the hit stops trusting the coarse clock:
/// 25 ticks at the coarsest kernel tick (10 ms).
pub(crate) const COARSE_MARGIN: Duration = Duration::from_millis(250);

/// Most copies of a token (one per core).
const MAX_COPIES: usize = 16;

/// The fresh token as a cache hit reads it.
pub(crate) struct Cached {
    /// Copies of the token, a power of two of them; index 0 is the lifecycle's own `Arc`.
    copies: Box<[Arc<Token>]>,
    /// Coarse-clock nanoseconds before which the token is certainly fresh; 0 for none.
    fast_until: u64,
}

impl Cached {
    /// The cache entry for `token`, which is fresh until `fresh_until` (for a clock past its
    /// receipt; `None` when that instant is not representable).
    pub(crate) fn new(token: &Arc<Token>, fresh_until: Option<Instant>) -> Cached {
        let copies = (0..copies())
            .map(|i| {
                if i == 0 {
                    Arc::clone(token)
                } else {
                    Arc::new(Token::clone(token))
                }
            })
            .collect();
        Cached {
            copies,
            fast_until: fresh_until.map_or(0, coarse::deadline),
        }
    }

    /// The lifecycle's own `Arc`.
    #[inline]
    pub(crate) fn token(&self) -> &Arc<Token> {
        &self.copies[0]
    }

    /// This thread's copy (copy 0 for a hit from a thread-local destructor, after the slot's).
    #[inline]
    pub(crate) fn for_this_thread(&self) -> &Arc<Token> {
        let i = SLOT.try_with(|s| s.0).unwrap_or(0) & (self.copies.len() - 1);
        &self.copies[i]
    }

    /// Whether the token is fresh now: certainly so by the coarse clock, or by `precise` (the
    /// lifecycle's rule) at `Instant::now()`.
    #[inline]
    pub(crate) fn is_fresh(&self, precise: fn(&Token, Instant) -> bool) -> bool {
        (coarse::AVAILABLE && coarse::now() < self.fast_until)
            || precise(self.token(), Instant::now())
    }
}

/// Copies per token: the cores available, rounded up to a power of two, 2 to 16.
fn copies() -> usize {
    static COPIES: OnceLock<usize> = OnceLock::new();
    *COPIES.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .next_power_of_two()
            .clamp(2, MAX_COPIES)
    })
}

/// How many live threads hold each copy index.
static HOLDERS: [AtomicUsize; MAX_COPIES] = [const { AtomicUsize::new(0) }; MAX_COPIES];

/// A thread's copy index, released when the thread ends.
struct Slot(usize);

impl Slot {
    /// The index fewest live threads hold (a race at most makes two threads share one).
    fn take() -> Slot {
        let n = copies();
        let i = (0..n)
            .min_by_key(|&i| HOLDERS[i].load(Ordering::Relaxed))
            .unwrap_or(0);
        HOLDERS[i].fetch_add(1, Ordering::Relaxed);
        Slot(i)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        HOLDERS[self.0].fetch_sub(1, Ordering::Relaxed);
    }
}

thread_local! {
    static SLOT: Slot = Slot::take();
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod coarse {
    use std::time::Instant;

    use rustix::time::{clock_gettime, ClockId};

    pub(super) const AVAILABLE: bool = true;

    /// `CLOCK_MONOTONIC_COARSE` in nanoseconds (`u64::MAX`, never before a deadline, should it
    /// not fit).
    #[inline]
    pub(super) fn now() -> u64 {
        let t = clock_gettime(ClockId::MonotonicCoarse);
        match (u64::try_from(t.tv_sec), u64::try_from(t.tv_nsec)) {
            (Ok(s), Ok(n)) => s.saturating_mul(1_000_000_000).saturating_add(n),
            _ => u64::MAX,
        }
    }

    /// The coarse-clock reading before which `Instant::now()` is certainly before
    /// `fresh_until` less the margin; 0 when there is none. The coarse clock is read first, so
    /// it is at most the monotonic time of the `Instant` read after it: the deadline errs early.
    pub(super) fn deadline(fresh_until: Instant) -> u64 {
        let coarse = now();
        let left = fresh_until.saturating_duration_since(Instant::now());
        match left.checked_sub(super::COARSE_MARGIN) {
            Some(left) if coarse != u64::MAX => {
                let left = u64::try_from(left.as_nanos()).unwrap_or(u64::MAX);
                coarse.saturating_add(left)
            }
            _ => 0,
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod coarse {
    use std::time::Instant;

    pub(super) const AVAILABLE: bool = false;

    #[inline]
    pub(super) fn now() -> u64 {
        u64::MAX
    }

    pub(super) fn deadline(_fresh_until: Instant) -> u64 {
        0
    }
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_deadline_errs_early_by_the_margin() {
        let left = Duration::from_secs(10);
        let fresh_until = Instant::now() + left;
        let deadline = coarse::deadline(fresh_until);
        let after = coarse::now();
        assert!(after < deadline, "a token fresh for 10 s is not a fast hit");
        let margin = u64::try_from((left - COARSE_MARGIN).as_nanos()).unwrap();
        assert!(
            deadline <= after + margin,
            "the fast deadline is later than the token's"
        );
    }

    #[test]
    fn no_fast_deadline_within_the_margin() {
        let soon = Instant::now() + COARSE_MARGIN / 2;
        assert_eq!(coarse::deadline(soon), 0);
        assert_eq!(coarse::deadline(Instant::now()), 0);
    }
}
