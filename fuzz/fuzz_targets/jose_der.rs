#![no_main]
//! Arbitrary bytes as a DER private key (PKCS#8, PKCS#1, SEC1) or SPKI public key.
use grantwire_jose::{Algorithm, PrivateKey, SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PrivateKey::from_der(data) {
        for alg in Algorithm::ALL {
            let _ = SigningKey::new(alg, &key).map(|k| k.public_jwk());
        }
    }
    let _ = VerifyingKey::from_spki_der(data).map(|k| k.to_jwk());
});
