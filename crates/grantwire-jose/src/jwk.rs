//! Public JWKs and JWK sets (RFC 7517 §4, §5; RFC 7518 §6) and the RFC 7638 thumbprint.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::alg::Curve;
use crate::error::Error;
use crate::key::{PublicMaterial, B64};

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
        if json.len() > crate::key::MAX_KEY_INPUT {
            return Err(Error::KeyTooLarge {
                len: json.len(),
                limit: crate::key::MAX_KEY_INPUT,
            });
        }
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
        let dec = |v: &Option<String>, what: &'static str| -> Result<Vec<u8>, Error> {
            let s = v.as_deref().ok_or(Error::KeyFormat { reason: what })?;
            B64.decode(s).map_err(|_| Error::KeyFormat {
                reason: "a JWK member is not unpadded base64url (RFC 7515 §2)",
            })
        };
        match self.kty.as_str() {
            "RSA" => {
                let n = dec(&self.n, "RSA JWK without `n`")?;
                let e = dec(&self.e, "RSA JWK without `e`")?;
                crate::key::check_rsa_modulus(&n)?;
                Ok(PublicMaterial::Rsa {
                    n: crate::der::trim_zeros(&n).to_vec(),
                    e: crate::der::trim_zeros(&e).to_vec(),
                })
            }
            "EC" => {
                let curve = Curve::from_name(self.crv.as_deref().unwrap_or_default()).ok_or(
                    Error::UnsupportedKey {
                        reason: "EC JWK on a curve other than P-256, P-384 or P-521",
                    },
                )?;
                let x = dec(&self.x, "EC JWK without `x`")?;
                let y = dec(&self.y, "EC JWK without `y`")?;
                if x.len() != curve.field_len() || y.len() != curve.field_len() {
                    return Err(Error::KeyFormat {
                        reason: "an EC JWK coordinate does not have the curve's full length (RFC 7518 §6.2.1.2)",
                    });
                }
                let mut point = Vec::with_capacity(1 + 2 * curve.field_len());
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Ok(PublicMaterial::Ec { curve, point })
            }
            "OKP" if self.crv.as_deref() == Some("Ed25519") => {
                let x = dec(&self.x, "OKP JWK without `x`")?;
                if x.len() != 32 {
                    return Err(Error::KeyFormat {
                        reason: "an Ed25519 public key is 32 bytes (RFC 8037 §2)",
                    });
                }
                Ok(PublicMaterial::Ed25519(x))
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
}
