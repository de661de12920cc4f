//! [`TokenClient`]: a [`TokenSource`] driven through the blocking [`Transport`], plus the
//! calls an application makes with it (API requests with the token attached, introspection,
//! revocation, discovery).

use std::sync::Arc;
use std::time::SystemTime;

use grantwire::discovery::{Discover, Discovered};
use grantwire::introspection::IntrospectionRequest;
use grantwire::lifecycle::{GrantSource, LifecycleConfig, Token, TokenLifecycle};
use grantwire::revocation::RevocationRequest;
use grantwire::{
    AccessToken, Challenge, Client, ClientCredentials, Context, IntrospectionResponse, Issuer,
    RevocationOutcome, ServerMetadata,
};
use grantwire_client::{TokenError, TokenEvent, TokenSource};
use http::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::StatusCode;
use zeroize::Zeroizing;

use crate::{Error, Transport};

type MakeLifecycle = Box<dyn FnOnce(Client, LifecycleConfig) -> TokenLifecycle + Send>;
type Sink = Box<dyn Fn(&TokenEvent) + Send + Sync>;

/// A blocking token client: a valid access token on every call, fetched and refreshed as the
/// core's lifecycle decides, and API requests sent with it.
///
/// One concrete type whatever the client authentication and grant (they are values), `Send`,
/// `Sync` and cheaply `Clone` (an `Arc` inside): store it in application state and share it
/// between threads. Every clone shares one token and one connection pool.
///
/// - [`TokenClient::token`]: the cache hit takes no lock and allocates nothing; concurrent
///   callers at expiry share one token request, and the waiting threads wake the moment its
///   answer lands (see [`TokenSource`]).
/// - [`TokenClient::send`]: attaches `Authorization: Bearer` and retries once after a 401
///   `invalid_token` (RFC 6750 §3.1).
/// - [`TokenClient::introspect`], [`TokenClient::revoke`], [`TokenClient::discover`].
#[derive(Clone)]
pub struct TokenClient {
    inner: Arc<Inner>,
}

struct Inner {
    source: TokenSource,
    transport: Transport,
    client: Client,
}

impl std::fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenClient")
            .field("source", &self.inner.source)
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TokenClient`]; from [`TokenClient::builder`].
#[must_use = "call `build` to get the client"]
pub struct TokenClientBuilder {
    client: Client,
    make: MakeLifecycle,
    config: LifecycleConfig,
    transport: Option<Transport>,
    sinks: Vec<Sink>,
}

impl std::fmt::Debug for TokenClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenClientBuilder")
            .field("config", &self.config)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl TokenClientBuilder {
    /// The grant that obtains tokens (default: [`ClientCredentials::new`]). A refresh token,
    /// when the server issues one, is used first; the grant is the fallback.
    pub fn grant(mut self, grant: impl GrantSource + 'static) -> Self {
        self.make = Box::new(move |client, config| TokenLifecycle::new(client, grant, config));
        self
    }

    /// The timing and retry policy (default: [`LifecycleConfig::default`]).
    pub fn config(mut self, config: LifecycleConfig) -> Self {
        self.config = config;
        self
    }

    /// The transport (default: [`Transport::new`]).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Calls `f` with every [`TokenEvent`] (obtained, refreshed, failed with the typed error,
    /// invalidated), on the thread that caused it, outside any lock. No event carries a token
    /// or a secret. May be called more than once.
    pub fn on_event(mut self, f: impl Fn(&TokenEvent) + Send + Sync + 'static) -> Self {
        self.sinks.push(Box::new(f));
        self
    }

    /// The client.
    pub fn build(self) -> TokenClient {
        let source = TokenSource::from_lifecycle((self.make)(self.client.clone(), self.config));
        for sink in self.sinks {
            source.on_event(sink);
        }
        TokenClient {
            inner: Arc::new(Inner {
                source,
                transport: self.transport.unwrap_or_default(),
                client: self.client,
            }),
        }
    }
}

impl TokenClient {
    /// A builder for `client` (its server's endpoints and its authentication).
    pub fn builder(client: Client) -> TokenClientBuilder {
        TokenClientBuilder {
            client,
            make: Box::new(|client, config| {
                TokenLifecycle::new(client, ClientCredentials::new(), config)
            }),
            config: LifecycleConfig::default(),
            transport: None,
            sinks: Vec::new(),
        }
    }

    /// A valid access token. Blocks only when none is fresh: then one caller sends the token
    /// request and the others wait for its answer.
    ///
    /// Errors at once, without sleeping: [`TokenError::Unavailable`] while backing off after a
    /// failure (with the instant of the next attempt, at least the server's `Retry-After`),
    /// [`TokenError::NeedsHuman`] after `invalid_client` and the like, until
    /// [`TokenClient::resume`].
    pub fn token(&self) -> Result<Arc<Token>, TokenError> {
        if let Some(token) = self.inner.source.cached() {
            return Ok(token);
        }
        let transport = &self.inner.transport;
        self.inner
            .source
            .token_blocking(&|request| transport.send(request))
    }

    /// Sends an API request with `Authorization: Bearer <token>` (RFC 6750 §2.1; the header is
    /// marked sensitive and replaces any the request had). On a 401 whose `WWW-Authenticate`
    /// carries a Bearer challenge with `error="invalid_token"` (RFC 6750 §3.1), the token is
    /// invalidated, a new one fetched and the request sent again, once. Any other answer,
    /// 4xx and 5xx included, is returned as it is.
    ///
    /// The body is a `Vec<u8>`, so it can always be replayed; it is lent to ureq for both
    /// attempts, not copied. The response body is capped like every response.
    pub fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, Error> {
        let (parts, body) = request.into_parts();
        let token = self.token()?;
        let response = self.attempt(&parts, &body, &token)?;
        if !rejects_token(&response) {
            return Ok(response);
        }
        self.inner.source.invalidate(token.access_token());
        let token = self.token()?;
        self.attempt(&parts, &body, &token)
    }

    /// Asks the introspection endpoint about an access token (RFC 7662 §2), authenticated as
    /// the client. An inactive token is `Ok(IntrospectionResponse::Inactive)`.
    pub fn introspect(&self, token: &AccessToken) -> Result<IntrospectionResponse, Error> {
        self.introspect_with(IntrospectionRequest::access_token(token))
    }

    /// Sends an introspection request built by the caller (another token type hint, a
    /// refresh token, extra parameters).
    pub fn introspect_with(
        &self,
        request: IntrospectionRequest,
    ) -> Result<IntrospectionResponse, Error> {
        let request = with_context(|ctx| request.to_request(&self.inner.client, ctx))?;
        let response = self.inner.transport.send(request)?;
        parse::introspection(&response)
    }

    /// Revokes an access token at the revocation endpoint (RFC 7009 §2), authenticated as the
    /// client. Every failure, a 503 included, is an `Err` carrying the status (and `Retry-After`).
    pub fn revoke(&self, token: &AccessToken) -> Result<RevocationOutcome, Error> {
        self.revoke_with(RevocationRequest::access_token(token))
    }

    /// Sends a revocation request built by the caller (a refresh token, extra parameters).
    pub fn revoke_with(&self, request: RevocationRequest) -> Result<RevocationOutcome, Error> {
        let request = with_context(|ctx| request.to_request(&self.inner.client, ctx))?;
        let response = self.inner.transport.send(request)?;
        parse::revocation(&response)
    }

    /// Discovers `issuer`'s metadata through this client's transport (see [`discover`]).
    pub fn discover(&self, issuer: Issuer) -> Result<ServerMetadata, Error> {
        discover(&self.inner.transport, issuer)
    }

    /// Forgets `token` because a resource server refused it (RFC 6750 §3.1); the next call
    /// fetches a new one. [`TokenClient::send`] does this itself.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        self.inner.source.invalidate(token)
    }

    /// Clears a halt ([`TokenError::NeedsHuman`]) and any backoff, after a human fixed the
    /// cause.
    pub fn resume(&self) {
        self.inner.source.resume();
    }

    /// The token source, for what this type does not wrap.
    pub fn source(&self) -> &TokenSource {
        &self.inner.source
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// One attempt of [`TokenClient::send`].
    fn attempt(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        token: &Token,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let mut headers = parts.headers.clone();
        let value = Zeroizing::new(format!("Bearer {}", token.access_token().secret()));
        let mut value = HeaderValue::from_str(&value).map_err(|_| Error::TokenNotAHeader)?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
        let mut request = http::Request::new(body);
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = parts.uri.clone();
        *request.version_mut() = parts.version;
        *request.headers_mut() = headers;
        Ok(self.inner.transport.execute(request)?)
    }
}

/// Whether a response is a 401 with a Bearer challenge saying `error="invalid_token"`
/// (RFC 6750 §3.1). An unparsable header is not.
fn rejects_token(response: &http::Response<Vec<u8>>) -> bool {
    response.status() == StatusCode::UNAUTHORIZED
        && response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| grantwire::challenge::parse_www_authenticate(v).ok())
            .flatten()
            .any(|c: Challenge| c.scheme_is("Bearer") && c.param("error") == Some("invalid_token"))
}

/// Discovers `issuer`'s metadata with the core's [`Discover`] step: the RFC 8414 URL, then the
/// OpenID Connect one, moving on and stopping as the step decides.
pub fn discover(transport: &Transport, issuer: Issuer) -> Result<ServerMetadata, Error> {
    let mut step = Discover::new(issuer);
    loop {
        let response = transport.send(step.request().map_err(Error::Request)?)?;
        match step.handle_response(&response, SystemTime::now()) {
            Discovered::Metadata(metadata) => return Ok(*metadata),
            Discovered::TryNext(next) => step = next,
            Discovered::Failed(e) => return Err(Error::Response(e)),
        }
    }
}

/// Builds a request with the wall clock and OS randomness (a client assertion's `jti`).
/// Refuses to build without randomness rather than reuse bytes.
fn with_context<T>(
    build: impl FnOnce(&mut Context<'_>) -> Result<T, grantwire::Error>,
) -> Result<T, Error> {
    let mut failed = false;
    let mut entropy = |dest: &mut [u8]| failed |= getrandom::fill(dest).is_err();
    let built = build(&mut Context::new(SystemTime::now(), &mut entropy));
    if failed {
        return Err(Error::NoRandomness);
    }
    built.map_err(Error::Request)
}

/// Every call to a core response parser outside the lifecycle, in one place: their signatures
/// are changing (issue 9), and this is the one spot to adapt.
mod parse {
    use std::time::SystemTime;

    use grantwire::{IntrospectionResponse, RevocationOutcome};

    use crate::Error;

    pub(super) fn introspection(
        response: &http::Response<Vec<u8>>,
    ) -> Result<IntrospectionResponse, Error> {
        IntrospectionResponse::parse(response, SystemTime::now()).map_err(Error::Response)
    }

    pub(super) fn revocation(
        response: &http::Response<Vec<u8>>,
    ) -> Result<RevocationOutcome, Error> {
        RevocationOutcome::parse(response, SystemTime::now()).map_err(Error::Response)
    }
}
