//! `grantwire demo`: the testkit authorization server on loopback, and in one run a token with
//! every client-authentication method and signing algorithm, the protected resource through the
//! blocking token client (with one forced 401 and its single retry), introspection, revocation
//! and introspection again; then a table of what happened, with timings.
//!
//! It needs nothing outside the repository: the keys are grantwire-jose's published test
//! vectors (`demo-keys/`), the secrets constants of this file. Neither is ever printed, nor is
//! any token. The TLS methods (RFC 8705 §2) go to the same server through its loopback TLS
//! listener, started beside the plain one with certificates from a testkit CA generated at
//! start: a real handshake in which the client proves possession of its certificate's key,
//! the server checks the chain for `tls_client_auth`, and their rows say `HTTPS mTLS`. Exit 0
//! only if every row succeeded.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use grantwire::{
    AuthMethod, AuthorizationCodeGrant, AuthorizationServer, Client, ClientAuthentication,
    ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, ClientSecretPost, Context,
    Endpoint, NoneAuth, PkceVerifier, RevocationOutcome, Scope, SecretString,
    SelfSignedTlsClientAuth, TlsClientAuth, TokenResponse,
};
use grantwire_jose::{Algorithm, ClientSecretJwt, PrivateKey, PrivateKeyJwt, SigningKey};
use grantwire_testkit::{
    AuthServer, AuthorizationCodeRequest, ClientAuthConfig, ClientConfig, ClientIdentity,
    ClientRegistry, EndpointKind, GrantType, IntrospectionPolicy, LoopbackServer, ServerConfig,
    TestPki, TlsListener,
};
use grantwire_ureq::{TokenClient, Transport, TransportOptions};

use crate::output::CliError;

/// Arguments of `grantwire demo` (none).
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {}

/// The scope every demo client may ask for.
const SCOPE: &str = "read";
/// The redirect URI of the public client (its code is issued in process; nothing redirects).
const REDIRECT: &str = "http://127.0.0.1/callback";
/// Secrets for the demo server only. An HMAC secret must be at least as long as the hash
/// output (RFC 7518 §3.2): 64 bytes covers HS512.
const BASIC_SECRET: &str = "demo-basic-secret-for-the-loopback-server-only-7f3a9c";
const POST_SECRET: &str = "demo-post-secret-for-the-loopback-server-only-2b8e41";
const HMAC_SECRET: &str =
    "demo-hmac-secret-for-the-loopback-server-only-0123456789abcdef0123456789abcdef";

const RSA_KEY: &str = include_str!("../demo-keys/rsa2048_pkcs1.pem");
const P256_KEY: &str = include_str!("../demo-keys/p256_sec1.pem");
const P384_KEY: &str = include_str!("../demo-keys/p384_pkcs8.pem");
const P521_KEY: &str = include_str!("../demo-keys/p521_sec1.pem");
const ED25519_KEY: &str = include_str!("../demo-keys/ed25519_pkcs8.pem");

/// Every assertion algorithm, with the key it signs with.
const JWT_ALGS: [(Algorithm, &str); 10] = [
    (Algorithm::RS256, RSA_KEY),
    (Algorithm::RS384, RSA_KEY),
    (Algorithm::RS512, RSA_KEY),
    (Algorithm::PS256, RSA_KEY),
    (Algorithm::PS384, RSA_KEY),
    (Algorithm::PS512, RSA_KEY),
    (Algorithm::ES256, P256_KEY),
    (Algorithm::ES384, P384_KEY),
    (Algorithm::ES512, P521_KEY),
    (Algorithm::EdDSA, ED25519_KEY),
];
const HMAC_ALGS: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

/// How a row reached the server.
#[derive(Clone, Copy)]
enum Via {
    /// HTTP to the loopback server, through grantwire-ureq.
    Http,
    /// HTTPS to the loopback TLS listener, presenting a client certificate (RFC 8705 §2).
    MutualTls,
}

/// One line of the table: what was done, how, whether it worked, how long it took.
struct Row {
    step: &'static str,
    method: String,
    via: Via,
    result: Result<String, String>,
    took: Duration,
}

/// Times `f` and records its outcome. Errors are shown with their `Display`, which never
/// carries a secret or token (the crates' contract).
fn row(
    rows: &mut Vec<Row>,
    step: &'static str,
    method: impl Into<String>,
    via: Via,
    f: impl FnOnce() -> Result<String, String>,
) {
    let start = Instant::now();
    let result = f();
    rows.push(Row {
        step,
        method: method.into(),
        via,
        result,
        took: start.elapsed(),
    });
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Fills `buf` from the operating system's generator (assertion `jti`s, PKCE, token values).
fn os_entropy(buf: &mut [u8]) {
    // A failing OS generator is not something a demo can recover from; a zeroed buffer would
    // only make the server refuse a replayed jti, which the table would show.
    let _ = getrandom::fill(buf);
}

/// A demo client: its id, the server-side registration and the client-side authentication.
struct DemoClient {
    id: String,
    method: String,
    via: Via,
    register: ClientAuthConfig,
    auth: Arc<dyn ClientAuthentication>,
}

fn signing_key(alg: Algorithm, pem: &str) -> Result<SigningKey, String> {
    let key = PrivateKey::from_bytes(pem.as_bytes()).map_err(err)?;
    SigningKey::new(alg, &key).map_err(err)
}

/// The certificates of the TLS rows, generated at start: a testkit CA (which also issues the
/// listener's server certificate), a client certificate it issues for `tls_client_auth`
/// (matched by subject DN and chain), a self-signed one for `self_signed_tls_client_auth`
/// (matched by its bytes).
struct Certificates {
    pki: TestPki,
    issued: ClientIdentity,
    self_signed: ClientIdentity,
}

impl Certificates {
    fn generate() -> Result<Self, String> {
        let pki = TestPki::generate().map_err(err)?;
        let issued = pki.issue_client_certificate("demo-mtls").map_err(err)?;
        let self_signed = ClientIdentity::self_signed("demo-self-signed").map_err(err)?;
        Ok(Self {
            pki,
            issued,
            self_signed,
        })
    }
}

/// Every client-authentication method, and for the JWT methods every algorithm.
fn clients(certs: &Certificates) -> Result<Vec<DemoClient>, String> {
    let mut out = Vec::new();
    let mut add = |id: &str, method: String, via, register, auth: Arc<dyn ClientAuthentication>| {
        out.push(DemoClient {
            id: id.to_owned(),
            method,
            via,
            register,
            auth,
        })
    };
    let cid = |id: &str| ClientId::new(id);
    add(
        "public",
        "none (authorization_code + PKCE)".into(),
        Via::Http,
        ClientAuthConfig::None,
        Arc::new(NoneAuth::new(cid("public"))),
    );
    add(
        "basic",
        "client_secret_basic".into(),
        Via::Http,
        ClientAuthConfig::ClientSecretBasic(ClientSecret::new(BASIC_SECRET)),
        Arc::new(ClientSecretBasic::new(
            cid("basic"),
            ClientSecret::new(BASIC_SECRET),
        )),
    );
    add(
        "post",
        "client_secret_post".into(),
        Via::Http,
        ClientAuthConfig::ClientSecretPost(ClientSecret::new(POST_SECRET)),
        Arc::new(ClientSecretPost::new(
            cid("post"),
            ClientSecret::new(POST_SECRET),
        )),
    );
    for alg in HMAC_ALGS {
        let id = format!("jwt-{}", alg.name().to_ascii_lowercase());
        let secret = ClientSecret::new(HMAC_SECRET);
        add(
            &id,
            format!("client_secret_jwt {}", alg.name()),
            Via::Http,
            ClientAuthConfig::client_secret_jwt(ClientSecret::new(HMAC_SECRET), alg)
                .map_err(err)?,
            Arc::new(ClientSecretJwt::new(cid(&id), &secret, alg).map_err(err)?),
        );
    }
    for (alg, pem) in JWT_ALGS {
        let id = format!("pk-{}", alg.name().to_ascii_lowercase());
        let key = signing_key(alg, pem)?;
        add(
            &id,
            format!("private_key_jwt {}", alg.name()),
            Via::Http,
            ClientAuthConfig::private_key_jwt(key.jwks(), alg).map_err(err)?,
            Arc::new(PrivateKeyJwt::new(cid(&id), key).map_err(err)?),
        );
    }
    add(
        "mtls",
        "tls_client_auth".into(),
        Via::MutualTls,
        ClientAuthConfig::TlsClientAuth {
            subject_dn: certs.issued.subject_dn().to_owned(),
        },
        Arc::new(TlsClientAuth::new(cid("mtls"))),
    );
    add(
        "selfsigned",
        "self_signed_tls_client_auth".into(),
        Via::MutualTls,
        ClientAuthConfig::SelfSignedTlsClientAuth {
            certificates: vec![certs.self_signed.certificate_der().to_vec()],
        },
        Arc::new(SelfSignedTlsClientAuth::new(cid("selfsigned"))),
    );
    Ok(out)
}

/// The loopback server with every demo client registered.
fn start(clients: &[DemoClient]) -> Result<LoopbackServer, String> {
    let mut registry = ClientRegistry::new();
    for c in clients {
        let mut config = ClientConfig::new(c.id.as_str(), c.register.clone())
            .scopes([SCOPE])
            .introspection(IntrospectionPolicy::OwnTokens);
        config = if matches!(c.register, ClientAuthConfig::None) {
            config
                .grant(GrantType::AuthorizationCode)
                .redirect_uri(REDIRECT)
        } else {
            config.grant(GrantType::ClientCredentials)
        };
        registry.insert(config);
    }
    // The placeholder issuer becomes http://127.0.0.1:PORT when the server starts.
    let config = ServerConfig::new("https://placeholder.example").map_err(err)?;
    LoopbackServer::start(AuthServer::new(config, registry)).map_err(err)
}

/// What a token response says, without the token.
fn describe(token_type: &str, lifetime: Option<Duration>, scope: Option<&Scope>) -> String {
    let lifetime = lifetime.map_or("no expiry given".to_owned(), |d| {
        format!("expires in {} s", d.as_secs())
    });
    let scope = scope.map_or(String::new(), |s| format!(", scope {}", s.as_str()));
    format!("{token_type}, {lifetime}{scope}")
}

fn describe_response(t: &TokenResponse) -> String {
    describe(t.token_type().as_str(), t.expires_in(), t.scope())
}

/// The public client: a code issued in process (the user-agent part), exchanged over HTTP
/// with its PKCE verifier (RFC 7636; RFC 6749 §4.4 is for confidential clients only).
fn public_token(server: &LoopbackServer, client: &Client) -> Result<String, String> {
    let mut entropy = os_entropy;
    let verifier = PkceVerifier::generate(&mut entropy);
    let code = server
        .lock()
        .issue_authorization_code(
            &AuthorizationCodeRequest::new("public", "demo-user")
                .redirect_uri(REDIRECT)
                .code_challenge_s256(verifier.challenge_s256()),
            SystemTime::now(),
            &mut entropy,
        )
        .map_err(err)?;
    let request = AuthorizationCodeGrant::new(SecretString::new(code.secret()))
        .redirect_uri(REDIRECT)
        .pkce_verifier(verifier)
        .to_request(client, &mut Context::new(SystemTime::now(), &mut entropy))
        .map_err(err)?;
    let response = Transport::new().send(request).map_err(err)?;
    let token = TokenResponse::parse(&response, SystemTime::now()).map_err(err)?;
    Ok(describe_response(&token))
}

/// A TLS method over a real handshake: the request to the TLS listener's token endpoint,
/// through grantwire-ureq trusting the testkit CA and presenting `identity`.
fn tls_token(
    tls: &TlsListener,
    ca_pem: &str,
    identity: &ClientIdentity,
    auth: Arc<dyn ClientAuthentication>,
) -> Result<String, String> {
    let endpoint = Endpoint::parse(&tls.token_endpoint()).map_err(err)?;
    let client =
        Client::from_arcs(Arc::new(AuthorizationServer::new(endpoint)), auth).map_err(err)?;
    let mut entropy = os_entropy;
    let request = ClientCredentials::new()
        .scope(Scope::parse(SCOPE).map_err(err)?)
        .to_request(&client, &mut Context::new(SystemTime::now(), &mut entropy))
        .map_err(err)?;
    let options = TransportOptions::default()
        .root_certificates_pem(ca_pem.as_bytes())
        .map_err(err)?;
    let transport = Transport::with_client_certificate(
        options,
        identity.certificate_pem().as_bytes(),
        identity.private_key_pem().as_bytes(),
    )
    .map_err(err)?;
    let response = transport.send(request).map_err(err)?;
    let token = TokenResponse::parse(&response, SystemTime::now()).map_err(err)?;
    Ok(describe_response(&token))
}

/// A confidential client over HTTP, through the blocking token client.
fn http_token(client: Client) -> Result<(TokenClient, String), String> {
    let grant = ClientCredentials::new().scope(Scope::parse(SCOPE).map_err(err)?);
    let tokens = TokenClient::builder(client).grant(grant).build();
    let token = tokens.token().map_err(err)?;
    let text = describe(
        token.token_type().as_str(),
        Some(token.lifetime()),
        token.scope(),
    );
    Ok((tokens, text))
}

/// The resource, the forced 401 and its retry, introspect, revoke, introspect, with `tokens`.
fn resource_and_lifecycle(rows: &mut Vec<Row>, server: &LoopbackServer, tokens: &TokenClient) {
    let method = "client_secret_basic";
    let resource = server.lock().endpoint_url(EndpointKind::Resource);
    let get = || {
        http::Request::get(resource.as_str())
            .body(Vec::new())
            .map_err(err)
    };
    let counts = || {
        let s = server.lock();
        let c = s.counters();
        (
            c.endpoint(EndpointKind::Token),
            c.endpoint(EndpointKind::Resource),
        )
    };
    row(rows, "call /resource", method, Via::Http, || {
        let response = tokens.send(get()?).map_err(err)?;
        match response.status().as_u16() {
            200 => Ok("200 OK with the cached token".into()),
            s => Err(format!("status {s}")),
        }
    });
    row(rows, "revoke at the server", method, Via::Http, || {
        let token = tokens.token().map_err(err)?;
        match tokens.revoke(token.access_token()).map_err(err)? {
            RevocationOutcome::Revoked => Ok("revoked the cached token (RFC 7009)".into()),
            other => Err(format!("unexpected outcome {other:?}")),
        }
    });
    row(rows, "forced 401 + retry", method, Via::Http, || {
        let before = counts();
        let response = tokens.send(get()?).map_err(err)?;
        let after = counts();
        let (new_tokens, calls) = (after.0 - before.0, after.1 - before.1);
        if response.status().as_u16() == 200 && new_tokens == 1 && calls == 2 {
            Ok("401 invalid_token, one new token, one retry: 200 OK".into())
        } else {
            Err(format!(
                "status {}, {new_tokens} new token(s), {calls} resource call(s); expected 200, 1, 2",
                response.status()
            ))
        }
    });
    let introspect = |want: bool| {
        move || {
            let token = tokens.token().map_err(err)?;
            let answer = tokens.introspect(token.access_token()).map_err(err)?;
            match (answer.is_active(), want) {
                (true, true) => Ok("active (RFC 7662)".to_owned()),
                (false, false) => Ok("inactive, as it should be".to_owned()),
                (got, _) => Err(format!("active: {got}, expected {want}")),
            }
        }
    };
    row(rows, "introspect", method, Via::Http, introspect(true));
    row(rows, "revoke", method, Via::Http, || {
        let token = tokens.token().map_err(err)?;
        match tokens.revoke(token.access_token()).map_err(err)? {
            RevocationOutcome::Revoked => Ok("revoked".into()),
            other => Err(format!("unexpected outcome {other:?}")),
        }
    });
    // The client still holds the revoked token (it cannot know): introspect that one.
    row(
        rows,
        "introspect again",
        method,
        Via::Http,
        introspect(false),
    );
}

/// Every row of the demo, against the server started here; its plain and TLS URLs.
fn run_all(rows: &mut Vec<Row>) -> Result<(String, String), String> {
    let certs = Certificates::generate()?;
    let clients = clients(&certs)?;
    let server = start(&clients)?;
    let tls = server.start_tls(&certs.pki).map_err(err)?;
    let ca_pem = certs.pki.ca_certificate_pem();
    let as_value: Arc<AuthorizationServer> = Arc::new(server.authorization_server().map_err(err)?);
    let mut basic = None;
    for c in clients {
        let client = Client::from_arcs(Arc::clone(&as_value), Arc::clone(&c.auth)).map_err(err)?;
        let step = "token";
        match (c.via, client.method()) {
            (_, AuthMethod::None) => row(rows, step, c.method, c.via, || {
                public_token(&server, &client)
            }),
            (Via::MutualTls, method) => row(rows, step, c.method, c.via, || {
                let identity = match method {
                    AuthMethod::SelfSignedTlsClientAuth => &certs.self_signed,
                    _ => &certs.issued,
                };
                tls_token(&tls, &ca_pem, identity, Arc::clone(&c.auth))
            }),
            (Via::Http, method) => row(rows, step, c.method, c.via, || {
                let (tokens, text) = http_token(client)?;
                if method == AuthMethod::ClientSecretBasic {
                    basic = Some(tokens);
                }
                Ok(text)
            }),
        }
    }
    match &basic {
        Some(tokens) => resource_and_lifecycle(rows, &server, tokens),
        None => rows.push(Row {
            step: "call /resource",
            method: "client_secret_basic".into(),
            via: Via::Http,
            result: Err("no token client: its token row failed".into()),
            took: Duration::ZERO,
        }),
    }
    Ok((server.issuer(), tls.url()))
}

fn print_table(issuer: &str, tls_url: &str, rows: &[Row], total: Duration) {
    println!("grantwire demo: the testkit authorization server at {issuer}");
    println!("(and over TLS, asking for client certificates, at {tls_url})");
    println!();
    let w_step = rows.iter().map(|r| r.step.len()).max().unwrap_or(0).max(4);
    let w_method = rows.iter().map(|r| r.method.len()).max().unwrap_or(0);
    println!(
        "{:<w_step$}  {:<w_method$}  {:<10}  {:>9}  result",
        "step", "client authentication", "path", "time"
    );
    for r in rows {
        let via = match r.via {
            Via::Http => "HTTP",
            Via::MutualTls => "HTTPS mTLS",
        };
        let ms = r.took.as_secs_f64() * 1000.0;
        let (mark, text) = match &r.result {
            Ok(t) => ("ok", t.as_str()),
            Err(e) => ("FAILED", e.as_str()),
        };
        println!(
            "{:<w_step$}  {:<w_method$}  {via:<10}  {ms:>6.1} ms  {mark}: {text}",
            r.step, r.method
        );
    }
    let failed = rows.iter().filter(|r| r.result.is_err()).count();
    println!();
    println!(
        "{} rows, {} ok, {failed} failed, {:.0} ms in all.",
        rows.len(),
        rows.len() - failed,
        total.as_secs_f64() * 1000.0
    );
    println!("\"HTTPS mTLS\": the TLS methods (RFC 8705) present a client certificate in a real");
    println!("TLS handshake to the same server's loopback TLS listener (a testkit CA generated");
    println!("at start issued its certificate and the tls_client_auth one); the handshake proves");
    println!("possession of the key. No token, secret or key is printed.");
}

/// Runs `grantwire demo`: exit 0 only if every row succeeded, 1 otherwise.
pub(crate) fn run(args: DemoArgs) -> Result<ExitCode, CliError> {
    let DemoArgs {} = args;
    let start = Instant::now();
    let mut rows = Vec::new();
    let (issuer, tls_url) =
        run_all(&mut rows).map_err(|e| CliError::usage(format!("demo set-up: {e}")))?;
    print_table(&issuer, &tls_url, &rows, start.elapsed());
    if rows.iter().all(|r| r.result.is_ok()) {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}
