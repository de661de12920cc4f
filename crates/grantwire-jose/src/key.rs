//! Private keys, parsed once from PKCS#8 (PEM or DER), PKCS#1 RSA PEM/DER, SEC1 EC PEM/DER or a
//! private JWK (RFC 7517, RFC 7518 §6), into a backend-neutral form that every backend builds
//! its own key object from.

use std::fmt;

use base64::Engine as _;
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::alg::{Algorithm, Curve, Family};
use crate::der::{self, Reader};
use crate::error::Error;
use crate::pem::{self, Label};

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

pub(crate) enum KeyInner {
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

/// A private key (or shared secret), parsed and checked once; build a
/// [`SigningKey`](crate::SigningKey) from it. `Debug` shows only the key type; the key
/// material is zeroized on drop.
pub struct PrivateKey {
    pub(crate) inner: KeyInner,
    /// `kid` from a JWK, used as the default key id.
    pub(crate) kid: Option<String>,
    /// `alg` from a JWK: a signing key for another algorithm is refused.
    pub(crate) jwk_alg: Option<String>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            KeyInner::Rsa(r) => format!("RSA-{}", bits(&r.n)),
            KeyInner::Ec(e) => format!("EC {}", e.curve),
            KeyInner::Ed25519(_) => "Ed25519".to_owned(),
            KeyInner::Oct(_) => "symmetric".to_owned(),
        };
        f.debug_struct("PrivateKey")
            .field("type", &kind)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

pub(crate) fn bits(n: &[u8]) -> usize {
    let n = der::trim_zeros(n);
    match n.first() {
        None => 0,
        Some(&b) => n.len() * 8 - b.leading_zeros() as usize,
    }
}

fn check_len(input: &[u8]) -> Result<(), Error> {
    if input.len() > MAX_KEY_INPUT {
        return Err(Error::KeyTooLarge {
            len: input.len(),
            limit: MAX_KEY_INPUT,
        });
    }
    Ok(())
}

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

impl RsaPrivate {
    #[allow(clippy::too_many_arguments)]
    fn new(
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
fn parse_pkcs8(der_bytes: &[u8]) -> Result<KeyInner, Error> {
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
            Ok(KeyInner::Rsa(parse_pkcs1(key)?))
        }
        der::OID_EC => {
            let curve_oid = alg.expect(der::TAG_OID, "EC key parameters must name a curve")?;
            let curve = curve_from_oid(curve_oid)?;
            Ok(KeyInner::Ec(parse_sec1(key, Some(curve), public)?))
        }
        der::OID_RSA_PSS => Err(Error::UnsupportedKey {
            reason: "RSASSA-PSS-restricted keys are not supported: export the key as a plain rsaEncryption key (it can still sign PS256/384/512)",
        }),
        der::OID_ED25519 => {
            // RFC 8410 §7: the private key is an OCTET STRING holding the 32-byte seed.
            let mut inner = Reader::new(key);
            let seed = inner.expect(der::TAG_OCTET_STRING, "expected the Ed25519 seed")?;
            inner.finish("trailing bytes after the Ed25519 seed")?;
            Ok(KeyInner::Ed25519(ed25519_private(seed, public)?))
        }
        _ => Err(Error::UnsupportedKey {
            reason: "unknown key algorithm: use an RSA key, an EC key on P-256, P-384 or P-521, or Ed25519",
        }),
    }
}

fn ed25519_private(seed: &[u8], public: Option<&[u8]>) -> Result<Ed25519Private, Error> {
    if seed.len() != 32 {
        return Err(Error::KeyFormat {
            reason: "an Ed25519 private key is 32 bytes (RFC 8032 §5.1.5)",
        });
    }
    let public = match public {
        Some(p) if p.len() == 32 => p.to_vec(),
        Some(_) => {
            return Err(Error::KeyFormat {
                reason: "an Ed25519 public key is 32 bytes (RFC 8032 §5.1.5)",
            })
        }
        None => crate::backend::ed25519_public(seed)?,
    };
    Ok(Ed25519Private {
        seed: Zeroizing::new(seed.to_vec()),
        public,
    })
}

/// A private JWK as read from JSON; every member is wiped on drop.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop, Default)]
pub(crate) struct RawJwk {
    pub(crate) kty: Option<String>,
    pub(crate) kid: Option<String>,
    pub(crate) alg: Option<String>,
    #[serde(rename = "use")]
    pub(crate) use_: Option<String>,
    pub(crate) crv: Option<String>,
    pub(crate) x: Option<String>,
    pub(crate) y: Option<String>,
    pub(crate) n: Option<String>,
    pub(crate) e: Option<String>,
    pub(crate) d: Option<String>,
    pub(crate) p: Option<String>,
    pub(crate) q: Option<String>,
    pub(crate) dp: Option<String>,
    pub(crate) dq: Option<String>,
    pub(crate) qi: Option<String>,
    pub(crate) k: Option<String>,
    #[zeroize(skip)]
    pub(crate) oth: Option<serde::de::IgnoredAny>,
}

/// Decodes one base64url JWK member (RFC 7515 §2: no padding).
pub(crate) fn b64_member(
    value: &Option<String>,
    missing: &'static str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let v = value
        .as_deref()
        .ok_or(Error::KeyFormat { reason: missing })?;
    B64.decode(v)
        .map(Zeroizing::new)
        .map_err(|_| Error::KeyFormat {
            reason: "a JWK member is not unpadded base64url (RFC 7515 §2)",
        })
}

/// Decodes an EC coordinate or scalar that RFC 7518 §6.2.1.2 requires at full length.
fn fixed_member(
    value: &Option<String>,
    missing: &'static str,
    curve: Curve,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let v = b64_member(value, missing)?;
    if v.len() != curve.field_len() {
        return Err(Error::KeyFormat {
            reason: "an EC JWK coordinate or scalar does not have the curve's full length (RFC 7518 §6.2.1.2)",
        });
    }
    Ok(v)
}

pub(crate) fn parse_jwk_json(input: &[u8]) -> Result<RawJwk, Error> {
    check_len(input)?;
    serde_json::from_slice(input).map_err(|_| Error::KeyFormat {
        reason: "not a JSON Web Key object (RFC 7517 §4)",
    })
}

pub(crate) fn ec_point(jwk: &RawJwk, curve: Curve) -> Result<Vec<u8>, Error> {
    let x = fixed_member(&jwk.x, "EC JWK without `x`", curve)?;
    let y = fixed_member(&jwk.y, "EC JWK without `y`", curve)?;
    let mut point = Vec::with_capacity(1 + 2 * curve.field_len());
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok(point)
}

pub(crate) fn jwk_curve(jwk: &RawJwk) -> Result<Curve, Error> {
    let crv = jwk.crv.as_deref().ok_or(Error::KeyFormat {
        reason: "EC JWK without `crv`",
    })?;
    Curve::from_name(crv).ok_or(Error::UnsupportedKey {
        reason: "EC JWK on a curve other than P-256, P-384 or P-521",
    })
}

fn jwk_private(jwk: &RawJwk) -> Result<KeyInner, Error> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err(Error::UnsupportedKey {
            reason: "the JWK's `use` is not `sig`: use a signing key",
        });
    }
    match jwk.kty.as_deref() {
        Some("RSA") => {
            if jwk.oth.is_some() {
                return Err(Error::UnsupportedKey {
                    reason: "multi-prime RSA JWKs (`oth`) are not supported: use a two-prime key",
                });
            }
            let get = |v: &Option<String>, what| b64_member(v, what);
            let n = get(&jwk.n, "RSA JWK without `n`")?;
            let e = get(&jwk.e, "RSA JWK without `e`")?;
            let d = get(
                &jwk.d,
                "RSA JWK without `d`: this is a public key, pass the private JWK",
            )?;
            const CRT: &str = "RSA JWK without all of `p`, `q`, `dp`, `dq`, `qi`: export the key with its CRT parameters (RFC 7518 §6.3.2)";
            let p = get(&jwk.p, CRT)?;
            let q = get(&jwk.q, CRT)?;
            let dp = get(&jwk.dp, CRT)?;
            let dq = get(&jwk.dq, CRT)?;
            let qi = get(&jwk.qi, CRT)?;
            Ok(KeyInner::Rsa(RsaPrivate::new(
                &n, &e, &d, &p, &q, &dp, &dq, &qi,
            )?))
        }
        Some("EC") => {
            let curve = jwk_curve(jwk)?;
            let point = ec_point(jwk, curve)?;
            let d = fixed_member(
                &jwk.d,
                "EC JWK without `d`: this is a public key, pass the private JWK",
                curve,
            )?;
            Ok(KeyInner::Ec(EcPrivate { curve, d, point }))
        }
        Some("oct") => {
            let k = b64_member(&jwk.k, "oct JWK without `k`")?;
            Ok(KeyInner::Oct(k))
        }
        Some("OKP") => {
            if jwk.crv.as_deref() != Some("Ed25519") {
                return Err(Error::UnsupportedKey {
                    reason: "OKP JWK on a curve other than Ed25519 (RFC 8037): use an Ed25519 key",
                });
            }
            let x = b64_member(&jwk.x, "OKP JWK without `x`")?;
            let d = b64_member(
                &jwk.d,
                "OKP JWK without `d`: this is a public key, pass the private JWK",
            )?;
            Ok(KeyInner::Ed25519(ed25519_private(&d, Some(&x))?))
        }
        Some(_) => Err(Error::UnsupportedKey {
            reason: "unknown JWK `kty`: use RSA, EC or oct",
        }),
        None => Err(Error::KeyFormat {
            reason: "JWK without `kty`",
        }),
    }
}

impl PrivateKey {
    fn new(inner: KeyInner) -> Self {
        Self {
            inner,
            kid: None,
            jwk_alg: None,
        }
    }

    /// Reads a PEM file: `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY`
    /// (SEC1, RFC 5915). Other blocks before the key (such as `EC PARAMETERS`) are skipped.
    pub fn from_pem(pem_text: &[u8]) -> Result<Self, Error> {
        check_len(pem_text)?;
        let (label, der_bytes) = pem::decode(pem_text)?;
        let inner = match label {
            Label::PrivateKey => parse_pkcs8(&der_bytes)?,
            Label::RsaPrivateKey => KeyInner::Rsa(parse_pkcs1(&der_bytes)?),
            Label::EcPrivateKey => KeyInner::Ec(parse_sec1(&der_bytes, None, None)?),
            Label::PublicKey | Label::RsaPublicKey | Label::Certificate => {
                return Err(Error::KeyFormat {
                    reason: "this PEM holds a public key or certificate: pass the private key",
                })
            }
        };
        Ok(Self::new(inner))
    }

    /// Reads DER: PKCS#8, PKCS#1 `RSAPrivateKey` or SEC1 `ECPrivateKey`, told apart by shape.
    pub fn from_der(der_bytes: &[u8]) -> Result<Self, Error> {
        check_len(der_bytes)?;
        let mut outer = Reader::new(der_bytes);
        let mut seq = outer.sequence()?;
        seq.uint()?;
        let inner = match seq.peek_tag() {
            Some(der::TAG_SEQUENCE) => parse_pkcs8(der_bytes)?,
            Some(der::TAG_OCTET_STRING) => KeyInner::Ec(parse_sec1(der_bytes, None, None)?),
            Some(der::TAG_INTEGER) => KeyInner::Rsa(parse_pkcs1(der_bytes)?),
            _ => {
                return Err(Error::KeyFormat {
                    reason: "DER input is not a PKCS#8, PKCS#1 or SEC1 private key",
                })
            }
        };
        Ok(Self::new(inner))
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
        Self::new(KeyInner::Oct(Zeroizing::new(secret.to_vec())))
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
        match (&self.inner, alg.family()) {
            (KeyInner::Rsa(_), Family::RsaPkcs1 | Family::RsaPss) => Ok(()),
            (KeyInner::Ec(ec), Family::Ecdsa) => {
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
            (KeyInner::Oct(k), Family::Hmac) => check_hmac_len(alg, k.len()),
            (KeyInner::Ed25519(_), Family::EdDsa) => Ok(()),
            (KeyInner::Ed25519(_), _) => Err(Error::mismatch(alg, "an Ed25519")),
            (KeyInner::Rsa(_), _) => Err(Error::mismatch(alg, "an RSA")),
            (KeyInner::Ec(_), _) => Err(Error::mismatch(alg, "an EC")),
            (KeyInner::Oct(_), _) => Err(Error::mismatch(alg, "a symmetric")),
        }
    }

    /// The public half (for RSA and EC keys).
    pub(crate) fn public(&self) -> PublicMaterial {
        match &self.inner {
            KeyInner::Rsa(r) => PublicMaterial::Rsa {
                n: r.n.clone(),
                e: r.e.clone(),
            },
            KeyInner::Ec(ec) => PublicMaterial::Ec {
                curve: ec.curve,
                point: ec.point.clone(),
            },
            KeyInner::Ed25519(k) => PublicMaterial::Ed25519(k.public.clone()),
            KeyInner::Oct(k) => PublicMaterial::Oct(k.clone()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_bearing_key_types_have_no_equality_and_no_copies() {
        // Compile-time checks: these lines stop compiling if a derive comes back.
        crate::assert_not_impl!(PublicMaterial: PartialEq);
        crate::assert_not_impl!(KeyInner: PartialEq);
        crate::assert_not_impl!(KeyInner: Clone);
        crate::assert_not_impl!(PrivateKey: PartialEq);
        crate::assert_not_impl!(PrivateKey: Clone);
        crate::assert_not_impl!(crate::VerifyingKey: PartialEq);
        crate::assert_not_impl!(crate::SigningKey: PartialEq);
    }
}
