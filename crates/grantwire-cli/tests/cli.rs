//! End-to-end tests: the `grantwire` binary against the testkit's loopback server. Every run
//! goes through [`run`], which fails the test if the canary client secret or the private key
//! appears in stdout or stderr, success or failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use grantwire::{AssertionAudience, ClientSecret, ErrorCode};
use grantwire_jose::{Algorithm, BearerAssertion, PrivateKey, SigningKey};
use grantwire_testkit::{
    AssertionPolicy, AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, EndpointKind,
    Fault, GrantType, IntrospectionPolicy, LoopbackServer, ServerConfig,
};
use http::StatusCode;
use serde_json::Value;

/// The client secret of every secret-based client: it must never be printed.
const CANARY: &str = "canary-S3CRET-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e";
/// The subject DN the tls_client_auth client is registered with.
const TLS_DN: &str = "CN=tls-client";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../grantwire-testkit/tests/fixtures/{name}.private.jwk.json"
    ))
}

fn es256() -> SigningKey {
    let pk = PrivateKey::from_jwk(&std::fs::read(fixture("client-a-es256")).unwrap()).unwrap();
    SigningKey::new(Algorithm::ES256, &pk).unwrap()
}

/// The private JWK's `d`: a private key must never be printed either.
fn private_d() -> String {
    let v: Value =
        serde_json::from_slice(&std::fs::read(fixture("client-a-es256")).unwrap()).unwrap();
    v["d"].as_str().unwrap().to_owned()
}

fn registry(lifetime: Option<Duration>) -> ClientRegistry {
    let secret = || ClientSecret::new(CANARY);
    let with = |c: ClientConfig| match lifetime {
        Some(l) => c.access_token_lifetime(l),
        None => c,
    };
    ClientRegistry::new()
        .with(with(
            ClientConfig::new("basic", ClientAuthConfig::ClientSecretBasic(secret()))
                .grant(GrantType::ClientCredentials)
                .grant(GrantType::RefreshToken)
                .grant(GrantType::TokenExchange)
                .scopes(["read", "write"])
                .audience("https://api.example")
                .resource("https://api.example/v1")
                .introspection(IntrospectionPolicy::OwnTokens),
        ))
        .with(
            ClientConfig::new("post", ClientAuthConfig::ClientSecretPost(secret()))
                .grant(GrantType::ClientCredentials)
                .scopes(["read"]),
        )
        .with(
            ClientConfig::new(
                "hs",
                ClientAuthConfig::client_secret_jwt(secret(), Algorithm::HS256).unwrap(),
            )
            .grant(GrantType::ClientCredentials)
            .scopes(["read"]),
        )
        .with(
            ClientConfig::new(
                "pk",
                ClientAuthConfig::private_key_jwt(es256().jwks(), Algorithm::ES256).unwrap(),
            )
            .grant(GrantType::ClientCredentials)
            .grant(GrantType::JwtBearer)
            .scopes(["read"]),
        )
        .with(
            ClientConfig::new("pub", ClientAuthConfig::None)
                .grant(GrantType::TokenExchange)
                .scopes(["read"]),
        )
        .with(
            ClientConfig::new(
                "tls",
                ClientAuthConfig::TlsClientAuth {
                    subject_dn: TLS_DN.into(),
                },
            )
            .grant(GrantType::ClientCredentials)
            .scopes(["read"]),
        )
}

fn start_with(lifetime: Option<Duration>, refresh: bool) -> LoopbackServer {
    // Every named assertion audience rule is accepted, so each --assertion-audience works.
    let policy = AssertionPolicy::new()
        .also_accept_audience(AssertionAudience::TokenEndpoint)
        .also_accept_audience(AssertionAudience::CalledEndpoint);
    let config = ServerConfig::new("https://placeholder.example")
        .unwrap()
        .assertion_policy(policy)
        .refresh_with_client_credentials(refresh);
    LoopbackServer::start(AuthServer::new(config, registry(lifetime))).unwrap()
}

fn start() -> LoopbackServer {
    start_with(None, false)
}

/// A private cache directory per test.
fn cache_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("grantwire-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout not JSON ({e}): {}", self.stdout))
    }
    fn error(&self) -> Value {
        serde_json::from_str(self.stderr.trim())
            .unwrap_or_else(|e| panic!("stderr not one JSON object ({e}): {}", self.stderr))
    }
}

/// Runs the binary with the canary secret in the environment, `stdin` on its standard input,
/// and checks that neither output holds the secret or the private key.
fn run_in(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grantwire"));
    cmd.args(args)
        .env("GRANTWIRE_CLIENT_SECRET", CANARY)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", cache_dir("default"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let run = Run {
        code: status.code().unwrap(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    };
    for (what, out) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !out.contains(CANARY),
            "the secret is in {what} of {args:?}: {out}"
        );
        assert!(
            !out.contains(&private_d()),
            "the private key is in {what} of {args:?}"
        );
    }
    run
}

fn run(args: &[&str]) -> Run {
    run_in(args, "", &[])
}

fn token_args<'a>(te: &'a str, id: &'a str, method: &'a str) -> Vec<&'a str> {
    vec![
        "token",
        "--token-endpoint",
        te,
        "--client-id",
        id,
        "--auth-method",
        method,
        "--output",
        "json",
    ]
}

fn token_json(lo: &LoopbackServer, id: &str, method: &str, extra: &[&str]) -> Value {
    let te = lo.token_endpoint();
    let mut args = token_args(&te, id, method);
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    r.json()
}

#[test]
fn every_secret_and_key_method_gets_a_token() {
    let lo = start();
    let key = fixture("client-a-es256");
    let key = key.to_str().unwrap();
    let issuer = lo.issuer();
    // The registered key set finds the key by this id.
    let kid = es256().kid().expect("the fixture has a kid").to_owned();
    for (id, method, extra) in [
        ("basic", "client_secret_basic", vec![]),
        ("post", "client_secret_post", vec![]),
        ("hs", "client_secret_jwt", vec!["--issuer", issuer.as_str()]),
        (
            "hs",
            "client_secret_jwt",
            vec!["--alg", "HS256", "--assertion-audience", "token-endpoint"],
        ),
        (
            "pk",
            "private_key_jwt",
            vec!["--key", key, "--alg", "ES256", "--issuer", issuer.as_str()],
        ),
        (
            "pk",
            "private_key_jwt",
            vec![
                "--key",
                key,
                "--alg",
                "ES256",
                "--kid",
                &kid,
                "--assertion-audience",
                "endpoint",
            ],
        ),
    ] {
        eprintln!("case: {id} {method} {extra:?}");
        let v = token_json(&lo, id, method, &extra);
        assert!(
            !v["access_token"].as_str().unwrap().is_empty(),
            "{id} {method}"
        );
        assert_eq!(v["token_type"], "Bearer");
        assert!(v["expires_in"].as_u64().unwrap() > 3000);
        assert!(v["expires_at"].as_u64().unwrap() > 1_700_000_000);
        assert_eq!(v["quirks"], serde_json::json!([]));
    }
    // Only the token endpoint was called, once per run.
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 6);
}

#[test]
fn a_wrong_secret_is_an_oauth_error_with_exit_3() {
    let lo = start();
    let te = lo.token_endpoint();
    let r = run_in(
        &token_args(&te, "basic", "client_secret_basic"),
        "",
        &[("GRANTWIRE_CLIENT_SECRET", "wrong")],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let e = r.error();
    assert_eq!(e["kind"], "oauth");
    assert_eq!(e["error"], "invalid_client");
    assert_eq!(e["status"], 401);
    // Text output: the meaning and the checklist.
    let te = lo.token_endpoint();
    let r = run_in(
        &[
            "token",
            "--token-endpoint",
            &te,
            "--client-id",
            "basic",
            "--auth-method",
            "client_secret_post",
        ],
        "",
        &[],
    );
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("invalid_client") && r.stderr.contains("Verify client_id"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_public_client_and_token_exchange() {
    let lo = start();
    let subject = token_json(&lo, "basic", "client_secret_basic", &["--scope", "read"]);
    let subject = subject["access_token"].as_str().unwrap().to_owned();
    let te = lo.token_endpoint();
    let args = [
        "token",
        "--token-endpoint",
        &te,
        "--client-id",
        "pub",
        "--auth-method",
        "none",
        "--grant",
        "token_exchange",
        "--subject-token",
        "-",
        "--subject-token-type",
        "urn:ietf:params:oauth:token-type:access_token",
        "--output",
        "json",
    ];
    let r = run_in(&args, &format!("{subject}\n"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_ne!(r.json()["access_token"], subject.as_str());
}

#[test]
fn refresh_token_grant_from_stdin() {
    let lo = start_with(None, true);
    let first = token_json(&lo, "basic", "client_secret_basic", &[]);
    let refresh = first["refresh_token"]
        .as_str()
        .expect("a refresh token in the JSON")
        .to_owned();
    let te = lo.token_endpoint();
    let mut args = token_args(&te, "basic", "client_secret_basic");
    args.extend(["--grant", "refresh_token", "--refresh-token", "-"]);
    let r = run_in(&args, &refresh, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_ne!(r.json()["access_token"], first["access_token"]);
}

#[test]
fn jwt_bearer_grant_with_and_without_client_authentication() {
    let lo = start();
    let assertion = |jti: bool| {
        let mut b = BearerAssertion::new(es256(), "pk", lo.issuer())
            .subject("alice@example.com")
            .lifetime(Duration::from_secs(60))
            .unwrap();
        if jti {
            b = b.with_jti();
        }
        let mut rng = |d: &mut [u8]| getrandom::fill(d).unwrap();
        b.mint(SystemTime::now(), &mut rng)
            .unwrap()
            .secret()
            .to_owned()
    };
    let te = lo.token_endpoint();
    // Unauthenticated (RFC 7523 §3.1): no client id.
    let a = assertion(true);
    let r = run(&[
        "token",
        "--token-endpoint",
        &te,
        "--grant",
        "jwt_bearer",
        "--assertion",
        &a,
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(&a), "the assertion is not echoed");
    // Authenticated with private_key_jwt.
    let key = fixture("client-a-es256");
    let a = assertion(true);
    let r = run(&[
        "token",
        "--token-endpoint",
        &te,
        "--client-id",
        "pk",
        "--auth-method",
        "private_key_jwt",
        "--key",
        key.to_str().unwrap(),
        "--alg",
        "ES256",
        "--grant",
        "jwt_bearer",
        "--assertion",
        &a,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(&a) && !r.stderr.contains(&a));
}

/// A self-signed certificate and key made with openssl, or `None` when it is not installed.
fn certificate(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=tls-client",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some((cert, key))
}

#[test]
fn tls_methods_need_a_certificate_and_send_the_client_id() {
    let lo = start();
    let te = lo.token_endpoint();
    // Without --cert: a usage error, nothing sent.
    let r = run(&token_args(&te, "tls", "tls_client_auth"));
    assert_eq!(r.code, 2);
    assert_eq!(r.error()["kind"], "usage");
    assert!(r.error()["reason"].as_str().unwrap().contains("--cert"));
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 0);
    // With one: the certificate is loaded into the transport. The loopback server speaks plain
    // HTTP, so no certificate reaches it and it answers invalid_client (RFC 8705 §2).
    let Some((cert, key)) = certificate(&cache_dir("tls")) else {
        eprintln!("openssl not found: the certificate half of this test is skipped");
        return;
    };
    for method in ["tls_client_auth", "self_signed_tls_client_auth"] {
        let mut args = token_args(&te, "tls", method);
        args.extend([
            "--cert",
            cert.to_str().unwrap(),
            "--cert-key",
            key.to_str().unwrap(),
        ]);
        let r = run(&args);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert_eq!(r.error()["error"], "invalid_client");
    }
    // A file that is not a certificate: a usage error naming the flag.
    let mut args = token_args(&te, "tls", "tls_client_auth");
    args.extend([
        "--cert",
        key.to_str().unwrap(),
        "--cert-key",
        key.to_str().unwrap(),
    ]);
    let r = run(&args);
    assert_eq!(r.code, 2);
    assert!(r.error()["reason"].as_str().unwrap().contains("--cert"));
}

#[test]
fn discovery_header_introspect_and_revoke() {
    let lo = start();
    let issuer = lo.issuer();
    let r = run(&["discover", "--issuer", &issuer, "--output", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["token_endpoint"], lo.token_endpoint());
    let auth = [
        "--issuer",
        issuer.as_str(),
        "--client-id",
        "basic",
        "--auth-method",
        "client_secret_basic",
    ];
    let mut args = vec!["header"];
    args.extend(auth);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token = r
        .stdout
        .trim()
        .strip_prefix("Authorization: Bearer ")
        .expect("a header line")
        .to_owned();
    let op = |cmd: &str, output: &str| {
        let mut args = vec![cmd];
        args.extend(auth);
        args.extend([
            "--token",
            "-",
            "--token-type-hint",
            "access_token",
            "--output",
            output,
        ]);
        run_in(&args, &token, &[])
    };
    let r = op("introspect", "json");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["active"], true);
    assert_eq!(r.json()["client_id"], "basic");
    let r = op("introspect", "text");
    assert!(
        r.stdout.contains("active: yes") && r.stdout.contains("expires in: "),
        "{}",
        r.stdout
    );
    let r = op("revoke", "json");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.is_empty() && r.stderr.is_empty(),
        "revoke prints nothing"
    );
    let r = op("introspect", "json");
    assert_eq!(r.json(), serde_json::json!({ "active": false }));
}

#[test]
fn unusable_responses_and_transport_failures_exit_4() {
    let lo = start();
    let te = lo.token_endpoint();
    let args = token_args(&te, "basic", "client_secret_basic");
    // An empty 401: invalid_response with its status, and the invalid_client checklist in text.
    lo.lock()
        .inject(EndpointKind::Token, Fault::Status(StatusCode::UNAUTHORIZED));
    let r = run(&args);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let e = r.error();
    assert_eq!(e["kind"], "invalid_response");
    assert_eq!(e["status"], 401);
    assert!(e["reason"].is_string());
    lo.lock()
        .inject(EndpointKind::Token, Fault::Status(StatusCode::FORBIDDEN));
    let text: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| *a != "--output" && *a != "json")
        .collect();
    let r = run(&text);
    assert_eq!(r.code, 4);
    assert!(
        r.stderr.contains("403")
            && r.stderr.contains("Verify client_id")
            && r.stderr.contains("URL-encoded twice"),
        "{}",
        r.stderr
    );
    // An HTML page: its content type.
    lo.lock()
        .inject(EndpointKind::Token, Fault::Html(StatusCode::BAD_GATEWAY));
    let e = run(&args).error();
    assert_eq!(
        (e["kind"].as_str(), e["status"].as_u64()),
        (Some("invalid_response"), Some(502))
    );
    assert!(e["content_type"].as_str().unwrap().starts_with("text/html"));
    // An OAuth error in a 200 (GitHub, Slack): exit 3.
    lo.lock().inject(
        EndpointKind::Token,
        Fault::ErrorInSuccess(ErrorCode::InvalidScope),
    );
    let r = run(&args);
    assert_eq!(
        (r.code, r.error()["error"].as_str()),
        (3, Some("invalid_scope"))
    );
    // 503 with Retry-After: retry_after in the error JSON.
    lo.lock().inject(
        EndpointKind::Token,
        Fault::ServiceUnavailable {
            retry_after: Some(Duration::from_secs(7)),
        },
    );
    let r = run(&args);
    assert_eq!(r.code, 4, "{}", r.stderr);
    // Nobody listening: transport.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/token", l.local_addr().unwrap())
    };
    let r = run(&token_args(&closed, "basic", "client_secret_basic"));
    assert_eq!(r.code, 4);
    assert_eq!(r.error()["kind"], "transport");
    assert!(
        !r.error()["reason"].as_str().unwrap().contains("127.0.0.1"),
        "no URL in the reason"
    );
}

#[test]
fn usage_errors_exit_2_with_the_usage_shape() {
    for args in [
        vec!["token", "--output", "json"],
        vec![
            "token",
            "--token-endpoint",
            "http://as.example/token",
            "--client-id",
            "x",
            "--output",
            "json",
        ],
        vec![
            "token",
            "--token-endpoint",
            "https://as.example/token",
            "--client-id",
            "x",
            "--auth-method",
            "private_key_jwt",
            "--output",
            "json",
        ],
        vec![
            "token",
            "--token-endpoint",
            "https://as.example/token",
            "--client-id",
            "x",
            "--param",
            "nokey",
            "--output",
            "json",
        ],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        let e = r.error();
        assert_eq!(e["kind"], "usage", "{args:?}");
        assert!(e["reason"].is_string());
    }
    // clap's own errors: exit 2, the usage shape with --output json. There is no flag for the
    // secret.
    let r = run(&["token", "--client-secret", CANARY]);
    assert_eq!(r.code, 2);
    let r = run(&["token", "--client-secret", CANARY, "--output", "json"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.error()["kind"], "usage");
    assert!(r.error()["reason"]
        .as_str()
        .unwrap()
        .contains("--client-secret"));
}

#[test]
fn an_oversized_response_is_refused_at_the_cap() {
    let lo = start();
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(10 * 1024 * 1024));
    let te = lo.token_endpoint();
    let r = run(&token_args(&te, "basic", "client_secret_basic"));
    assert_eq!(r.code, 4, "{}", r.stderr);
    let e = r.error();
    assert_eq!(e["kind"], "transport");
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .contains("larger than the 1048576-byte limit"),
        "{e}"
    );
    // Bounded memory: the peak resident size with the 10 MiB answer stays within 4 MiB of a
    // normal run's (GNU time measures it; skipped where it is not installed).
    let peak = |fault: bool| -> Option<u64> {
        if fault {
            lo.lock()
                .inject(EndpointKind::Token, Fault::Oversized(10 * 1024 * 1024));
        }
        let out = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(env!("CARGO_BIN_EXE_grantwire"))
            .args(token_args(&te, "basic", "client_secret_basic"))
            .env("GRANTWIRE_CLIENT_SECRET", CANARY)
            .output()
            .ok()?;
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| l.contains("Maximum resident set size"))?;
        line.rsplit(' ').next()?.trim().parse().ok()
    };
    if let (Some(normal), Some(oversized)) = (peak(false), peak(true)) {
        assert!(
            oversized < normal + 4 * 1024,
            "peak RSS {oversized} KiB vs {normal} KiB"
        );
    } else {
        eprintln!("GNU time not found: the memory half of this test is skipped");
    }
}

#[test]
fn a_stalled_response_is_given_up_within_the_timeout() {
    let lo = start();
    lo.lock()
        .inject(EndpointKind::Token, Fault::Delay(Duration::from_secs(10)));
    let te = lo.token_endpoint();
    let mut args = token_args(&te, "basic", "client_secret_basic");
    args.extend(["--timeout", "1"]);
    let started = Instant::now();
    let r = run(&args);
    let took = started.elapsed();
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.error()["kind"], "transport");
    assert!(
        r.error()["reason"].as_str().unwrap().contains("timed out"),
        "{}",
        r.stderr
    );
    assert!(took < Duration::from_secs(5), "gave up after {took:?}");
}

#[test]
fn the_cache_reuses_a_token_within_its_lifetime_and_refetches_after() {
    let dir = cache_dir("cache");
    let env = [("XDG_CACHE_HOME", dir.to_str().unwrap())];
    let lo = start_with(Some(Duration::from_secs(2)), false);
    let te = lo.token_endpoint();
    let mut args = token_args(&te, "basic", "client_secret_basic");
    args.extend(["--scope", "read", "--cache"]);
    let first = run_in(&args, "", &env);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let second = run_in(&args, "", &env);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(first.json()["access_token"], second.json()["access_token"]);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 1);
    // Another scope is another entry.
    let mut other = token_args(&te, "basic", "client_secret_basic");
    other.extend(["--scope", "write", "--cache"]);
    assert_eq!(run_in(&other, "", &env).code, 0);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 2);
    // The files: 0600, holding the token but never the secret.
    let files: Vec<_> = std::fs::read_dir(dir.join("grantwire"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains(CANARY));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
    // After the lifetime: fetched again.
    std::thread::sleep(Duration::from_millis(2100));
    let third = run_in(&args, "", &env);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_ne!(third.json()["access_token"], first.json()["access_token"]);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 3);
    // An unreadable entry: fetched again and rewritten.
    for f in &files {
        std::fs::write(f, "not json").unwrap();
    }
    assert_eq!(run_in(&args, "", &env).code, 0);
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_config_file_with_flags_over_it() {
    let lo = start();
    let dir = cache_dir("config");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("grantwire.toml");
    std::fs::write(
        &path,
        format!(
            "token_url = \"{}\"\nclient_id = \"post\"\nauth_method = \"client_secret_post\"\nclient_secret_env = \"MY_SVC_SECRET\"\nscope = [\"read\"]\n",
            lo.token_endpoint()
        ),
    )
    .unwrap();
    let cfg = path.to_str().unwrap();
    let r = run_in(
        &["token", "--config", cfg, "--output", "json"],
        "",
        &[("GRANTWIRE_CLIENT_SECRET", ""), ("MY_SVC_SECRET", CANARY)],
    );
    // GRANTWIRE_CLIENT_SECRET set (even empty) wins over the file's reference: a wrong secret.
    assert_eq!(r.code, 3, "{}", r.stderr);
    let mut cmd_env = vec![("MY_SVC_SECRET", CANARY)];
    cmd_env.push(("GRANTWIRE_UNUSED", ""));
    let r = {
        let mut c = Command::new(env!("CARGO_BIN_EXE_grantwire"));
        c.args(["token", "--config", cfg, "--output", "json"])
            .env_remove("GRANTWIRE_CLIENT_SECRET")
            .env("MY_SVC_SECRET", CANARY);
        c.output().unwrap()
    };
    let (out, err) = (
        String::from_utf8(r.stdout).unwrap(),
        String::from_utf8(r.stderr).unwrap(),
    );
    assert!(!out.contains(CANARY) && !err.contains(CANARY));
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["scope"],
        "read"
    );
    // A flag overrides the file: another client.
    let r = run(&[
        "token",
        "--config",
        cfg,
        "--client-id",
        "basic",
        "--auth-method",
        "client_secret_basic",
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // An error names the field.
    std::fs::write(&path, "token_url = 42\n").unwrap();
    let r = run(&["token", "--config", cfg, "--output", "json"]);
    assert_eq!(r.code, 2);
    assert!(r.error()["reason"]
        .as_str()
        .unwrap()
        .contains("`token_url`"));
    std::fs::write(&path, "client_secret = \"oops\"\n").unwrap();
    let r = run(&["token", "--config", cfg, "--output", "json"]);
    assert_eq!(r.code, 2);
    assert!(r.error()["reason"]
        .as_str()
        .unwrap()
        .contains("`client_secret`"));
    // The schema.
    let r = run(&["config", "schema"]);
    assert_eq!(r.code, 0);
    let schema = r.json();
    assert!(schema["properties"]["token_url"].is_object());
    assert!(schema["properties"]["client_secret"].is_null());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_output_for_people() {
    let lo = start();
    let te = lo.token_endpoint();
    let r = run(&[
        "token",
        "--token-endpoint",
        &te,
        "--client-id",
        "basic",
        "--auth-method",
        "client_secret_basic",
        "--scope",
        "read",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1, "only the token on stdout");
    assert!(
        r.stderr.contains("expires in: 59 minutes") || r.stderr.contains("expires in: 1 hour"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("scope: read") && r.stderr.contains("quirks: none"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn a_response_body_that_stalls_is_given_up_within_the_timeout() {
    use std::io::Read;
    // A server that sends the head and the start of the body, then nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"access_token\":");
        let _ = s.flush();
        std::thread::sleep(Duration::from_secs(4));
    });
    let mut args = token_args(&url, "basic", "client_secret_basic");
    args.extend(["--timeout", "1"]);
    let started = Instant::now();
    let r = run(&args);
    let took = started.elapsed();
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.error()["kind"], "transport");
    assert!(took < Duration::from_millis(3500), "gave up after {took:?}");
    server.join().unwrap();
}

#[test]
fn a_provider_preset_fills_the_method_and_checks_the_request() {
    let lo = start();
    let te = lo.token_endpoint();
    // Auth0: client_secret_post, and an audience is required (caught before sending).
    let base = [
        "token",
        "--token-endpoint",
        &te,
        "--client-id",
        "post",
        "--provider",
        "auth0",
        "--output",
        "json",
    ];
    let r = run(&base);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.error()["reason"].as_str().unwrap().contains("audience"));
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 0);
    // The "post" client accepts only client_secret_post, which the preset chose: the server
    // authenticated it and then judged the audience (the client has none registered).
    let r = run(&[&base[..], &["--audience", "https://api.example"]].concat());
    eprintln!("{} {}", r.code, r.stderr);
    assert!(
        r.code == 0 || r.error()["error"] != "invalid_client",
        "{}",
        r.stderr
    );
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 1);
}

#[test]
fn verbose_traces_requests_with_credentials_redacted() {
    let lo = start();
    let te = lo.token_endpoint();
    for (id, method, credential_param) in [
        ("basic", "client_secret_basic", None),
        ("post", "client_secret_post", Some("client_secret")),
    ] {
        let mut args = token_args(&te, id, method);
        args.push("--verbose");
        // `run` already fails the test if the secret reaches stdout or stderr.
        let r = run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let trace = &r.stderr;
        assert!(trace.contains("> SecretRequest"), "{trace}");
        assert!(trace.contains("POST"), "{trace}");
        assert!(trace.contains(&te), "{trace}");
        assert!(trace.contains("grant_type"), "{trace}");
        assert!(trace.contains("< 200"), "{trace}");
        if let Some(name) = credential_param {
            // The parameter is named, its value is not shown.
            assert!(trace.contains(name), "{trace}");
        } else {
            assert!(trace.to_lowercase().contains("authorization"), "{trace}");
            assert!(
                !trace.contains("Basic "),
                "the Basic credential leaked: {trace}"
            );
        }
        // The token in the response body is not traced either.
        let token = r.json()["access_token"].as_str().unwrap().to_owned();
        assert!(!trace.contains(&token), "{trace}");
    }
}
