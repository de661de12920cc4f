//! Properties: for arbitrary client ids, audiences, times and keys, sign then verify succeeds
//! and the claims round-trip; any single-byte change of header, payload or signature fails.

mod common;

use common::*;
use grantwire::ClientId;
use grantwire_jose::{Algorithm, Backend, ClientAssertion, PrivateKey, SigningKey, Verifier};
use proptest::prelude::*;

fn alg() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

/// A signing key for `alg`: HMAC secrets are arbitrary (of a valid length), asymmetric keys
/// come from the fixed test set.
fn key(alg: Algorithm, secret: &[u8], backend_index: usize) -> SigningKey {
    let backends = Backend::available();
    let backend = backends[backend_index % backends.len()];
    let private = if alg.is_symmetric() {
        PrivateKey::from_secret(secret)
    } else {
        key_for(alg)
    };
    SigningKey::with_backend(backend, alg, &private).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_round_trips(
        alg in alg(),
        secret in prop::collection::vec(any::<u8>(), 64..96),
        backend in 0usize..3,
        client_id in "\\PC{1,40}",
        audience in "https://[a-z]{1,20}\\.example(/[ -~]{0,20})?",
        now in 0u64..(1 << 40),
        seed in any::<u64>(),
    ) {
        let key = key(alg, &secret, backend);
        let mut state = seed;
        let mut entropy = move |b: &mut [u8]| for x in b.iter_mut() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *x = (state >> 56) as u8;
        };
        let jwt = ClientAssertion::new(ClientId::new(client_id.clone()), key.clone())
            .mint(&audience, at(now), &mut entropy)
            .unwrap();
        let v = Verifier::new(vec![key.verifying_key().unwrap()])
            .algorithms(&[alg])
            .issuer(client_id.clone())
            .subject(client_id.clone())
            .audience(audience.clone())
            .verify(jwt.secret(), at(now))
            .unwrap();
        prop_assert_eq!(v.claims.iss.as_deref(), Some(client_id.as_str()));
        prop_assert_eq!(v.claims.aud.clone(), vec![audience]);
        prop_assert_eq!(v.claims.iat, Some(now as i64));
        prop_assert_eq!(v.claims.exp, Some(now as i64 + 60));
        prop_assert!(v.aud_is_single_string());
    }

    #[test]
    fn any_single_byte_change_fails(
        alg in alg(),
        secret in prop::collection::vec(any::<u8>(), 64..96),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let key = key(alg, &secret, 0);
        let mut entropy = counter_entropy();
        let jwt = ClientAssertion::new(ClientId::new("client"), key.clone())
            .mint("https://as.example", at(1_700_000_000), &mut entropy)
            .unwrap();
        let mut bytes = jwt.secret().as_bytes().to_vec();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        // Not UTF-8 any more: cannot even be presented as a token.
        let Ok(tampered) = String::from_utf8(bytes) else { return Ok(()); };
        let verifier = Verifier::new(vec![key.verifying_key().unwrap()]).algorithms(&[alg]);
        prop_assert!(verifier.verify(&tampered, at(1_700_000_000)).is_err(), "accepted: {}", tampered);
    }
}
