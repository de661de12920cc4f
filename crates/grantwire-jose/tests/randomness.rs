//! The table "Randomness, exactly" of the crate docs, cell by cell, on every backend: for each
//! algorithm, whether the signature is deterministic, driven by the caller's entropy, or drawn
//! from the backend's own (OS-seeded) generator — checked by signing, not by reading code.

mod common;

use common::*;
use grantwire_jose::{Algorithm, Backend, Randomness, SigningKey};

use Algorithm::*;
use Randomness::{Caller, Deterministic, System};

const MESSAGE: &[u8] = b"eyJhbGciOiJ0ZXN0In0.eyJzdWIiOiJjbGllbnQtMSJ9";

/// Signs [`MESSAGE`] with entropy that repeats `byte`, counting the calls to the entropy.
fn sign(key: &SigningKey, byte: u8, calls: &mut usize) -> Vec<u8> {
    let mut entropy = |b: &mut [u8]| {
        *calls += 1;
        b.fill(byte);
    };
    key.sign_raw(MESSAGE, &mut entropy)
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// Checks the documented table for `backend` against `expected`, then checks each cell by
/// behaviour: three signatures, two with the same entropy and one with other entropy.
fn check(backend: Backend, expected: &[(Algorithm, Randomness)]) {
    assert_eq!(expected.len(), 13, "every algorithm has a cell");
    for &(alg, want) in expected {
        assert_eq!(backend.randomness(alg), want, "{backend} {alg}: the table");
    }
    // The dev-dependency on this crate adds aws-lc-rs and rust-crypto; ring is missing from a
    // `--no-default-features` test build.
    if !backend.is_available() {
        eprintln!("{backend} is not compiled in: only its table was checked");
        return;
    }
    for &(alg, want) in expected {
        let key = SigningKey::with_backend(backend, alg, &key_for(alg)).unwrap();
        let mut calls = 0;
        let first = sign(&key, 1, &mut calls);
        let same_entropy = sign(&key, 1, &mut calls);
        let other_entropy = sign(&key, 2, &mut calls);
        match want {
            Deterministic => {
                assert_eq!(first, same_entropy, "{backend} {alg}: deterministic");
                assert_eq!(
                    first, other_entropy,
                    "{backend} {alg}: entropy must not matter"
                );
            }
            Caller => {
                assert!(calls >= 3, "{backend} {alg}: the caller's entropy is read");
                assert_eq!(
                    first, same_entropy,
                    "{backend} {alg}: same entropy, same bytes"
                );
                assert_ne!(
                    first, other_entropy,
                    "{backend} {alg}: the entropy drives it"
                );
            }
            System => {
                assert_eq!(
                    calls, 0,
                    "{backend} {alg}: the caller's entropy is not read"
                );
                assert_ne!(first, same_entropy, "{backend} {alg}: its own generator");
                assert_ne!(first, other_entropy);
            }
            _ => unreachable!("a new kind of randomness needs a row in the docs"),
        }
    }
}

#[test]
fn ring_uses_the_os_generator_for_pss_and_p256_p384_ecdsa() {
    check(
        Backend::Ring,
        &[
            (HS256, Deterministic),
            (HS384, Deterministic),
            (HS512, Deterministic),
            (RS256, Deterministic),
            (RS384, Deterministic),
            (RS512, Deterministic),
            (EdDSA, Deterministic),
            (PS256, System),
            (PS384, System),
            (PS512, System),
            (ES256, System),
            (ES384, System),
            (ES512, Caller),
        ],
    );
}

#[test]
fn aws_lc_rs_uses_the_os_generator_for_pss_and_ecdsa() {
    check(
        Backend::AwsLc,
        &[
            (HS256, Deterministic),
            (HS384, Deterministic),
            (HS512, Deterministic),
            (RS256, Deterministic),
            (RS384, Deterministic),
            (RS512, Deterministic),
            (EdDSA, Deterministic),
            (PS256, System),
            (PS384, System),
            (PS512, System),
            (ES256, System),
            (ES384, System),
            (ES512, System),
        ],
    );
}

#[test]
fn rust_crypto_uses_only_the_callers_entropy() {
    check(
        Backend::RustCrypto,
        &[
            (HS256, Deterministic),
            (HS384, Deterministic),
            (HS512, Deterministic),
            (RS256, Deterministic),
            (RS384, Deterministic),
            (RS512, Deterministic),
            (EdDSA, Deterministic),
            (PS256, Caller),
            (PS384, Caller),
            (PS512, Caller),
            (ES256, Caller),
            (ES384, Caller),
            (ES512, Caller),
        ],
    );
}
