//! `grantwire demo` end to end: the binary runs against its embedded server, exits 0, prints a
//! row for every client-authentication method and algorithm and every resource step, each
//! `ok`, and prints no token, secret or key.

use std::process::Command;

/// The rows the demo must print: (step, client authentication).
fn expected_rows() -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("token", "none (authorization_code + PKCE)".to_owned()),
        ("token", "client_secret_basic".to_owned()),
        ("token", "client_secret_post".to_owned()),
    ];
    for alg in ["HS256", "HS384", "HS512"] {
        rows.push(("token", format!("client_secret_jwt {alg}")));
    }
    for alg in [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    ] {
        rows.push(("token", format!("private_key_jwt {alg}")));
    }
    rows.push(("token", "tls_client_auth".to_owned()));
    rows.push(("token", "self_signed_tls_client_auth".to_owned()));
    for step in [
        "call /resource",
        "revoke at the server",
        "forced 401 + retry",
        "introspect",
        "revoke",
        "introspect again",
    ] {
        rows.push((step, "client_secret_basic".to_owned()));
    }
    rows
}

/// Words that look like a token, a secret or a key: 24 or more characters of the base64url
/// alphabet with a digit or an upper-case letter in them (the testkit's tokens are 43
/// base64url characters; the demo's secrets and the keys' PEM lines are longer still).
fn secret_like(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| w.len() >= 24)
        .filter(|w| {
            w.chars()
                .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        })
        .collect()
}

#[test]
fn the_detector_finds_tokens_secrets_and_key_lines() {
    let token = "Bearer 3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA done";
    assert_eq!(secret_like(token).len(), 1);
    let secret = "secret=demo-basic-secret-for-the-loopback-server-only-7f3a9c";
    assert_eq!(secret_like(secret).len(), 1);
    let pem = "MIIEowIBAAKCAQEAsjtGIk8SxD+OEiBpP2/T\n";
    assert_eq!(secret_like(pem).len(), 1);
    assert!(secret_like("self_signed_tls_client_auth private_key_jwt EdDSA").is_empty());
}

#[test]
fn demo_runs_every_method_and_step_and_prints_no_secret() {
    let output = Command::new(env!("CARGO_BIN_EXE_grantwire"))
        .arg("demo")
        .output()
        .expect("run grantwire demo");
    let stdout = String::from_utf8(output.stdout).expect("utf-8 stdout");
    let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");

    let rows: Vec<&str> = stdout.lines().collect();
    for (step, method) in expected_rows() {
        let found = rows.iter().any(|line| {
            let mut cols = line.split("  ").map(str::trim).filter(|c| !c.is_empty());
            cols.next() == Some(step)
                && cols.next() == Some(method.as_str())
                && line.contains(" ms  ok: ")
        });
        assert!(found, "no ok row for {step} / {method}:\n{stdout}");
    }
    // The RFC 8705 rows went over a real TLS handshake, and say so.
    for method in ["tls_client_auth", "self_signed_tls_client_auth"] {
        assert!(
            rows.iter().any(|line| line.starts_with("token")
                && line.contains(&format!(" {method} "))
                && line.contains("HTTPS mTLS")
                && line.contains(" ms  ok: ")),
            "{method} did not run over TLS:\n{stdout}"
        );
    }
    assert!(!stdout.contains("in process"), "{stdout}");
    assert!(!stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("24 rows, 24 ok, 0 failed"), "{stdout}");

    let all = format!("{stdout}\n{stderr}");
    assert_eq!(secret_like(&all), Vec::<&str>::new(), "{all}");
    for marker in ["PRIVATE KEY", "secret-for-the-loopback", "eyJ"] {
        assert!(!all.contains(marker), "{marker} in the output:\n{all}");
    }
}
