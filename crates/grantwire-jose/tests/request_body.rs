//! Requests authenticated with `client_secret_jwt` and `private_key_jwt`: their `Debug` never
//! shows the assertion, and the body is written into one allocation, never reallocated (a
//! `realloc` would free a copy of the assertion unwiped).
//!
//! One test function: the counting allocator is process-wide, so nothing may run beside it.

mod common;

use std::alloc::System;

use common::*;
use grantwire::{
    AuthorizationCodeGrant, AuthorizationServer, Client, ClientAuthentication, ClientCredentials,
    ClientId, ClientSecret, Context, Endpoint, IntrospectionRequest, Issuer, JwtBearer,
    RefreshGrant, RefreshToken, RevocationRequest, SecretRequest, SecretString, TokenExchange,
};
use grantwire_jose::{Algorithm, ClientSecretJwt, PrivateKeyJwt, SigningKey};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const NOW: u64 = 1_700_000_000;
const SECRET: &str = "CANARYsecret7f3a9c1e5b-and-more-bytes-for-hs512-keys-0123456789abcdef";
const TOKEN: &str = "CANARYtoken2d8e4b6f0a1c";

/// Reallocations the backend itself makes while signing, at most, over many signatures
/// (aws-lc-rs's ECDSA reallocates inside its own signature handling for some signatures,
/// depending on the random nonce): what building a request may add on top of them is zero.
fn backend_reallocations(alg: Algorithm) -> usize {
    let key = if alg.is_symmetric() {
        SigningKey::hmac(alg, SECRET.as_bytes()).unwrap()
    } else {
        signing_key(alg)
    };
    let mut entropy = counter_entropy();
    let input = [b'a'; 600];
    (0..64)
        .map(|_| {
            let region = Region::new(GLOBAL);
            let signature = key.sign_raw(&input, &mut entropy).unwrap();
            let reallocations = region.change().reallocations;
            drop(signature);
            reallocations
        })
        .max()
        .unwrap_or(0)
}

fn methods() -> Vec<(String, Box<dyn ClientAuthentication>)> {
    let mut out: Vec<(String, Box<dyn ClientAuthentication>)> = Vec::new();
    for alg in Algorithm::ALL {
        let auth: Box<dyn ClientAuthentication> = if alg.is_symmetric() {
            Box::new(
                ClientSecretJwt::new(ClientId::new("client 1"), &ClientSecret::new(SECRET), alg)
                    .unwrap(),
            )
        } else {
            Box::new(PrivateKeyJwt::new(ClientId::new("client 1"), signing_key(alg)).unwrap())
        };
        out.push((alg.name().to_owned(), auth));
    }
    out
}

/// One request builder.
type Build<'a> = dyn Fn(&mut Context<'_>) -> SecretRequest + 'a;

/// Builds every request type with `auth`, each inside a counted region.
fn build_all(auth: Box<dyn ClientAuthentication>) -> Vec<(&'static str, SecretRequest, usize)> {
    let issuer = Issuer::parse("https://as.example").unwrap();
    let other = Endpoint::parse("https://as.example/oauth2/introspect").unwrap();
    let server =
        AuthorizationServer::new(Endpoint::parse("https://as.example/oauth2/token").unwrap())
            .with_issuer(issuer)
            .with_introspection_endpoint(other.clone())
            .with_revocation_endpoint(other);
    let client = Client::from_arcs(server.into(), auth.into()).unwrap();
    let auth = &client;
    let builds: [(&str, &Build<'_>); 7] = [
        ("client_credentials", &|c| {
            ClientCredentials::new().to_request(auth, c).unwrap()
        }),
        ("refresh", &|c| {
            RefreshGrant::new(RefreshToken::new(TOKEN))
                .to_request(auth, c)
                .unwrap()
        }),
        ("authorization_code", &|c| {
            AuthorizationCodeGrant::new(SecretString::new(TOKEN))
                .to_request(auth, c)
                .unwrap()
        }),
        ("jwt_bearer", &|c| {
            JwtBearer::new(SecretString::new(TOKEN))
                .to_request(auth, c)
                .unwrap()
        }),
        ("token_exchange", &|c| {
            TokenExchange::new(SecretString::new(TOKEN), "urn:t")
                .to_request(auth, c)
                .unwrap()
        }),
        ("introspection", &|c| {
            IntrospectionRequest::new(SecretString::new(TOKEN))
                .to_request(auth, c)
                .unwrap()
        }),
        ("revocation", &|c| {
            RevocationRequest::new(SecretString::new(TOKEN))
                .to_request(auth, c)
                .unwrap()
        }),
    ];
    builds
        .iter()
        .map(|(name, build)| {
            let mut entropy = counter_entropy();
            let mut ctx = Context::new(at(NOW), &mut entropy);
            let region = Region::new(GLOBAL);
            let req = build(&mut ctx);
            (*name, req, region.change().reallocations)
        })
        .collect()
}

#[test]
fn assertion_requests_hide_the_assertion_and_are_written_without_reallocation() {
    let byte_list = format!("{:?}", "CANARY".as_bytes());
    let byte_list = byte_list.trim_matches(|c| c == '[' || c == ']').to_owned();
    let mut checked = 0;
    for (alg, auth) in methods() {
        let backend = backend_reallocations(Algorithm::from_name(&alg).unwrap());
        for (grant, req, reallocations) in build_all(auth) {
            let what = format!("{grant} with {alg}");
            // No realloc of ours while building: the body was sized once from the size hint.
            assert!(
                reallocations <= backend,
                "{what}: {reallocations} reallocation(s), the backend's signing makes {backend}"
            );
            let pairs = grantwire::form::parse(req.body()).unwrap();
            let assertion = pairs
                .iter()
                .find(|(k, _)| k == "client_assertion")
                .map(|(_, v)| v.clone())
                .unwrap();
            let signature = assertion.rsplit('.').next().unwrap().to_owned();
            // `http::Request<Vec<u8>>` prints a body as byte values: look for those too.
            let signature_bytes = format!("{:?}", &signature.as_bytes()[..12]);
            let signature_bytes = signature_bytes.trim_matches(|c| c == '[' || c == ']');
            let shown = [
                format!("{req:?}"),
                format!("{req:#?}"),
                format!("{:?}", req.as_http()),
            ];
            let (_, body) = req.into_parts();
            let hint_slack = body.capacity() - body.len();
            // The bound is tight: only the timestamps are counted at their widest.
            assert!(hint_slack <= 64, "{what}: {hint_slack} spare bytes");
            for text in shown.iter().chain([&format!("{body:?}")]) {
                for needle in [
                    &signature[..],
                    &assertion[..40],
                    signature_bytes,
                    TOKEN,
                    "CANARY",
                    &byte_list,
                ] {
                    assert!(!text.contains(needle), "{what} leaked {needle}: {text}");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, Algorithm::ALL.len() * 7);
}
