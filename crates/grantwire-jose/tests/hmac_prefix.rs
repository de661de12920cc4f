//! HS* client assertions are MACed from a state that absorbed the constant start of the signing
//! input once (header, `iss`, `sub`, `aud`) and, once a second, the `exp`/`iat` segment. On
//! every backend the result must be byte for byte what a signer computing the HMAC of the whole
//! signing input from scratch gives, for claim sets whose constant part and per-second segment
//! have each length modulo 3, with every option that changes the header or the claims, across
//! second boundaries (forwards and back) and from several threads at once.

mod common;

use std::sync::Arc;
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

/// A name, the options, and the extra claims they add as they must appear in the payload.
type Case = (&'static str, Options, fn() -> String);

const OPTIONS: [Case; 3] = [
    ("defaults", |a| a, String::new),
    (
        "typ, nbf, an extra claim",
        |a| {
            a.with_typ()
                .with_nbf()
                .claim("tenant", serde_json::json!(["a", "b\"c"]))
                .unwrap()
        },
        || r#","tenant":["a","b\"c"]"#.to_owned(),
    ),
    (
        "x5t#S256 and a long extra claim",
        |a| {
            a.with_x5t_s256(b"certificate")
                .claim("long", serde_json::json!("x".repeat(600)))
                .unwrap()
        },
        || format!(r#","long":"{}""#, "x".repeat(600)),
    ),
];

/// 0 to 2 spaces: what brings `len` bytes to a multiple of 3.
fn pad(len: usize) -> String {
    " ".repeat((3 - len % 3) % 3)
}

/// The length of `n` bytes in unpadded base64.
fn b64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// The SHA-2 blocks the HMAC's inner hash spends on the last `rest` characters of a signing
/// input when they start at character `start`: the message, a 1 bit and the 64- or 128-bit
/// length (FIPS 180-4 §5.1).
fn last_blocks(alg: Algorithm, start: usize, rest: usize) -> usize {
    let (block, length) = if alg == Algorithm::HS256 {
        (64, 8)
    } else {
        (128, 16)
    };
    (start % block + rest + 1 + length).div_ceil(block)
}

/// The payload the documented layout gives for these claims, written out independently of the
/// crate: `{"iss":…,"sub":…,"aud":…,` + 0-2 spaces + `"exp":` (a multiple of 3 bytes), then
/// `exp,"iat":…[,"nbf":…],` + 0-2 spaces + `"jti"` (a multiple of 3 bytes), then
/// `:"jti"`, the extra claims and `}`. Before `"jti"` go also up to 8 groups of 3 spaces: the
/// fewest with which the HMAC spends as few blocks on the rest (`:"jti"…}`, 24 + 2 + extra
/// bytes) as with any count up to 8. `header` is the length of the header segment.
fn expected_payload(
    alg: Algorithm,
    header: usize,
    id: &str,
    claims: &serde_json::Value,
    extra: &str,
) -> String {
    let mut p = format!(r#"{{"iss":"{id}","sub":"{id}","aud":"{AUD}","#);
    p += &pad(p.len() + r#""exp":"#.len());
    p += r#""exp":"#;
    let mut segment = format!(r#"{},"iat":{}"#, claims["exp"], claims["iat"]);
    if let Some(nbf) = claims.get("nbf") {
        segment += &format!(r#","nbf":{nbf}"#);
    }
    segment += ",";
    segment += &pad(segment.len() + r#""jti""#.len());
    let start = header + 1 + b64_len(p.len() + segment.len() + r#""jti""#.len());
    let rest = 32 + b64_len(extra.len() + 2);
    let groups = (0..=8)
        .find(|&k| {
            (0..=8).all(|j| {
                last_blocks(alg, start + 4 * k, rest) <= last_blocks(alg, start + 4 * j, rest)
            })
        })
        .unwrap();
    segment += &"   ".repeat(groups);
    p += &segment;
    p += &format!(r#""jti":{}{extra}}}"#, claims["jti"]);
    p
}

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

/// The assertion the crate's from-scratch path gives (no cached state: `prepare`, then the
/// key's one-shot signature) for the same time and entropy.
fn from_scratch_signer(a: &ClientAssertion, now: SystemTime, seed: u8) -> String {
    let mut fill = move |b: &mut [u8]| b.fill(seed);
    let prepared = a.prepare(AUD, now, &mut fill).unwrap();
    let sig = a
        .key()
        .sign_raw(prepared.signing_input(), &mut fill)
        .unwrap();
    prepared
        .finish(sig.as_bytes())
        .unwrap()
        .jwt()
        .secret()
        .to_owned()
}

/// Checks one assertion against the from-scratch HMAC, the documented claim layout and the
/// verifier.
fn check(backend: Backend, alg: Algorithm, id: &str, extra: &str, jwt: &str, what: &str) {
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    assert_eq!(
        B64.decode(sig).unwrap(),
        from_scratch(backend, alg, &secret(alg), input.as_bytes()),
        "{what}: the MAC differs from the one-shot HMAC of the signing input"
    );
    let payload = B64.decode(input.split('.').nth(1).unwrap()).unwrap();
    let payload = String::from_utf8(payload).unwrap();
    let claims: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(
        payload,
        expected_payload(alg, input.find('.').unwrap(), id, &claims, extra),
        "{what}: not the documented layout"
    );
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
                for (name, options, extra) in OPTIONS {
                    let extra = extra();
                    let what = format!("{backend} {alg} id {id:?} {name}");
                    // The first mint computes the absorbed state, the second reuses it.
                    let cached = assertion(backend, alg, id, options);
                    let first = mint(&cached, AUD, t1, 1);
                    let second = mint(&cached, AUD, t2, 2);
                    check(backend, alg, id, &extra, &first, &what);
                    check(backend, alg, id, &extra, &second, &what);
                    assert_ne!(first, second);

                    // A signer that first minted for another audience signs this one from
                    // scratch: the same bytes.
                    let scratch = assertion(backend, alg, id, options);
                    mint(&scratch, "https://other.example", t1, 3);
                    assert_eq!(mint(&scratch, AUD, t2, 2), second, "{what}");

                    // A clone carries the state; an option that changes the header resets it.
                    let typed = cached.clone().with_typ();
                    let jwt = mint(&typed, AUD, t2, 2);
                    check(backend, alg, id, &extra, &jwt, &what);
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

#[test]
fn hs_assertions_across_seconds_equal_the_from_scratch_path_on_every_backend() {
    // Forwards across second boundaries, the same second again, and back in time: each
    // second's state is built when first needed and replaced when another second comes.
    let seconds = [
        1_700_000_000,
        1_700_000_001,
        1_700_000_001,
        1_700_000_002,
        1_700_000_000,
        // Where exp and iat gain a digit: the segment's length and padding change.
        9_999_999_950,
        9_999_999_999,
        10_000_000_000,
    ];
    for backend in Backend::available() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            for id in ["c", "cl", "cli"] {
                for (name, options, extra) in OPTIONS {
                    let extra = extra();
                    let a = assertion(backend, alg, id, options);
                    for (i, &secs) in seconds.iter().enumerate() {
                        let what = format!("{backend} {alg} id {id:?} {name} at {secs}");
                        let seed = i as u8 * 17 + 1;
                        let jwt = mint(&a, AUD, at(secs), seed);
                        assert_eq!(jwt, from_scratch_signer(&a, at(secs), seed), "{what}");
                        if secs < 2_000_000_000 {
                            check(backend, alg, id, &extra, &jwt, &what);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn options_set_on_a_clone_after_minting_reach_its_next_assertion() {
    // One second throughout: a state cached by the first mint would be reused if an option
    // did not reset it.
    let now = at(1_700_000_000);
    for backend in Backend::available() {
        let base = assertion(backend, Algorithm::HS256, "cl", OPTIONS[0].1);
        mint(&base, AUD, now, 1);
        let changed: [(&str, ClientAssertion); 3] = [
            (
                "lifetime",
                base.clone()
                    .lifetime(std::time::Duration::from_secs(120))
                    .unwrap(),
            ),
            ("nbf", base.clone().with_nbf()),
            (
                "claim",
                base.clone().claim("x", serde_json::json!(1)).unwrap(),
            ),
        ];
        for (what, a) in changed {
            let jwt = mint(&a, AUD, now, 2);
            assert_eq!(jwt, from_scratch_signer(&a, now, 2), "{backend} {what}");
            assert_ne!(jwt, mint(&base, AUD, now, 2), "{backend} {what}");
        }
    }
}

#[test]
fn concurrent_hs_assertions_equal_the_from_scratch_path_on_every_backend() {
    const THREADS: u64 = 4;
    const EACH: u64 = 300;
    for backend in Backend::available() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let a = Arc::new(assertion(backend, alg, "client-1", OPTIONS[1].1));
            let workers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let a = Arc::clone(&a);
                    std::thread::spawn(move || {
                        for i in 0..EACH {
                            // The threads cross second boundaries at different moments and
                            // come back to earlier seconds, so slots are rebuilt while others
                            // are in use.
                            let now = at(1_700_000_000 + (i / 7 + t * 3) % 11);
                            // A different jti on every call: it picks the slot.
                            let seed = (t * EACH + i) as u8;
                            let jwt = mint(&a, AUD, now, seed);
                            assert_eq!(
                                jwt,
                                from_scratch_signer(&a, now, seed),
                                "{backend} {alg} thread {t} call {i}"
                            );
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
        }
    }
}

/// RFC 2104 §2: keys shorter than the hash block are padded with zeros, longer ones hashed
/// first. The cached state is built from the padded key blocks, so every length class must
/// give the library's own HMAC: the hash length, one short of a block, exactly a block, one
/// over, and several blocks.
#[test]
fn hs_assertions_equal_the_one_shot_hmac_for_keys_around_the_block_length() {
    let now = at(1_700_000_000);
    for backend in Backend::available() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let block = if alg == Algorithm::HS256 { 64 } else { 128 };
            for len in [alg.hash_len(), block - 1, block, block + 1, 3 * block + 5] {
                let secret: Vec<u8> = (0..len).map(|i| (i * 131 % 251) as u8).collect();
                let key = SigningKey::with_backend(
                    backend,
                    alg,
                    &grantwire_jose::PrivateKey::from_secret(&secret),
                )
                .unwrap();
                let a = ClientAssertion::new(ClientId::new("client-1"), key);
                for seed in [1, 2] {
                    let jwt = mint(&a, AUD, now, seed);
                    let (input, sig) = jwt.rsplit_once('.').unwrap();
                    assert_eq!(
                        B64.decode(sig).unwrap(),
                        from_scratch(backend, alg, &secret, input.as_bytes()),
                        "{backend} {alg} key of {len} bytes, mint {seed}"
                    );
                }
            }
        }
    }
}
