//! Client-assertion benchmark: for every algorithm and backend, our complete assertion
//! (claims, header, signature, base64url encoding) against the raw signature of the same
//! backend over an input of the same size, and against `jsonwebtoken` (both its providers,
//! aws-lc-rs and RustCrypto) where it supports the algorithm (it has no ES512). Ratios are
//! printed at the end of the one run.
//!
//! ```sh
//! cargo bench -p grantwire-jose --all-features --bench assertion
//! ```
//!
//! "Raw" is the backend's own API with a key parsed once and an output buffer reused (ring and
//! aws-lc-rs); ES512 on ring and RustCrypto is the `p521` crate's own `sign_with_rng`; the
//! rest of the pure-Rust backend is its signer through [`SigningKey::sign_raw`].
//!
//! Every row, ours, raw and `jsonwebtoken` alike, reads the real clock (`SystemTime::now`)
//! and draws 16 random bytes (the `jti`) from a cryptographic generator (`rand`'s
//! `ThreadRng`) in its timed loop, as a service minting assertions does.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use criterion::Criterion;
use grantwire::ClientId;
use grantwire_jose::{Algorithm, Backend, ClientAssertion, PrivateKey, SigningKey};

const AUDIENCE: &str = "https://as.example.com";
const CLIENT_ID: &str = "s6BhdRkqt3-client";

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn pem_body(pem: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(pem.to_vec()).expect("PEM is text");
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body is base64")
}

fn secret(alg: Algorithm) -> Vec<u8> {
    vec![0x5a; alg.hash_len()]
}

/// PEM of the private key used for `alg`.
fn key_pem(alg: Algorithm) -> Vec<u8> {
    match alg {
        Algorithm::ES256 => vector("rfc7515_a3_private.pem"),
        Algorithm::ES384 => vector("p384_pkcs8.pem"),
        Algorithm::ES512 => vector("rfc7515_a4_private.pem"),
        Algorithm::EdDSA => vector("ed25519_pkcs8.pem"),
        _ => vector("rfc7515_a2_private.pem"),
    }
}

fn private_key(alg: Algorithm) -> PrivateKey {
    if alg.is_symmetric() {
        PrivateKey::from_secret(&secret(alg))
    } else {
        PrivateKey::from_pem(&key_pem(alg)).expect("test key")
    }
}

/// Every row reads the real clock, as a service does.
fn now() -> SystemTime {
    SystemTime::now()
}

/// Every row draws its randomness from a cryptographic generator (`rand`'s `ThreadRng`,
/// ChaCha12 seeded by the operating system), as a service does.
fn entropy() -> impl FnMut(&mut [u8]) {
    let mut rng = rand::thread_rng();
    move |buf: &mut [u8]| rand::RngCore::fill_bytes(&mut rng, buf)
}

/// What every "raw" row does besides signing, so that it pays for the same clock read and
/// the same 16 random bytes (the `jti`) as an assertion.
fn clock_and_jti(e: &mut impl FnMut(&mut [u8])) {
    black_box(now());
    let mut jti = [0u8; 16];
    e(&mut jti);
    black_box(jti);
}

/// A raw signing closure for `alg` on `backend`, over inputs of `len` bytes.
/// A signing loop body.
type RawSign = Box<dyn FnMut(&[u8])>;

fn raw_signer(backend: Backend, alg: Algorithm) -> RawSign {
    #[allow(unused_macros)] // unused in a pure-Rust-only build
    macro_rules! ring_like {
        ($c:ident, $ec_from_pkcs8:expr) => {{
            use $c::signature as s;
            match alg.family() {
                grantwire_jose::Family::Hmac => {
                    let a = match alg {
                        Algorithm::HS384 => $c::hmac::HMAC_SHA384,
                        Algorithm::HS512 => $c::hmac::HMAC_SHA512,
                        _ => $c::hmac::HMAC_SHA256,
                    };
                    let key = $c::hmac::Key::new(a, &secret(alg));
                    let mut e = entropy();
                    return Box::new(move |m: &[u8]| {
                        clock_and_jti(&mut e);
                        black_box($c::hmac::sign(&key, m));
                    });
                }
                grantwire_jose::Family::EdDsa => {
                    let pair =
                        s::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_body(&key_pem(alg)))
                            .unwrap();
                    let mut e = entropy();
                    return Box::new(move |m: &[u8]| {
                        clock_and_jti(&mut e);
                        black_box(pair.sign(m));
                    });
                }
                grantwire_jose::Family::RsaPkcs1 | grantwire_jose::Family::RsaPss => {
                    let pair = s::RsaKeyPair::from_pkcs8(&vector("rsa2048_pkcs8.der")).unwrap();
                    let enc: &'static dyn s::RsaEncoding = match alg {
                        Algorithm::RS256 => &s::RSA_PKCS1_SHA256,
                        Algorithm::RS384 => &s::RSA_PKCS1_SHA384,
                        Algorithm::RS512 => &s::RSA_PKCS1_SHA512,
                        Algorithm::PS256 => &s::RSA_PSS_SHA256,
                        Algorithm::PS384 => &s::RSA_PSS_SHA384,
                        _ => &s::RSA_PSS_SHA512,
                    };
                    let rng = $c::rand::SystemRandom::new();
                    // The benchmark key is RSA-2048: 256-byte signatures.
                    let mut sig = vec![0u8; 256];
                    let mut e = entropy();
                    return Box::new(move |m: &[u8]| {
                        clock_and_jti(&mut e);
                        pair.sign(enc, &rng, m, &mut sig).unwrap();
                        black_box(&sig);
                    });
                }
                _ => {
                    let a = match alg {
                        Algorithm::ES256 => Some(&s::ECDSA_P256_SHA256_FIXED_SIGNING),
                        Algorithm::ES384 => Some(&s::ECDSA_P384_SHA384_FIXED_SIGNING),
                        _ => None,
                    };
                    if let Some(a) = a {
                        let der = pem_body(&key_pem(alg));
                        let rng = $c::rand::SystemRandom::new();
                        let pair = $ec_from_pkcs8(a, &der, &rng);
                        let mut e = entropy();
                        return Box::new(move |m: &[u8]| {
                            clock_and_jti(&mut e);
                            black_box(pair.sign(&rng, m).unwrap());
                        });
                    }
                }
            }
        }};
    }
    match backend {
        #[cfg(feature = "ring")]
        Backend::Ring => ring_like!(ring, |a, d: &[u8], r: &ring::rand::SystemRandom| {
            ring::signature::EcdsaKeyPair::from_pkcs8(a, d, r).unwrap()
        }),
        #[cfg(feature = "aws-lc-rs")]
        Backend::AwsLc => {
            if alg == Algorithm::ES512 {
                use aws_lc_rs::signature as s;
                let der = pem_body(&key_pem(alg));
                let pair =
                    s::EcdsaKeyPair::from_pkcs8(&s::ECDSA_P521_SHA512_FIXED_SIGNING, &der).unwrap();
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let mut e = entropy();
                return Box::new(move |m: &[u8]| {
                    clock_and_jti(&mut e);
                    black_box(pair.sign(&rng, m).unwrap());
                });
            }
            ring_like!(
                aws_lc_rs,
                |a, d: &[u8], _r: &aws_lc_rs::rand::SystemRandom| {
                    aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(a, d).unwrap()
                }
            )
        }
        _ => {}
    }
    #[cfg(any(feature = "ring", feature = "rust-crypto"))]
    if alg == Algorithm::ES512 {
        // ES512 under ring and RustCrypto is the `p521` crate: its own signer, with the
        // generator itself as its RNG.
        use p521::ecdsa::signature::RandomizedSigner as _;
        let jwk: serde_json::Value =
            serde_json::from_slice(&vector("rfc7515_a4.jwk")).expect("JWK");
        let d = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwk["d"].as_str().expect("d"))
            .expect("base64url");
        let key = p521::ecdsa::SigningKey::from_slice(&d).expect("P-521 scalar");
        let mut rng = rand::thread_rng();
        return Box::new(move |m: &[u8]| {
            let mut e = |b: &mut [u8]| rand::RngCore::fill_bytes(&mut rng, b);
            clock_and_jti(&mut e);
            let sig: p521::ecdsa::Signature = key.sign_with_rng(&mut rng, m);
            black_box(sig);
        });
    }
    // The backend's signer through our thin adapter (the rest of the pure-Rust backend).
    let key = SigningKey::with_backend(backend, alg, &private_key(alg)).unwrap();
    let mut e = entropy();
    Box::new(move |m: &[u8]| {
        clock_and_jti(&mut e);
        black_box(key.sign_raw(m, &mut e).unwrap());
    })
}

/// jsonwebtoken selects its provider once per process; this provider forwards to the one
/// the switch names, so both are measured in one run (one relaxed atomic load per encode).
static USE_AWS_LC: AtomicBool = AtomicBool::new(false);

static SWITCH: jsonwebtoken::crypto::CryptoProvider = jsonwebtoken::crypto::CryptoProvider {
    signer_factory: |alg, key| {
        if USE_AWS_LC.load(Ordering::Relaxed) {
            (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.signer_factory)(alg, key)
        } else {
            (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.signer_factory)(alg, key)
        }
    },
    verifier_factory: |alg, key| {
        if USE_AWS_LC.load(Ordering::Relaxed) {
            (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.verifier_factory)(alg, key)
        } else {
            (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key)
        }
    },
    key_utils: jsonwebtoken::crypto::KeyUtils::new_unimplemented(),
};

#[derive(serde::Serialize)]
struct JwtClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    jti: String,
}

fn jsonwebtoken_setup(alg: Algorithm) -> Option<(jsonwebtoken::Header, jsonwebtoken::EncodingKey)> {
    use jsonwebtoken::{Algorithm as J, EncodingKey};
    let j = match alg {
        Algorithm::HS256 => J::HS256,
        Algorithm::HS384 => J::HS384,
        Algorithm::HS512 => J::HS512,
        Algorithm::RS256 => J::RS256,
        Algorithm::RS384 => J::RS384,
        Algorithm::RS512 => J::RS512,
        Algorithm::PS256 => J::PS256,
        Algorithm::PS384 => J::PS384,
        Algorithm::PS512 => J::PS512,
        Algorithm::ES256 => J::ES256,
        Algorithm::ES384 => J::ES384,
        _ => return None,
    };
    let key = match alg.family() {
        grantwire_jose::Family::Hmac => EncodingKey::from_secret(&secret(alg)),
        grantwire_jose::Family::Ecdsa => EncodingKey::from_ec_der(&pem_body(&key_pem(alg))),
        _ => EncodingKey::from_rsa_der(&vector("rsa2048_pkcs1.der")),
    };
    let mut header = jsonwebtoken::Header::new(j);
    header.typ = None;
    header.kid = Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs".into());
    Some((header, key))
}

fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")));
    target.join("criterion-jose")
}

fn median_ns(dir: &std::path::Path, group: &str, id: &str) -> Option<f64> {
    let path = dir.join(group).join(id).join("new").join("estimates.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn fmt_us(ns: Option<f64>) -> String {
    ns.map_or_else(|| "-".into(), |n| format!("{:.2}", n / 1000.0))
}

fn main() {
    jsonwebtoken::crypto::CryptoProvider::install_default(&SWITCH)
        .expect("no other provider installed");
    let dir = out_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .warm_up_time(Duration::from_millis(400))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(20)
        .configure_from_args();
    let backends = Backend::available();
    for alg in Algorithm::ALL {
        let mut group = c.benchmark_group(alg.name());
        for &backend in &backends {
            let key = SigningKey::with_backend(backend, alg, &private_key(alg))
                .unwrap()
                .with_kid("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
            let assertion = ClientAssertion::new(ClientId::new(CLIENT_ID), key);
            let mut e = entropy();
            let sample = assertion.mint(AUDIENCE, now(), &mut e).unwrap();
            // Check the output once before timing it: a broken path is never measured.
            let vk = assertion.key().verifying_key().unwrap();
            grantwire_jose::Verifier::new(vec![vk])
                .algorithms(&[alg])
                .audience(AUDIENCE)
                .verify(sample.secret(), now())
                .expect("the benchmarked assertion verifies");
            let input_len = sample.secret().rfind('.').unwrap();
            group.bench_function(format!("ours-{backend}"), |b| {
                b.iter(|| black_box(assertion.mint(AUDIENCE, now(), &mut e).unwrap()))
            });
            let mut raw = raw_signer(backend, alg);
            let input = vec![b'e'; input_len];
            group.bench_function(format!("raw-{backend}"), |b| {
                b.iter(|| raw(black_box(&input)))
            });
        }
        if let Some((header, key)) = jsonwebtoken_setup(alg) {
            for (name, aws) in [
                ("jsonwebtoken-aws-lc-rs", true),
                ("jsonwebtoken-rust-crypto", false),
            ] {
                USE_AWS_LC.store(aws, Ordering::Relaxed);
                let mut e = entropy();
                group.bench_function(name, |b| {
                    b.iter(|| {
                        let iat = now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                        let mut jti = [0u8; 16];
                        e(&mut jti);
                        let claims = JwtClaims {
                            iss: CLIENT_ID,
                            sub: CLIENT_ID,
                            aud: AUDIENCE,
                            exp: iat + 60,
                            iat,
                            jti: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti),
                        };
                        black_box(jsonwebtoken::encode(&header, &claims, &key).unwrap())
                    })
                });
                assert!(
                    jsonwebtoken::encode(
                        &header,
                        &JwtClaims {
                            iss: CLIENT_ID,
                            sub: CLIENT_ID,
                            aud: AUDIENCE,
                            exp: 1,
                            iat: 0,
                            jti: String::new()
                        },
                        &key
                    )
                    .is_ok(),
                    "jsonwebtoken ({name}) signs {alg}"
                );
            }
        }
        group.finish();
    }
    c.final_summary();
    // Under `cargo test` criterion runs each benchmark once without measuring: no table then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }

    println!();
    println!("Client assertions, median µs (ratios: ours / raw signature of the same backend; ours / fastest jsonwebtoken)");
    println!(
        "{:<6} {:<12} {:>10} {:>10} {:>8} {:>12} {:>12} {:>10}",
        "alg", "backend", "ours", "raw", "ours/raw", "jwt aws-lc", "jwt rc", "ours/jwt"
    );
    for alg in Algorithm::ALL {
        let g = alg.name();
        let jwt_aws = median_ns(&dir, g, "jsonwebtoken-aws-lc-rs");
        let jwt_rc = median_ns(&dir, g, "jsonwebtoken-rust-crypto");
        let fastest = match (jwt_aws, jwt_rc) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for &backend in &backends {
            let ours = median_ns(&dir, g, &format!("ours-{backend}"));
            let raw = median_ns(&dir, g, &format!("raw-{backend}"));
            let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => format!("{:.2}", a / b),
                _ => "-".into(),
            };
            println!(
                "{:<6} {:<12} {:>10} {:>10} {:>8} {:>12} {:>12} {:>10}",
                g,
                backend.name(),
                fmt_us(ours),
                fmt_us(raw),
                ratio(ours, raw),
                fmt_us(jwt_aws),
                fmt_us(jwt_rc),
                ratio(ours, fastest)
            );
        }
    }
}
