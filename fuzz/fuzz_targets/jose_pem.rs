#![no_main]
//! Arbitrary bytes as a PEM private or public key (grantwire-jose loaders).
use grantwire_jose::{Algorithm, PrivateKey, SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PrivateKey::from_pem(data) {
        for alg in Algorithm::ALL {
            let _ = SigningKey::new(alg, &key).map(|k| k.public_jwk());
        }
    }
    let _ = VerifyingKey::from_public_pem(data).map(|k| k.to_jwk());
});
