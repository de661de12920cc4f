//! Replays every seed of the grantwire-jose fuzz corpora (`fuzz/corpus/jose_*`) through the
//! same loaders and verifier as the fuzz targets, so stable `cargo test` catches a regression
//! a fuzzer once found. Keep the bodies in step with `fuzz/fuzz_targets/jose_*.rs`.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use grantwire_jose::{
    Algorithm, BearerAssertion, Jwk, JwkSet, PrivateKey, ServiceAccountKey, SigningKey, Verifier,
    VerifyingKey,
};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {target}");
    files
}

fn pem(data: &[u8]) -> bool {
    let mut ok = false;
    if let Ok(key) = PrivateKey::from_pem(data) {
        for alg in Algorithm::ALL {
            ok |= SigningKey::new(alg, &key).map(|k| k.public_jwk()).is_ok();
        }
    }
    ok | VerifyingKey::from_public_pem(data)
        .map(|k| k.to_jwk())
        .is_ok()
}

fn der(data: &[u8]) -> bool {
    let mut ok = false;
    if let Ok(key) = PrivateKey::from_der(data) {
        for alg in Algorithm::ALL {
            ok |= SigningKey::new(alg, &key).map(|k| k.public_jwk()).is_ok();
        }
    }
    ok | VerifyingKey::from_spki_der(data)
        .map(|k| k.to_jwk())
        .is_ok()
}

fn jwk(data: &[u8]) -> bool {
    let mut ok = false;
    if let Ok(key) = PrivateKey::from_jwk(data) {
        for alg in Algorithm::ALL {
            ok |= SigningKey::new(alg, &key).map(|k| k.thumbprint()).is_ok();
        }
    }
    if let Ok(jwk) = Jwk::from_json(data) {
        let _ = jwk.thumbprint();
        ok |= VerifyingKey::from_jwk(&jwk).is_ok();
    }
    if let Ok(set) = JwkSet::from_json(data) {
        ok |= !Verifier::from_jwks(&set).keys().is_empty();
    }
    ok
}

fn service_account(data: &[u8]) -> bool {
    match ServiceAccountKey::from_json(data) {
        Ok(sa) => {
            sa.authorization_server().is_ok() && BearerAssertion::from_service_account(&sa).is_ok()
        }
        Err(_) => false,
    }
}

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
        Verifier::new(keys)
            .algorithms(&Algorithm::ALL)
            .allow_missing_exp()
    })
}

fn jws_verify(data: &[u8]) -> bool {
    let Ok(token) = std::str::from_utf8(data) else {
        return false;
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_300_819_000);
    match verifier().verify(token, now) {
        Ok(v) => {
            let _ = v.claims_as::<serde_json::Value>();
            true
        }
        Err(_) => false,
    }
}

#[test]
fn pem_corpus() {
    let results: Vec<_> = corpus("jose_pem")
        .into_iter()
        .map(|(n, d)| (n, pem(&d)))
        .collect();
    for (name, want) in [
        ("rfc7515_a2_private.pem", true),
        ("p521_sec1.pem", true),
        ("rfc7515_a4_public.pem", true),
        ("rsa1024_pkcs8.pem", false),
        ("p384_encrypted.pem", false),
    ] {
        assert!(
            results.contains(&(name.into(), want)),
            "{name}: {results:?}"
        );
    }
}

#[test]
fn der_corpus() {
    let results: Vec<_> = corpus("jose_der")
        .into_iter()
        .map(|(n, d)| (n, der(&d)))
        .collect();
    for (name, want) in [
        ("rsa2048_pkcs8.der", true),
        ("p256_sec1.der", true),
        ("p384_spki.der", true),
        ("p256_cert.der", false),
    ] {
        assert!(
            results.contains(&(name.into(), want)),
            "{name}: {results:?}"
        );
    }
}

#[test]
fn jwk_corpus() {
    let results: Vec<_> = corpus("jose_jwk")
        .into_iter()
        .map(|(n, d)| (n, jwk(&d)))
        .collect();
    assert!(results.iter().all(|(_, ok)| *ok), "{results:?}");
}

#[test]
fn service_account_corpus() {
    let results: Vec<_> = corpus("jose_service_account")
        .into_iter()
        .map(|(n, d)| (n, service_account(&d)))
        .collect();
    assert!(
        results.contains(&("service_account.json".into(), true)),
        "{results:?}"
    );
    assert!(
        results.contains(&("ec_key.json".into(), false)),
        "{results:?}"
    );
    assert!(
        results.contains(&("no_token_uri.json".into(), false)),
        "{results:?}"
    );
}

#[test]
fn jws_verify_corpus() {
    let results: Vec<_> = corpus("jose_jws_verify")
        .into_iter()
        .map(|(n, d)| (n, jws_verify(&d)))
        .collect();
    for (name, want) in [
        ("rfc7515_a2.jws", true),
        ("rfc7515_a3.jws", true),
        ("alg_none.jws", false),
        ("rfc7520_4.4.jws", false),
    ] {
        assert!(
            results.contains(&(name.into(), want)),
            "{name}: {results:?}"
        );
    }
}
