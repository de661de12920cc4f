//! A unique secret and token pass through every type, error, `Debug` and `Display` path and
//! never appear in any formatted output.

use std::time::{Duration, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{
    AccessToken, AuthorizationCodeGrant, AuthorizationServer, Client, ClientAuthentication,
    ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, ClientSecretPost, Context,
    Discovery, Endpoint, Error, IntrospectionRequest, Issuer, JwtBearer, NoneAuth, ParseOptions,
    PkceVerifier, Profile, RefreshGrant, RefreshToken, RevocationRequest, SecretRequest,
    SecretString, SelfSignedTlsClientAuth, State, TlsClientAuth, TokenExchange, TokenResponse,
    Unauthenticated,
};

const SECRET: &str = "CANARYsecret7f3a9c1e5b";
const TOKEN: &str = "CANARYtoken2d8e4b6f0a1c";

/// Adds the `Display` and `Debug` of every error along the `source()` chain of `e`.
fn add_chain(
    what: &str,
    e: &(dyn std::error::Error + 'static),
    add: &mut impl FnMut(&str, String),
) {
    let mut cur = Some(e);
    while let Some(err) = cur {
        add(what, format!("{err} {err:?}"));
        cur = err.source();
    }
}

fn assert_clean(what: &str, text: &str) {
    for canary in [SECRET, TOKEN, "CANARYsecret", "CANARYtoken"] {
        assert!(!text.contains(canary), "{what} leaked {canary}: {text}");
    }
}

#[test]
fn secrets_never_reach_formatted_output() {
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut add = |what: &str, s: String| outputs.push((what.to_owned(), s));

    add("ClientSecret", format!("{:?}", ClientSecret::new(SECRET)));
    add("AccessToken", format!("{:?}", AccessToken::new(TOKEN)));
    add("RefreshToken", format!("{:?}", RefreshToken::new(TOKEN)));
    add("SecretString", format!("{:?}", SecretString::new(TOKEN)));
    add(
        "Basic",
        format!(
            "{:?}",
            ClientSecretBasic::new(ClientId::new("c"), ClientSecret::new(SECRET))
        ),
    );
    add(
        "Basic raw",
        format!(
            "{:?}",
            ClientSecretBasic::without_form_encoding(ClientId::new("c"), ClientSecret::new(SECRET))
                .unwrap()
        ),
    );
    add(
        "Post",
        format!(
            "{:?}",
            ClientSecretPost::new(ClientId::new("c"), ClientSecret::new(SECRET))
        ),
    );
    add(
        "ClientCredentials",
        format!("{:?}", ClientCredentials::new().extra("x_secret", SECRET)),
    );
    add(
        "RefreshGrant",
        format!(
            "{:?}",
            RefreshGrant::new(RefreshToken::new(TOKEN)).extra("x", SECRET)
        ),
    );
    add(
        "AuthorizationCodeGrant",
        format!(
            "{:?}",
            AuthorizationCodeGrant::new(SecretString::new(TOKEN))
        ),
    );
    add(
        "JwtBearer",
        format!("{:?}", JwtBearer::new(SecretString::new(TOKEN))),
    );
    add(
        "TokenExchange",
        format!(
            "{:?}",
            TokenExchange::new(SecretString::new(TOKEN), "t")
                .actor_token(SecretString::new(SECRET), "t")
        ),
    );
    let mut rng = |b: &mut [u8]| b.fill(1);
    add(
        "PkceVerifier",
        format!(
            "{:?}",
            PkceVerifier::new(format!("{TOKEN}{TOKEN}{TOKEN}")).unwrap()
        ),
    );
    add("State", format!("{:?}", State::generate(&mut rng)));

    // The request form as the Form type shows it (names only).
    let mut form = grantwire::form::Form::new();
    form.append("client_secret", SECRET).unwrap();
    add("Form", format!("{form:?}"));
    let ep = Endpoint::parse("https://as.example/token").unwrap();
    let ctx = Context::new(UNIX_EPOCH, &mut rng);
    add("Context", format!("{ctx:?}"));

    // Parsed tokens, including unknown members that might be secrets.
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut json = HeaderMap::new();
    json.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = format!(
        r#"{{"access_token":"{TOKEN}","token_type":"Bearer","refresh_token":"{TOKEN}","id_token":"{TOKEN}","x_session_secret":"{SECRET}"}}"#
    );
    let t = TokenResponse::parse((StatusCode::OK, &json, body.as_bytes()), now).unwrap();
    assert_eq!(t.access_token().secret(), TOKEN);
    add("TokenResponse", format!("{t:?}"));

    // Every failure path that sees a body holding the token or secret.
    let failing_bodies = [
        (
            200,
            format!("access_token={TOKEN}&token_type=bearer&client_secret={SECRET}"),
        ),
        (
            200,
            format!(r#"{{"access_token":"{TOKEN}","token_type":"mac"}}"#),
        ),
        (
            200,
            format!(
                r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":"{SECRET}"}}"#
            ),
        ),
        (
            200,
            format!(
                r#"{{"access_token":"{TOKEN}","token_type":"Bearer","scope":"bad\\\\{SECRET}"}}"#
            ),
        ),
        (
            200,
            format!(
                r#"{{"access_token":"{TOKEN}","access_token":"{TOKEN}","token_type":"Bearer"}}"#
            ),
        ),
        (
            200,
            format!(r#"{{"access_token":["{TOKEN}"],"token_type":"Bearer"}}"#),
        ),
        (
            500,
            format!("<html>upstream said {TOKEN} and {SECRET}</html>"),
        ),
        (400, format!(r#"{{"error":{{"nested":"{SECRET}"}}}}"#)),
        (
            200,
            format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":1, "#),
        ),
        (200, TOKEN.to_string()),
    ];
    for (status, body) in &failing_bodies {
        for profile in [Profile::Strict, Profile::Default, Profile::Lenient] {
            let r = TokenResponse::parse_with(
                (
                    StatusCode::from_u16(*status).unwrap(),
                    &json,
                    body.as_bytes(),
                ),
                now,
                &ParseOptions::with_profile(profile),
            );
            match r {
                Ok(t) => add("parsed", format!("{t:?}")),
                Err(e) => {
                    add("error Debug", format!("{e:?}"));
                    add("error Display", format!("{e}"));
                    add("error response", format!("{:?}", e.response()));
                    add_chain("error source chain", &e, &mut add);
                }
            }
        }
    }
    // A server that echoes a secret into a Content-Type parameter: the content type an error
    // keeps redacts it.
    let mut echoing = HeaderMap::new();
    echoing.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&format!("text/html; charset=utf-8; echo={SECRET}")).unwrap(),
    );
    for status in [200, 400, 503] {
        let s = StatusCode::from_u16(status).unwrap();
        let e = TokenResponse::parse((s, &echoing, format!("<p>{TOKEN}</p>").as_bytes()), now)
            .unwrap_err();
        add("echoed content type Display", format!("{e}"));
        add("echoed content type Debug", format!("{e:?}"));
        let e =
            TokenResponse::parse((s, &echoing, br#"{"error":"invalid_client"}"#), now).unwrap_err();
        add("echoed content type, OAuth", format!("{e:?} {e}"));
    }
    // Errors from outside the core keep their cause as a source: the chain is output too.
    let e = Error::ClientAuthentication {
        method: grantwire::AuthMethod::PrivateKeyJwt,
        source: grantwire::ErrorSource::new("the signer refused the key"),
    };
    add_chain("client authentication chain", &e, &mut add);

    // Errors from building requests with secrets in them.
    let mut rng = |b: &mut [u8]| b.fill(1);
    let e: Error = ClientCredentials::new()
        .extra("client_secret", SECRET)
        .to_request(
            &Client::new(
                AuthorizationServer::new(ep.clone()),
                ClientSecretPost::new(ClientId::new("c"), ClientSecret::new(SECRET)),
            )
            .unwrap(),
            &mut Context::new(UNIX_EPOCH, &mut rng),
        )
        .unwrap_err();
    add("duplicate error Debug", format!("{e:?}"));
    add("duplicate error Display", format!("{e}"));

    assert!(outputs.len() > 30);
    for (what, text) in &outputs {
        assert_clean(what, text);
    }
}

/// Every built-in client-authentication method, each holding the secret where it has one.
fn auth_methods() -> Vec<(&'static str, Box<dyn ClientAuthentication>)> {
    vec![
        ("none", Box::new(NoneAuth::new(ClientId::new("c")))),
        (
            "client_secret_basic",
            Box::new(ClientSecretBasic::new(
                ClientId::new("c"),
                ClientSecret::new(SECRET),
            )),
        ),
        (
            "client_secret_basic raw",
            Box::new(
                ClientSecretBasic::without_form_encoding(
                    ClientId::new("c"),
                    ClientSecret::new(SECRET),
                )
                .unwrap(),
            ),
        ),
        (
            "client_secret_post",
            Box::new(ClientSecretPost::new(
                ClientId::new("c"),
                ClientSecret::new(SECRET),
            )),
        ),
        (
            "tls_client_auth",
            Box::new(TlsClientAuth::new(ClientId::new("c"))),
        ),
        (
            "self_signed_tls_client_auth",
            Box::new(SelfSignedTlsClientAuth::new(ClientId::new("c"))),
        ),
        ("unauthenticated", Box::new(Unauthenticated)),
    ]
}

/// A built request's `Debug`, in every form a caller can print it, must not show a credential.
fn request_outputs(what: &str, req: SecretRequest, out: &mut Vec<(String, String)>) {
    // The body does carry the secret: the check below is not vacuous.
    let body = String::from_utf8_lossy(req.body()).into_owned();
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        body.contains("CANARY") || auth.is_some(),
        "{what}: no credential to leak"
    );
    out.push((format!("{what} Debug"), format!("{req:?}")));
    out.push((format!("{what} Debug alt"), format!("{req:#?}")));
    out.push((format!("{what} as_http"), format!("{:?}", req.as_http())));
    let (parts, body) = req.into_parts();
    out.push((format!("{what} parts"), format!("{parts:?}")));
    out.push((format!("{what} body"), format!("{body:?}")));
    // `http::Request<Vec<u8>>` prints its body as a list of byte values: look for that too.
    let as_byte_list = format!("{:?}", "CANARY".as_bytes());
    let as_byte_list = as_byte_list.trim_matches(|c| c == '[' || c == ']');
    for (w, text) in out.iter().rev().take(5) {
        assert!(
            !text.contains(as_byte_list),
            "{w} leaked the body bytes: {text}"
        );
    }
    if let Some(a) = auth {
        // The Basic header is base64: look for it as sent, not only for the raw canary.
        for (w, text) in out.iter().rev().take(5) {
            assert!(
                !text.contains(&a[6..]),
                "{w} leaked the Basic credential: {text}"
            );
        }
    }
}

#[test]
fn built_requests_never_show_credentials_in_debug() {
    let other = Endpoint::parse("https://as.example/other").unwrap();
    let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap())
        .with_introspection_endpoint(other.clone())
        .with_revocation_endpoint(other);
    let mut outputs = Vec::new();
    for (method, auth) in auth_methods() {
        let auth = &Client::from_arcs(server.clone().into(), auth.into()).unwrap();
        let mut rng = |b: &mut [u8]| b.fill(1);
        let mut ctx = Context::new(UNIX_EPOCH, &mut rng);
        let grants: Vec<(&str, SecretRequest)> = vec![
            (
                "client_credentials",
                ClientCredentials::new()
                    .extra("x_secret", SECRET)
                    .to_request(auth, &mut ctx)
                    .unwrap(),
            ),
            (
                "refresh",
                RefreshGrant::new(RefreshToken::new(TOKEN))
                    .to_request(auth, &mut ctx)
                    .unwrap(),
            ),
            (
                "authorization_code + PKCE",
                AuthorizationCodeGrant::new(SecretString::new(TOKEN))
                    .redirect_uri("https://app.example/cb")
                    .pkce_verifier(PkceVerifier::new(format!("{SECRET}{SECRET}")).unwrap())
                    .to_request(auth, &mut ctx)
                    .unwrap(),
            ),
            (
                "jwt_bearer",
                JwtBearer::new(SecretString::new(format!("eyJ.{TOKEN}.sig")))
                    .to_request(auth, &mut ctx)
                    .unwrap(),
            ),
            (
                "token_exchange",
                TokenExchange::new(SecretString::new(TOKEN), "t")
                    .actor_token(SecretString::new(SECRET), "t")
                    .to_request(auth, &mut ctx)
                    .unwrap(),
            ),
            (
                "introspection",
                IntrospectionRequest::new(SecretString::new(TOKEN))
                    .to_request(auth, &mut ctx)
                    .unwrap(),
            ),
            (
                "revocation",
                RevocationRequest::new(SecretString::new(TOKEN))
                    .to_request(auth, &mut ctx)
                    .unwrap(),
            ),
        ];
        for (grant, req) in grants {
            request_outputs(&format!("{grant} with {method}"), req, &mut outputs);
        }
    }
    // Metadata discovery has no secret, but prints the same way.
    let issuer = Issuer::parse("https://as.example").unwrap();
    let req = Discovery::OAuthAuthorizationServer
        .to_request(&issuer)
        .unwrap();
    outputs.push(("discovery".into(), format!("{req:?}")));
    assert!(outputs.len() >= 7 * 7 * 5);
    for (what, text) in &outputs {
        assert_clean(what, text);
    }
}
