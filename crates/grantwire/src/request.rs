//! The built request: [`SecretRequest`], what every builder returns.
//!
//! A token, introspection or revocation request carries credentials (an authorization code, a
//! refresh token, an assertion, `client_secret`, the token to introspect). So the request type
//! keeps them out of logs and out of freed memory:
//! - its `Debug` prints the method, the URI and the headers, with the value of `Authorization`,
//!   `Proxy-Authorization`, `Cookie` and any header marked sensitive redacted, and never the
//!   body;
//! - its body is a [`SecretBody`], overwritten with zeros (capacity included) when dropped, and
//!   allocated once by the builder, so no unwiped copy is left behind by a growing buffer;
//! - the `Authorization` header value is marked sensitive ([`HeaderValue::set_sensitive`]), so
//!   `http`'s own `Debug` hides it too.
//!
//! A transport reads it through [`SecretRequest::method`], [`SecretRequest::uri`],
//! [`SecretRequest::headers`] and [`SecretRequest::body`] (or the whole
//! [`SecretRequest::as_http`]), or takes it apart with [`SecretRequest::into_parts`], keeping the
//! wipe. Turning it into a plain `http::Request<Vec<u8>>` is the explicit step
//! [`SecretRequest::into_http`], after which nothing wipes the body.
//!
//! Metadata discovery ([`crate::Discovery::to_request`]) returns the same type, with an empty
//! body, so a transport has one request type to send.
//!
//! Limit: header values are `http`'s shared, immutable bytes, which this crate cannot wipe in
//! place. The one secret among them, the `Authorization` of `client_secret_basic`, is therefore
//! not copied per request: every request shares the bytes the [`crate::ClientSecretBasic`]
//! built once, and those are overwritten with zeros when the last holder (the method, a clone
//! of it, or a request still alive) drops them. A transport that copies the value into its own
//! buffers owns those copies.

use std::fmt;

use http::header::{HeaderValue, AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
use http::{HeaderMap, Method, Request, Uri};
use zeroize::Zeroize;

/// A request body that is overwritten with zeros, spare capacity included, when dropped.
///
/// `Debug` never prints the bytes, and there is no `PartialEq` (a byte comparison of secrets
/// would not be constant-time). [`SecretBody::into_vec`] gives the plain `Vec<u8>` up,
/// without the wipe.
#[derive(Clone, Default)]
pub struct SecretBody(Vec<u8>);

impl SecretBody {
    /// Wraps `bytes`; they are wiped when the body is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The allocated size, which builders choose once before writing (see the module docs).
    pub fn capacity(&self) -> usize {
        self.0.capacity()
    }

    /// Gives the bytes up as a plain `Vec<u8>`. **Nothing wipes them afterwards**: the caller
    /// takes over that duty (for instance with `zeroize`).
    pub fn into_vec(mut self) -> Vec<u8> {
        // Leaves an empty vector for `Drop` to wipe.
        std::mem::take(&mut self.0)
    }
}

impl Drop for SecretBody {
    fn drop(&mut self) {
        // `Vec<u8>::zeroize` overwrites the length and the spare capacity.
        self.0.zeroize();
    }
}

impl AsRef<[u8]> for SecretBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBody([redacted])")
    }
}

/// A built request whose body carries credentials: what every builder in this crate returns.
///
/// `Debug` shows the method, the URI and the headers (credential headers redacted), never the
/// body; the body is wiped when dropped. See the [module docs](self).
///
/// ```
/// use std::time::SystemTime;
/// use grantwire::{AuthorizationServer, Client, ClientId, ClientSecret, ClientSecretPost, Context, Endpoint, RefreshGrant, RefreshToken};
/// let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?);
/// let client = Client::new(server, ClientSecretPost::new(ClientId::new("c"), ClientSecret::new("hunter2")))?;
/// let mut rng = |b: &mut [u8]| b.fill(0);
/// let request = RefreshGrant::new(RefreshToken::new("RT-SECRET"))
///     .to_request(&client, &mut Context::new(SystemTime::UNIX_EPOCH, &mut rng))?;
/// let shown = format!("{request:?}");
/// assert!(!shown.contains("hunter2") && !shown.contains("RT-SECRET"));
/// // A transport reads the parts...
/// assert_eq!(request.method(), "POST");
/// assert!(request.body().starts_with(b"grant_type=refresh_token"));
/// // ...or takes the request apart, keeping the wipe of the body.
/// let (parts, body) = request.into_parts();
/// assert_eq!(parts.uri, "https://as.example/token");
/// assert!(body.as_ref().ends_with(b"client_secret=hunter2"));
/// # Ok::<(), grantwire::Error>(())
/// ```
pub struct SecretRequest {
    inner: Request<SecretBody>,
}

impl SecretRequest {
    /// A request from its parts. The body is wiped when the request is dropped. The
    /// `Authorization` header, if any, is marked sensitive.
    pub fn new(method: Method, uri: Uri, mut headers: HeaderMap, body: Vec<u8>) -> Self {
        // A walk over the few entries a built request has is cheaper than a hashed lookup.
        for (name, value) in headers.iter_mut() {
            if name == AUTHORIZATION {
                value.set_sensitive(true);
            }
        }
        let mut inner = Request::new(SecretBody(body));
        *inner.method_mut() = method;
        *inner.uri_mut() = uri;
        *inner.headers_mut() = headers;
        Self { inner }
    }

    /// The method (`POST` for token, introspection and revocation requests).
    pub fn method(&self) -> &Method {
        self.inner.method()
    }

    /// The URI of the endpoint.
    pub fn uri(&self) -> &Uri {
        self.inner.uri()
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The headers, for a transport that adds its own (`User-Agent`, a DPoP proof). Mark any
    /// credential you add sensitive ([`HeaderValue::set_sensitive`]) so `Debug` hides it.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.inner.headers_mut()
    }

    /// The `http` extensions, for data a transport attaches to a request (a client
    /// certificate choice for mutual TLS, for instance).
    pub fn extensions(&self) -> &http::Extensions {
        self.inner.extensions()
    }

    /// The `http` extensions, mutable.
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        self.inner.extensions_mut()
    }

    /// The body bytes (a form body, or empty for a discovery `GET`).
    pub fn body(&self) -> &[u8] {
        self.inner.body().as_bytes()
    }

    /// The whole request, borrowed, for code that takes an `http::Request<impl AsRef<[u8]>>`.
    pub fn as_http(&self) -> &Request<SecretBody> {
        &self.inner
    }

    /// Takes the request apart: the `http` parts and a body that is still wiped on drop and
    /// implements `AsRef<[u8]>`. This is the way to hand the request to a transport without
    /// losing the wipe.
    pub fn into_parts(self) -> (http::request::Parts, SecretBody) {
        self.inner.into_parts()
    }

    /// Converts into a plain `http::Request<Vec<u8>>`, for a transport that wants one.
    ///
    /// **The body is then no longer wiped when dropped**, and `http::Request`'s `Debug` prints
    /// it. Prefer [`SecretRequest::into_parts`] or [`SecretRequest::body`] where the transport
    /// allows it.
    pub fn into_http(self) -> Request<Vec<u8>> {
        let (parts, body) = self.inner.into_parts();
        Request::from_parts(parts, body.into_vec())
    }
}

/// Header names whose value is a credential whatever its sensitivity flag says.
fn always_redacted(name: &http::header::HeaderName) -> bool {
    name == AUTHORIZATION || name == PROXY_AUTHORIZATION || name == COOKIE
}

/// `Debug` of a header map that shows names, and values only when they are not credentials.
struct RedactedHeaders<'a>(&'a HeaderMap);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted;
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if value.is_sensitive() || always_redacted(name) {
                map.entry(name, &Redacted);
            } else {
                map.entry(name, value as &HeaderValue);
            }
        }
        map.finish()
    }
}

impl fmt::Debug for SecretRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretRequest")
            .field("method", self.method())
            .field("uri", self.uri())
            .field("headers", &RedactedHeaders(self.headers()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SecretRequest {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic c2VjcmV0"));
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let mut dpop = HeaderValue::from_static("proof-secret");
        dpop.set_sensitive(true);
        headers.insert("dpop", dpop);
        SecretRequest::new(
            Method::POST,
            Uri::from_static("https://as.example/token"),
            headers,
            b"grant_type=refresh_token&refresh_token=RT-SECRET".to_vec(),
        )
    }

    #[test]
    fn debug_shows_method_uri_and_header_names_only() {
        let req = sample();
        let shown = format!("{req:?}");
        assert!(shown.contains("POST"), "{shown}");
        assert!(shown.contains("https://as.example/token"), "{shown}");
        assert!(shown.contains("authorization"), "{shown}");
        assert!(
            shown.contains("application/x-www-form-urlencoded"),
            "{shown}"
        );
        for secret in ["RT-SECRET", "c2VjcmV0", "proof-secret", "refresh_token="] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(req.headers()[AUTHORIZATION].is_sensitive());
        // The borrowed http view redacts as well: the body type prints no bytes.
        let shown = format!("{:?}", req.as_http());
        assert!(
            !shown.contains("RT-SECRET") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
    }

    #[test]
    fn conversions_keep_or_drop_the_wipe_explicitly() {
        let (parts, body) = sample().into_parts();
        assert_eq!(parts.method, Method::POST);
        assert!(body.as_ref().ends_with(b"RT-SECRET"));
        assert_eq!(format!("{body:?}"), "SecretBody([redacted])");
        let plain = sample().into_http();
        assert!(plain.body().ends_with(b"RT-SECRET"));
        assert!(plain.headers()[AUTHORIZATION].is_sensitive());
    }
}
