//! The blocking transport: a [`ureq::Agent`] that sends a [`SecretRequest`] and reads the
//! answer into an `http::Response<Vec<u8>>` for the core's parsers.

use std::io::Read;
use std::time::Duration;

use grantwire::lifecycle::TransportError;
use grantwire::SecretRequest;
use http::header::CONTENT_LENGTH;

use grantwire_client::TransportFailure;
use ureq::tls::{Certificate, ClientCert, PemItem, RootCerts, TlsConfig};

/// The default cap on a response body: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// The default connect timeout (TCP and TLS): 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default total timeout (connect, send, response and body): 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The `User-Agent` sent on every request: `grantwire/<version>`.
pub const USER_AGENT: &str = concat!("grantwire/", env!("CARGO_PKG_VERSION"));

/// How [`Transport::with_options`] configures its agent. Start from
/// [`TransportOptions::default`] (the [defaults table](crate#defaults)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportOptions {
    /// The largest response body read, in bytes; reading stops one byte past it and the
    /// request fails with a [`TransportError::Receive`] failure whose source is
    /// [`BodyTooLarge`].
    pub max_body_bytes: usize,
    /// The connect timeout (name resolution, TCP, TLS handshake).
    pub connect_timeout: Duration,
    /// The total timeout for one request, body included.
    pub timeout: Duration,
    /// CA certificates (DER) trusted **instead of** the built-in WebPKI roots, as curl's
    /// `--cacert` does (a private CA, the testkit's loopback TLS listener); empty: the WebPKI
    /// roots.
    pub root_certificates: Vec<Vec<u8>>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            root_certificates: Vec::new(),
        }
    }
}

impl TransportOptions {
    /// Sets [`TransportOptions::max_body_bytes`].
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`TransportOptions::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`TransportOptions::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Adds a CA certificate (DER) to [`TransportOptions::root_certificates`].
    pub fn root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(der.into());
        self
    }

    /// Adds every certificate of a PEM file to [`TransportOptions::root_certificates`];
    /// fails if the text is not PEM or holds no certificate.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, InvalidPem> {
        let certificates = certificates_from_pem(pem)?;
        self.root_certificates
            .extend(certificates.iter().map(|c| c.der().to_vec()));
        Ok(self)
    }
}

/// A PEM input that holds no usable certificate (or, for a key, no usable private key). The
/// message never quotes the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not PEM, or no {what} in it")]
pub struct InvalidPem {
    what: &'static str,
}

/// Checks, as rustls will when ureq first connects, that the key is usable and belongs to the
/// end-entity certificate: ureq panics on a mismatch, so it is refused here, with an error.
fn check_key_matches(chain: &[Certificate<'static>], key_pem: &[u8]) -> Result<(), InvalidPem> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mismatch = InvalidPem {
        what: "private key that belongs to the certificate",
    };
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| mismatch)?;
    let chain = chain
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    rustls::sign::CertifiedKey::from_der(chain, key, &rustls::crypto::ring::default_provider())
        .map(drop)
        .map_err(|_| mismatch)
}

fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Certificate<'static>>, InvalidPem> {
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certificates.push(c),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if certificates.is_empty() {
        return Err(InvalidPem {
            what: "certificate",
        });
    }
    Ok(certificates)
}

/// A blocking HTTP transport on ureq 3 with rustls. Cheap to clone (the agent's connection
/// pool is shared).
///
/// Built by [`Transport::new`] or [`Transport::with_options`], it never follows a redirect,
/// returns every status as a response (the core's parsers classify them), caps the body while
/// reading and sends `User-Agent: grantwire/<version>`.
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
    max_body_bytes: usize,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for Transport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport {
    /// A transport with the [default options](TransportOptions::default).
    pub fn new() -> Self {
        Self::with_options(TransportOptions::default())
    }

    /// A transport with these options.
    pub fn with_options(options: TransportOptions) -> Self {
        Self::build(&options, None)
    }

    /// A transport with these options that presents a client certificate on every TLS
    /// connection, for mutual-TLS client authentication (RFC 8705 §2: `tls_client_auth`,
    /// `self_signed_tls_client_auth`): `chain_pem` holds the certificate (and any
    /// intermediates), `key_pem` its private key (PKCS#8, PKCS#1 or SEC1 PEM).
    pub fn with_client_certificate(
        options: TransportOptions,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, InvalidPem> {
        let chain = certificates_from_pem(chain_pem)?;
        let key = ureq::tls::PrivateKey::from_pem(key_pem).map_err(|_| InvalidPem {
            what: "private key",
        })?;
        check_key_matches(&chain, key_pem)?;
        Ok(Self::build(
            &options,
            Some(ClientCert::new_with_certs(&chain, key)),
        ))
    }

    fn build(options: &TransportOptions, client_cert: Option<ClientCert>) -> Self {
        let mut tls = TlsConfig::builder().client_cert(client_cert);
        if !options.root_certificates.is_empty() {
            let roots: Vec<Certificate<'static>> = options
                .root_certificates
                .iter()
                .map(|der| Certificate::from_der(der).to_owned())
                .collect();
            tls = tls.root_certs(RootCerts::new_with_certs(&roots));
        }
        let config = ureq::Agent::config_builder()
            // RFC 9700 §4.11: a credentialed request is never replayed to another location.
            // With 0, ureq returns the 3xx as a response (never a `TooManyRedirects` error).
            .max_redirects(0)
            // 4xx and 5xx carry OAuth errors and `Retry-After`: they are responses.
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.timeout))
            .user_agent(USER_AGENT)
            .tls_config(tls.build())
            .build();
        Self {
            agent: config.into(),
            max_body_bytes: options.max_body_bytes,
        }
    }

    /// A transport around an agent the caller configured (a proxy, a custom TLS
    /// configuration, client certificates), with the default body cap.
    ///
    /// **The caller then owns the agent's redirect, status and timeout settings**: set
    /// `max_redirects(0)` and `http_status_as_error(false)` as [`Transport::with_options`]
    /// does, or redirects are followed with credentials and OAuth error answers arrive as
    /// transport failures. The body cap still applies ([`Transport::max_body_bytes`]).
    pub fn from_agent(agent: ureq::Agent) -> Self {
        Self {
            agent,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Changes the body cap.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// The agent, for code that sends other requests through the same connection pool.
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// Sends `request` and reads the response, its body capped at the configured size.
    ///
    /// The request body is lent to ureq from the wiped [`grantwire::SecretBody`], never
    /// copied by this crate; ureq writes it to the socket (through the TLS layer's buffers,
    /// which are not wiped) and the body is wiped when this call returns. Headers are `http`'s
    /// shared bytes and are not wiped (see [`grantwire::request`]).
    pub fn send(
        &self,
        request: SecretRequest,
    ) -> Result<http::Response<Vec<u8>>, TransportFailure> {
        let (parts, body) = request.into_parts();
        let response = self.execute(http::Request::from_parts(parts, body.as_bytes()));
        drop(body);
        response
    }

    /// Sends a request whose body is borrowed (the token client's API calls, which may be
    /// sent twice) and reads the capped response.
    pub(crate) fn execute(
        &self,
        request: http::Request<&[u8]>,
    ) -> Result<http::Response<Vec<u8>>, TransportFailure> {
        let response = self
            .agent
            .run(request)
            .map_err(|e| classify(&e, Phase::Exchange))?;
        let (parts, mut body) = response.into_parts();
        if declared_length(&parts.headers).is_some_and(|len| len > self.max_body_bytes as u64) {
            return Err(too_large(self.max_body_bytes));
        }
        let bytes = read_capped(&mut body, self.max_body_bytes)?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

/// The source of the failure for a response body over the cap (its kind is
/// [`TransportError::Receive`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the response body is larger than the {limit}-byte limit")]
pub struct BodyTooLarge {
    /// The cap that was exceeded.
    pub limit: usize,
}

fn too_large(limit: usize) -> TransportFailure {
    TransportFailure::new(
        TransportError::Receive,
        Some(Box::new(BodyTooLarge { limit })),
    )
}

/// The source of every other failure: what went wrong, without the URL or any server text
/// (ureq's own errors may print the URI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("ureq: {what}")]
pub struct UreqFailure {
    /// The kind of ureq error (`"io"`, `"timeout"`, `"protocol"`, `"tls"`, ...).
    pub what: &'static str,
    /// The I/O error kind, for I/O errors.
    pub io: Option<std::io::ErrorKind>,
}

/// A `Content-Length` that announces more than the cap fails before any byte is read.
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads at most `max + 1` bytes: one past the cap tells a body that is too large from one
/// that fits exactly. The buffer grows with what arrives (doubling, but never past `max + 1`),
/// never to a size the server announces; the bytes pass through one 16 KiB stack buffer.
fn read_capped(body: &mut ureq::Body, max: usize) -> Result<Vec<u8>, TransportFailure> {
    let limit = max.saturating_add(1);
    // ureq's own limit too, so a decoder below us stops at the same place.
    let mut reader = body.with_config().limit(limit as u64).reader();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let want = chunk.len().min(limit - bytes.len());
        let n = match reader.read(&mut chunk[..want]) {
            Ok(0) => return Ok(bytes),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(classify(&ureq::Error::from(e), Phase::Body)),
        };
        if bytes.capacity() - bytes.len() < n {
            let grow = bytes.capacity().max(n).min(limit - bytes.len());
            bytes.reserve_exact(grow);
        }
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.len() > max {
            return Err(too_large(max));
        }
    }
}

/// Where in the exchange an error happened: ureq reports connect, send and the response head
/// from one call, the body from another.
#[derive(Clone, Copy)]
enum Phase {
    Exchange,
    Body,
}

/// Maps a ureq error to the lifecycle's transport-failure kinds.
fn classify(error: &ureq::Error, phase: Phase) -> TransportFailure {
    use std::io::ErrorKind as K;
    use ureq::Error as E;
    let io = match error {
        E::Io(e) => Some(e.kind()),
        _ => None,
    };
    let (kind, what) = match error {
        E::BodyExceedsLimit(limit) => {
            return too_large(usize::try_from(limit.saturating_sub(1)).unwrap_or(usize::MAX))
        }
        E::Timeout(_) => (TransportError::TimedOut, "timeout"),
        E::Io(e) if matches!(e.kind(), K::TimedOut | K::WouldBlock) => {
            (TransportError::TimedOut, "io")
        }
        E::Io(_) | E::Protocol(_) if matches!(phase, Phase::Body) => {
            (TransportError::Receive, "body")
        }
        E::HostNotFound => (TransportError::Connect, "host not found"),
        E::ConnectionFailed => (TransportError::Connect, "connection failed"),
        E::Tls(_) | E::Rustls(_) | E::Pem(_) => (TransportError::Connect, "tls"),
        E::Io(e) => match e.kind() {
            K::ConnectionRefused
            | K::AddrNotAvailable
            | K::AddrInUse
            | K::NotFound
            | K::PermissionDenied => (TransportError::Connect, "io"),
            // The server hung up before a complete response head.
            K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted => {
                (TransportError::Receive, "io")
            }
            _ => (TransportError::Send, "io"),
        },
        E::Protocol(_) => (TransportError::Receive, "protocol"),
        // A URI ureq cannot use, a header it refuses: the request never left.
        E::BadUri(_) => (TransportError::Send, "bad uri"),
        E::Http(_) => (TransportError::Send, "invalid request"),
        _ => (TransportError::Send, "other"),
    };
    TransportFailure::new(kind, Some(Box::new(UreqFailure { what, io })))
}
