//! [`TokenSource`]: one token lifecycle shared by every caller, with a lock-free cache hit.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::{ArcSwap, ArcSwapOption};
use event_listener::{Event as Notify, EventListener, Listener};
use grantwire::lifecycle::{
    Event, FetchError, GrantSource, LifecycleConfig, Next, RequestId, Retry, Token, TokenLifecycle,
    TransportError, WaitFor,
};
use grantwire::{
    AccessToken, AuthTarget, AuthorizationServer, Client, ClientAuthentication, Context,
    ErrorSource, SecretRequest,
};
use grantwire_jose::{ClientAssertion, PreparedAssertion, PresignedJwt};
use zeroize::Zeroize;

use crate::cache::Cached;
use crate::event::{TokenEvent, TokenInfo};
use crate::reserve::Reserve;
use crate::signer::{block_on_until, sign_until, AsyncAssertionSigner, SignError};
use crate::sleep::Sleeper;
use crate::transport::TransportFailure;
use crate::TokenError;

/// What an adapter's send function returns: the whole response (its body already capped while
/// reading), or why there is none.
pub type SendResult = Result<http::Response<Vec<u8>>, TransportFailure>;

type Sink = Arc<dyn Fn(&TokenEvent) + Send + Sync>;

/// Most turns of the run loop in one call. Each turn either returns, waits for a request in
/// flight, or follows a failure the lifecycle retries at once (a rejected refresh token falls
/// back to the grant); more turns than this means something unexpected, and the caller gets the
/// last error rather than a spin.
const MAX_TURNS: usize = 16;

/// A valid access token for one client and grant, shared by every caller: the lifecycle
/// ([`TokenLifecycle`]) behind a mutex that no cache hit takes, and a cache of the fresh token
/// that every hit reads without a lock.
///
/// - [`TokenSource::cached`]: the cache hit. It loads the token from an [`ArcSwapOption`]
///   (no lock, no allocation) and serves it only while it is *fresh*: before the lifecycle's
///   refresh time and before expiry, measured from its receipt on the monotonic clock exactly
///   as [`TokenLifecycle::poll`] does. A token due for refresh is never a hit. Each thread gets
///   the `Arc` of its own copy of the token (one per core, up to 16), so threads hitting at
///   once write no shared reference count; on Linux the hit reads the kernel's coarse
///   monotonic clock while far from the deadline (see the `cache` module).
/// - [`TokenSource::token_blocking`] and [`TokenSource::token_async`]: a hit, or the run loop
///   of the lifecycle. Concurrent callers share one request (single flight): the caller that
///   the lifecycle asks to send sends with the function it was given; the others wait on an
///   [`event_listener::Event`] that is notified the moment the response (or transport failure)
///   has been handled, not at a deadline. While a refresh is in flight the old token, still
///   valid, is served.
/// - On failure, no spin and no sleep: while the lifecycle backs off with no valid token, every
///   call returns [`TokenError::Unavailable`] at once, with the last attempt's error and the
///   instant of the next attempt; after `invalid_client` and the other
///   [`needs_human`](grantwire::ErrorCode::needs_human) errors every call returns
///   [`TokenError::NeedsHuman`] until [`TokenSource::resume`].
///
/// The token source reads the clocks (`Instant::now()` for scheduling, `SystemTime::now()` for
/// the request `Context`) and OS randomness (`getrandom`; the 4-byte backoff jitter of each
/// request comes from a 64-byte reserve drawn at a time, so building a request makes no system
/// call before it is sent); it sends nothing itself. It is
/// `Clone` (an `Arc` inside), `Send` and `Sync`, and one concrete type whatever the client
/// authentication and grant.
///
/// ```
/// use grantwire::lifecycle::LifecycleConfig;
/// use grantwire::{AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Endpoint};
/// use grantwire_client::{SendResult, TokenSource};
///
/// let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?);
/// let client = Client::new(server, ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")))?;
/// let source = TokenSource::new(client, ClientCredentials::new(), LifecycleConfig::default());
/// // An adapter sends the request; here a canned answer stands in for the server.
/// let send = |_request: grantwire::SecretRequest| -> SendResult {
///     Ok(http::Response::new(br#"{"access_token":"mF_9.B5f-4.1JqM","token_type":"Bearer","expires_in":3600}"#.to_vec()))
/// };
/// let token = source.token_blocking(&send)?;
/// assert_eq!(token.access_token().secret(), "mF_9.B5f-4.1JqM");
/// assert!(source.cached().is_some()); // the next call is a cache hit
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

struct Inner {
    /// The fresh token, written only under `state`'s lock; read by every cache hit without it.
    cache: ArcSwapOption<Cached>,
    state: Mutex<State>,
    /// Notified after every answer (response, transport failure, dropped send) is handled.
    done: Notify,
    sinks: ArcSwap<Vec<Sink>>,
    sleeper: RwLock<Option<Arc<dyn Sleeper>>>,
    /// The remote signer of client assertions, when there is one.
    remote: Option<Remote>,
}

/// A remote signer and the client authentication its signatures are loaded into.
struct Remote {
    auth: Arc<PresignedJwt>,
    signer: Arc<dyn AsyncAssertionSigner>,
    server: Arc<AuthorizationServer>,
}

struct State {
    machine: TokenLifecycle,
    /// The last failure and its transport cause, cleared when a token arrives.
    last: Option<(Arc<FetchError>, Option<Arc<TransportFailure>>)>,
    /// The transport failure just fed to the machine, until its `Failed` event is drained.
    pending_transport: Option<Arc<TransportFailure>>,
    /// OS randomness for the jitter drawn when a request is built (see [`Reserve`]).
    reserve: Reserve,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("TokenSource")
            .field("machine", &state.machine)
            .field("remote_signer", &self.inner.remote.is_some())
            .finish_non_exhaustive()
    }
}

/// One turn of the run loop. Made and consumed once per turn, on the stack; boxing the
/// request would allocate on the send path for nothing.
#[allow(clippy::large_enum_variant)]
enum Turn {
    Done(Result<Arc<Token>, TokenError>),
    Send(RequestId, SecretRequest),
    /// Sign the prepared assertion remotely before request `id` (still unbuilt) is built; the
    /// signer has until the instant given.
    Sign(RequestId, PreparedAssertion, Instant),
    Wait(EventListener, Instant),
    Again,
}

/// A request in flight. Dropped before [`InFlight::finish`] (the caller's future was
/// cancelled, or the send function panicked), it records a transport failure so the waiting
/// callers wake and the next call sends again, instead of waiting for the request timeout.
struct InFlight<'a> {
    inner: &'a Inner,
    id: RequestId,
    finished: bool,
    /// Whether the request was built; one waiting for its remote signature is not.
    built: bool,
}

impl InFlight<'_> {
    /// Hands the outcome to the lifecycle; the new token when it is ready and fresh (the
    /// caller returns it without another turn).
    fn finish(mut self, outcome: SendResult) -> Option<Arc<Token>> {
        self.finished = true;
        self.inner.complete(self.id, outcome)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if self.built {
            let cancelled = TransportFailure::new(TransportError::Send, Some(Box::new(Abandoned)));
            let _ = self.inner.complete(self.id, Err(cancelled));
        } else {
            // Stopped while the remote signer worked: fail the build (transient), so the
            // waiting callers wake and the next attempt follows the backoff.
            let method = self.inner.remote.as_ref().map(|r| r.auth.method());
            let error = grantwire::Error::ClientAuthenticationUnavailable {
                method: method.unwrap_or(grantwire::AuthMethod::PrivateKeyJwt),
                source: ErrorSource::new(Abandoned),
            };
            let _ = self.inner.build_signed(self.id, Err(error));
        }
    }
}

/// The source of the transport failure recorded for a request whose sender stopped.
#[derive(Debug, thiserror::Error)]
#[error("the caller sending (or signing) the token request stopped before it completed (cancelled or panicked)")]
struct Abandoned;

impl TokenSource {
    /// A token source that obtains tokens with `grant` from `client`'s server, under the
    /// `config` policy.
    pub fn new(
        client: Client,
        grant: impl GrantSource + 'static,
        config: LifecycleConfig,
    ) -> TokenSource {
        Self::from_lifecycle(TokenLifecycle::new(client, grant, config))
    }

    /// A token source driving a lifecycle built (and perhaps seeded) by the caller, for example
    /// [`TokenLifecycle::without_grant`] seeded with a token from the authorization code grant.
    pub fn from_lifecycle(machine: TokenLifecycle) -> TokenSource {
        Self::build(machine, None)
    }

    /// A token source whose client authenticates with JWT assertions signed by `signer`, a key
    /// the process does not hold (a cloud KMS, an HSM): `private_key_jwt` (or
    /// `client_secret_jwt` with a remote HMAC key).
    ///
    /// `assertion` gives the claims and header (client id, audience rule, lifetime, `typ`,
    /// `x5t#S256`, extra claims) and the algorithm and `kid` through its key, usually a
    /// [`SigningKey::remote`](grantwire_jose::SigningKey::remote) built from the KMS key's public
    /// JWK. Before each token request the source prepares the assertion (now, a fresh `jti`,
    /// the audience for the token endpoint), awaits `signer` on the signing input, appends the
    /// signature and builds the request with it ([`PresignedJwt`]): the core stays synchronous
    /// and the signing never holds the lifecycle's lock. Other callers wait for the request as
    /// for any request in flight.
    ///
    /// Failures: a signer `Err`, or no answer before the lifecycle's
    /// [`request_timeout`](LifecycleConfig::request_timeout) (enforced by
    /// [`TokenSource::token_blocking`] always and by [`TokenSource::token_async`] when a
    /// [`Sleeper`] is set), is a transient build failure
    /// ([`grantwire::Error::ClientAuthenticationUnavailable`], kind `Unavailable`): retried after
    /// the backoff. A signature of the wrong length for the algorithm (for ES*, a DER signature
    /// instead of `R || S`) is [`grantwire_jose::Error::SignatureLength`] inside
    /// [`grantwire::Error::ClientAuthentication`], a configuration error:
    /// [`TokenError::NeedsHuman`]. See [`AsyncAssertionSigner`] for what the signer returns.
    ///
    /// Errors: what [`Client::new`] refuses (an audience the server value cannot supply).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use grantwire::lifecycle::LifecycleConfig;
    /// use grantwire::{AuthorizationServer, ClientCredentials, ClientId, Endpoint, Issuer};
    /// use grantwire_client::{AsyncAssertionSigner, SendResult, SignError, SignFuture, TokenSource};
    /// use grantwire_jose::{Algorithm, ClientAssertion, PrivateKey, SigningKey};
    ///
    /// /// Stands in for a KMS client: an async call that returns the raw ES256 signature.
    /// struct Kms { key: SigningKey }
    /// impl AsyncAssertionSigner for Kms {
    ///     fn sign<'a>(&'a self, input: &'a [u8]) -> SignFuture<'a> {
    ///         Box::pin(async move {
    ///             // let der = kms.sign(key_id, input).await?; der_to_raw(&der, 32)
    ///             let sig = self.key.sign_raw(input, &mut |b: &mut [u8]| b.fill(1)).map_err(SignError::new)?;
    ///             Ok(sig.as_bytes().to_vec())
    ///         })
    ///     }
    /// }
    /// # let jwk = br#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
    /// # let local = SigningKey::new(Algorithm::ES256, &PrivateKey::from_jwk(jwk)?)?;
    /// let public_jwk = local.public_jwk(); // the KMS key's public JWK, registered with the server
    /// let key = SigningKey::remote(Algorithm::ES256, public_jwk.as_ref())?;
    /// let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?)
    ///     .with_issuer(Issuer::parse("https://as.example")?);
    /// let source = TokenSource::with_assertion_signer(
    ///     server,
    ///     ClientAssertion::new(ClientId::new("svc"), key),
    ///     Kms { key: local },
    ///     ClientCredentials::new(),
    ///     LifecycleConfig::default(),
    /// )?;
    /// let send = |request: grantwire::SecretRequest| -> SendResult {
    ///     assert!(std::str::from_utf8(request.body()).unwrap().contains("client_assertion="));
    ///     Ok(http::Response::new(br#"{"access_token":"at","token_type":"Bearer","expires_in":3600}"#.to_vec()))
    /// };
    /// assert_eq!(source.token_blocking(&send)?.access_token().secret(), "at");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_assertion_signer(
        server: AuthorizationServer,
        assertion: ClientAssertion,
        signer: impl AsyncAssertionSigner + 'static,
        grant: impl GrantSource + 'static,
        config: LifecycleConfig,
    ) -> Result<TokenSource, grantwire::Error> {
        let server = Arc::new(server);
        let auth = Arc::new(PresignedJwt::new(assertion));
        let shared: Arc<dyn ClientAuthentication> = auth.clone();
        let client = Client::from_arcs(Arc::clone(&server), shared)?;
        let remote = Remote {
            auth,
            signer: Arc::new(signer),
            server,
        };
        Ok(Self::build(
            TokenLifecycle::new(client, grant, config),
            Some(remote),
        ))
    }

    fn build(machine: TokenLifecycle, remote: Option<Remote>) -> TokenSource {
        TokenSource {
            inner: Arc::new(Inner {
                cache: ArcSwapOption::empty(),
                state: Mutex::new(State {
                    machine,
                    last: None,
                    pending_transport: None,
                    reserve: Reserve::new(),
                }),
                done: Notify::new(),
                sinks: ArcSwap::from_pointee(Vec::new()),
                sleeper: RwLock::new(None),
                remote,
            }),
        }
    }

    /// Gives [`TokenSource::token_async`] the async runtime's timer (see [`Sleeper`]).
    pub fn with_sleeper(self, sleeper: impl Sleeper + 'static) -> TokenSource {
        *self
            .inner
            .sleeper
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(sleeper));
        self
    }

    /// The cache hit: the token held, if it is fresh (not yet due for refresh and not expired)
    /// now. Takes no lock and allocates nothing; the `Arc` returned is this thread's copy of
    /// the token, so hits on several cores write no shared reference count.
    #[inline]
    pub fn cached(&self) -> Option<Arc<Token>> {
        let guard = self.inner.cache.load();
        match &*guard {
            Some(c) if c.is_fresh(is_fresh) => Some(Arc::clone(c.for_this_thread())),
            _ => None,
        }
    }

    /// The cache hit without the `Arc`: calls `f` with the fresh token, if any, and returns
    /// its answer. Unlike [`TokenSource::cached`] it writes no reference count at all.
    #[inline]
    pub fn with_cached<R>(&self, f: impl FnOnce(&Token) -> R) -> Option<R> {
        let guard = self.inner.cache.load();
        match &*guard {
            Some(c) if c.is_fresh(is_fresh) => Some(f(c.token())),
            _ => None,
        }
    }

    /// A valid token: the cache hit, or the lifecycle's run loop with `send` as the transport.
    /// `send` is called at most once per request the lifecycle asks for, by the one caller
    /// that gets to send it; the others block until its answer is handled.
    ///
    /// Errors: [`TokenError::Unavailable`] while backing off after a failure with no valid
    /// token (returned at once), [`TokenError::NeedsHuman`] once a retry cannot help.
    ///
    /// With an [`AsyncAssertionSigner`] ([`TokenSource::with_assertion_signer`]) the sending
    /// caller first polls the signer's future to completion on this thread, parking between
    /// wake-ups, until the request deadline. Such a future must need no particular runtime's
    /// reactor (tokio I/O or timers panic or stall outside their runtime): in a blocking
    /// program, make the KMS call synchronously inside the future.
    pub fn token_blocking(
        &self,
        send: &dyn Fn(SecretRequest) -> SendResult,
    ) -> Result<Arc<Token>, TokenError> {
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let span = tracing::debug_span!("grantwire.token");
        let _entered = span.enter();
        for _ in 0..MAX_TURNS {
            match self.inner.turn() {
                Turn::Done(result) => return result,
                Turn::Send(id, request) => {
                    let flight = self.inner.start(id);
                    let outcome = send(request);
                    if let Some(token) = flight.finish(outcome) {
                        return Ok(token);
                    }
                }
                Turn::Sign(id, prepared, deadline) => {
                    let mut flight = self.inner.start_unbuilt(id);
                    let signed = match &self.inner.remote {
                        Some(r) => {
                            block_on_until(r.signer.sign(prepared.signing_input()), deadline)
                        }
                        None => Err(SignError::new("no remote signer")),
                    };
                    if let Some(request) = self.inner.finish_signing(&mut flight, prepared, signed)
                    {
                        if let Some(token) = flight.finish(send(request)) {
                            return Ok(token);
                        }
                    }
                }
                Turn::Wait(listener, until) => {
                    let _ = listener.wait_deadline(until);
                }
                Turn::Again => {}
            }
        }
        Err(self.inner.give_up())
    }

    /// A valid token, asynchronously: the cache hit, or the lifecycle's run loop with `send` as
    /// the transport. Runtime-agnostic: waiting callers await an [`event_listener`] notification
    /// (and the [`Sleeper`], if one was given, for the request deadline).
    ///
    /// `send` is called once per request the lifecycle asks this caller to send: usually at
    /// most once per call, twice when a rejected refresh token falls back to the original grant
    /// at once. Dropping the returned future while it sends records a transport failure, so the
    /// other callers are not stranded. Errors as for [`TokenSource::token_blocking`].
    pub async fn token_async<F, Fut>(&self, mut send: F) -> Result<Arc<Token>, TokenError>
    where
        F: FnMut(SecretRequest) -> Fut,
        Fut: Future<Output = SendResult>,
    {
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        for _ in 0..MAX_TURNS {
            match self.inner.turn() {
                Turn::Done(result) => return result,
                Turn::Send(id, request) => {
                    let flight = self.inner.start(id);
                    let outcome = send(request).await;
                    if let Some(token) = flight.finish(outcome) {
                        return Ok(token);
                    }
                }
                Turn::Sign(id, prepared, deadline) => {
                    let mut flight = self.inner.start_unbuilt(id);
                    let signed = match &self.inner.remote {
                        Some(r) => {
                            let sleep = self.inner.sleeper().map(|s| s.sleep_until(deadline));
                            sign_until(r.signer.sign(prepared.signing_input()), sleep).await
                        }
                        None => Err(SignError::new("no remote signer")),
                    };
                    if let Some(request) = self.inner.finish_signing(&mut flight, prepared, signed)
                    {
                        if let Some(token) = flight.finish(send(request).await) {
                            return Ok(token);
                        }
                    }
                }
                Turn::Wait(listener, until) => self.inner.wait_async(listener, until).await,
                Turn::Again => {}
            }
        }
        Err(self.inner.give_up())
    }

    /// A resource server refused `token` (401 with `error="invalid_token"`, RFC 6750 §3.1):
    /// forget it, so the next call fetches a new one (with the refresh token, when held).
    /// Returns whether it was the token held; many callers reporting the same rejected token
    /// cause one fetch.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let mut state = self.inner.lock();
        let held = state.machine.invalidate(token);
        // The second comparison only when the first did not already say so.
        if held
            || self
                .inner
                .cache
                .load()
                .as_ref()
                .is_some_and(|c| c.token().access_token() == token)
        {
            self.inner.cache.store(None);
        }
        drop(state);
        if held {
            tracing::info!("access token invalidated by a resource server; fetching a new one");
            self.inner.emit(&[TokenEvent::Invalidated]);
        }
        held
    }

    /// Clears a halt ([`TokenError::NeedsHuman`]), the failure count and any backoff after a
    /// human fixed the cause: the next call fetches at once.
    pub fn resume(&self) {
        let mut state = self.inner.lock();
        state.machine.resume();
        state.last = None;
    }

    /// Calls `f` with every [`TokenEvent`], after the fact and outside any lock, on the thread
    /// (or task) that caused it. Keep it short: it runs on a caller's path.
    pub fn on_event(&self, f: impl Fn(&TokenEvent) + Send + Sync + 'static) {
        let f: Sink = Arc::new(f);
        self.inner.sinks.rcu(|sinks| {
            let mut sinks = Vec::clone(sinks);
            sinks.push(Arc::clone(&f));
            sinks
        });
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic never leaves the machine half-updated (callbacks run outside the lock).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn start(&self, id: RequestId) -> InFlight<'_> {
        tracing::debug!(request = id.get(), "sending token request");
        InFlight {
            inner: self,
            id,
            finished: false,
            built: true,
        }
    }

    fn start_unbuilt(&self, id: RequestId) -> InFlight<'_> {
        tracing::debug!(request = id.get(), "signing the client assertion remotely");
        InFlight {
            inner: self,
            id,
            finished: false,
            built: false,
        }
    }

    fn sleeper(&self) -> Option<Arc<dyn Sleeper>> {
        self.sleeper
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Completes the remote signing of request `id`: the signed assertion (or the typed error)
    /// goes to the client authentication, then the request is built. `None` when building
    /// failed: the machine recorded it and the waiting callers were woken.
    fn finish_signing(
        &self,
        flight: &mut InFlight<'_>,
        prepared: PreparedAssertion,
        signed: Result<Vec<u8>, SignError>,
    ) -> Option<SecretRequest> {
        let method = self
            .remote
            .as_ref()
            .map_or(grantwire::AuthMethod::PrivateKeyJwt, |r| r.auth.method());
        let next = match signed {
            Ok(mut signature) => {
                // RFC 7518 §3: the length is checked per algorithm (ES*: R || S, not DER).
                let assertion = prepared.finish(&signature).map_err(|e| e.into_core(method));
                signature.zeroize();
                assertion
            }
            Err(e) => Err(grantwire::Error::ClientAuthenticationUnavailable {
                method,
                source: ErrorSource::new(e),
            }),
        };
        let request = self.build_signed(flight.id, next);
        if request.is_some() {
            flight.built = true;
        } else {
            flight.finished = true;
        }
        request
    }

    /// Loads `next` into the client authentication and builds request `id` with it, under the
    /// lock. On failure (recorded by the machine), drains the events and wakes the waiters.
    fn build_signed(
        &self,
        id: RequestId,
        next: Result<grantwire_jose::SignedAssertion, grantwire::Error>,
    ) -> Option<SecretRequest> {
        let remote = self.remote.as_ref()?;
        let mut state = self.lock();
        remote.auth.load(next);
        let mut entropy = os_random;
        let mut ctx = Context::new(SystemTime::now(), &mut entropy);
        let built = state.machine.request(id, &mut ctx);
        remote.auth.clear();
        match built {
            Ok(request) => Some(request),
            Err(_) => {
                let events = drain(&mut state);
                drop(state);
                self.done.notify(usize::MAX);
                self.emit(&events);
                None
            }
        }
    }

    /// Polls the lifecycle once and says what the caller does next.
    fn turn(&self) -> Turn {
        let now = Instant::now();
        let mut state = self.lock();
        let next = state.machine.poll(now);
        let turn = match next {
            Next::Ready(token) => {
                self.publish(&token, now);
                Turn::Done(Ok(token))
            }
            Next::Send(id) => match &self.remote {
                Some(remote) => prepare_signing(&mut state, remote, id, now),
                None => {
                    // The jitter comes from the reserve, not a system call before the send.
                    let State {
                        machine, reserve, ..
                    } = &mut *state;
                    let mut entropy = |dest: &mut [u8]| reserve.fill(dest, os_random);
                    let mut ctx = Context::new(SystemTime::now(), &mut entropy);
                    match machine.request(id, &mut ctx) {
                        Ok(request) => Turn::Send(id, request),
                        // Recorded by the machine as a failure; the next turn reports it.
                        Err(_) => Turn::Again,
                    }
                }
            },
            Next::Wait {
                until,
                reason: WaitFor::Response(_),
            } => Turn::Wait(self.done.listen(), until),
            Next::Wait { until, .. } => match &state.last {
                Some((error, transport)) => Turn::Done(Err(TokenError::Unavailable {
                    error: Arc::clone(error),
                    transport: transport.clone(),
                    retry_at: until,
                })),
                // A wait with no failure behind it: at most an instant; wait it out.
                None => Turn::Wait(self.done.listen(), until),
            },
            Next::Failed(error) => Turn::Done(Err(TokenError::NeedsHuman { error })),
        };
        let events = drain(&mut state);
        drop(state);
        if !events.is_empty() {
            // A poll that timed out the request in flight answers its waiters.
            self.done.notify(usize::MAX);
            self.emit(&events);
        }
        turn
    }

    /// Feeds the answer to request `id` to the lifecycle, then wakes every waiting caller.
    /// Returns the token it published, if the answer made one ready and fresh: the sender's
    /// result, which the next turn would have found in the same state.
    fn complete(&self, id: RequestId, outcome: SendResult) -> Option<Arc<Token>> {
        let now = Instant::now();
        let mut state = self.lock();
        match outcome {
            Ok(response) => {
                let _ = state.machine.handle_http_response(id, &response, now);
            }
            Err(failure) => {
                let kind = failure.kind();
                state.pending_transport = Some(Arc::new(failure));
                let _ = state.machine.handle_transport_error(id, kind, now);
            }
        }
        // Publish the new token before anyone wakes, so the waiters' next look is a hit.
        let mut ready = None;
        if state.machine.token().is_some_and(|t| is_fresh(t, now)) {
            if let Next::Ready(token) = state.machine.poll(now) {
                self.publish(&token, now);
                ready = Some(token);
            }
        }
        let events = drain(&mut state);
        drop(state);
        self.done.notify(usize::MAX);
        self.emit(&events);
        ready
    }

    /// Stores `token` in the cache if it is fresh and not already there. Called with the state
    /// lock held, so the cache never holds a token the machine has replaced or dropped.
    fn publish(&self, token: &Arc<Token>, now: Instant) {
        if !is_fresh(token, now) {
            return;
        }
        let current = self.cache.load();
        if current
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c.token(), token))
        {
            return;
        }
        drop(current);
        let fresh_until = fresh_until(token);
        self.cache
            .store(Some(Arc::new(Cached::new(token, fresh_until))));
    }

    async fn wait_async(&self, listener: EventListener, until: Instant) {
        let sleeper = self
            .sleeper
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut listener = listener;
        let mut sleep = sleeper.map(|s| s.sleep_until(until));
        std::future::poll_fn(|cx| {
            if std::pin::Pin::new(&mut listener).poll(cx).is_ready() {
                return Poll::Ready(());
            }
            match sleep.as_mut().map(|s| s.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(()),
                _ => Poll::Pending,
            }
        })
        .await
    }

    /// The error for a caller that ran out of turns.
    fn give_up(&self) -> TokenError {
        let state = self.lock();
        match (&state.last, state.machine.halted()) {
            (_, Some(h)) => TokenError::NeedsHuman {
                error: Arc::new(h.clone()),
            },
            (Some((error, transport)), None) => TokenError::Unavailable {
                error: Arc::clone(error),
                transport: transport.clone(),
                retry_at: state
                    .machine
                    .poll_timeout()
                    .unwrap_or_else(|| Instant::now() + Duration::from_secs(1)),
            },
            (None, None) => TokenError::Unavailable {
                error: Arc::new(FetchError::TimedOut),
                transport: None,
                retry_at: Instant::now(),
            },
        }
    }

    fn emit(&self, events: &[TokenEvent]) {
        let sinks = self.sinks.load();
        for event in events {
            for sink in sinks.iter() {
                sink(event);
            }
        }
    }
}

/// Prepares the assertion for request `id` (to the token endpoint, the only one the lifecycle
/// calls) for the remote signer, who has until the request deadline. Should preparing fail,
/// the request is built at once with the error, so the machine records it with its kind.
fn prepare_signing(state: &mut State, remote: &Remote, id: RequestId, now: Instant) -> Turn {
    let target = AuthTarget::new(&remote.server, remote.server.token_endpoint());
    let deadline = now + state.machine.config().request_timeout;
    let mut entropy = os_random;
    match remote
        .auth
        .prepare(&target, SystemTime::now(), &mut entropy)
    {
        Ok(prepared) => return Turn::Sign(id, prepared, deadline),
        Err(e) => remote.auth.load(Err(e)),
    }
    let mut ctx = Context::new(SystemTime::now(), &mut entropy);
    let _ = state.machine.request(id, &mut ctx);
    remote.auth.clear();
    Turn::Again
}

/// Drains the machine's events into [`TokenEvent`]s (no secrets), records the last failure and
/// logs each one with `tracing` (no token or secret in any field).
fn drain(state: &mut State) -> Vec<TokenEvent> {
    let mut out = Vec::new();
    while let Some(event) = state.machine.poll_event() {
        let translated = match event {
            Event::Obtained(o) => {
                state.last = None;
                let info = TokenInfo::from_obtained(&o);
                tracing::info!(
                    request = o.id.get(),
                    expiry_known = o.expiry_known,
                    "access token obtained"
                );
                TokenEvent::Obtained(info)
            }
            Event::Refreshed(o) => {
                state.last = None;
                let info = TokenInfo::from_obtained(&o);
                tracing::info!(
                    request = o.id.get(),
                    rotated = o.refresh_token_rotated,
                    "access token refreshed"
                );
                TokenEvent::Refreshed(info)
            }
            Event::Failed {
                id,
                kind,
                error,
                retry,
            } => {
                let transport = match error {
                    FetchError::Transport(_) => state.pending_transport.take(),
                    _ => None,
                };
                let error = Arc::new(error);
                match retry {
                    Retry::NeedsHuman => {
                        tracing::error!(request = id.get(), ?kind, error = %error, "token request failed; not retried until a human acts")
                    }
                    _ => {
                        tracing::warn!(request = id.get(), ?kind, error = %error, ?retry, "token request failed")
                    }
                }
                state.last = Some((Arc::clone(&error), transport.clone()));
                TokenEvent::Failed {
                    request: id,
                    kind,
                    error,
                    transport,
                    retry,
                }
            }
            // A kind of event this version does not know: nothing to report.
            _ => continue,
        };
        out.push(translated);
    }
    state.pending_transport = None;
    out
}

/// Whether `token` is served at `now` without a refresh: the lifecycle's own rule (age from
/// receipt, in either direction, below the refresh age; see `grantwire::lifecycle`).
#[inline]
fn is_fresh(token: &Token, now: Instant) -> bool {
    let received = token.received();
    let refresh_after = token.refresh_due().saturating_duration_since(received);
    let age = if now >= received {
        now.duration_since(received)
    } else {
        received.duration_since(now)
    };
    age < refresh_after && age < token.lifetime()
}

/// The instant `token` stops being fresh (see [`is_fresh`]) for a caller whose clock has passed
/// its receipt; `None` if that instant is not representable.
fn fresh_until(token: &Token) -> Option<Instant> {
    let by = token
        .refresh_due()
        .saturating_duration_since(token.received())
        .min(token.lifetime());
    token.received().checked_add(by)
}

/// OS randomness for `jti` values and backoff jitter. Should the OS refuse (it does not on any
/// supported platform once booted), the bytes are derived from the clock so the request still
/// differs from the last; a client assertion's `jti` then repeats only if the clock does.
fn os_random(dest: &mut [u8]) {
    if getrandom::fill(dest).is_err() {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for (i, b) in dest.iter_mut().enumerate() {
            *b = (nanos >> ((i % 16) * 8)) as u8 ^ (i as u8);
        }
        tracing::error!("the OS random number generator failed; used a clock-derived fallback");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grantwire::{
        AuthorizationServer, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic, Endpoint,
    };

    #[test]
    fn a_cache_hit_takes_no_lock() {
        let client = Client::new(
            AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap()),
            ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s")),
        )
        .unwrap();
        let source = TokenSource::new(client, ClientCredentials::new(), LifecycleConfig::default());
        let send = |_r: SecretRequest| -> SendResult {
            Ok(http::Response::new(
                br#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#.to_vec(),
            ))
        };
        source.token_blocking(&send).unwrap();
        // Hold the lifecycle's lock (as a writer would) while other threads hit the cache.
        let held = source.inner.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        let other = source.clone();
        let hits = std::thread::spawn(move || {
            for _ in 0..1000 {
                assert!(other.cached().is_some());
                assert!(other.token_blocking(&send).is_ok());
            }
            tx.send(()).unwrap();
        });
        let served = rx.recv_timeout(Duration::from_secs(10));
        drop(held);
        hits.join().unwrap();
        assert!(
            served.is_ok(),
            "a cache hit waited for the lifecycle's lock"
        );
    }
}
