//! [`SigningKey`]: an algorithm bound to a parsed key and a backend signer, built once.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use grantwire::{Entropy, SecretString};
use sha2::{Digest, Sha256};

use crate::alg::{Algorithm, Family};
use crate::backend::{Backend, JwsSigner, PrefixMac, Signature};
use crate::error::Error;
use crate::jwk::{thumbprint, Jwk, JwkSet};
use crate::key::PrivateKey;
use crate::material::{
    check_hmac_len, PrivateMaterial, PublicMaterial, B64, MAX_RSA_BITS, MIN_RSA_BITS,
};
use crate::verify::VerifyingKey;

/// A key bound to one algorithm, with its backend key object built once and reused for every
/// signature. The algorithm is fixed here and never read from anywhere else; there is no
/// `none`. Cheap to clone (the signer is shared).
///
/// The default `kid` is the JWK's own `kid` when the key came from a JWK, else the RFC 7638
/// thumbprint of the public key; HMAC keys have no default `kid`.
#[derive(Clone)]
pub struct SigningKey {
    alg: Algorithm,
    signer: Arc<dyn JwsSigner>,
    public: Option<PublicMaterial>,
    kid: Option<String>,
    backend: Option<Backend>,
    sig_len: usize,
    /// Built by [`SigningKey::remote`]: the signer refuses to sign.
    remote: bool,
    /// For HS* keys of a built-in backend: the same key as a MAC that absorbs a constant
    /// prefix once (client assertions, `crate::assertion`).
    mac: Option<Arc<dyn PrefixMac>>,
}

/// The signature length for `alg` with `public` (an upper bound for foreign signers).
fn signature_len(alg: Algorithm, public: Option<&PublicMaterial>) -> usize {
    match public {
        Some(PublicMaterial::Rsa { n, .. }) => n.len(),
        Some(PublicMaterial::Ec { curve, .. }) => 2 * curve.field_len(),
        Some(PublicMaterial::Ed25519(_)) => 64,
        _ if alg.is_symmetric() || alg == Algorithm::EdDSA => alg.hash_len(),
        _ => match alg.curve() {
            Some(c) => 2 * c.field_len(),
            None => MAX_RSA_BITS / 8,
        },
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Binds `key` to `alg` with the default [`Backend`].
    ///
    /// Fails with a typed error when the key does not fit: RSA under 2048 bits, an EC key on
    /// another curve than the algorithm's, an HMAC secret shorter than the hash output, or a
    /// key of the wrong family.
    pub fn new(alg: Algorithm, key: &PrivateKey) -> Result<Self, Error> {
        Self::with_backend(Backend::default(), alg, key)
    }

    /// Binds `key` to `alg` with the given backend.
    pub fn with_backend(backend: Backend, alg: Algorithm, key: &PrivateKey) -> Result<Self, Error> {
        key.check_algorithm(alg)?;
        let signer = backend.signer(alg, &key.material)?;
        let mac = match &key.material {
            PrivateMaterial::Oct(secret) => Some(Arc::from(backend.prefix_mac(alg, secret)?)),
            _ => None,
        };
        let public = key.public();
        let kid = key.kid.clone().or_else(|| match public {
            PublicMaterial::Oct(_) => None,
            ref p => Some(thumbprint(p)),
        });
        Ok(Self {
            alg,
            signer: Arc::from(signer),
            sig_len: signature_len(alg, Some(&public)),
            public: Some(public),
            kid,
            backend: Some(backend),
            remote: false,
            mac,
        })
    }

    /// An HMAC key for `client_secret_jwt` (RFC 7518 §3.2) with the default backend. The
    /// secret must be at least as long as the hash output: 32, 48 or 64 bytes.
    pub fn hmac(alg: Algorithm, secret: &[u8]) -> Result<Self, Error> {
        if !alg.is_symmetric() {
            return Err(Error::mismatch(alg, "a symmetric"));
        }
        check_hmac_len(alg, secret.len())?;
        Self::new(alg, &PrivateKey::from_secret(secret))
    }

    /// Wraps a signer of your own (an HSM, a cloud KMS). `public` is its public JWK, used for
    /// [`SigningKey::public_jwk`] and the default `kid`.
    pub fn from_signer(signer: Arc<dyn JwsSigner>, public: Option<&Jwk>) -> Result<Self, Error> {
        let public = public.map(Jwk::to_public).transpose()?;
        let kid = public.as_ref().map(thumbprint);
        let alg = signer.algorithm();
        Ok(Self {
            alg,
            signer,
            sig_len: signature_len(alg, public.as_ref()),
            public,
            kid,
            backend: None,
            remote: false,
            mac: None,
        })
    }

    /// A key held outside the process (a cloud KMS, an HSM) and signed with asynchronously: the
    /// algorithm and the public half, without a signer. Assertions for it are prepared with
    /// [`ClientAssertion::prepare`](crate::ClientAssertion::prepare), signed by the remote signer
    /// and completed with [`PreparedAssertion::finish`](crate::PreparedAssertion::finish);
    /// `grantwire-client`'s `TokenSource::with_assertion_signer` drives this for you. Signing with
    /// it synchronously ([`SigningKey::sign_raw`], [`ClientAssertion::mint`](crate::ClientAssertion::mint),
    /// a plain [`grantwire::Client`]) fails with [`Error::RemoteKey`].
    ///
    /// `public` (recommended) is checked against `alg` (RSA at least 2048 bits, the EC curve of
    /// the algorithm), gives the default `kid` (its own, else its RFC 7638 thumbprint) and fixes
    /// the signature length the remote signer must return; without it an RS*/PS* signature may
    /// be any length from 256 to 1024 bytes, and no `kid` is sent unless set with
    /// [`SigningKey::with_kid`]. There is no `none`.
    pub fn remote(alg: Algorithm, public: Option<&Jwk>) -> Result<Self, Error> {
        let public = public
            .map(|jwk| {
                let material = jwk.to_public()?;
                VerifyingKey::from_material(material.clone(), None).with_algorithm(alg)?;
                Ok::<_, Error>((material, jwk.kid.clone()))
            })
            .transpose()?;
        let kid = public
            .as_ref()
            .map(|(m, kid)| kid.clone().unwrap_or_else(|| thumbprint(m)));
        let public = public.map(|(m, _)| m);
        Ok(Self {
            alg,
            signer: Arc::new(RemoteOnly(alg)),
            sig_len: signature_len(alg, public.as_ref()),
            public,
            kid,
            backend: None,
            remote: true,
            mac: None,
        })
    }

    /// Whether this key is signed with remotely ([`SigningKey::remote`]).
    pub fn is_remote(&self) -> bool {
        self.remote
    }

    /// The signature lengths this key's algorithm and public key allow, inclusive: exact for
    /// HS*, ES* (`R || S`, RFC 7518 §3.4) and EdDSA, and for RS*/PS* with a known modulus (its
    /// length, RFC 8017 §8.1.1, §8.2.1); else 256 to 1024 bytes (2048- to 8192-bit RSA).
    pub(crate) fn signature_len_range(&self) -> (usize, usize) {
        let rsa = matches!(self.alg.family(), Family::RsaPkcs1 | Family::RsaPss);
        if rsa && self.public.is_none() {
            (MIN_RSA_BITS / 8, MAX_RSA_BITS / 8)
        } else {
            (self.sig_len, self.sig_len)
        }
    }

    /// Sets the `kid` header value (use the id the authorization server knows the key by).
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sends no `kid` header.
    pub fn without_kid(mut self) -> Self {
        self.kid = None;
        self
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The length of this key's signatures in bytes (an upper bound for a foreign signer
    /// without a public key).
    pub fn signature_len(&self) -> usize {
        self.sig_len
    }

    /// The backend, or `None` for a signer from [`SigningKey::from_signer`].
    pub fn backend(&self) -> Option<Backend> {
        self.backend
    }

    /// The public JWK with `use`, `alg` and `kid`, for registering the key (`None` for HMAC).
    pub fn public_jwk(&self) -> Option<Jwk> {
        let mut jwk = Jwk::from_public(self.public.as_ref()?)?;
        jwk.alg = Some(self.alg.name().into());
        jwk.kid = self.kid.clone();
        Some(jwk)
    }

    /// A JWK set holding [`SigningKey::public_jwk`] (empty for HMAC).
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.public_jwk().into_iter().collect(),
        }
    }

    /// The RFC 7638 thumbprint of the public key (`None` for HMAC and foreign signers without a
    /// public JWK).
    pub fn thumbprint(&self) -> Option<String> {
        match self.public.as_ref()? {
            PublicMaterial::Oct(_) => None,
            p => Some(thumbprint(p)),
        }
    }

    /// The matching verification key (for tests and for a testkit's registration), pinned to
    /// this algorithm and carrying this `kid`.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        let public = self.public.clone()?;
        let key = VerifyingKey::from_material(public, self.kid.clone())
            .with_backend(self.backend.unwrap_or_default());
        key.with_algorithm(self.alg).ok()
    }

    /// The raw signature of `signing_input` (RFC 7515 §5.1 step 5). The [`Signature`] is wiped
    /// on drop: with the signing input it is a bearer credential.
    pub fn sign_raw(
        &self,
        signing_input: &[u8],
        entropy: &mut dyn Entropy,
    ) -> Result<Signature, Error> {
        self.signer.sign(signing_input, entropy)
    }

    /// Signs `payload` (JSON bytes) as a compact JWS (RFC 7515 §7.1) with the header
    /// `{"alg":…,"kid":…}` plus `typ` when given.
    ///
    /// The JWS is a credential, so it comes back as a [`SecretString`]: redacted in `Debug`,
    /// wiped on drop, read with [`SecretString::secret`].
    pub fn sign_compact(
        &self,
        payload: &[u8],
        typ: Option<&str>,
        entropy: &mut dyn Entropy,
    ) -> Result<SecretString, Error> {
        let header = Header::new(self, typ, None);
        // Sized once for the whole JWS, so no reallocation leaves a copy behind.
        let b64_len = |n: usize| n.div_ceil(3) * 4;
        let mut out = String::with_capacity(
            header.encoded.len() + 1 + b64_len(payload.len()) + 1 + b64_len(self.sig_len),
        );
        out.push_str(&header.encoded);
        out.push('.');
        B64.encode_string(payload, &mut out);
        self.finish(out, entropy).map(SecretString::new)
    }

    /// The prefix-absorbing MAC of an HS* key from a built-in backend.
    pub(crate) fn prefix_mac(&self) -> Option<&dyn PrefixMac> {
        self.mac.as_deref()
    }

    /// Appends `.signature` to a signing input.
    pub(crate) fn finish(
        &self,
        mut input: String,
        entropy: &mut dyn Entropy,
    ) -> Result<String, Error> {
        let sig = self.signer.sign(input.as_bytes(), entropy)?;
        input.push('.');
        B64.encode_string(sig.as_bytes(), &mut input);
        Ok(input)
    }
}

/// The signer of a [`SigningKey::remote`] key: it holds nothing and signs nothing.
struct RemoteOnly(Algorithm);

impl JwsSigner for RemoteOnly {
    fn algorithm(&self) -> Algorithm {
        self.0
    }
    fn sign(&self, _: &[u8], _: &mut dyn Entropy) -> Result<Signature, Error> {
        Err(Error::RemoteKey)
    }
}

/// A precomputed, base64url-encoded protected header (RFC 7515 §4).
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub(crate) encoded: String,
}

impl Header {
    pub(crate) fn new(key: &SigningKey, typ: Option<&str>, x5t_s256: Option<&str>) -> Self {
        let mut h = serde_json::Map::new();
        h.insert("alg".into(), key.alg.name().into());
        if let Some(kid) = &key.kid {
            h.insert("kid".into(), kid.clone().into());
        }
        if let Some(t) = typ {
            h.insert("typ".into(), t.into());
        }
        if let Some(t) = x5t_s256 {
            h.insert("x5t#S256".into(), t.into());
        }
        let json = serde_json::Value::Object(h).to_string();
        Self {
            encoded: B64.encode(json),
        }
    }
}

/// The `x5t#S256` header value (RFC 7515 §4.1.8): base64url SHA-256 of a DER certificate.
pub fn x5t_s256(certificate_der: &[u8]) -> String {
    B64.encode(Sha256::digest(certificate_der))
}
