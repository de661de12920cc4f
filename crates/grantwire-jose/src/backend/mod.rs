//! The signer trait and the three crypto backends.
//!
//! Every backend turns the backend-neutral key material (`crate::material`, parsed from a
//! [`crate::PrivateKey`]) into its own key object once, when a [`crate::SigningKey`] is built, and implements
//! [`JwsSigner`] on it; verification goes through the same backend's `verify`.

use std::fmt;

use grantwire::Entropy;

use crate::alg::Algorithm;
use crate::error::Error;
use crate::material::{PrivateMaterial, PublicMaterial};

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "rust-crypto")]
mod hs256;
#[cfg(any(feature = "ring", feature = "rust-crypto"))]
mod p521_impl;
#[cfg(feature = "ring")]
mod ring;
#[cfg(any(feature = "ring", feature = "aws-lc-rs"))]
mod ring_like;
#[cfg(any(feature = "ring", feature = "rust-crypto"))]
mod rng;
#[cfg(feature = "rust-crypto")]
mod rust_crypto;

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "grantwire-jose needs a crypto backend: enable `ring` (default), `aws-lc-rs` or `rust-crypto`"
);

/// Produces the signature of a JWS signing input (RFC 7515 §5.1 step 5) with a key bound to
/// one algorithm.
///
/// This is the one trait a backend implements; implement it yourself to sign with an HSM or a
/// cloud KMS and wrap it with [`SigningKey::from_signer`](crate::SigningKey::from_signer).
pub trait JwsSigner: Send + Sync {
    /// The algorithm this signer was built for; it never changes.
    fn algorithm(&self) -> Algorithm;

    /// Signs `signing_input` and returns the raw JWS signature (for ECDSA the fixed-width
    /// `R || S` of RFC 7518 §3.4). `entropy` is the caller's randomness; which built-in
    /// signers use it, and which use their library's own generator instead, is
    /// [`Backend::randomness`].
    fn sign(&self, signing_input: &[u8], entropy: &mut dyn Entropy) -> Result<Signature, Error>;
}

/// A keyed MAC that absorbs a constant message prefix once: HS* client assertions change only
/// after their constant header and claims, so the HMAC state after those bytes is computed
/// when the first assertion for an audience is minted, extended once a second by the `exp`,
/// `iat` (`nbf`) segment, and copied for every assertion (`crate::assertion`). Every
/// backend's HMAC signer offers it.
pub(crate) trait PrefixMac: Send + Sync {
    /// The MAC state after absorbing `prefix`.
    fn absorb(&self, prefix: &[u8]) -> Box<dyn MacState>;
}

/// The largest HMAC tag (HS512).
pub(crate) const MAX_TAG: usize = 64;

/// The largest hash block (SHA-384 and SHA-512: 128 bytes, FIPS 180-4 §1).
#[cfg(any(feature = "ring", feature = "aws-lc-rs"))]
pub(crate) const MAX_BLOCK: usize = 128;

/// A MAC state that has absorbed a constant prefix ([`PrefixMac::absorb`]). Only `Send`:
/// aws-lc-rs's HMAC context is not `Sync`, so callers share it behind a lock.
pub(crate) trait MacState: Send {
    /// A copy of this state that has also absorbed `more`.
    fn extend(&self, more: &[u8]) -> Box<dyn MacState>;

    /// Writes the MAC of `prefix || rest || more`, computed from a copy of this state, to the
    /// start of `tag` and returns its length: byte for byte what the backend's one-shot HMAC
    /// of the whole message gives.
    fn finish(&self, rest: &[u8], more: &[u8], tag: &mut [u8; MAX_TAG]) -> usize;
}

/// Copies a computed tag to the start of `out` and returns its length.
pub(crate) fn put_tag(tag: &[u8], out: &mut [u8; MAX_TAG]) -> usize {
    let n = tag.len().min(MAX_TAG);
    out[..n].copy_from_slice(&tag[..n]);
    n
}

/// Bytes kept inline: every HMAC and ECDSA signature (P-521: 132 bytes).
const INLINE: usize = 132;

/// A raw JWS signature. HMAC and ECDSA signatures live inline (no allocation), RSA ones on
/// the heap. Wiped on drop, since it completes a bearer credential.
pub struct Signature {
    inline: [u8; INLINE],
    len: usize,
    heap: Vec<u8>,
}

impl Signature {
    /// Copies `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE {
            let mut inline = [0u8; INLINE];
            inline[..bytes.len()].copy_from_slice(bytes);
            Self {
                inline,
                len: bytes.len(),
                heap: Vec::new(),
            }
        } else {
            Self::from_vec(bytes.to_vec())
        }
    }

    /// Takes `bytes`.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        Self {
            inline: [0u8; INLINE],
            len: 0,
            heap: bytes,
        }
    }

    /// The signature bytes.
    pub fn as_bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({} bytes)", self.as_bytes().len())
    }
}

impl Drop for Signature {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.inline[..self.len].zeroize();
        self.heap.zeroize();
    }
}

/// Where the randomness of a signature comes from: [`Backend::randomness`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Randomness {
    /// None in the signature value: the same key and message give the same signature whatever
    /// the caller's entropy (HMAC, RSASSA-PKCS1-v1_5, Ed25519). RSA signing may still blind
    /// the private operation internally: with the caller's entropy on the pure-Rust backend,
    /// with AWS-LC's own generator on aws-lc-rs; ring does not blind.
    Deterministic,
    /// The caller's entropy, hedged with the key and the message (see the crate docs): the
    /// same entropy and message give the same signature, and the operating system's generator
    /// is never read. Fully Sans-IO.
    Caller,
    /// The library's own generator, seeded by the operating system: the caller's entropy is
    /// not consulted, and two signatures of the same message differ. ring and AWS-LC also mix
    /// the key and the message into ECDSA nonces, so a weak system RNG alone does not reveal
    /// the key.
    System,
}

/// A crypto backend. Every variant exists in every build; one whose cargo feature is off
/// answers [`Error::BackendUnavailable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// `ring` (feature `ring`). ES512 is signed and verified with the pure-Rust `p521` crate,
    /// since ring has no P-521.
    Ring,
    /// `aws-lc-rs` (feature `aws-lc-rs`, the default).
    AwsLc,
    /// Pure Rust: `rsa`, `p256`, `p384`, `p521`, `hmac`, `sha2` (feature `rust-crypto`).
    RustCrypto,
}

impl Backend {
    /// Every backend compiled into this build, the default first.
    pub fn available() -> Vec<Backend> {
        [Backend::AwsLc, Backend::Ring, Backend::RustCrypto]
            .into_iter()
            .filter(|b| b.is_available())
            .collect()
    }

    /// Whether this backend's feature is compiled in.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Ring => cfg!(feature = "ring"),
            Backend::AwsLc => cfg!(feature = "aws-lc-rs"),
            Backend::RustCrypto => cfg!(feature = "rust-crypto"),
        }
    }

    /// The backend's name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Ring => "ring",
            Backend::AwsLc => "aws-lc-rs",
            Backend::RustCrypto => "rust-crypto",
        }
    }

    /// Where the randomness in a signature by this backend for `alg` comes from (the table
    /// "Randomness, exactly" in the crate docs). The same in every build: it describes the
    /// backend, compiled in or not.
    pub fn randomness(self, alg: Algorithm) -> Randomness {
        use crate::alg::Family;
        match (self, alg.family()) {
            // HMAC, RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) and Ed25519 (RFC 8032 §5.1.6) have no
            // randomness in the signature value.
            (_, Family::Hmac | Family::RsaPkcs1 | Family::EdDsa) => Randomness::Deterministic,
            // The pure-Rust signers, and ES512 under ring (ring has no P-521: the pure-Rust
            // `p521` path), take every random byte from the hedged DRBG over the caller's
            // entropy.
            (Backend::RustCrypto, _) => Randomness::Caller,
            (Backend::Ring, _) if alg == Algorithm::ES512 => Randomness::Caller,
            // ring's and aws-lc-rs's PSS and ECDSA APIs take no caller RNG.
            (Backend::Ring | Backend::AwsLc, _) => Randomness::System,
        }
    }

    /// Builds a signer for `alg` from `key`. The key must already have passed
    /// [`crate::PrivateKey::check_algorithm`].
    pub(crate) fn signer(
        self,
        alg: Algorithm,
        key: &PrivateMaterial,
    ) -> Result<Box<dyn JwsSigner>, Error> {
        match self {
            #[cfg(feature = "ring")]
            Backend::Ring => ring::signer(alg, key),
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLc => aws_lc::signer(alg, key),
            #[cfg(feature = "rust-crypto")]
            Backend::RustCrypto => rust_crypto::signer(alg, key),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = (alg, key);
                Err(Error::BackendUnavailable(self.name()))
            }
        }
    }

    /// The prefix-absorbing MAC of `secret` for an HS* `alg` ([`PrefixMac`]).
    pub(crate) fn prefix_mac(
        self,
        alg: Algorithm,
        secret: &[u8],
    ) -> Result<Box<dyn PrefixMac>, Error> {
        match self {
            #[cfg(feature = "ring")]
            Backend::Ring => Ok(ring::prefix_mac(alg, secret)),
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLc => Ok(aws_lc::prefix_mac(alg, secret)),
            #[cfg(feature = "rust-crypto")]
            Backend::RustCrypto => rust_crypto::prefix_mac(alg, secret),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = (alg, secret);
                Err(Error::BackendUnavailable(self.name()))
            }
        }
    }

    /// Verifies `signature` over `message` with `key` for `alg`; [`Error::BadSignature`] when
    /// it does not verify. The caller has already pinned `alg` to the key's type.
    pub(crate) fn verify(
        self,
        alg: Algorithm,
        key: &PublicMaterial,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        match self {
            #[cfg(feature = "ring")]
            Backend::Ring => ring::verify(alg, key, message, signature),
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLc => aws_lc::verify(alg, key, message, signature),
            #[cfg(feature = "rust-crypto")]
            Backend::RustCrypto => rust_crypto::verify(alg, key, message, signature),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = (alg, key, message, signature);
                Err(Error::BackendUnavailable(self.name()))
            }
        }
    }
}

impl Default for Backend {
    /// The first compiled-in backend in the fixed order aws-lc-rs, ring, RustCrypto: the
    /// default feature's backend first, so `--all-features` signs every algorithm with the
    /// backend the default build uses (see the crate docs: cargo unifies features across a
    /// build, so another crate enabling `aws-lc-rs`, the default feature, changes this; name
    /// the backend with [`SigningKey::with_backend`](crate::SigningKey::with_backend) where
    /// that matters).
    fn default() -> Self {
        if cfg!(feature = "aws-lc-rs") {
            Backend::AwsLc
        } else if cfg!(feature = "ring") {
            Backend::Ring
        } else {
            Backend::RustCrypto
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The Ed25519 public key of `seed` (RFC 8032 §5.1.5), from whichever backend is compiled in
/// (the result is the same in all: this is deterministic math).
pub(crate) fn ed25519_public(seed: &[u8]) -> Result<Vec<u8>, Error> {
    #[cfg(feature = "ring")]
    return ring::ed25519_public(seed);
    #[cfg(all(not(feature = "ring"), feature = "aws-lc-rs"))]
    return aws_lc::ed25519_public(seed);
    #[cfg(all(
        not(feature = "ring"),
        not(feature = "aws-lc-rs"),
        feature = "rust-crypto"
    ))]
    return rust_crypto::ed25519_public(seed);
}

/// Checks a signature's length before any backend sees it.
pub(crate) fn expected_sig_len(alg: Algorithm, key: &PublicMaterial) -> Option<usize> {
    match key {
        PublicMaterial::Rsa { n, .. } => Some(n.len()),
        PublicMaterial::Ec { curve, .. } => Some(2 * curve.field_len()),
        PublicMaterial::Ed25519(_) => Some(64),
        PublicMaterial::Oct(_) => Some(alg.hash_len()),
    }
}
