//! Interop: oauth4webapi (an independent OAuth client, run by node) against the loopback server.
//!
//! Needs `node` and `interop/node_modules` (`cargo xtask interop-setup`, which `cargo xtask ci`
//! runs before the tests). When either is missing, a plain `cargo test` prints one line saying
//! what to run and passes; under `cargo xtask ci` (which sets `GRANTWIRE_REQUIRE_INTEROP=1`) a
//! missing peer fails the test, so CI never skips interop silently.
#![cfg(feature = "loopback")]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use grantwire::ClientSecret;
use grantwire_jose::{Algorithm, JwkSet};
use grantwire_testkit::{
    AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, EndpointKind, GrantType,
    LoopbackServer, ServerConfig,
};
use serde_json::{json, Value};

const BASIC_SECRET: &str = "basic secret with spaces:+%&=";
const POST_SECRET: &str = "post-secret-Ünïcode";
const HS_SECRET: &str = "an HS256 secret of more than 32 bytes, for oauth4webapi";

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

fn client(id: &str, auth: ClientAuthConfig) -> ClientConfig {
    ClientConfig::new(id, auth)
        .grant(GrantType::ClientCredentials)
        .scopes(["read", "write"])
}

/// The clients oauth4webapi drives, and the matching registry.
fn clients() -> (ClientRegistry, Vec<Value>) {
    let mut registry = ClientRegistry::new()
        .with(client(
            "o4w-basic",
            ClientAuthConfig::ClientSecretBasic(ClientSecret::new(BASIC_SECRET)),
        ))
        .with(client(
            "o4w-post",
            ClientAuthConfig::ClientSecretPost(ClientSecret::new(POST_SECRET)),
        ));
    let mut node_clients = vec![
        json!({"client_id": "o4w-basic", "method": "client_secret_basic", "secret": BASIC_SECRET}),
        json!({"client_id": "o4w-post", "method": "client_secret_post", "secret": POST_SECRET}),
    ];
    jwt_clients(&mut registry, &mut node_clients);
    (registry, node_clients)
}

/// Adds the client_secret_jwt (HS256, as oauth4webapi signs) and private_key_jwt (ES256, the
/// key in `interop/fixtures`) clients.
fn jwt_clients(registry: &mut ClientRegistry, node_clients: &mut Vec<Value>) {
    registry.insert(client(
        "o4w-hs",
        ClientAuthConfig::client_secret_jwt(ClientSecret::new(HS_SECRET), Algorithm::HS256)
            .unwrap(),
    ));
    let private: Value = serde_json::from_slice(
        &std::fs::read(interop_dir().join("fixtures/es256-private.jwk.json")).unwrap(),
    )
    .unwrap();
    let public = json!({"keys": [{
        "kty": private["kty"], "crv": private["crv"], "x": private["x"], "y": private["y"],
        "kid": private["kid"], "alg": "ES256", "use": "sig",
    }]});
    let jwks = JwkSet::from_json(public.to_string().as_bytes()).unwrap();
    registry.insert(client(
        "o4w-pk",
        ClientAuthConfig::private_key_jwt(jwks, Algorithm::ES256).unwrap(),
    ));
    node_clients
        .push(json!({"client_id": "o4w-hs", "method": "client_secret_jwt", "secret": HS_SECRET}));
    node_clients.push(json!({"client_id": "o4w-pk", "method": "private_key_jwt", "jwk": private}));
}

/// Runs the node script; kills it if it has not finished within two minutes, so a hung peer
/// fails the test instead of stalling the suite.
fn run_node(dir: &std::path::Path, config: &str) -> std::process::Output {
    let mut child = Command::new("node")
        .arg("oauth4webapi-client.mjs")
        .arg(config)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("node status").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the oauth4webapi script did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("node output")
}

/// What is missing to run the peer, if anything.
fn missing_peer(dir: &std::path::Path) -> Option<&'static str> {
    if !dir.join("node_modules/oauth4webapi/package.json").exists() {
        return Some("interop/node_modules/oauth4webapi is missing");
    }
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (!node_ok).then_some("`node` (>= 20) was not found on PATH")
}

/// Fails when `GRANTWIRE_REQUIRE_INTEROP=1` (set by `cargo xtask ci`); otherwise prints one line
/// saying what to run first. The line goes straight to stderr, past libtest's capture, so a
/// plain `cargo test` shows it.
fn skip_or_fail(missing: &str) {
    const SETUP: &str = "run `cargo xtask interop-setup` (npm ci in interop/) first";
    if std::env::var_os("GRANTWIRE_REQUIRE_INTEROP").is_some_and(|v| v == "1") {
        panic!("{missing}: {SETUP} (GRANTWIRE_REQUIRE_INTEROP=1 makes a missing peer a failure)");
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "oauth4webapi interop skipped ({missing}): {SETUP}"
    );
}

#[test]
fn oauth4webapi_client_credentials_introspection_revocation() {
    let dir = interop_dir();
    if let Some(missing) = missing_peer(&dir) {
        skip_or_fail(missing);
        return;
    }

    let (registry, node_clients) = clients();
    let server = AuthServer::new(
        ServerConfig::new("https://placeholder.example").unwrap(),
        registry,
    );
    let lo = LoopbackServer::start(server).unwrap();
    let config = json!({
        "issuer": lo.issuer(),
        "clients": node_clients,
        "wrong_secret": {"client_id": "o4w-basic", "secret": "not the secret"},
    });
    let out = run_node(&dir, &config.to_string());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("no JSON report from node\nstdout: {stdout}\nstderr: {stderr}"));
    assert_eq!(report["discovery"], lo.issuer(), "{report}");
    let reported = report["clients"].as_array().unwrap();
    assert_eq!(reported.len(), node_clients.len());
    for (c, sent) in reported.iter().zip(&node_clients) {
        assert_eq!(c["method"], sent["method"]);
        assert!(c.get("error").is_none(), "{} failed: {report}", c["method"]);
        assert_eq!(
            c["token_type"], "bearer",
            "oauth4webapi lower-cases token_type: {report}"
        );
        assert_eq!(c["scope"], "read");
        assert_eq!(c["active_before"], true, "{report}");
        assert_eq!(c["introspected_client_id"], c["client_id"]);
        assert_eq!(c["revoked"], true);
        assert_eq!(c["active_after"], false, "{report}");
    }
    assert_eq!(report["wrong_secret"], "invalid_client", "{report}");
    assert!(
        out.status.success(),
        "node exited with {:?}: {report}\n{stderr}",
        out.status
    );

    // The server saw what the client did: per client one token request, two introspections,
    // one revocation; the wrong-secret attempt counts for the client it claimed.
    let counters = lo.lock().counters().clone();
    for c in &node_clients {
        let id = c["client_id"].as_str().unwrap();
        assert_eq!(
            counters.client_at(id, EndpointKind::Introspection),
            2,
            "{id}"
        );
        assert_eq!(counters.client_at(id, EndpointKind::Revocation), 1, "{id}");
    }
    assert_eq!(counters.client_at("o4w-basic", EndpointKind::Token), 2);
    assert_eq!(counters.endpoint(EndpointKind::Metadata), 1);
    lo.stop();
}
