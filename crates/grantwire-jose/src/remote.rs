//! Client assertions signed outside the process (a cloud KMS, an HSM), asynchronously, without
//! the core or this crate doing any I/O.
//!
//! Three steps, split so the slow one (the remote call) happens outside any request builder:
//! 1. [`ClientAssertion::prepare`] (or [`PresignedJwt::prepare`] for a request's
//!    [`AuthTarget`]) writes the header and claims for `now` with a fresh `jti` and returns a
//!    [`PreparedAssertion`], whose [`signing_input`](PreparedAssertion::signing_input) is
//!    `base64url(header) || '.' || base64url(payload)` (RFC 7515 §5.1 step 5).
//! 2. The remote signer signs those bytes; the caller awaits it however it likes.
//! 3. [`PreparedAssertion::finish`] checks the signature's length for the algorithm and
//!    appends it, giving a [`SignedAssertion`]; [`PresignedJwt::load`] hands it to the
//!    [`ClientAuthentication`] that puts it in exactly one request.
//!
//! `grantwire-client`'s `TokenSource::with_assertion_signer` runs these steps for every token
//! request; use this module directly to drive a lifecycle or a one-off request yourself.
//!
//! ## What the signer must return (RFC 7518 §3)
//! The raw JWS signature bytes, never an ASN.1 structure:
//! - ES256, ES384, ES512: `R || S`, each integer big-endian and left-padded to the curve's
//!   size: 64, 96 and 132 bytes (RFC 7518 §3.4). Many KMS APIs return a DER
//!   `ECDSA-Sig-Value`; convert it first. A DER signature has the wrong length and is refused
//!   with [`Error::SignatureLength`].
//! - RS256/384/512 (RSASSA-PKCS1-v1_5, RFC 7518 §3.3) and PS256/384/512 (RSASSA-PSS with
//!   MGF1 of the same hash and a salt as long as the hash, RFC 7518 §3.5): the signature, as
//!   long as the modulus (RFC 8017 §8.1.1, §8.2.1).
//! - HS256/384/512: the HMAC output (32, 48, 64 bytes); EdDSA: the 64-byte Ed25519 signature.

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use base64::Engine as _;
use grantwire::{
    AuthMethod, AuthParts, AuthTarget, AuthorizationServer, ClientAuthentication, ClientId,
    Context, Entropy, ErrorSource, SecretString,
};

use crate::alg::{Algorithm, Family};
use crate::assertion::ClientAssertion;
use crate::error::Error;
use crate::material::B64;
use crate::signer::SigningKey;

/// An assertion waiting for its signature: made by [`ClientAssertion::prepare`], completed by
/// [`PreparedAssertion::finish`]. Without a signature it is not a credential (a server accepts
/// nothing unsigned), but it still names the client, so its `Debug` shows only the algorithm
/// and the audience.
pub struct PreparedAssertion {
    /// `header.payload`, with capacity for `.signature`.
    input: String,
    alg: Algorithm,
    sig_len: (usize, usize),
    audience: String,
}

impl fmt::Debug for PreparedAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedAssertion")
            .field("alg", &self.alg)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl PreparedAssertion {
    pub(crate) fn new(key: &SigningKey, input: String, audience: &str) -> Self {
        Self {
            input,
            alg: key.algorithm(),
            sig_len: key.signature_len_range(),
            audience: audience.to_owned(),
        }
    }

    /// The bytes to sign: `base64url(header) || '.' || base64url(payload)` (RFC 7515 §5.1
    /// step 5). A signer that hashes itself signs these bytes; one that takes a digest is
    /// given their hash under the algorithm's hash function.
    pub fn signing_input(&self) -> &[u8] {
        self.input.as_bytes()
    }

    /// The algorithm the signature must be made with (the `alg` of the header).
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The `aud` claim.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The signature lengths [`PreparedAssertion::finish`] accepts, in bytes: one length for
    /// every algorithm, except RS*/PS* for a key given without its public JWK (256 to 1024).
    pub fn signature_len(&self) -> RangeInclusive<usize> {
        self.sig_len.0..=self.sig_len.1
    }

    /// Appends `signature` (the raw JWS signature of [`PreparedAssertion::signing_input`]; see
    /// the [module docs](self) for each algorithm's form) and returns the assertion.
    ///
    /// Fails with [`Error::SignatureLength`] when the length does not fit the algorithm (a DER
    /// ECDSA signature, a signature by another key size, a truncated answer). The signature is
    /// not verified here: a signature by the wrong key is refused by the server.
    pub fn finish(self, signature: &[u8]) -> Result<SignedAssertion, Error> {
        let (min, max) = self.sig_len;
        if signature.len() < min || signature.len() > max {
            return Err(Error::SignatureLength {
                alg: self.alg,
                expected: if min == max {
                    format!("{min} bytes")
                } else {
                    format!("{min} to {max} bytes")
                },
                got: signature.len(),
                hint: hint(self.alg),
            });
        }
        let mut jwt = self.input;
        jwt.push('.');
        B64.encode_string(signature, &mut jwt);
        Ok(SignedAssertion {
            jwt: SecretString::new(jwt),
            audience: self.audience,
        })
    }
}

/// What a signer of `alg` should return instead.
fn hint(alg: Algorithm) -> &'static str {
    match alg.family() {
        Family::Ecdsa => "return the fixed-width R || S of RFC 7518 §3.4 (each integer left-padded to the curve size), not a DER ECDSA-Sig-Value",
        Family::RsaPkcs1 | Family::RsaPss => "return the raw RSA signature, as long as the modulus, from the key the public JWK describes",
        Family::Hmac => "return the raw HMAC output",
        Family::EdDsa => "return the 64-byte Ed25519 signature",
    }
}

/// A signed client assertion and the audience it names. A bearer credential: redacted in
/// `Debug`, wiped on drop.
pub struct SignedAssertion {
    jwt: SecretString,
    audience: String,
}

impl fmt::Debug for SignedAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedAssertion")
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl SignedAssertion {
    /// The compact JWS (read with [`SecretString::secret`]).
    pub fn jwt(&self) -> &SecretString {
        &self.jwt
    }

    /// The compact JWS, taken out.
    pub fn into_jwt(self) -> SecretString {
        self.jwt
    }

    /// The `aud` claim.
    pub fn audience(&self) -> &str {
        &self.audience
    }
}

/// JWT client authentication (`private_key_jwt`, or `client_secret_jwt` with a remote HMAC key)
/// whose assertion is signed before the request is built, by a signer outside the process: it
/// carries one [`SignedAssertion`] (or the error that stopped its signing), loaded with
/// [`PresignedJwt::load`], and puts it into exactly one request.
///
/// Built from a [`ClientAssertion`] (usually over a [`SigningKey::remote`] key), whose options
/// (audience rule, lifetime, `typ`, `x5t#S256`, extra claims) it keeps. For every request:
/// [`PresignedJwt::prepare`] for the request's target, sign the
/// [`signing_input`](PreparedAssertion::signing_input) remotely,
/// [`finish`](PreparedAssertion::finish), [`PresignedJwt::load`], then build the request.
/// `authenticate` takes the loaded assertion, so it is never sent twice, and refuses:
/// - nothing loaded: [`grantwire::Error::ClientAuthentication`] (a configuration error: this
///   method signs nothing itself);
/// - an assertion prepared for another audience than the request's: the same error;
/// - a loaded error: that error, unchanged (a signer failure loaded as
///   [`grantwire::Error::ClientAuthenticationUnavailable`] is retried by the lifecycle).
///
/// Share one value between driver and [`grantwire::Client`] through an `Arc`
/// ([`grantwire::Client::from_arcs`]), and give each driver its own: a second driver loading
/// the same value between another's load and build would swap their assertions.
pub struct PresignedJwt {
    assertion: ClientAssertion,
    next: Mutex<Option<Result<SignedAssertion, grantwire::Error>>>,
}

impl fmt::Debug for PresignedJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresignedJwt")
            .field("assertion", &self.assertion)
            .finish_non_exhaustive()
    }
}

impl PresignedJwt {
    /// Pre-signed assertions with the claims and header of `assertion`.
    pub fn new(assertion: ClientAssertion) -> Self {
        Self {
            assertion,
            next: Mutex::new(None),
        }
    }

    /// The assertion template.
    pub fn assertion(&self) -> &ClientAssertion {
        &self.assertion
    }

    /// Prepares the assertion for a request to `target` at `now` (see
    /// [`ClientAssertion::prepare`]); errors as the core's client-authentication errors (a
    /// missing audience is [`grantwire::Error::AudienceUnavailable`]).
    pub fn prepare(
        &self,
        target: &AuthTarget<'_>,
        now: SystemTime,
        entropy: &mut dyn Entropy,
    ) -> Result<PreparedAssertion, grantwire::Error> {
        let audience = self.assertion.audience_for(target)?;
        self.assertion
            .prepare(audience, now, entropy)
            .map_err(|e| e.into_core(self.assertion.method()))
    }

    /// Loads what the next request carries: a signed assertion, or the error its signing
    /// ended with (which `authenticate` then returns). Replaces (and wipes) anything loaded
    /// before.
    pub fn load(&self, next: Result<SignedAssertion, grantwire::Error>) {
        *self.next.lock().unwrap_or_else(PoisonError::into_inner) = Some(next);
    }

    /// Drops (and wipes) whatever is loaded; returns whether something was.
    pub fn clear(&self) -> bool {
        self.next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some()
    }

    fn refuse(&self, reason: &'static str) -> grantwire::Error {
        grantwire::Error::ClientAuthentication {
            method: self.assertion.method(),
            source: ErrorSource::new(reason),
        }
    }
}

impl ClientAuthentication for PresignedJwt {
    fn method(&self) -> AuthMethod {
        self.assertion.method()
    }

    fn client_id(&self) -> Option<&ClientId> {
        Some(self.assertion.client_id())
    }

    fn check_server(&self, server: &AuthorizationServer) -> Result<(), grantwire::Error> {
        self.assertion.check_server(server)
    }

    fn form_size_hint(&self, target: &AuthTarget<'_>) -> usize {
        self.assertion.form_size_hint(target)
    }

    fn authenticate(
        &self,
        parts: &mut AuthParts<'_>,
        target: &AuthTarget<'_>,
        _: &mut Context<'_>,
    ) -> Result<(), grantwire::Error> {
        let audience = self.assertion.audience_for(target)?;
        let next = self
            .next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match next {
            None => Err(self.refuse(
                "no pre-signed assertion is loaded: PresignedJwt signs nothing itself (load one before each request, or use grantwire-client's TokenSource::with_assertion_signer)",
            )),
            Some(Err(e)) => Err(e),
            Some(Ok(signed)) if signed.audience != audience => Err(self.refuse(
                "the pre-signed assertion was prepared for another audience than this request's endpoint",
            )),
            Some(Ok(signed)) => self
                .assertion
                .append_params(parts, &signed.jwt)
                .map_err(|e| e.into_core(self.assertion.method())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::PrivateKey;
    use grantwire::form::Form;
    use grantwire::{Endpoint, Issuer};
    use http::HeaderMap;

    const P256: &[u8] = br#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;

    fn local() -> SigningKey {
        SigningKey::new(Algorithm::ES256, &PrivateKey::from_jwk(P256).unwrap()).unwrap()
    }

    fn remote() -> SigningKey {
        SigningKey::remote(Algorithm::ES256, local().public_jwk().as_ref()).unwrap()
    }

    fn server() -> AuthorizationServer {
        AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap())
            .with_issuer(Issuer::parse("https://as.example").unwrap())
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)
    }

    fn authenticate(
        auth: &PresignedJwt,
        server: &AuthorizationServer,
    ) -> Result<Form, grantwire::Error> {
        let mut form = Form::new();
        let mut headers = HeaderMap::new();
        let mut rng = |b: &mut [u8]| b.fill(3);
        let mut ctx = Context::new(now(), &mut rng);
        auth.authenticate(
            &mut AuthParts {
                form: &mut form,
                headers: &mut headers,
            },
            &AuthTarget::new(server, server.token_endpoint()),
            &mut ctx,
        )?;
        Ok(form)
    }

    #[test]
    fn a_remote_key_refuses_to_sign_in_process_and_checks_its_public_key() {
        let key = remote();
        assert!(key.is_remote() && !local().is_remote());
        assert_eq!(key.kid(), local().kid());
        let assertion = ClientAssertion::new(ClientId::new("svc"), key);
        let err = assertion
            .mint("https://as.example", now(), &mut |b: &mut [u8]| b.fill(1))
            .unwrap_err();
        assert_eq!(err, Error::RemoteKey);
        assert_eq!(err.kind(), grantwire::ErrorKind::Configuration);
        // A P-256 public key cannot serve ES384.
        let mismatch = SigningKey::remote(Algorithm::ES384, local().public_jwk().as_ref());
        assert!(matches!(mismatch, Err(Error::CurveMismatch { .. })));
    }

    #[test]
    fn finish_checks_the_signature_length_per_algorithm() {
        let assertion = ClientAssertion::new(ClientId::new("svc"), remote());
        let prepare = || {
            assertion
                .prepare("https://as.example", now(), &mut |b: &mut [u8]| b.fill(1))
                .unwrap()
        };
        assert_eq!(prepare().signature_len(), 64..=64);
        // A DER ECDSA-Sig-Value is 70 to 72 bytes for P-256: refused, with the reason.
        let err = prepare().finish(&[0x30; 71]).unwrap_err();
        assert!(matches!(
            err,
            Error::SignatureLength {
                alg: Algorithm::ES256,
                got: 71,
                ..
            }
        ));
        assert!(err.to_string().contains("R || S"));
        assert!(prepare().finish(&[]).is_err());
        // The right signature gives the JWS `mint` would give for the same inputs.
        let prepared = prepare();
        let sig = local()
            .sign_raw(prepared.signing_input(), &mut |b: &mut [u8]| b.fill(2))
            .unwrap();
        let signed = prepared.finish(sig.as_bytes()).unwrap();
        let jwt = signed.jwt().secret();
        let verified = crate::Verifier::new(vec![local().verifying_key().unwrap()])
            .algorithms(&[Algorithm::ES256])
            .audience("https://as.example")
            .verify(jwt, now());
        assert!(verified.is_ok(), "{verified:?}");
        assert!(!format!("{signed:?}").contains(jwt));
        // RS256 without a public key: any length of a 2048- to 8192-bit modulus.
        let rsa = ClientAssertion::new(
            ClientId::new("svc"),
            SigningKey::remote(Algorithm::RS256, None).unwrap(),
        );
        let p = rsa
            .prepare("a", now(), &mut |b: &mut [u8]| b.fill(1))
            .unwrap();
        assert_eq!(p.signature_len(), 256..=1024);
        assert!(p.finish(&[1; 255]).is_err());
    }

    #[test]
    fn a_presigned_assertion_serves_exactly_one_request_for_its_audience() {
        let server = server();
        let auth = PresignedJwt::new(ClientAssertion::new(ClientId::new("svc"), remote()));
        let target = AuthTarget::new(&server, server.token_endpoint());
        let sign = |p: PreparedAssertion| {
            let sig = local()
                .sign_raw(p.signing_input(), &mut |b: &mut [u8]| b.fill(2))
                .unwrap();
            p.finish(sig.as_bytes()).unwrap()
        };
        // Nothing loaded: a configuration error, never a request without authentication.
        let err = authenticate(&auth, &server).unwrap_err();
        assert_eq!(err.kind(), grantwire::ErrorKind::Configuration);
        let prepared = auth
            .prepare(&target, now(), &mut |b: &mut [u8]| b.fill(1))
            .unwrap();
        auth.load(Ok(sign(prepared)));
        let form = authenticate(&auth, &server).unwrap();
        assert!(std::str::from_utf8(form.as_bytes())
            .unwrap()
            .contains("client_assertion="));
        // Taken: a second request does not reuse it.
        assert!(authenticate(&auth, &server).is_err());
        // An assertion for another audience is refused.
        let other = auth
            .assertion()
            .prepare("https://elsewhere.example", now(), &mut |b: &mut [u8]| {
                b.fill(1)
            })
            .unwrap();
        auth.load(Ok(sign(other)));
        assert!(authenticate(&auth, &server).is_err());
        // A loaded error comes back unchanged.
        auth.load(Err(grantwire::Error::ClientAuthenticationUnavailable {
            method: AuthMethod::PrivateKeyJwt,
            source: ErrorSource::new("kms down"),
        }));
        let err = authenticate(&auth, &server).unwrap_err();
        assert_eq!(err.kind(), grantwire::ErrorKind::Unavailable);
    }
}
