//! The blocking transport: a [`ureq::Agent`] that sends a [`SecretRequest`] and reads the
//! answer into an `http::Response<Vec<u8>>` for the core's parsers.

use std::io::Read;
use std::time::Duration;

use grantwire::lifecycle::TransportError;
use grantwire::SecretRequest;
use http::header::CONTENT_LENGTH;

use crate::TransportFailure;

/// The default cap on a response body: 1 MiB.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;
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
    /// request fails with [`TransportFailure::BodyTooLarge`].
    pub max_body: u64,
    /// The connect timeout (name resolution, TCP, TLS handshake).
    pub connect_timeout: Duration,
    /// The total timeout for one request, body included.
    pub timeout: Duration,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_BODY,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl TransportOptions {
    /// Sets [`TransportOptions::max_body`].
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
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
    max_body: u64,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("max_body", &self.max_body)
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
        let config = ureq::Agent::config_builder()
            // RFC 9700 §4.11: a credentialed request is never replayed to another location.
            // With 0, ureq returns the 3xx as a response (never a `TooManyRedirects` error).
            .max_redirects(0)
            // 4xx and 5xx carry OAuth errors and `Retry-After`: they are responses.
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.timeout))
            .user_agent(USER_AGENT)
            .build();
        Self {
            agent: config.into(),
            max_body: options.max_body,
        }
    }

    /// A transport around an agent the caller configured (a proxy, a custom TLS
    /// configuration, client certificates), with the default body cap.
    ///
    /// **The caller then owns the agent's redirect, status and timeout settings**: set
    /// `max_redirects(0)` and `http_status_as_error(false)` as [`Transport::with_options`]
    /// does, or redirects are followed with credentials and OAuth error answers arrive as
    /// transport failures. The body cap still applies ([`Transport::max_body`]).
    pub fn from_agent(agent: ureq::Agent) -> Self {
        Self {
            agent,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Changes the body cap.
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sends `request` and reads the response, its body capped at the configured size.
    ///
    /// The request body is lent to ureq from the wiped [`grantwire::SecretBody`], never
    /// copied by this crate; ureq writes it to the socket (or the TLS layer's buffer, which is
    /// not wiped) and the body is wiped when this call returns. Headers are `http`'s shared
    /// bytes and are not wiped (see [`grantwire::request`]).
    pub fn send(
        &self,
        request: SecretRequest,
    ) -> Result<http::Response<Vec<u8>>, TransportFailure> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, body.as_bytes());
        let response = self
            .agent
            .run(request)
            .map_err(|e| classify(&e, Phase::Exchange))?;
        drop(body);
        let (parts, mut body) = response.into_parts();
        if let Some(len) = declared_length(&parts.headers) {
            if len > self.max_body {
                return Err(TransportFailure::BodyTooLarge {
                    limit: self.max_body,
                });
            }
        }
        let bytes = read_capped(&mut body, self.max_body)?;
        Ok(http::Response::from_parts(parts, bytes))
    }
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
fn read_capped(body: &mut ureq::Body, max: u64) -> Result<Vec<u8>, TransportFailure> {
    let limit = usize::try_from(max.saturating_add(1)).unwrap_or(usize::MAX);
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
            Err(e) => {
                return Err(match ureq::Error::from(e) {
                    ureq::Error::BodyExceedsLimit(_) => {
                        TransportFailure::BodyTooLarge { limit: max }
                    }
                    e => classify(&e, Phase::Body),
                })
            }
        };
        if bytes.capacity() - bytes.len() < n {
            let grow = bytes.capacity().max(n).min(limit - bytes.len());
            bytes.reserve_exact(grow);
        }
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.len() as u64 > max {
            return Err(TransportFailure::BodyTooLarge { limit: max });
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
    let kind = match error {
        E::Timeout(_) => TransportError::TimedOut,
        E::Io(io) if io.kind() == K::TimedOut || io.kind() == K::WouldBlock => {
            TransportError::TimedOut
        }
        E::BodyExceedsLimit(limit) => {
            return TransportFailure::BodyTooLarge { limit: *limit };
        }
        _ if matches!(phase, Phase::Body) => TransportError::Receive,
        E::HostNotFound | E::ConnectionFailed | E::Tls(_) | E::Rustls(_) | E::Pem(_) => {
            TransportError::Connect
        }
        E::Io(io) => match io.kind() {
            K::ConnectionRefused
            | K::AddrNotAvailable
            | K::AddrInUse
            | K::NotFound
            | K::PermissionDenied => TransportError::Connect,
            // The server hung up before a complete response head.
            K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted => TransportError::Receive,
            _ => TransportError::Send,
        },
        E::Protocol(_) => TransportError::Receive,
        // A URI ureq cannot use, a header it refuses, a redirect error (none are followed):
        // the request never left.
        _ => {
            return TransportFailure::Request;
        }
    };
    TransportFailure::Transport(kind)
}
