//! `grantwire serve` end to end: the binary on loopback, its output, a failed and a successful
//! client authentication, the debugging page (as HTML, as JSON, and rendered by headless
//! Chromium), and a clean stop on Ctrl-C (SIGINT).
//!
//! The Chromium test needs Debian's `chromium` (`.ci/run` installs it). When it is missing, a
//! plain `cargo test` prints one line and passes; under `GRANTWIRE_REQUIRE_INTEROP=1` (set by
//! `cargo xtask ci`) it fails.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

const BIN: &str = env!("CARGO_BIN_EXE_grantwire");
const DEMO_SECRETS: [&str; 3] = [
    "demo-basic-secret",
    "demo-post-secret",
    "demo-client-secret-jwt-of-at-least-32-bytes",
];

/// A running `grantwire serve`: killed (by its pid) if a test fails before stopping it.
struct Serve {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// What it printed up to "Ctrl-C stops the server."
    banner: String,
    addr: String,
}

impl Serve {
    fn start() -> Self {
        Self::start_with(&[])
    }

    fn start_with(extra: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run grantwire serve");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                panic!("grantwire serve ended early; printed: {banner}");
            }
            banner.push_str(&line);
            if line.starts_with("Ctrl-C stops") {
                break;
            }
        }
        let addr = banner
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("grantwire serve: listening on http://"))
            .expect("the first line names the URL")
            .trim()
            .to_owned();
        Self {
            child,
            stdout,
            banner,
            addr,
        }
    }

    /// Sends SIGINT (what Ctrl-C sends) and waits for the exit; returns it and the rest of
    /// stdout.
    fn interrupt(mut self) -> (ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
        let status = wait_for(&mut self.child, Duration::from_secs(20)).expect("stops on SIGINT");
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        (status, rest)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for `child` up to `limit`.
fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// One HTTP/1.1 request over a fresh connection; the status and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn token_request(addr: &str, secret: &str) -> (u16, String) {
    let basic = format!("Basic {}", STANDARD.encode(format!("demo-basic:{secret}")));
    http(
        addr,
        "POST",
        "/token",
        &[
            ("Authorization", &basic),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "grant_type=client_credentials",
    )
}

/// A failed then a successful authentication of `demo-basic`; the failure's client_auth_id.
fn fail_then_succeed(addr: &str) -> String {
    let (status, body) = token_request(addr, "not-the-secret");
    assert_eq!(status, 401, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"], "invalid_client");
    let id = error["client_auth_id"].as_str().unwrap().to_owned();
    let (status, body) = token_request(addr, "demo-basic-secret");
    assert_eq!(status, 200, "{body}");
    id
}

#[test]
fn serve_prints_its_url_and_clients_publishes_events_and_stops_on_ctrl_c() {
    let serve = Serve::start();
    let addr = serve.addr.clone();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    for expected in [
        "demo-basic",
        "client_secret_basic",
        "demo-post",
        "client_secret_post",
        "demo-jwt",
        "client_secret_jwt",
        "/debug",
    ] {
        assert!(
            serve.banner.contains(expected),
            "{expected} in {}",
            serve.banner
        );
    }
    for secret in DEMO_SECRETS {
        assert!(!serve.banner.contains(secret), "a secret was printed");
    }
    // The demo secrets are in a 0600 file whose path is printed.
    let file = serve
        .banner
        .lines()
        .find_map(|l| l.strip_prefix("demo secrets: "))
        .and_then(|l| l.split(' ').next())
        .map(PathBuf::from)
        .expect("the demo secrets' file");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains(DEMO_SECRETS[0]));

    let id = fail_then_succeed(&addr);
    // Another client's failure, for the filter.
    let (status, _) = http(
        &addr,
        "POST",
        "/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "grant_type=client_credentials&client_id=demo-post&client_secret=wrong",
    );
    assert_eq!(status, 400);

    let (status, body) = http(&addr, "GET", "/debug/events", &[], "");
    assert_eq!(status, 200);
    let events: serde_json::Value = serde_json::from_str(&body).unwrap();
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{body}");
    // Newest first.
    assert_eq!(events[0]["client_id"], "demo-post");
    assert_eq!(events[1]["outcome"], "accepted");
    assert_eq!(events[2]["cause"], "wrong_secret");
    assert_eq!(events[2]["client_auth_id"], id.as_str());
    for secret in DEMO_SECRETS.iter().chain(&["not-the-secret", "wrong"]) {
        assert!(
            !body.contains(&format!("\"{secret}\"")),
            "{secret} in {body}"
        );
    }

    let (status, page) = http(&addr, "GET", "/debug?client=demo-basic", &[], "");
    assert_eq!(status, 200);
    assert!(
        page.contains(&id) && page.contains("wrong client secret"),
        "{page}"
    );
    assert!(
        !page.contains("demo-post</td>"),
        "the filter keeps one client: {page}"
    );
    assert!(!page.contains("<script"), "no script on the page");
    // Request text is escaped.
    let (_, page) = http(&addr, "GET", "/debug?client=%3Cscript%3Ex", &[], "");
    assert!(
        page.contains("&lt;script&gt;x") && !page.contains("<script>x"),
        "{page}"
    );
    let (status, _) = http(&addr, "POST", "/debug", &[], "");
    assert_eq!(status, 405);

    let (status, rest) = serve.interrupt();
    assert!(status.success(), "{status:?}");
    assert!(rest.contains("grantwire serve: stopped"), "{rest}");
    assert!(!file.exists(), "the demo secrets' file is removed on stop");
    assert!(
        TcpStream::connect(&addr).is_err(),
        "nothing listens after the stop"
    );
}

#[test]
fn serve_refuses_a_non_loopback_address() {
    for addr in ["0.0.0.0:0", "192.0.2.1:8080", "[::]:0"] {
        let out = Command::new(BIN)
            .args(["serve", "--addr", addr])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{addr}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("loopback"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn the_debugging_page_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        let line = "chromium is missing: `apt-get install -y chromium` (.ci/run does) to run the debugging-page browser test";
        if std::env::var_os("GRANTWIRE_REQUIRE_INTEROP").is_some_and(|v| v == "1") {
            panic!("{line}");
        }
        eprintln!("skipped: {line}");
        return;
    };
    let serve = Serve::start();
    let id = fail_then_succeed(&serve.addr);
    let profile = std::env::temp_dir().join(format!(
        "grantwire-chromium-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir(&profile).unwrap();
    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("http://{}/debug", serve.addr))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = stdout.read_to_string(&mut dom);
        dom
    });
    let status = wait_for(&mut child, Duration::from_secs(90));
    if status.is_none() {
        // Only the process this test started, by its pid.
        let _ = child.kill();
        let _ = child.wait();
    }
    let dom = reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        status.is_some_and(|s| s.success()),
        "chromium did not finish: {status:?}"
    );

    // The rendered DOM: two rows of demo-basic, the rejected one first with its cause and id.
    let rows: Vec<&str> = dom.split("<tr class=\"").skip(1).collect();
    assert_eq!(rows.len(), 2, "{dom}");
    assert!(
        rows[0].starts_with("accepted\""),
        "newest first: {}",
        rows[0]
    );
    assert!(rows[1].starts_with("rejected\""), "{}", rows[1]);
    for row in &rows {
        assert!(
            row.contains("<td class=\"client\">demo-basic</td>"),
            "{row}"
        );
        assert!(row.contains("client_secret_basic"), "{row}");
    }
    assert!(
        rows[1].contains("<td class=\"cause\">wrong client secret</td>"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains(&format!("<td class=\"id\">{id}</td>")),
        "{}",
        rows[1]
    );
    assert!(!dom.contains("not-the-secret") && !dom.contains("demo-basic-secret"));
    let _ = serve.interrupt();
}

#[test]
fn serve_takes_a_client_registry_with_config() {
    let dir = std::env::temp_dir().join(format!("grantwire-serve-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("clients.json");
    std::fs::write(
        &file,
        r#"{"clients": [{"client_id": "mine", "token_endpoint_auth_method": "client_secret_post",
            "client_secret": "my-own-secret", "grant_types": ["client_credentials"]}]}"#,
    )
    .unwrap();
    let serve = Serve::start_with(&["--config", file.to_str().unwrap()]);
    assert!(serve.banner.contains("mine") && serve.banner.contains("client_secret_post"));
    assert!(!serve.banner.contains("demo-basic") && !serve.banner.contains("demo secrets"));
    assert!(!serve.banner.contains("my-own-secret"));
    let (status, _) = serve.interrupt();
    assert!(status.success());

    // An unusable file is a usage error that does not quote the file (it holds secrets).
    std::fs::write(
        &file,
        r#"{"clients": [{"client_id": "x", "client_secret": "leak-me""#,
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config", file.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--config") && !stderr.contains("leak-me"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The value after `label` on the banner line that starts with it (its first word).
fn banner_field(banner: &str, label: &str) -> String {
    banner
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{label} in {banner}"))
        .to_owned()
}

#[test]
fn serve_runs_a_tls_listener_whose_ca_and_client_certificate_work_with_the_command() {
    let serve = Serve::start();
    let endpoint = banner_field(&serve.banner, "TLS token endpoint ");
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    let ca = banner_field(&serve.banner, "TLS CA certificate ");
    let cert = banner_field(&serve.banner, "TLS client cert    ");
    let key = serve
        .banner
        .lines()
        .find_map(|l| l.split_once(" with key "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .expect("the key path")
        .to_owned();
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert!(serve.banner.contains("demo-mtls"));
    let out = Command::new(BIN)
        .args([
            "token",
            "--token-endpoint",
            &endpoint,
            "--ca-cert",
            &ca,
            "--client-id",
            "demo-mtls",
            "--auth-method",
            "tls_client_auth",
            "--cert",
            &cert,
            "--cert-key",
            &key,
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["access_token"].is_string());
    let (status, _) = serve.interrupt();
    assert!(status.success());
    // The certificate files are removed on stop.
    assert!(!std::path::Path::new(&key).exists());
    assert!(!std::path::Path::new(&ca).exists());
}
