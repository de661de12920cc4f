//! The `ring` backend (default). ES512 goes to [`super::p521_impl`].

use grantwire::Entropy;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair, UnparsedPublicKey};
use ring::{hmac, signature::RsaPublicKeyComponents};

use super::p521_impl::{self, P521Signer};
use super::{JwsSigner, Signature};
use crate::alg::Algorithm;
use crate::error::Error;
use crate::material::{PrivateMaterial, PublicMaterial};

const NAME: &str = "ring";

fn hmac_alg(alg: Algorithm) -> hmac::Algorithm {
    match alg {
        Algorithm::HS384 => hmac::HMAC_SHA384,
        Algorithm::HS512 => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    }
}

fn rsa_encoding(alg: Algorithm) -> &'static dyn signature::RsaEncoding {
    match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        _ => &signature::RSA_PSS_SHA512,
    }
}

fn rsa_params(alg: Algorithm) -> &'static signature::RsaParameters {
    match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        _ => &signature::RSA_PSS_2048_8192_SHA512,
    }
}

struct HmacSigner {
    alg: Algorithm,
    key: hmac::Key,
}

impl JwsSigner for HmacSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
    fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
        Ok(Signature::from_slice(hmac::sign(&self.key, input).as_ref()))
    }
}

struct RsaSigner {
    alg: Algorithm,
    pair: RsaKeyPair,
    rng: SystemRandom,
}

impl JwsSigner for RsaSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
    fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(rsa_encoding(self.alg), &self.rng, input, &mut sig)
            .map_err(|_| Error::SigningFailed {
                backend: NAME,
                reason: "RSA signing failed",
            })?;
        Ok(Signature::from_vec(sig))
    }
}

struct EcdsaSigner {
    alg: Algorithm,
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl JwsSigner for EcdsaSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
    fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
        let sig = self
            .pair
            .sign(&self.rng, input)
            .map_err(|_| Error::SigningFailed {
                backend: NAME,
                reason: "ECDSA signing failed",
            })?;
        Ok(Signature::from_slice(sig.as_ref()))
    }
}

struct Ed25519Signer {
    pair: signature::Ed25519KeyPair,
}

impl JwsSigner for Ed25519Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
    fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
        // RFC 8032 Ed25519 is deterministic: no randomness involved.
        Ok(Signature::from_slice(self.pair.sign(input).as_ref()))
    }
}

fn rejected(e: ring::error::KeyRejected) -> Error {
    Error::KeyRejected {
        backend: NAME,
        reason: e.to_string(),
    }
}

pub(crate) fn signer(alg: Algorithm, key: &PrivateMaterial) -> Result<Box<dyn JwsSigner>, Error> {
    Ok(match key {
        PrivateMaterial::Ed25519(k) => Box::new(Ed25519Signer {
            pair: signature::Ed25519KeyPair::from_seed_and_public_key(&k.seed, &k.public)
                .map_err(rejected)?,
        }),
        PrivateMaterial::Oct(secret) => Box::new(HmacSigner {
            alg,
            key: hmac::Key::new(hmac_alg(alg), secret),
        }),
        PrivateMaterial::Rsa(rsa) => Box::new(RsaSigner {
            alg,
            pair: RsaKeyPair::from_der(&rsa.pkcs1).map_err(rejected)?,
            rng: SystemRandom::new(),
        }),
        PrivateMaterial::Ec(ec) if alg == Algorithm::ES512 => {
            Box::new(P521Signer::new(&ec.d, &ec.point, NAME)?)
        }
        PrivateMaterial::Ec(ec) => {
            let fixed = if alg == Algorithm::ES384 {
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING
            } else {
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING
            };
            let rng = SystemRandom::new();
            let pair = EcdsaKeyPair::from_private_key_and_public_key(fixed, &ec.d, &ec.point, &rng)
                .map_err(rejected)?;
            Box::new(EcdsaSigner { alg, pair, rng })
        }
    })
}

pub(crate) fn verify(
    alg: Algorithm,
    key: &PublicMaterial,
    message: &[u8],
    sig: &[u8],
) -> Result<(), Error> {
    let ok = match key {
        PublicMaterial::Ed25519(pk) => UnparsedPublicKey::new(&signature::ED25519, pk)
            .verify(message, sig)
            .is_ok(),
        PublicMaterial::Oct(secret) => {
            hmac::verify(&hmac::Key::new(hmac_alg(alg), secret), message, sig).is_ok()
        }
        PublicMaterial::Rsa { n, e } => RsaPublicKeyComponents { n, e }
            .verify(rsa_params(alg), message, sig)
            .is_ok(),
        PublicMaterial::Ec { point, .. } if alg == Algorithm::ES512 => {
            return p521_impl::verify(point, message, sig)
        }
        PublicMaterial::Ec { point, .. } => {
            let a = if alg == Algorithm::ES384 {
                &signature::ECDSA_P384_SHA384_FIXED
            } else {
                &signature::ECDSA_P256_SHA256_FIXED
            };
            UnparsedPublicKey::new(a, point)
                .verify(message, sig)
                .is_ok()
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}
