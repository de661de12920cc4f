//! Hedged randomness for the pure-Rust signers (`rand_core` 0.6, the RNG trait of the
//! RustCrypto generation this crate uses).
//!
//! Nonces (P-521 ECDSA), PSS salts and RSA blinding factors come from an HMAC-SHA-512 DRBG
//! keyed with a secret derived from the private key and seeded with 32 bytes of the caller's
//! entropy plus the SHA-512 of the message: the RFC 6979 §3.6 idea of "deterministic with
//! additional data". A caller whose entropy repeats (a test clock, a broken RNG) still never
//! reuses an ECDSA nonce across different messages, and rejection sampling always terminates
//! because every draw is fresh.

use grantwire::Entropy;
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The hedging key a signer derives once from its private key: SHA-512 of the private key,
/// zero-padded to the SHA-512 block (HMAC pads a shorter key the same way, RFC 2104 §2).
///
/// Not `Clone` (a copy would be one more secret to track) and wiped on drop. Only the key bytes
/// are kept: `hmac` 0.12 offers no zeroization of its keyed state, so that state is rebuilt
/// for each use (two SHA-512 blocks, well under a microsecond) and lives only on the stack of
/// one signature instead of as long as the key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct HedgeKey {
    block: [u8; 128],
}

impl HedgeKey {
    pub(crate) fn new(secret: &[u8]) -> Self {
        let mut block = [0u8; 128];
        block[..64].copy_from_slice(&Sha512::digest(secret));
        Self { block }
    }

    /// A fresh HMAC-SHA-512 keyed with this key.
    fn mac(&self) -> Hmac<Sha512> {
        // A block-sized key makes the infallible constructor usable.
        <Hmac<Sha512> as hmac::digest::KeyInit>::new(
            hmac::digest::generic_array::GenericArray::from_slice(&self.block),
        )
    }
}

pub(crate) struct HedgedRng<'k> {
    key: &'k HedgeKey,
    seed: [u8; 64],
    counter: u64,
    buf: [u8; 64],
    used: usize,
}

impl<'k> HedgedRng<'k> {
    #[cfg_attr(not(feature = "rust-crypto"), allow(dead_code))] // ES512 uses `from_digest`
    pub(crate) fn new(key: &'k HedgeKey, entropy: &mut dyn Entropy, message: &[u8]) -> Self {
        Self::from_digest(key, entropy, &Sha512::digest(message))
    }

    /// [`HedgedRng::new`] for a message whose SHA-512 the caller already has.
    pub(crate) fn from_digest(key: &'k HedgeKey, entropy: &mut dyn Entropy, digest: &[u8]) -> Self {
        let mut fresh = [0u8; 32];
        entropy.fill_bytes(&mut fresh);
        let seed: [u8; 64] = key
            .mac()
            .chain_update(b"grantwire-jose hedged signing v1")
            .chain_update(fresh)
            .chain_update(digest)
            .finalize()
            .into_bytes()
            .into();
        fresh.zeroize();
        Self {
            key,
            seed,
            counter: 0,
            buf: [0; 64],
            used: 64,
        }
    }

    fn refill(&mut self) {
        self.buf = self
            .key
            .mac()
            .chain_update(self.seed)
            .chain_update(self.counter.to_be_bytes())
            .finalize()
            .into_bytes()
            .into();
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl Drop for HedgedRng<'_> {
    fn drop(&mut self) {
        self.seed.zeroize();
        self.buf.zeroize();
    }
}

impl RngCore for HedgedRng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let mut filled = 0;
        while filled < dest.len() {
            if self.used == self.buf.len() {
                self.refill();
            }
            let n = (dest.len() - filled).min(self.buf.len() - self.used);
            dest[filled..filled + n].copy_from_slice(&self.buf[self.used..self.used + n]);
            self.used += n;
            filled += n;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for HedgedRng<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_entropy_different_messages_differ() {
        let key = HedgeKey::new(b"private key bytes");
        let mut zero = |b: &mut [u8]| b.fill(0);
        let mut a = [0u8; 100];
        let mut b = [0u8; 100];
        HedgedRng::new(&key, &mut zero, b"message one").fill_bytes(&mut a);
        HedgedRng::new(&key, &mut zero, b"message two").fill_bytes(&mut b);
        assert_ne!(a, b);
        let mut c = [0u8; 100];
        HedgedRng::new(&key, &mut zero, b"message one").fill_bytes(&mut c);
        assert_eq!(a, c);
        assert_ne!(a[..32], a[64..96]);
    }

    #[test]
    fn hedge_key_is_wiped_and_cannot_be_copied() {
        crate::assert_not_impl!(HedgeKey: Clone);
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<HedgeKey>();

        let mut key = HedgeKey::new(b"private key bytes");
        assert!(key.block[..64].iter().any(|&b| b != 0));
        key.zeroize();
        assert!(key.block.iter().all(|&b| b == 0));
    }

    #[test]
    fn output_is_the_documented_construction() {
        // HMAC-SHA-512(K, "grantwire-jose hedged signing v1" || entropy || SHA-512(msg)) seeds
        // HMAC-SHA-512(K, seed || counter) blocks, K = SHA-512(private key): pinned so that
        // refactoring the key handling cannot silently change signatures.
        let k = Sha512::digest(b"private key bytes");
        let mac = || <Hmac<Sha512> as Mac>::new_from_slice(&k).unwrap();
        let seed = mac()
            .chain_update(b"grantwire-jose hedged signing v1")
            .chain_update([7u8; 32])
            .chain_update(Sha512::digest(b"msg"))
            .finalize()
            .into_bytes();
        let block0 = mac()
            .chain_update(seed)
            .chain_update(0u64.to_be_bytes())
            .finalize()
            .into_bytes();
        let key = HedgeKey::new(b"private key bytes");
        let mut out = [0u8; 64];
        HedgedRng::new(&key, &mut |b: &mut [u8]| b.fill(7), b"msg").fill_bytes(&mut out);
        assert_eq!(out[..], block0[..]);
    }
}
