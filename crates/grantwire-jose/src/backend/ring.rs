//! The `ring` backend (default). ES512 goes to [`super::p521_impl`]: ring has no P-521. The
//! rest is shared with aws-lc-rs ([`super::ring_like`]).

use super::p521_impl::{self, P521Signer};
use crate::material::EcPrivate;

super::ring_like::ring_like!(ring, "ring");

fn modulus_len(pair: &RsaKeyPair) -> usize {
    pair.public().modulus_len()
}

fn ec_signer(alg: Algorithm, ec: &EcPrivate) -> Result<Box<dyn JwsSigner>, Error> {
    if alg == Algorithm::ES512 {
        return Ok(Box::new(P521Signer::new(&ec.d, &ec.point, NAME)?));
    }
    let fixed = if alg == Algorithm::ES384 {
        &signature::ECDSA_P384_SHA384_FIXED_SIGNING
    } else {
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING
    };
    // ring checks that the point belongs to the scalar.
    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_private_key_and_public_key(fixed, &ec.d, &ec.point, &rng)
        .map_err(rejected)?;
    Ok(Box::new(EcdsaSigner { alg, pair, rng }))
}

fn ec_verify(alg: Algorithm, point: &[u8], message: &[u8], sig: &[u8]) -> Result<(), Error> {
    match alg {
        Algorithm::ES512 => p521_impl::verify(point, message, sig),
        Algorithm::ES384 => ec_checked(&signature::ECDSA_P384_SHA384_FIXED, point, message, sig),
        _ => ec_checked(&signature::ECDSA_P256_SHA256_FIXED, point, message, sig),
    }
}
