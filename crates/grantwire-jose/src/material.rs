//! Parsed key material, backend-neutral: what the key parsers (`pkcs`, `jwk`) produce and what
//! every backend builds its own key object from, with the checks every key passes. It depends
//! on no parser and no backend, so both can depend on it.

use zeroize::Zeroizing;

use crate::alg::{Algorithm, Curve};
use crate::der;
use crate::error::Error;

/// The largest key input (PEM, DER, JWK or service-account file) a loader reads.
pub const MAX_KEY_INPUT: usize = 64 * 1024;
/// The smallest RSA modulus accepted (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted (bounds the work an untrusted key can cause).
pub const MAX_RSA_BITS: usize = 8192;

pub(crate) const B64: base64::engine::GeneralPurpose =
    base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// An RSA private key (RFC 8017 §3.2), big-endian unsigned integers. The C backends read the
/// PKCS#1 DER, the pure-Rust one the components, so which fields are read depends on features.
#[allow(dead_code)]
pub(crate) struct RsaPrivate {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
    pub(crate) d: Zeroizing<Vec<u8>>,
    pub(crate) p: Zeroizing<Vec<u8>>,
    pub(crate) q: Zeroizing<Vec<u8>>,
    /// Canonical PKCS#1 `RSAPrivateKey` DER, re-encoded from the components.
    pub(crate) pkcs1: Zeroizing<Vec<u8>>,
}

/// An EC private key with its public point.
pub(crate) struct EcPrivate {
    pub(crate) curve: Curve,
    /// The scalar, left-padded to the field length.
    pub(crate) d: Zeroizing<Vec<u8>>,
    /// Uncompressed SEC1 point `04 || x || y`.
    pub(crate) point: Vec<u8>,
}

/// An Ed25519 private key (RFC 8032 §5.1.5): the 32-byte seed and the public key.
pub(crate) struct Ed25519Private {
    pub(crate) seed: Zeroizing<Vec<u8>>,
    pub(crate) public: Vec<u8>,
}

/// Private key material (or a shared secret), as every parser produces it.
pub(crate) enum PrivateMaterial {
    Rsa(RsaPrivate),
    Ec(EcPrivate),
    Ed25519(Ed25519Private),
    Oct(Zeroizing<Vec<u8>>),
}

/// Public key material, backend-neutral. For HMAC it holds the shared secret, so it has no
/// `PartialEq`: an `==` over it would be a non-constant-time secret comparison (compare
/// secrets with `subtle`, as the HMAC verifiers of every backend do).
#[derive(Clone)]
pub(crate) enum PublicMaterial {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { curve: Curve, point: Vec<u8> },
    Ed25519(Vec<u8>),
    Oct(Zeroizing<Vec<u8>>),
}

impl PrivateMaterial {
    /// The public half (for HMAC: the shared secret).
    pub(crate) fn public(&self) -> PublicMaterial {
        match self {
            PrivateMaterial::Rsa(r) => PublicMaterial::Rsa {
                n: r.n.clone(),
                e: r.e.clone(),
            },
            PrivateMaterial::Ec(ec) => PublicMaterial::Ec {
                curve: ec.curve,
                point: ec.point.clone(),
            },
            PrivateMaterial::Ed25519(k) => PublicMaterial::Ed25519(k.public.clone()),
            PrivateMaterial::Oct(k) => PublicMaterial::Oct(k.clone()),
        }
    }
}

impl PrivateMaterial {
    /// The key type for `Debug` output (see [`PublicMaterial::kind`]).
    pub(crate) fn kind(&self) -> String {
        match self {
            PrivateMaterial::Rsa(r) => format!("RSA-{}", bits(&r.n)),
            PrivateMaterial::Ec(ec) => format!("EC {}", ec.curve),
            PrivateMaterial::Ed25519(_) => "Ed25519".to_owned(),
            PrivateMaterial::Oct(_) => "symmetric".to_owned(),
        }
    }
}

impl PublicMaterial {
    /// The key type for `Debug` output: `RSA-2048`, `EC P-256`, `Ed25519` or `symmetric`;
    /// never key material.
    pub(crate) fn kind(&self) -> String {
        match self {
            PublicMaterial::Rsa { n, .. } => format!("RSA-{}", bits(n)),
            PublicMaterial::Ec { curve, .. } => format!("EC {curve}"),
            PublicMaterial::Ed25519(_) => "Ed25519".to_owned(),
            PublicMaterial::Oct(_) => "symmetric".to_owned(),
        }
    }
}

/// The bit length of a big-endian unsigned integer.
pub(crate) fn bits(n: &[u8]) -> usize {
    let n = der::trim_zeros(n);
    match n.first() {
        None => 0,
        Some(&b) => n.len() * 8 - b.leading_zeros() as usize,
    }
}

/// Refuses a key input over [`MAX_KEY_INPUT`] before anything reads it.
pub(crate) fn check_len(input: &[u8]) -> Result<(), Error> {
    if input.len() > MAX_KEY_INPUT {
        return Err(Error::KeyTooLarge {
            len: input.len(),
            limit: MAX_KEY_INPUT,
        });
    }
    Ok(())
}

/// RFC 7518 §3.3: at least 2048 bits; at most [`MAX_RSA_BITS`] to bound the work.
pub(crate) fn check_rsa_modulus(n: &[u8]) -> Result<(), Error> {
    let bits = bits(n);
    if bits < MIN_RSA_BITS {
        return Err(Error::RsaKeyTooSmall { bits });
    }
    if bits > MAX_RSA_BITS {
        return Err(Error::UnsupportedKey {
            reason: "RSA moduli over 8192 bits are refused: use a 2048-, 3072- or 4096-bit key",
        });
    }
    Ok(())
}

/// Checks an uncompressed point's framing for `curve`.
pub(crate) fn check_point(curve: Curve, point: &[u8]) -> Result<(), Error> {
    match point.first() {
        Some(4) if point.len() == 1 + 2 * curve.field_len() => Ok(()),
        Some(2) | Some(3) => Err(Error::UnsupportedKey {
            reason: "compressed EC public keys are not supported: export the key with an uncompressed point",
        }),
        _ => Err(Error::KeyFormat {
            reason: "the EC public key is not an uncompressed point of the key's curve",
        }),
    }
}

/// RFC 8032 §5.1.5: an Ed25519 private key is a 32-byte seed.
pub(crate) fn check_ed25519_seed(seed: &[u8]) -> Result<(), Error> {
    if seed.len() != 32 {
        return Err(Error::KeyFormat {
            reason: "an Ed25519 private key is 32 bytes (RFC 8032 §5.1.5)",
        });
    }
    Ok(())
}

impl Ed25519Private {
    /// A seed and its public key, both checked for length (RFC 8032 §5.1.5).
    pub(crate) fn new(seed: &[u8], public: Vec<u8>) -> Result<Self, Error> {
        check_ed25519_seed(seed)?;
        if public.len() != 32 {
            return Err(Error::KeyFormat {
                reason: "an Ed25519 public key is 32 bytes (RFC 8032 §5.1.5)",
            });
        }
        Ok(Self {
            seed: Zeroizing::new(seed.to_vec()),
            public,
        })
    }
}

impl RsaPrivate {
    #[allow(clippy::too_many_arguments)]
    /// Checks the modulus and re-encodes the components as canonical PKCS#1 DER.
    pub(crate) fn new(
        n: &[u8],
        e: &[u8],
        d: &[u8],
        p: &[u8],
        q: &[u8],
        dp: &[u8],
        dq: &[u8],
        qi: &[u8],
    ) -> Result<Self, Error> {
        check_rsa_modulus(n)?;
        let t = |v: &[u8]| Zeroizing::new(der::trim_zeros(v).to_vec());
        let mut body = Zeroizing::new(Vec::with_capacity(n.len() * 5));
        der::push_uint(&mut body, &[0]);
        for v in [n, e, d, p, q, dp, dq, qi] {
            der::push_uint(&mut body, v);
        }
        let mut pkcs1 = Zeroizing::new(Vec::with_capacity(body.len() + 4));
        der::push_tlv(&mut pkcs1, der::TAG_SEQUENCE, &body);
        Ok(Self {
            n: der::trim_zeros(n).to_vec(),
            e: der::trim_zeros(e).to_vec(),
            d: t(d),
            p: t(p),
            q: t(q),
            pkcs1,
        })
    }
}

/// RFC 7518 §3.2: "A key of the same size as the hash output ... or larger MUST be used".
pub(crate) fn check_hmac_len(alg: Algorithm, len: usize) -> Result<(), Error> {
    let min = alg.hash_len();
    if len < min {
        return Err(Error::HmacSecretTooShort { alg, len, min });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_bearing_key_types_have_no_equality_and_no_copies() {
        // Compile-time checks: these lines stop compiling if a derive comes back.
        crate::assert_not_impl!(PublicMaterial: PartialEq);
        crate::assert_not_impl!(PrivateMaterial: PartialEq);
        crate::assert_not_impl!(PrivateMaterial: Clone);
        crate::assert_not_impl!(crate::PrivateKey: PartialEq);
        crate::assert_not_impl!(crate::PrivateKey: Clone);
        crate::assert_not_impl!(crate::VerifyingKey: PartialEq);
        crate::assert_not_impl!(crate::SigningKey: PartialEq);
    }
}
