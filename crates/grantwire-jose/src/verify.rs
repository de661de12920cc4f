//! Compact JWS verification (RFC 7515 §5.2) with JWT claim checks (RFC 7519 §7.2), for the
//! testkit and for resource servers.
//!
//! - The algorithm must be on the verifier's allow-list **and** fit the key's type: an RSA key
//!   verifies only RS*/PS*, an EC key only the ES* of its curve, a shared secret only HS*
//!   (no HMAC-with-a-public-key confusion, the CVE-2024-37568 class). `none` is never accepted.
//! - Input is bounded before any decoding: total length and exactly three segments (the
//!   CVE-2025-22868 class).
//! - `exp`, `nbf` and `iat` are checked against a `now` passed in, with a leeway.

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::alg::{Algorithm, Family};
use crate::backend::{expected_sig_len, Backend};
use crate::error::Error;
use crate::jwk::{Jwk, JwkSet};
use crate::material::{check_hmac_len, PublicMaterial, B64};
use crate::pkcs::{parse_public_pem, parse_spki};
use crate::time::unix;

/// A public key (or shared secret) for verification, with an optional pinned algorithm and
/// `kid`. `Debug` never shows a secret.
#[derive(Clone)]
pub struct VerifyingKey {
    material: PublicMaterial,
    alg: Option<Algorithm>,
    kid: Option<String>,
    backend: Backend,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("type", &self.material.kind())
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("backend", &self.backend)
            .finish()
    }
}

impl VerifyingKey {
    pub(crate) fn from_material(material: PublicMaterial, kid: Option<String>) -> Self {
        Self {
            material,
            alg: None,
            kid,
            backend: Backend::default(),
        }
    }

    /// A public JWK (`RSA`, `EC` or `OKP` Ed25519). Its `alg`, when present, pins the algorithm; its `kid` is
    /// matched against the header's.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, Error> {
        if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(Error::UnsupportedKey {
                reason: "the JWK's `use` is not `sig`: it is not a signature key",
            });
        }
        let key = Self::from_material(jwk.to_public()?, jwk.kid.clone());
        match jwk.alg.as_deref() {
            None => Ok(key),
            Some(name) => match Algorithm::from_name(name) {
                Some(alg) => key.with_algorithm(alg),
                None => Err(Error::UnsupportedKey {
                    reason: "the JWK's `alg` is not one of the twelve supported JWS algorithms",
                }),
            },
        }
    }

    /// A public key from PEM: `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1).
    pub fn from_public_pem(pem: &[u8]) -> Result<Self, Error> {
        Ok(Self::from_material(parse_public_pem(pem)?, None))
    }

    /// A public key from SPKI DER (RFC 5280 §4.1.2.7).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        Ok(Self::from_material(parse_spki(der)?, None))
    }

    /// A shared secret for HS256/384/512 (the client secret of `client_secret_jwt`). Only HS*
    /// algorithms whose hash output is no longer than the secret verify with it.
    pub fn hmac(secret: &[u8]) -> Self {
        Self::from_material(
            PublicMaterial::Oct(zeroize::Zeroizing::new(secret.to_vec())),
            None,
        )
    }

    /// Pins the algorithm; fails when the key cannot be used with it.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, Error> {
        self.check_fits(alg)?;
        self.alg = Some(alg);
        Ok(self)
    }

    /// Sets the `kid` this key answers to.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Verifies with the given backend.
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The pinned algorithm, if any.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// The public JWK (`None` for a shared secret).
    pub fn to_jwk(&self) -> Option<Jwk> {
        let mut jwk = Jwk::from_public(&self.material)?;
        jwk.alg = self.alg.map(|a| a.name().into());
        jwk.kid = self.kid.clone();
        Some(jwk)
    }

    /// Whether `alg` can be verified with this key: the pinned algorithm if any, otherwise
    /// the key type decides (RSA: RS*/PS*; EC: the ES* of its curve; secret: HS* no longer
    /// than the secret).
    pub fn fits(&self, alg: Algorithm) -> bool {
        self.check_fits(alg).is_ok()
    }

    fn check_fits(&self, alg: Algorithm) -> Result<(), Error> {
        if let Some(pinned) = self.alg {
            if pinned != alg {
                return Err(Error::AlgorithmNotAllowed {
                    alg: alg.name().into(),
                });
            }
        }
        match (&self.material, alg.family()) {
            (PublicMaterial::Rsa { .. }, Family::RsaPkcs1 | Family::RsaPss) => Ok(()),
            (PublicMaterial::Ec { curve, .. }, Family::Ecdsa) => {
                if alg.curve() == Some(*curve) {
                    Ok(())
                } else {
                    Err(Error::CurveMismatch {
                        alg,
                        expected: alg.curve().unwrap_or(*curve),
                        found: *curve,
                        suggested: curve.algorithm(),
                    })
                }
            }
            (PublicMaterial::Oct(k), Family::Hmac) => check_hmac_len(alg, k.len()),
            (PublicMaterial::Ed25519(_), Family::EdDsa) => Ok(()),
            (PublicMaterial::Ed25519(_), _) => Err(Error::mismatch(alg, "an Ed25519")),
            (PublicMaterial::Rsa { .. }, _) => Err(Error::mismatch(alg, "an RSA")),
            (PublicMaterial::Ec { .. }, _) => Err(Error::mismatch(alg, "an EC")),
            (PublicMaterial::Oct(_), _) => Err(Error::mismatch(alg, "a symmetric")),
        }
    }

    /// Checks the raw signature over `signing_input` for `alg` (no JWT claim checks).
    pub fn verify_signature(
        &self,
        alg: Algorithm,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        self.check_fits(alg)?;
        if expected_sig_len(alg, &self.material) != Some(signature.len()) {
            return Err(Error::BadSignature);
        }
        self.backend
            .verify(alg, &self.material, signing_input, signature)
    }
}

/// The JOSE header of a verified token (RFC 7515 §4.1).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Header {
    /// `alg` (already checked against the allow-list and the key).
    #[serde(deserialize_with = "de_alg")]
    pub alg: Algorithm,
    /// `kid`.
    #[serde(default)]
    pub kid: Option<String>,
    /// `typ`.
    #[serde(default)]
    pub typ: Option<String>,
    /// `cty`.
    #[serde(default)]
    pub cty: Option<String>,
    /// `x5t#S256`.
    #[serde(default, rename = "x5t#S256")]
    pub x5t_s256: Option<String>,
    #[serde(default, deserialize_with = "de_present")]
    crit: bool,
}

fn de_present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d)?;
    Ok(true)
}

fn de_alg<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Algorithm, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    Algorithm::from_name(&s).ok_or_else(|| serde::de::Error::custom("unsupported alg"))
}

/// A JWT `aud` claim: one string or an array of strings (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum Aud {
    One(String),
    Many(Vec<String>),
}

fn de_aud<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Option::<Aud>::deserialize(d)? {
        None => Vec::new(),
        Some(Aud::One(s)) => vec![s],
        Some(Aud::Many(v)) => v,
    })
}

/// The registered claims of a verified JWT (RFC 7519 §4.1), plus `scope` and the rest.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Claims {
    /// `iss`.
    #[serde(default)]
    pub iss: Option<String>,
    /// `sub`.
    #[serde(default)]
    pub sub: Option<String>,
    /// `aud`, normalised to a list. [`Verified::aud_is_single_string`] tells whether it was
    /// sent as one string.
    #[serde(default, deserialize_with = "de_aud")]
    pub aud: Vec<String>,
    /// `exp`, seconds since the epoch.
    #[serde(default)]
    pub exp: Option<i64>,
    /// `nbf`.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// `iat`.
    #[serde(default)]
    pub iat: Option<i64>,
    /// `jti`.
    #[serde(default)]
    pub jti: Option<String>,
    /// `scope` (RFC 8693 §4.2, and JWT-bearer grant assertions).
    #[serde(default)]
    pub scope: Option<String>,
    /// Every other claim.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A verified token: its header, claims and the raw payload for custom claim types.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The header.
    pub header: Header,
    /// The claims.
    pub claims: Claims,
    payload: Vec<u8>,
    aud_single: bool,
}

impl Verified {
    /// Deserializes the payload into a type of your own.
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.payload).map_err(|_| Error::InvalidClaim {
            name: "payload",
            expected: "the requested claims type",
        })
    }

    /// The payload bytes (decoded JSON).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Whether `aud` was a single JSON string (what this crate's assertions send), not an array.
    pub fn aud_is_single_string(&self) -> bool {
        self.aud_single
    }
}

/// A set of keys plus the rules a token must pass. Build once, verify many.
///
/// ```
/// # use grantwire_jose::{Algorithm, Verifier, VerifyingKey};
/// let key = VerifyingKey::hmac(&[7u8; 32]);
/// let verifier = Verifier::new(vec![key])
///     .algorithms(&[Algorithm::HS256])
///     .issuer("client-1")
///     .audience("https://as.example");
/// assert!(verifier.verify("e30.e30.AA", std::time::SystemTime::UNIX_EPOCH).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    keys: Vec<VerifyingKey>,
    algorithms: Vec<Algorithm>,
    leeway: u64,
    max_len: usize,
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<String>,
    typ: Option<String>,
    require: Vec<&'static str>,
    max_lifetime: Option<u64>,
}

impl Verifier {
    /// The default bound on the compact token length, in bytes.
    pub const DEFAULT_MAX_LEN: usize = 16 * 1024;
    /// The default leeway for `exp`/`nbf`/`iat`, in seconds.
    pub const DEFAULT_LEEWAY: u64 = 30;

    /// A verifier over `keys`. Defaults: the ten asymmetric algorithms allowed (HMAC must be
    /// allowed explicitly with [`Verifier::algorithms`]), `exp` required, 30 s leeway, tokens up
    /// to 16 KiB.
    pub fn new(keys: Vec<VerifyingKey>) -> Self {
        Self {
            keys,
            algorithms: Algorithm::ASYMMETRIC.to_vec(),
            leeway: Self::DEFAULT_LEEWAY,
            max_len: Self::DEFAULT_MAX_LEN,
            issuer: None,
            subject: None,
            audience: None,
            typ: None,
            require: vec!["exp"],
            max_lifetime: None,
        }
    }

    /// A verifier over the usable keys of a JWK set (unsupported or malformed keys are skipped,
    /// RFC 7517 §5).
    pub fn from_jwks(set: &JwkSet) -> Self {
        Self::new(
            set.keys
                .iter()
                .filter_map(|k| VerifyingKey::from_jwk(k).ok())
                .collect(),
        )
    }

    /// Replaces the algorithm allow-list.
    pub fn algorithms(mut self, algs: &[Algorithm]) -> Self {
        self.algorithms = algs.to_vec();
        self
    }

    /// Sets the leeway for time checks, in seconds.
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Sets the bound on the compact token length.
    pub fn max_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }

    /// Requires `iss` to equal `issuer`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Requires `sub` to equal `subject`.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Requires `aud` to contain `audience` (RFC 7519 §4.1.3).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Requires the header `typ` to equal `typ` (compared case-insensitively, RFC 7515 §4.1.9).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Requires these claims to be present (`exp` is required by default); names other than
    /// `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti` are looked up among the extra claims.
    pub fn require(mut self, claims: &[&'static str]) -> Self {
        for c in claims {
            if !self.require.contains(c) {
                self.require.push(c);
            }
        }
        self
    }

    /// Does not require `exp` (it is still checked when present).
    pub fn allow_missing_exp(mut self) -> Self {
        self.require.retain(|c| *c != "exp");
        self
    }

    /// Rejects tokens whose `exp - iat` exceeds `seconds` (requires `iat`).
    pub fn max_lifetime(mut self, seconds: u64) -> Self {
        self.max_lifetime = Some(seconds);
        self.require(&["iat"])
    }

    /// The keys.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// Verifies a compact JWS and its JWT claims at time `now`.
    pub fn verify(&self, token: &str, now: SystemTime) -> Result<Verified, Error> {
        let parts = split(token, self.max_len)?;
        let header_json = decode_segment(parts.header, "the header is not base64url")?;
        let header: Header = serde_json::from_slice(&header_json).map_err(|_| {
            // Say which alg was refused when that is the reason.
            match serde_json::from_slice::<serde_json::Value>(&header_json)
                .ok()
                .and_then(|v| v.get("alg").and_then(|a| a.as_str()).map(truncate16))
            {
                Some(alg) if Algorithm::from_name(&alg).is_none() => {
                    Error::AlgorithmNotAllowed { alg }
                }
                _ => Error::Malformed {
                    reason: "the header is not a JSON object with a string `alg`",
                },
            }
        })?;
        if header.crit {
            // RFC 7515 §4.1.11: we understand no extension, so a `crit` header is refused.
            return Err(Error::Malformed {
                reason: "the header has `crit` extensions this verifier does not understand",
            });
        }
        if !self.algorithms.contains(&header.alg) {
            return Err(Error::AlgorithmNotAllowed {
                alg: header.alg.name().into(),
            });
        }
        if let Some(want) = &self.typ {
            if !header
                .typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(want))
            {
                return Err(Error::ClaimMismatch { name: "typ" });
            }
        }
        let signature = decode_segment(parts.signature, "the signature is not base64url")?;
        let signing_input = &token.as_bytes()[..parts.header.len() + 1 + parts.payload.len()];
        let candidates = self.keys.iter().filter(|k| {
            k.fits(header.alg)
                && match (&header.kid, &k.kid) {
                    (Some(h), Some(k)) => h == k,
                    _ => true,
                }
        });
        let mut tried = false;
        let mut verified = false;
        for key in candidates {
            tried = true;
            if key
                .verify_signature(header.alg, signing_input, &signature)
                .is_ok()
            {
                verified = true;
                break;
            }
        }
        if !tried {
            return Err(Error::NoMatchingKey {
                kid: header.kid.as_deref().map(truncate64),
            });
        }
        if !verified {
            return Err(Error::BadSignature);
        }
        let payload = decode_segment(parts.payload, "the payload is not base64url")?;
        let value: serde_json::Value =
            serde_json::from_slice(&payload).map_err(|_| Error::Malformed {
                reason: "the payload is not JSON",
            })?;
        let aud_single = value.get("aud").is_some_and(|a| a.is_string());
        let claims: Claims = serde_json::from_value(value).map_err(|_| Error::InvalidClaim {
            name: "registered claims",
            expected: "of the types RFC 7519 §4.1 gives (strings and NumericDate integers)",
        })?;
        self.check_claims(&claims, now)?;
        Ok(Verified {
            header,
            claims,
            payload,
            aud_single,
        })
    }

    fn check_claims(&self, c: &Claims, now: SystemTime) -> Result<(), Error> {
        for &name in &self.require {
            let present = match name {
                "iss" => c.iss.is_some(),
                "sub" => c.sub.is_some(),
                "aud" => !c.aud.is_empty(),
                "exp" => c.exp.is_some(),
                "nbf" => c.nbf.is_some(),
                "iat" => c.iat.is_some(),
                "jti" => c.jti.is_some(),
                "scope" => c.scope.is_some(),
                other => c.extra.contains_key(other),
            };
            if !present {
                return Err(Error::InvalidClaim {
                    name,
                    expected: "present",
                });
            }
        }
        let now = unix(now);
        let leeway = i64::try_from(self.leeway).unwrap_or(i64::MAX);
        // RFC 7519 §4.1.4: reject on or after exp.
        if let Some(exp) = c.exp {
            if now >= exp.saturating_add(leeway) {
                return Err(Error::Expired {
                    exp,
                    now,
                    leeway: self.leeway,
                });
            }
        }
        // RFC 7519 §4.1.5: reject before nbf.
        if let Some(nbf) = c.nbf {
            if now < nbf.saturating_sub(leeway) {
                return Err(Error::NotYetValid {
                    nbf,
                    now,
                    leeway: self.leeway,
                });
            }
        }
        if let Some(iat) = c.iat {
            if iat > now.saturating_add(leeway) {
                return Err(Error::IssuedInFuture {
                    iat,
                    now,
                    leeway: self.leeway,
                });
            }
        }
        if let (Some(max), Some(exp), Some(iat)) = (self.max_lifetime, c.exp, c.iat) {
            let lifetime = exp.saturating_sub(iat);
            if lifetime > i64::try_from(max).unwrap_or(i64::MAX) {
                return Err(Error::LifetimeTooLong { lifetime, max });
            }
        }
        if let Some(iss) = &self.issuer {
            if c.iss.as_ref() != Some(iss) {
                return Err(Error::ClaimMismatch { name: "iss" });
            }
        }
        if let Some(sub) = &self.subject {
            if c.sub.as_ref() != Some(sub) {
                return Err(Error::ClaimMismatch { name: "sub" });
            }
        }
        if let Some(aud) = &self.audience {
            if !c.aud.iter().any(|a| a == aud) {
                return Err(Error::ClaimMismatch { name: "aud" });
            }
        }
        Ok(())
    }
}

/// Verifies `token` against one key with default rules plus the key's algorithm family.
/// Shorthand for `Verifier::new(vec![key.clone()])` with the allow-list set to `algorithms`.
pub fn verify(
    token: &str,
    key: &VerifyingKey,
    algorithms: &[Algorithm],
    now: SystemTime,
) -> Result<Verified, Error> {
    Verifier::new(vec![key.clone()])
        .algorithms(algorithms)
        .verify(token, now)
}

fn truncate16(s: &str) -> String {
    s.chars().take(16).collect()
}

fn truncate64(s: &str) -> String {
    s.chars().take(64).collect()
}

struct Parts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
}

/// RFC 7515 §7.1: exactly three base64url segments. The length bound comes first, then the
/// segment count, so no work is done on oversized or many-segment input.
fn split(token: &str, max_len: usize) -> Result<Parts<'_>, Error> {
    if token.len() > max_len {
        return Err(Error::TokenTooLarge {
            len: token.len(),
            limit: max_len,
        });
    }
    let mut it = token.splitn(4, '.');
    let (Some(header), Some(payload), Some(signature), None) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(Error::Malformed {
            reason: "a compact JWS has exactly three dot-separated segments (RFC 7515 §7.1)",
        });
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() {
        return Err(Error::Malformed {
            reason: "empty JWS segment (detached payloads are not accepted)",
        });
    }
    Ok(Parts {
        header,
        payload,
        signature,
    })
}

fn decode_segment(s: &str, reason: &'static str) -> Result<Vec<u8>, Error> {
    B64.decode(s).map_err(|_| Error::Malformed { reason })
}
