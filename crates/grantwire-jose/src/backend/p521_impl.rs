//! ES512 (ECDSA P-521, SHA-512) with the pure-Rust `p521` crate, shared by the ring backend
//! (ring has no P-521) and the RustCrypto backend.

use grantwire::Entropy;
use p521::ecdsa::signature::{RandomizedSigner as _, Verifier as _};
use p521::ecdsa::{Signature as P521Signature, SigningKey, VerifyingKey};

use super::rng::{HedgeKey, HedgedRng};
use super::{JwsSigner, Signature};
use crate::alg::Algorithm;
use crate::error::Error;

pub(crate) struct P521Signer {
    key: SigningKey,
    hedge: HedgeKey,
    backend: &'static str,
}

impl P521Signer {
    pub(crate) fn new(d: &[u8], point: &[u8], backend: &'static str) -> Result<Self, Error> {
        let key = SigningKey::from_slice(d).map_err(|_| Error::KeyRejected {
            backend,
            reason: "the P-521 private scalar is out of range".into(),
        })?;
        if VerifyingKey::from(&key).to_encoded_point(false).as_bytes() != point {
            return Err(Error::KeyRejected {
                backend,
                reason: "the public key does not belong to the private key".into(),
            });
        }
        Ok(Self {
            key,
            hedge: HedgeKey::new(d),
            backend,
        })
    }
}

impl JwsSigner for P521Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES512
    }

    fn sign(&self, input: &[u8], entropy: &mut dyn Entropy) -> Result<Signature, Error> {
        // p521 0.13 draws the whole nonce from the RNG it is given (no RFC 6979), so the RNG
        // is the hedged DRBG: key, caller entropy and message together.
        let mut rng = HedgedRng::new(&self.hedge, entropy, input);
        let sig: P521Signature =
            self.key
                .try_sign_with_rng(&mut rng, input)
                .map_err(|_| Error::SigningFailed {
                    backend: self.backend,
                    reason: "P-521 signing failed",
                })?;
        Ok(Signature::from_slice(&sig.to_bytes()))
    }
}

pub(crate) fn verify(point: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let key = VerifyingKey::from_sec1_bytes(point).map_err(|_| Error::KeyFormat {
        reason: "the P-521 public key is not a point on the curve",
    })?;
    let sig = P521Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
    key.verify(message, &sig).map_err(|_| Error::BadSignature)
}
