//! # grantwire-jose: client assertions and compact JWS for grantwire
//!
//! Keys in, JWTs out, with the same Sans-IO contract as the core: **this crate never opens a
//! socket and never reads a clock**; the time comes from the caller's
//! [`grantwire::Context`]. It signs `client_secret_jwt` and `private_key_jwt` assertions
//! (RFC 7523 §2.2, OpenID Connect Core §9), JWT-bearer grant assertions (RFC 7523 §2.1,
//! Google service accounts), and verifies compact JWS for test servers and resource servers.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use grantwire::{ClientCredentials, ClientId, Context, Issuer, TokenEndpoint};
//! use grantwire_jose::{Algorithm, PrivateKey, PrivateKeyJwt, SigningKey, Verifier};
//!
//! let pem = include_str!("../tests/vectors/rfc7515_a3_private.pem");
//! let key = SigningKey::new(Algorithm::ES256, &PrivateKey::from_pem(pem.as_bytes())?)?;
//! let jwks = key.jwks(); // register this with the authorization server
//! let auth = PrivateKeyJwt::new(ClientId::new("client-1"), key.clone())?;
//!
//! let endpoint = TokenEndpoint::parse("https://as.example/token")?
//!     .with_issuer(Issuer::parse("https://as.example")?);
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut entropy = |b: &mut [u8]| b.fill(9); // a CSPRNG in production
//! let request = ClientCredentials::new()
//!     .to_request(&endpoint, &auth, &mut Context::new(now, &mut entropy))?;
//!
//! // The server side: verify the assertion against the registered JWK set.
//! let form = grantwire::form::parse(request.body())?;
//! let jwt = &form.iter().find(|(k, _)| k == "client_assertion").unwrap().1;
//! let verified = Verifier::from_jwks(&jwks)
//!     .issuer("client-1")
//!     .audience("https://as.example")
//!     .verify(jwt, now)?;
//! assert_eq!(verified.claims.sub.as_deref(), Some("client-1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Entry points
//! - Keys: [`PrivateKey`] (PKCS#8 PEM/DER, PKCS#1 RSA PEM/DER, SEC1 EC PEM/DER, private JWK
//!   of type RSA, EC, OKP Ed25519 or oct, a shared secret), [`ServiceAccountKey`] (Google JSON
//!   key files).
//! - Signing: [`SigningKey`] binds one [`Algorithm`] to a parsed key on a [`Backend`], once.
//!   [`SigningKey::public_jwk`] and [`SigningKey::jwks`] give the registration documents with
//!   the RFC 7638 thumbprint as the default `kid`.
//! - Client authentication: [`PrivateKeyJwt`] and [`ClientSecretJwt`] implement
//!   [`grantwire::ClientAuthentication`]; [`ClientAssertion`] mints assertions directly.
//! - JWT-bearer grants: [`BearerAssertion`].
//! - Verification: [`Verifier`] (a key set, an algorithm allow-list, claim rules) and
//!   [`VerifyingKey`] (public key, public JWK, or shared secret), returning [`Verified`] with
//!   typed [`Claims`]; [`verify()`] for one key.
//!
//! ## Algorithms
//! HS256/384/512, RS256/384/512, PS256/384/512 and ES256/384/512 (RFC 7518 §3.1), all twelve
//! in every build, plus EdDSA with Ed25519 (RFC 8037) on every backend. There is no `none`.
//!
//! ## Cargo features
//!
//! | feature       | default | backend                                                              |
//! |---------------|---------|----------------------------------------------------------------------|
//! | `ring`        | yes     | `ring` 0.17; ES512 from the pure-Rust `p521` crate (ring has no P-521) |
//! | `aws-lc-rs`   | no      | `aws-lc-rs` (AWS-LC, needs a C compiler and cmake-free `cc` build)   |
//! | `rust-crypto` | no      | pure Rust: `rsa` 0.9, `p256`/`p384`/`p521` 0.13, `ed25519-dalek` 2, `hmac` 0.12, `sha2` 0.10 |
//!
//! Features only add backends; they never change behaviour. CI (`cargo xtask ci`) tests each
//! backend alone and all three together, so the known-answer tests run on each and the
//! equivalence tests across them. Every backend is a variant of
//! [`Backend`] in every build, and one that is not compiled in answers
//! [`Error::BackendUnavailable`]. [`Backend::default`] is ring, else aws-lc-rs, else
//! RustCrypto.
//!
//! ## Design decisions
//! - **Backends are modules behind features, not crates.** rustls and str0m put each provider
//!   in a crate so outside parties can add their own; here the extension point is the small
//!   public [`JwsSigner`] trait ([`SigningKey::from_signer`] wraps an HSM or KMS), and the
//!   three built-in backends share the key parser, the ES512 code and the known-answer tests.
//!   One crate keeps that sharing private and the version matrix to one number.
//! - **Keys are parsed once, into a backend-neutral form.** [`PrivateKey`] is parsed by our
//!   own small, fuzzed DER/PEM/JWK reader; each backend builds its key object from it when the
//!   [`SigningKey`] is built and reuses it for every signature (a peer re-parses on every
//!   signature and spends most of its time there).
//! - **One RustCrypto generation: the stable one.** `rsa` 0.9, `p256` 0.13 and
//!   `ed25519-dalek` 2 share `signature` 2, `digest` 0.10 (with the `sha2` 0.10 the core already uses) and
//!   `rand_core` 0.6. The next generation (`p256` 0.14, `signature` 3, `digest` 0.11) has no
//!   stable `rsa` (0.10 is a release candidate), and mixing generations would compile two
//!   copies of every trait crate and make the RSA and EC halves of the backend disagree on
//!   their RNG and digest traits. We move when `rsa` 0.10 is stable. Caveat: `rsa` 0.9 is
//!   subject to RUSTSEC-2023-0071 (Marvin); signing always uses blinding.
//!
//! ## Randomness, honestly
//! The `jti` of every assertion comes from the caller's entropy. The pure-Rust signers draw
//! PSS salts, RSA blinding and ECDSA nonces from an HMAC-SHA-512 DRBG keyed by the private key
//! and seeded with the caller's entropy and the message (RFC 6979 §3.6 style hedging), so that
//! backend is fully Sans-IO. ring and aws-lc-rs take no caller RNG for PS* and ES*: they use
//! their own system RNG there (HS*, RS* and EdDSA are deterministic and use none). ES512 under the ring
//! backend uses the pure-Rust path, so it is hedged with the caller's entropy.
//!
//! ## Secrets in memory
//! [`PrivateKey`], parsed JWK members, HMAC secrets and minted assertions
//! ([`grantwire::SecretString`]) are zeroized on drop and never shown by `Debug` or in errors.
//! The pure-Rust backend's key objects zeroize themselves; aws-lc-rs clears key memory when it
//! frees it; ring offers no zeroization of its key objects, which live as long as the
//! [`SigningKey`].
//!
//! ## Bounded work
//! Key inputs are capped at 64 KiB ([`key::MAX_KEY_INPUT`]), JWK sets at 256 KiB, RSA moduli at
//! 8192 bits, compact JWS at 16 KiB by default with exactly three segments; parsers never
//! recurse on input and never panic.

#![forbid(unsafe_code)]

pub mod alg;
pub mod assertion;
pub mod backend;
pub mod bearer;
mod der;
pub mod error;
pub mod jwk;
pub mod key;
mod pem;
pub mod signer;
pub mod verify;

pub use alg::{Algorithm, Curve, Family};
pub use assertion::{
    Audience, ClientAssertion, ClientSecretJwt, PrivateKeyJwt, CLIENT_ASSERTION_TYPE,
    CLIENT_AUTH_TYP,
};
pub use backend::{Backend, JwsSigner, Signature};
pub use bearer::{BearerAssertion, ServiceAccountKey, MAX_BEARER_LIFETIME};
pub use error::Error;
pub use jwk::{Jwk, JwkSet};
pub use key::PrivateKey;
pub use signer::{x5t_s256, SigningKey};
pub use verify::{verify, Claims, Header, Verified, Verifier, VerifyingKey};
