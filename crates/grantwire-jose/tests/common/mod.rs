//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grantwire_jose::{Algorithm, PrivateKey, SigningKey};

pub(crate) fn vector_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) fn private(name: &str) -> PrivateKey {
    PrivateKey::from_bytes(&vector_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// One private key per algorithm (HMAC secrets of exactly the minimum length).
pub(crate) fn key_for(alg: Algorithm) -> PrivateKey {
    match alg {
        Algorithm::HS256 => PrivateKey::from_secret(&[0x11; 32]),
        Algorithm::HS384 => PrivateKey::from_secret(&[0x22; 48]),
        Algorithm::HS512 => PrivateKey::from_secret(&[0x33; 64]),
        Algorithm::ES256 => private("rfc7515_a3_private.pem"),
        Algorithm::ES384 => private("p384_pkcs8.pem"),
        Algorithm::ES512 => private("rfc7515_a4_private.pem"),
        Algorithm::EdDSA => private("rfc8037_a1.jwk"),
        _ => private("rfc7515_a2_private.pem"),
    }
}

pub(crate) fn signing_key(alg: Algorithm) -> SigningKey {
    SigningKey::new(alg, &key_for(alg)).unwrap()
}

/// A deterministic entropy source: a counter, so successive draws differ.
pub(crate) fn counter_entropy() -> impl FnMut(&mut [u8]) {
    let mut n = 0u8;
    move |b: &mut [u8]| {
        for x in b.iter_mut() {
            n = n.wrapping_add(1);
            *x = n;
        }
    }
}

pub(crate) fn decode_json(segment: &str) -> serde_json::Value {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
