//! The backends are equivalent: deterministic algorithms (HS*, RS*, EdDSA) give byte-identical JWS,
//! randomized ones (PS*, ES*) verify across backends both ways.
//!
//! The comparisons need at least two backends (`--all-features`, as `cargo xtask ci` runs).

mod common;

use common::*;
use grantwire::ClientId;
use grantwire_jose::{Algorithm, Backend, ClientAssertion, SigningKey, Verifier};

const NOW: u64 = 1_700_000_000;

fn mint(backend: Backend, alg: Algorithm) -> (SigningKey, String) {
    let key = SigningKey::with_backend(backend, alg, &key_for(alg)).unwrap();
    let jwt = ClientAssertion::new(ClientId::new("client-1"), key.clone())
        .mint("https://as.example", at(NOW), &mut counter_entropy())
        .unwrap();
    (key, jwt.secret().to_owned())
}

#[test]
#[cfg(any(
    all(feature = "ring", feature = "aws-lc-rs"),
    all(feature = "ring", feature = "rust-crypto"),
    all(feature = "aws-lc-rs", feature = "rust-crypto")
))]
fn deterministic_algorithms_are_byte_identical_across_backends() {
    let backends = Backend::available();
    for alg in [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::EdDSA,
    ] {
        let reference = mint(backends[0], alg).1;
        for &b in &backends[1..] {
            assert_eq!(
                mint(b, alg).1,
                reference,
                "{alg}: {b} differs from {}",
                backends[0]
            );
        }
    }
}

#[test]
#[cfg(any(
    all(feature = "ring", feature = "aws-lc-rs"),
    all(feature = "ring", feature = "rust-crypto"),
    all(feature = "aws-lc-rs", feature = "rust-crypto")
))]
fn randomized_algorithms_verify_across_backends_both_ways() {
    let backends = Backend::available();
    for alg in [
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
    ] {
        for &signer in &backends {
            let (key, jwt) = mint(signer, alg);
            for &verifier in &backends {
                let vk = key.verifying_key().unwrap().with_backend(verifier);
                Verifier::new(vec![vk])
                    .verify(&jwt, at(NOW))
                    .unwrap_or_else(|e| {
                        panic!("{alg}: signed by {signer}, verified by {verifier}: {e}")
                    });
            }
        }
    }
}

#[test]
fn every_backend_rejects_a_tampered_signature() {
    for alg in Algorithm::ALL {
        let (key, jwt) = mint(Backend::default(), alg);
        let dot = jwt.rfind('.').unwrap();
        let mut bytes = jwt.into_bytes();
        // Flip a character in the middle of the signature (stays base64url).
        let i = dot + 1 + (bytes.len() - dot - 1) / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        for b in Backend::available() {
            let vk = key.verifying_key().unwrap().with_backend(b);
            assert!(
                Verifier::new(vec![vk])
                    .algorithms(&[alg])
                    .verify(&tampered, at(NOW))
                    .is_err(),
                "{alg} on {b}"
            );
        }
    }
}

#[test]
fn default_backend_is_the_first_compiled_in_of_aws_lc_rs_ring_rust_crypto() {
    // The documented precedence, written out rather than derived from the code: the default
    // feature's backend (aws-lc-rs) first, so `--all-features` signs like the default build.
    let expected = if cfg!(feature = "aws-lc-rs") {
        Backend::AwsLc
    } else if cfg!(feature = "ring") {
        Backend::Ring
    } else {
        Backend::RustCrypto
    };
    assert_eq!(Backend::default(), expected);
    assert_eq!(Backend::available()[0], expected);
    assert_eq!(signing_key(Algorithm::ES256).backend(), Some(expected));
    let hmac = SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap();
    assert_eq!(hmac.backend(), Some(expected));
    // Every algorithm, not only ES256: no per-algorithm routing to another backend.
    for alg in Algorithm::ALL {
        assert_eq!(signing_key(alg).backend(), Some(expected), "{alg}");
    }

    // Naming a backend at key construction always wins over the default.
    for b in Backend::available() {
        let key = SigningKey::with_backend(b, Algorithm::ES256, &key_for(Algorithm::ES256));
        assert_eq!(key.unwrap().backend(), Some(b));
    }
    // A backend that is not compiled in is an error, never a silent fallback.
    for b in [Backend::Ring, Backend::AwsLc, Backend::RustCrypto] {
        if !b.is_available() {
            let err = SigningKey::with_backend(b, Algorithm::HS256, &key_for(Algorithm::HS256));
            assert!(err.is_err());
        }
    }
}
