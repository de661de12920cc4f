//! The `aws-lc-rs` backend. It signs all twelve algorithms itself, P-521 included; the rest is
//! shared with ring ([`super::ring_like`]).
//!
//! aws-lc-rs draws PSS salts and ECDSA nonces from AWS-LC's own RNG; the `rng` argument of its
//! ring-compatible API is ignored, so the caller's entropy is not used for those.

use crate::material::EcPrivate;

super::ring_like::ring_like!(aws_lc_rs, "aws-lc-rs");

fn modulus_len(pair: &RsaKeyPair) -> usize {
    pair.public_modulus_len()
}

fn ec_signer(alg: Algorithm, ec: &EcPrivate) -> Result<Box<dyn JwsSigner>, Error> {
    let fixed = match alg {
        Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        Algorithm::ES512 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        _ => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
    };
    let pair =
        EcdsaKeyPair::from_private_key_and_public_key(fixed, &ec.d, &ec.point).map_err(rejected)?;
    if pair.public_key().as_ref() != ec.point.as_slice() {
        return Err(Error::KeyRejected {
            backend: NAME,
            reason: "the public key does not belong to the private key".into(),
        });
    }
    Ok(Box::new(EcdsaSigner {
        alg,
        pair,
        rng: SystemRandom::new(),
    }))
}

fn ec_verify(alg: Algorithm, point: &[u8], message: &[u8], sig: &[u8]) -> Result<(), Error> {
    let a = match alg {
        Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
        Algorithm::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
        _ => &signature::ECDSA_P256_SHA256_FIXED,
    };
    ec_checked(a, point, message, sig)
}
