//! Known-answer tests, run against every backend compiled in: RFC 7515 A.1 (HS256) and A.2
//! (RS256) byte for byte, A.3 (ES256) and A.4 (ES512) verified, and the RFC 7520 §4
//! signatures (4.1 RS256 and 4.4 HS256 byte for byte, 4.2 PS384 and 4.3 ES512 verified).

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use grantwire_jose::{Algorithm, Backend, Jwk, PrivateKey, SigningKey, Verifier, VerifyingKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn vector(name: &str) -> String {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .trim()
        .to_owned()
}

/// (signing input, signature bytes) of a compact JWS.
fn parts(jws: &str) -> (&str, Vec<u8>) {
    let dot = jws.rfind('.').unwrap();
    (&jws[..dot], B64.decode(&jws[dot + 1..]).unwrap())
}

fn no_entropy() -> impl FnMut(&mut [u8]) {
    |b: &mut [u8]| b.fill(0x42)
}

fn sign_check(backend: Backend, alg: Algorithm, key: &PrivateKey, jws: &str) {
    let (input, expected) = parts(jws);
    let signer = SigningKey::with_backend(backend, alg, key).unwrap();
    let sig = signer
        .sign_raw(input.as_bytes(), &mut no_entropy())
        .unwrap();
    assert_eq!(
        B64.encode(&sig),
        B64.encode(&expected),
        "{backend} {alg}: signature differs"
    );
    assert_eq!(format!("{input}.{}", B64.encode(&sig)), jws);
}

fn verify_check(backend: Backend, alg: Algorithm, key: VerifyingKey, jws: &str) {
    let key = key.with_backend(backend);
    let (input, sig) = parts(jws);
    key.verify_signature(alg, input.as_bytes(), &sig)
        .unwrap_or_else(|e| panic!("{backend} {alg}: {e}"));
    // One flipped bit anywhere fails.
    let mut bad = sig.clone();
    bad[sig.len() / 2] ^= 1;
    assert!(key.verify_signature(alg, input.as_bytes(), &bad).is_err());
    let mut input_bad = input.as_bytes().to_vec();
    input_bad[3] ^= 1;
    assert!(key.verify_signature(alg, &input_bad, &sig).is_err());
}

/// The JWT of RFC 7515 A.1–A.3 expires at 1300819380.
fn rfc7515_now() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_300_819_000)
}

#[test]
fn tests_run_on_exactly_the_backends_cargo_was_asked_for() {
    // `cargo xtask ci` tests each backend alone (`--no-default-features --features X`) and names
    // the backends it asked for in GRANTWIRE_JOSE_BACKENDS. A dev-dependency that turned other
    // backends on (the crate once had a self dev-dependency enabling all three) would make those
    // runs test something else; this fails then.
    let available: Vec<&str> = Backend::available().iter().map(|b| b.name()).collect();
    if let Ok(expected) = std::env::var("GRANTWIRE_JOSE_BACKENDS") {
        assert_eq!(available.join(","), expected);
    }
    assert!(Backend::available().contains(&Backend::default()));
}

#[test]
fn rfc7515_a1_hs256_byte_for_byte() {
    let key = PrivateKey::from_jwk(vector("rfc7515_a1.jwk").as_bytes()).unwrap();
    let jws = vector("rfc7515_a1.jws");
    let secret = B64
        .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
        .unwrap();
    for b in Backend::available() {
        sign_check(b, Algorithm::HS256, &key, &jws);
        verify_check(b, Algorithm::HS256, VerifyingKey::hmac(&secret), &jws);
        let v = Verifier::new(vec![VerifyingKey::hmac(&secret).with_backend(b)])
            .algorithms(&[Algorithm::HS256])
            .issuer("joe")
            .verify(&jws, rfc7515_now())
            .unwrap();
        assert_eq!(v.claims.exp, Some(1_300_819_380));
        assert_eq!(v.claims.extra["http://example.com/is_root"], true);
        assert_eq!(v.header.typ.as_deref(), Some("JWT"));
    }
}

#[test]
fn rfc7515_a2_rs256_byte_for_byte() {
    let key = PrivateKey::from_pem(vector("rfc7515_a2_private.pem").as_bytes()).unwrap();
    let public = VerifyingKey::from_public_pem(vector("rfc7515_a2_public.pem").as_bytes()).unwrap();
    let jws = vector("rfc7515_a2.jws");
    for b in Backend::available() {
        sign_check(b, Algorithm::RS256, &key, &jws);
        verify_check(b, Algorithm::RS256, public.clone(), &jws);
        let v = Verifier::new(vec![public.clone().with_backend(b)])
            .verify(&jws, rfc7515_now())
            .unwrap();
        assert_eq!(v.claims.iss.as_deref(), Some("joe"));
    }
}

#[test]
fn rfc7515_a3_es256_verifies_and_signs() {
    let jws = vector("rfc7515_a3.jws");
    let from_pem =
        VerifyingKey::from_public_pem(vector("rfc7515_a3_public.pem").as_bytes()).unwrap();
    let from_jwk =
        VerifyingKey::from_jwk(&Jwk::from_json(vector("rfc7515_a3.jwk").as_bytes()).unwrap())
            .unwrap();
    let pem_key = PrivateKey::from_pem(vector("rfc7515_a3_private.pem").as_bytes()).unwrap();
    let jwk_key = PrivateKey::from_jwk(vector("rfc7515_a3.jwk").as_bytes()).unwrap();
    for b in Backend::available() {
        verify_check(b, Algorithm::ES256, from_pem.clone(), &jws);
        verify_check(b, Algorithm::ES256, from_jwk.clone(), &jws);
        for key in [&pem_key, &jwk_key] {
            let signer = SigningKey::with_backend(b, Algorithm::ES256, key).unwrap();
            let (input, _) = parts(&jws);
            let sig = signer
                .sign_raw(input.as_bytes(), &mut no_entropy())
                .unwrap();
            assert_eq!(sig.as_bytes().len(), 64);
            from_pem
                .clone()
                .with_backend(b)
                .verify_signature(Algorithm::ES256, input.as_bytes(), sig.as_bytes())
                .unwrap();
        }
    }
}

#[test]
fn rfc7515_a4_es512_verifies_and_signs() {
    let jws = vector("rfc7515_a4.jws");
    let from_pem =
        VerifyingKey::from_public_pem(vector("rfc7515_a4_public.pem").as_bytes()).unwrap();
    let from_jwk =
        VerifyingKey::from_jwk(&Jwk::from_json(vector("rfc7515_a4.jwk").as_bytes()).unwrap())
            .unwrap();
    let pem_key = PrivateKey::from_pem(vector("rfc7515_a4_private.pem").as_bytes()).unwrap();
    let jwk_key = PrivateKey::from_jwk(vector("rfc7515_a4.jwk").as_bytes()).unwrap();
    for b in Backend::available() {
        verify_check(b, Algorithm::ES512, from_pem.clone(), &jws);
        verify_check(b, Algorithm::ES512, from_jwk.clone(), &jws);
        for key in [&pem_key, &jwk_key] {
            let signer = SigningKey::with_backend(b, Algorithm::ES512, key).unwrap();
            let sig = signer.sign_raw(b"Payload", &mut no_entropy()).unwrap();
            assert_eq!(sig.as_bytes().len(), 132);
            from_jwk
                .clone()
                .with_backend(b)
                .verify_signature(Algorithm::ES512, b"Payload", sig.as_bytes())
                .unwrap();
        }
    }
}

#[test]
fn rfc7520_section4_signatures() {
    let rsa = PrivateKey::from_jwk(vector("rfc7520_3.4.jwk").as_bytes()).unwrap();
    let ec = PrivateKey::from_jwk(vector("rfc7520_3.2.jwk").as_bytes()).unwrap();
    let oct = PrivateKey::from_jwk(vector("rfc7520_3.5.jwk").as_bytes()).unwrap();
    assert_eq!(rsa.kid(), Some("bilbo.baggins@hobbiton.example"));
    let rsa_pub =
        VerifyingKey::from_jwk(&Jwk::from_json(vector("rfc7520_3.4.jwk").as_bytes()).unwrap())
            .unwrap();
    let ec_pub =
        VerifyingKey::from_jwk(&Jwk::from_json(vector("rfc7520_3.2.jwk").as_bytes()).unwrap())
            .unwrap();
    let hmac = VerifyingKey::hmac(
        &B64.decode("hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg")
            .unwrap(),
    );
    for b in Backend::available() {
        // 4.1 RS256 and 4.4 HS256 are deterministic: byte for byte.
        sign_check(b, Algorithm::RS256, &rsa, &vector("rfc7520_4.1.jws"));
        verify_check(
            b,
            Algorithm::RS256,
            rsa_pub.clone(),
            &vector("rfc7520_4.1.jws"),
        );
        sign_check(b, Algorithm::HS256, &oct, &vector("rfc7520_4.4.jws"));
        verify_check(
            b,
            Algorithm::HS256,
            hmac.clone(),
            &vector("rfc7520_4.4.jws"),
        );
        // 4.2 PS384 and 4.3 ES512 are randomized: verify.
        verify_check(
            b,
            Algorithm::PS384,
            rsa_pub.clone(),
            &vector("rfc7520_4.2.jws"),
        );
        verify_check(
            b,
            Algorithm::ES512,
            ec_pub.clone(),
            &vector("rfc7520_4.3.jws"),
        );
        // Our own PS384/ES512 signatures with the same keys verify too.
        let v42 = vector("rfc7520_4.2.jws");
        let (input, _) = parts(&v42);
        for (alg, key, public) in [
            (Algorithm::PS384, &rsa, &rsa_pub),
            (Algorithm::ES512, &ec, &ec_pub),
        ] {
            let sig = SigningKey::with_backend(b, alg, key)
                .unwrap()
                .sign_raw(input.as_bytes(), &mut no_entropy())
                .unwrap();
            public
                .clone()
                .with_backend(b)
                .verify_signature(alg, input.as_bytes(), sig.as_bytes())
                .unwrap();
        }
    }
}

#[test]
fn header_built_by_signing_key_matches_rfc7520_4_1() {
    // RFC 7520 §4.1: header {"alg":"RS256","kid":"bilbo.baggins@hobbiton.example"}.
    let rsa = PrivateKey::from_jwk(vector("rfc7520_3.4.jwk").as_bytes()).unwrap();
    let key = SigningKey::new(Algorithm::RS256, &rsa).unwrap();
    let payload = "It\u{2019}s a dangerous business, Frodo, going out your door. You step onto the road, and if you don't keep your feet, there\u{2019}s no knowing where you might be swept off to.";
    let jws = key
        .sign_compact(payload.as_bytes(), None, &mut no_entropy())
        .unwrap();
    assert_eq!(jws.secret(), vector("rfc7520_4.1.jws"));
}

#[test]
fn rfc8037_eddsa_byte_for_byte() {
    // RFC 8037 A.1 key, A.3 thumbprint, A.4 signature (Ed25519 is deterministic).
    let key = PrivateKey::from_jwk(vector("rfc8037_a1.jwk").as_bytes()).unwrap();
    let jws = vector("rfc8037_a4.jws");
    let public =
        VerifyingKey::from_jwk(&Jwk::from_json(vector("rfc8037_a1.jwk").as_bytes()).unwrap())
            .unwrap();
    for b in Backend::available() {
        sign_check(b, Algorithm::EdDSA, &key, &jws);
        verify_check(b, Algorithm::EdDSA, public.clone(), &jws);
        let signer = SigningKey::with_backend(b, Algorithm::EdDSA, &key).unwrap();
        assert_eq!(
            signer.thumbprint().as_deref(),
            Some("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
        );
    }
    let jwk = SigningKey::new(Algorithm::EdDSA, &key)
        .unwrap()
        .public_jwk()
        .unwrap();
    assert_eq!(
        (jwk.kty.as_str(), jwk.crv.as_deref()),
        ("OKP", Some("Ed25519"))
    );
    assert_eq!(
        jwk.x.as_deref(),
        Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    );
}
