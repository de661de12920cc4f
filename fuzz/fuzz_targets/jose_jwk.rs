#![no_main]
//! Arbitrary bytes as a private JWK, a public JWK and a JWK set.
use grantwire_jose::{Algorithm, Jwk, JwkSet, PrivateKey, SigningKey, Verifier, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PrivateKey::from_jwk(data) {
        for alg in Algorithm::ALL {
            let _ = SigningKey::new(alg, &key).map(|k| k.thumbprint());
        }
    }
    if let Ok(jwk) = Jwk::from_json(data) {
        let _ = jwk.thumbprint();
        let _ = VerifyingKey::from_jwk(&jwk);
    }
    if let Ok(set) = JwkSet::from_json(data) {
        let _ = Verifier::from_jwks(&set).keys().len();
    }
});
