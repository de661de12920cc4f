//! A unique secret and token pass through every type, error, `Debug` and `Display` path and
//! never appear in any formatted output.

use std::time::{Duration, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{
    AccessToken, AuthorizationCodeGrant, ClientCredentials, ClientId, ClientSecret,
    ClientSecretBasic, ClientSecretPost, Context, Error, JwtBearer, ParseOptions, PkceVerifier,
    Profile, RefreshGrant, RefreshToken, SecretString, State, TokenEndpoint, TokenExchange,
    TokenResponse,
};

const SECRET: &str = "CANARYsecret7f3a9c1e5b";
const TOKEN: &str = "CANARYtoken2d8e4b6f0a1c";

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
    let ep = TokenEndpoint::parse("https://as.example/token").unwrap();
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
    let t = TokenResponse::parse(StatusCode::OK, &json, body.as_bytes(), now).unwrap();
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
                StatusCode::from_u16(*status).unwrap(),
                &json,
                body.as_bytes(),
                now,
                &ParseOptions::with_profile(profile),
            );
            match r {
                Ok(t) => add("parsed", format!("{t:?}")),
                Err(e) => {
                    add("error Debug", format!("{e:?}"));
                    add("error Display", format!("{e}"));
                }
            }
        }
    }

    // Errors from building requests with secrets in them.
    let mut rng = |b: &mut [u8]| b.fill(1);
    let e: Error = ClientCredentials::new()
        .extra("client_secret", SECRET)
        .to_request(
            &ep,
            &ClientSecretPost::new(ClientId::new("c"), ClientSecret::new(SECRET)),
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
