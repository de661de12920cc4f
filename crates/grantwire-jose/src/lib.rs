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
//! use grantwire::{AuthorizationServer, Client, ClientCredentials, ClientId, Context, Endpoint, Issuer};
//! use grantwire_jose::{Algorithm, PrivateKey, PrivateKeyJwt, SigningKey, Verifier};
//!
//! let pem = include_str!("../tests/vectors/rfc7515_a3_private.pem");
//! let key = SigningKey::new(Algorithm::ES256, &PrivateKey::from_pem(pem.as_bytes())?)?;
//! let jwks = key.jwks(); // register this with the authorization server
//! let auth = PrivateKeyJwt::new(ClientId::new("client-1"), key.clone())?;
//!
//! let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?)
//!     .with_issuer(Issuer::parse("https://as.example")?);
//! // The default audience is the issuer: a server value without one is refused here.
//! let client = Client::new(server, auth)?;
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut entropy = |b: &mut [u8]| b.fill(9); // a CSPRNG in production
//! let request = ClientCredentials::new()
//!     .to_request(&client, &mut Context::new(now, &mut entropy))?;
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
//! | `aws-lc-rs`   | yes     | `aws-lc-rs` (AWS-LC, needs a C compiler and cmake-free `cc` build)   |
//! | `ring`        | no      | `ring` 0.17; ES512 from the pure-Rust `p521` crate (ring has no P-521) |
//! | `rust-crypto` | no      | pure Rust: `rsa` 0.9, `p256`/`p384`/`p521` 0.13, `ed25519-dalek` 2, `hmac` 0.12, `sha2` 0.10 |
//!
//! Every backend is a variant of [`Backend`] in every build, and one that is not compiled in
//! answers [`Error::BackendUnavailable`]. CI (`cargo xtask ci`) tests each backend alone and all
//! three together, so the known-answer tests run on each and the equivalence tests across them.
//!
//! Without a C compiler, or for a target AWS-LC does not build on, use
//! `default-features = false, features = ["rust-crypto"]` (pure Rust; CI checks that no crate
//! in that build compiles C) or `features = ["ring"]`.
//!
//! **Features choose the default backend.** [`SigningKey::new`], [`SigningKey::hmac`] and
//! the verifying keys use [`Backend::default`]: the first compiled-in backend in the fixed
//! order aws-lc-rs, ring, RustCrypto, so a build with every feature signs each algorithm with
//! the same backend as the default build. Cargo unifies features across a build, so a crate
//! elsewhere in your dependency graph that enables `aws-lc-rs` (the default feature) moves
//! your keys from ring or RustCrypto to aws-lc-rs. Signatures still verify the same everywhere, but
//! what changes is real: where PS*/ES* randomness comes from (table below), speed, and
//! whether key objects are zeroized. Where that matters, name the backend when you build the
//! key: [`SigningKey::with_backend`] and [`VerifyingKey::with_backend`]; [`SigningKey::backend`]
//! tells which one a key uses.
//!
//! ## Design decisions
//! - **aws-lc-rs is the default backend, for every algorithm.** The default build must beat
//!   the fastest `jsonwebtoken` backend on every algorithm, and that is `jsonwebtoken` on
//!   aws-lc-rs: against it, ring's P-384 (ES384) was 2.8–3.0× slower and its RSA-2048 (RS*,
//!   PS*) 2.3× slower, and ring has no P-521 (ES512 went through the pure-Rust `p521`, over
//!   twice AWS-LC's time). We weighed keeping ring and routing only those algorithms to
//!   aws-lc-rs: the default build would then compile both C libraries (ring compiles C and
//!   assembly too, so the default never built without a C compiler), and which library signs
//!   would depend on the algorithm. aws-lc-rs alone signs all thirteen algorithms at least as
//!   fast as ring (ES256 and HS* alike, EdDSA faster), so it replaces ring, as rustls did. What it
//!   costs: `aws-lc-sys` is a bigger C build than ring (no CMake or bindgen needed on the
//!   common targets; a workspace with reqwest 0.13 or rustls defaults compiles it already),
//!   and AWS-LC builds on fewer targets than ring: there, use `ring` or `rust-crypto`. FIPS:
//!   aws-lc-rs's `fips` feature (the AWS-LC FIPS module; its build needs CMake and Go) can be
//!   enabled in your own manifest and cargo unifies it into the aws-lc-rs this crate uses;
//!   we do not re-export it as a feature because our CI cannot build it (untested here).
//! - **Backends are modules behind features, not crates.** rustls and str0m put each provider
//!   in a crate so outside parties can add their own; here the extension point is the small
//!   public [`JwsSigner`] trait ([`SigningKey::from_signer`] wraps an HSM or KMS), and the
//!   three built-in backends share the key parser, the ES512 code and the known-answer tests.
//!   One crate keeps that sharing private and the version matrix to one number.
//! - **Keys are parsed once, into a backend-neutral form.** [`PrivateKey`] is parsed by our
//!   own small, fuzzed DER/PEM/JWK reader; each backend builds its key object from it when the
//!   [`SigningKey`] is built and reuses it for every signature (a peer re-parses on every
//!   signature and spends most of its time there).
//! - **Dependencies point one way.** `pem` and `der` read bytes; `pkcs` (DER key structures) and
//!   `jwk` parse them into `material`, the backend-neutral key material that depends on no
//!   parser and no backend; `backend` builds signers and verifiers from `material` (and derives
//!   the Ed25519 public key a PKCS#8 v1 file leaves out); `key`, `signer` and `verify` bind them
//!   to an algorithm; `assertion` and `bearer` sign through `signer`, with the claim times of
//!   `time` that `verify` shares. No module imports one that imports it back.
//! - **One RustCrypto generation: the stable one.** `rsa` 0.9, `p256` 0.13 and
//!   `ed25519-dalek` 2 share `signature` 2, `digest` 0.10 (with the `sha2` 0.10 the core already uses) and
//!   `rand_core` 0.6. The next generation (`p256` 0.14, `signature` 3, `digest` 0.11) has no
//!   stable `rsa` (0.10 is a release candidate), and mixing generations would compile two
//!   copies of every trait crate and make the RSA and EC halves of the backend disagree on
//!   their RNG and digest traits. We move when `rsa` 0.10 is stable. Caveat: `rsa` 0.9 is
//!   subject to RUSTSEC-2023-0071 (Marvin); signing always uses blinding.
//!
//! ## Randomness, exactly
//! The `jti` of every assertion comes from the caller's entropy. Whether the signature's own
//! randomness does depends on the algorithm and the backend ([`Backend::randomness`] answers
//! the same table in code, and `tests/randomness.rs` checks every cell on every backend):
//!
//! | algorithms        | ring                  | aws-lc-rs             | rust-crypto             |
//! |-------------------|-----------------------|-----------------------|-------------------------|
//! | HS256/384/512     | deterministic         | deterministic         | deterministic           |
//! | RS256/384/512     | deterministic         | deterministic¹        | deterministic²          |
//! | EdDSA             | deterministic         | deterministic         | deterministic           |
//! | PS256/384/512     | **OS generator**      | **OS generator**      | caller's entropy        |
//! | ES256, ES384      | **OS generator**³     | **OS generator**³     | caller's entropy        |
//! | ES512             | caller's entropy⁴     | **OS generator**³     | caller's entropy        |
//!
//! - *deterministic*: the same key and message give the same signature, whatever the entropy.
//! - *caller's entropy*: PSS salts, ECDSA nonces (RFC 6979 §3.6 with the DRBG's bytes as
//!   additional data for P-256/P-384) and RSA blinding come from an HMAC-SHA-512 DRBG keyed by
//!   the private key and seeded with 32 bytes of the caller's entropy and the message. Same
//!   entropy and message, same signature; the operating system is never asked. Fully Sans-IO.
//! - *OS generator*: ring and aws-lc-rs take no caller RNG for PSS and ECDSA, so they use
//!   their own generator, seeded by the operating system; the caller's entropy is not read
//!   and two signatures of one message differ.
//!
//! ¹ AWS-LC blinds the RSA private operation with its own generator; the output does not
//! depend on it. ² Blinded with the caller's entropy (DRBG above). ³ Nonces hedged with the
//! key and the message by ring and AWS-LC themselves; ring also reads the OS generator once
//! when an ECDSA [`SigningKey`] is built. ⁴ ring has no P-521: ES512 under ring is the
//! pure-Rust `p521` path, hedged like the rust-crypto backend.
//!
//! For a signer that never touches the OS generator (reproducible tests, a platform without
//! one), use the rust-crypto backend, or only deterministic algorithms.
//!
//! ## Secrets in memory
//! [`PrivateKey`], parsed JWK members, HMAC secrets, minted assertions and compact JWS
//! ([`grantwire::SecretString`]) and raw signatures ([`Signature`]) are zeroized on drop and
//! never shown by `Debug` or in errors; none of the key types has `PartialEq` (a secret
//! comparison would not be constant-time; HMAC verification uses each backend's constant-time
//! check). The hedging key of the pure-Rust signers is not `Clone` and is zeroized on drop.
//! The pure-Rust backend's RSA, EC and Ed25519 key objects zeroize themselves, but its keyed
//! HMAC state (`hmac` 0.12 has no zeroization) is not wiped; aws-lc-rs clears key memory when
//! it frees it; ring offers no zeroization of its key objects. Those unwiped objects live as
//! long as the [`SigningKey`] (and its clones, which share them). The same holds for the HMAC
//! states an HS* [`ClientAssertion`] keeps after absorbing its constant header and claims and,
//! once a second, its time claims (below): they are as secret as the key and wiped exactly like
//! the backend's own key object. The claims of each assertion are written to stack buffers that
//! are wiped once encoded.
//!
//! ## HS* assertions from an absorbed prefix
//! Between two assertions for one audience only `exp`, `iat` (`nbf`) and `jti` change, and the
//! first two only once a second. The payload is laid out so that each part that changes at its
//! own pace fills whole base64 groups (3 bytes), with spaces after a `,` (RFC 7519 §7.1 and
//! RFC 8259 §2 allow whitespace there): `{"iss":…,"sub":…,"aud":…,` + 0–2 spaces + `"exp":`
//! (constant), then `…,"iat":…[,"nbf":…],` + spaces + `"jti"` (once a second), then `:"` and the
//! 22 `jti` characters (24 bytes of their own), then `"`, the extra claims and `}`. Before
//! `"jti"` of an HS* assertion go 0–2 spaces for the alignment and up to 8 groups of 3 more, the
//! fewest that make the per-assertion rest end in as few SHA-2 blocks as any count up to 8.
//! The first assertion for an audience stores the signing input up to `"exp":` and, for HS*
//! keys, the HMAC state after it; once a second the state also absorbs the time claims. Each
//! assertion then encodes its `jti` and MACs only it and the tail (35 characters without extra
//! claims) from a copy of that state: one inner and one outer SHA-256 block for HS256 where the
//! alignment allows, against five for an HMAC of a ~230-character signing input. The states sit
//! in four slots behind their own locks (aws-lc-rs's HMAC context is not `Sync`); each thread
//! starts at its own slot and, when all four are taken, signs from scratch. The bytes are those
//! of a signer that MACs the whole signing input (`tests/hmac_prefix.rs` checks it on every
//! backend, across seconds and from several threads).
//!
//! ## Bounded work
//! Key inputs are capped at 64 KiB ([`key::MAX_KEY_INPUT`]), JWK sets at 256 KiB, RSA moduli at
//! 8192 bits, compact JWS at 16 KiB by default with exactly three segments; parsers never
//! recurse on input and never panic.

#![forbid(unsafe_code)]

/// Fails to compile when `$t` implements `$tr`: the trait-ambiguity trick behind
/// `static_assertions::assert_not_impl_any!`, without the dependency. With the bound met, both
/// blanket impls apply and `<$t as AmbiguousIfImpl<_>>` cannot be inferred.
#[cfg(test)]
macro_rules! assert_not_impl {
    ($t:ty: $tr:path) => {{
        trait AmbiguousIfImpl<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
        #[allow(dead_code)]
        struct Invalid;
        impl<T: ?Sized + $tr> AmbiguousIfImpl<Invalid> for T {}
        let _ = <$t as AmbiguousIfImpl<_>>::some_item;
    }};
}
#[cfg(test)]
pub(crate) use assert_not_impl;

pub mod alg;
pub mod assertion;
pub mod backend;
pub mod bearer;
mod der;
pub mod error;
pub mod jwk;
pub mod key;
mod material;
mod pem;
mod pkcs;
pub mod remote;
pub mod signer;
mod time;
pub mod verify;

pub use alg::{Algorithm, Curve, Family};
pub use assertion::{
    Audience, ClientAssertion, ClientSecretJwt, PrivateKeyJwt, CLIENT_ASSERTION_TYPE,
    CLIENT_AUTH_TYP,
};
pub use backend::{Backend, JwsSigner, Randomness, Signature};
pub use bearer::{BearerAssertion, ServiceAccountKey, MAX_BEARER_LIFETIME};
pub use error::Error;
pub use jwk::{Jwk, JwkSet};
pub use key::PrivateKey;
pub use remote::{PreparedAssertion, PresignedJwt, SignedAssertion};
pub use signer::{x5t_s256, SigningKey};
pub use verify::{verify, Claims, Header, Verified, Verifier, VerifyingKey};
