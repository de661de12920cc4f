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
use zeroize::Zeroize;

/// The keyed HMAC state a signer prepares once from its private key.
#[derive(Clone)]
pub(crate) struct HedgeKey(Hmac<Sha512>);

impl HedgeKey {
    pub(crate) fn new(secret: &[u8]) -> Self {
        // A block-sized key (SHA-512 of the secret, zero-padded to 128 bytes) makes the
        // infallible constructor usable.
        let mut block = [0u8; 128];
        block[..64].copy_from_slice(&Sha512::digest(secret));
        let key = hmac::digest::generic_array::GenericArray::clone_from_slice(&block);
        block.zeroize();
        Self(<Hmac<Sha512> as hmac::digest::KeyInit>::new(&key))
    }
}

pub(crate) struct HedgedRng {
    mac: Hmac<Sha512>,
    seed: [u8; 64],
    counter: u64,
    buf: [u8; 64],
    used: usize,
}

impl HedgedRng {
    pub(crate) fn new(key: &HedgeKey, entropy: &mut dyn Entropy, message: &[u8]) -> Self {
        let mut fresh = [0u8; 32];
        entropy.fill_bytes(&mut fresh);
        let seed: [u8; 64] = key
            .0
            .clone()
            .chain_update(b"grantwire-jose hedged signing v1")
            .chain_update(fresh)
            .chain_update(Sha512::digest(message))
            .finalize()
            .into_bytes()
            .into();
        fresh.zeroize();
        Self {
            mac: key.0.clone(),
            seed,
            counter: 0,
            buf: [0; 64],
            used: 64,
        }
    }

    fn refill(&mut self) {
        self.buf = self
            .mac
            .clone()
            .chain_update(self.seed)
            .chain_update(self.counter.to_be_bytes())
            .finalize()
            .into_bytes()
            .into();
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl Drop for HedgedRng {
    fn drop(&mut self) {
        self.seed.zeroize();
        self.buf.zeroize();
    }
}

impl RngCore for HedgedRng {
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

impl CryptoRng for HedgedRng {}

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
}
