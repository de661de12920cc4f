//! Interop: grantwire against oidc-provider 9 (an independently written authorization server,
//! run by node) on 127.0.0.1.
//!
//! One client per client-authentication method and algorithm; each gets a client_credentials
//! token, introspects it (active), revokes it and introspects it again (inactive). Then the
//! negative cases, each failing with the server's real answer: a wrong secret (Basic and post),
//! a secret sent raw in Basic, an expired assertion, a replayed `jti`. The matrix is printed and
//! written to `<target>/tmp/oidc-provider-<transport>.md` (docs/INTEROP.md is a copy).
//!
//! The transport is one function ([`Transport`]), so the same matrix runs through every
//! transport.
//!
//! Needs node and `interop/node_modules` (`cargo xtask interop`, or `npm ci` in `interop/`).
//! Without them a plain `cargo test` prints one line and passes; with
//! `GRANTWIRE_REQUIRE_INTEROP=1` (set by `cargo xtask interop` and `cargo xtask ci`) a missing
//! peer fails the test.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
    ClientSecretPost, Context, Discover, Discovered, Error, ErrorKind, IntrospectionRequest,
    IntrospectionResponse, Issuer, NoneAuth, RevocationOutcome, RevocationRequest, Scope,
    TokenResponse, TokenType, TokenTypeHint,
};
use grantwire_interop::{
    interop_dir, missing_peer, skip_or_fail, std_loopback, OidcProvider, Transport,
};
use grantwire_jose::{Algorithm, ClientSecretJwt, PrivateKey, PrivateKeyJwt, SigningKey};
use serde_json::{json, Value};

const BASIC_SECRET: &str = "basic-secret-for-oidc-provider";
/// Space, `+`, `%` and `:`: each means something in form encoding or in Basic.
const SPECIAL_SECRET: &str = "a secret with space, +plus, %percent and :colon";
const POST_SECRET: &str = "post-secret-for-oidc-provider";
/// At least 64 bytes: long enough for HS512 (RFC 7518 §3.2).
const HS_SECRET: &str = "an HMAC secret of sixty-four bytes or more, for client_secret_jwt HS512";

/// oidc-provider's default `clockTolerance` (SERVERS.md: 15 s leeway on `exp`).
const SERVER_LEEWAY: Duration = Duration::from_secs(15);
/// grantwire-jose's default assertion lifetime.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(60);

const HS: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
const ASYMMETRIC: [Algorithm; 10] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
];

/// How one registered client authenticates.
#[derive(Clone, Copy)]
enum Method {
    Basic(&'static str),
    Post,
    SecretJwt(Algorithm),
    PrivateKeyJwt(Algorithm),
    None,
}

impl Method {
    fn every() -> Vec<Method> {
        let mut all = vec![
            Method::Basic(BASIC_SECRET),
            Method::Basic(SPECIAL_SECRET),
            Method::Post,
        ];
        all.extend(HS.map(Method::SecretJwt));
        all.extend(ASYMMETRIC.map(Method::PrivateKeyJwt));
        all.push(Method::None);
        all
    }

    fn name(self) -> &'static str {
        match self {
            Method::Basic(_) => "client_secret_basic",
            Method::Post => "client_secret_post",
            Method::SecretJwt(_) => "client_secret_jwt",
            Method::PrivateKeyJwt(_) => "private_key_jwt",
            Method::None => "none",
        }
    }

    /// The table's second column: the algorithm, or what is special about the secret.
    fn variant(self) -> String {
        match self {
            Method::Basic(s) if s == SPECIAL_SECRET => "secret with space `+` `%` `:`".into(),
            Method::SecretJwt(alg) | Method::PrivateKeyJwt(alg) => alg.name().into(),
            _ => "—".into(),
        }
    }

    fn client_id(self) -> String {
        match self {
            Method::Basic(s) if s == SPECIAL_SECRET => "basic-special".into(),
            Method::Basic(_) => "basic".into(),
            Method::Post => "post".into(),
            Method::SecretJwt(alg) => format!("secret-jwt-{}", alg.name().to_lowercase()),
            Method::PrivateKeyJwt(alg) => format!("private-key-jwt-{}", alg.name().to_lowercase()),
            Method::None => "public".into(),
        }
    }

    /// The client's registration, as `interop/oidc-provider-server.mjs` reads it.
    fn registration(self) -> Value {
        let mut c = json!({"client_id": self.client_id(), "method": self.name()});
        match self {
            Method::Basic(secret) => c["secret"] = secret.into(),
            Method::Post => c["secret"] = POST_SECRET.into(),
            Method::SecretJwt(alg) => {
                c["secret"] = HS_SECRET.into();
                c["alg"] = alg.name().into();
            }
            Method::PrivateKeyJwt(alg) => c["alg"] = alg.name().into(),
            Method::None => {}
        }
        c
    }

    /// The grantwire client for this registration, with the default (issuer) audience.
    fn client(self, server: &AuthorizationServer, provider: &OidcProvider) -> Client {
        let id = ClientId::new(self.client_id());
        let server = server.clone();
        match self {
            Method::Basic(secret) => Client::new(
                server,
                ClientSecretBasic::new(id, ClientSecret::new(secret)),
            ),
            Method::Post => Client::new(
                server,
                ClientSecretPost::new(id, ClientSecret::new(POST_SECRET)),
            ),
            Method::SecretJwt(alg) => Client::new(
                server,
                ClientSecretJwt::new(id, &ClientSecret::new(HS_SECRET), alg).unwrap(),
            ),
            Method::PrivateKeyJwt(alg) => {
                let jwk = provider.private_jwk(&self.client_id()).to_string();
                let key = PrivateKey::from_jwk(jwk.as_bytes()).unwrap();
                let key = SigningKey::new(alg, &key).unwrap();
                Client::new(server, PrivateKeyJwt::new(id, key).unwrap())
            }
            Method::None => Client::new(server, NoneAuth::new(id)),
        }
        .unwrap()
    }
}

fn os_entropy(buf: &mut [u8]) {
    getrandom::fill(buf).expect("OS randomness");
}

/// The server's answer as the table shows it: status and OAuth error code (and its
/// description, which oidc-provider keeps generic), or the parse error.
/// Sorted by [`Error::kind`] first: the server said no (`OAuth`), the server said nonsense
/// (`InvalidResponse`), the client is misconfigured (`Configuration`), or nothing was sent
/// (`Unavailable`).
fn classify(e: &Error) -> String {
    let kind = match e.kind() {
        ErrorKind::OAuth => "OAuth",
        ErrorKind::InvalidResponse => "InvalidResponse",
        ErrorKind::Configuration => "Configuration",
        ErrorKind::Unavailable => "Unavailable",
    };
    match e.oauth() {
        Some(o) => format!("{kind}: {} `{}`", o.status, o.error.as_str()),
        None => format!("{kind}: {e}"),
    }
}

fn describe(e: &Error) -> String {
    match e.oauth() {
        Some(o) => format!(
            "{}{}",
            classify(e),
            o.error_description
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        None => classify(e),
    }
}

fn token_at(client: &Client, send: Transport, now: SystemTime) -> Result<TokenResponse, Error> {
    let request = ClientCredentials::new()
        .scope(Scope::parse("read")?)
        .to_request(client, &mut Context::new(now, &mut os_entropy))?;
    TokenResponse::parse(&send(request), SystemTime::now())
}

fn introspect(client: &Client, send: Transport, token: &TokenResponse) -> Result<String, Error> {
    let request = IntrospectionRequest::access_token(token.access_token())
        .token_type_hint(TokenTypeHint::AccessToken)
        .to_request(
            client,
            &mut Context::new(SystemTime::now(), &mut os_entropy),
        )?;
    Ok(
        match IntrospectionResponse::parse(&send(request), SystemTime::now())? {
            IntrospectionResponse::Active(info) => {
                assert_eq!(
                    info.client_id().map(|c| c.as_str()),
                    client.client_id().map(|c| c.as_str()),
                    "introspection names the client the token was issued to"
                );
                assert!(info.scope().is_some_and(|s| s.contains("read")));
                "active".into()
            }
            IntrospectionResponse::Inactive => "inactive".into(),
        },
    )
}

fn revoke(client: &Client, send: Transport, token: &TokenResponse) -> Result<String, Error> {
    let request = RevocationRequest::access_token(token.access_token()).to_request(
        client,
        &mut Context::new(SystemTime::now(), &mut os_entropy),
    )?;
    Ok(
        match RevocationOutcome::parse(&send(request), SystemTime::now())? {
            RevocationOutcome::Revoked => "revoked".into(),
            other => format!("{other:?}"),
        },
    )
}

/// One row: token, introspection, revocation, introspection again.
fn run_row(client: &Client, send: Transport) -> [String; 4] {
    let dash = || "—".to_owned();
    let token = match token_at(client, send, SystemTime::now()) {
        Ok(t) => t,
        Err(e) => return [classify(&e), dash(), dash(), dash()],
    };
    assert_eq!(token.token_type(), TokenType::Bearer);
    assert_eq!(
        token.scope().map(|s| s.to_string()).as_deref(),
        Some("read")
    );
    let cell = |r: Result<String, Error>| r.unwrap_or_else(|e| classify(&e));
    let before = cell(introspect(client, send, &token));
    let revoked = cell(revoke(client, send, &token));
    let after = cell(introspect(client, send, &token));
    ["ok".into(), before, revoked, after]
}

/// What every method gives. `none` included: oidc-provider issues a client_credentials token to
/// a public client registered for that grant, and lets it introspect and revoke its own token
/// (its default `allowedPolicy`); the cross-client cases are in [`cross_client`].
fn expected(_: Method) -> [&'static str; 4] {
    ["ok", "active", "revoked", "inactive"]
}

/// A negative case: what was sent, the server's answer, and whether it matched.
struct Negative {
    case: &'static str,
    answer: String,
}

fn negatives(
    server: &AuthorizationServer,
    provider: &OidcProvider,
    send: Transport,
) -> Vec<Negative> {
    let mut out = Vec::new();
    let fails = |client: &Client, now: SystemTime| -> Error {
        match token_at(client, send, now) {
            Ok(_) => panic!("the server accepted what it must refuse"),
            Err(e) => e,
        }
    };

    // Wrong secret, Basic: 401 invalid_client with a Basic challenge (SERVERS.md).
    let wrong_basic = Client::new(
        server.clone(),
        ClientSecretBasic::new(ClientId::new("basic"), ClientSecret::new("not the secret")),
    )
    .unwrap();
    let e = fails(&wrong_basic, SystemTime::now());
    let o = e.oauth().expect("an OAuth error");
    assert_eq!(
        (e.kind(), o.status, o.error.as_str()),
        (ErrorKind::OAuth, 401, "invalid_client"),
        "{e}"
    );
    assert!(o.challenges.iter().any(|c| c.scheme_is("Basic")), "{e}");
    out.push(Negative {
        case: "wrong secret, client_secret_basic",
        answer: format!("{}; `WWW-Authenticate: Basic`", describe(&e)),
    });

    // Wrong secret, post: the same, without a challenge.
    let wrong_post = Client::new(
        server.clone(),
        ClientSecretPost::new(ClientId::new("post"), ClientSecret::new("not the secret")),
    )
    .unwrap();
    let e = fails(&wrong_post, SystemTime::now());
    let o = e.oauth().expect("an OAuth error");
    assert_eq!(
        (e.kind(), o.status, o.error.as_str()),
        (ErrorKind::OAuth, 401, "invalid_client"),
        "{e}"
    );
    assert!(o.challenges.is_empty(), "{e}");
    out.push(Negative {
        case: "wrong secret, client_secret_post",
        answer: format!("{}; no `WWW-Authenticate`", describe(&e)),
    });

    // The special secret sent raw (no form encoding): `%pe` is not a valid escape.
    let raw = Client::new(
        server.clone(),
        ClientSecretBasic::without_form_encoding(
            ClientId::new("basic-special"),
            ClientSecret::new(SPECIAL_SECRET),
        )
        .unwrap(),
    )
    .unwrap();
    let e = fails(&raw, SystemTime::now());
    let o = e.oauth().expect("an OAuth error");
    assert_eq!(
        (o.status, o.error.as_str()),
        (400, "invalid_request"),
        "{e}"
    );
    out.push(Negative {
        case: "secret with space `+` `%` `:` in Basic without form encoding",
        answer: describe(&e),
    });

    // An assertion that expired beyond the server's leeway.
    let es256 = Method::PrivateKeyJwt(Algorithm::ES256).client(server, provider);
    let long_ago = SystemTime::now() - ASSERTION_LIFETIME - SERVER_LEEWAY - Duration::from_secs(45);
    let e = fails(&es256, long_ago);
    let o = e.oauth().expect("an OAuth error");
    assert_eq!(
        (e.kind(), o.status, o.error.as_str()),
        (ErrorKind::OAuth, 401, "invalid_client"),
        "{e}"
    );
    out.push(Negative {
        case: "expired assertion (private_key_jwt ES256, `exp` 45 s beyond the leeway)",
        answer: describe(&e),
    });

    // Inside the leeway: accepted (SERVERS.md: 15 s on `exp`). Not a failure, but it pins the
    // leeway the case above steps over.
    let just_expired =
        SystemTime::now() - ASSERTION_LIFETIME - SERVER_LEEWAY + Duration::from_secs(5);
    let accepted = token_at(&es256, send, just_expired);
    assert!(accepted.is_ok(), "{:?}", accepted.err());
    out.push(Negative {
        case: "assertion expired 10 s ago (inside oidc-provider's 15 s leeway), for contrast",
        answer: "accepted: 200 token".into(),
    });

    // The same assertion twice: one `jti`, identical bytes (HS256 is deterministic).
    let hs256 = Method::SecretJwt(Algorithm::HS256).client(server, provider);
    let now = SystemTime::now();
    let replayable = || {
        ClientCredentials::new()
            .to_request(
                &hs256,
                &mut Context::new(now, &mut |b: &mut [u8]| b.fill(0x5a)),
            )
            .unwrap()
    };
    let first = TokenResponse::parse(&send(replayable()), SystemTime::now());
    assert!(first.is_ok(), "{:?}", first.err());
    let e = TokenResponse::parse(&send(replayable()), SystemTime::now()).unwrap_err();
    let o = e.oauth().expect("an OAuth error");
    assert_eq!(
        (e.kind(), o.status, o.error.as_str()),
        (ErrorKind::OAuth, 401, "invalid_client"),
        "{e}"
    );
    out.push(Negative {
        case: "replayed `jti` (client_secret_jwt HS256, the same assertion sent twice)",
        answer: format!("first: 200 token; second: {}", describe(&e)),
    });
    out.extend(cross_client(server, provider, send));
    out
}

/// A client asking about, or revoking, a token issued to another client.
fn cross_client(
    server: &AuthorizationServer,
    provider: &OidcProvider,
    send: Transport,
) -> Vec<Negative> {
    let owner = Method::Basic(BASIC_SECRET).client(server, provider);
    let public = Method::None.client(server, provider);
    let post = Method::Post.client(server, provider);
    let token = token_at(&owner, send, SystemTime::now()).unwrap();
    let mut out = Vec::new();

    let seen = introspect(&public, send, &token).unwrap_or_else(|e| classify(&e));
    assert_eq!(seen, "inactive");
    out.push(Negative {
        case: "`none` client introspects another client's token",
        answer: "200 `{\"active\":false}`: inactive, though the token is live".into(),
    });
    let revoked = revoke(&public, send, &token).unwrap_or_else(|e| classify(&e));
    let still = introspect(&owner, send, &token).unwrap_or_else(|e| classify(&e));
    assert_eq!((revoked.as_str(), still.as_str()), ("revoked", "active"));
    out.push(Negative {
        case: "`none` client revokes another client's token",
        answer: "200 (revoked, says RFC 7009 §2.2), yet the owner still introspects it active"
            .into(),
    });
    let e = revoke(&post, send, &token).unwrap_err();
    let o = e.oauth().expect("an OAuth error");
    assert_eq!(
        (o.status, o.error.as_str()),
        (400, "invalid_request"),
        "{e}"
    );
    out.push(Negative {
        case: "confidential client (client_secret_post) revokes another client's token",
        answer: describe(&e),
    });
    out
}

/// Discovery through grantwire's `Discover` step: which URLs it asked, what it found.
fn discover(issuer: &str, send: Transport) -> (AuthorizationServer, String) {
    let mut step = Discover::new(Issuer::parse(issuer).unwrap());
    let mut trail = Vec::new();
    loop {
        let request = step.request().unwrap();
        let path = request.uri().path().to_owned();
        let response = send(request);
        trail.push(format!("`{path}` {}", response.status().as_u16()));
        match step.handle_response(&response, SystemTime::now()) {
            Discovered::Metadata(md) => {
                return (md.authorization_server().unwrap(), trail.join(", "));
            }
            Discovered::TryNext(next) => step = next,
            Discovered::Failed(e) => panic!("discovery failed: {e}"),
        }
    }
}

fn server_version() -> String {
    let package = std::fs::read(interop_dir().join("node_modules/oidc-provider/package.json"))
        .expect("oidc-provider package.json");
    let package: Value = serde_json::from_slice(&package).unwrap();
    package["version"].as_str().unwrap_or("?").to_owned()
}

/// Runs the whole matrix through `send` and returns it as Markdown.
fn matrix(transport: &str, send: Transport) -> String {
    let methods = Method::every();
    let registrations: Vec<Value> = methods.iter().map(|m| m.registration()).collect();
    let provider = OidcProvider::start(&json!({ "clients": registrations }));
    let (server, trail) = discover(provider.issuer(), send);

    let mut md = String::new();
    let _ = writeln!(
        md,
        "oidc-provider {} (node), issuer `http://127.0.0.1:<ephemeral port>`, transport: {transport}.\n",
        server_version()
    );
    let _ = writeln!(md, "Discovery (grantwire `Discover`): {trail}.\n");
    let _ = writeln!(
        md,
        "| method | alg / secret | token (client_credentials) | introspect | revoke | introspect after |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    let mut failures = Vec::new();
    for method in &methods {
        let client = method.client(&server, &provider);
        let row = run_row(&client, send);
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            method.name(),
            method.variant(),
            row.join(" | ")
        );
        if row != expected(*method) {
            failures.push(format!("{} {}: {row:?}", method.name(), method.variant()));
        }
    }
    let _ = writeln!(md, "\n| negative case | the server's answer |\n|---|---|");
    for n in negatives(&server, &provider, send) {
        let _ = writeln!(md, "| {} | {} |", n.case, n.answer);
    }
    println!("{md}");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("oidc-provider-{transport}.md"));
    std::fs::write(&out, &md).expect("write the matrix");
    eprintln!("matrix written to {}", out.display());
    assert!(failures.is_empty(), "unexpected cells: {failures:#?}\n{md}");

    // Dropping the handle stops the server this test started, by its process id.
    let (addr, pid) = (
        provider.issuer()["http://".len()..].to_owned(),
        provider.pid(),
    );
    drop(provider);
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "oidc-provider (process {pid}) still listens on {addr} after it was dropped"
    );
    md
}

#[test]
fn oidc_provider_matrix_std_loopback() {
    if let Some(missing) = missing_peer() {
        return skip_or_fail("oidc-provider", missing);
    }
    matrix("std-loopback", std_loopback);
}

/// The blocking adapter, one `Transport` built per request (cheap; no pooling needed here).
fn ureq_transport(request: grantwire::SecretRequest) -> http::Response<Vec<u8>> {
    grantwire_ureq::Transport::new()
        .send(request)
        .expect("grantwire-ureq reached 127.0.0.1")
}

/// The async adapter, on a current-thread tokio runtime per request.
fn reqwest_transport(request: grantwire::SecretRequest) -> http::Response<Vec<u8>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(async {
            grantwire_reqwest::Transport::new()
                .expect("a reqwest client")
                .send(request)
                .await
        })
        .expect("grantwire-reqwest reached 127.0.0.1")
}

#[test]
fn oidc_provider_matrix_reqwest() {
    if let Some(missing) = missing_peer() {
        if std::env::var_os("GRANTWIRE_REQUIRE_INTEROP").is_some_and(|v| v == "1") {
            skip_or_fail("oidc-provider", missing);
        }
        return;
    }
    matrix("grantwire-reqwest", reqwest_transport);
}

#[test]
fn oidc_provider_matrix_ureq() {
    if let Some(missing) = missing_peer() {
        // The std-loopback test prints the one skip line; this one fails only when required.
        if std::env::var_os("GRANTWIRE_REQUIRE_INTEROP").is_some_and(|v| v == "1") {
            skip_or_fail("oidc-provider", missing);
        }
        return;
    }
    matrix("grantwire-ureq", ureq_transport);
}
