//! End-to-end over a real TLS handshake: the `grantwire` binary against the testkit's TLS
//! listener, for `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705 §2.1, §2.2).
//! Every run checks that neither the canary secret nor a client private key is printed.

use std::path::PathBuf;
use std::process::Command;

use grantwire_testkit::{
    AuthFailureCause, AuthServer, ClientAuthConfig, ClientConfig, ClientIdentity, ClientRegistry,
    EndpointKind, GrantType, LoopbackServer, ServerConfig, TestPki, TlsListener,
};
use serde_json::Value;

/// In the environment of every run: it must never be printed.
const CANARY: &str = "canary-S3CRET-0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a";

struct Fixture {
    dir: PathBuf,
    pki: TestPki,
    pki_client: ClientIdentity,
    self_signed: ClientIdentity,
    loopback: LoopbackServer,
    tls: TlsListener,
    /// Every private key written, each checked against the outputs.
    keys: Vec<String>,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("grantwire-mtls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pki = TestPki::generate().unwrap();
        let pki_client = pki.issue_client_certificate("tls-client").unwrap();
        let self_signed = ClientIdentity::self_signed("self-signed-client").unwrap();
        let registry = ClientRegistry::new()
            .with(
                ClientConfig::new(
                    "tls",
                    ClientAuthConfig::TlsClientAuth {
                        subject_dn: pki_client.subject_dn().to_owned(),
                    },
                )
                .grant(GrantType::ClientCredentials)
                .scopes(["read"]),
            )
            .with(
                ClientConfig::new(
                    "self",
                    ClientAuthConfig::SelfSignedTlsClientAuth {
                        certificates: vec![self_signed.certificate_der().to_vec()],
                    },
                )
                .grant(GrantType::ClientCredentials)
                .scopes(["read"]),
            );
        let server = AuthServer::new(
            ServerConfig::new("https://placeholder.example").unwrap(),
            registry,
        );
        let loopback = LoopbackServer::start(server).unwrap();
        let tls = loopback.start_tls(&pki).unwrap();
        std::fs::write(dir.join("ca.pem"), pki.ca_certificate_pem()).unwrap();
        let mut f = Self {
            dir,
            pki,
            pki_client,
            self_signed,
            loopback,
            tls,
            keys: Vec::new(),
        };
        let (pki_client, self_signed) = (f.pki_client.clone(), f.self_signed.clone());
        f.write("pki", &pki_client);
        f.write("self", &self_signed);
        f
    }

    /// Writes `<name>.crt` and `<name>.key`.
    fn write(&mut self, name: &str, identity: &ClientIdentity) {
        std::fs::write(
            self.dir.join(format!("{name}.crt")),
            identity.certificate_pem(),
        )
        .unwrap();
        std::fs::write(
            self.dir.join(format!("{name}.key")),
            identity.private_key_pem(),
        )
        .unwrap();
        self.keys.push(identity.private_key_pem().to_owned());
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_str().unwrap().to_owned()
    }

    /// `grantwire token` over TLS for `id` with `method`, trusting the testkit CA, plus `extra`.
    fn token(&self, id: &str, method: &str, extra: &[&str]) -> Run {
        let te = self.tls.token_endpoint();
        let ca = self.path("ca.pem");
        let mut args = vec![
            "token",
            "--token-endpoint",
            &te,
            "--client-id",
            id,
            "--auth-method",
            method,
            "--timeout",
            "10",
        ];
        if !extra.contains(&"--output") {
            args.extend(["--output", "json"]);
        }
        if !extra.contains(&"--no-ca") {
            args.extend(["--ca-cert", &ca]);
        }
        args.extend(extra.iter().filter(|a| **a != "--no-ca"));
        self.run(&args)
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_grantwire"))
            .args(args)
            .env("GRANTWIRE_CLIENT_SECRET", CANARY)
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.dir.join("cache"))
            .output()
            .unwrap();
        let run = Run {
            code: out.status.code().unwrap(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(!text.contains(CANARY), "the secret is in {what}: {text}");
            for key in &self.keys {
                // Any line of a key's base64 body.
                for line in key.lines().filter(|l| !l.starts_with("-----")) {
                    assert!(!text.contains(line), "a private key is in {what}: {text}");
                }
            }
        }
        run
    }

    fn cert_args(&self, name: &str) -> Vec<String> {
        self.cert_and_key(name, name)
    }

    fn cert_and_key(&self, cert: &str, key: &str) -> Vec<String> {
        vec![
            "--cert".into(),
            self.path(&format!("{cert}.crt")),
            "--cert-key".into(),
            self.path(&format!("{key}.key")),
        ]
    }

    fn last_cause(&self) -> Option<AuthFailureCause> {
        self.loopback
            .lock()
            .auth_events()
            .next()
            .and_then(|e| e.cause.clone())
    }

    fn token_requests(&self) -> u64 {
        self.loopback
            .lock()
            .counters()
            .endpoint(EndpointKind::Token)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn error(&self) -> Value {
        serde_json::from_str(self.stderr.trim())
            .unwrap_or_else(|e| panic!("stderr not one JSON object ({e}): {}", self.stderr))
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn both_tls_methods_get_a_token_with_the_registered_certificate() {
    let f = Fixture::new("ok");
    for (id, method, files) in [
        ("tls", "tls_client_auth", "pki"),
        ("self", "self_signed_tls_client_auth", "self"),
    ] {
        let args = f.cert_args(files);
        let r = f.token(id, method, &strs(&args));
        assert_eq!(r.code, 0, "{method}: {}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert!(!v["access_token"].as_str().unwrap().is_empty());
        assert_eq!(v["scope"], "read");
        assert_eq!(f.loopback.lock().counters().client(id), 1);
    }
    // Text output too.
    let mut args = f.cert_args("pki");
    args.extend(["--output".into(), "text".into()]);
    let r = f.token("tls", "tls_client_auth", &strs(&args));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_wrong_or_unregistered_certificate_is_invalid_client_exit_3() {
    let mut f = Fixture::new("wrong");
    let other = f.pki.issue_client_certificate("someone-else").unwrap();
    f.write("other", &other);
    let forged = ClientIdentity::self_signed("tls-client").unwrap();
    assert_eq!(forged.subject_dn(), f.pki_client.subject_dn());
    f.write("forged", &forged);
    for (id, method, files, cause) in [
        // CA-issued, another subject.
        (
            "tls",
            "tls_client_auth",
            "other",
            AuthFailureCause::CertificateMismatch,
        ),
        // The registered subject, self-signed: the chain is not the CA's.
        (
            "tls",
            "tls_client_auth",
            "forged",
            AuthFailureCause::CertificateUntrusted,
        ),
        // The CA-issued certificate where a self-signed one is registered.
        (
            "self",
            "self_signed_tls_client_auth",
            "pki",
            AuthFailureCause::CertificateMismatch,
        ),
        (
            "self",
            "self_signed_tls_client_auth",
            "forged",
            AuthFailureCause::CertificateMismatch,
        ),
    ] {
        let args = f.cert_args(files);
        let r = f.token(id, method, &strs(&args));
        assert_eq!(r.code, 3, "{method} with {files}: {}", r.stderr);
        let e = r.error();
        assert_eq!(e["kind"], "oauth");
        assert_eq!(e["error"], "invalid_client");
        assert!(r.stdout.is_empty());
        assert_eq!(f.last_cause(), Some(cause), "{method} with {files}");
    }
    // Text output gives the checklist for the tls methods.
    let mut args = f.cert_args("other");
    args.extend(["--output".into(), "text".into()]);
    let r = f.token("tls", "tls_client_auth", &strs(&args));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("certificate"), "{}", r.stderr);
}

#[test]
fn without_a_client_certificate_it_fails_cleanly() {
    let f = Fixture::new("none");
    // The tls methods without --cert: a usage error, nothing sent.
    let r = f.token("tls", "tls_client_auth", &[]);
    assert_eq!(r.code, 2);
    assert_eq!(r.error()["kind"], "usage");
    assert_eq!(f.token_requests(), 0);
    // A request with the client id but no certificate on the connection: the server answers
    // invalid_client (RFC 8705 §2), and the command exits 3.
    for id in ["tls", "self"] {
        let r = f.token(id, "none", &[]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert_eq!(r.error()["error"], "invalid_client");
        assert_eq!(f.last_cause(), Some(AuthFailureCause::CertificateMissing));
    }
}

#[test]
fn a_certificate_with_another_key_never_authenticates() {
    let f = Fixture::new("pop");
    // The registered certificate with another client's key: no proof of possession.
    for (id, method, cert, key) in [
        ("self", "self_signed_tls_client_auth", "self", "pki"),
        ("tls", "tls_client_auth", "pki", "self"),
    ] {
        let args = f.cert_and_key(cert, key);
        let r = f.token(id, method, &strs(&args));
        // Refused before anything is sent (ureq would panic on the mismatch): a usage error.
        assert_eq!(r.code, 2, "{method}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        let reason = r.error()["reason"].as_str().unwrap().to_owned();
        assert!(
            reason.contains("--cert-key") && reason.contains("belongs to the certificate"),
            "{reason}"
        );
    }
    assert_eq!(f.token_requests(), 0);
}

#[test]
fn the_server_certificate_must_be_trusted_and_ca_cert_comes_from_the_config_file() {
    let f = Fixture::new("trust");
    let args = f.cert_args("pki");
    // The WebPKI roots do not know the testkit CA: a transport failure, exit 4.
    let mut no_ca = strs(&args);
    no_ca.push("--no-ca");
    let r = f.token("tls", "tls_client_auth", &no_ca);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.error()["kind"], "transport");
    assert_eq!(f.token_requests(), 0);
    // ca_cert_file (with cert_file and cert_key_file) in the config file.
    let config = f.dir.join("grantwire.toml");
    std::fs::write(
        &config,
        format!(
            "token_url = {:?}\nclient_id = \"tls\"\nauth_method = \"tls_client_auth\"\ncert_file = {:?}\ncert_key_file = {:?}\nca_cert_file = {:?}\n",
            f.tls.token_endpoint(),
            f.path("pki.crt"),
            f.path("pki.key"),
            f.path("ca.pem"),
        ),
    )
    .unwrap();
    let r = f.run(&[
        "token",
        "--config",
        config.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A --ca-cert that is not PEM: a usage error naming the flag.
    let r = f.run(&[
        "token",
        "--config",
        config.to_str().unwrap(),
        "--ca-cert",
        &f.path("pki.key"),
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.error()["reason"].as_str().unwrap().contains("--ca-cert"));
    // The schema lists the field.
    let r = f.run(&["config", "schema"]);
    let schema: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(schema["properties"]["ca_cert_file"].is_object());
}
