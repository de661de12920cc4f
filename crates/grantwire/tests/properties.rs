//! proptest properties of the core's builders and parsers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use grantwire::challenge::{parse_retry_after, parse_www_authenticate};
use grantwire::form::{decode_component, parse as parse_form, percent_decode, Form};
use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{
    AuthParts, AuthTarget, AuthorizationServer, Client, ClientAuthentication, ClientCredentials,
    ClientId, ClientSecret, ClientSecretBasic, ClientSecretPost, Context, Endpoint, Error,
    ErrorCode, ParseOptions, Profile, Scope, TokenResponse, TokenType,
};
use proptest::prelude::*;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// Strings rich in the characters that break naive encoders.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ :+%&=a-zA-Z0-9]{0,24}",
        any::<String>(),
        "[\\u{80}-\\u{10FFFF}: +%]{0,12}",
    ]
}

fn scope_token() -> impl Strategy<Value = String> {
    "[!#-\\[\\]-~]{1,12}"
}

fn json_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h
}

fn ctx_run<T>(f: impl FnOnce(&mut Context<'_>) -> T) -> T {
    let mut rng = |b: &mut [u8]| b.fill(5);
    f(&mut Context::new(now(), &mut rng))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// RFC 6749 §2.3.1: what client_secret_basic sends decodes back to the same id and secret,
    /// with a form decoder and with a plain percent decoder.
    #[test]
    fn basic_decodes_back(id in nasty(), secret in nasty()) {
        let auth = ClientSecretBasic::new(ClientId::new(id.clone()), ClientSecret::new(secret.clone()));
        let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap());
        let mut form = Form::new();
        let mut headers = HeaderMap::new();
        ctx_run(|c| auth.authenticate(&mut AuthParts { form: &mut form, headers: &mut headers }, &AuthTarget::new(&server, server.token_endpoint()), c)).unwrap();
        let value = headers[header::AUTHORIZATION].to_str().unwrap().to_owned();
        let b64 = value.strip_prefix("Basic ").unwrap();
        let raw = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        let colon = raw.iter().position(|&b| b == b':').unwrap();
        prop_assert_eq!(decode_component(&raw[..colon]).unwrap(), id.clone());
        prop_assert_eq!(decode_component(&raw[colon + 1..]).unwrap(), secret.clone());
        prop_assert_eq!(percent_decode(&raw[..colon]).unwrap(), id);
        prop_assert_eq!(percent_decode(&raw[colon + 1..]).unwrap(), secret);
        prop_assert!(form.as_bytes().is_empty());
    }

    /// A form written with unique names parses back to the same pairs, in order.
    #[test]
    fn form_round_trips(pairs in proptest::collection::btree_map(nasty(), nasty(), 0..8)) {
        let mut form = Form::new();
        for (k, v) in &pairs {
            form.append(k, v).unwrap();
        }
        let back = parse_form(form.as_bytes()).unwrap();
        let want: Vec<(String, String)> = pairs.into_iter().collect();
        prop_assert_eq!(back, want);
    }

    /// The client-credentials builder sends exactly what it was given.
    #[test]
    fn client_credentials_round_trips(
        tokens in proptest::collection::vec(scope_token(), 0..5),
        audience in proptest::option::of(nasty()),
        resources in proptest::collection::vec("https://[a-z]{1,8}\\.example/[a-z0-9/]{0,8}", 0..3),
        extra in proptest::option::of(("x_[a-z]{1,6}", nasty())),
        id in nasty(), secret in nasty(),
    ) {
        let scope = Scope::from_tokens(tokens.iter().map(String::as_str)).unwrap();
        let mut grant = ClientCredentials::new().scope(scope.clone());
        if let Some(a) = &audience { grant = grant.audience(a.clone()); }
        for r in &resources { grant = grant.resource(r.clone()); }
        if let Some((k, v)) = &extra { grant = grant.extra(k.clone(), v.clone()); }
        let ep = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap());
        let auth = ClientSecretPost::new(ClientId::new(id.clone()), ClientSecret::new(secret.clone()));
        let req = ctx_run(|c| grant.to_request(&Client::new(ep.clone(), auth.clone()).unwrap(), c)).unwrap();
        let pairs = parse_form(req.body()).unwrap();
        let get = |k: &str| pairs.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        prop_assert_eq!(get("grant_type"), vec!["client_credentials".to_string()]);
        if scope.is_empty() {
            prop_assert!(get("scope").is_empty());
        } else {
            let sent = Scope::parse(&get("scope")[0]).unwrap();
            prop_assert!(sent.set_eq(&scope));
        }
        prop_assert_eq!(get("audience"), audience.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(get("resource"), resources);
        prop_assert_eq!(get("client_id"), vec![id]);
        prop_assert_eq!(get("client_secret"), vec![secret]);
        if let Some((k, v)) = extra { prop_assert_eq!(get(&k), vec![v]); }
    }

    /// A token response written per RFC 6749 §5.1 parses back to the same values, and the
    /// strict and default profiles agree on it.
    #[test]
    fn token_response_round_trips(
        token in "[ -~]{1,200}",
        ty in prop_oneof![Just("Bearer"), Just("bearer"), Just("BEARER"), Just("DPoP"), Just("dpop"), Just("N_A")],
        expires in proptest::option::of(0u64..100_000_000),
        refresh in proptest::option::of("[!-~]{1,64}"),
        tokens in proptest::collection::vec(scope_token(), 0..4),
        extra_val in any::<i64>(),
    ) {
        let mut obj = serde_json::json!({"access_token": token, "token_type": ty, "x_extra": extra_val});
        if let Some(e) = expires { obj["expires_in"] = e.into(); }
        if let Some(r) = &refresh { obj["refresh_token"] = r.clone().into(); }
        let scope = Scope::from_tokens(tokens.iter().map(String::as_str)).unwrap();
        if !scope.is_empty() { obj["scope"] = scope.as_str().into(); }
        let body = serde_json::to_vec(&obj).unwrap();
        let default = TokenResponse::parse((StatusCode::OK, &json_headers(), &body), now()).unwrap();
        let strict = TokenResponse::parse_with((StatusCode::OK, &json_headers(), &body), now(), &ParseOptions::with_profile(Profile::Strict)).unwrap();
        for t in [&default, &strict] {
            prop_assert_eq!(t.access_token().secret(), token.as_str());
            prop_assert_eq!(t.token_type(), TokenType::parse(ty).unwrap());
            prop_assert_eq!(t.expires_at(), expires.map(|e| now() + Duration::from_secs(e)));
            prop_assert_eq!(t.refresh_token().map(|r| r.secret().to_owned()), refresh.clone());
            prop_assert_eq!(t.scope().cloned(), Some(scope.clone()).filter(|s| !s.is_empty()));
            prop_assert_eq!(&t.extra()["x_extra"], &serde_json::Value::from(extra_val));
            prop_assert!(t.quirks().is_empty());
        }
    }

    /// An error response (RFC 6749 §5.2) keeps its code, known or not, in any status.
    #[test]
    fn error_response_round_trips(
        code in "[a-z_]{1,20}",
        desc in proptest::option::of("[ -!#-\\[\\]-~]{0,60}"),
        status in prop_oneof![Just(200u16), Just(400), Just(401), Just(403), Just(500), Just(503)],
    ) {
        let mut obj = serde_json::json!({"error": code});
        if let Some(d) = &desc { obj["error_description"] = d.clone().into(); }
        let body = serde_json::to_vec(&obj).unwrap();
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let err = TokenResponse::parse_with((StatusCode::from_u16(status).unwrap(), &json_headers(), &body), now(), &ParseOptions::with_profile(profile)).unwrap_err();
            let e = err.oauth().expect("OAuth error");
            prop_assert_eq!(&e.error, &ErrorCode::parse(&code));
            prop_assert_eq!(e.error.as_str(), code.as_str());
            prop_assert_eq!(&e.error_description, &desc);
            prop_assert_eq!(e.status, status);
        }
    }

    /// Challenges written per RFC 9110 §11.6.1 parse back.
    #[test]
    fn challenges_round_trip(
        chs in proptest::collection::vec(("[A-Za-z][A-Za-z0-9]{0,8}", proptest::collection::vec(("[a-z_]{1,10}", "[ -!#-\\[\\]-~]{0,20}"), 0..4)), 1..4)
    ) {
        let text = chs.iter().map(|(scheme, params)| {
            let ps: Vec<String> = params.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            if ps.is_empty() { scheme.clone() } else { format!("{scheme} {}", ps.join(", ")) }
        }).collect::<Vec<_>>().join(", ");
        let parsed = parse_www_authenticate(&text).unwrap();
        prop_assert_eq!(parsed.len(), chs.len());
        for (p, (scheme, params)) in parsed.iter().zip(&chs) {
            prop_assert_eq!(&p.scheme, scheme);
            prop_assert_eq!(&p.params, params);
        }
    }

    /// Parsers never panic on arbitrary bytes, whatever the profile or status.
    #[test]
    fn parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512), status in 100u16..600, text in any::<String>()) {
        let status = StatusCode::from_u16(status).unwrap();
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let opts = ParseOptions::with_profile(profile);
            let _ = TokenResponse::parse_with((status, &json_headers(), &body), now(), &opts);
            let _ = grantwire::parse_error_response((status, &HeaderMap::new(), &body), now(), &opts);
        }
        let _ = parse_www_authenticate(&text);
        let _ = parse_retry_after(&text, now());
        let _ = parse_form(&body);
    }

    /// JSON-looking garbage built from the grammar's pieces never panics either.
    #[test]
    fn json_fragments_never_panic(parts in proptest::collection::vec(prop_oneof![
        Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\"access_token\""),
        Just("\"token_type\""), Just("\"Bearer\""), Just("\"expires_in\""), Just("-1"), Just("1e999"),
        Just("3600"), Just("\"3600\""), Just("null"), Just("\"error\""), Just("\"scope\""), Just("[\"a\"]"),
    ], 0..40)) {
        let body = parts.concat();
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let _ = TokenResponse::parse_with((StatusCode::OK, &json_headers(), body.as_bytes()), now(), &ParseOptions::with_profile(profile));
        }
    }
}

#[test]
fn expires_in_edge_cases_are_typed() {
    use grantwire::ExpiresInProblem::*;
    let cases: &[(&str, grantwire::ExpiresInProblem)] = &[
        (r#"-1"#, Negative),
        (r#"3600.5"#, Fractional),
        (r#""3600.5""#, Fractional),
        (r#""-5""#, Negative),
        (r#""soon""#, NotANumber),
        (r#"true"#, NotANumber),
        (r#"18446744073709551616"#, TooLarge),
        (r#""99999999999999999999999""#, TooLarge),
        (r#"400000000"#, TooLarge),
    ];
    for (value, want) in cases {
        let body = format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":{value}}}"#);
        let got = TokenResponse::parse((StatusCode::OK, &json_headers(), body.as_bytes()), now());
        assert!(
            matches!(
                &got,
                Err(Error::InvalidExpiresIn { problem, response: Some(r) })
                    if problem == want && r.status == 200
            ),
            "expires_in {value}: {:?}",
            got.err()
        );
    }
    // A number beyond f64 is refused by the JSON reader itself: still a typed error.
    let body = br#"{"access_token":"a","token_type":"Bearer","expires_in":1e400}"#;
    assert!(matches!(
        TokenResponse::parse((StatusCode::OK, &json_headers(), body), now()),
        Err(Error::NotJson { .. })
    ));
    // A decimal string is a default-profile quirk, and a strict-profile error.
    let body = br#"{"access_token":"a","token_type":"Bearer","expires_in":"3600"}"#;
    let t = TokenResponse::parse((StatusCode::OK, &json_headers(), body), now()).unwrap();
    assert!(t.quirks().contains(grantwire::Quirk::ExpiresInString));
    assert_eq!(t.expires_in(), Some(Duration::from_secs(3600)));
    let strict = ParseOptions::with_profile(Profile::Strict);
    assert!(matches!(
        TokenResponse::parse_with((StatusCode::OK, &json_headers(), body), now(), &strict),
        Err(Error::InvalidExpiresIn {
            problem: NotANumber,
            ..
        })
    ));
    // No expires_in: expiry unknown, never forever.
    let body = br#"{"access_token":"a","token_type":"Bearer"}"#;
    let t = TokenResponse::parse((StatusCode::OK, &json_headers(), body), now()).unwrap();
    assert_eq!(t.expiry(), grantwire::Expiry::Unknown);
    assert_eq!(t.expires_at(), None);
}

fn pairs_of(req: &grantwire::SecretRequest) -> Vec<(String, String)> {
    parse_form(req.body()).unwrap()
}

fn values(pairs: &[(String, String)], k: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Refresh (RFC 6749 §6), authorization code (§4.1.3) and JWT bearer (RFC 7523 §2.1)
    /// requests carry exactly their inputs, whatever the characters.
    #[test]
    fn other_grants_round_trip(
        secret in nasty(), redirect in nasty(), tokens in proptest::collection::vec(scope_token(), 0..3),
        verifier_bytes in proptest::array::uniform32(any::<u8>()), id in nasty(),
    ) {
        use grantwire::{AuthorizationCodeGrant, JwtBearer, NoneAuth, PkceVerifier, RefreshGrant, RefreshToken, SecretString};
        let ep = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap());
        let auth = NoneAuth::new(ClientId::new(id.clone()));
        let scope = Scope::from_tokens(tokens.iter().map(String::as_str)).unwrap();

        let req = ctx_run(|c| RefreshGrant::new(RefreshToken::new(secret.clone())).scope(scope.clone()).to_request(&Client::new(ep.clone(), auth.clone()).unwrap(), c)).unwrap();
        let p = pairs_of(&req);
        prop_assert_eq!(values(&p, "grant_type"), vec!["refresh_token".to_string()]);
        prop_assert_eq!(values(&p, "refresh_token"), vec![secret.clone()]);
        prop_assert_eq!(values(&p, "scope").len(), usize::from(!scope.is_empty()));
        prop_assert_eq!(values(&p, "client_id"), vec![id.clone()]);

        let mut fill = |b: &mut [u8]| b.copy_from_slice(&verifier_bytes);
        let verifier = PkceVerifier::generate(&mut fill);
        let req = ctx_run(|c| AuthorizationCodeGrant::new(SecretString::new(secret.clone())).redirect_uri(redirect.clone()).pkce_verifier(verifier.clone()).to_request(&Client::new(ep.clone(), auth.clone()).unwrap(), c)).unwrap();
        let p = pairs_of(&req);
        prop_assert_eq!(values(&p, "grant_type"), vec!["authorization_code".to_string()]);
        prop_assert_eq!(values(&p, "code"), vec![secret.clone()]);
        prop_assert_eq!(values(&p, "redirect_uri"), vec![redirect.clone()]);
        prop_assert_eq!(values(&p, "code_verifier"), vec![verifier.secret().to_string()]);

        let req = ctx_run(|c| JwtBearer::new(SecretString::new(secret.clone())).scope(scope.clone()).to_request(&Client::new(ep.clone(), grantwire::Unauthenticated).unwrap(), c)).unwrap();
        let p = pairs_of(&req);
        prop_assert_eq!(values(&p, "grant_type"), vec![grantwire::grant::JWT_BEARER_GRANT_TYPE.to_string()]);
        prop_assert_eq!(values(&p, "assertion"), vec![secret]);
        prop_assert!(values(&p, "client_id").is_empty());
    }

    /// Token exchange (RFC 8693 §2.1) keeps repeated audiences and resources in order.
    #[test]
    fn token_exchange_round_trips(
        subject in nasty(), actor in proptest::option::of(nasty()),
        audiences in proptest::collection::vec(nasty(), 0..4),
        resources in proptest::collection::vec("urn:[a-z]{1,8}:[a-z0-9]{1,8}", 0..3),
        requested in proptest::option::of(Just(grantwire::grant::token_type_uri::JWT)),
    ) {
        use grantwire::grant::token_type_uri;
        use grantwire::{SecretString, TokenExchange};
        let mut g = TokenExchange::new(SecretString::new(subject.clone()), token_type_uri::ACCESS_TOKEN);
        if let Some(a) = &actor { g = g.actor_token(SecretString::new(a.clone()), token_type_uri::ID_TOKEN); }
        for a in &audiences { g = g.audience(a.clone()); }
        for r in &resources { g = g.resource(r.clone()); }
        if let Some(r) = requested { g = g.requested_token_type(r); }
        let ep = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap());
        let auth = ClientSecretBasic::new(ClientId::new("c"), ClientSecret::new("s"));
        let p = pairs_of(&ctx_run(|c| g.to_request(&Client::new(ep.clone(), auth.clone()).unwrap(), c)).unwrap());
        prop_assert_eq!(values(&p, "subject_token"), vec![subject]);
        prop_assert_eq!(values(&p, "subject_token_type"), vec![token_type_uri::ACCESS_TOKEN.to_string()]);
        prop_assert_eq!(values(&p, "actor_token"), actor.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(values(&p, "audience"), audiences);
        prop_assert_eq!(values(&p, "resource"), resources);
        prop_assert_eq!(values(&p, "requested_token_type"), requested.map(str::to_string).into_iter().collect::<Vec<_>>());
    }

    /// The authorization URL (RFC 6749 §4.1.1) carries its parameters and a challenge that is
    /// the S256 of the verifier (RFC 7636 §4.2).
    #[test]
    fn authorization_url_round_trips(id in nasty(), redirect in nasty(), seed in any::<u8>()) {
        use grantwire::{AuthorizationRequest, PkceVerifier, State};
        let mut rng = |b: &mut [u8]| b.fill(seed);
        let verifier = PkceVerifier::generate(&mut rng);
        let state = State::generate(&mut rng);
        let url = AuthorizationRequest::new(Endpoint::parse("https://as.example/authorize").unwrap(), ClientId::new(id.clone()))
            .redirect_uri(redirect.clone()).pkce(&verifier).state(&state).to_url().unwrap();
        let query = url.split_once('?').unwrap().1;
        let p = parse_form(query.as_bytes()).unwrap();
        prop_assert_eq!(values(&p, "client_id"), vec![id]);
        prop_assert_eq!(values(&p, "redirect_uri"), vec![redirect]);
        prop_assert_eq!(values(&p, "state"), vec![state.as_str().to_string()]);
        prop_assert_eq!(values(&p, "code_challenge"), vec![verifier.challenge_s256()]);
        prop_assert!(url.parse::<grantwire::http::Uri>().is_ok());
    }
}
