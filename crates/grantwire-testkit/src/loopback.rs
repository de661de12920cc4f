//! A loopback HTTP/1.1 server around [`AuthServer`] (feature `loopback`), on `tiny_http`.
//!
//! It binds `127.0.0.1` only, never another address, reads the system clock and the operating
//! system's random generator (the I/O the Sans-IO core leaves to its caller), and serves each
//! request on its own thread so an injected delay does not hold up the others.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::SystemTime;

use http::{Request, Response, StatusCode};

use crate::faults::InjectedDelay;
use crate::{AuthServer, Error};

/// Request bodies larger than this are refused with 413 before the server sees them.
pub(crate) const MAX_BODY: u64 = 1024 * 1024;

/// Extra routes served beside the authorization server (a debugging page, say): given each
/// request and the server (locked), an answer, or `None` to let the server answer.
pub(crate) type Routes =
    dyn Fn(&Request<Vec<u8>>, &AuthServer) -> Option<Response<Vec<u8>>> + Send + Sync;

/// An [`AuthServer`] served over HTTP on `127.0.0.1`. The issuer becomes
/// `http://127.0.0.1:PORT`. Dropping the value stops the server.
///
/// ```
/// # fn main() -> Result<(), grantwire_testkit::Error> {
/// use grantwire_testkit::{AuthServer, ClientRegistry, EndpointKind, LoopbackServer, ServerConfig};
/// let server = AuthServer::new(ServerConfig::new("https://placeholder.example")?, ClientRegistry::new());
/// let loopback = LoopbackServer::start(server)?;
/// assert!(loopback.addr().ip().is_loopback());
/// assert_eq!(loopback.issuer(), format!("http://{}", loopback.addr()));
/// assert_eq!(loopback.lock().counters().endpoint(EndpointKind::Token), 0);
/// loopback.stop();
/// # Ok(()) }
/// ```
pub struct LoopbackServer {
    addr: SocketAddr,
    inner: Arc<Mutex<AuthServer>>,
    #[cfg(feature = "tls")]
    routes: Arc<Routes>,
    http: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LoopbackServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl LoopbackServer {
    /// Serves `server` on `127.0.0.1` on a port the operating system picks.
    pub fn start(server: AuthServer) -> Result<Self, Error> {
        Self::start_on_port(server, 0)
    }

    /// Serves `server` on `127.0.0.1:port` (0: any free port).
    pub fn start_on_port(server: AuthServer, port: u16) -> Result<Self, Error> {
        Self::start_with_routes(server, port, |_, _| None)
    }

    /// Serves `server` on `127.0.0.1:port` (0: any free port), asking `routes` first about
    /// every request: what it answers is sent as is, and `None` lets the server answer. The
    /// server is locked while `routes` runs, so it can read [`AuthServer::auth_events`] or the
    /// counters; it must not block.
    ///
    /// ```
    /// # fn main() -> Result<(), grantwire_testkit::Error> {
    /// use grantwire_testkit::{AuthServer, ClientRegistry, LoopbackServer, ServerConfig};
    /// let server = AuthServer::new(ServerConfig::new("https://placeholder.example")?, ClientRegistry::new());
    /// let loopback = LoopbackServer::start_with_routes(server, 0, |request, server| {
    ///     (request.uri().path() == "/events")
    ///         .then(|| http::Response::new(server.auth_events().count().to_string().into_bytes()))
    /// })?;
    /// # loopback.stop();
    /// # Ok(()) }
    /// ```
    pub fn start_with_routes(
        mut server: AuthServer,
        port: u16,
        routes: impl Fn(&Request<Vec<u8>>, &AuthServer) -> Option<Response<Vec<u8>>>
            + Send
            + Sync
            + 'static,
    ) -> Result<Self, Error> {
        let routes: Arc<Routes> = Arc::new(routes);
        let http = tiny_http::Server::http(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).map_err(
            |e| Error::Io {
                kind: e
                    .downcast_ref::<std::io::Error>()
                    .map_or(std::io::ErrorKind::Other, std::io::Error::kind),
            },
        )?;
        let addr = http.server_addr().to_ip().ok_or(Error::Io {
            kind: std::io::ErrorKind::AddrNotAvailable,
        })?;
        server.set_issuer(&format!("http://{addr}"))?;
        let inner = Arc::new(Mutex::new(server));
        let http = Arc::new(http);
        let thread = {
            let http = Arc::clone(&http);
            let inner = Arc::clone(&inner);
            let routes = Arc::clone(&routes);
            std::thread::Builder::new()
                .name("grantwire-testkit-loopback".into())
                .spawn(move || {
                    for request in http.incoming_requests() {
                        let inner = Arc::clone(&inner);
                        let routes = Arc::clone(&routes);
                        // One thread per request: an injected delay holds up only its own.
                        let spawned = std::thread::Builder::new()
                            .name("grantwire-testkit-request".into())
                            .spawn(move || serve(&inner, &*routes, addr, request));
                        drop(spawned);
                    }
                })
                .map_err(|e| Error::Io { kind: e.kind() })?
        };
        Ok(Self {
            addr,
            inner,
            #[cfg(feature = "tls")]
            routes,
            http,
            thread: Some(thread),
        })
    }

    /// The bound address (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The issuer identifier, `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of the token endpoint.
    pub fn token_endpoint(&self) -> String {
        self.lock().token_endpoint()
    }

    /// The served server as a client sees it ([`AuthServer::authorization_server`]), with its
    /// `http://127.0.0.1:PORT` URLs (loopback, so no opt-in is needed).
    pub fn authorization_server(&self) -> Result<grantwire::AuthorizationServer, grantwire::Error> {
        self.lock().authorization_server()
    }

    /// Locks the server, to inject faults, mint codes or read counters while it runs. Do not
    /// hold the guard across a request to the server.
    pub fn lock(&self) -> MutexGuard<'_, AuthServer> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The server and its extra routes, for the TLS listener beside it.
    #[cfg(feature = "tls")]
    pub(crate) fn shared(&self) -> (Arc<Mutex<AuthServer>>, Arc<Routes>) {
        (Arc::clone(&self.inner), Arc::clone(&self.routes))
    }

    /// Stops accepting requests and waits for the accept loop to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.http.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Converts, answers and writes back one request.
fn serve(
    inner: &Mutex<AuthServer>,
    routes: &Routes,
    addr: SocketAddr,
    mut request: tiny_http::Request,
) {
    let response = match to_http(&mut request, addr) {
        Ok(req) => answer(inner, routes, &req),
        Err(status) => plain(status, "bad request"),
    };
    let _ = request.respond(from_http(response));
}

/// Answers one request: the extra routes first, else the server, with the system clock and
/// the operating system's randomness; then sleeps out an injected delay.
pub(crate) fn answer(
    inner: &Mutex<AuthServer>,
    routes: &Routes,
    req: &Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    let mut failed = false;
    let mut entropy = |buf: &mut [u8]| failed |= getrandom::fill(buf).is_err();
    let mut server = inner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let response = match routes(req, &server) {
        Some(response) => response,
        None => server.handle(req, SystemTime::now(), &mut entropy),
    };
    drop(server);
    let response = if failed {
        // No OS randomness: never hand out what was issued with it.
        plain(StatusCode::INTERNAL_SERVER_ERROR, "no randomness available")
    } else {
        response
    };
    if let Some(InjectedDelay(d)) = response.extensions().get::<InjectedDelay>() {
        std::thread::sleep(*d);
    }
    response
}

pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Vec<u8>> {
    let mut r = Response::new(text.as_bytes().to_vec());
    *r.status_mut() = status;
    r
}

fn to_http(
    request: &mut tiny_http::Request,
    addr: SocketAddr,
) -> Result<Request<Vec<u8>>, StatusCode> {
    let mut builder = Request::builder()
        .method(request.method().as_str())
        .uri(format!("http://{addr}{}", request.url()));
    for h in request.headers() {
        builder = builder.header(h.field.as_str().as_str(), h.value.as_str());
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    if body.len() as u64 > MAX_BODY {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    builder.body(body).map_err(|_| StatusCode::BAD_REQUEST)
}

fn from_http(response: Response<Vec<u8>>) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let (parts, body) = response.into_parts();
    let mut out = tiny_http::Response::from_data(body).with_status_code(parts.status.as_u16());
    for (name, value) in &parts.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_str().as_bytes(), value.as_bytes()) {
            out.add_header(h);
        }
    }
    out
}
