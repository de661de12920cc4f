//! JWKs (RFC 7517 §4, §5; RFC 7518 §6; RFC 8037 §2): public JWKs and JWK sets, the private JWK
//! reader behind [`crate::PrivateKey::from_jwk`], and the RFC 7638 thumbprint.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::alg::Curve;
use crate::der;
use crate::error::Error;
use crate::material::{
    check_len, check_rsa_modulus, EcPrivate, Ed25519Private, PrivateMaterial, PublicMaterial,
    RsaPrivate, B64,
};

/// A public JSON Web Key, as registered with an authorization server (`jwks` or `jwks_uri`
/// client metadata, RFC 7591 §2). Private members are never part of this type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP` (RFC 7517 §4.1, RFC 8037 §2).
    pub kty: String,
    /// Intended use: `sig` for keys this crate produces (RFC 7517 §4.2).
    #[serde(rename = "use", skip_serializing_if = "Option::is_none", default)]
    pub use_: Option<String>,
    /// The algorithm the key is bound to (RFC 7517 §4.4).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alg: Option<String>,
    /// Key id (RFC 7517 §4.5).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kid: Option<String>,
    /// EC curve (RFC 7518 §6.2.1.1).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub crv: Option<String>,
    /// EC x coordinate, base64url (RFC 7518 §6.2.1.2).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub x: Option<String>,
    /// EC y coordinate, base64url (RFC 7518 §6.2.1.3).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub y: Option<String>,
    /// RSA modulus, base64url (RFC 7518 §6.3.1.1).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n: Option<String>,
    /// RSA public exponent, base64url (RFC 7518 §6.3.1.2).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub e: Option<String>,
}

/// A JWK set document (RFC 7517 §5): `{"keys":[...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The largest JWK set document [`JwkSet::from_json`] reads.
    pub const MAX_BYTES: usize = 256 * 1024;

    /// Serializes the set as JSON.
    pub fn to_json(&self) -> String {
        // Serializing strings and options cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"keys\":[]}"))
    }

    /// Parses a JWK set, bounded to [`JwkSet::MAX_BYTES`]. Keys with a `kty` this crate does
    /// not verify are kept here and skipped by [`crate::Verifier::from_jwks`]
    /// (RFC 7517 §5: ignore what is not understood).
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        if json.len() > Self::MAX_BYTES {
            return Err(Error::KeyTooLarge {
                len: json.len(),
                limit: Self::MAX_BYTES,
            });
        }
        #[derive(Deserialize)]
        struct Loose {
            keys: Vec<serde_json::Value>,
        }
        let loose: Loose = serde_json::from_slice(json).map_err(|_| Error::KeyFormat {
            reason: "not a JWK set (RFC 7517 §5: an object with a `keys` array)",
        })?;
        let keys = loose
            .keys
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        Ok(Self { keys })
    }
}

impl Jwk {
    /// Serializes the key as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a public JWK.
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        check_len(json)?;
        serde_json::from_slice(json).map_err(|_| Error::KeyFormat {
            reason: "not a public JSON Web Key (RFC 7517 §4)",
        })
    }

    pub(crate) fn from_public(public: &PublicMaterial) -> Option<Self> {
        let mut jwk = Jwk {
            kty: String::new(),
            use_: Some("sig".into()),
            alg: None,
            kid: None,
            crv: None,
            x: None,
            y: None,
            n: None,
            e: None,
        };
        match public {
            PublicMaterial::Rsa { n, e } => {
                jwk.kty = "RSA".into();
                jwk.n = Some(B64.encode(n));
                jwk.e = Some(B64.encode(e));
            }
            PublicMaterial::Ec { curve, point } => {
                let (x, y) = point[1..].split_at(curve.field_len());
                jwk.kty = "EC".into();
                jwk.crv = Some(curve.name().into());
                jwk.x = Some(B64.encode(x));
                jwk.y = Some(B64.encode(y));
            }
            PublicMaterial::Ed25519(x) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(B64.encode(x));
            }
            PublicMaterial::Oct(_) => return None,
        }
        Some(jwk)
    }

    /// Decodes the key material.
    pub(crate) fn to_public(&self) -> Result<PublicMaterial, Error> {
        match self.kty.as_str() {
            "RSA" => {
                let n = b64_member(&self.n, "RSA JWK without `n`")?;
                let e = b64_member(&self.e, "RSA JWK without `e`")?;
                check_rsa_modulus(&n)?;
                Ok(PublicMaterial::Rsa {
                    n: der::trim_zeros(&n).to_vec(),
                    e: der::trim_zeros(&e).to_vec(),
                })
            }
            "EC" => {
                let (curve, point) = ec_public(&self.crv, &self.x, &self.y)?;
                Ok(PublicMaterial::Ec { curve, point })
            }
            "OKP" if self.crv.as_deref() == Some("Ed25519") => {
                let x = b64_member(&self.x, "OKP JWK without `x`")?;
                if x.len() != 32 {
                    return Err(Error::KeyFormat {
                        reason: "an Ed25519 public key is 32 bytes (RFC 8037 §2)",
                    });
                }
                Ok(PublicMaterial::Ed25519(x.to_vec()))
            }
            _ => Err(Error::UnsupportedKey {
                reason: "public JWK `kty` must be RSA, EC or OKP Ed25519 (HMAC secrets are not published)",
            }),
        }
    }

    /// The RFC 7638 thumbprint (SHA-256, base64url) of this key.
    pub fn thumbprint(&self) -> Result<String, Error> {
        Ok(thumbprint(&self.to_public()?))
    }
}

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace.
/// Base64url values contain no characters that need JSON escaping.
pub(crate) fn thumbprint(public: &PublicMaterial) -> String {
    let json = match public {
        PublicMaterial::Rsa { n, e } => {
            format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                B64.encode(e),
                B64.encode(n)
            )
        }
        PublicMaterial::Ec { curve, point } => {
            let (x, y) = point[1..].split_at(curve.field_len());
            format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                curve.name(),
                B64.encode(x),
                B64.encode(y)
            )
        }
        PublicMaterial::Ed25519(x) => {
            format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, B64.encode(x))
        }
        PublicMaterial::Oct(k) => {
            let mut s = zeroize::Zeroizing::new(String::new());
            s.push_str(r#"{"k":""#);
            B64.encode_string(k, &mut s);
            s.push_str(r#"","kty":"oct"}"#);
            return B64.encode(Sha256::digest(s.as_bytes()));
        }
    };
    B64.encode(Sha256::digest(json.as_bytes()))
}

// --- Private JWKs -------------------------------------------------------------------------

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
fn b64_member(value: &Option<String>, missing: &'static str) -> Result<Zeroizing<Vec<u8>>, Error> {
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

/// The curve and uncompressed point of an EC JWK's `crv`, `x` and `y` (RFC 7518 §6.2.1), public
/// and private alike.
fn ec_public(
    crv: &Option<String>,
    x: &Option<String>,
    y: &Option<String>,
) -> Result<(Curve, Vec<u8>), Error> {
    let crv = crv.as_deref().ok_or(Error::KeyFormat {
        reason: "EC JWK without `crv`",
    })?;
    let curve = Curve::from_name(crv).ok_or(Error::UnsupportedKey {
        reason: "EC JWK on a curve other than P-256, P-384 or P-521",
    })?;
    let x = fixed_member(x, "EC JWK without `x`", curve)?;
    let y = fixed_member(y, "EC JWK without `y`", curve)?;
    let mut point = Vec::with_capacity(1 + 2 * curve.field_len());
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok((curve, point))
}

pub(crate) fn jwk_private(jwk: &RawJwk) -> Result<PrivateMaterial, Error> {
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
            Ok(PrivateMaterial::Rsa(RsaPrivate::new(
                &n, &e, &d, &p, &q, &dp, &dq, &qi,
            )?))
        }
        Some("EC") => {
            let (curve, point) = ec_public(&jwk.crv, &jwk.x, &jwk.y)?;
            let d = fixed_member(
                &jwk.d,
                "EC JWK without `d`: this is a public key, pass the private JWK",
                curve,
            )?;
            Ok(PrivateMaterial::Ec(EcPrivate { curve, d, point }))
        }
        Some("oct") => {
            let k = b64_member(&jwk.k, "oct JWK without `k`")?;
            Ok(PrivateMaterial::Oct(k))
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
            Ok(PrivateMaterial::Ed25519(Ed25519Private::new(
                &d,
                x.to_vec(),
            )?))
        }
        Some(_) => Err(Error::UnsupportedKey {
            reason: "unknown JWK `kty`: use RSA, EC or oct",
        }),
        None => Err(Error::KeyFormat {
            reason: "JWK without `kty`",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = Jwk::from_json(br#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#).unwrap();
        assert_eq!(
            jwk.thumbprint().unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn public_and_private_ec_jwks_read_crv_x_y_alike() {
        // One reader for both: a missing `crv` is a format error, an unknown one unsupported,
        // a short coordinate a format error, whether the JWK is public or private.
        let x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
        let y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
        let d = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
        let cases = [
            (format!(r#""x":"{x}","y":"{y}""#), "format"),
            (
                format!(r#""crv":"P-192","x":"{x}","y":"{y}""#),
                "unsupported",
            ),
            (format!(r#""crv":"P-256","x":"AAAA","y":"{y}""#), "format"),
        ];
        for (members, want) in cases {
            let public = format!(r#"{{"kty":"EC",{members}}}"#);
            let private = format!(r#"{{"kty":"EC","d":"{d}",{members}}}"#);
            let public = Jwk::from_json(public.as_bytes()).unwrap().to_public();
            let private = crate::PrivateKey::from_jwk(private.as_bytes());
            for (what, err) in [("public", public.err()), ("private", private.err())] {
                let got = match err {
                    Some(Error::KeyFormat { .. }) => "format",
                    Some(Error::UnsupportedKey { .. }) => "unsupported",
                    other => panic!("{what} {members}: {other:?}"),
                };
                assert_eq!(got, want, "{what} {members}");
            }
        }
    }
}
