//! HS* client assertions are MACed from a state that absorbed the constant start of the signing
//! input once (header, `iss`, `sub`, `aud`). On every backend the result must be byte for byte
//! what a signer computing the HMAC of the whole signing input from scratch gives, for claim
//! sets whose constant part has each length modulo 3, and with every option that changes the
//! header or the claims.

mod common;

use std::time::SystemTime;

use base64::Engine as _;
use common::*;
use grantwire::ClientId;
use grantwire_jose::{Algorithm, Backend, ClientAssertion, SigningKey, Verifier};

const AUD: &str = "https://as.example";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The HMAC of `message` computed in one go with the backend's own library.
fn from_scratch(backend: Backend, alg: Algorithm, secret: &[u8], message: &[u8]) -> Vec<u8> {
    match backend {
        #[cfg(feature = "ring")]
        Backend::Ring => {
            let a = match alg {
                Algorithm::HS384 => ring::hmac::HMAC_SHA384,
                Algorithm::HS512 => ring::hmac::HMAC_SHA512,
                _ => ring::hmac::HMAC_SHA256,
            };
            ring::hmac::sign(&ring::hmac::Key::new(a, secret), message)
                .as_ref()
                .to_vec()
        }
        #[cfg(feature = "aws-lc-rs")]
        Backend::AwsLc => {
            use aws_lc_rs::hmac;
            let a = match alg {
                Algorithm::HS384 => hmac::HMAC_SHA384,
                Algorithm::HS512 => hmac::HMAC_SHA512,
                _ => hmac::HMAC_SHA256,
            };
            hmac::sign(&hmac::Key::new(a, secret), message)
                .as_ref()
                .to_vec()
        }
        #[cfg(feature = "rust-crypto")]
        Backend::RustCrypto => {
            use hmac::{Hmac, Mac};
            fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], message: &[u8]) -> Vec<u8> {
                let mut m = <M as Mac>::new_from_slice(secret).unwrap();
                m.update(message);
                m.finalize().into_bytes().to_vec()
            }
            match alg {
                Algorithm::HS384 => mac::<Hmac<sha2::Sha384>>(secret, message),
                Algorithm::HS512 => mac::<Hmac<sha2::Sha512>>(secret, message),
                _ => mac::<Hmac<sha2::Sha256>>(secret, message),
            }
        }
        _ => unreachable!("{backend} is not compiled in"),
    }
}

fn secret(alg: Algorithm) -> Vec<u8> {
    (0..alg.hash_len() as u8)
        .map(|i| i.wrapping_mul(37))
        .collect()
}

type Options = fn(ClientAssertion) -> ClientAssertion;

const OPTIONS: [(&str, Options); 3] = [
    ("defaults", |a| a),
    ("typ, nbf, an extra claim", |a| {
        a.with_typ()
            .with_nbf()
            .claim("tenant", serde_json::json!(["a", "b\"c"]))
            .unwrap()
    }),
    ("x5t#S256 and a long extra claim", |a| {
        a.with_x5t_s256(b"certificate")
            .claim("long", serde_json::json!("x".repeat(600)))
            .unwrap()
    }),
];

fn assertion(backend: Backend, alg: Algorithm, id: &str, options: Options) -> ClientAssertion {
    let key = SigningKey::with_backend(
        backend,
        alg,
        &grantwire_jose::PrivateKey::from_secret(&secret(alg)),
    )
    .unwrap();
    options(ClientAssertion::new(ClientId::new(id), key))
}

fn mint(a: &ClientAssertion, audience: &str, now: SystemTime, seed: u8) -> String {
    let mut fill = move |b: &mut [u8]| b.fill(seed);
    a.mint(audience, now, &mut fill)
        .unwrap()
        .secret()
        .to_owned()
}

/// Checks one assertion against the from-scratch HMAC, the documented claim layout and the
/// verifier.
fn check(backend: Backend, alg: Algorithm, id: &str, jwt: &str, what: &str) {
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    assert_eq!(
        B64.decode(sig).unwrap(),
        from_scratch(backend, alg, &secret(alg), input.as_bytes()),
        "{what}: the MAC differs from the one-shot HMAC of the signing input"
    );
    let payload = B64.decode(input.split('.').nth(1).unwrap()).unwrap();
    let payload = String::from_utf8(payload).unwrap();
    let start = format!(r#"{{"iss":"{id}","sub":"{id}","aud":"{AUD}","#);
    assert!(payload.starts_with(&start), "{what}: {payload}");
    let spaces = payload[start.len()..]
        .bytes()
        .take_while(|&b| b == b' ')
        .count();
    assert!(spaces <= 2, "{what}: {payload}");
    let constant = start.len() + spaces + r#""exp":"#.len();
    assert_eq!(
        &payload[start.len() + spaces..constant],
        r#""exp":"#,
        "{what}"
    );
    // The constant claims end on a whole base64 group, so their encoding never changes.
    assert_eq!(constant % 3, 0, "{what}: {payload}");
    let vk = SigningKey::with_backend(
        backend,
        alg,
        &grantwire_jose::PrivateKey::from_secret(&secret(alg)),
    )
    .unwrap()
    .verifying_key()
    .unwrap();
    let verified = Verifier::new(vec![vk])
        .algorithms(&[alg])
        .issuer(id)
        .audience(AUD)
        .verify(jwt, at(1_700_000_045))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(verified.claims.sub.as_deref(), Some(id));
}

#[test]
fn hs_assertions_from_the_absorbed_prefix_equal_a_from_scratch_signer_on_every_backend() {
    let (t1, t2) = (at(1_700_000_000), at(1_700_000_030));
    for backend in Backend::available() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            // Three id lengths: the constant claims need 0, 1 and 2 spaces among them.
            for id in ["c", "cl", "cli"] {
                for (name, options) in OPTIONS {
                    let what = format!("{backend} {alg} id {id:?} {name}");
                    // The first mint computes the absorbed state, the second reuses it.
                    let cached = assertion(backend, alg, id, options);
                    let first = mint(&cached, AUD, t1, 1);
                    let second = mint(&cached, AUD, t2, 2);
                    check(backend, alg, id, &first, &what);
                    check(backend, alg, id, &second, &what);
                    assert_ne!(first, second);

                    // A signer that first minted for another audience signs this one from
                    // scratch: the same bytes.
                    let scratch = assertion(backend, alg, id, options);
                    mint(&scratch, "https://other.example", t1, 3);
                    assert_eq!(mint(&scratch, AUD, t2, 2), second, "{what}");

                    // A clone carries the state; an option that changes the header resets it.
                    let typed = cached.clone().with_typ();
                    let jwt = mint(&typed, AUD, t2, 2);
                    check(backend, alg, id, &jwt, &what);
                    let header = decode_json(jwt.split('.').next().unwrap());
                    assert_eq!(header["typ"], "client-authentication+jwt", "{what}");
                    assert_eq!(mint(&cached.clone(), AUD, t2, 2), second, "{what}");
                }
            }
        }
    }
}

#[test]
fn every_backend_mints_the_same_hs_bytes() {
    let backends = Backend::available();
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let reference = mint(
            &assertion(backends[0], alg, "client-1", OPTIONS[1].1),
            AUD,
            at(1_700_000_000),
            5,
        );
        for &b in &backends[1..] {
            let a = assertion(b, alg, "client-1", OPTIONS[1].1);
            assert_eq!(mint(&a, AUD, at(1_700_000_000), 5), reference, "{alg} {b}");
        }
    }
}
