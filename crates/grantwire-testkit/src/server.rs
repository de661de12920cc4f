//! The Sans-IO authorization server: routing, the token, introspection, revocation, metadata and
//! resource endpoints.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use grantwire::grant::token_type_uri;
use grantwire::{AccessToken, Entropy, Scope, SecretBody, SecretRequest, SecretString};
use http::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::assertion::{AssertionPolicy, AssertionTarget, AssertionVerifier};
use crate::client_auth::{self, secret_eq};
use crate::events::bounded;
use crate::events::{AuthEvent, AuthFailureCause, EventLog};
use crate::faults::{Counters, EndpointKind, Fault, Faults, InjectedDelay};
use crate::params::{json_response, Failure, Params};
use crate::registry::{
    ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, IntrospectionPolicy,
};
use crate::store::{key_of, random_token, AccessRecord, CodeRecord, Grant, RefreshRecord, Store};
use crate::Error;
use grantwire_jose::SigningKey;

/// The realm named in `WWW-Authenticate` challenges.
const REALM: &str = "grantwire-testkit";

/// Server-wide settings.
///
/// Defaults: access tokens live 1 hour (a client's own lifetime wins), refresh tokens 1 day,
/// authorization codes 60 seconds (RFC 6749 section 4.1.2 recommends 10 minutes at most), PKCE is
/// required for every code (RFC 9700 section 2.1.1), request bodies are capped at 64 KiB, and client
/// assertions follow [`AssertionPolicy::default`].
#[derive(Clone, Debug)]
pub struct ServerConfig {
    issuer: String,
    access_token_lifetime: Duration,
    refresh_token_lifetime: Option<Duration>,
    code_lifetime: Duration,
    require_pkce: bool,
    refresh_with_client_credentials: bool,
    max_body_bytes: usize,
    assertion_policy: AssertionPolicy,
    access_token_format: AccessTokenFormat,
    signing_key: Option<SigningKey>,
}

/// The form of access tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessTokenFormat {
    /// 256 random bits, base64url; meaningful only to this server (RFC 6749 section 1.4).
    #[default]
    Opaque,
    /// A JWT access token (RFC 9068): `typ` `at+jwt`, signed with the server's key, whose public
    /// half is served at `/jwks`.
    Jwt,
}

fn check_issuer(issuer: &str) -> Result<String, Error> {
    grantwire::Issuer::parse(issuer).map_err(|_| Error::InvalidIssuer)?;
    Ok(issuer.trim_end_matches('/').to_owned())
}

impl ServerConfig {
    /// Settings for the server with issuer identifier `issuer` (RFC 8414 section 2: `https`, or `http`
    /// on a loopback host; no query or fragment). A trailing `/` is removed.
    pub fn new(issuer: &str) -> Result<Self, Error> {
        Ok(Self {
            issuer: check_issuer(issuer)?,
            access_token_lifetime: Duration::from_secs(3600),
            refresh_token_lifetime: Some(Duration::from_secs(86_400)),
            code_lifetime: Duration::from_secs(60),
            require_pkce: true,
            refresh_with_client_credentials: false,
            max_body_bytes: 64 * 1024,
            assertion_policy: AssertionPolicy::default(),
            access_token_format: AccessTokenFormat::Opaque,
            signing_key: None,
        })
    }

    /// The default access-token lifetime (`expires_in`, RFC 6749 section 5.1).
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_token_lifetime = lifetime;
        self
    }

    /// The refresh-token lifetime; `None` for no expiry.
    pub fn refresh_token_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.refresh_token_lifetime = lifetime;
        self
    }

    /// The authorization-code lifetime (RFC 6749 section 4.1.2).
    pub fn code_lifetime(mut self, lifetime: Duration) -> Self {
        self.code_lifetime = lifetime;
        self
    }

    /// Whether every authorization code must carry a PKCE challenge (RFC 7636, RFC 9700 section 2.1.1).
    pub fn require_pkce(mut self, require: bool) -> Self {
        self.require_pkce = require;
        self
    }

    /// Also issue a refresh token with the client credentials grant, to clients allowed the
    /// `refresh_token` grant (RFC 6749 section 4.4.3 says it SHOULD NOT; some servers do).
    pub fn refresh_with_client_credentials(mut self, issue: bool) -> Self {
        self.refresh_with_client_credentials = issue;
        self
    }

    /// The largest form body accepted.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// How client assertions and JWT bearer grants are checked.
    pub fn assertion_policy(mut self, policy: AssertionPolicy) -> Self {
        self.assertion_policy = policy;
        self
    }

    /// Opaque (the default) or JWT access tokens (RFC 9068).
    pub fn access_token_format(mut self, format: AccessTokenFormat) -> Self {
        self.access_token_format = format;
        self
    }

    /// The key that signs JWT access tokens and is published at `/jwks`. By default a built-in
    /// ES256 key, public with this crate: fine for tests, worthless as a secret.
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

/// What a test asks the (absent) authorization endpoint to have approved: the input of
/// [`AuthServer::issue_authorization_code`] (RFC 6749 section 4.1.1, RFC 7636 section 4.3).
#[derive(Clone, Debug)]
pub struct AuthorizationCodeRequest {
    client_id: String,
    subject: String,
    redirect_uri: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    resources: Vec<String>,
}

impl AuthorizationCodeRequest {
    /// `subject` (the resource owner) approved a request of `client_id`.
    pub fn new(client_id: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            subject: subject.into(),
            redirect_uri: None,
            scope: None,
            code_challenge: None,
            resources: Vec::new(),
        }
    }

    /// The `redirect_uri` of the authorization request; the token request must repeat it
    /// (RFC 6749 section 4.1.3).
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The approved scope (all the client's scopes when not set).
    pub fn scope(mut self, scope: &Scope) -> Self {
        self.scope = Some(scope.as_str().to_owned()).filter(|s| !s.is_empty());
        self
    }

    /// The S256 `code_challenge` (RFC 7636 section 4.2), as the client computed it.
    pub fn code_challenge_s256(mut self, challenge: impl Into<String>) -> Self {
        self.code_challenge = Some(challenge.into());
        self
    }

    /// A resource indicator (RFC 8707 section 2); the token's audience.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }
}

/// Seconds since the epoch (0 before it).
pub(crate) fn unix(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A resource indicator: an absolute URI without a fragment (RFC 8707 section 2).
fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && !rest.is_empty()
        && !s.contains('#')
}

/// The scope to grant: the requested one if every token is allowed, else `invalid_scope`; all
/// of `allowed` when nothing was requested (RFC 6749 section 3.3).
fn grant_scope<'a>(
    requested: Option<&str>,
    allowed: impl Iterator<Item = &'a str> + Clone,
) -> Result<String, Failure> {
    match requested {
        None => {
            let mut out = Scope::empty();
            for t in allowed {
                out.insert(t)
                    .map_err(|_| Failure::invalid_scope("a registered scope is malformed"))?;
            }
            Ok(out.as_str().to_owned())
        }
        Some(s) => {
            let scope = Scope::parse(s).map_err(|_| {
                Failure::invalid_scope("the scope is malformed (RFC 6749 section 3.3)")
            })?;
            if scope.iter().all(|t| allowed.clone().any(|a| a == t)) {
                Ok(scope.as_str().to_owned())
            } else {
                Err(Failure::invalid_scope(
                    "a requested scope is not allowed for this client",
                ))
            }
        }
    }
}

/// Checks `audience` and `resource` parameters against the client's registration.
fn grant_targets(params: &Params, client: &ClientConfig) -> Result<Vec<String>, Failure> {
    let mut out = Vec::new();
    for a in params.all("audience") {
        if !client.audiences.iter().any(|x| x == a) {
            return Err(Failure::invalid_target(
                "the audience is not allowed for this client",
            ));
        }
        out.push(a.to_owned());
    }
    for r in params.all("resource") {
        if !is_absolute_uri(r) {
            return Err(Failure::invalid_target(
                "a resource must be an absolute URI without a fragment (RFC 8707 section 2)",
            ));
        }
        if !client.resources.iter().any(|x| x == r) {
            return Err(Failure::invalid_target(
                "the resource is not allowed for this client",
            ));
        }
        if !out.iter().any(|x| x == r) {
            out.push(r.to_owned());
        }
    }
    Ok(out)
}

/// An in-memory authorization server. See the crate documentation.
///
/// The methods fall into three kinds: [`AuthServer::handle`] answers one request; commands
/// set up state a test needs (codes, tokens, faults); getters report what happened.
pub struct AuthServer {
    config: ServerConfig,
    registry: ClientRegistry,
    store: Store,
    faults: Faults,
    counters: Counters,
    assertions: AssertionVerifier,
    signing_key: Option<SigningKey>,
    events: EventLog,
    /// The client authenticated by the request being handled (recorded as accepted unless the
    /// request then fails as a rejected client authentication).
    authenticated: Option<(String, &'static str)>,
}

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("issuer", &self.config.issuer)
            .field("clients", &self.registry.iter().count())
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

impl AuthServer {
    /// A server with `config` and the clients of `registry`.
    pub fn new(config: ServerConfig, registry: ClientRegistry) -> Self {
        let assertions = AssertionVerifier::new(config.assertion_policy.clone());
        let signing_key = config
            .signing_key
            .clone()
            .or_else(crate::keys::builtin_signing_key);
        Self {
            signing_key,
            config,
            registry,
            store: Store::default(),
            faults: Faults::default(),
            counters: Counters::default(),
            assertions,
            events: EventLog::default(),
            authenticated: None,
        }
    }

    /// The issuer identifier (RFC 8414 section 2).
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Changes the issuer identifier (the loopback server sets it to its address).
    pub fn set_issuer(&mut self, issuer: &str) -> Result<(), Error> {
        self.config.issuer = check_issuer(issuer)?;
        Ok(())
    }

    /// The URL of `endpoint`.
    pub fn endpoint_url(&self, endpoint: EndpointKind) -> String {
        match endpoint {
            EndpointKind::Metadata => {
                // RFC 8414 section 3: the well-known segment goes between host and issuer path.
                let (origin, path) = split_origin(&self.config.issuer);
                format!("{origin}{}{path}", endpoint.path())
            }
            _ => format!("{}{}", self.config.issuer, endpoint.path()),
        }
    }

    /// The token endpoint URL (RFC 6749 section 3.2).
    pub fn token_endpoint(&self) -> String {
        self.endpoint_url(EndpointKind::Token)
    }

    /// This server as a client sees it: the issuer and the token, introspection, revocation
    /// and JWK Set endpoints, ready for [`grantwire::Client::new`]. Fails only if the issuer no
    /// longer parses as a grantwire endpoint (it was checked when set).
    pub fn authorization_server(&self) -> Result<grantwire::AuthorizationServer, grantwire::Error> {
        let url = |kind| grantwire::Endpoint::parse(&self.endpoint_url(kind));
        Ok(
            grantwire::AuthorizationServer::new(url(EndpointKind::Token)?)
                .with_issuer(grantwire::Issuer::parse(&self.config.issuer)?)
                .with_introspection_endpoint(url(EndpointKind::Introspection)?)
                .with_revocation_endpoint(url(EndpointKind::Revocation)?)
                .with_jwks_uri(url(EndpointKind::Jwks)?),
        )
    }

    /// The client registry, to add clients after start.
    pub fn registry_mut(&mut self) -> &mut ClientRegistry {
        &mut self.registry
    }

    /// The client registry.
    pub fn registry(&self) -> &ClientRegistry {
        &self.registry
    }

    /// Queues `fault` as the answer to the next request to `endpoint` not already scripted.
    pub fn inject(&mut self, endpoint: EndpointKind, fault: Fault) {
        self.faults.push(endpoint, fault);
    }

    /// Queues `fault` for the next `times` requests to `endpoint`.
    pub fn inject_times(&mut self, endpoint: EndpointKind, fault: Fault, times: usize) {
        for _ in 0..times {
            self.faults.push(endpoint, fault.clone());
        }
    }

    /// Faults still queued for `endpoint`.
    pub fn pending_faults(&self, endpoint: EndpointKind) -> usize {
        self.faults.pending(endpoint)
    }

    /// Drops every queued fault.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Request counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Resets the request counters.
    pub fn reset_counters(&mut self) {
        self.counters = Counters::default();
    }

    /// The last [`MAX_AUTH_EVENTS`](crate::MAX_AUTH_EVENTS) client authentications at the token,
    /// introspection and revocation endpoints, newest first: each accepted one, and each
    /// rejected one with its exact cause and the `client_auth_id` its error response carried.
    /// No event holds a secret, an assertion or a token.
    pub fn auth_events(&self) -> impl Iterator<Item = &AuthEvent> {
        self.events.iter()
    }

    /// Forgets every authentication event.
    pub fn clear_auth_events(&mut self) {
        self.events.clear();
    }

    /// Mints an authorization code as if the authorization endpoint had approved `request`
    /// (RFC 6749 section 4.1.2). The client must exist and be allowed `authorization_code`; a redirect
    /// URI must be registered; the scope must be allowed; a S256 challenge is required unless
    /// [`ServerConfig::require_pkce`] was turned off.
    pub fn issue_authorization_code(
        &mut self,
        request: &AuthorizationCodeRequest,
        now: SystemTime,
        entropy: &mut dyn Entropy,
    ) -> Result<SecretString, Error> {
        let bad = |reason| Error::CannotIssue { reason };
        let client = self
            .registry
            .get(&request.client_id)
            .ok_or(bad("unknown client"))?;
        if !client.allows(GrantType::AuthorizationCode) {
            return Err(bad("the client may not use authorization_code"));
        }
        if let Some(uri) = &request.redirect_uri {
            if !client.redirect_uris.iter().any(|r| r == uri) {
                return Err(bad("the redirect_uri is not registered for the client"));
            }
        } else if !client.redirect_uris.is_empty() {
            return Err(bad("the client has redirect URIs: name one"));
        }
        let scope = grant_scope(
            request.scope.as_deref(),
            client.scopes.iter().map(String::as_str),
        )
        .map_err(|_| bad("the scope is not allowed for the client"))?;
        match &request.code_challenge {
            Some(c) if c.len() != 43 || URL_SAFE_NO_PAD.decode(c).is_err() => {
                return Err(bad(
                    "the code_challenge is not a S256 challenge (RFC 7636 section 4.2)",
                ))
            }
            None if self.config.require_pkce => {
                return Err(bad("PKCE is required: give a code_challenge"))
            }
            _ => {}
        }
        for r in &request.resources {
            if !client.resources.iter().any(|x| x == r) {
                return Err(bad("the resource is not allowed for the client"));
            }
        }
        let grant = Grant {
            client_id: request.client_id.clone(),
            subject: request.subject.clone(),
            scope,
            audiences: request.resources.clone(),
            actor: None,
            family: self.store.new_family(),
        };
        let code = random_token(entropy);
        self.store.codes.insert(
            key_of(&code),
            CodeRecord {
                grant,
                redirect_uri: request.redirect_uri.clone(),
                challenge: request.code_challenge.clone(),
                expires_at: unix(now).saturating_add(self.config.code_lifetime.as_secs()),
                used: false,
            },
        );
        Ok(SecretString::new(code))
    }

    /// Issues an access token directly (for a subject token in token-exchange tests, or a
    /// token for `/resource`), with the client's lifetime. The scope must be allowed.
    pub fn issue_access_token(
        &mut self,
        client_id: &str,
        subject: &str,
        scope: Option<&Scope>,
        now: SystemTime,
        entropy: &mut dyn Entropy,
    ) -> Result<AccessToken, Error> {
        let client = self
            .registry
            .get(client_id)
            .cloned()
            .ok_or(Error::CannotIssue {
                reason: "unknown client",
            })?;
        let scope = grant_scope(
            scope.map(Scope::as_str),
            client.scopes.iter().map(String::as_str),
        )
        .map_err(|_| Error::CannotIssue {
            reason: "the scope is not allowed for the client",
        })?;
        let grant = Grant {
            client_id: client_id.to_owned(),
            subject: subject.to_owned(),
            scope,
            audiences: Vec::new(),
            actor: None,
            family: self.store.new_family(),
        };
        let (token, _) = self
            .mint_access(&client, grant, unix(now), entropy)
            .map_err(|_| Error::InvalidKey {
                reason: "the access token could not be signed",
            })?;
        Ok(AccessToken::new(token))
    }

    /// Answers one request. `now` is the current time; `entropy` supplies token values.
    ///
    /// Unknown paths answer 404. A queued [`Fault`] for the endpoint answers instead of the
    /// endpoint (a [`Fault::Delay`] adds an [`InjectedDelay`] extension to the real answer).
    pub fn handle(
        &mut self,
        request: &impl IncomingRequest,
        now: SystemTime,
        entropy: &mut dyn Entropy,
    ) -> Response<Vec<u8>> {
        let request = request.as_request();
        let Some(endpoint) = self.route(request.uri().path()) else {
            let mut response = Response::new(b"not found".to_vec());
            *response.status_mut() = StatusCode::NOT_FOUND;
            return response;
        };
        let claimed = match endpoint {
            EndpointKind::Token | EndpointKind::Introspection | EndpointKind::Revocation => {
                client_auth::claimed_client_id(request)
            }
            // At the resource, the client the presented token was issued to.
            EndpointKind::Resource => bearer_token(request)
                .and_then(|t| self.store.access.get(&key_of(t)))
                .map(|r| r.grant.client_id.clone()),
            _ => None,
        };
        self.counters.record(endpoint, claimed.as_deref());
        let mut delay = None;
        if let Some(fault) = self.faults.next(endpoint) {
            if let Fault::Delay(d) = fault {
                delay = Some(d);
            } else if let Some(response) = fault.response() {
                return response;
            }
        }
        let now = unix(now);
        self.authenticated = None;
        let result = match endpoint {
            EndpointKind::Token => self.token(request, now, entropy),
            EndpointKind::Introspection => self.introspect(request, now),
            EndpointKind::Revocation => self.revoke(request, now),
            EndpointKind::Metadata => self.metadata(request),
            EndpointKind::Jwks => self.jwks(request),
            EndpointKind::Resource => Ok(self.resource(request, now)),
        };
        let result = self.record_auth_event(result, endpoint, now, entropy);
        let mut response = result.unwrap_or_else(Failure::into_response);
        if let Some(d) = delay {
            response.extensions_mut().insert(InjectedDelay(d));
        }
        response
    }

    /// Logs the request's client authentication, if it had one: a rejection gets a random
    /// `client_auth_id` (16 bytes from `entropy`, hex) in its error body and its event.
    fn record_auth_event(
        &mut self,
        result: Result<Response<Vec<u8>>, Failure>,
        endpoint: EndpointKind,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let authenticated = self.authenticated.take();
        let mut event = AuthEvent {
            at: now,
            endpoint,
            client_id: None,
            method: None,
            cause: None,
            client_auth_id: None,
        };
        match result {
            Err(mut failure) if failure.rejection.is_some() => {
                let mut bytes = [0u8; 16];
                entropy.fill_bytes(&mut bytes);
                let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                if let Some(rejection) = failure.rejection.take() {
                    event.client_id = rejection.client_id;
                    event.method = rejection.method;
                    event.cause = Some(rejection.cause);
                }
                event.client_auth_id = Some(id.clone());
                failure.client_auth_id = Some(id);
                self.events.push(event);
                Err(failure)
            }
            result => {
                if let Some((client_id, method)) = authenticated {
                    event.client_id = Some(client_id);
                    event.method = Some(method);
                    self.events.push(event);
                }
                result
            }
        }
    }

    fn route(&self, path: &str) -> Option<EndpointKind> {
        let (_, issuer_path) = split_origin(&self.config.issuer);
        let well_known = EndpointKind::Metadata.path();
        if path.strip_prefix(well_known) == Some(issuer_path) {
            return Some(EndpointKind::Metadata);
        }
        let rest = path.strip_prefix(issuer_path)?;
        [
            EndpointKind::Token,
            EndpointKind::Introspection,
            EndpointKind::Revocation,
            EndpointKind::Metadata,
            EndpointKind::Jwks,
            EndpointKind::Resource,
        ]
        .into_iter()
        .find(|e| e.path() == rest)
    }

    fn authenticate<B: AsRef<[u8]>>(
        &mut self,
        request: &Request<B>,
        params: &Params,
        now: u64,
        called: EndpointKind,
    ) -> Result<Option<ClientConfig>, Failure> {
        let token_endpoint = self.token_endpoint();
        let endpoint = self.endpoint_url(called);
        let target = AssertionTarget {
            issuer: &self.config.issuer,
            token_endpoint: &token_endpoint,
            endpoint: &endpoint,
            now,
        };
        let client = client_auth::authenticate(
            &self.registry,
            &mut self.assertions,
            request,
            params,
            &target,
        )?
        .client;
        self.authenticated = client
            .as_ref()
            .map(|c| (bounded(c.client_id.as_str()), c.auth.method().as_str()));
        Ok(client)
    }

    // ----- token endpoint (RFC 6749 section 3.2) -----

    fn token<B: AsRef<[u8]>>(
        &mut self,
        request: &Request<B>,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let params = Params::from_request(request, self.config.max_body_bytes)?;
        let client = self.authenticate(request, &params, now, EndpointKind::Token)?;
        let grant_name = params
            .get("grant_type")
            .ok_or_else(|| Failure::invalid_request("grant_type is missing"))?;
        let grant = GrantType::from_name(grant_name)
            .ok_or_else(|| Failure::unsupported_grant_type("this grant type is not supported"))?;
        let Some(client) = client else {
            if grant == GrantType::JwtBearer {
                return self.jwt_bearer(None, &params, now, entropy);
            }
            return Err(
                Failure::invalid_client("client authentication is required", false).rejected(
                    None,
                    None,
                    AuthFailureCause::NoCredentials,
                ),
            );
        };
        if !client.allows(grant) {
            return Err(Failure::unauthorized_client(
                "the client may not use this grant type",
            ));
        }
        match grant {
            GrantType::ClientCredentials => self.client_credentials(&client, &params, now, entropy),
            GrantType::RefreshToken => self.refresh(&client, &params, now, entropy),
            GrantType::AuthorizationCode => self.authorization_code(&client, &params, now, entropy),
            GrantType::TokenExchange => self.token_exchange(&client, &params, now, entropy),
            GrantType::JwtBearer => self.jwt_bearer(Some(&client), &params, now, entropy),
        }
    }

    fn client_credentials(
        &mut self,
        client: &ClientConfig,
        params: &Params,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<Response<Vec<u8>>, Failure> {
        // RFC 6749 section 4.4: only confidential clients.
        if matches!(client.auth, ClientAuthConfig::None) {
            return Err(Failure::unauthorized_client(
                "a public client cannot use client_credentials",
            ));
        }
        let scope = grant_scope(
            params.get("scope"),
            client.scopes.iter().map(String::as_str),
        )?;
        let audiences = grant_targets(params, client)?;
        let grant = Grant {
            client_id: client.client_id.as_str().to_owned(),
            subject: client.client_id.as_str().to_owned(),
            scope,
            audiences,
            actor: None,
            family: self.store.new_family(),
        };
        let refresh =
            self.config.refresh_with_client_credentials && client.allows(GrantType::RefreshToken);
        self.issue(client, grant, refresh, None, now, entropy)
    }

    fn refresh(
        &mut self,
        client: &ClientConfig,
        params: &Params,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let token = params
            .get("refresh_token")
            .ok_or_else(|| Failure::invalid_request("refresh_token is missing"))?;
        let key = key_of(token);
        let record = self
            .store
            .refresh
            .get(&key)
            .cloned()
            .ok_or_else(|| Failure::invalid_grant("the refresh token is invalid"))?;
        if record.grant.client_id != client.client_id.as_str() {
            return Err(Failure::invalid_grant("the refresh token is invalid"));
        }
        if record.rotated {
            // RFC 9700 section 4.14.2: reuse of a rotated refresh token revokes the whole grant.
            self.store.revoke_family(record.grant.family);
            return Err(Failure::invalid_grant("the refresh token is invalid"));
        }
        if self.store.active_refresh(token, now).is_none() {
            return Err(Failure::invalid_grant("the refresh token is invalid"));
        }
        let scope = grant_scope(params.get("scope"), record.grant.scope.split(' '))?;
        if let Some(r) = self.store.refresh.get_mut(&key) {
            r.rotated = true;
        }
        let mut grant = record.grant;
        grant.scope = scope;
        self.issue(client, grant, true, None, now, entropy)
    }

    fn authorization_code(
        &mut self,
        client: &ClientConfig,
        params: &Params,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let code = params
            .get("code")
            .ok_or_else(|| Failure::invalid_request("code is missing"))?;
        let key = key_of(code);
        let record = self
            .store
            .codes
            .get(&key)
            .cloned()
            .ok_or_else(|| Failure::invalid_grant("the authorization code is invalid"))?;
        if record.grant.client_id != client.client_id.as_str() {
            return Err(Failure::invalid_grant("the authorization code is invalid"));
        }
        if record.used {
            // RFC 6749 section 4.1.2: a reused code revokes the tokens issued from it.
            self.store.revoke_family(record.grant.family);
            return Err(Failure::invalid_grant("the authorization code is invalid"));
        }
        if now >= record.expires_at {
            return Err(Failure::invalid_grant("the authorization code is invalid"));
        }
        if let Some(r) = self.store.codes.get_mut(&key) {
            r.used = true;
        }
        if let Some(expected) = &record.redirect_uri {
            if params.get("redirect_uri") != Some(expected.as_str()) {
                return Err(Failure::invalid_grant(
                    "redirect_uri does not match the authorization request",
                ));
            }
        }
        match (&record.challenge, params.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                let well_formed = (43..=128).contains(&verifier.len())
                    && verifier.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
                    });
                let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                if !well_formed || !secret_eq(computed.as_bytes(), challenge.as_bytes()) {
                    return Err(Failure::invalid_grant("PKCE verification failed"));
                }
            }
            (Some(_), None) => {
                return Err(Failure::invalid_grant(
                    "code_verifier is required (RFC 7636 section 4.5)",
                ))
            }
            // RFC 9700 section 2.1.1: a verifier for a code issued without a challenge is a downgrade.
            (None, Some(_)) => {
                return Err(Failure::invalid_grant(
                    "code_verifier sent for a code issued without a challenge",
                ))
            }
            (None, None) => {}
        }
        let refresh = client.allows(GrantType::RefreshToken);
        self.issue(client, record.grant, refresh, None, now, entropy)
    }

    /// Resolves a subject or actor token of token exchange (RFC 8693 section 2.1).
    fn exchange_input(
        &self,
        token: &str,
        token_type: &str,
        now: u64,
    ) -> Result<&AccessRecord, Failure> {
        if token_type != token_type_uri::ACCESS_TOKEN && token_type != token_type_uri::JWT {
            return Err(Failure::invalid_request(
                "unsupported token type: only access tokens of this server can be exchanged",
            ));
        }
        self.store
            .active_access(token, now)
            .ok_or_else(|| Failure::invalid_request("the subject or actor token is invalid"))
    }

    fn token_exchange(
        &mut self,
        client: &ClientConfig,
        params: &Params,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let subject_token = params
            .get("subject_token")
            .ok_or_else(|| Failure::invalid_request("subject_token is missing"))?;
        let subject_type = params
            .get("subject_token_type")
            .ok_or_else(|| Failure::invalid_request("subject_token_type is missing"))?;
        let subject = self
            .exchange_input(subject_token, subject_type, now)?
            .clone();
        let actor = match (params.get("actor_token"), params.get("actor_token_type")) {
            (Some(t), Some(ty)) => Some(self.exchange_input(t, ty, now)?.grant.subject.clone()),
            (None, None) => None,
            _ => {
                return Err(Failure::invalid_request(
                    "actor_token and actor_token_type go together (RFC 8693 section 2.1)",
                ))
            }
        };
        match params.get("requested_token_type") {
            None => {}
            Some(t) if t == token_type_uri::ACCESS_TOKEN => {}
            Some(_) => {
                return Err(Failure::invalid_request(
                    "only access tokens can be requested",
                ))
            }
        }
        let audiences = grant_targets(params, client)?;
        let allowed: Vec<&str> = subject
            .grant
            .scope
            .split(' ')
            .filter(|t| client.scopes.iter().any(|s| s == t))
            .collect();
        let scope = grant_scope(params.get("scope"), allowed.iter().copied())?;
        let grant = Grant {
            client_id: client.client_id.as_str().to_owned(),
            subject: subject.grant.subject,
            scope,
            audiences,
            actor,
            family: self.store.new_family(),
        };
        self.issue(
            client,
            grant,
            false,
            Some(token_type_uri::ACCESS_TOKEN),
            now,
            entropy,
        )
    }

    fn jwt_bearer(
        &mut self,
        client: Option<&ClientConfig>,
        params: &Params,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let assertion = params
            .get("assertion")
            .ok_or_else(|| Failure::invalid_request("assertion is missing"))?;
        let token_endpoint = self.token_endpoint();
        let target = AssertionTarget {
            issuer: &self.config.issuer,
            token_endpoint: &token_endpoint,
            endpoint: &token_endpoint,
            now,
        };
        let (issuer_client, subject) = crate::assertion::verify_grant_assertion(
            &self.registry,
            &mut self.assertions,
            assertion,
            client,
            &target,
        )?;
        if !issuer_client.allows(GrantType::JwtBearer) {
            return Err(Failure::unauthorized_client(
                "the client may not use this grant type",
            ));
        }
        let scope = grant_scope(
            params.get("scope"),
            issuer_client.scopes.iter().map(String::as_str),
        )?;
        let grant = Grant {
            client_id: issuer_client.client_id.as_str().to_owned(),
            subject,
            scope,
            audiences: Vec::new(),
            actor: None,
            family: self.store.new_family(),
        };
        self.issue(&issuer_client, grant, false, None, now, entropy)
    }

    /// Stores an access token for `grant`; returns its value and lifetime in seconds.
    fn mint_access(
        &mut self,
        client: &ClientConfig,
        grant: Grant,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<(String, u64), Failure> {
        let lifetime = client
            .access_token_lifetime
            .unwrap_or(self.config.access_token_lifetime)
            .as_secs();
        let jti = random_token(entropy);
        let record = AccessRecord {
            grant,
            issued_at: now,
            expires_at: now.saturating_add(lifetime),
            jti,
            revoked: false,
        };
        let token = match self.config.access_token_format {
            AccessTokenFormat::Opaque => random_token(entropy),
            AccessTokenFormat::Jwt => self
                .signing_key
                .as_ref()
                .and_then(|k| {
                    crate::keys::jwt_access_token(k, &self.config.issuer, &record, entropy)
                })
                .ok_or_else(|| Failure::server_error("the access token could not be signed"))?,
        };
        self.store.access.insert(key_of(&token), record);
        Ok((token, lifetime))
    }

    /// A successful token response (RFC 6749 section 5.1).
    fn issue(
        &mut self,
        client: &ClientConfig,
        grant: Grant,
        with_refresh: bool,
        issued_token_type: Option<&str>,
        now: u64,
        entropy: &mut dyn Entropy,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let scope = grant.scope.clone();
        let (access, lifetime) = self.mint_access(client, grant.clone(), now, entropy)?;
        let mut body = Map::new();
        body.insert("access_token".into(), access.into());
        body.insert("token_type".into(), "Bearer".into());
        body.insert("expires_in".into(), lifetime.into());
        if !scope.is_empty() {
            body.insert("scope".into(), scope.into());
        }
        if with_refresh {
            let refresh = random_token(entropy);
            let record = RefreshRecord {
                grant,
                issued_at: now,
                expires_at: self
                    .config
                    .refresh_token_lifetime
                    .map(|l| now.saturating_add(l.as_secs())),
                jti: random_token(entropy),
                rotated: false,
            };
            self.store.refresh.insert(key_of(&refresh), record);
            body.insert("refresh_token".into(), refresh.into());
        }
        if let Some(t) = issued_token_type {
            body.insert("issued_token_type".into(), t.into());
        }
        Ok(json_response(StatusCode::OK, &Value::Object(body)))
    }

    // ----- introspection (RFC 7662) -----

    fn introspect<B: AsRef<[u8]>>(
        &mut self,
        request: &Request<B>,
        now: u64,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let params = Params::from_request(request, self.config.max_body_bytes)?;
        let client = self.authenticate(request, &params, now, EndpointKind::Introspection)?;
        let client = match client {
            Some(c) if !matches!(c.auth, ClientAuthConfig::None) => c,
            public => {
                let (id, cause) = match &public {
                    Some(c) => (
                        Some(c.client_id.as_str()),
                        AuthFailureCause::PublicClientNotAllowed,
                    ),
                    None => (None, AuthFailureCause::NoCredentials),
                };
                let method = public.as_ref().map(|_| "none");
                return Err(
                    Failure::invalid_client("client authentication is required", false)
                        .rejected(id, method, cause),
                );
            }
        };
        if client.introspection == IntrospectionPolicy::Denied {
            return Err(Failure::unauthorized_client(
                "the client may not introspect tokens",
            ));
        }
        let token = params
            .get("token")
            .ok_or_else(|| Failure::invalid_request("token is missing"))?;
        let visible = |owner: &str| {
            client.introspection == IntrospectionPolicy::AnyToken
                || owner == client.client_id.as_str()
        };
        let inactive = || json_response(StatusCode::OK, &json!({"active": false}));
        let refresh_first = params.get("token_type_hint") == Some("refresh_token");
        let access = self.store.active_access(token, now);
        let refresh = self.store.active_refresh(token, now);
        let body = match (refresh_first, access, refresh) {
            (true, _, Some(r)) | (false, None, Some(r)) => {
                if !visible(&r.grant.client_id) {
                    return Ok(inactive());
                }
                let mut m = self.describe(&r.grant, r.issued_at, r.expires_at, &r.jti);
                m.insert("token_type".into(), "refresh_token".into());
                m
            }
            (_, Some(a), _) => {
                if !visible(&a.grant.client_id) {
                    return Ok(inactive());
                }
                let mut m = self.describe(&a.grant, a.issued_at, Some(a.expires_at), &a.jti);
                m.insert("token_type".into(), "Bearer".into());
                m
            }
            _ => return Ok(inactive()),
        };
        Ok(json_response(StatusCode::OK, &Value::Object(body)))
    }

    /// The RFC 7662 section 2.2 members of an active token.
    fn describe(&self, grant: &Grant, iat: u64, exp: Option<u64>, jti: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("active".into(), true.into());
        if !grant.scope.is_empty() {
            m.insert("scope".into(), grant.scope.clone().into());
        }
        m.insert("client_id".into(), grant.client_id.clone().into());
        m.insert("sub".into(), grant.subject.clone().into());
        m.insert("iss".into(), self.config.issuer.clone().into());
        m.insert("iat".into(), iat.into());
        if let Some(exp) = exp {
            m.insert("exp".into(), exp.into());
        }
        m.insert("jti".into(), jti.into());
        match grant.audiences.as_slice() {
            [] => {}
            [one] => {
                m.insert("aud".into(), one.clone().into());
            }
            many => {
                m.insert("aud".into(), many.to_vec().into());
            }
        }
        if let Some(actor) = &grant.actor {
            m.insert("act".into(), json!({ "sub": actor }));
        }
        m
    }

    // ----- revocation (RFC 7009) -----

    fn revoke<B: AsRef<[u8]>>(
        &mut self,
        request: &Request<B>,
        now: u64,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let params = Params::from_request(request, self.config.max_body_bytes)?;
        let client = self
            .authenticate(request, &params, now, EndpointKind::Revocation)?
            .ok_or_else(|| {
                Failure::invalid_client("client authentication is required", false).rejected(
                    None,
                    None,
                    AuthFailureCause::NoCredentials,
                )
            })?;
        let token = params
            .get("token")
            .ok_or_else(|| Failure::invalid_request("token is missing"))?;
        let key = key_of(token);
        let id = client.client_id.as_str();
        let ok = || {
            let mut r = Response::new(Vec::new());
            *r.status_mut() = StatusCode::OK;
            r
        };
        let owner_family = if let Some(r) = self.store.refresh.get(&key) {
            Some((r.grant.client_id.clone(), Some(r.grant.family)))
        } else {
            self.store
                .access
                .get(&key)
                .map(|a| (a.grant.client_id.clone(), None))
        };
        match owner_family {
            // RFC 7009 section 2.2: an invalid or unknown token is not an error.
            None => Ok(ok()),
            // RFC 7009 section 2.1: the token must have been issued to the requesting client.
            Some((owner, _)) if owner != id => Err(Failure::invalid_request(
                "the token was not issued to this client",
            )),
            Some((_, Some(family))) => {
                self.store.revoke_family(family);
                Ok(ok())
            }
            Some((_, None)) => {
                if let Some(a) = self.store.access.get_mut(&key) {
                    a.revoked = true;
                }
                Ok(ok())
            }
        }
    }

    // ----- metadata (RFC 8414) and keys -----

    fn metadata<B>(&self, request: &Request<B>) -> Result<Response<Vec<u8>>, Failure> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Err(
                Failure::invalid_request("use GET").with_status(StatusCode::METHOD_NOT_ALLOWED)
            );
        }
        Ok(json_response(StatusCode::OK, &self.metadata_document()))
    }

    /// The metadata document (RFC 8414 section 2): exactly what this server implements.
    pub fn metadata_document(&self) -> Value {
        let grants: Vec<&str> = GrantType::ALL.into_iter().map(GrantType::as_str).collect();
        let methods = client_auth::AUTH_METHODS;
        let algs = crate::assertion::assertion_algs();
        let authenticated: Vec<&str> = methods.iter().copied().filter(|m| *m != "none").collect();
        let mut scopes: Vec<&str> = self
            .registry
            .iter()
            .flat_map(|c| c.scopes.iter().map(String::as_str))
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        json!({
            "issuer": self.config.issuer,
            "token_endpoint": self.endpoint_url(EndpointKind::Token),
            "introspection_endpoint": self.endpoint_url(EndpointKind::Introspection),
            "revocation_endpoint": self.endpoint_url(EndpointKind::Revocation),
            "grant_types_supported": grants,
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": scopes,
            "token_endpoint_auth_methods_supported": methods,
            "introspection_endpoint_auth_methods_supported": authenticated,
            "revocation_endpoint_auth_methods_supported": methods,
            "token_endpoint_auth_signing_alg_values_supported": algs,
            "introspection_endpoint_auth_signing_alg_values_supported": algs,
            "revocation_endpoint_auth_signing_alg_values_supported": algs,
            "jwks_uri": self.endpoint_url(EndpointKind::Jwks),
        })
    }

    fn jwks<B>(&self, request: &Request<B>) -> Result<Response<Vec<u8>>, Failure> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Err(
                Failure::invalid_request("use GET").with_status(StatusCode::METHOD_NOT_ALLOWED)
            );
        }
        let jwks = self
            .signing_key
            .as_ref()
            .map(SigningKey::jwks)
            .unwrap_or_default();
        let body = serde_json::to_value(&jwks).unwrap_or_else(|_| json!({"keys": []}));
        Ok(json_response(StatusCode::OK, &body))
    }

    // ----- protected resource (RFC 6750) -----

    fn resource<B>(&self, request: &Request<B>, now: u64) -> Response<Vec<u8>> {
        if request.headers().get(AUTHORIZATION).is_none() {
            return unauthorized(None);
        }
        let token = bearer_token(request);
        let Some(record) = token.and_then(|t| self.store.active_access(t, now)) else {
            return unauthorized(Some("the access token is invalid, expired or revoked"));
        };
        json_response(
            StatusCode::OK,
            &json!({
                "sub": record.grant.subject,
                "client_id": record.grant.client_id,
                "scope": record.grant.scope,
            }),
        )
    }
}

/// A request [`AuthServer::handle`] answers: any `http::Request` whose body is bytes, or a
/// [`SecretRequest`] as the grantwire builders return it (borrowed, so its body stays wiped).
pub trait IncomingRequest {
    /// The body type.
    type Body: AsRef<[u8]>;
    /// The request as `http` sees it.
    fn as_request(&self) -> &Request<Self::Body>;
}

impl<B: AsRef<[u8]>> IncomingRequest for Request<B> {
    type Body = B;
    fn as_request(&self) -> &Request<B> {
        self
    }
}

impl IncomingRequest for SecretRequest {
    type Body = SecretBody;
    fn as_request(&self) -> &Request<SecretBody> {
        self.as_http()
    }
}

/// The token of a single `Authorization: Bearer` header (RFC 6750 section 2.1).
fn bearer_token<B>(request: &Request<B>) -> Option<&str> {
    let mut values = request.headers().get_all(AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// 401 with a Bearer challenge (RFC 6750 section 3): no error code when the request had no credentials
/// (§3.1), `invalid_token` otherwise.
fn unauthorized(description: Option<&'static str>) -> Response<Vec<u8>> {
    let (challenge, body) = match description {
        None => (
            format!("Bearer realm=\"{REALM}\""),
            json!({"error": "invalid_token", "error_description": "no access token"}),
        ),
        Some(d) => (
            format!("Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{d}\""),
            json!({"error": "invalid_token", "error_description": d}),
        ),
    };
    let mut response = json_response(StatusCode::UNAUTHORIZED, &body);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    response
}

/// Splits `https://host:port/path` into origin and path (the path without a trailing `/`).
fn split_origin(issuer: &str) -> (&str, &str) {
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    match issuer[after_scheme..].find('/') {
        Some(i) => issuer.split_at(after_scheme + i),
        None => (issuer, ""),
    }
}
