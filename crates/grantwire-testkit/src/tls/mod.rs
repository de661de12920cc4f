//! A loopback HTTPS listener beside the plain one (feature `tls`): rustls on ring, a server
//! certificate from a [`TestPki`], and a request for a client certificate, which it hands to
//! the same [`AuthServer`](crate::AuthServer) as a [`PresentedCertificate`] so
//! `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705 §2) run over a real handshake.
//!
//! The certificate is optional at the TLS layer (a client without one reaches the server and
//! gets `invalid_client`), any certificate is accepted by the handshake, since a self-signed
//! one is what §2.2 registers, but **the handshake signature is always verified**, so a client
//! must hold the certificate's private key (proof of possession, RFC 8705 §2.2 and RFC 8446
//! §4.4.3). After the handshake the chain is checked against the testkit CA and the result
//! goes with the certificate: `tls_client_auth` accepts only a verified chain (§2.1).

mod http1;
mod pki;
mod subject;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};

pub use pki::{ClientIdentity, TestPki};

use crate::loopback::{answer, Routes};
use crate::{AuthServer, Error, LoopbackServer, PresentedCertificate};

/// How long a connection may stay silent (handshake, request, response) before it is closed.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn tls_error(reason: &'static str) -> impl Fn(rustls::Error) -> Error {
    move |_| Error::Tls { reason }
}

/// Accepts any client certificate at the handshake but always verifies the handshake
/// signature with the certificate's key (proof of possession); the chain is judged later.
#[derive(Debug)]
struct AnyCertificateWithPossession {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyCertificateWithPossession {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        // Without a certificate the request still reaches the server, which answers
        // invalid_client (certificate missing), as a real deployment would.
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Self-signed certificates are what RFC 8705 §2.2 registers: accept any well-formed
        // one here; the server matches it against the registration after the handshake.
        if subject::subject_dn(end_entity).is_none() {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::BadEncoding,
            ));
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// What each connection needs.
struct Shared {
    config: Arc<rustls::ServerConfig>,
    /// The testkit CA's chain check, for `tls_client_auth`.
    pki_verifier: Arc<dyn ClientCertVerifier>,
    inner: Arc<Mutex<AuthServer>>,
    routes: Arc<Routes>,
    addr: SocketAddr,
}

/// The HTTPS listener [`LoopbackServer::start_tls`] starts beside the plain one, serving the
/// same server on another `127.0.0.1` port. Dropping it stops accepting connections.
pub struct TlsListener {
    addr: SocketAddr,
    token_path: String,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl LoopbackServer {
    /// Serves the same server over HTTPS on another port of `127.0.0.1`, with `pki`'s server
    /// certificate, asking every client for a certificate (RFC 8705 §2). Clients trust
    /// [`TestPki::ca_certificate_pem`]. Requests keep the paths of the plain server
    /// ([`TlsListener::url`] + `/token`, …); the issuer stays the plain `http` one.
    ///
    /// ```
    /// # fn main() -> Result<(), grantwire_testkit::Error> {
    /// use grantwire_testkit::{AuthServer, ClientRegistry, LoopbackServer, ServerConfig, TestPki};
    /// let server = AuthServer::new(ServerConfig::new("https://placeholder.example")?, ClientRegistry::new());
    /// let loopback = LoopbackServer::start(server)?;
    /// let pki = TestPki::generate()?;
    /// let tls = loopback.start_tls(&pki)?;
    /// assert!(tls.addr().ip().is_loopback());
    /// assert_eq!(tls.token_endpoint(), format!("https://{}/token", tls.addr()));
    /// # Ok(()) }
    /// ```
    pub fn start_tls(&self, pki: &TestPki) -> Result<TlsListener, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(pki.ca_certificate_der().to_vec()))
            .map_err(tls_error("the CA certificate is unusable"))?;
        let pki_verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|_| Error::Tls {
                    reason: "cannot build the client certificate verifier",
                })?;
        let verifier = AnyCertificateWithPossession {
            algorithms: provider.signature_verification_algorithms,
        };
        let server = pki.server();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.private_key_der().to_vec()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(tls_error("no protocol version"))?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(
                vec![CertificateDer::from(server.certificate_der().to_vec())],
                key,
            )
            .map_err(tls_error("the server certificate or key is unusable"))?;

        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .map_err(|e| Error::Io { kind: e.kind() })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Io { kind: e.kind() })?;
        let (inner, routes) = self.shared();
        let token_path = http::Uri::try_from(self.token_endpoint())
            .map(|u| u.path().to_owned())
            .unwrap_or_else(|_| "/token".to_owned());
        let shared = Arc::new(Shared {
            config: Arc::new(config),
            pki_verifier,
            inner,
            routes,
            addr,
        });
        let stopping = Arc::new(AtomicBool::new(false));
        let thread = {
            let stopping = Arc::clone(&stopping);
            std::thread::Builder::new()
                .name("grantwire-testkit-tls".into())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stopping.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else {
                            // Out of descriptors, say: do not spin.
                            std::thread::sleep(Duration::from_millis(10));
                            continue;
                        };
                        let shared = Arc::clone(&shared);
                        let spawned = std::thread::Builder::new()
                            .name("grantwire-testkit-tls-connection".into())
                            .spawn(move || connection(&shared, stream));
                        drop(spawned);
                    }
                })
                .map_err(|e| Error::Io { kind: e.kind() })?
        };
        Ok(TlsListener {
            addr,
            token_path,
            stopping,
            thread: Some(thread),
        })
    }
}

impl TlsListener {
    /// The bound address (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The token endpoint over TLS.
    pub fn token_endpoint(&self) -> String {
        format!("https://{}{}", self.addr, self.token_path)
    }

    /// Stops accepting connections and waits for the accept loop to end (connections already
    /// accepted finish on their own threads).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // Wake the accept loop with a connection of our own (to our own address).
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
            let _ = t.join();
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// One connection: the handshake, one request, its answer, close.
fn connection(shared: &Shared, mut tcp: TcpStream) {
    if tcp.set_read_timeout(Some(IO_TIMEOUT)).is_err()
        || tcp.set_write_timeout(Some(IO_TIMEOUT)).is_err()
    {
        return;
    }
    let Ok(mut conn) = rustls::ServerConnection::new(Arc::clone(&shared.config)) else {
        return;
    };
    while conn.is_handshaking() {
        // A failed handshake (a bad signature: no proof of possession) ends here; rustls
        // has queued the alert, which complete_io tried to send.
        if conn.complete_io(&mut tcp).is_err() {
            return;
        }
    }
    let presented = conn.peer_certificates().and_then(|chain| {
        let (end_entity, intermediates) = chain.split_first()?;
        let subject = subject::subject_dn(end_entity)?;
        let verified = shared
            .pki_verifier
            .verify_client_cert(end_entity, intermediates, UnixTime::now())
            .is_ok();
        Some(PresentedCertificate::new(end_entity.to_vec(), subject).with_chain_verified(verified))
    });
    let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
    let response = match http1::read_request(&mut stream, shared.addr) {
        Ok(mut request) => {
            if let Some(certificate) = presented {
                request.extensions_mut().insert(certificate);
            }
            answer(&shared.inner, &*shared.routes, &request)
        }
        Err(status) => crate::loopback::plain(status, "bad request"),
    };
    let _ = http1::write_response(&mut stream, &response);
    let _ = stream.flush();
    conn.send_close_notify();
    let _ = conn.complete_io(&mut tcp);
}
