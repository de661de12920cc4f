//! The DER key structures: PKCS#8 (RFC 5208, RFC 5958), PKCS#1 RSA (RFC 8017 A.1), SEC1 EC
//! (RFC 5915), SubjectPublicKeyInfo (RFC 5280, RFC 5480), read with [`crate::der`] into
//! [`crate::material`]. PEM armour is [`crate::pem`]'s.

use zeroize::Zeroizing;

use crate::alg::Curve;
use crate::der::{self, Reader};
use crate::error::Error;
use crate::material::{
    check_ed25519_seed, check_len, check_point, check_rsa_modulus, EcPrivate, Ed25519Private,
    PrivateMaterial, PublicMaterial, RsaPrivate,
};
use crate::pem::{self, Label};

fn curve_from_oid(oid: &[u8]) -> Result<Curve, Error> {
    match oid {
        der::OID_P256 => Ok(Curve::P256),
        der::OID_P384 => Ok(Curve::P384),
        der::OID_P521 => Ok(Curve::P521),
        _ => Err(Error::UnsupportedKey {
            reason:
                "EC key on a curve other than P-256, P-384 or P-521: generate a key on one of those",
        }),
    }
}

fn pad_scalar(curve: Curve, d: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let d = der::trim_zeros(d);
    let len = curve.field_len();
    if d.is_empty() || d.len() > len {
        return Err(Error::KeyFormat {
            reason: "the EC private scalar has the wrong length for its curve",
        });
    }
    let mut out = Zeroizing::new(vec![0u8; len]);
    out[len - d.len()..].copy_from_slice(d);
    Ok(out)
}

/// A private key from PEM: `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or
/// `EC PRIVATE KEY` (SEC1).
pub(crate) fn parse_private_pem(pem_text: &[u8]) -> Result<PrivateMaterial, Error> {
    check_len(pem_text)?;
    let (label, der_bytes) = pem::decode(pem_text)?;
    Ok(match label {
        Label::PrivateKey => parse_pkcs8(&der_bytes)?,
        Label::RsaPrivateKey => PrivateMaterial::Rsa(parse_pkcs1(&der_bytes)?),
        Label::EcPrivateKey => PrivateMaterial::Ec(parse_sec1(&der_bytes, None, None)?),
        Label::PublicKey | Label::RsaPublicKey | Label::Certificate => {
            return Err(Error::KeyFormat {
                reason: "this PEM holds a public key or certificate: pass the private key",
            })
        }
    })
}

/// A private key from DER: PKCS#8, PKCS#1 or SEC1, told apart by shape.
pub(crate) fn parse_private_der(der_bytes: &[u8]) -> Result<PrivateMaterial, Error> {
    check_len(der_bytes)?;
    let mut outer = Reader::new(der_bytes);
    let mut seq = outer.sequence()?;
    seq.uint()?;
    Ok(match seq.peek_tag() {
        Some(der::TAG_SEQUENCE) => parse_pkcs8(der_bytes)?,
        Some(der::TAG_OCTET_STRING) => PrivateMaterial::Ec(parse_sec1(der_bytes, None, None)?),
        Some(der::TAG_INTEGER) => PrivateMaterial::Rsa(parse_pkcs1(der_bytes)?),
        _ => {
            return Err(Error::KeyFormat {
                reason: "DER input is not a PKCS#8, PKCS#1 or SEC1 private key",
            })
        }
    })
}

/// PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2), two-prime only.
fn parse_pkcs1(der_bytes: &[u8]) -> Result<RsaPrivate, Error> {
    let mut outer = Reader::new(der_bytes);
    let mut r = outer.sequence()?;
    outer.finish("trailing bytes after the RSA key")?;
    if r.small_uint()? != 0 {
        return Err(Error::UnsupportedKey {
            reason: "multi-prime RSA keys are not supported: use a two-prime key",
        });
    }
    let mut v = [&[][..]; 8];
    for slot in &mut v {
        *slot = r.uint()?;
    }
    r.finish("unexpected data after the RSA key components")?;
    RsaPrivate::new(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
}

/// SEC1 `ECPrivateKey` (RFC 5915 §3). `curve` comes from the PKCS#8 wrapper when there is one.
fn parse_sec1(
    der_bytes: &[u8],
    curve: Option<Curve>,
    outer_public: Option<&[u8]>,
) -> Result<EcPrivate, Error> {
    let mut outer = Reader::new(der_bytes);
    let mut r = outer.sequence()?;
    outer.finish("trailing bytes after the EC key")?;
    if r.small_uint()? != 1 {
        return Err(Error::KeyFormat {
            reason: "ECPrivateKey version is not 1",
        });
    }
    let d = r.expect(der::TAG_OCTET_STRING, "expected the EC private key octets")?;
    let mut params_curve = None;
    let mut point = outer_public;
    while !r.is_empty() {
        let (tag, value) = r.any()?;
        match tag {
            0xa0 => {
                let mut p = Reader::new(value);
                let oid = p.expect(der::TAG_OID, "EC parameters must name a curve")?;
                params_curve = Some(curve_from_oid(oid)?);
            }
            0xa1 => {
                let mut p = Reader::new(value);
                let bits = p.expect(der::TAG_BIT_STRING, "expected the EC public key bits")?;
                match bits.split_first() {
                    Some((0, pt)) => point = Some(pt),
                    _ => {
                        return Err(Error::KeyFormat {
                            reason: "malformed EC public key bit string",
                        })
                    }
                }
            }
            _ => {
                return Err(Error::KeyFormat {
                    reason: "unexpected field in ECPrivateKey",
                })
            }
        }
    }
    let curve = match (curve, params_curve) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::KeyFormat {
                reason: "the PKCS#8 and SEC1 curve parameters disagree",
            })
        }
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => {
            return Err(Error::KeyFormat {
                reason: "the EC key does not name its curve",
            })
        }
    };
    let point = point.ok_or(Error::KeyFormat {
        reason: "the EC private key does not carry its public key: re-export it with `openssl ec -in key.pem -out full.pem`",
    })?;
    check_point(curve, point)?;
    Ok(EcPrivate {
        curve,
        d: pad_scalar(curve, d)?,
        point: point.to_vec(),
    })
}

/// PKCS#8 `PrivateKeyInfo`/`OneAsymmetricKey` (RFC 5208 §5, RFC 5958 §2).
fn parse_pkcs8(der_bytes: &[u8]) -> Result<PrivateMaterial, Error> {
    let mut outer = Reader::new(der_bytes);
    let mut r = outer.sequence()?;
    outer.finish("trailing bytes after the PKCS#8 key")?;
    let version = r.small_uint()?;
    if version > 1 {
        return Err(Error::KeyFormat {
            reason: "unknown PKCS#8 version",
        });
    }
    let mut alg = r.sequence()?;
    let oid = alg.expect(der::TAG_OID, "expected the key algorithm OID")?;
    let key = r.expect(
        der::TAG_OCTET_STRING,
        "expected the PKCS#8 private key octets",
    )?;
    let mut public = None;
    while !r.is_empty() {
        let (tag, value) = r.any()?;
        match tag {
            0xa0 => {}
            0x81 => match value.split_first() {
                Some((0, pt)) => public = Some(pt),
                _ => {
                    return Err(Error::KeyFormat {
                        reason: "malformed PKCS#8 public key",
                    })
                }
            },
            _ => {
                return Err(Error::KeyFormat {
                    reason: "unexpected field in PKCS#8 key",
                })
            }
        }
    }
    match oid {
        der::OID_RSA => {
            if !alg.is_empty() {
                alg.expect(der::TAG_NULL, "RSA algorithm parameters must be NULL")?;
            }
            Ok(PrivateMaterial::Rsa(parse_pkcs1(key)?))
        }
        der::OID_EC => {
            let curve_oid = alg.expect(der::TAG_OID, "EC key parameters must name a curve")?;
            let curve = curve_from_oid(curve_oid)?;
            Ok(PrivateMaterial::Ec(parse_sec1(key, Some(curve), public)?))
        }
        der::OID_RSA_PSS => Err(Error::UnsupportedKey {
            reason: "RSASSA-PSS-restricted keys are not supported: export the key as a plain rsaEncryption key (it can still sign PS256/384/512)",
        }),
        der::OID_ED25519 => {
            // RFC 8410 §7: the private key is an OCTET STRING holding the 32-byte seed.
            let mut inner = Reader::new(key);
            let seed = inner.expect(der::TAG_OCTET_STRING, "expected the Ed25519 seed")?;
            inner.finish("trailing bytes after the Ed25519 seed")?;
            let public = match public {
                Some(p) => p.to_vec(),
                // A PKCS#8 v1 key carries no public key: derive it (RFC 8032 §5.1.5).
                None => {
                    check_ed25519_seed(seed)?;
                    crate::backend::ed25519_public(seed)?
                }
            };
            Ok(PrivateMaterial::Ed25519(Ed25519Private::new(seed, public)?))
        }
        _ => Err(Error::UnsupportedKey {
            reason: "unknown key algorithm: use an RSA key, an EC key on P-256, P-384 or P-521, or Ed25519",
        }),
    }
}

/// Parses a public key from PEM (`PUBLIC KEY` SPKI or `RSA PUBLIC KEY`) or SPKI DER.
pub(crate) fn parse_public_pem(input: &[u8]) -> Result<PublicMaterial, Error> {
    check_len(input)?;
    let (label, der_bytes) = pem::decode(input)?;
    match label {
        Label::PublicKey => parse_spki(&der_bytes),
        Label::RsaPublicKey => parse_rsa_public(&der_bytes),
        _ => Err(Error::KeyFormat {
            reason: "expected a PUBLIC KEY or RSA PUBLIC KEY PEM block",
        }),
    }
}

/// PKCS#1 `RSAPublicKey` (RFC 8017 A.1.1).
fn parse_rsa_public(der_bytes: &[u8]) -> Result<PublicMaterial, Error> {
    let mut outer = Reader::new(der_bytes);
    let mut r = outer.sequence()?;
    outer.finish("trailing bytes after the RSA public key")?;
    let n = r.uint()?;
    let e = r.uint()?;
    r.finish("unexpected data after the RSA public key")?;
    check_rsa_modulus(n)?;
    Ok(PublicMaterial::Rsa {
        n: n.to_vec(),
        e: e.to_vec(),
    })
}

/// X.509 `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7, RFC 5480 §2).
pub(crate) fn parse_spki(der_bytes: &[u8]) -> Result<PublicMaterial, Error> {
    check_len(der_bytes)?;
    let mut outer = Reader::new(der_bytes);
    let mut r = outer.sequence()?;
    outer.finish("trailing bytes after the public key")?;
    let mut alg = r.sequence()?;
    let oid = alg.expect(der::TAG_OID, "expected the key algorithm OID")?;
    let bits = r.expect(der::TAG_BIT_STRING, "expected the public key bits")?;
    r.finish("unexpected data after the public key")?;
    let key = match bits.split_first() {
        Some((0, k)) => k,
        _ => {
            return Err(Error::KeyFormat {
                reason: "malformed public key bit string",
            })
        }
    };
    match oid {
        der::OID_RSA => parse_rsa_public(key),
        der::OID_EC => {
            let curve =
                curve_from_oid(alg.expect(der::TAG_OID, "EC key parameters must name a curve")?)?;
            check_point(curve, key)?;
            Ok(PublicMaterial::Ec {
                curve,
                point: key.to_vec(),
            })
        }
        _ => Err(Error::UnsupportedKey {
            reason:
                "unknown public key algorithm: use an RSA key or an EC key on P-256, P-384 or P-521",
        }),
    }
}
