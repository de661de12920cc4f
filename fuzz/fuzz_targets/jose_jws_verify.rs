#![no_main]
//! Arbitrary text as a compact JWS against keys of every family, every algorithm allowed.
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use grantwire_jose::{Algorithm, Jwk, Verifier, VerifyingKey};
use libfuzzer_sys::fuzz_target;

const RSA: &str = r#"{"kty":"RSA","kid":"rsa","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}"#;
const P256: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const P521: &str = r#"{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"}"#;

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let mut keys: Vec<VerifyingKey> = [RSA, P256, P521]
            .iter()
            .map(|j| VerifyingKey::from_jwk(&Jwk::from_json(j.as_bytes()).unwrap()).unwrap())
            .collect();
        keys.push(VerifyingKey::hmac(&[0x42; 64]));
        Verifier::new(keys).algorithms(&Algorithm::ALL).allow_missing_exp()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        let now = UNIX_EPOCH + Duration::from_secs(1_300_819_000);
        if let Ok(v) = verifier().verify(token, now) {
            let _ = v.claims_as::<serde_json::Value>();
        }
    }
});
