//! [`PrivateKey`]: a private key parsed once from PKCS#8 (PEM or DER), PKCS#1 RSA PEM/DER, SEC1
//! EC PEM/DER or a private JWK (RFC 7517, RFC 7518 §6) into the backend-neutral
//! key material (`material.rs`) that every backend builds its own key object from.

use std::fmt;

use zeroize::Zeroizing;

use crate::alg::{Algorithm, Family};
use crate::error::Error;
use crate::jwk::{jwk_private, parse_jwk_json};
use crate::material::{check_hmac_len, check_len, PrivateMaterial, PublicMaterial};
use crate::pem;
use crate::pkcs::{parse_private_der, parse_private_pem};

pub use crate::material::{MAX_KEY_INPUT, MAX_RSA_BITS, MIN_RSA_BITS};

/// A private key (or shared secret), parsed and checked once; build a
/// [`SigningKey`](crate::SigningKey) from it. `Debug` shows only the key type; the key
/// material is zeroized on drop.
pub struct PrivateKey {
    pub(crate) material: PrivateMaterial,
    /// `kid` from a JWK, used as the default key id.
    pub(crate) kid: Option<String>,
    /// `alg` from a JWK: a signing key for another algorithm is refused.
    pub(crate) jwk_alg: Option<String>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("type", &self.material.kind())
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    fn new(material: PrivateMaterial) -> Self {
        Self {
            material,
            kid: None,
            jwk_alg: None,
        }
    }

    /// Reads a PEM file: `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY`
    /// (SEC1, RFC 5915). Other blocks before the key (such as `EC PARAMETERS`) are skipped.
    pub fn from_pem(pem_text: &[u8]) -> Result<Self, Error> {
        parse_private_pem(pem_text).map(Self::new)
    }

    /// Reads DER: PKCS#8, PKCS#1 `RSAPrivateKey` or SEC1 `ECPrivateKey`, told apart by shape.
    pub fn from_der(der_bytes: &[u8]) -> Result<Self, Error> {
        parse_private_der(der_bytes).map(Self::new)
    }

    /// Reads a private JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2): `RSA` with CRT
    /// parameters, `EC` on P-256/P-384/P-521, `OKP` Ed25519, or `oct` (a shared secret). Its `kid` becomes the default key id; its
    /// `alg`, if present, must match the algorithm the signing key is built for.
    pub fn from_jwk(json: &[u8]) -> Result<Self, Error> {
        let jwk = parse_jwk_json(json)?;
        let mut key = Self::new(jwk_private(&jwk)?);
        key.kid = jwk.kid.clone();
        key.jwk_alg = jwk.alg.clone();
        Ok(key)
    }

    /// A shared secret for HS256/384/512 (`client_secret_jwt`). The length rule of RFC 7518
    /// §3.2 is checked when the signing key is built, when the algorithm is known.
    pub fn from_secret(secret: &[u8]) -> Self {
        Self::new(PrivateMaterial::Oct(Zeroizing::new(secret.to_vec())))
    }

    /// Reads a key in any supported format: PEM if it starts with `-----BEGIN`, JWK if it
    /// starts with `{`, DER otherwise.
    pub fn from_bytes(input: &[u8]) -> Result<Self, Error> {
        check_len(input)?;
        let trimmed = input.trim_ascii_start();
        if pem::looks_like_pem(input) {
            Self::from_pem(input)
        } else if trimmed.first() == Some(&b'{') {
            Self::from_jwk(input)
        } else {
            Self::from_der(input)
        }
    }

    /// The key id the key came with (from a JWK), if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether this key can sign `alg` (family, curve and length rules).
    pub fn check_algorithm(&self, alg: Algorithm) -> Result<(), Error> {
        if let Some(a) = &self.jwk_alg {
            if a != alg.name() {
                return Err(Error::KeyAlgorithmMismatch {
                    alg,
                    key: "this JWK-bound (its `alg` member names another algorithm)",
                    hint: "build the signing key for the JWK's `alg`, or remove `alg` from the JWK",
                });
            }
        }
        match (&self.material, alg.family()) {
            (PrivateMaterial::Rsa(_), Family::RsaPkcs1 | Family::RsaPss) => Ok(()),
            (PrivateMaterial::Ec(ec), Family::Ecdsa) => {
                let expected = alg.curve().unwrap_or(ec.curve);
                if ec.curve != expected {
                    return Err(Error::CurveMismatch {
                        alg,
                        expected,
                        found: ec.curve,
                        suggested: ec.curve.algorithm(),
                    });
                }
                Ok(())
            }
            (PrivateMaterial::Oct(k), Family::Hmac) => check_hmac_len(alg, k.len()),
            (PrivateMaterial::Ed25519(_), Family::EdDsa) => Ok(()),
            (PrivateMaterial::Ed25519(_), _) => Err(Error::mismatch(alg, "an Ed25519")),
            (PrivateMaterial::Rsa(_), _) => Err(Error::mismatch(alg, "an RSA")),
            (PrivateMaterial::Ec(_), _) => Err(Error::mismatch(alg, "an EC")),
            (PrivateMaterial::Oct(_), _) => Err(Error::mismatch(alg, "a symmetric")),
        }
    }

    /// The public half (for HMAC: the shared secret).
    pub(crate) fn public(&self) -> PublicMaterial {
        self.material.public()
    }
}
