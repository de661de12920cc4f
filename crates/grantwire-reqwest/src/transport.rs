//! The adapter: sends a [`SecretRequest`] with reqwest and hands back status, headers and a body
//! read under a cap.

use std::sync::Arc;
use std::time::Duration;

use grantwire::lifecycle::TransportError;
use grantwire::SecretRequest;
use http::header::{HeaderValue, USER_AGENT};

use grantwire_client::TransportFailure;

use crate::url_cache::LastUrl;

/// The `User-Agent` every request carries: `grantwire/<version>`.
pub const USER_AGENT_VALUE: &str = concat!("grantwire/", env!("CARGO_PKG_VERSION"));

/// How the [`Transport`] builds its `reqwest::Client` and reads responses.
///
/// | option | default |
/// | --- | --- |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s |
/// | [`timeout`](Self::timeout) (connect, send and read the whole body) | 30 s |
/// | [`max_body_bytes`](Self::max_body_bytes) | 1 MiB |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportOptions {
    /// Longest wait for a connection (TCP and TLS handshake).
    pub connect_timeout: Duration,
    /// Longest wait for a whole exchange, from connecting to the last byte of the body.
    pub timeout: Duration,
    /// Largest response body read; reading stops at this many bytes and the exchange fails.
    pub max_body_bytes: usize,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
        }
    }
}

impl TransportOptions {
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

    /// Sets [`TransportOptions::max_body_bytes`].
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }
}

/// Sends the core's requests over reqwest (rustls) and returns the answer as an
/// `http::Response<Vec<u8>>` for the core's parsers.
///
/// Built by [`Transport::new`] or [`Transport::with_options`], its client never follows a
/// redirect (RFC 9700 §4.11: a credentialed request must not be replayed to another location; a
/// 3xx is handed back as it is and the core refuses it), times out, sends
/// [`USER_AGENT_VALUE`], and reads at most [`TransportOptions::max_body_bytes`] of a body.
/// Cloning is cheap (reqwest's client is shared).
#[derive(Clone, Debug)]
pub struct Transport {
    client: reqwest::Client,
    max_body_bytes: usize,
    /// The parsed URL of the last request, shared by the clones.
    last_url: Arc<LastUrl>,
}

impl Transport {
    /// A transport with [`TransportOptions::default`].
    pub fn new() -> Result<Self, TransportFailure> {
        Self::with_options(TransportOptions::default())
    }

    /// A transport with these options.
    pub fn with_options(options: TransportOptions) -> Result<Self, TransportFailure> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(USER_AGENT_VALUE)
            .build()
            .map_err(|e| failure(TransportError::Connect, e))?;
        Ok(Self {
            client,
            max_body_bytes: options.max_body_bytes,
            last_url: Arc::default(),
        })
    }

    /// A transport around a client the caller built, with the default body cap.
    ///
    /// **The caller then owns the client's redirect policy and timeouts**: build it with
    /// `redirect(reqwest::redirect::Policy::none())`, or a token request may be replayed,
    /// credentials included, to wherever a `Location` points. [`Transport::send`] still sets
    /// `User-Agent: grantwire/<version>` on each request that has none.
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            client,
            max_body_bytes: TransportOptions::default().max_body_bytes,
            last_url: Arc::default(),
        }
    }

    /// Sets the body cap of a transport made by [`Transport::from_client`].
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The reqwest client, for sending requests to resource servers with the same settings.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request` and reads the answer, whatever its status.
    ///
    /// The URL of the last request without a query is kept, parsed, so that sending to the same
    /// endpoint again (a token client's every request) skips formatting and parsing it.
    ///
    /// The body is moved into reqwest without a copy: the request's [`grantwire::SecretBody`]
    /// becomes the owner of reqwest's `Bytes`, so it is still wiped when reqwest drops it. (hyper
    /// may copy small bodies into its write buffer, which nothing wipes.)
    ///
    /// Failures carry a [`TransportError`] kind for the lifecycle: `Connect` (refused,
    /// unreachable, DNS, TLS), `Send`, `Receive` (the connection broke while reading, or the
    /// body exceeded the cap: its source is a [`BodyTooLarge`]), `TimedOut`.
    pub async fn send(
        &self,
        request: SecretRequest,
    ) -> Result<http::Response<Vec<u8>>, TransportFailure> {
        let (parts, body) = request.into_parts();
        let url = self.last_url.url(&parts.uri)?;
        let mut out = reqwest::Request::new(parts.method, url);
        *out.headers_mut() = parts.headers;
        out.headers_mut()
            .entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(USER_AGENT_VALUE));
        if !body.is_empty() {
            *out.body_mut() = Some(reqwest::Body::from(bytes::Bytes::from_owner(body)));
        }
        let response = self.client.execute(out).await.map_err(classify)?;
        read_capped(response, self.max_body_bytes).await
    }
}

/// Reads a response, refusing a body over `max` bytes: a declared `Content-Length` over the cap
/// is refused before reading, and a body streamed without one is read chunk by chunk and
/// dropped as soon as it passes the cap, so at most `max` bytes plus one chunk are held.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<http::Response<Vec<u8>>, TransportFailure> {
    let declared = response.content_length();
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = response.chunk().await.map_err(classify_body)? {
        if chunk.len() > max - body.len() {
            return Err(too_large(max));
        }
        body.extend_from_slice(&chunk);
    }
    let mut out = http::Response::new(body);
    *out.status_mut() = response.status();
    *out.version_mut() = response.version();
    *out.headers_mut() = std::mem::take(response.headers_mut());
    Ok(out)
}

/// The lifecycle's kind for a reqwest error raised while sending.
fn classify(error: reqwest::Error) -> TransportFailure {
    let kind = if error.is_timeout() {
        TransportError::TimedOut
    } else if error.is_connect() {
        TransportError::Connect
    } else if error.is_body() || error.is_decode() {
        TransportError::Receive
    } else {
        TransportError::Send
    };
    failure(kind, error)
}

/// The kind for an error raised while reading the body.
fn classify_body(error: reqwest::Error) -> TransportFailure {
    let kind = if error.is_timeout() {
        TransportError::TimedOut
    } else {
        TransportError::Receive
    };
    failure(kind, error)
}

/// A failure with reqwest's error, stripped of its URL (which may carry a query), as source.
fn failure(kind: TransportError, error: reqwest::Error) -> TransportFailure {
    TransportFailure::new(kind, Some(Box::new(error.without_url())))
}

/// A body over the cap: a [`TransportError::Receive`] whose source is [`BodyTooLarge`].
fn too_large(limit: usize) -> TransportFailure {
    TransportFailure::new(
        TransportError::Receive,
        Some(Box::new(BodyTooLarge { limit })),
    )
}

/// The source of a [`TransportFailure`] whose response body exceeded
/// [`TransportOptions::max_body_bytes`]; reading stopped there. The lifecycle treats it as a
/// [`TransportError::Receive`] (backoff, then retry). Find it with [`BodyTooLarge::find`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the response body exceeded the limit of {limit} bytes")]
pub struct BodyTooLarge {
    /// The cap that was reached.
    pub limit: usize,
}

impl BodyTooLarge {
    /// The cap, if `failure` is a body over it.
    pub fn find(failure: &TransportFailure) -> Option<&BodyTooLarge> {
        std::error::Error::source(failure).and_then(|s| s.downcast_ref::<BodyTooLarge>())
    }
}
