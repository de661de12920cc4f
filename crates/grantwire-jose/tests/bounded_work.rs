//! Issue 8: JWK set parsing, verifier construction and key lookup stay linear on a JWK set at
//! the 256 KiB limit (thousands of keys, repeated `kid`s, duplicate members in a key).

use std::time::{Duration, Instant, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use grantwire_jose::{Error, JwkSet, Verifier};

const BOUND: Duration = Duration::from_millis(1500);

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < BOUND, "{what} took {took:?}, more than {BOUND:?}");
    out
}

fn big_set() -> String {
    let x = URL_SAFE_NO_PAD.encode([7u8; 32]);
    let mut keys = Vec::new();
    let mut len = 20;
    let mut i = 0;
    while len < JwkSet::MAX_BYTES - 200 {
        let key = match i % 3 {
            // Ten keys share each kid.
            0 => format!(
                r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"k{}"}}"#,
                i / 30
            ),
            // A key with a duplicate member: refused by its own parse, skipped by the set.
            1 => format!(r#"{{"kty":"OKP","kty":"EC","crv":"Ed25519","x":"{x}"}}"#),
            _ => format!(r#"{{"kty":"oct","k":"AAAA","kid":"s{i}"}}"#),
        };
        len += key.len() + 1;
        keys.push(key);
        i += 1;
    }
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

#[test]
fn jwks_at_the_size_limit() {
    let json = big_set();
    assert!(json.len() <= JwkSet::MAX_BYTES);
    let set = timed("JwkSet::from_json", || JwkSet::from_json(json.as_bytes())).unwrap();
    assert!(set.keys.len() > 1000);
    let verifier = timed("Verifier::from_jwks", || Verifier::from_jwks(&set));
    assert!(verifier.keys().len() > 500);
    // A token naming no key: one scan of the keys, then a typed error.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","kid":"absent"}"#);
    let token = format!("{header}.e30.AAAA");
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for _ in 0..100 {
        let r = timed("verify, no matching key", || verifier.verify(&token, now));
        assert!(matches!(r, Err(Error::NoMatchingKey { .. })), "{r:?}");
    }
}
