//! Provider presets against recorded response shapes (`tests/fixtures/providers/`,
//! written from each provider's documented response format).

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::lifecycle::{Event, LifecycleConfig, Next, TokenLifecycle};
use grantwire::providers::{self, AssertionAudience, ExpiresInShape, Preset, PresetGrant};
use grantwire::{
    AuthMethod, AuthorizationServer, Client, ClientAuthentication, ClientCredentials, ClientId,
    ClientSecret, ClientSecretBasic, ClientSecretPost, Context, Error, ErrorCode, Expiry,
    IntrospectionResponse, JwtBearer, Quirk, Scope, SecretString, ServerMetadata, TokenResponse,
    Unauthenticated,
};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/providers")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    h
}

fn parse(preset: &Preset, name: &str, status: StatusCode) -> Result<TokenResponse, Error> {
    TokenResponse::parse_with(
        (status, &json(), &fixture(name)),
        now(),
        &preset.parse_options(),
    )
}

/// Checks a success fixture against everything the preset says about the response.
fn check_token(preset: &Preset, name: &str, expires_in: Option<u64>) -> TokenResponse {
    let t = parse(preset, name, StatusCode::OK).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(t.expires_in().map(|d| d.as_secs()), expires_in, "{name}");
    match preset.expires_in {
        ExpiresInShape::Integer => {
            assert!(expires_in.is_some());
            assert!(!t.quirks().contains(Quirk::ExpiresInString), "{name}");
        }
        ExpiresInShape::DecimalString => {
            assert!(t.quirks().contains(Quirk::ExpiresInString), "{name}")
        }
        ExpiresInShape::Absent => assert_eq!(t.expiry(), Expiry::Unknown, "{name}"),
        other => panic!("untested shape {other:?}"),
    }
    for m in preset.extra_members {
        assert!(t.extra().contains_key(*m), "{name}: extra member {m} kept");
    }
    assert!(!format!("{t:?}").contains(t.access_token().secret()));
    t
}

fn check_error(preset: &Preset, name: &str, status: StatusCode, code: ErrorCode) {
    let e = parse(preset, name, status).unwrap_err();
    let oauth = e.oauth().unwrap_or_else(|| panic!("{name}: {e:?}"));
    assert_eq!(oauth.error, code, "{name}");
    assert_eq!(oauth.status, status.as_u16());
}

/// Builds a client-credentials request with the preset's authentication method.
fn request_with(
    preset: &Preset,
    endpoint: &AuthorizationServer,
    grant: &ClientCredentials,
) -> (String, bool) {
    let auth: Box<dyn ClientAuthentication> = match preset.auth_method {
        AuthMethod::ClientSecretPost => Box::new(ClientSecretPost::new(
            ClientId::new("cid"),
            ClientSecret::new("csecret"),
        )),
        AuthMethod::ClientSecretBasic => Box::new(ClientSecretBasic::new(
            ClientId::new("cid"),
            ClientSecret::new("csecret"),
        )),
        other => panic!("not a secret method: {other}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(0);
    let client = Client::from_arcs(endpoint.clone().into(), auth.into()).unwrap();
    let req = grant
        .to_request(&client, &mut Context::new(now(), &mut rng))
        .unwrap();
    (
        String::from_utf8(req.body().to_vec()).unwrap(),
        req.headers().contains_key(header::AUTHORIZATION),
    )
}

#[test]
fn auth0() {
    let p = &providers::AUTH0;
    let t = check_token(p, "auth0_client_credentials.json", Some(86400));
    assert_eq!(t.scope().unwrap().as_str(), "read:orders");
    check_error(
        p,
        "auth0_missing_audience_403.json",
        StatusCode::FORBIDDEN,
        ErrorCode::AccessDenied,
    );
    // The preset catches the missing audience before a request is sent.
    assert!(p.check_request(None, None).is_err());
    let ep = providers::auth0("acme.us.auth0.com").unwrap();
    let (body, basic) = request_with(
        p,
        &ep,
        &ClientCredentials::new().audience("https://api.acme.example"),
    );
    assert!(!basic);
    assert_eq!(
        body,
        "grant_type=client_credentials&audience=https%3A%2F%2Fapi.acme.example&client_id=cid&client_secret=csecret"
    );
}

#[test]
fn okta_org_and_custom_authorization_servers() {
    for p in [&providers::OKTA_ORG, &providers::OKTA_CUSTOM] {
        assert_eq!(p.assertion_audience, AssertionAudience::TokenEndpoint);
        assert!(p.check_request(None, None).is_err(), "{}", p.name);
        let t = check_token(p, "okta_custom_client_credentials.json", Some(3600));
        assert_eq!(t.scope().unwrap().as_str(), "orders:read");
        check_error(
            p,
            "okta_missing_scope_400.json",
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidScope,
        );
    }
    assert_eq!(providers::OKTA_ORG.auth_method, AuthMethod::PrivateKeyJwt);
    let custom = providers::okta_custom("acme.okta.com", "default").unwrap();
    let md = ServerMetadata::parse(
        (
            StatusCode::OK,
            &json(),
            &fixture("okta_custom_metadata.json"),
        ),
        custom.issuer().unwrap(),
        now(),
    )
    .unwrap();
    let discovered = md.authorization_server().unwrap();
    assert_eq!(discovered.token_endpoint(), custom.token_endpoint());
    assert_eq!(discovered.issuer(), custom.issuer());
    assert_eq!(
        md.choose_token_auth_method(&[AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost]),
        Some(providers::OKTA_CUSTOM.auth_method)
    );
    // Okta lists no token_endpoint_auth_signing_alg_values_supported: no alg is guessed.
    assert_eq!(
        md.choose_token_signing_alg(AuthMethod::PrivateKeyJwt, &["RS256"]),
        None
    );
    // The org server's metadata is not the custom server's: the issuer check catches a mix-up.
    let org = providers::okta_org("acme.okta.com").unwrap();
    assert!(ServerMetadata::parse(
        (
            StatusCode::OK,
            &json(),
            &fixture("okta_custom_metadata.json")
        ),
        org.issuer().unwrap(),
        now()
    )
    .is_err());
    let (body, basic) = request_with(
        &providers::OKTA_CUSTOM,
        &custom,
        &ClientCredentials::new().scope(Scope::parse("orders:read").unwrap()),
    );
    assert!(basic);
    assert_eq!(body, "grant_type=client_credentials&scope=orders%3Aread");
    let inactive = IntrospectionResponse::parse(
        (
            StatusCode::OK,
            &json(),
            &fixture("okta_introspection_inactive.json"),
        ),
        now(),
    )
    .unwrap();
    assert_eq!(inactive, IntrospectionResponse::Inactive);
}

#[test]
fn entra_id_v1_and_v2() {
    let v2 = &providers::ENTRA_ID_V2;
    check_token(v2, "entra_v2_client_credentials.json", Some(3599));
    check_error(
        v2,
        "entra_v2_bad_scope_400.json",
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidScope,
    );
    let dot_default = Scope::parse("https://graph.microsoft.com/.default").unwrap();
    assert!(v2.check_request(Some(&dot_default), None).is_ok());
    assert!(v2
        .check_request(Some(&Scope::parse("User.Read").unwrap()), None)
        .is_err());
    let ep = providers::entra_id_v2("contoso.onmicrosoft.com").unwrap();
    let (body, basic) = request_with(v2, &ep, &ClientCredentials::new().scope(dot_default));
    assert!(!basic);
    assert!(body.starts_with(
        "grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_id=cid"
    ));
    let v1 = &providers::ENTRA_ID_V1;
    let t = check_token(v1, "entra_v1_client_credentials.json", Some(3599));
    assert_eq!(t.extra()["expires_on"], "1700003599");
    // The strict profile refuses the v1 shape; the preset's profile takes it.
    assert!(TokenResponse::parse_with(
        (
            StatusCode::OK,
            &json(),
            &fixture("entra_v1_client_credentials.json")
        ),
        now(),
        &grantwire::ParseOptions::with_profile(grantwire::Profile::Strict)
    )
    .is_err());
    for p in [v1, v2] {
        assert_eq!(p.assertion_audience, AssertionAudience::TokenEndpoint);
    }
}

#[test]
fn google_service_account() {
    let p = &providers::GOOGLE_SERVICE_ACCOUNT;
    assert_eq!(p.grant, PresetGrant::JwtBearer);
    assert_eq!(p.auth_method, AuthMethod::Unauthenticated);
    check_token(p, "google_service_account.json", Some(3599));
    check_error(
        p,
        "google_invalid_grant_400.json",
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidGrant,
    );
    let ep = providers::google("https://oauth2.googleapis.com/token").unwrap();
    let mut rng = |b: &mut [u8]| b.fill(0);
    let req = JwtBearer::new(SecretString::new("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"))
        .to_request(
            &Client::new(ep, Unauthenticated).unwrap(),
            &mut Context::new(now(), &mut rng),
        )
        .unwrap();
    assert!(!req.headers().contains_key(header::AUTHORIZATION));
    assert_eq!(
        req.body(),
        b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
    );
    assert_eq!(p.assertion_audience, AssertionAudience::TokenEndpoint);
}

#[test]
fn aws_cognito() {
    let p = &providers::AWS_COGNITO;
    check_token(p, "cognito_client_credentials.json", Some(3600));
    check_error(
        p,
        "cognito_invalid_client_400.json",
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidClient,
    );
    let ep = providers::aws_cognito("acme", "eu-west-1", "eu-west-1_AbCdEf123").unwrap();
    let (body, basic) = request_with(p, &ep, &ClientCredentials::new());
    assert!(basic);
    assert_eq!(body, "grant_type=client_credentials");
}

#[test]
fn salesforce_without_expires_in_uses_the_preset_lifetime() {
    let p = &providers::SALESFORCE;
    let t = check_token(p, "salesforce_client_credentials.json", None);
    assert_eq!(t.extra()["instance_url"], "https://acme.my.salesforce.com");
    // Through the lifecycle: expiry unknown, so the preset's 15 minutes, never forever.
    let ep = providers::salesforce("acme.my.salesforce.com").unwrap();
    let mut lc = TokenLifecycle::new(
        Client::new(
            ep,
            ClientSecretPost::new(ClientId::new("cid"), ClientSecret::new("cs")),
        )
        .unwrap(),
        ClientCredentials::new(),
        p.lifecycle_config(),
    );
    let start = Instant::now();
    let id = match lc.poll(start) {
        Next::Send(id) => id,
        other => panic!("{other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(0);
    lc.request(id, &mut Context::new(now(), &mut rng)).unwrap();
    let _ = lc.handle_response(
        id,
        StatusCode::OK,
        &json(),
        &fixture("salesforce_client_credentials.json"),
        start,
    );
    assert!(matches!(lc.poll_event(), Some(Event::Obtained(o)) if !o.expiry_known));
    let tok = lc.token().unwrap();
    assert_eq!(tok.expires_at(), now() + Duration::from_secs(900));
    assert_eq!(tok.valid_until(), start + Duration::from_secs(900));
    assert!(matches!(
        lc.poll(start + Duration::from_secs(899)),
        Next::Ready(_) | Next::Send(_)
    ));
    assert!(!matches!(
        lc.poll(start + Duration::from_secs(900)),
        Next::Ready(_)
    ));
}

#[test]
fn keycloak() {
    let p = &providers::KEYCLOAK;
    let t = check_token(p, "keycloak_client_credentials.json", Some(300));
    assert_eq!(t.extra()["refresh_expires_in"], 0);
    check_error(
        p,
        "keycloak_unauthorized_client_401.json",
        StatusCode::UNAUTHORIZED,
        ErrorCode::UnauthorizedClient,
    );
    // The lifecycle never retries it: a human must enable the service account.
    let ep = providers::keycloak("https://sso.example", "acme").unwrap();
    let mut lc = TokenLifecycle::new(
        Client::new(
            ep.clone(),
            ClientSecretBasic::new(ClientId::new("orders-service"), ClientSecret::new("cs")),
        )
        .unwrap(),
        ClientCredentials::new(),
        LifecycleConfig::default(),
    );
    let start = Instant::now();
    let id = match lc.poll(start) {
        Next::Send(id) => id,
        other => panic!("{other:?}"),
    };
    let mut rng = |b: &mut [u8]| b.fill(0);
    lc.request(id, &mut Context::new(now(), &mut rng)).unwrap();
    let _ = lc.handle_response(
        id,
        StatusCode::UNAUTHORIZED,
        &json(),
        &fixture("keycloak_unauthorized_client_401.json"),
        start,
    );
    assert!(matches!(
        lc.poll_event(),
        Some(Event::Failed {
            retry: grantwire::lifecycle::Retry::NeedsHuman,
            ..
        })
    ));
    assert!(matches!(
        lc.poll(start + Duration::from_secs(3600)),
        Next::Failed(_)
    ));
    // Discovery document and introspection answer of the same realm.
    let md = ServerMetadata::parse(
        (
            StatusCode::OK,
            &json(),
            &fixture("keycloak_openid_configuration.json"),
        ),
        ep.issuer().unwrap(),
        now(),
    )
    .unwrap();
    let discovered = md.authorization_server().unwrap();
    assert_eq!(discovered.token_endpoint(), ep.token_endpoint());
    assert_eq!(discovered.issuer(), ep.issuer());
    assert_eq!(
        md.choose_token_auth_method(&AuthMethod::ALL),
        Some(AuthMethod::PrivateKeyJwt)
    );
    assert_eq!(
        md.choose_token_signing_alg(AuthMethod::PrivateKeyJwt, &["ES256", "RS256"]),
        Some("ES256")
    );
    assert_eq!(
        md.choose_token_signing_alg(AuthMethod::ClientSecretJwt, &["ES256", "HS256"]),
        Some("HS256")
    );
    assert!(md.extra().contains_key("mtls_endpoint_aliases"));
    let r = IntrospectionResponse::parse(
        (
            StatusCode::OK,
            &json(),
            &fixture("keycloak_introspection_active.json"),
        ),
        now(),
    )
    .unwrap();
    let a = r.active().unwrap();
    assert_eq!(a.aud(), ["orders-api", "account"]);
    assert_eq!(a.client_id().unwrap().as_str(), "orders-service");
    assert!(a.extra().contains_key("realm_access"));
    assert!(a.is_usable_at(now()));
}

#[test]
fn every_preset_is_covered_by_a_fixture_test() {
    // Keep this list in step with the tests above.
    let tested = [
        "Auth0",
        "Okta (org authorization server)",
        "Okta (custom authorization server)",
        "Microsoft Entra ID (v2.0)",
        "Microsoft Entra ID (v1.0, Azure AD)",
        "Google (service account)",
        "Amazon Cognito",
        "Salesforce",
        "Keycloak",
    ];
    let names: Vec<_> = providers::ALL.iter().map(|p| p.name).collect();
    assert_eq!(names, tested);
}
