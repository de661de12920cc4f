//! Endpoint behaviour of the Sans-IO server: every grant, every built-in client-authentication
//! method, introspection, revocation, metadata, the resource, faults and counters.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use grantwire::grant::token_type_uri;
use grantwire::{
    AuthorizationCodeGrant, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
    ClientSecretPost, ErrorCode, NoneAuth, PkceVerifier, RefreshGrant, RefreshToken, Scope,
    SecretString, SelfSignedTlsClientAuth, TlsClientAuth, TokenExchange, TokenResponse,
};
use grantwire_testkit::{
    AuthorizationCodeRequest, ClientRegistry, EndpointKind, Fault, InjectedDelay,
    PresentedCertificate,
};
use http::StatusCode;

fn basic() -> ClientSecretBasic {
    ClientSecretBasic::new(ClientId::new("basic"), ClientSecret::new("basic secret:+%"))
}

fn post() -> ClientSecretPost {
    ClientSecretPost::new(ClientId::new("post"), ClientSecret::new("post-secret"))
}

#[test]
fn client_credentials_with_basic_issues_a_token_the_client_parses() {
    let mut s = server();
    let mut rng = Rng(1);
    let ep = endpoint(&s);
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new()
            .scope(Scope::parse("read").unwrap())
            .audience("https://api.example")
            .resource("https://api.example/v1")
            .to_request(&cl(&ep, &basic()), c)
    })
    .unwrap();
    let resp = send(&mut s, &req, T0, &mut rng);
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let tok = TokenResponse::parse(&resp, at(T0)).unwrap();
    assert_eq!(tok.scope().unwrap().as_str(), "read");
    assert_eq!(tok.expires_at(), Some(at(T0 + 3600)));
    assert!(tok.refresh_token().is_none(), "RFC 6749 §4.4.3");
    // The token works at the resource and introspects with its audiences.
    let token = tok.access_token().secret().to_owned();
    let r = http::Request::get(format!("{ISSUER}/resource"))
        .header("authorization", format!("Bearer {token}"))
        .body(Vec::new())
        .unwrap();
    let resp = send(&mut s, &r, T0 + 1, &mut rng);
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(json(&resp)["sub"], "basic");
    assert_eq!(s.counters().client_at("basic", EndpointKind::Resource), 1);
    let intro = form_post(
        &format!("{ISSUER}/introspect"),
        &[("token", &token)],
        &[("authorization", "Basic cnM6cnMtc2VjcmV0")],
    );
    let resp = send(&mut s, &intro, T0 + 1, &mut rng);
    let j = json(&resp);
    assert_eq!(j["active"], true);
    assert_eq!(
        j["aud"],
        serde_json::json!(["https://api.example", "https://api.example/v1"])
    );
    assert_eq!(j["client_id"], "basic");
    assert_eq!(j["exp"], T0 + 3600);
}

#[test]
fn basic_credentials_are_form_decoded_per_appendix_b() {
    let mut s = server();
    let mut rng = Rng(2);
    // "basic secret:+%" with a space sent as '+', as oauth4webapi and many clients do.
    let raw = b"basic:basic+secret%3A%2B%25";
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    );
    let req = form_post(
        &s.token_endpoint(),
        &[("grant_type", "client_credentials")],
        &[("authorization", &header)],
    );
    assert_eq!(send(&mut s, &req, T0, &mut rng).status(), StatusCode::OK);
    // Sent raw (not form-encoded), '+' decodes to a space and '%' is malformed: rejected.
    let raw = ClientSecretBasic::without_form_encoding(
        ClientId::new("basic"),
        ClientSecret::new("basic secret:+%"),
    )
    .unwrap();
    let ep = endpoint(&s);
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &raw), c)
    })
    .unwrap();
    let resp = send(&mut s, &req, T0, &mut rng);
    assert_error(&resp, "invalid_client", 401);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Basic realm=\"grantwire-testkit\""
    );
}

#[test]
fn invalid_client_status_depends_on_the_header_and_never_echoes_secrets() {
    let mut s = server();
    let mut rng = Rng(3);
    let ep = endpoint(&s);
    let wrong = ClientSecretBasic::new(ClientId::new("basic"), ClientSecret::new("hunter2-wrong"));
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &wrong), c)
    })
    .unwrap();
    let resp = send(&mut s, &req, T0, &mut rng);
    assert_error(&resp, "invalid_client", 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    assert!(!String::from_utf8_lossy(resp.body()).contains("hunter2"));

    let wrong = ClientSecretPost::new(ClientId::new("post"), ClientSecret::new("hunter2-wrong"));
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &wrong), c)
    })
    .unwrap();
    let resp = send(&mut s, &req, T0, &mut rng);
    assert_error(&resp, "invalid_client", 400);
    assert!(!resp.headers().contains_key("www-authenticate"));
    assert!(!String::from_utf8_lossy(resp.body()).contains("hunter2"));

    // A Basic client sending its secret in the body uses the wrong method.
    let misuse =
        ClientSecretPost::new(ClientId::new("basic"), ClientSecret::new("basic secret:+%"));
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &misuse), c)
    })
    .unwrap();
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_client", 400);
    // Unknown client.
    let ghost = ClientSecretBasic::new(ClientId::new("ghost"), ClientSecret::new("x"));
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &ghost), c)
    })
    .unwrap();
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_client", 401);
    // No authentication at all.
    let req = form_post(
        &s.token_endpoint(),
        &[("grant_type", "client_credentials")],
        &[],
    );
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_client", 400);
}

#[test]
fn two_mechanisms_and_malformed_requests_are_invalid_request() {
    let mut s = server();
    let mut rng = Rng(4);
    let ep = endpoint(&s);
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new()
            .extra("client_secret_x", "y")
            .to_request(&cl(&ep, &basic()), c)
    })
    .unwrap();
    assert_eq!(
        send(&mut s, &req, T0, &mut rng).status(),
        StatusCode::OK,
        "unknown parameters are ignored"
    );
    let mut req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &post()), c)
    })
    .unwrap();
    req.headers_mut()
        .insert("authorization", basic_header("basic", "basic secret:+%"));
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_request", 400);
    // Repeated parameter.
    let req = form_post(
        &s.token_endpoint(),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "read"),
            ("scope", "write"),
        ],
        &[(
            "authorization",
            "Basic YmFzaWM6YmFzaWMlMjBzZWNyZXQlM0ElMkIlMjU=",
        )],
    );
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_request", 400);
    // Missing grant_type, unknown grant_type, wrong content type, GET.
    let h = [(
        "authorization",
        "Basic YmFzaWM6YmFzaWMlMjBzZWNyZXQlM0ElMkIlMjU=",
    )];
    let req = form_post(&s.token_endpoint(), &[("scope", "read")], &h);
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_request", 400);
    let req = form_post(&s.token_endpoint(), &[("grant_type", "password")], &h);
    assert_error(
        &send(&mut s, &req, T0, &mut rng),
        "unsupported_grant_type",
        400,
    );
    let mut req = form_post(
        &s.token_endpoint(),
        &[("grant_type", "client_credentials")],
        &h,
    );
    req.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_request", 400);
    let mut req = form_post(
        &s.token_endpoint(),
        &[("grant_type", "client_credentials")],
        &h,
    );
    *req.method_mut() = http::Method::GET;
    let resp = send(&mut s, &req, T0, &mut rng);
    assert_error(&resp, "invalid_request", 405);
    assert_eq!(resp.headers()["allow"], "POST");
}

fn basic_header(id: &str, secret: &str) -> http::HeaderValue {
    let raw = format!(
        "{}:{}",
        grantwire::form::encode(id),
        grantwire::form::encode(secret)
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
    .parse()
    .unwrap()
}

#[test]
fn scope_target_and_grant_policy() {
    let mut s = server();
    let mut rng = Rng(5);
    let ep = endpoint(&s);
    let cases: Vec<(ClientCredentials, &str)> = vec![
        (
            ClientCredentials::new().scope(Scope::parse("admin").unwrap()),
            "invalid_scope",
        ),
        (
            ClientCredentials::new().audience("https://other.example"),
            "invalid_target",
        ),
        (
            ClientCredentials::new().resource("https://api.example/v2"),
            "invalid_target",
        ),
    ];
    for (grant, code) in cases {
        let req = build(T0, &mut rng, |c| grant.to_request(&cl(&ep, &basic()), c)).unwrap();
        assert_error(&send(&mut s, &req, T0, &mut rng), code, 400);
    }
    // "basic" is not allowed authorization_code.
    let req = build(T0, &mut rng, |c| {
        AuthorizationCodeGrant::new(SecretString::new("x")).to_request(&cl(&ep, &basic()), c)
    })
    .unwrap();
    assert_error(
        &send(&mut s, &req, T0, &mut rng),
        "unauthorized_client",
        400,
    );
    // A public client may not use client_credentials even when registered for it.
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &NoneAuth::new(ClientId::new("public"))), c)
    })
    .unwrap();
    assert_error(
        &send(&mut s, &req, T0, &mut rng),
        "unauthorized_client",
        400,
    );
}

#[test]
fn mtls_methods_check_the_presented_certificate() {
    let mut s = server();
    let mut rng = Rng(6);
    let ep = endpoint(&s);
    let tls = TlsClientAuth::new(ClientId::new("mtls"));
    let mut req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &tls), c)
    })
    .unwrap();
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_client", 400);
    req.extensions_mut().insert(PresentedCertificate::new(
        b"any".to_vec(),
        "CN=mtls,O=Example",
    ));
    assert_eq!(send(&mut s, &req, T0, &mut rng).status(), StatusCode::OK);
    req.extensions_mut().insert(PresentedCertificate::new(
        b"any".to_vec(),
        "CN=mtls,O=Other",
    ));
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_client", 400);

    let ss = SelfSignedTlsClientAuth::new(ClientId::new("selfsigned"));
    let mut req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &ss), c)
    })
    .unwrap();
    req.extensions_mut().insert(PresentedCertificate::new(
        b"cert-der-bytes".to_vec(),
        "CN=x",
    ));
    assert_eq!(send(&mut s, &req, T0, &mut rng).status(), StatusCode::OK);
    req.extensions_mut().insert(PresentedCertificate::new(
        b"cert-der-bytez".to_vec(),
        "CN=x",
    ));
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_client", 400);
    assert!(!format!(
        "{:?}",
        PresentedCertificate::new(b"secretder".to_vec(), "CN=x")
    )
    .contains("secretder"));
}

/// Runs the code flow for `client` and returns the token response.
fn code_flow<A: grantwire::ClientAuthentication + Clone + 'static>(
    s: &mut grantwire_testkit::AuthServer,
    rng: &mut Rng,
    client: &A,
    client_id: &str,
) -> TokenResponse {
    let mut e = |b: &mut [u8]| rng.fill(b);
    let verifier = PkceVerifier::generate(&mut e);
    let code = s
        .issue_authorization_code(
            &AuthorizationCodeRequest::new(client_id, "alice")
                .redirect_uri("https://app.example/cb")
                .scope(&Scope::parse("read").unwrap())
                .code_challenge_s256(verifier.challenge_s256()),
            at(T0),
            &mut e,
        )
        .unwrap();
    let ep = endpoint(s);
    let req = build(T0, rng, |c| {
        AuthorizationCodeGrant::new(code)
            .redirect_uri("https://app.example/cb")
            .pkce_verifier(verifier)
            .to_request(&cl(&ep, client), c)
    })
    .unwrap();
    let resp = send(s, &req, T0 + 1, rng);
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    TokenResponse::parse(&resp, at(T0 + 1)).unwrap()
}

#[test]
fn authorization_code_with_pkce_and_refresh_rotation() {
    let mut s = server();
    let mut rng = Rng(7);
    let public = NoneAuth::new(ClientId::new("public"));
    let tok = code_flow(&mut s, &mut rng, &public, "public");
    let rt = tok
        .refresh_token()
        .expect("a refresh token")
        .secret()
        .to_owned();
    let ep = endpoint(&s);
    let refresh = |rt: &str, rng: &mut Rng| {
        build(T0 + 2, rng, |c| {
            RefreshGrant::new(RefreshToken::new(rt)).to_request(&cl(&ep, &public), c)
        })
        .unwrap()
    };
    let resp = send(&mut s, &refresh(&rt, &mut rng), T0 + 2, &mut rng);
    assert_eq!(resp.status(), StatusCode::OK);
    let new = TokenResponse::parse(&resp, at(T0 + 2)).unwrap();
    let rt2 = new.refresh_token().unwrap().secret().to_owned();
    assert_ne!(rt, rt2);
    // The old refresh token stops working; its reuse revokes the whole grant (RFC 9700 §4.14.2).
    assert_error(
        &send(&mut s, &refresh(&rt, &mut rng), T0 + 3, &mut rng),
        "invalid_grant",
        400,
    );
    assert_error(
        &send(&mut s, &refresh(&rt2, &mut rng), T0 + 3, &mut rng),
        "invalid_grant",
        400,
    );
    let r = http::Request::get(format!("{ISSUER}/resource"))
        .header(
            "authorization",
            format!("Bearer {}", new.access_token().secret()),
        )
        .body(Vec::new())
        .unwrap();
    let resp = send(&mut s, &r, T0 + 3, &mut rng);
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
}

#[test]
fn pkce_and_code_tampering_is_invalid_grant() {
    let mut s = server();
    let mut rng = Rng(8);
    let ep = endpoint(&s);
    let mut e = |b: &mut [u8]| Rng(99).fill(b);
    let verifier = PkceVerifier::generate(&mut e);
    let other = PkceVerifier::new("a".repeat(43)).unwrap();
    let mint = |s: &mut grantwire_testkit::AuthServer, rng: &mut Rng| {
        let mut e = |b: &mut [u8]| rng.fill(b);
        s.issue_authorization_code(
            &AuthorizationCodeRequest::new("post", "bob")
                .redirect_uri("https://app.example/cb")
                .code_challenge_s256(verifier.challenge_s256()),
            at(T0),
            &mut e,
        )
        .unwrap()
    };
    let cases: Vec<(Option<PkceVerifier>, &str, u64)> = vec![
        (Some(other), "https://app.example/cb", T0),
        (None, "https://app.example/cb", T0),
        (Some(verifier.clone()), "https://app.example/other", T0),
        (Some(verifier.clone()), "https://app.example/cb", T0 + 61),
    ];
    for (v, redirect, when) in cases {
        let code = mint(&mut s, &mut rng);
        let mut g = AuthorizationCodeGrant::new(code).redirect_uri(redirect);
        if let Some(v) = v {
            g = g.pkce_verifier(v);
        }
        let req = build(when, &mut rng, |c| g.to_request(&cl(&ep, &post()), c)).unwrap();
        assert_error(&send(&mut s, &req, when, &mut rng), "invalid_grant", 400);
    }
    // A code used twice fails the second time and revokes the first token.
    let code = mint(&mut s, &mut rng);
    let g = AuthorizationCodeGrant::new(code)
        .redirect_uri("https://app.example/cb")
        .pkce_verifier(verifier.clone());
    let req = build(T0, &mut rng, |c| g.to_request(&cl(&ep, &post()), c)).unwrap();
    let first = send(&mut s, &req, T0, &mut rng);
    assert_eq!(first.status(), StatusCode::OK);
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_grant", 400);
    let token = json(&first)["access_token"].as_str().unwrap().to_owned();
    let r = http::Request::get(format!("{ISSUER}/resource"))
        .header("authorization", format!("Bearer {token}"))
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        send(&mut s, &r, T0, &mut rng).status(),
        StatusCode::UNAUTHORIZED
    );
    // Another client's code.
    let code = mint(&mut s, &mut rng);
    let req = build(T0, &mut rng, |c| {
        AuthorizationCodeGrant::new(code)
            .redirect_uri("https://app.example/cb")
            .to_request(&cl(&ep, &NoneAuth::new(ClientId::new("public"))), c)
    })
    .unwrap();
    assert_error(&send(&mut s, &req, T0, &mut rng), "invalid_grant", 400);
    // Minting refuses what the authorization endpoint would refuse.
    let mut e = |b: &mut [u8]| rng.fill(b);
    assert!(s
        .issue_authorization_code(
            &AuthorizationCodeRequest::new("post", "bob").redirect_uri("https://app.example/cb"),
            at(T0),
            &mut e
        )
        .is_err());
    assert!(s
        .issue_authorization_code(
            &AuthorizationCodeRequest::new("basic", "bob"),
            at(T0),
            &mut e
        )
        .is_err());
}

#[test]
fn token_exchange_issues_a_delegated_token() {
    let mut s = server();
    let mut rng = Rng(9);
    let mut r77 = Rng(77);
    let mut e = |b: &mut [u8]| r77.fill(b);
    let subject = s
        .issue_access_token(
            "post",
            "alice",
            Some(&Scope::parse("read write").unwrap()),
            at(T0),
            &mut e,
        )
        .unwrap();
    let actor = s
        .issue_access_token("post", "svc-actor", None, at(T0), &mut e)
        .unwrap();
    let ep = endpoint(&s);
    let req = build(T0, &mut rng, |c| {
        TokenExchange::new(
            SecretString::new(subject.secret()),
            token_type_uri::ACCESS_TOKEN,
        )
        .actor_token(
            SecretString::new(actor.secret()),
            token_type_uri::ACCESS_TOKEN,
        )
        .audience("https://api.example")
        .scope(Scope::parse("read").unwrap())
        .to_request(&cl(&ep, &basic()), c)
    })
    .unwrap();
    let resp = send(&mut s, &req, T0 + 1, &mut rng);
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    let j = json(&resp);
    assert_eq!(j["issued_token_type"], token_type_uri::ACCESS_TOKEN);
    assert_eq!(j["scope"], "read");
    let intro = form_post(
        &format!("{ISSUER}/introspect"),
        &[("token", j["access_token"].as_str().unwrap())],
        &[("authorization", "Basic cnM6cnMtc2VjcmV0")],
    );
    let ij = json(&send(&mut s, &intro, T0 + 1, &mut rng));
    assert_eq!(ij["sub"], "alice");
    assert_eq!(ij["act"]["sub"], "svc-actor");
    assert_eq!(ij["aud"], "https://api.example");
    // Wider scope than the subject token's, unknown subject token, wrong type, bad audience.
    let bad: Vec<(TokenExchange, &str)> = vec![
        (
            TokenExchange::new(
                SecretString::new(subject.secret()),
                token_type_uri::ACCESS_TOKEN,
            )
            .scope(Scope::parse("admin").unwrap()),
            "invalid_scope",
        ),
        (
            TokenExchange::new(SecretString::new("nope"), token_type_uri::ACCESS_TOKEN),
            "invalid_request",
        ),
        (
            TokenExchange::new(SecretString::new(subject.secret()), token_type_uri::SAML2),
            "invalid_request",
        ),
        (
            TokenExchange::new(
                SecretString::new(subject.secret()),
                token_type_uri::ACCESS_TOKEN,
            )
            .audience("https://evil.example"),
            "invalid_target",
        ),
    ];
    for (g, code) in bad {
        let req = build(T0, &mut rng, |c| g.to_request(&cl(&ep, &basic()), c)).unwrap();
        assert_error(&send(&mut s, &req, T0 + 1, &mut rng), code, 400);
    }
}

#[test]
fn introspection_policy_and_revocation_semantics() {
    let mut s = server();
    let mut rng = Rng(10);
    let public = NoneAuth::new(ClientId::new("public"));
    let tok = code_flow(&mut s, &mut rng, &public, "public");
    let at_ = tok.access_token().secret().to_owned();
    let rt = tok.refresh_token().unwrap().secret().to_owned();
    let intro = |token: &str, auth: &str| {
        form_post(
            &format!("{ISSUER}/introspect"),
            &[("token", token)],
            &[("authorization", auth)],
        )
    };
    let rs = "Basic cnM6cnMtc2VjcmV0";
    let own = basic_header("basic", "basic secret:+%");
    let own = own.to_str().unwrap();
    assert_eq!(
        json(&send(&mut s, &intro(&at_, rs), T0 + 2, &mut rng))["active"],
        true
    );
    let j = json(&send(&mut s, &intro(&rt, rs), T0 + 2, &mut rng));
    assert_eq!(j["active"], true);
    assert_eq!(j["token_type"], "refresh_token");
    // "basic" may introspect only its own tokens.
    assert_eq!(
        json(&send(&mut s, &intro(&at_, own), T0 + 2, &mut rng)),
        serde_json::json!({"active": false})
    );
    assert_eq!(
        json(&send(&mut s, &intro("unknown", rs), T0 + 2, &mut rng)),
        serde_json::json!({"active": false})
    );
    // Expired.
    assert_eq!(
        json(&send(&mut s, &intro(&at_, rs), T0 + 3601, &mut rng))["active"],
        false
    );
    // A public client cannot introspect.
    let req = form_post(
        &format!("{ISSUER}/introspect"),
        &[("token", &at_), ("client_id", "public")],
        &[],
    );
    assert_error(&send(&mut s, &req, T0 + 2, &mut rng), "invalid_client", 400);
    // Revocation: unknown token is 200; another client's token is refused; the owner's refresh
    // token takes the access token with it.
    let revoke = |token: &str, pairs: &[(&str, &str)], headers: &[(&str, &str)]| {
        let mut p = vec![("token", token)];
        p.extend_from_slice(pairs);
        form_post(&format!("{ISSUER}/revoke"), &p, headers)
    };
    assert_eq!(
        send(
            &mut s,
            &revoke("unknown", &[], &[("authorization", own)]),
            T0 + 2,
            &mut rng
        )
        .status(),
        StatusCode::OK
    );
    assert_error(
        &send(
            &mut s,
            &revoke(&rt, &[], &[("authorization", own)]),
            T0 + 2,
            &mut rng,
        ),
        "invalid_request",
        400,
    );
    let resp = send(
        &mut s,
        &revoke(&rt, &[("client_id", "public")], &[]),
        T0 + 2,
        &mut rng,
    );
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.body().is_empty());
    assert_eq!(
        json(&send(&mut s, &intro(&at_, rs), T0 + 2, &mut rng))["active"],
        false
    );
    assert_eq!(
        json(&send(&mut s, &intro(&rt, rs), T0 + 2, &mut rng))["active"],
        false
    );
    // Revoking an access token revokes only it.
    let tok = code_flow(&mut s, &mut rng, &public, "public");
    let resp = send(
        &mut s,
        &revoke(tok.access_token().secret(), &[("client_id", "public")], &[]),
        T0 + 2,
        &mut rng,
    );
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        json(&send(
            &mut s,
            &intro(tok.access_token().secret(), rs),
            T0 + 2,
            &mut rng
        ))["active"],
        false
    );
    assert_eq!(
        json(&send(
            &mut s,
            &intro(tok.refresh_token().unwrap().secret(), rs),
            T0 + 2,
            &mut rng
        ))["active"],
        true
    );
}

#[test]
fn metadata_lists_exactly_what_is_supported() {
    let mut s = server();
    let mut rng = Rng(11);
    let req = http::Request::get(format!("{ISSUER}/.well-known/oauth-authorization-server"))
        .body(Vec::new())
        .unwrap();
    let resp = send(&mut s, &req, T0, &mut rng);
    assert_eq!(resp.status(), StatusCode::OK);
    let j = json(&resp);
    assert_eq!(j, s.metadata_document());
    assert_eq!(j["issuer"], ISSUER);
    assert_eq!(j["token_endpoint"], format!("{ISSUER}/token"));
    assert_eq!(j["introspection_endpoint"], format!("{ISSUER}/introspect"));
    assert_eq!(j["revocation_endpoint"], format!("{ISSUER}/revoke"));
    let grants: Vec<&str> = j["grant_types_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for g in grants {
        assert!(grantwire_testkit::GrantType::from_name(g).is_some());
    }
    assert!(!j["introspection_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&"none".into()));
    // With a path in the issuer, RFC 8414 §3 puts the well-known segment first.
    let mut s = grantwire_testkit::AuthServer::new(
        grantwire_testkit::ServerConfig::new("https://as.example/tenant/a/").unwrap(),
        ClientRegistry::new(),
    );
    assert_eq!(
        s.endpoint_url(EndpointKind::Metadata),
        "https://as.example/.well-known/oauth-authorization-server/tenant/a"
    );
    let req = http::Request::get(s.endpoint_url(EndpointKind::Metadata))
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        json(&send(&mut s, &req, T0, &mut rng))["token_endpoint"],
        "https://as.example/tenant/a/token"
    );
    let req = http::Request::get("https://as.example/token")
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        send(&mut s, &req, T0, &mut rng).status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn resource_without_or_with_bad_token() {
    let mut s = server();
    let mut rng = Rng(12);
    let r = http::Request::get(format!("{ISSUER}/resource"))
        .body(Vec::new())
        .unwrap();
    let resp = send(&mut s, &r, T0, &mut rng);
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Bearer realm=\"grantwire-testkit\""
    );
    let r = http::Request::get(format!("{ISSUER}/resource"))
        .header("authorization", "Bearer forged")
        .body(Vec::new())
        .unwrap();
    let resp = send(&mut s, &r, T0, &mut rng);
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer realm=\"grantwire-testkit\", error=\"invalid_token\""));
}

#[test]
fn faults_answer_in_order_and_are_counted() {
    let mut s = server();
    let mut rng = Rng(13);
    let ep = endpoint(&s);
    s.inject(
        EndpointKind::Token,
        Fault::ServiceUnavailable {
            retry_after: Some(Duration::from_secs(7)),
        },
    );
    s.inject(
        EndpointKind::Token,
        Fault::TooManyRequests {
            retry_after: Some(Duration::from_secs(3)),
        },
    );
    s.inject(EndpointKind::Token, Fault::Html(StatusCode::OK));
    s.inject(EndpointKind::Token, Fault::MalformedJson);
    s.inject(
        EndpointKind::Token,
        Fault::ErrorInSuccess(ErrorCode::InvalidGrant),
    );
    s.inject_times(EndpointKind::Token, Fault::InternalServerError, 2);
    s.inject(
        EndpointKind::Token,
        Fault::Delay(Duration::from_millis(250)),
    );
    assert_eq!(s.pending_faults(EndpointKind::Token), 8);
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &basic()), c)
    })
    .unwrap();
    let parse = |s: &mut grantwire_testkit::AuthServer| {
        let resp = send(s, &req, T0, &mut Rng(5));
        let parsed = TokenResponse::parse(&resp, at(T0));
        (resp, parsed)
    };
    let (r, p) = parse(&mut s);
    assert_eq!(r.status(), 503);
    assert_eq!(p.unwrap_err().retry_after(), Some(Duration::from_secs(7)));
    let (r, p) = parse(&mut s);
    assert_eq!(r.status(), 429);
    assert_eq!(p.unwrap_err().retry_after(), Some(Duration::from_secs(3)));
    let (_, p) = parse(&mut s);
    assert!(matches!(p, Err(grantwire::Error::NotJson { .. })), "{p:?}");
    let (_, p) = parse(&mut s);
    assert!(p.is_err());
    let (_, p) = parse(&mut s);
    assert_eq!(
        p.unwrap_err().oauth().unwrap().error,
        ErrorCode::InvalidGrant
    );
    for _ in 0..2 {
        assert_eq!(parse(&mut s).0.status(), 500);
    }
    let (r, p) = parse(&mut s);
    assert!(p.is_ok());
    assert_eq!(
        r.extensions().get::<InjectedDelay>(),
        Some(&InjectedDelay(Duration::from_millis(250)))
    );
    let (r, _) = parse(&mut s);
    assert!(r.extensions().get::<InjectedDelay>().is_none());
    assert_eq!(s.pending_faults(EndpointKind::Token), 0);
    assert_eq!(s.counters().endpoint(EndpointKind::Token), 9);
    assert_eq!(s.counters().client("basic"), 9);
    assert_eq!(
        s.counters().client_at("basic", EndpointKind::Introspection),
        0
    );
    assert_eq!(s.counters().client("post"), 0);
    s.reset_counters();
    assert_eq!(s.counters().total(), 0);
}

#[test]
fn registry_loads_from_json_and_rejects_mistakes_without_echoing_secrets() {
    let json = r#"{"clients": [
        {"client_id": "a", "token_endpoint_auth_method": "client_secret_basic", "client_secret": "sekrit-value",
         "grant_types": ["client_credentials", "refresh_token"], "scope": "read write",
         "audiences": ["https://api.example"], "access_token_lifetime": 60, "introspection": "any"},
        {"client_id": "b", "token_endpoint_auth_method": "self_signed_tls_client_auth", "self_signed_certificates": ["AAEC"]},
        {"client_id": "c", "token_endpoint_auth_method": "none", "redirect_uris": ["https://c.example/cb"], "grant_types": ["authorization_code"]}
    ]}"#;
    let reg = ClientRegistry::from_json(json).unwrap();
    assert_eq!(reg.iter().count(), 3);
    let a = reg.get("a").unwrap();
    assert!(a.allows(grantwire_testkit::GrantType::RefreshToken));
    assert!(!format!("{a:?}").contains("sekrit"));
    let dir = std::env::temp_dir().join(format!(
        "grantwire-testkit-registry-{}.json",
        std::process::id()
    ));
    std::fs::write(&dir, json).unwrap();
    assert_eq!(
        ClientRegistry::from_json_file(&dir).unwrap().iter().count(),
        3
    );
    let _ = std::fs::remove_file(&dir);
    // Token lifetime from the registry is honoured.
    let mut s = grantwire_testkit::AuthServer::new(
        grantwire_testkit::ServerConfig::new(ISSUER).unwrap(),
        reg,
    );
    let mut rng = Rng(14);
    let ep = endpoint(&s);
    let auth = ClientSecretBasic::new(ClientId::new("a"), ClientSecret::new("sekrit-value"));
    let req = build(T0, &mut rng, |c| {
        ClientCredentials::new().to_request(&cl(&ep, &auth), c)
    })
    .unwrap();
    assert_eq!(json_of(&send(&mut s, &req, T0, &mut rng))["expires_in"], 60);

    for bad in [
        r#"{"clients": [{"client_id": "x", "token_endpoint_auth_method": "client_secret_post"}]}"#,
        r#"{"clients": [{"client_id": "x", "token_endpoint_auth_method": "magic"}]}"#,
        r#"{"clients": [{"client_id": "x", "token_endpoint_auth_method": "none", "grant_types": ["password"]}]}"#,
        r#"{"clients": [{"client_id": "x", "token_endpoint_auth_method": "none", "secret": "sekrit-value"}]}"#,
        r#"{"clients": [{"client_id": "x", "token_endpoint_auth_method": "none"}, {"client_id": "x", "token_endpoint_auth_method": "none"}]}"#,
        r#"{"clients": [{"client_id": 5, "token_endpoint_auth_method": "none", "client_secret": "sekrit-value"}]}"#,
    ] {
        let err = ClientRegistry::from_json(bad).unwrap_err();
        assert!(!err.to_string().contains("sekrit"), "{err}");
    }
    assert!(ClientRegistry::from_json_file("/nonexistent/registry.json").is_err());
}

fn json_of(r: &http::Response<Vec<u8>>) -> serde_json::Value {
    json(r)
}

#[test]
fn harness_tokens_are_valid_so_a_corpus_can_reach_every_grant() {
    let (mut s, code, token) = grantwire_testkit::harness::harness_server();
    let mut rng = Rng(15);
    let req = form_post(
        &s.token_endpoint(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example/cb"),
            (
                "code_verifier",
                grantwire_testkit::harness::HARNESS_CODE_VERIFIER,
            ),
            ("client_id", "pub"),
        ],
        &[],
    );
    assert_eq!(
        send(&mut s, &req, T0 + 10, &mut rng).status(),
        StatusCode::OK
    );
    let req = form_post(
        &s.token_endpoint(),
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", &token),
            ("subject_token_type", token_type_uri::ACCESS_TOKEN),
            ("client_id", "post"),
            ("client_secret", "post-secret"),
        ],
        &[],
    );
    assert_eq!(
        send(&mut s, &req, T0 + 10, &mut rng).status(),
        StatusCode::OK
    );
}
