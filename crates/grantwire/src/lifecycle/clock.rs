//! Time arithmetic shared by the lifecycle: nothing here reads a clock.

use std::time::{Duration, Instant, SystemTime};

/// A century: the fallback when `t + d` is not representable.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// How far apart two instants are, in either direction.
///
/// The machine measures every age and every deadline this way, from the instant the event
/// happened: an instant far *before* the event (a wrong reading, or a wrong instant given with
/// the event) counts as far away too, so one wrong reading can never make a token look young,
/// a request look recent or a backoff look unfinished for longer than its own duration.
#[inline]
pub(super) fn apart(now: Instant, then: Instant) -> Duration {
    if now >= then {
        now.duration_since(then)
    } else {
        then.duration_since(now)
    }
}

/// `t + d`, saturating at a century from `t` (or `t` itself at the end of representable time)
/// so absurd configurations cannot panic.
pub(super) fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(CENTURY))
        .unwrap_or(t)
}

/// [`later`] for wall-clock times (reporting only).
pub(super) fn later_wall(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_add(d)
        .or_else(|| t.checked_add(CENTURY))
        .unwrap_or(t)
}
