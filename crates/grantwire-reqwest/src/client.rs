//! [`TokenClient`]: the async token client, on [`grantwire_client::TokenSource`] and the
//! [`Transport`].

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use grantwire::discovery::{Discover, Discovered};
use grantwire::lifecycle::GrantSource;
use grantwire::lifecycle::{Token, TokenLifecycle};
use grantwire::{
    Client, ClientCredentials, Context, IntrospectionRequest, IntrospectionResponse, Issuer,
    LifecycleConfig, RevocationOutcome, RevocationRequest, SecretRequest, ServerMetadata,
};
use grantwire_client::{Sleep, TokenEvent, TokenSource};

use crate::bearer::{attach, token_refused};
use crate::{Error, Transport, TransportFailure};

/// Keeps an access token fresh and attaches it to API requests, asynchronously (tokio).
///
/// One concrete type whatever the grant and client authentication (they are values), `Send +
/// Sync + Clone` (clones share the token), to keep in application state. Built with
/// [`TokenClient::builder`].
///
/// - [`TokenClient::token`]: a valid access token. A cache hit takes no lock; concurrent callers
///   at expiry share one token request and wake when its answer lands.
/// - [`TokenClient::send`]: an API request with `Authorization: Bearer`, retried once with a
///   new token after a 401 `invalid_token` (RFC 6750 §3.1) when its body can be replayed.
/// - [`TokenClient::introspect`], [`TokenClient::revoke`], [`TokenClient::discover`].
#[derive(Clone)]
pub struct TokenClient {
    source: TokenSource,
    transport: Transport,
    client: Client,
}

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient")
            .field("source", &self.source)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

type MakeLifecycle = Box<dyn FnOnce(Client, LifecycleConfig) -> TokenLifecycle + Send>;
type Sink = Box<dyn Fn(&TokenEvent) + Send + Sync>;

/// Builds a [`TokenClient`]; from [`TokenClient::builder`].
#[must_use]
pub struct TokenClientBuilder {
    client: Client,
    lifecycle: MakeLifecycle,
    config: LifecycleConfig,
    transport: Option<Transport>,
    sinks: Vec<Sink>,
}

impl fmt::Debug for TokenClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClientBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TokenClientBuilder {
    /// The grant that obtains tokens (default: [`ClientCredentials::new`]). Refresh tokens the
    /// server issues are used automatically.
    pub fn grant(mut self, grant: impl GrantSource + 'static) -> Self {
        self.lifecycle = Box::new(move |client, config| TokenLifecycle::new(client, grant, config));
        self
    }

    /// The lifecycle policy: refresh timing, backoff, request timeout, default lifetime.
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
    /// invalidated); no token or secret is in any of them. Runs on the caller's task: keep it
    /// short.
    pub fn on_event(mut self, f: impl Fn(&TokenEvent) + Send + Sync + 'static) -> Self {
        self.sinks.push(Box::new(f));
        self
    }

    /// The client. Fails only when the default transport cannot be built (no TLS roots).
    pub fn build(self) -> Result<TokenClient, TransportFailure> {
        let transport = match self.transport {
            Some(t) => t,
            None => Transport::new()?,
        };
        let lifecycle = (self.lifecycle)(self.client.clone(), self.config);
        let source = TokenSource::from_lifecycle(lifecycle).with_sleeper(tokio_sleep);
        for sink in self.sinks {
            source.on_event(sink);
        }
        Ok(TokenClient {
            source,
            transport,
            client: self.client,
        })
    }
}

/// The tokio timer the token source uses for the request deadline of waiting callers.
fn tokio_sleep(deadline: Instant) -> Sleep {
    Box::pin(tokio::time::sleep_until(deadline.into()))
}

impl TokenClient {
    /// A builder for `client` (the authorization server and how to authenticate there).
    pub fn builder(client: Client) -> TokenClientBuilder {
        TokenClientBuilder {
            client,
            lifecycle: Box::new(|client, config| {
                TokenLifecycle::new(client, ClientCredentials::new(), config)
            }),
            config: LifecycleConfig::default(),
            transport: None,
            sinks: Vec::new(),
        }
    }

    /// A valid access token: the cached one, or one fetched or refreshed as the lifecycle
    /// decides. Concurrent callers share one request.
    ///
    /// Never sleeps through a backoff: while the lifecycle backs off after a failure (a 5xx,
    /// `Retry-After`, a refused connection) with no valid token, it returns
    /// [`grantwire_client::TokenError::Unavailable`] at once, with the instant of the next
    /// attempt; after `invalid_client` and the like,
    /// [`grantwire_client::TokenError::NeedsHuman`] until [`TokenClient::resume`].
    pub async fn token(&self) -> Result<Arc<Token>, Error> {
        let transport = &self.transport;
        Ok(self
            .source
            .token_async(|request| transport.send(request))
            .await?)
    }

    /// Sends an API request with `Authorization: Bearer <token>` (marked sensitive), through
    /// the transport's reqwest client.
    ///
    /// On a 401 whose `WWW-Authenticate` says `error="invalid_token"` (RFC 6750 §3.1) it
    /// invalidates the token, gets a new one and sends the request again, **once**; a request
    /// whose body cannot be replayed (a stream: `try_clone()` is `None`) is not retried and
    /// its 401 is returned. Any other answer is returned as it is, body unread. Should no new
    /// token be had for the retry, the [`Error::Token`] is returned (the 401 is dropped).
    pub async fn send(&self, request: reqwest::Request) -> Result<reqwest::Response, Error> {
        let replay = request.try_clone();
        let (token, response) = self.send_with_token(request).await?;
        match replay {
            Some(replay) if token_refused(response.status(), response.headers()) => {
                self.invalidate(&token);
                Ok(self.send_with_token(replay).await?.1)
            }
            _ => Ok(response),
        }
    }

    async fn send_with_token(
        &self,
        mut request: reqwest::Request,
    ) -> Result<(Arc<Token>, reqwest::Response), Error> {
        let token = self.token().await?;
        attach(request.headers_mut(), token.access_token());
        let response = self.transport.client().execute(request).await?;
        Ok((token, response))
    }

    /// Forgets `token` after a resource server refused it (RFC 6750 §3.1), so the next
    /// [`TokenClient::token`] fetches a new one; many callers reporting the same token cause
    /// one fetch. The middleware and the layer call this.
    pub fn invalidate(&self, token: &Token) -> bool {
        self.source.invalidate(token.access_token())
    }

    /// Clears a halt ([`grantwire_client::TokenError::NeedsHuman`]) once the cause is fixed.
    pub fn resume(&self) {
        self.source.resume();
    }

    /// The token source, for its cache hit and events.
    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Asks the server's introspection endpoint about a token (RFC 7662), authenticated as
    /// the client. Build the request with [`IntrospectionRequest::access_token`] or
    /// [`IntrospectionRequest::new`].
    pub async fn introspect(
        &self,
        request: IntrospectionRequest,
    ) -> Result<IntrospectionResponse, Error> {
        let request = self.build(|client, ctx| request.to_request(client, ctx))?;
        let response = self.transport.send(request).await?;
        parse::introspection(&response)
    }

    /// Revokes a token at the server's revocation endpoint (RFC 7009), authenticated as the
    /// client. Every failure, a 503 included, is an error carrying the status (and `Retry-After`).
    pub async fn revoke(&self, request: RevocationRequest) -> Result<RevocationOutcome, Error> {
        let request = self.build(|client, ctx| request.to_request(client, ctx))?;
        let response = self.transport.send(request).await?;
        parse::revocation(&response)
    }

    /// Fetches the metadata of `issuer` with the core's [`Discover`] step (RFC 8414, then
    /// OpenID Connect discovery; stops on an issuer mismatch, RFC 8414 §3.3).
    pub async fn discover(&self, issuer: Issuer) -> Result<ServerMetadata, Error> {
        self.transport.discover(Discover::new(issuer)).await
    }

    /// Builds a request with the wall clock and OS randomness.
    fn build(
        &self,
        build: impl FnOnce(&Client, &mut Context<'_>) -> Result<SecretRequest, grantwire::Error>,
    ) -> Result<SecretRequest, Error> {
        let mut failed = false;
        let mut entropy = |buf: &mut [u8]| failed |= getrandom::fill(buf).is_err();
        let built = build(
            &self.client,
            &mut Context::new(SystemTime::now(), &mut entropy),
        );
        if failed {
            return Err(Error::Entropy);
        }
        built.map_err(Error::Request)
    }
}

impl Transport {
    /// Runs a discovery `step` ([`Discover::new`], perhaps [`Discover::openid_first`]) to the
    /// end: the server's metadata, or the error of the last answer.
    pub async fn discover(&self, mut step: Discover) -> Result<ServerMetadata, Error> {
        let transport = self;
        loop {
            let request = step.request().map_err(Error::Request)?;
            let response = transport.send(request).await?;
            match step.handle_response(&response, SystemTime::now()) {
                Discovered::Metadata(metadata) => return Ok(*metadata),
                Discovered::TryNext(next) => step = next,
                Discovered::Failed(e) => return Err(Error::Response(e)),
            }
        }
    }
}

/// Every direct call to a core parser, in one place.
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
