//! Key loading in every format, and the key rules as typed errors.

mod common;

use common::*;
use grantwire_jose::{Algorithm, Backend, Curve, Error, PrivateKey, SigningKey, VerifyingKey};

#[test]
fn every_format_of_the_same_rsa_key_gives_the_same_thumbprint() {
    let names = [
        "rfc7515_a2_private.pem",
        "rsa2048_pkcs1.pem",
        "rsa2048_pkcs8.der",
        "rsa2048_pkcs1.der",
    ];
    let prints: Vec<_> = names
        .iter()
        .map(|n| {
            SigningKey::new(Algorithm::RS256, &private(n))
                .unwrap()
                .thumbprint()
                .unwrap()
        })
        .collect();
    assert!(prints.windows(2).all(|w| w[0] == w[1]), "{prints:?}");
    // RFC 7517 public PEMs (SPKI and PKCS#1) give the same key.
    let spki = VerifyingKey::from_public_pem(&vector_bytes("rfc7515_a2_public.pem")).unwrap();
    let pkcs1 = VerifyingKey::from_public_pem(&vector_bytes("rsa2048_pkcs1_public.pem")).unwrap();
    assert_eq!(spki.to_jwk(), pkcs1.to_jwk());
    assert_eq!(spki.to_jwk().unwrap().thumbprint().unwrap(), prints[0]);
}

#[test]
fn every_format_of_the_same_ec_key_gives_the_same_thumbprint() {
    let names = [
        "rfc7515_a3_private.pem",
        "p256_sec1.pem",
        "p256_sec1.der",
        "rfc7515_a3.jwk",
    ];
    let prints: Vec<_> = names
        .iter()
        .map(|n| {
            SigningKey::new(Algorithm::ES256, &private(n))
                .unwrap()
                .thumbprint()
                .unwrap()
        })
        .collect();
    assert!(prints.windows(2).all(|w| w[0] == w[1]), "{prints:?}");
    let p521 = [private("rfc7515_a4_private.pem"), private("p521_sec1.pem")];
    let a = SigningKey::new(Algorithm::ES512, &p521[0]).unwrap();
    let b = SigningKey::new(Algorithm::ES512, &p521[1]).unwrap();
    assert_eq!(a.public_jwk(), b.public_jwk());
    let p384 = [
        private("p384_pkcs8.pem"),
        private("p384_sec1.pem"),
        private("p384_pkcs8.der"),
    ];
    let j: Vec<_> = p384
        .iter()
        .map(|k| SigningKey::new(Algorithm::ES384, k).unwrap().public_jwk())
        .collect();
    assert!(j[0] == j[1] && j[1] == j[2]);
}

#[test]
fn public_jwk_and_jwks_are_registration_ready() {
    let key = SigningKey::new(Algorithm::ES256, &private("rfc7515_a3.jwk")).unwrap();
    let jwk = key.public_jwk().unwrap();
    assert_eq!(jwk.kty, "EC");
    assert_eq!(jwk.crv.as_deref(), Some("P-256"));
    assert_eq!(
        jwk.x.as_deref(),
        Some("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")
    );
    assert_eq!(jwk.alg.as_deref(), Some("ES256"));
    assert_eq!(jwk.use_.as_deref(), Some("sig"));
    // Default kid: the RFC 7638 thumbprint.
    assert_eq!(jwk.kid, key.thumbprint());
    let json = key.jwks().to_json();
    assert!(
        json.starts_with(r#"{"keys":[{"kty":"EC","use":"sig","alg":"ES256","kid":""#),
        "{json}"
    );
    assert!(!json.contains("\"d\""));
    // A JWK's own kid wins over the thumbprint; with_kid wins over both.
    let rsa = SigningKey::new(Algorithm::RS256, &private("rfc7520_3.4.jwk")).unwrap();
    assert_eq!(rsa.kid(), Some("bilbo.baggins@hobbiton.example"));
    assert_eq!(rsa.clone().with_kid("k1").kid(), Some("k1"));
    assert_eq!(rsa.without_kid().kid(), None);
    // HMAC keys publish nothing.
    let h = SigningKey::hmac(Algorithm::HS256, &[1; 32]).unwrap();
    assert!(h.public_jwk().is_none() && h.jwks().keys.is_empty() && h.kid().is_none());
}

#[test]
fn rsa_below_2048_bits_is_refused() {
    let err = PrivateKey::from_bytes(&vector_bytes("rsa1024_pkcs8.pem")).unwrap_err();
    assert_eq!(err, Error::RsaKeyTooSmall { bits: 1024 });
    assert!(err.to_string().contains("at least 2048"));
    // 3072 is fine, for every RSA algorithm.
    let k = private("rsa3072_pkcs8.pem");
    for alg in [Algorithm::RS256, Algorithm::PS512] {
        SigningKey::new(alg, &k).unwrap();
    }
}

#[test]
fn the_curve_must_match_the_algorithm() {
    let p256 = private("p256_sec1.pem");
    let err = SigningKey::new(Algorithm::ES384, &p256).unwrap_err();
    assert_eq!(
        err,
        Error::CurveMismatch {
            alg: Algorithm::ES384,
            expected: Curve::P384,
            found: Curve::P256,
            suggested: Algorithm::ES256
        }
    );
    assert!(SigningKey::new(Algorithm::ES512, &private("p384_sec1.pem")).is_err());
    assert!(SigningKey::new(Algorithm::ES256, &private("p521_sec1.pem")).is_err());
}

#[test]
fn the_key_family_must_match_the_algorithm() {
    let rsa = private("rfc7515_a2_private.pem");
    let ec = private("p256_sec1.pem");
    let secret = PrivateKey::from_secret(&[7; 64]);
    for (key, bad) in [
        (&rsa, [Algorithm::ES256, Algorithm::HS256]),
        (&ec, [Algorithm::RS256, Algorithm::HS512]),
        (&secret, [Algorithm::RS256, Algorithm::ES256]),
    ] {
        for alg in bad {
            assert!(matches!(
                SigningKey::new(alg, key),
                Err(Error::KeyAlgorithmMismatch { .. })
            ));
        }
    }
    assert!(matches!(
        SigningKey::hmac(Algorithm::RS256, &[0; 64]),
        Err(Error::KeyAlgorithmMismatch { .. })
    ));
}

#[test]
fn hmac_secrets_at_least_the_hash_length() {
    for (alg, min) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        assert_eq!(
            SigningKey::hmac(alg, &vec![1; min - 1]).unwrap_err(),
            Error::HmacSecretTooShort {
                alg,
                len: min - 1,
                min
            }
        );
        SigningKey::hmac(alg, &vec![1; min]).unwrap();
        // The verifier applies the same rule.
        assert!(!VerifyingKey::hmac(&vec![1; min - 1]).fits(alg));
    }
}

#[test]
fn a_jwk_alg_member_binds_the_key() {
    // RFC 7520 §3.5 says "alg": "HS256"; a 32-byte key: HS384 fails on both counts, and the
    // JWK check comes first.
    let oct = private("rfc7520_3.5.jwk");
    SigningKey::new(Algorithm::HS256, &oct).unwrap();
    assert!(matches!(
        SigningKey::new(Algorithm::HS384, &oct),
        Err(Error::KeyAlgorithmMismatch { .. })
    ));
}

#[test]
fn unusable_inputs_give_typed_errors() {
    assert_eq!(
        PrivateKey::from_bytes(&vector_bytes("p384_encrypted.pem")).unwrap_err(),
        Error::EncryptedKey
    );
    // Ed448 and X25519 keys are not signature keys this crate uses.
    assert!(matches!(
        PrivateKey::from_jwk(br#"{"kty":"OKP","crv":"Ed448","x":"AA","d":"AA"}"#),
        Err(Error::UnsupportedKey { .. })
    ));
    assert!(matches!(
        PrivateKey::from_bytes(&vector_bytes("p256_sec1_no_public.pem")),
        Err(Error::KeyFormat { .. })
    ));
    assert!(matches!(
        PrivateKey::from_bytes(&vector_bytes("rfc7515_a2_public.pem")),
        Err(Error::KeyFormat { .. })
    ));
    assert!(matches!(
        PrivateKey::from_bytes(&vec![b' '; 70_000]),
        Err(Error::KeyTooLarge { .. })
    ));
    // A public JWK is not a private key.
    assert!(PrivateKey::from_jwk(br#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#).is_err());
    // Short EC coordinates (RFC 7518 §6.2.1.2 requires full length).
    assert!(
        PrivateKey::from_jwk(br#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}"#).is_err()
    );
    for junk in [
        &b""[..],
        b"{",
        b"-----BEGIN PRIVATE KEY-----\n",
        b"\x30\x03\x02\x01\x00",
        b"\xff\xff",
    ] {
        assert!(PrivateKey::from_bytes(junk).is_err());
    }
}

#[test]
fn a_leading_ec_parameters_block_is_skipped() {
    let k = private("p256_with_params.pem");
    SigningKey::new(Algorithm::ES256, &k).unwrap();
}

#[test]
fn a_public_key_that_does_not_match_the_private_key_is_rejected() {
    // The A.3 scalar with the A.3 point's y coordinate changed.
    let jwk = br#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
    let key = PrivateKey::from_jwk(jwk).unwrap();
    for b in Backend::available() {
        assert!(
            matches!(
                SigningKey::with_backend(b, Algorithm::ES256, &key),
                Err(Error::KeyRejected { .. })
            ),
            "{b}"
        );
    }
}

#[test]
fn debug_output_never_shows_key_material() {
    let jwk = String::from_utf8(vector_bytes("rfc7520_3.4.jwk")).unwrap();
    let key = PrivateKey::from_jwk(jwk.as_bytes()).unwrap();
    let signing = SigningKey::new(Algorithm::RS256, &key).unwrap();
    let secret = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdef0123456789abcdef").unwrap();
    let shown = format!(
        "{key:?} {signing:?} {secret:?} {:?}",
        VerifyingKey::hmac(b"0123456789abcdef0123456789abcdef")
    );
    for needle in ["bWUC9B", "3Slxg", "uKE2dh", "0123456789abcdef", "n4EPtA"] {
        assert!(!shown.contains(needle), "{needle} in {shown}");
    }
    assert!(shown.contains("RSA-2048"));
}

#[test]
fn unavailable_backends_answer_a_typed_error() {
    let key = private("p256_sec1.pem");
    for b in [Backend::Ring, Backend::AwsLc, Backend::RustCrypto] {
        let r = SigningKey::with_backend(b, Algorithm::ES256, &key);
        if b.is_available() {
            assert!(r.is_ok());
        } else {
            assert_eq!(r.unwrap_err(), Error::BackendUnavailable(b.name()));
        }
    }
}

#[test]
fn ed25519_pkcs8_pem_without_public_key_signs_on_every_backend() {
    // openssl's PKCS#8 v1 output carries only the seed; the public key is derived.
    let key = private("ed25519_pkcs8.pem");
    let mut prints = Vec::new();
    for b in Backend::available() {
        let k = SigningKey::with_backend(b, Algorithm::EdDSA, &key).unwrap();
        let sig = k.sign_raw(b"msg", &mut |x: &mut [u8]| x.fill(0)).unwrap();
        k.verifying_key()
            .unwrap()
            .verify_signature(Algorithm::EdDSA, b"msg", sig.as_bytes())
            .unwrap();
        prints.push(k.thumbprint().unwrap());
    }
    assert!(prints.windows(2).all(|w| w[0] == w[1]));
    assert!(matches!(
        SigningKey::new(Algorithm::ES256, &key),
        Err(Error::KeyAlgorithmMismatch { .. })
    ));
}
