//! A small reserve of OS randomness for the lifecycle's backoff jitter, so that building a
//! token request does not make a `getrandom` system call right before it is sent.
//!
//! The lifecycle draws 4 bytes of jitter each time it builds a request (they spread the backoff
//! should that request fail). A system call per request sat on the path between the caller
//! asking for a token and the request leaving; the reserve draws 64 bytes at a time instead, so
//! one call serves 16 requests. Only draws of at most [`SMALL`] bytes are served from it: larger
//! ones (a client assertion's `jti`) still go to the OS each time, so a value a server checks
//! for replay never comes from bytes a forked process could share. Served bytes are wiped from
//! the reserve, and the rest is wiped on drop.

use zeroize::Zeroize;

/// The largest draw served from the reserve: the lifecycle's jitter.
pub(crate) const SMALL: usize = 4;

/// Bytes of OS randomness drawn at a time.
const SIZE: usize = 64;

pub(crate) struct Reserve {
    bytes: [u8; SIZE],
    /// Bytes at the front already served (and wiped); `SIZE` when empty.
    used: usize,
}

impl Reserve {
    /// An empty reserve: the first draw fills it.
    pub(crate) fn new() -> Reserve {
        Reserve {
            bytes: [0; SIZE],
            used: SIZE,
        }
    }

    /// Fills `dest`: from the reserve when it is at most [`SMALL`] bytes (refilling the
    /// reserve through `refill` when too few are left), straight from `refill` otherwise.
    pub(crate) fn fill(&mut self, dest: &mut [u8], mut refill: impl FnMut(&mut [u8])) {
        if dest.len() > SMALL {
            refill(dest);
            return;
        }
        if SIZE - self.used < dest.len() {
            refill(&mut self.bytes);
            self.used = 0;
        }
        let served = &mut self.bytes[self.used..self.used + dest.len()];
        dest.copy_from_slice(served);
        served.zeroize();
        self.used += dest.len();
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_draws_share_one_os_call_per_sixteen() {
        let mut reserve = Reserve::new();
        let mut calls = Vec::new();
        let mut seq = 0u32;
        let mut drawn = Vec::new();
        for _ in 0..33 {
            let mut jitter = [0u8; 4];
            reserve.fill(&mut jitter, |buf| {
                calls.push(buf.len());
                for b in buf.iter_mut() {
                    seq += 1;
                    *b = seq as u8;
                }
            });
            drawn.push(jitter);
        }
        // 33 draws of 4 bytes: three fills of 64 (at draws 1, 17 and 33).
        assert_eq!(calls, [SIZE, SIZE, SIZE]);
        // Every draw got bytes not served before (the reserve never repeats itself).
        for (i, a) in drawn.iter().enumerate() {
            for b in &drawn[..i] {
                assert_ne!(a, b, "a draw repeated an earlier one");
            }
        }
        // Served bytes are wiped; the unserved rest is still there.
        assert!(reserve.bytes[..4].iter().all(|&b| b == 0));
        assert!(reserve.bytes[4..].iter().all(|&b| b != 0));
    }

    #[test]
    fn larger_draws_go_to_the_os_each_time() {
        let mut reserve = Reserve::new();
        let mut calls = Vec::new();
        for _ in 0..3 {
            let mut jti = [0u8; 16];
            reserve.fill(&mut jti, |buf| {
                calls.push(buf.len());
                buf.fill(1);
            });
            assert_eq!(jti, [1; 16], "the draw came straight from the OS");
        }
        assert_eq!(calls, [16, 16, 16]);
        assert_eq!(reserve.used, SIZE, "the reserve was not touched");
    }
}
