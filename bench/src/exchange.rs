//! The canned client-credentials exchange: one client (`client_secret_basic`, scope
//! `read write`) set up for grantwire and for `oauth2` 5, and the server's canned answer:
//! `200`, `Content-Type: application/json`, `Cache-Control: no-store`, an 800-character
//! JWT-shaped Bearer token, `expires_in` 3600, the scope echoed.

use std::convert::Infallible;
use std::hint::black_box;

use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};

/// The token endpoint both clients call.
pub const TOKEN_URL: &str = "https://server.example.com/token";
/// The client id (RFC 6749's example).
pub const CLIENT_ID: &str = "s6BhdRkqt3";
/// The client secret.
pub const CLIENT_SECRET: &str = "7Fjfp0ZBr1KtDRbnfVdmIw";
/// The scope asked for and granted.
pub const SCOPE: &str = "read write";
/// The access token's length in characters.
pub const TOKEN_LEN: usize = 800;

/// `oauth2`'s client type with only the token endpoint set.
pub type Oauth2Client = oauth2::basic::BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// The canned server answer and both clients, built once.
pub struct CannedExchange {
    /// The access token inside [`CannedExchange::response`].
    pub token: String,
    /// The server's answer to every token request.
    pub response: http::Response<Vec<u8>>,
    /// grantwire's client (`client_secret_basic`).
    pub client: grantwire::Client,
    /// grantwire's grant (client credentials, scope [`SCOPE`]).
    pub grant: grantwire::ClientCredentials,
    /// `oauth2`'s client with the same credentials and endpoint.
    pub oauth2: Oauth2Client,
}

impl CannedExchange {
    /// Builds the canned answer and both clients.
    pub fn new() -> Self {
        let token = canned_token();
        let body = format!(
            r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600,"scope":"{SCOPE}"}}"#
        );
        let response = http::Response::builder()
            .status(http::StatusCode::OK)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(CACHE_CONTROL, HeaderValue::from_static("no-store"))
            .body(body.into_bytes())
            .expect("canned response");
        let client = grantwire::Client::new(
            grantwire::AuthorizationServer::new(
                grantwire::Endpoint::parse(TOKEN_URL).expect("endpoint"),
            ),
            grantwire::ClientSecretBasic::new(
                grantwire::ClientId::new(CLIENT_ID),
                grantwire::ClientSecret::new(CLIENT_SECRET),
            ),
        )
        .expect("client");
        let grant = grantwire::ClientCredentials::new()
            .scope(grantwire::Scope::parse(SCOPE).expect("scope"));
        let oauth2 = oauth2::basic::BasicClient::new(oauth2::ClientId::new(CLIENT_ID.into()))
            .set_client_secret(oauth2::ClientSecret::new(CLIENT_SECRET.into()))
            .set_token_uri(oauth2::TokenUrl::new(TOKEN_URL.into()).expect("token url"));
        Self {
            token,
            response,
            client,
            grant,
            oauth2,
        }
    }
}

impl Default for CannedExchange {
    fn default() -> Self {
        Self::new()
    }
}

/// The canned transport for `oauth2`: takes the request (black-boxed, dropped) and answers a
/// clone of `response`.
pub fn canned_transport(
    response: &http::Response<Vec<u8>>,
) -> impl Fn(oauth2::HttpRequest) -> Result<oauth2::HttpResponse, Infallible> + '_ {
    move |request| {
        black_box(request);
        Ok(response.clone())
    }
}

/// `oauth2`'s client-credentials exchange (scopes `read` and `write`) through `transport`.
#[inline(never)]
pub fn oauth2_exchange(
    client: &Oauth2Client,
    transport: &impl Fn(oauth2::HttpRequest) -> Result<oauth2::HttpResponse, Infallible>,
) -> oauth2::basic::BasicTokenResponse {
    client
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("read".into()))
        .add_scope(oauth2::Scope::new("write".into()))
        .request(transport)
        .expect("oauth2 exchange")
}

/// A JWT-shaped access token of exactly [`TOKEN_LEN`] characters, deterministic.
pub fn canned_token() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut state: u32 = 0x2545_f491;
    let mut token = String::from("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.");
    while token.len() < TOKEN_LEN {
        if token.len() == 450 {
            token.push('.');
            continue;
        }
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        token.push(char::from(ALPHABET[(state % 64) as usize]));
    }
    token
}
