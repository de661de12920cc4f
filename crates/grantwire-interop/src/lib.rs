//! # grantwire-interop: grantwire against independently written servers
//!
//! Not published. Holds what the interop tests share: starting `oidc-provider` (the npm
//! package, run by node from `interop/`) on 127.0.0.1 and stopping exactly that process, the
//! one-line skip of a plain `cargo test` when the peer is not installed, and a minimal std-only
//! HTTP/1.1 transport for loopback.
//!
//! The tests take the transport as a plain function, [`Transport`], so the same matrix runs
//! through the std transport here and through the `grantwire-ureq` and `grantwire-reqwest`
//! adapters.
//!
//! `cargo xtask interop` installs the peer (`npm ci` in `interop/`) and runs
//! `cargo test -p grantwire-interop` with `GRANTWIRE_REQUIRE_INTEROP=1`, which turns a missing
//! peer into a failure.

#![forbid(unsafe_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use grantwire::SecretRequest;
use serde_json::Value;

/// A transport: sends one request and returns the whole response. Panics on a transport
/// failure (the interop tests have no use for a failed connection but to fail).
pub type Transport = fn(SecretRequest) -> http::Response<Vec<u8>>;

/// How long the node process may take to print its ready line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Read and write timeout of one loopback exchange.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// The most the std transport reads of one response.
const MAX_RESPONSE: u64 = 1 << 20;

/// `interop/` at the workspace root, where `package.json` and the node scripts live.
pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// What is missing to run `oidc-provider`, if anything.
pub fn missing_peer() -> Option<&'static str> {
    if !interop_dir()
        .join("node_modules/oidc-provider/package.json")
        .exists()
    {
        return Some("interop/node_modules/oidc-provider is missing");
    }
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (!node_ok).then_some("`node` (>= 20) was not found on PATH")
}

/// Fails when `GRANTWIRE_REQUIRE_INTEROP=1` (set by `cargo xtask interop` and `cargo xtask
/// ci`); otherwise prints one line saying what to run first, straight to stderr past libtest's
/// capture, so a plain `cargo test` shows it.
pub fn skip_or_fail(test: &str, missing: &str) {
    const SETUP: &str = "run `cargo xtask interop` (npm ci in interop/, then this test)";
    if std::env::var_os("GRANTWIRE_REQUIRE_INTEROP").is_some_and(|v| v == "1") {
        panic!("{missing}: {SETUP} (GRANTWIRE_REQUIRE_INTEROP=1 makes a missing peer a failure)");
    }
    let _ = writeln!(
        std::io::stderr(),
        "{test} interop skipped ({missing}): {SETUP}"
    );
}

/// A running `oidc-provider` (`interop/oidc-provider-server.mjs`), listening on 127.0.0.1 on a
/// port the OS chose. Dropping it (also while a failed test unwinds) kills this one process by
/// its id, and nothing else; the script also exits by itself when its stdin closes, so it never
/// outlives the test process.
pub struct OidcProvider {
    child: Child,
    ready: Value,
}

impl OidcProvider {
    /// Starts the server with `config` (`{"clients": [...]}`, see the script) and waits for its
    /// ready line.
    pub fn start(config: &Value) -> Self {
        let mut child = Command::new("node")
            .arg("oidc-provider-server.mjs")
            .arg(config.to_string())
            .current_dir(interop_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("piped stdout");
        // Owned from here on: a panic below still kills the child.
        let mut server = Self {
            child,
            ready: Value::Null,
        };
        let (tx, rx) = mpsc::channel();
        // The ready line is the first JSON object on stdout; everything else (oidc-provider's
        // advice) goes to stderr. The thread keeps reading, so the server never writes into a
        // closed pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match tx.take_if(|_| line.starts_with('{')) {
                    Some(tx) => drop(tx.send(line)),
                    None => eprintln!("oidc-provider: {line}"),
                }
            }
        });
        let line = rx
            .recv_timeout(START_TIMEOUT)
            .expect("oidc-provider printed its ready line in time");
        server.ready = serde_json::from_str(line.trim())
            .unwrap_or_else(|e| panic!("oidc-provider ready line is not JSON ({e}): {line:?}"));
        server
    }

    /// The issuer identifier, `http://127.0.0.1:<port>`.
    pub fn issuer(&self) -> &str {
        self.ready["issuer"].as_str().expect("issuer in ready line")
    }

    /// The private JWK generated for a `private_key_jwt` client.
    pub fn private_jwk(&self, client_id: &str) -> &Value {
        &self.ready["private_jwks"][client_id]
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        // `Child::kill` signals exactly this process id.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 transport over `std::net::TcpStream`, for loopback `http` URLs only:
/// one request per connection (`Connection: close`), a `Content-Length` body, the response read
/// to its end (at most 1 MiB). Enough for oidc-provider; not a general client (no TLS, no
/// chunked bodies, no redirects).
pub fn std_loopback(request: SecretRequest) -> http::Response<Vec<u8>> {
    let uri = request.uri().clone();
    assert_eq!(uri.scheme_str(), Some("http"), "loopback http only: {uri}");
    let authority = uri.authority().expect("an authority").as_str().to_owned();
    assert!(
        authority.starts_with("127.0.0.1:"),
        "never another address than 127.0.0.1: {uri}"
    );
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut head = Vec::new();
    head.extend_from_slice(format!("{} {path} HTTP/1.1\r\n", request.method()).as_bytes());
    head.extend_from_slice(format!("Host: {authority}\r\nConnection: close\r\n").as_bytes());
    for (name, value) in request.headers() {
        if [
            http::header::HOST,
            http::header::CONNECTION,
            http::header::CONTENT_LENGTH,
        ]
        .contains(name)
        {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    let body = request.body();
    if !body.is_empty() || request.method() == http::Method::POST {
        head.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    head.extend_from_slice(b"\r\n");

    let mut stream = TcpStream::connect(&authority).expect("connect to 127.0.0.1");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.write_all(&head).expect("write request head");
    stream.write_all(body).expect("write request body");
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE)
        .read_to_end(&mut raw)
        .expect("read response");
    parse_response(&raw)
}

/// Splits a whole HTTP/1.1 response into status, headers and a `Content-Length` body.
fn parse_response(raw: &[u8]) -> http::Response<Vec<u8>> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = std::str::from_utf8(&raw[..split]).expect("an ASCII response head");
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut builder = http::Response::builder().status(status);
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            panic!("the std loopback transport reads Content-Length bodies only, got {value}");
        }
        if name.eq_ignore_ascii_case("content-length") {
            let len: usize = value.parse().expect("a Content-Length number");
            assert!(
                body.len() >= len,
                "response body shorter than Content-Length"
            );
            body.truncate(len);
        }
        builder = builder.header(name, value);
    }
    builder.body(body).expect("a valid response")
}
