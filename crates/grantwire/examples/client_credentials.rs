//! The core on its own, without a server: build a client-credentials request with every
//! client-authentication method the core has, print each request, then parse canned responses
//! (a success, an OAuth error, a quirky provider body) and print what was understood.
//!
//! Run: `cargo run -p grantwire --example client_credentials`

use std::time::{Duration, UNIX_EPOCH};

use grantwire::http::{header, HeaderMap, HeaderValue, StatusCode};
use grantwire::{
    AuthorizationServer, Client, ClientAuthentication, ClientCredentials, ClientId, ClientSecret,
    ClientSecretBasic, ClientSecretPost, Context, Endpoint, Error, Issuer, NoneAuth, ParseOptions,
    Profile, Scope, SecretRequest, SelfSignedTlsClientAuth, TlsClientAuth, TokenResponse,
};

fn print_request(req: &SecretRequest) {
    // The request's own Debug never shows the body (it carries credentials).
    println!("  {req:?}");
    println!("  {} {}", req.method(), req.uri());
    for (name, value) in req.headers() {
        // Sensitive headers (Authorization) print as redacted, like a careful log would.
        let shown = if value.is_sensitive() {
            "[redacted]"
        } else {
            value.to_str().unwrap_or("[binary]")
        };
        println!("  {name}: {shown}");
    }
    let body = String::from_utf8_lossy(req.body());
    // The post method carries the secret in the body: redact that parameter too.
    let redacted: Vec<String> = body
        .split('&')
        .map(|p| match p.split_once('=') {
            Some(("client_secret", _)) => "client_secret=[redacted]".to_owned(),
            _ => p.to_owned(),
        })
        .collect();
    println!("  body: {}", redacted.join("&"));
}

fn describe(result: Result<TokenResponse, Error>) {
    match result {
        Ok(t) => {
            println!("  token type:   {}", t.token_type().as_str());
            match t.expires_at() {
                Some(at) => println!(
                    "  expires:      in {} s (at unix {})",
                    t.expires_in().unwrap_or_default().as_secs(),
                    at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
                ),
                None => println!("  expires:      unknown (no expires_in)"),
            }
            println!(
                "  scope:        {}",
                t.scope().map(|s| s.as_str()).unwrap_or("(as requested)")
            );
            println!("  refresh:      {}", t.refresh_token().is_some());
            let quirks: Vec<&str> = t.quirks().iter().map(|q| q.as_str()).collect();
            println!("  quirks:       {quirks:?}");
            println!("  debug:        {t:?}");
        }
        Err(Error::OAuth(e)) => {
            println!("  OAuth error:  {} (HTTP {})", e.error, e.status);
            if let Some(d) = &e.error_description {
                println!("  description:  {d}");
            }
            for c in &e.challenges {
                println!("  challenge:    {} {:?}", c.scheme, c.params);
            }
            println!("  advice:       {}", e.advice());
        }
        Err(other) => {
            println!("  failure:      {other}");
            println!("  kind:         {}", other.kind());
        }
    }
}

fn main() -> Result<(), Error> {
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    // One value for the authorization server (`ServerMetadata::authorization_server()` gives it
    // from discovered metadata).
    let server = AuthorizationServer::new(Endpoint::parse("https://as.example.com/oauth2/token")?)
        .with_issuer(Issuer::parse("https://as.example.com")?);
    let id = ClientId::new("svc-reporting");
    let secret = || ClientSecret::new("s3cr3t with spaces:and+plus");
    let grant = ClientCredentials::new()
        .scope(Scope::parse("read write")?)
        .audience("https://api.example.com")
        .resource("https://api.example.com/reports");

    let methods: Vec<(&str, Box<dyn ClientAuthentication>)> = vec![
        ("none", Box::new(NoneAuth::new(id.clone()))),
        (
            "client_secret_basic",
            Box::new(ClientSecretBasic::new(id.clone(), secret())),
        ),
        (
            "client_secret_basic (without form encoding)",
            Box::new(ClientSecretBasic::without_form_encoding(
                id.clone(),
                secret(),
            )?),
        ),
        (
            "client_secret_post",
            Box::new(ClientSecretPost::new(id.clone(), secret())),
        ),
        ("tls_client_auth", Box::new(TlsClientAuth::new(id.clone()))),
        (
            "self_signed_tls_client_auth",
            Box::new(SelfSignedTlsClientAuth::new(id.clone())),
        ),
    ];
    // Deterministic entropy for the example; a real client passes a CSPRNG.
    let mut entropy = |buf: &mut [u8]| buf.fill(0x2a);
    for (name, auth) in methods {
        println!("== client_credentials with {name}");
        // A client: the server plus how to authenticate there, checked together once.
        let client = Client::from_arcs(server.clone().into(), auth.into())?;
        let req = grant.to_request(&client, &mut Context::new(now, &mut entropy))?;
        print_request(&req);
        println!();
    }

    let mut json = HeaderMap::new();
    json.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    json.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));

    println!("== response: success (RFC 6749 §5.1)");
    let ok = br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600,"scope":"read write"}"#;
    describe(TokenResponse::parse((StatusCode::OK, &json, ok), now));

    println!("\n== response: OAuth error (RFC 6749 §5.2) with a Basic challenge");
    let mut err_headers = json.clone();
    err_headers.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"as.example.com\""),
    );
    let err = br#"{"error":"invalid_client","error_description":"Client authentication failed"}"#;
    describe(TokenResponse::parse(
        (StatusCode::UNAUTHORIZED, &err_headers, err),
        now,
    ));

    println!("\n== response: Azure AD v1 style (expires_in as a string, text/plain)");
    let mut plain = HeaderMap::new();
    plain.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    let azure = br#"{"token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599","expires_on":"1767229199","resource":"https://api.example.com","access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.c2ln"}"#;
    describe(TokenResponse::parse((StatusCode::OK, &plain, azure), now));

    println!("\n== the same body under the strict profile");
    describe(TokenResponse::parse_with(
        (StatusCode::OK, &plain, azure),
        now,
        &ParseOptions::with_profile(Profile::Strict),
    ));

    println!("\n== response: GitHub style (HTTP 200 carrying an error)");
    let gh = br#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#;
    describe(TokenResponse::parse((StatusCode::OK, &json, gh), now));

    println!("\n== response: an HTML error page from a proxy");
    let html = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
    describe(TokenResponse::parse(
        (StatusCode::BAD_GATEWAY, &HeaderMap::new(), html),
        now,
    ));

    Ok(())
}
