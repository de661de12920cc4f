//! `grantwire serve`: the testkit authorization server on loopback, with the debugging page
//! ([`crate::debug_page`]) at `/debug` and `/debug/events`.
//!
//! It binds `127.0.0.1` only (any other `--addr` is a usage error), prints its URLs and the
//! registered clients, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM. Without `--config` it
//! registers the demo clients and writes their registry, demo secrets included, to a file of
//! mode 0600 in a fresh temporary directory (printed, removed on stop) rather than printing the
//! secrets: the same file is a template for `--config`.
//!
//! Beside the plain listener it starts the testkit's TLS listener (another `127.0.0.1` port,
//! asking for a client certificate), so the RFC 8705 methods work over a real handshake: it
//! writes the testkit CA certificate (for `--ca-cert`) and a client certificate that CA issued,
//! with its key (mode 0600), to a fresh temporary directory, prints their paths and the
//! certificate's subject (the demo client `demo-mtls` is registered with it), and removes them
//! on stop.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use grantwire_testkit::{
    AuthServer, ClientIdentity, ClientRegistry, LoopbackServer, ServerConfig, TestPki,
};

use crate::debug_page;
use crate::output::CliError;

/// Arguments of `grantwire serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on: 127.0.0.1 and a port (0: any free port). Nothing but loopback
    /// is accepted.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) addr: String,
    /// A client registry (JSON, the testkit's format: `{"clients": [...]}`) instead of the demo
    /// clients.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// The demo clients' registry. Their secrets are demo values for a loopback-only server, but
/// they are still written to a 0600 file rather than printed, so the habit of never printing a
/// secret holds.
const DEMO_REGISTRY: &str = r#"{"clients": [
  {"client_id": "demo-basic", "token_endpoint_auth_method": "client_secret_basic",
   "client_secret": "demo-basic-secret",
   "grant_types": ["client_credentials", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"],
   "scope": "read write"},
  {"client_id": "demo-post", "token_endpoint_auth_method": "client_secret_post",
   "client_secret": "demo-post-secret",
   "grant_types": ["client_credentials"], "scope": "read write"},
  {"client_id": "demo-jwt", "token_endpoint_auth_method": "client_secret_jwt",
   "client_secret": "demo-client-secret-jwt-of-at-least-32-bytes",
   "token_endpoint_auth_signing_alg": "HS256",
   "grant_types": ["client_credentials"], "scope": "read write"},
  {"client_id": "demo-mtls", "token_endpoint_auth_method": "tls_client_auth",
   "tls_client_auth_subject_dn": "CN=grantwire-serve-client,O=grantwire testkit",
   "grant_types": ["client_credentials"], "scope": "read write"}
]}
"#;

/// The common name of the client certificate `serve` issues for the TLS listener; its subject
/// is `CN=grantwire-serve-client,O=grantwire testkit`, what `demo-mtls` is registered with.
const TLS_CLIENT_CN: &str = "grantwire-serve-client";

/// The files of the TLS listener (removed on exit): the testkit CA certificate to trust
/// (`--ca-cert`), and a client certificate it issued with its key (mode 0600), for
/// `tls_client_auth` (RFC 8705 §2.1).
struct TlsFiles {
    dir: PathBuf,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    subject: String,
}

impl TlsFiles {
    fn write(pki: &TestPki, client: &ClientIdentity) -> Result<Self, CliError> {
        let fail = |e: std::io::Error| {
            CliError::usage(format!("cannot write the TLS certificates: {}", e.kind()))
        };
        let dir = std::env::temp_dir().join(format!("grantwire-serve-tls-{}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(fail)?;
        let files = Self {
            ca: dir.join("ca.pem"),
            cert: dir.join("client.crt"),
            key: dir.join("client.key"),
            subject: client.subject_dn().to_owned(),
            dir,
        };
        for (path, text) in [
            (&files.ca, pki.ca_certificate_pem()),
            (&files.cert, client.certificate_pem().to_owned()),
            (&files.key, client.private_key_pem().to_owned()),
        ] {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(path).map_err(fail)?;
            f.write_all(text.as_bytes()).map_err(fail)?;
        }
        Ok(files)
    }
}

impl Drop for TlsFiles {
    fn drop(&mut self) {
        for f in [&self.ca, &self.cert, &self.key] {
            let _ = std::fs::remove_file(f);
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The loopback address `--addr` names, or why it is refused.
fn loopback_addr(addr: &str) -> Result<SocketAddr, CliError> {
    let parsed: SocketAddr = addr.parse().map_err(|_| {
        CliError::usage(format!(
            "--addr must be 127.0.0.1:PORT, not {:?}",
            addr.chars().take(100).collect::<String>()
        ))
    })?;
    if !parsed.ip().is_loopback() {
        return Err(CliError::usage(format!(
            "--addr {parsed} is not a loopback address: `grantwire serve` listens on 127.0.0.1 only"
        )));
    }
    if parsed.ip() != Ipv4Addr::LOCALHOST {
        return Err(CliError::usage(format!(
            "--addr {parsed}: `grantwire serve` listens on 127.0.0.1 only"
        )));
    }
    Ok(parsed)
}

/// A fresh directory of mode 0700 holding `demo-clients.json` (mode 0600). Removed on drop.
struct DemoFile {
    dir: PathBuf,
    file: PathBuf,
}

impl DemoFile {
    fn write() -> Result<Self, CliError> {
        let fail = |e: std::io::Error| {
            CliError::usage(format!(
                "cannot write the demo client registry: {}",
                e.kind()
            ))
        };
        let dir = std::env::temp_dir().join(format!("grantwire-serve-{}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(fail)?;
        let demo = Self {
            file: dir.join("demo-clients.json"),
            dir,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&demo.file).map_err(fail)?;
        f.write_all(DEMO_REGISTRY.as_bytes()).map_err(fail)?;
        Ok(demo)
    }

    fn path(&self) -> &Path {
        &self.file
    }
}

impl Drop for DemoFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Runs `grantwire serve` until Ctrl-C.
pub(crate) fn run(args: ServeArgs) -> Result<ExitCode, CliError> {
    let addr = loopback_addr(&args.addr)?;
    let (registry, demo) = match &args.config {
        Some(path) => {
            let registry = ClientRegistry::from_json_file(path)
                .map_err(|e| CliError::usage(format!("--config {}: {e}", path.display())))?;
            (registry, None)
        }
        None => {
            let registry = ClientRegistry::from_json(DEMO_REGISTRY)
                .map_err(|e| CliError::usage(format!("demo registry: {e}")))?;
            (registry, Some(DemoFile::write()?))
        }
    };
    let config = ServerConfig::new("http://127.0.0.1")
        .map_err(|e| CliError::usage(format!("server configuration: {e}")))?;
    let server = AuthServer::new(config, registry);

    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(|e| CliError::usage(format!("cannot handle Ctrl-C: {e}")))?;

    let loopback = LoopbackServer::start_with_routes(server, addr.port(), debug_page::route)
        .map_err(|e| CliError::usage(format!("cannot listen on {addr}: {e}")))?;
    let issuer = loopback.issuer();
    let tls_error = |e: grantwire_testkit::Error| CliError::usage(format!("TLS listener: {e}"));
    let pki = TestPki::generate().map_err(tls_error)?;
    let tls_client = pki
        .issue_client_certificate(TLS_CLIENT_CN)
        .map_err(tls_error)?;
    let tls = loopback.start_tls(&pki).map_err(tls_error)?;
    let tls_files = TlsFiles::write(&pki, &tls_client)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "grantwire serve: listening on {issuer}");
    let _ = writeln!(out, "  token endpoint   {}", loopback.token_endpoint());
    let _ = writeln!(
        out,
        "  debugging page   {issuer}{}  (JSON: {issuer}{})",
        debug_page::PAGE,
        debug_page::EVENTS
    );
    let _ = writeln!(
        out,
        "  TLS token endpoint {}  (asks for a client certificate: RFC 8705)",
        tls.token_endpoint()
    );
    let _ = writeln!(
        out,
        "  TLS CA certificate {}  (--ca-cert)",
        tls_files.ca.display()
    );
    let _ = writeln!(
        out,
        "  TLS client cert    {} with key {}  (subject {:?})",
        tls_files.cert.display(),
        tls_files.key.display(),
        tls_files.subject
    );
    let _ = writeln!(out, "clients:");
    {
        let server = loopback.lock();
        let mut clients: Vec<_> = server
            .registry()
            .iter()
            .map(|c| {
                (
                    c.client_id().as_str().to_owned(),
                    c.auth().method().as_str(),
                )
            })
            .collect();
        clients.sort();
        for (id, method) in clients {
            let _ = writeln!(out, "  {id:<20} {method}");
        }
    }
    if let Some(demo) = &demo {
        let _ = writeln!(
            out,
            "demo secrets: {} (mode 0600; a template for --config)",
            demo.path().display()
        );
    }
    let _ = writeln!(out, "Ctrl-C stops the server.");
    let _ = out.flush();
    drop(out);

    // Wait for Ctrl-C or SIGTERM (a closed channel cannot happen: the handler holds the sender).
    let _ = stop_rx.recv();
    tls.stop();
    loopback.stop();
    drop(tls_files);
    drop(demo);
    println!("grantwire serve: stopped");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_127_0_0_1_is_accepted() {
        assert!(loopback_addr("127.0.0.1:0").is_ok());
        assert_eq!(loopback_addr("127.0.0.1:8080").unwrap().port(), 8080);
        for refused in [
            "0.0.0.0:0",
            "192.168.1.2:80",
            "[::]:0",
            "[::1]:0",
            "127.0.0.2:0",
            "localhost:0",
            "x",
        ] {
            let e = loopback_addr(refused).unwrap_err();
            assert_eq!(e.exit_code(), crate::output::EXIT_USAGE, "{refused}");
        }
    }

    #[test]
    fn the_demo_registry_loads() {
        let registry = ClientRegistry::from_json(DEMO_REGISTRY).unwrap();
        assert_eq!(registry.iter().count(), 4);
    }
}
