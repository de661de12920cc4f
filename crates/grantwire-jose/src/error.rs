//! The crate's one error type. Messages say what to do; none ever contains key material,
//! a secret or an assertion.

use crate::alg::{Algorithm, Curve};

/// Everything that can go wrong loading keys, signing and verifying.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Key input larger than the loader accepts.
    #[error(
        "the key input has {len} bytes, more than the limit of {limit}: pass a single key file"
    )]
    KeyTooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The key could not be parsed.
    #[error("cannot read the key: {reason}")]
    KeyFormat {
        /// What was wrong (never key bytes).
        reason: &'static str,
    },
    /// The key is password-protected.
    #[error("the private key is encrypted: decrypt it first (`openssl pkcs8 -in key.pem -nocrypt -topk8 -out plain.pem`) and protect the file instead")]
    EncryptedKey,
    /// The key is of a type this crate does not sign with.
    #[error("unsupported key: {reason}")]
    UnsupportedKey {
        /// What kind of key it is and what to use instead.
        reason: &'static str,
    },
    /// An RSA modulus below 2048 bits (RFC 7518 §3.3, §3.5).
    #[error("the RSA modulus has {bits} bits; RFC 7518 §3.3 requires at least 2048: generate a new key (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`)")]
    RsaKeyTooSmall {
        /// Modulus size.
        bits: usize,
    },
    /// The EC key's curve is not the one the algorithm requires (RFC 7518 §3.4).
    #[error("{alg} requires curve {expected} but the key is on {found}: use {suggested} with this key or a {expected} key with {alg}")]
    CurveMismatch {
        /// The algorithm asked for.
        alg: Algorithm,
        /// The curve it needs.
        expected: Curve,
        /// The key's curve.
        found: Curve,
        /// The algorithm that fits the key.
        suggested: Algorithm,
    },
    /// An HMAC secret shorter than the hash output (RFC 7518 §3.2).
    #[error("{alg} needs a secret of at least {min} bytes (RFC 7518 §3.2) but got {len}: register a longer client secret")]
    HmacSecretTooShort {
        /// The algorithm.
        alg: Algorithm,
        /// Secret length.
        len: usize,
        /// Minimum length.
        min: usize,
    },
    /// The key type does not fit the algorithm.
    #[error("{alg} cannot be used with {key} key: {hint}")]
    KeyAlgorithmMismatch {
        /// The algorithm asked for.
        alg: Algorithm,
        /// What the key is ("an RSA", "an EC", "a symmetric").
        key: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// The crypto backend refused the key.
    #[error("the {backend} backend rejected the key: {reason}")]
    KeyRejected {
        /// Backend name.
        backend: &'static str,
        /// The backend's reason (never key bytes).
        reason: String,
    },
    /// The backend failed to produce a signature.
    #[error("the {backend} backend could not sign: {reason}")]
    SigningFailed {
        /// Backend name.
        backend: &'static str,
        /// The reason.
        reason: &'static str,
    },
    /// A builder option is out of range.
    #[error("invalid option `{name}`: {reason}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why and what is allowed.
        reason: &'static str,
    },
    /// A service-account key file could not be used.
    #[error("invalid service-account key file: {reason}")]
    ServiceAccount {
        /// What is wrong.
        reason: &'static str,
    },
    /// The JWS is larger than the verifier accepts (bounded work, CVE-2025-22868 class).
    #[error("the JWS has {len} bytes, more than the limit of {limit}")]
    TokenTooLarge {
        /// Length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The JWS is not well-formed compact serialization (RFC 7515 §7.1).
    #[error("malformed JWS: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The header names an algorithm that is unknown, `none`, or not on the allow-list.
    #[error("algorithm {alg:?} is not allowed here")]
    AlgorithmNotAllowed {
        /// The header's `alg` (truncated to 16 characters).
        alg: String,
    },
    /// No key of the set fits the header's `kid` and `alg`.
    #[error("no key matches kid {kid:?} and the header's algorithm")]
    NoMatchingKey {
        /// The header's `kid` (truncated to 64 characters), if any.
        kid: Option<String>,
    },
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// A required claim is missing or has the wrong type.
    #[error("claim `{name}` is missing or not {expected}")]
    InvalidClaim {
        /// Claim name.
        name: &'static str,
        /// Expected shape.
        expected: &'static str,
    },
    /// A claim does not have the value the verifier requires.
    #[error("claim `{name}` does not have the expected value")]
    ClaimMismatch {
        /// Claim name.
        name: &'static str,
    },
    /// `exp` is in the past (RFC 7519 §4.1.4).
    #[error("the token expired at {exp} (now {now}, leeway {leeway} s)")]
    Expired {
        /// `exp`.
        exp: i64,
        /// The verifier's `now`.
        now: i64,
        /// Leeway in seconds.
        leeway: u64,
    },
    /// `nbf` is in the future (RFC 7519 §4.1.5).
    #[error("the token is not valid before {nbf} (now {now}, leeway {leeway} s)")]
    NotYetValid {
        /// `nbf`.
        nbf: i64,
        /// The verifier's `now`.
        now: i64,
        /// Leeway in seconds.
        leeway: u64,
    },
    /// `iat` is in the future beyond the leeway.
    #[error("the token claims to be issued at {iat}, after now ({now}, leeway {leeway} s)")]
    IssuedInFuture {
        /// `iat`.
        iat: i64,
        /// The verifier's `now`.
        now: i64,
        /// Leeway in seconds.
        leeway: u64,
    },
    /// The token lives longer than the verifier accepts.
    #[error("the token lives {lifetime} s, more than the allowed {max} s")]
    LifetimeTooLong {
        /// `exp - iat`.
        lifetime: i64,
        /// The limit.
        max: u64,
    },
    /// A [`SigningKey::remote`](crate::SigningKey::remote) key was asked to sign in process.
    #[error("this key is held by a remote signer and cannot sign here: prepare the assertion (ClientAssertion::prepare), have the remote signer sign it and finish it, or use grantwire-client's TokenSource::with_assertion_signer")]
    RemoteKey,
    /// A remote signer returned a signature of the wrong length for the algorithm: for ES*
    /// most often a DER-encoded ECDSA signature where JWS wants the fixed-width `R || S`
    /// (RFC 7518 §3.4).
    #[error("the remote signer returned a {got}-byte signature; {alg} needs {expected}: {hint}")]
    SignatureLength {
        /// The algorithm.
        alg: Algorithm,
        /// What was expected (`"64 bytes"`, `"256 to 1024 bytes"`).
        expected: String,
        /// The length returned.
        got: usize,
        /// What to do.
        hint: &'static str,
    },
    /// The requested backend is not compiled in.
    #[error("the {0} backend is not compiled in: enable its cargo feature")]
    BackendUnavailable(&'static str),
}

impl Error {
    pub(crate) fn mismatch(alg: Algorithm, key: &'static str) -> Self {
        let hint = match alg.family() {
            crate::alg::Family::Hmac => "HS* algorithms take a shared secret",
            crate::alg::Family::RsaPkcs1 | crate::alg::Family::RsaPss => {
                "RS* and PS* algorithms take an RSA key"
            }
            crate::alg::Family::Ecdsa => "ES* algorithms take an EC key on the matching curve",
            crate::alg::Family::EdDsa => "EdDSA takes an Ed25519 key",
        };
        Error::KeyAlgorithmMismatch { alg, key, hint }
    }
}

impl Error {
    /// The family this error belongs to, in the core's terms ([`grantwire::ErrorKind`]): a key,
    /// an option or a backend that cannot be used is [`Configuration`](grantwire::ErrorKind::Configuration);
    /// a JWS that fails verification (malformed, bad signature, wrong claims, expired) came from
    /// a peer and is [`InvalidResponse`](grantwire::ErrorKind::InvalidResponse).
    pub fn kind(&self) -> grantwire::ErrorKind {
        use grantwire::ErrorKind;
        match self {
            Error::KeyTooLarge { .. }
            | Error::KeyFormat { .. }
            | Error::EncryptedKey
            | Error::UnsupportedKey { .. }
            | Error::RsaKeyTooSmall { .. }
            | Error::CurveMismatch { .. }
            | Error::HmacSecretTooShort { .. }
            | Error::KeyAlgorithmMismatch { .. }
            | Error::KeyRejected { .. }
            | Error::SigningFailed { .. }
            | Error::InvalidOption { .. }
            | Error::ServiceAccount { .. }
            | Error::BackendUnavailable(_)
            | Error::RemoteKey
            | Error::SignatureLength { .. } => ErrorKind::Configuration,
            Error::TokenTooLarge { .. }
            | Error::Malformed { .. }
            | Error::AlgorithmNotAllowed { .. }
            | Error::NoMatchingKey { .. }
            | Error::BadSignature
            | Error::InvalidClaim { .. }
            | Error::ClaimMismatch { .. }
            | Error::Expired { .. }
            | Error::NotYetValid { .. }
            | Error::IssuedInFuture { .. }
            | Error::LifetimeTooLong { .. } => ErrorKind::InvalidResponse,
        }
    }

    /// This error as the core's [`grantwire::Error::ClientAuthentication`] for `method`, so it
    /// travels through [`grantwire::ClientAuthentication::authenticate`]. The error itself is
    /// the `source()`: it downcasts back to [`Error`], no string in between.
    pub fn into_core(self, method: grantwire::AuthMethod) -> grantwire::Error {
        grantwire::Error::ClientAuthentication {
            method,
            source: grantwire::ErrorSource::new(self),
        }
    }
}

/// One `?` in a program that uses both crates: a key that will not load, an option out of
/// range or a JWS that fails verification becomes [`grantwire::Error::External`], sorted by
/// [`Error::kind`], with this error as its `source()`.
///
/// ```
/// fn load() -> Result<grantwire_jose::Error, grantwire::Error> {
///     let e = grantwire_jose::Error::EncryptedKey;
///     Err(e)?
/// }
/// let e = load().unwrap_err();
/// assert_eq!(e.kind(), grantwire::ErrorKind::Configuration);
/// let source = std::error::Error::source(&e).unwrap();
/// assert_eq!(source.downcast_ref(), Some(&grantwire_jose::Error::EncryptedKey));
/// ```
impl From<Error> for grantwire::Error {
    fn from(e: Error) -> Self {
        grantwire::Error::External {
            kind: e.kind(),
            source: grantwire::ErrorSource::new(e),
        }
    }
}
