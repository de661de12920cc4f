//! The pure-Rust backend: `rsa` 0.9, `p256`/`p384`/`p521` 0.13, `hmac` 0.12, `sha2` 0.10.
//!
//! Everything random comes from the caller's entropy, hedged with the key and the message
//! (see [`super::rng`]): RSA blinding, PSS salts and ECDSA nonces (RFC 6979 with additional
//! data), so this backend is fully Sans-IO and deterministic under test.
//!
//! Caveat: `rsa` 0.9 is subject to RUSTSEC-2023-0071 (the Marvin timing attack on RSA
//! decryption and, to a lesser degree, signing); no fixed `rsa` release exists. This backend
//! only signs (always with blinding) and verifies, never decrypts, but blinding does not make
//! the private-key operation constant-time: where an attacker can time RSA signing, use ring or
//! aws-lc-rs (the advisory's own advice is to avoid the crate where timing is observable).

use grantwire::Entropy;
use hmac::{Hmac, Mac};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier as _};
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use super::p521_impl::{self, P521Signer};
use super::rng::{HedgeKey, HedgedRng};
use super::{JwsSigner, Signature, MAX_TAG};
use crate::alg::{Algorithm, Curve, Family};
use crate::error::Error;
use crate::material::{PrivateMaterial, PublicMaterial, RsaPrivate, MAX_RSA_BITS};

const NAME: &str = "rust-crypto";

fn failed(reason: &'static str) -> Error {
    Error::SigningFailed {
        backend: NAME,
        reason,
    }
}

fn rejected(reason: &str) -> Error {
    Error::KeyRejected {
        backend: NAME,
        reason: reason.to_owned(),
    }
}

/// HMAC with the key schedule done once; each signature clones the keyed state.
enum HmacSigner {
    S256(Hmac<Sha256>),
    S384(Hmac<Sha384>),
    S512(Hmac<Sha512>),
}

fn hmac_signer(alg: Algorithm, secret: &[u8]) -> Result<HmacSigner, Error> {
    let bad = |_| rejected("invalid HMAC key");
    Ok(match alg {
        Algorithm::HS384 => HmacSigner::S384(Hmac::new_from_slice(secret).map_err(bad)?),
        Algorithm::HS512 => HmacSigner::S512(Hmac::new_from_slice(secret).map_err(bad)?),
        _ => HmacSigner::S256(Hmac::new_from_slice(secret).map_err(bad)?),
    })
}

impl HmacSigner {
    fn alg(&self) -> Algorithm {
        match self {
            HmacSigner::S256(_) => Algorithm::HS256,
            HmacSigner::S384(_) => Algorithm::HS384,
            HmacSigner::S512(_) => Algorithm::HS512,
        }
    }

    /// The MAC of `input` after what this state has absorbed, from a copy of the state.
    fn mac(&self, input: &[u8]) -> Signature {
        match self {
            HmacSigner::S256(m) => {
                Signature::from_slice(&m.clone().chain_update(input).finalize().into_bytes())
            }
            HmacSigner::S384(m) => {
                Signature::from_slice(&m.clone().chain_update(input).finalize().into_bytes())
            }
            HmacSigner::S512(m) => {
                Signature::from_slice(&m.clone().chain_update(input).finalize().into_bytes())
            }
        }
    }

    fn chain(&self, prefix: &[u8]) -> Self {
        match self {
            HmacSigner::S256(m) => HmacSigner::S256(m.clone().chain_update(prefix)),
            HmacSigner::S384(m) => HmacSigner::S384(m.clone().chain_update(prefix)),
            HmacSigner::S512(m) => HmacSigner::S512(m.clone().chain_update(prefix)),
        }
    }

    fn verify(&self, input: &[u8], sig: &[u8]) -> bool {
        match self {
            HmacSigner::S256(m) => m.clone().chain_update(input).verify_slice(sig).is_ok(),
            HmacSigner::S384(m) => m.clone().chain_update(input).verify_slice(sig).is_ok(),
            HmacSigner::S512(m) => m.clone().chain_update(input).verify_slice(sig).is_ok(),
        }
    }
}

impl JwsSigner for HmacSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg()
    }
    fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
        Ok(self.mac(input))
    }
}

impl super::PrefixMac for HmacSigner {
    fn absorb(&self, prefix: &[u8]) -> Box<dyn super::MacState> {
        Box::new(self.chain(prefix))
    }
}

impl super::MacState for HmacSigner {
    fn extend(&self, more: &[u8]) -> Box<dyn super::MacState> {
        Box::new(self.chain(more))
    }

    fn finish(&self, rest: &[u8], more: &[u8], tag: &mut [u8; super::MAX_TAG]) -> usize {
        fn mac<M: Mac + Clone>(m: &M, rest: &[u8], more: &[u8], tag: &mut [u8; MAX_TAG]) -> usize {
            let mut m = m.clone();
            m.update(rest);
            if !more.is_empty() {
                m.update(more);
            }
            super::put_tag(&m.finalize().into_bytes(), tag)
        }
        match self {
            HmacSigner::S256(m) => mac(m, rest, more, tag),
            HmacSigner::S384(m) => mac(m, rest, more, tag),
            HmacSigner::S512(m) => mac(m, rest, more, tag),
        }
    }
}

/// HS256 on SHA-256's compression function directly ([`super::hs256`]); HS384 and HS512 on
/// the `hmac` crate's keyed state.
pub(crate) fn prefix_mac(
    alg: Algorithm,
    secret: &[u8],
) -> Result<Box<dyn super::PrefixMac>, Error> {
    if alg == Algorithm::HS256 {
        return Ok(Box::new(super::hs256::Hs256::new(secret)));
    }
    Ok(Box::new(hmac_signer(alg, secret)?))
}

struct RsaSigner {
    kind: RsaKind,
    hedge: HedgeKey,
}

enum RsaKind {
    Pkcs1(Algorithm, RsaPrivateKey),
    Pss256(rsa::pss::BlindedSigningKey<Sha256>),
    Pss384(rsa::pss::BlindedSigningKey<Sha384>),
    Pss512(rsa::pss::BlindedSigningKey<Sha512>),
}

fn rsa_key(r: &RsaPrivate) -> Result<RsaPrivateKey, Error> {
    let n = |v: &[u8]| BigUint::from_bytes_be(v);
    let mut key = RsaPrivateKey::from_components(n(&r.n), n(&r.e), n(&r.d), vec![n(&r.p), n(&r.q)])
        .map_err(|e| rejected(&e.to_string()))?;
    key.validate().map_err(|e| rejected(&e.to_string()))?;
    key.precompute().map_err(|e| rejected(&e.to_string()))?;
    Ok(key)
}

impl JwsSigner for RsaSigner {
    fn algorithm(&self) -> Algorithm {
        match &self.kind {
            RsaKind::Pkcs1(a, _) => *a,
            RsaKind::Pss256(_) => Algorithm::PS256,
            RsaKind::Pss384(_) => Algorithm::PS384,
            RsaKind::Pss512(_) => Algorithm::PS512,
        }
    }

    fn sign(&self, input: &[u8], entropy: &mut dyn Entropy) -> Result<Signature, Error> {
        let mut rng = HedgedRng::new(&self.hedge, entropy, input);
        fn err<E>(_: E) -> Error {
            failed("RSA signing failed")
        }
        Ok(Signature::from_vec(match &self.kind {
            RsaKind::Pkcs1(alg, key) => {
                // PKCS#1 v1.5 is deterministic; the RNG only blinds the private operation.
                let (scheme, hashed) = match alg {
                    Algorithm::RS384 => (
                        rsa::Pkcs1v15Sign::new::<Sha384>(),
                        Sha384::digest(input).to_vec(),
                    ),
                    Algorithm::RS512 => (
                        rsa::Pkcs1v15Sign::new::<Sha512>(),
                        Sha512::digest(input).to_vec(),
                    ),
                    _ => (
                        rsa::Pkcs1v15Sign::new::<Sha256>(),
                        Sha256::digest(input).to_vec(),
                    ),
                };
                key.sign_with_rng(&mut rng, scheme, &hashed).map_err(err)?
            }
            RsaKind::Pss256(k) => k.try_sign_with_rng(&mut rng, input).map_err(err)?.to_vec(),
            RsaKind::Pss384(k) => k.try_sign_with_rng(&mut rng, input).map_err(err)?.to_vec(),
            RsaKind::Pss512(k) => k.try_sign_with_rng(&mut rng, input).map_err(err)?.to_vec(),
        }))
    }
}

struct EcSigner {
    key: EcKey,
    hedge: HedgeKey,
}

enum EcKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl JwsSigner for EcSigner {
    fn algorithm(&self) -> Algorithm {
        match self.key {
            EcKey::P256(_) => Algorithm::ES256,
            EcKey::P384(_) => Algorithm::ES384,
        }
    }

    fn sign(&self, input: &[u8], entropy: &mut dyn Entropy) -> Result<Signature, Error> {
        // RFC 6979 with the hedged RNG's bytes as additional data (ecdsa 0.16).
        let mut rng = HedgedRng::new(&self.hedge, entropy, input);
        let err = |_| failed("ECDSA signing failed");
        Ok(Signature::from_slice(&match &self.key {
            EcKey::P256(k) => {
                let s: p256::ecdsa::Signature =
                    k.try_sign_with_rng(&mut rng, input).map_err(err)?;
                s.to_bytes().to_vec()
            }
            EcKey::P384(k) => {
                let s: p384::ecdsa::Signature =
                    k.try_sign_with_rng(&mut rng, input).map_err(err)?;
                s.to_bytes().to_vec()
            }
        }))
    }
}

struct Ed25519Signer(ed25519_dalek::SigningKey);

impl JwsSigner for Ed25519Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
    fn sign(&self, input: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
        use ed25519_dalek::Signer as _;
        // RFC 8032 Ed25519 is deterministic: no randomness involved.
        Ok(Signature::from_slice(&self.0.sign(input).to_bytes()))
    }
}

fn mismatch() -> Error {
    rejected("the public key does not belong to the private key")
}

pub(crate) fn signer(alg: Algorithm, key: &PrivateMaterial) -> Result<Box<dyn JwsSigner>, Error> {
    Ok(match key {
        PrivateMaterial::Ed25519(k) => {
            let seed: [u8; 32] = k
                .seed
                .as_slice()
                .try_into()
                .map_err(|_| rejected("not a 32-byte Ed25519 seed"))?;
            let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
            if sk.verifying_key().as_bytes().as_slice() != k.public.as_slice() {
                return Err(mismatch());
            }
            Box::new(Ed25519Signer(sk))
        }
        PrivateMaterial::Oct(secret) => Box::new(hmac_signer(alg, secret)?),
        PrivateMaterial::Rsa(r) => {
            let key = rsa_key(r)?;
            let kind = match alg {
                Algorithm::PS256 => RsaKind::Pss256(rsa::pss::BlindedSigningKey::new(key)),
                Algorithm::PS384 => RsaKind::Pss384(rsa::pss::BlindedSigningKey::new(key)),
                Algorithm::PS512 => RsaKind::Pss512(rsa::pss::BlindedSigningKey::new(key)),
                _ => RsaKind::Pkcs1(alg, key),
            };
            Box::new(RsaSigner {
                kind,
                hedge: HedgeKey::new(&r.d),
            })
        }
        PrivateMaterial::Ec(ec) => match ec.curve {
            Curve::P521 => Box::new(P521Signer::new(&ec.d, &ec.point, NAME)?),
            Curve::P256 => {
                let k = p256::ecdsa::SigningKey::from_slice(&ec.d)
                    .map_err(|_| rejected("the P-256 private scalar is out of range"))?;
                if k.verifying_key().to_encoded_point(false).as_bytes() != ec.point.as_slice() {
                    return Err(mismatch());
                }
                Box::new(EcSigner {
                    key: EcKey::P256(k),
                    hedge: HedgeKey::new(&ec.d),
                })
            }
            Curve::P384 => {
                let k = p384::ecdsa::SigningKey::from_slice(&ec.d)
                    .map_err(|_| rejected("the P-384 private scalar is out of range"))?;
                if k.verifying_key().to_encoded_point(false).as_bytes() != ec.point.as_slice() {
                    return Err(mismatch());
                }
                Box::new(EcSigner {
                    key: EcKey::P384(k),
                    hedge: HedgeKey::new(&ec.d),
                })
            }
        },
    })
}

fn verify_rsa(alg: Algorithm, n: &[u8], e: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let Ok(key) = RsaPublicKey::new_with_max_size(
        BigUint::from_bytes_be(n),
        BigUint::from_bytes_be(e),
        MAX_RSA_BITS,
    ) else {
        return false;
    };
    if alg.family() == Family::RsaPkcs1 {
        let Ok(sig) = rsa::pkcs1v15::Signature::try_from(sig) else {
            return false;
        };
        match alg {
            Algorithm::RS384 => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key).verify(msg, &sig),
            Algorithm::RS512 => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key).verify(msg, &sig),
            _ => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(msg, &sig),
        }
        .is_ok()
    } else {
        let Ok(sig) = rsa::pss::Signature::try_from(sig) else {
            return false;
        };
        match alg {
            Algorithm::PS384 => rsa::pss::VerifyingKey::<Sha384>::new(key).verify(msg, &sig),
            Algorithm::PS512 => rsa::pss::VerifyingKey::<Sha512>::new(key).verify(msg, &sig),
            _ => rsa::pss::VerifyingKey::<Sha256>::new(key).verify(msg, &sig),
        }
        .is_ok()
    }
}

pub(crate) fn verify(
    alg: Algorithm,
    key: &PublicMaterial,
    message: &[u8],
    sig: &[u8],
) -> Result<(), Error> {
    let ok = match key {
        PublicMaterial::Ed25519(pk) => {
            let (Ok(pk), Ok(sig)) = (
                <[u8; 32]>::try_from(pk.as_slice()),
                <[u8; 64]>::try_from(sig),
            ) else {
                return Err(Error::BadSignature);
            };
            match ed25519_dalek::VerifyingKey::from_bytes(&pk) {
                // Strict verification: no small-order keys, canonical S (RFC 8032 §5.1.7).
                Ok(vk) => vk
                    .verify_strict(message, &ed25519_dalek::Signature::from_bytes(&sig))
                    .is_ok(),
                Err(_) => false,
            }
        }
        PublicMaterial::Oct(secret) => hmac_signer(alg, secret)?.verify(message, sig),
        PublicMaterial::Rsa { n, e } => verify_rsa(alg, n, e, message, sig),
        PublicMaterial::Ec { curve, point } => match curve {
            Curve::P521 => return p521_impl::verify(point, message, sig),
            Curve::P256 => {
                let (Ok(k), Ok(s)) = (
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(point),
                    p256::ecdsa::Signature::from_slice(sig),
                ) else {
                    return Err(Error::BadSignature);
                };
                k.verify(message, &s).is_ok()
            }
            Curve::P384 => {
                let (Ok(k), Ok(s)) = (
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(point),
                    p384::ecdsa::Signature::from_slice(sig),
                ) else {
                    return Err(Error::BadSignature);
                };
                k.verify(message, &s).is_ok()
            }
        },
    };
    if ok {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}

/// The Ed25519 public key of `seed` (RFC 8032 §5.1.5).
#[allow(dead_code)] // used only when neither ring nor aws-lc-rs is compiled in
pub(crate) fn ed25519_public(seed: &[u8]) -> Result<Vec<u8>, Error> {
    let seed: [u8; 32] = seed.try_into().map_err(|_| Error::KeyFormat {
        reason: "an Ed25519 private key is 32 bytes (RFC 8032 §5.1.5)",
    })?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes()
        .to_vec())
}
