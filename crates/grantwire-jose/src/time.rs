//! Time as JWT claims carry it: whole seconds since the epoch (RFC 7519 §2 `NumericDate`),
//! shared by the signers (`iat`, `exp`) and the verifier (`now`).

use std::time::{SystemTime, UNIX_EPOCH};

/// `t` as a `NumericDate` (RFC 7519 §2), saturating: before the epoch is negative, and a time
/// too far out for an `i64` clamps instead of wrapping.
pub(crate) fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}
