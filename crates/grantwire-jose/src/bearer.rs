//! JWT-bearer grant assertions (RFC 7523 §2.1, §3) and Google service-account key files.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use grantwire_jose::{BearerAssertion, ServiceAccountKey};
//! # let json = include_str!("../tests/vectors/service_account.json");
//! let sa = ServiceAccountKey::from_json(json.as_bytes())?;
//! let assertion = BearerAssertion::from_service_account(&sa)?
//!     .scope("https://www.googleapis.com/auth/cloud-platform");
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut entropy = |b: &mut [u8]| b.fill(7); // a CSPRNG in production
//! let grant = assertion.grant(now, &mut entropy)?; // a grantwire::JwtBearer
//! let server = sa.authorization_server()?; // token endpoint = token_uri
//! # let _ = (grant, server);
//! # Ok::<(), grantwire_jose::Error>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use grantwire::{AuthorizationServer, Endpoint, Entropy, JwtBearer, SecretString};
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::alg::Algorithm;
use crate::error::Error;
use crate::key::PrivateKey;
use crate::material::{B64, MAX_KEY_INPUT};
use crate::signer::{Header, SigningKey};
use crate::time::unix;

/// Longest JWT-bearer assertion lifetime accepted (Google's limit, and ours).
pub const MAX_BEARER_LIFETIME: Duration = Duration::from_secs(3600);

/// A Google service-account key file (`"type": "service_account"`), treated as untrusted
/// input: bounded in size, every field checked, the key parsed and its RSA rules applied.
pub struct ServiceAccountKey {
    client_email: String,
    private_key_id: Option<String>,
    token_uri: String,
    key: PrivateKey,
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct RawServiceAccount {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

fn sa_err(reason: &'static str) -> Error {
    Error::ServiceAccount { reason }
}

fn plain_field(v: &str, max: usize) -> bool {
    !v.is_empty() && v.len() <= max && !v.chars().any(char::is_control)
}

impl ServiceAccountKey {
    /// Reads a service-account JSON key file (at most 64 KiB).
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        if json.len() > MAX_KEY_INPUT {
            return Err(Error::KeyTooLarge {
                len: json.len(),
                limit: MAX_KEY_INPUT,
            });
        }
        let raw: RawServiceAccount = serde_json::from_slice(json)
            .map_err(|_| sa_err("not a JSON object with string fields"))?;
        if raw.kind.as_deref().is_some_and(|k| k != "service_account") {
            return Err(sa_err(
                "`type` is not `service_account`: download a service-account key",
            ));
        }
        let client_email = raw
            .client_email
            .as_deref()
            .filter(|e| plain_field(e, 320) && e.contains('@'))
            .ok_or(sa_err("`client_email` is missing or not an email address"))?
            .to_owned();
        let token_uri = raw
            .token_uri
            .as_deref()
            .ok_or(sa_err("`token_uri` is missing"))?;
        // The assertion goes to token_uri: insist on https (http only on loopback).
        Endpoint::parse(token_uri).map_err(|_| sa_err("`token_uri` is not an https URL"))?;
        let token_uri = token_uri.to_owned();
        let private_key_id = match raw.private_key_id.as_deref() {
            None | Some("") => None,
            Some(id) if plain_field(id, 128) => Some(id.to_owned()),
            Some(_) => return Err(sa_err("`private_key_id` is not a plain short string")),
        };
        let pem = raw
            .private_key
            .as_deref()
            .ok_or(sa_err("`private_key` is missing"))?;
        let key = PrivateKey::from_pem(pem.as_bytes())?;
        key.check_algorithm(Algorithm::RS256)?;
        Ok(Self {
            client_email,
            private_key_id,
            token_uri,
            key,
        })
    }

    /// `client_email`: the assertion's `iss` (and default `sub`).
    pub fn client_email(&self) -> &str {
        &self.client_email
    }

    /// `private_key_id`: the `kid`.
    pub fn private_key_id(&self) -> Option<&str> {
        self.private_key_id.as_deref()
    }

    /// `token_uri`: the assertion's `aud` and the token endpoint.
    pub fn token_uri(&self) -> &str {
        &self.token_uri
    }

    /// The authorization server: its token endpoint is `token_uri`, which is also the
    /// assertion audience (Google publishes no issuer for it), so a
    /// [`grantwire::Client`] of it uses [`grantwire::AssertionAudience::TokenEndpoint`] rules.
    pub fn authorization_server(&self) -> Result<AuthorizationServer, Error> {
        Endpoint::parse(&self.token_uri)
            .map(AuthorizationServer::new)
            .map_err(|_| sa_err("`token_uri` is not an https URL"))
    }

    /// The RS256 signing key, with `kid` = `private_key_id`, on the default backend.
    pub fn signing_key(&self) -> Result<SigningKey, Error> {
        let key = SigningKey::new(Algorithm::RS256, &self.key)?;
        Ok(match &self.private_key_id {
            Some(id) => key.with_kid(id.clone()),
            None => key.without_kid(),
        })
    }
}

/// Mints JWT-bearer grant assertions (RFC 7523 §2.1, §3): `iss`, `sub`, `aud`, optional
/// `scope`, `iat`, `exp` (at most one hour after `iat`).
#[derive(Clone)]
pub struct BearerAssertion {
    key: SigningKey,
    header: Header,
    iss: String,
    sub: String,
    aud: String,
    scope: Option<String>,
    lifetime: u64,
    jti: bool,
}

impl fmt::Debug for BearerAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAssertion")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("scope", &self.scope)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl BearerAssertion {
    /// Assertions by `issuer` for `audience` (the token endpoint that accepts the grant,
    /// RFC 7523 §3 item 3), with `sub` = `issuer` until [`BearerAssertion::subject`] says
    /// otherwise. Lifetime one hour.
    pub fn new(key: SigningKey, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        let iss = issuer.into();
        let header = Header::new(&key, Some("JWT"), None);
        Self {
            key,
            header,
            sub: iss.clone(),
            iss,
            aud: audience.into(),
            scope: None,
            lifetime: MAX_BEARER_LIFETIME.as_secs(),
            jti: false,
        }
    }

    /// For a Google service account: `iss` = `sub` = `client_email`, `aud` = `token_uri`,
    /// `kid` = `private_key_id`, RS256.
    pub fn from_service_account(sa: &ServiceAccountKey) -> Result<Self, Error> {
        Ok(Self::new(
            sa.signing_key()?,
            sa.client_email(),
            sa.token_uri(),
        ))
    }

    /// Sets `sub` (for Google domain-wide delegation: the user to impersonate).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.sub = subject.into();
        self
    }

    /// Sets the space-separated `scope` claim.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into()).filter(|s| !s.is_empty());
        self
    }

    /// Adds a random `jti` (128 bits from the caller's entropy).
    pub fn with_jti(mut self) -> Self {
        self.jti = true;
        self
    }

    /// Sets the lifetime: more than zero and at most one hour.
    pub fn lifetime(mut self, lifetime: Duration) -> Result<Self, Error> {
        if lifetime.as_secs() == 0 || lifetime > MAX_BEARER_LIFETIME {
            return Err(Error::InvalidOption {
                name: "lifetime",
                reason: "a JWT-bearer assertion lives between 1 second and 1 hour",
            });
        }
        self.lifetime = lifetime.as_secs();
        Ok(self)
    }

    /// Mints one assertion at `now`.
    pub fn mint(&self, now: SystemTime, entropy: &mut dyn Entropy) -> Result<SecretString, Error> {
        let iat = unix(now);
        if iat < 0 {
            return Err(Error::InvalidOption {
                name: "now",
                reason: "the time passed in is before 1970",
            });
        }
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), self.iss.clone().into());
        claims.insert("sub".into(), self.sub.clone().into());
        claims.insert("aud".into(), self.aud.clone().into());
        if let Some(s) = &self.scope {
            claims.insert("scope".into(), s.clone().into());
        }
        claims.insert("iat".into(), iat.into());
        claims.insert(
            "exp".into(),
            iat.saturating_add(self.lifetime as i64).into(),
        );
        if self.jti {
            let mut jti = [0u8; 16];
            entropy.fill_bytes(&mut jti);
            claims.insert("jti".into(), B64.encode(jti).into());
        }
        let payload = serde_json::Value::Object(claims).to_string();
        let mut out = String::with_capacity(self.header.encoded.len() + payload.len() * 2 + 700);
        out.push_str(&self.header.encoded);
        out.push('.');
        B64.encode_string(payload.as_bytes(), &mut out);
        Ok(SecretString::new(self.key.finish(out, entropy)?))
    }

    /// Mints an assertion and wraps it in the core's JWT-bearer grant. The scope travels in
    /// the assertion only (Google reads it there); call `.scope(..)` on the returned grant for
    /// servers that read the RFC 7523 §2.1 `scope` form parameter.
    pub fn grant(&self, now: SystemTime, entropy: &mut dyn Entropy) -> Result<JwtBearer, Error> {
        Ok(JwtBearer::new(self.mint(now, entropy)?))
    }
}
