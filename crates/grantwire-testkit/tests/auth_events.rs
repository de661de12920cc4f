//! The client-authentication event log: every rejection carries a `client_auth_id` in its error
//! body and an event naming its exact cause; accepted authentications are events too; no event
//! holds a secret, an assertion or a token.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use grantwire::{ClientSecret, SecretString};
use grantwire_jose::{Algorithm, SigningKey};
use grantwire_testkit::{
    AuthEvent, AuthFailureCause, AuthServer, ClientAuthConfig, ClientConfig, EndpointKind,
    GrantType, PresentedCertificate, ServerConfig, MAX_EVENT_TEXT,
};
use http::{Request, Response};
use serde_json::json;

const HS_SECRET: &str = "an HS256 client secret of more than thirty-two bytes";
const JWT_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn events_server() -> AuthServer {
    let mut server = server();
    server.registry_mut().insert(
        ClientConfig::new(
            "hs",
            ClientAuthConfig::client_secret_jwt(ClientSecret::new(HS_SECRET), Algorithm::HS256)
                .unwrap(),
        )
        .grant(GrantType::ClientCredentials)
        .scopes(["read"]),
    );
    server
}

fn token_url() -> String {
    format!("{ISSUER}/token")
}

fn basic(id: &str, secret: &str) -> String {
    // RFC 6749 §2.3.1: each form-encoded before base64.
    let (id, secret) = (grantwire::form::encode(id), grantwire::form::encode(secret));
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn basic_request(id: &str, secret: &str) -> Request<Vec<u8>> {
    let auth = basic(id, secret);
    form_post(
        &token_url(),
        &[("grant_type", "client_credentials")],
        &[("authorization", &auth)],
    )
}

/// An HS assertion with exactly `claims`, signed with `secret` under `alg`.
fn assertion(alg: Algorithm, secret: &str, claims: serde_json::Value) -> SecretString {
    let key = SigningKey::hmac(alg, secret.as_bytes()).unwrap();
    let mut e = |b: &mut [u8]| b.fill(3);
    key.sign_compact(&serde_json::to_vec(&claims).unwrap(), None, &mut e)
        .unwrap()
}

fn claims(aud: &str, exp: u64, jti: &str) -> serde_json::Value {
    json!({"iss": "hs", "sub": "hs", "aud": aud, "exp": exp, "iat": T0, "jti": jti})
}

fn assertion_request(jws: &SecretString) -> Request<Vec<u8>> {
    form_post(
        &token_url(),
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_TYPE),
            ("client_assertion", jws.secret()),
        ],
        &[],
    )
}

/// Sends `req`, checks it was refused as `invalid_client` with a `client_auth_id`, and returns
/// the newest event, whose id must be that one.
#[track_caller]
fn rejected(server: &mut AuthServer, req: &Request<Vec<u8>>) -> AuthEvent {
    let before = server.auth_events().count();
    let resp: Response<Vec<u8>> = send(server, req, T0, &mut Rng(7));
    assert_eq!(json(&resp)["error"], "invalid_client");
    let id = json(&resp)["client_auth_id"]
        .as_str()
        .expect("client_auth_id in the error body")
        .to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(server.auth_events().count(), before + 1);
    let event = server.auth_events().next().unwrap().clone();
    assert_eq!(event.client_auth_id.as_deref(), Some(id.as_str()));
    assert!(!event.accepted());
    event
}

/// Neither the event's Debug nor its JSON holds any of `secrets`.
#[track_caller]
fn holds_none_of(event: &AuthEvent, secrets: &[&str]) {
    let debug = format!("{event:?}");
    let json = event.to_json().to_string();
    for s in secrets {
        assert!(!debug.contains(s) && !json.contains(s), "{s:?} in {json}");
    }
}

#[test]
fn wrong_secret() {
    let mut server = events_server();
    let event = rejected(&mut server, &basic_request("basic", "not the secret"));
    assert_eq!(event.cause, Some(AuthFailureCause::WrongSecret));
    assert_eq!(event.client_id.as_deref(), Some("basic"));
    assert_eq!(event.method, Some("client_secret_basic"));
    assert_eq!(event.endpoint, EndpointKind::Token);
    assert_eq!(event.at, T0);
    holds_none_of(&event, &["not the secret", "basic secret"]);
    assert_eq!(event.to_json()["cause"], "wrong_secret");
    assert_eq!(event.to_json()["outcome"], "rejected");
}

#[test]
fn wrong_secret_in_the_body() {
    let mut server = events_server();
    let req = form_post(
        &token_url(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "post"),
            ("client_secret", "guess"),
        ],
        &[],
    );
    let event = rejected(&mut server, &req);
    assert_eq!(event.cause, Some(AuthFailureCause::WrongSecret));
    assert_eq!(event.method, Some("client_secret_post"));
    holds_none_of(&event, &["guess", "post-secret"]);
}

#[test]
fn unknown_client() {
    let mut server = events_server();
    let event = rejected(&mut server, &basic_request("nobody", "x"));
    assert_eq!(event.cause, Some(AuthFailureCause::UnknownClient));
    assert_eq!(event.client_id.as_deref(), Some("nobody"));
}

#[test]
fn a_long_client_id_is_bounded_in_the_event() {
    let mut server = events_server();
    let id = "x".repeat(10_000);
    let event = rejected(&mut server, &basic_request(&id, "x"));
    assert_eq!(event.client_id.unwrap().chars().count(), MAX_EVENT_TEXT + 1);
}

#[test]
fn method_not_registered() {
    let mut server = events_server();
    // "post" is registered for client_secret_post, and uses Basic with the right secret.
    let event = rejected(&mut server, &basic_request("post", "post-secret"));
    assert_eq!(
        event.cause,
        Some(AuthFailureCause::MethodNotRegistered {
            used: "client_secret_basic",
            registered: "client_secret_post",
        })
    );
    // A client_id alone for a confidential client.
    let req = form_post(
        &token_url(),
        &[("grant_type", "client_credentials"), ("client_id", "basic")],
        &[],
    );
    let event = rejected(&mut server, &req);
    assert_eq!(
        event.cause,
        Some(AuthFailureCause::MethodNotRegistered {
            used: "none",
            registered: "client_secret_basic",
        })
    );
}

#[test]
fn assertion_expired() {
    let mut server = events_server();
    let jws = assertion(Algorithm::HS256, HS_SECRET, claims(ISSUER, T0 - 120, "j1"));
    let event = rejected(&mut server, &assertion_request(&jws));
    assert_eq!(
        event.cause,
        Some(AuthFailureCause::AssertionExpired {
            exp: T0 - 120,
            now: T0
        })
    );
    assert_eq!(event.client_id.as_deref(), Some("hs"));
    assert_eq!(event.method, Some("client_secret_jwt"));
    holds_none_of(&event, &[jws.secret(), HS_SECRET]);
}

#[test]
fn audience_wrong_says_what_it_was() {
    let mut server = events_server();
    let token_endpoint = token_url();
    let jws = assertion(
        Algorithm::HS256,
        HS_SECRET,
        claims(&token_endpoint, T0 + 60, "j1"),
    );
    let event = rejected(&mut server, &assertion_request(&jws));
    assert_eq!(
        event.cause,
        Some(AuthFailureCause::AudienceWrong {
            aud: token_endpoint.clone(),
            expected: ISSUER.to_owned(),
        })
    );
    let text = event.to_json()["cause_text"].as_str().unwrap().to_owned();
    assert!(
        text.contains(&token_endpoint) && text.contains(ISSUER),
        "{text}"
    );
    // An array is named by its JSON text.
    let mut c = claims(ISSUER, T0 + 60, "j2");
    c["aud"] = json!([ISSUER]);
    let event = rejected(
        &mut server,
        &assertion_request(&assertion(Algorithm::HS256, HS_SECRET, c)),
    );
    assert!(
        matches!(&event.cause, Some(AuthFailureCause::AudienceWrong { aud, .. }) if *aud == format!("[\"{ISSUER}\"]"))
    );
}

#[test]
fn jti_replayed_after_an_accepted_use() {
    let mut server = events_server();
    let jws = assertion(Algorithm::HS256, HS_SECRET, claims(ISSUER, T0 + 60, "once"));
    let resp = send(&mut server, &assertion_request(&jws), T0, &mut Rng(1));
    assert_eq!(resp.status(), 200);
    let accepted = server.auth_events().next().unwrap().clone();
    assert!(accepted.accepted());
    assert_eq!(accepted.client_id.as_deref(), Some("hs"));
    assert_eq!(accepted.method, Some("client_secret_jwt"));
    assert_eq!(accepted.client_auth_id, None);
    let event = rejected(&mut server, &assertion_request(&jws));
    assert_eq!(event.cause, Some(AuthFailureCause::JtiReplayed));
    holds_none_of(&event, &[jws.secret(), "once"]);
}

#[test]
fn alg_not_allowed_for_the_client() {
    let mut server = events_server();
    // Right secret, right claims, but HS384 where HS256 is registered.
    let jws = assertion(Algorithm::HS384, HS_SECRET, claims(ISSUER, T0 + 60, "j1"));
    let event = rejected(&mut server, &assertion_request(&jws));
    assert_eq!(
        event.cause,
        Some(AuthFailureCause::AlgNotAllowed {
            alg: "HS384".into(),
            registered: "HS256",
        })
    );
}

#[test]
fn bad_signature() {
    let mut server = events_server();
    let jws = assertion(
        Algorithm::HS256,
        "another secret of more than thirty-two bytes!!",
        claims(ISSUER, T0 + 60, "j1"),
    );
    let event = rejected(&mut server, &assertion_request(&jws));
    assert_eq!(event.cause, Some(AuthFailureCause::BadSignature));
}

#[test]
fn certificate_mismatch_and_missing() {
    let mut server = events_server();
    let mut req = form_post(
        &token_url(),
        &[("grant_type", "client_credentials"), ("client_id", "mtls")],
        &[],
    );
    let event = rejected(&mut server, &req);
    assert_eq!(event.cause, Some(AuthFailureCause::CertificateMissing));
    req.extensions_mut().insert(PresentedCertificate::new(
        b"der".to_vec(),
        "CN=someone else,O=Example",
    ));
    let event = rejected(&mut server, &req);
    assert_eq!(event.cause, Some(AuthFailureCause::CertificateMismatch));
    assert_eq!(event.method, Some("tls_client_auth"));
    req.extensions_mut().insert(PresentedCertificate::new(
        b"der".to_vec(),
        "CN=mtls,O=Example",
    ));
    let resp = send(&mut server, &req, T0, &mut Rng(1));
    assert_eq!(resp.status(), 200);
    assert!(server.auth_events().next().unwrap().accepted());
}

#[test]
fn public_client_at_introspection_and_no_credentials() {
    let mut server = events_server();
    let url = format!("{ISSUER}/introspect");
    let req = form_post(&url, &[("token", "t"), ("client_id", "public")], &[]);
    let event = rejected(&mut server, &req);
    assert_eq!(event.cause, Some(AuthFailureCause::PublicClientNotAllowed));
    assert_eq!(event.endpoint, EndpointKind::Introspection);
    let req = form_post(&url, &[("token", "t")], &[]);
    let event = rejected(&mut server, &req);
    assert_eq!(event.cause, Some(AuthFailureCause::NoCredentials));
}

#[test]
fn accepted_authentications_are_events_without_an_id() {
    let mut server = events_server();
    let resp = send(
        &mut server,
        &basic_request("basic", "basic secret:+%"),
        T0,
        &mut Rng(1),
    );
    assert_eq!(resp.status(), 200);
    let event = server.auth_events().next().unwrap().clone();
    assert!(event.accepted());
    assert_eq!(event.cause, None);
    assert_eq!(event.client_id.as_deref(), Some("basic"));
    assert_eq!(event.to_json()["outcome"], "accepted");
    let access = json(&resp)["access_token"].as_str().unwrap().to_owned();
    holds_none_of(&event, &["basic secret", &access]);
    // A later failure that is not about client authentication has no id and an accepted event.
    let req = form_post(
        &token_url(),
        &[("grant_type", "client_credentials"), ("scope", "admin")],
        &[("authorization", &basic("basic", "basic secret:+%"))],
    );
    let resp = send(&mut server, &req, T0, &mut Rng(1));
    assert_eq!(json(&resp)["error"], "invalid_scope");
    assert!(json(&resp).get("client_auth_id").is_none());
    assert!(server.auth_events().next().unwrap().accepted());
    assert_eq!(server.auth_events().count(), 2);
    server.clear_auth_events();
    assert_eq!(server.auth_events().count(), 0);
}

#[test]
fn ids_are_drawn_from_the_servers_entropy() {
    let mut a = events_server();
    let mut b = AuthServer::new(ServerConfig::new(ISSUER).unwrap(), registry());
    let req = basic_request("basic", "wrong");
    let first = send(&mut a, &req, T0, &mut Rng(5));
    let same = send(&mut b, &req, T0, &mut Rng(5));
    let other = send(&mut a, &req, T0, &mut Rng(6));
    assert_eq!(
        json(&first)["client_auth_id"],
        json(&same)["client_auth_id"]
    );
    assert_ne!(
        json(&first)["client_auth_id"],
        json(&other)["client_auth_id"]
    );
}
