//! ES512 (ECDSA P-521, SHA-512) with the pure-Rust `p521` crate, shared by the ring backend
//! (ring has no P-521) and the RustCrypto backend.
//!
//! We draw the nonce ourselves and hand it to the ECDSA primitive that `p521`'s own signer
//! calls (`ecdsa::hazmat::sign_prehashed`): `p521` 0.13's `try_sign_with_rng` takes its nonce
//! by rejection sampling of whole 66-byte strings (`Scalar::random`), and a 66-byte string is
//! below the 521-bit group order only once in 128 tries, so it read about 8 KiB from the RNG per
//! signature: about 128 DRBG blocks, 60 µs of a 0.9 ms signature. Masking the 7 bits above
//! 2^521 first (FIPS 186-5 §A.3.2, "rejection sampling" over the bit length of n) leaves the
//! same uniform distribution on [1, n) with one draw almost always.

use ecdsa::elliptic_curve::ff::PrimeField as _;
use grantwire::Entropy;
use p521::ecdsa::signature::Verifier as _;
use p521::ecdsa::{Signature as P521Signature, SigningKey, VerifyingKey};
use p521::{FieldBytes, NistP521, Scalar};
use sha2::{Digest as _, Sha512};
use zeroize::Zeroize as _;

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

/// A nonce in [1, n) from `rng`: 66 bytes big-endian with the top 7 bits cleared (a 521-bit
/// number), drawn again in the rare case (under 2^-260) it is zero or not below n.
pub(crate) fn nonce(rng: &mut HedgedRng<'_>) -> Scalar {
    let mut bytes = FieldBytes::default();
    loop {
        rand_core::RngCore::fill_bytes(rng, &mut bytes);
        bytes[0] &= 0x01;
        let k = Option::<Scalar>::from(Scalar::from_repr(bytes));
        bytes.zeroize();
        match k {
            Some(k) if !bool::from(ecdsa::elliptic_curve::Field::is_zero(&k)) => return k,
            _ => continue,
        }
    }
}

impl JwsSigner for P521Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES512
    }

    fn sign(&self, input: &[u8], entropy: &mut dyn Entropy) -> Result<Signature, Error> {
        let failed = || Error::SigningFailed {
            backend: self.backend,
            reason: "P-521 signing failed",
        };
        // RFC 7518 §3.4: ECDSA over the SHA-512 of the signing input. The one digest serves
        // both the hedged DRBG (key, caller entropy and message together) and the signature.
        let digest = Sha512::digest(input);
        let mut rng = HedgedRng::from_digest(&self.hedge, entropy, &digest);
        let k = nonce(&mut rng);
        let z = ecdsa::hazmat::bits2field::<NistP521>(&digest).map_err(|_| failed())?;
        let (sig, _) = ecdsa::hazmat::sign_prehashed::<NistP521, Scalar>(
            self.key.as_nonzero_scalar().as_ref(),
            k,
            &z,
        )
        .map_err(|_| failed())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac as _};

    /// The documented construction, written out: the first 66 bytes of the hedged DRBG
    /// (HMAC-SHA-512 keyed with SHA-512 of the private key, see `rng.rs`), top 7 bits cleared.
    fn expected_nonce(d: &[u8], fresh: [u8; 32], message: &[u8]) -> FieldBytes {
        let k = Sha512::digest(d);
        let mac = || <Hmac<Sha512> as hmac::Mac>::new_from_slice(&k).unwrap();
        let seed = mac()
            .chain_update(b"grantwire-jose hedged signing v1")
            .chain_update(fresh)
            .chain_update(Sha512::digest(message))
            .finalize()
            .into_bytes();
        let mut stream = Vec::new();
        for counter in 0u64..2 {
            stream.extend_from_slice(
                &mac()
                    .chain_update(seed)
                    .chain_update(counter.to_be_bytes())
                    .finalize()
                    .into_bytes(),
            );
        }
        // p521's own sampler takes a 66-byte draw only if its first byte is 0 or 1.
        assert!(
            stream[0] > 1,
            "this vector's first draw is one p521 would have rejected"
        );
        let mut out = FieldBytes::default();
        out.copy_from_slice(&stream[..66]);
        out[0] &= 0x01;
        out
    }

    #[test]
    fn nonce_is_the_first_masked_draw_of_the_hedged_drbg() {
        // p521's own `try_sign_with_rng` rejected ~127 of every 128 draws (an unmasked 66-byte
        // string is rarely below n), so its nonce was a later draw and this test failed; the
        // masked first draw is what costs one DRBG block instead of ~128.
        let d = [0x42u8; 66];
        let (d, point) = {
            let mut d = d;
            d[0] = 0x01;
            let key = SigningKey::from_slice(&d).unwrap();
            let point = VerifyingKey::from(&key).to_encoded_point(false);
            (d, point.as_bytes().to_vec())
        };
        let signer = P521Signer::new(&d, &point, "test").unwrap();
        let message = b"eyJhbGciOiJFUzUxMiJ9.eyJpc3MiOiJjbGllbnQifQ";
        let sig = signer.sign(message, &mut |b: &mut [u8]| b.fill(7)).unwrap();

        let k = Option::<Scalar>::from(Scalar::from_repr(expected_nonce(&d, [7; 32], message)))
            .unwrap();
        let z = ecdsa::hazmat::bits2field::<NistP521>(&Sha512::digest(message)).unwrap();
        let (expected, _) = ecdsa::hazmat::sign_prehashed::<NistP521, Scalar>(
            signer.key.as_nonzero_scalar().as_ref(),
            k,
            &z,
        )
        .unwrap();
        assert_eq!(sig.as_bytes(), &expected.to_bytes()[..]);
        verify(&point, message, sig.as_bytes()).unwrap();
    }
}
