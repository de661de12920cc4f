//! Identifier and secret newtypes (RFC 6749 §2.2, §2.3.1, §1.4, §1.5).
//!
//! Secrets ([`ClientSecret`], [`AccessToken`], [`RefreshToken`], [`SecretString`]) never print their
//! value: `Debug` shows a redaction marker, there is no `Display`, equality runs in constant time
//! and the memory is zeroized on drop. Reading the value is an explicit call to `secret()`.

use std::fmt;

use subtle::ConstantTimeEq;

/// Equality of two secrets' bytes in time that depends only on their lengths (which are not
/// secret: unequal lengths answer at once, as `subtle` does). Compared 8 bytes at a time, each
/// word through `subtle`'s `ct_eq` and its optimisation barrier: an 800-byte access token is
/// 100 barriers instead of 800 (the comparison a refresh after a 401 makes).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |w: &[u8]| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(w);
        u64::from_ne_bytes(bytes)
    };
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut equal = wa.remainder().ct_eq(wb.remainder());
    for (x, y) in wa.zip(wb) {
        equal &= word(x).ct_eq(&word(y));
    }
    bool::from(equal)
}

/// Overwrites a string's whole allocation (length and spare capacity) with zeros before it is
/// freed. See [`wipe_vec`].
pub(crate) fn wipe_string(s: &mut String) {
    let mut bytes = std::mem::take(s).into_bytes();
    wipe_vec(&mut bytes);
    #[cfg(test)]
    wipe_probe::record(&bytes);
}

/// Overwrites a buffer's whole allocation with zeros and leaves it at full length
/// (`len == capacity`, every byte zero, same allocation), so the caller can still see that the
/// spare capacity was cleared.
///
/// The writes go through [`zeroize`], which guarantees they are not removed as dead stores
/// (from zeroize 1.9 on: one `memset` followed by an assembly optimisation barrier on x86,
/// x86-64, ARM, AArch64, RISC-V, LoongArch and s390x; volatile writes elsewhere). A bare
/// `memset` followed by [`std::hint::black_box`] would usually survive too, but `black_box` is
/// documented as best-effort and promises nothing, so it is not used for secrets.
pub(crate) fn wipe_vec(bytes: &mut Vec<u8>) {
    use zeroize::Zeroize as _;
    let cap = bytes.capacity();
    // Within capacity: no reallocation, so no copy of the secret is left behind; it also makes
    // the spare capacity initialised, hence observable without `unsafe`.
    bytes.resize(cap, 0);
    bytes.as_mut_slice().zeroize();
}

/// A test-only window on the last buffer [`wipe_string`] cleared on this thread, so a test can
/// see that dropping a secret type really wipes it.
#[cfg(test)]
pub(crate) mod wipe_probe {
    use std::cell::RefCell;

    thread_local! {
        static LAST: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    }

    pub(crate) fn record(wiped: &[u8]) {
        LAST.with(|l| *l.borrow_mut() = Some(wiped.to_vec()));
    }

    /// Takes the bytes of the last wiped buffer (as they were right after the wipe).
    pub(crate) fn take() -> Option<Vec<u8>> {
        LAST.with(|l| l.borrow_mut().take())
    }
}

/// A client identifier (RFC 6749 §2.2). Not a secret: it may appear in logs and errors.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps a client identifier. Any Unicode string is allowed (RFC 6749 §2.2 leaves the
    /// character set to the server); encoding happens where it is sent.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientId").field(&self.0).finish()
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ClientId {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// `Debug` prints a redaction marker, there is no `Display`, `==` compares in constant
        /// time, and the value is zeroized when dropped.
        #[derive(Clone)]
        pub struct $name(String);

        impl Drop for $name {
            fn drop(&mut self) {
                wipe_string(&mut self.0);
            }
        }

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value. Call this only where the value is sent or stored.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                ct_eq(self.0.as_bytes(), other.0.as_bytes())
            }
        }

        impl Eq for $name {}
    };
}

secret_type!(
    /// A client secret (RFC 6749 §2.3.1).
    ClientSecret
);
secret_type!(
    /// An access token (RFC 6749 §1.4).
    AccessToken
);
secret_type!(
    /// A refresh token (RFC 6749 §1.5).
    RefreshToken
);
secret_type!(
    /// Any other secret string: an ID token, an assertion, a subject token (RFC 8693), a PKCE
    /// code verifier or an authorization code.
    SecretString
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length up to 40 bytes (whole words, remainders, both), equal and with one byte
    /// changed at each position: the chunked comparison answers as plain equality does.
    #[test]
    fn constant_time_equality_matches_plain_equality() {
        for len in 0..40usize {
            let a: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
            assert!(ct_eq(&a, &a.clone()), "len {len}");
            for at in 0..len {
                for flip in [1u8, 0x80] {
                    let mut b = a.clone();
                    b[at] ^= flip;
                    assert!(!ct_eq(&a, &b), "len {len}, byte {at} ^ {flip}");
                }
            }
            assert!(!ct_eq(&a, &a[..len.saturating_sub(1)]) || len == 0);
            let mut longer = a.clone();
            longer.push(0);
            assert!(!ct_eq(&a, &longer), "len {len}");
        }
    }

    #[test]
    fn debug_is_redacted_and_equality_works() {
        let s = ClientSecret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
        assert_eq!(s, ClientSecret::new("hunter2-very-secret"));
        assert_ne!(s, ClientSecret::new("hunter2-very-secreT"));
        assert_ne!(s, ClientSecret::new("hunter2"));
        assert_eq!(s.secret(), "hunter2-very-secret");
    }

    #[test]
    fn wipe_zeroes_length_and_spare_capacity_in_place() {
        // The secret fills the whole allocation, then the length shrinks: the tail is still in
        // memory (spare capacity) and must be cleared too.
        let mut bytes = Vec::with_capacity(64);
        bytes.resize(bytes.capacity(), b'S');
        bytes.truncate(10);
        let cap = bytes.capacity();
        let ptr = bytes.as_ptr();
        wipe_vec(&mut bytes);
        assert_eq!(bytes.len(), cap, "the wipe must cover the spare capacity");
        assert_eq!(bytes.capacity(), cap);
        assert_eq!(bytes.as_ptr(), ptr, "the wipe must not reallocate");
        assert!(bytes.iter().all(|&b| b == 0));
    }

    #[test]
    fn wipe_string_empties_the_string() {
        let mut t = String::from("top-secret");
        wipe_string(&mut t);
        assert!(t.is_empty());
        let wiped = wipe_probe::take().expect("wipe_string records what it wiped");
        assert!(wiped.len() >= "top-secret".len());
        assert!(wiped.iter().all(|&b| b == 0));
    }

    #[test]
    fn dropping_a_secret_wipes_its_whole_allocation() {
        let mut value = String::with_capacity(48);
        value.push_str("hunter2-very-secret");
        let cap = value.capacity();
        let _ = wipe_probe::take();
        drop(ClientSecret::new(value));
        let wiped = wipe_probe::take().expect("Drop must call the wipe");
        assert_eq!(wiped.len(), cap);
        assert!(wiped.iter().all(|&b| b == 0));
        drop(SecretString::new("assertion"));
        assert!(wipe_probe::take().is_some_and(|w| w.iter().all(|&b| b == 0)));
    }
}
