//! The crate's error type and the OAuth error response (RFC 6749 §5.2).

use std::fmt;
use std::time::Duration;

use crate::auth::AuthMethod;
use crate::challenge::Challenge;

/// Everything that can go wrong in grantwire's core. The OAuth error a server answered
/// ([`Error::OAuth`]) is kept apart from responses that make no sense, so a caller can match on
/// `invalid_client` and show [`ErrorCode::advice`].
///
/// Match on [`Error::kind`] to sort an error into one of four families without a wildcard; the
/// enum itself is `#[non_exhaustive]` and grows. Every error that comes from a response carries
/// the response's status and content type ([`Error::response`]).
///
/// No variant ever holds a secret, a token or a request body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The authorization server answered with an OAuth error (RFC 6749 §5.2), also when it did
    /// so with a 2xx status.
    #[error("the authorization server answered {0}")]
    OAuth(Box<ErrorResponse>),
    /// The body is not JSON (nor a form, in the lenient profile). The snippet is bounded and has
    /// every token-like run of characters redacted.
    #[error("the response is not JSON ({response}): {snippet:?}")]
    NotJson {
        /// Status and content type.
        response: ResponseInfo,
        /// The start of the body, redacted.
        snippet: String,
        /// `Retry-After`, when the server sent one (a 503 page often does).
        retry_after: Option<Duration>,
    },
    /// A required member is absent.
    #[error("the response has no `{member}` member")]
    MissingMember {
        /// Member name.
        member: &'static str,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// A member has the wrong JSON type.
    #[error("the response member `{member}` is not {expected}")]
    WrongType {
        /// Member name.
        member: &'static str,
        /// What was expected.
        expected: &'static str,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// A member has a value that cannot be right.
    #[error("the response member `{member}` is unacceptable: {reason}")]
    InvalidValue {
        /// Member name.
        member: &'static str,
        /// Why.
        reason: &'static str,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// `expires_in` is negative, fractional, not a number, or absurdly large.
    #[error("`expires_in` is unacceptable: {problem}")]
    InvalidExpiresIn {
        /// What is wrong with it.
        problem: ExpiresInProblem,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// `token_type` names a type this client cannot use (RFC 6749 §7.1).
    #[error("unsupported token_type {token_type:?}: expected Bearer, DPoP or N_A")]
    UnsupportedTokenType {
        /// The value sent (at most 64 characters, control characters replaced).
        token_type: String,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// A status that is neither success nor an OAuth error.
    #[error("unexpected HTTP status without an OAuth error body ({response})")]
    UnexpectedStatus {
        /// Status and content type.
        response: ResponseInfo,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// The body exceeds the configured limit.
    #[error("the response body has {length} bytes, more than the limit of {limit}")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
        /// The body length.
        length: usize,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// The JSON nests deeper than the configured limit.
    #[error("the response JSON nests deeper than {limit} levels")]
    NestingTooDeep {
        /// The limit.
        limit: usize,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// The strict profile found a deviation from the RFC.
    #[error("strict profile: {rule}")]
    StrictViolation {
        /// The rule broken, with its RFC section.
        rule: &'static str,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// A scope token has a character RFC 6749 §3.3 forbids: in a scope the caller built
    /// (a configuration error) or in one a server sent (then `response` is set).
    #[error("invalid scope: {reason}")]
    InvalidScope {
        /// Why.
        reason: &'static str,
        /// The response the scope came from; `None` for a scope the caller built.
        response: Option<ResponseInfo>,
    },
    /// A scope holds more tokens than [`crate::Scope::MAX_TOKENS`] (counted as sent,
    /// duplicates included): no real grant comes near, and the cap bounds the work a hostile
    /// `scope` member can cause.
    #[error("too many scope tokens: the limit is {limit}")]
    TooManyScopeTokens {
        /// The limit ([`crate::Scope::MAX_TOKENS`]).
        limit: usize,
        /// The response the scope came from; `None` for a scope the caller built.
        response: Option<ResponseInfo>,
    },
    /// A response member was sent more than once (RFC 8259 §4 leaves the meaning of
    /// duplicate names unpredictable). Refused under every profile before any member is read.
    #[error("the response member {member:?} was sent more than once")]
    DuplicateMember {
        /// The member name, as sent (at most 64 characters, control characters replaced).
        member: String,
        /// The response, once the parser attached it.
        response: Option<ResponseInfo>,
    },
    /// A URL could not be used.
    #[error("invalid URL: {reason}")]
    InvalidUrl {
        /// Why.
        reason: &'static str,
    },
    /// An `http` URL to a host that is not loopback, without the explicit opt-in.
    #[error("refusing plain http to a non-loopback host: use https (or Endpoint::parse_danger_allow_http for a test rig)")]
    InsecureEndpoint,
    /// A parameter would be sent twice, for example an extra parameter that would override a
    /// built-in one.
    #[error(
        "the parameter `{name}` is already set; extra parameters cannot override built-in ones"
    )]
    DuplicateParameter {
        /// Parameter name.
        name: String,
    },
    /// A parameter value is unusable.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A form-encoded body or component is malformed.
    #[error("malformed application/x-www-form-urlencoded data")]
    InvalidForm,
    /// A header could not be parsed.
    #[error("invalid {name} header: {reason}")]
    InvalidHeader {
        /// Header name.
        name: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A client assertion's audience rule needs a value the [`AuthorizationServer`](crate::AuthorizationServer)
    /// does not have (the issuer). Returned by [`Client::new`](crate::Client::new). A
    /// configuration error: retrying cannot help.
    #[error("the client assertion audience is {audience}, which this request was not given: {}", .audience.remedy())]
    AudienceUnavailable {
        /// The rule that was chosen.
        audience: crate::auth::AssertionAudience,
    },
    /// The request needs an endpoint the [`AuthorizationServer`](crate::AuthorizationServer)
    /// value does not have (for example an introspection request to a server configured without
    /// an introspection endpoint). A configuration error.
    #[error("the authorization server has no {endpoint} configured: set it on the AuthorizationServer value, or discover it from metadata")]
    EndpointNotConfigured {
        /// The metadata name of the endpoint (RFC 8414 §2), for example `introspection_endpoint`.
        endpoint: &'static str,
    },
    /// A client-authentication method failed for a reason retrying cannot fix (for example a
    /// key a signer in `grantwire-jose` refuses). The cause is the [`std::error::Error::source`],
    /// so a caller can downcast it to the signer's own error type.
    #[error("{method} client authentication failed: {source}")]
    ClientAuthentication {
        /// The method.
        method: AuthMethod,
        /// What went wrong (never key material).
        #[source]
        source: ErrorSource,
    },
    /// A client-authentication method could not complete for a reason that may pass: a remote
    /// signer or key store timed out or was unreachable. Custom signers return it so that a
    /// retry (the token lifecycle's backoff) is worth it; its kind is
    /// [`ErrorKind::Unavailable`].
    #[error("{method} client authentication is temporarily unavailable: {source}")]
    ClientAuthenticationUnavailable {
        /// The method.
        method: AuthMethod,
        /// What went wrong (never key material).
        #[source]
        source: ErrorSource,
    },
    /// An error from a companion crate (`grantwire-jose` converts its own error into this one,
    /// so one `?` works in a program using both), sorted into its family by that crate. The
    /// original error is the [`std::error::Error::source`].
    #[error("{source}")]
    External {
        /// The family the originating crate chose.
        kind: ErrorKind,
        /// The original error (never key material).
        #[source]
        source: ErrorSource,
    },
}

/// The four families of [`Error`], for a caller that wants to decide without matching every
/// variant. Exhaustive on purpose: a `match` on it needs no wildcard, and a new [`Error`]
/// variant always lands in one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The server said no: an OAuth error response (RFC 6749 §5.2) such as `invalid_client`
    /// ([`Error::oauth`] has it). Show [`ErrorCode::advice`]; retry only where the code says so.
    OAuth,
    /// The server said nonsense: a body that is not JSON, a missing or ill-typed member, an
    /// absurd value, a body too large or too deep, a duplicate member, a strict-profile
    /// violation, or a status that is neither success nor an OAuth error. The server (or
    /// something between) is broken; retrying later may help.
    InvalidResponse,
    /// You configured it wrong: a bad URL, an insecure endpoint, a duplicate or invalid
    /// parameter, a scope the caller built badly, an assertion audience the request cannot
    /// derive, a key the signer refuses. Repeating the same operation cannot succeed.
    Configuration,
    /// A local dependency failed for a reason that may pass (a remote signer or key store that
    /// timed out). Nothing was sent or received; retrying with backoff is the right answer.
    /// Kept apart from [`ErrorKind::Configuration`] because retrying helps, and from
    /// [`ErrorKind::InvalidResponse`] because no server answered.
    Unavailable,
}

impl ErrorKind {
    /// A stable snake_case name: `oauth`, `invalid_response`, `configuration`, `unavailable`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::OAuth => "oauth",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::Configuration => "configuration",
            ErrorKind::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an error keeps of the response it came from: the HTTP status and the `Content-Type`
/// (at most [`ResponseInfo::MAX_CONTENT_TYPE`] characters, control characters replaced, as
/// [`bounded_text`] does, token-like runs in its parameters redacted as in
/// [`crate::redacted_snippet`]). `Display` prints `HTTP 502, content type text/html` or
/// `HTTP 502, no content type`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseInfo {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, bounded and sanitised, when present.
    pub content_type: Option<String>,
}

impl ResponseInfo {
    /// Longest content type kept, in characters.
    pub const MAX_CONTENT_TYPE: usize = 100;

    /// The status and the bounded, sanitised `Content-Type` of a response.
    pub fn new(status: http::StatusCode, headers: &http::HeaderMap) -> Self {
        Self {
            status: status.as_u16(),
            content_type: headers.get(http::header::CONTENT_TYPE).map(|v| {
                // The media type as sent; its parameters (server text that could echo anything)
                // with every token-like run redacted, as in a body snippet.
                let raw = String::from_utf8_lossy(v.as_bytes());
                let (essence, params) = raw.split_once(';').unwrap_or((&raw, ""));
                let mut ct = essence.trim().to_owned();
                if !params.is_empty() {
                    ct.push(';');
                    ct.push_str(&crate::json::redacted_snippet(params.as_bytes()));
                }
                bounded_text(&ct, Self::MAX_CONTENT_TYPE)
            }),
        }
    }
}

impl fmt::Display for ResponseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}, ", self.status)?;
        match &self.content_type {
            // Filter again: the fields are public.
            Some(ct) => write!(
                f,
                "content type {}",
                bounded_text(ct, Self::MAX_CONTENT_TYPE)
            ),
            None => f.write_str("no content type"),
        }
    }
}

/// The cause of an error from outside the core (a signer, a key store, `grantwire-jose`): any
/// `std::error::Error + Send + Sync`, shared so [`Error`] stays `Clone`. [`Error`]'s
/// `source()` returns the original error itself, so it downcasts to its own type. Two values
/// are equal when they share the same original error.
///
/// ```
/// use grantwire::error::ErrorSource;
/// let a = ErrorSource::new("the HSM did not answer");
/// assert_eq!(a.to_string(), "the HSM did not answer");
/// assert_eq!(a, a.clone());
/// assert_ne!(a, ErrorSource::new("the HSM did not answer"));
/// ```
#[derive(Clone)]
pub struct ErrorSource(std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>);

impl ErrorSource {
    /// Wraps an error, or a message (`&str`, `String`) as an error.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Self(std::sync::Arc::from(error.into()))
    }
}

impl std::ops::Deref for ErrorSource {
    type Target = dyn std::error::Error + Send + Sync + 'static;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for ErrorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ErrorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq for ErrorSource {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ErrorSource {}

impl Error {
    /// The family of this error; see [`ErrorKind`]. Every variant maps to exactly one.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::OAuth(_) => ErrorKind::OAuth,
            Error::NotJson { .. }
            | Error::MissingMember { .. }
            | Error::WrongType { .. }
            | Error::InvalidValue { .. }
            | Error::InvalidExpiresIn { .. }
            | Error::UnsupportedTokenType { .. }
            | Error::UnexpectedStatus { .. }
            | Error::BodyTooLarge { .. }
            | Error::NestingTooDeep { .. }
            | Error::StrictViolation { .. }
            | Error::DuplicateMember { .. }
            | Error::InvalidForm
            | Error::InvalidHeader { .. } => ErrorKind::InvalidResponse,
            // A scope is configuration when the caller built it, nonsense when a server sent it.
            Error::InvalidScope { response, .. } | Error::TooManyScopeTokens { response, .. } => {
                if response.is_some() {
                    ErrorKind::InvalidResponse
                } else {
                    ErrorKind::Configuration
                }
            }
            Error::InvalidUrl { .. }
            | Error::InsecureEndpoint
            | Error::DuplicateParameter { .. }
            | Error::InvalidParameter { .. }
            | Error::AudienceUnavailable { .. }
            | Error::EndpointNotConfigured { .. }
            | Error::ClientAuthentication { .. } => ErrorKind::Configuration,
            Error::ClientAuthenticationUnavailable { .. } => ErrorKind::Unavailable,
            Error::External { kind, .. } => *kind,
        }
    }

    /// The status and content type of the response this error came from, for every error a
    /// response parser returns; `None` for errors that did not come from a response.
    pub fn response(&self) -> Option<ResponseInfo> {
        match self {
            Error::OAuth(e) => Some(ResponseInfo {
                status: e.status,
                content_type: e.content_type.clone(),
            }),
            Error::NotJson { response, .. } | Error::UnexpectedStatus { response, .. } => {
                Some(response.clone())
            }
            Error::MissingMember { response, .. }
            | Error::WrongType { response, .. }
            | Error::InvalidValue { response, .. }
            | Error::InvalidExpiresIn { response, .. }
            | Error::UnsupportedTokenType { response, .. }
            | Error::BodyTooLarge { response, .. }
            | Error::NestingTooDeep { response, .. }
            | Error::StrictViolation { response, .. }
            | Error::InvalidScope { response, .. }
            | Error::TooManyScopeTokens { response, .. }
            | Error::DuplicateMember { response, .. } => response.clone(),
            _ => None,
        }
    }

    /// Attaches the response this error came from, where the error has room for it and none is
    /// set yet. The parsers call it on every error they return.
    pub(crate) fn with_response(mut self, info: impl FnOnce() -> ResponseInfo) -> Self {
        match &mut self {
            Error::MissingMember { response, .. }
            | Error::WrongType { response, .. }
            | Error::InvalidValue { response, .. }
            | Error::InvalidExpiresIn { response, .. }
            | Error::UnsupportedTokenType { response, .. }
            | Error::BodyTooLarge { response, .. }
            | Error::NestingTooDeep { response, .. }
            | Error::StrictViolation { response, .. }
            | Error::InvalidScope { response, .. }
            | Error::TooManyScopeTokens { response, .. }
            | Error::DuplicateMember { response, .. }
                if response.is_none() =>
            {
                *response = Some(info());
            }
            _ => {}
        }
        self
    }

    /// How long the server asked to wait before retrying, from whichever failure carried it.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::OAuth(e) => e.retry_after,
            Error::NotJson { retry_after, .. } | Error::UnexpectedStatus { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// The OAuth error response, when the server sent one.
    pub fn oauth(&self) -> Option<&ErrorResponse> {
        match self {
            Error::OAuth(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this error comes from the caller's configuration: `kind() ==
    /// ErrorKind::Configuration` (endpoint, parameters, a scope the caller built, client
    /// authentication: a bad key, a missing issuer for the audience, ...), so repeating the
    /// same operation cannot succeed until the configuration changes. `false` for server
    /// answers, unparsable responses and [`ErrorKind::Unavailable`]. The token lifecycle halts
    /// on a request that cannot be built for a configuration error and retries the others with
    /// backoff.
    pub fn is_configuration(&self) -> bool {
        self.kind() == ErrorKind::Configuration
    }

    pub(crate) fn missing(member: &'static str) -> Self {
        Error::MissingMember {
            member,
            response: None,
        }
    }

    pub(crate) fn wrong_type(member: &'static str, expected: &'static str) -> Self {
        Error::WrongType {
            member,
            expected,
            response: None,
        }
    }

    pub(crate) fn invalid_value(member: &'static str, reason: &'static str) -> Self {
        Error::InvalidValue {
            member,
            reason,
            response: None,
        }
    }

    pub(crate) fn expires_in(problem: ExpiresInProblem) -> Self {
        Error::InvalidExpiresIn {
            problem,
            response: None,
        }
    }

    pub(crate) fn strict(rule: &'static str) -> Self {
        Error::StrictViolation {
            rule,
            response: None,
        }
    }
}

/// Why `expires_in` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiresInProblem {
    /// Below zero.
    Negative,
    /// Has a fractional part.
    Fractional,
    /// Not a number (or, in the strict profile, a string).
    NotANumber,
    /// Larger than the configured maximum, or past the end of representable time.
    TooLarge,
}

impl fmt::Display for ExpiresInProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExpiresInProblem::Negative => "negative",
            ExpiresInProblem::Fractional => "not a whole number of seconds",
            ExpiresInProblem::NotANumber => "not a number",
            ExpiresInProblem::TooLarge => "larger than the configured maximum lifetime",
        })
    }
}

/// An OAuth error code (RFC 6749 §5.2, §4.1.2.1; RFC 6750 §3.1; RFC 7009 §2.2.1; RFC 8707 §2;
/// RFC 8628 §3.5). Unknown codes are kept in [`ErrorCode::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request` (RFC 6749 §5.2).
    InvalidRequest,
    /// `invalid_client` (RFC 6749 §5.2).
    InvalidClient,
    /// `invalid_grant` (RFC 6749 §5.2).
    InvalidGrant,
    /// `unauthorized_client` (RFC 6749 §5.2).
    UnauthorizedClient,
    /// `unsupported_grant_type` (RFC 6749 §5.2).
    UnsupportedGrantType,
    /// `invalid_scope` (RFC 6749 §5.2).
    InvalidScope,
    /// `access_denied` (RFC 6749 §4.1.2.1).
    AccessDenied,
    /// `unsupported_response_type` (RFC 6749 §4.1.2.1).
    UnsupportedResponseType,
    /// `server_error` (RFC 6749 §4.1.2.1).
    ServerError,
    /// `temporarily_unavailable` (RFC 6749 §4.1.2.1).
    TemporarilyUnavailable,
    /// `invalid_token` (RFC 6750 §3.1).
    InvalidToken,
    /// `insufficient_scope` (RFC 6750 §3.1).
    InsufficientScope,
    /// `unsupported_token_type` (RFC 7009 §2.2.1).
    UnsupportedTokenType,
    /// `invalid_target` (RFC 8707 §2).
    InvalidTarget,
    /// `authorization_pending` (RFC 8628 §3.5).
    AuthorizationPending,
    /// `slow_down` (RFC 8628 §3.5).
    SlowDown,
    /// `expired_token` (RFC 8628 §3.5).
    ExpiredToken,
    /// Any other code, as sent (bounded and filtered by [`ErrorCode::parse`]: it comes from the
    /// server and is untrusted).
    Other(String),
}

impl ErrorCode {
    /// Reads a code; unknown ones become [`ErrorCode::Other`], kept to [`MAX_ERROR_CODE`]
    /// characters with control characters replaced (see [`bounded_text`]).
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "invalid_token" => Self::InvalidToken,
            "insufficient_scope" => Self::InsufficientScope,
            "unsupported_token_type" => Self::UnsupportedTokenType,
            "invalid_target" => Self::InvalidTarget,
            "authorization_pending" => Self::AuthorizationPending,
            "slow_down" => Self::SlowDown,
            "expired_token" => Self::ExpiredToken,
            other => Self::Other(bounded_text(other, MAX_ERROR_CODE)),
        }
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidTarget => "invalid_target",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::Other(s) => s,
        }
    }

    /// One line of advice a CLI can show next to the error.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::InvalidRequest => "The request is malformed or misses a parameter: check the grant's parameters and that no parameter is sent twice.",
            Self::InvalidClient => "The server did not accept the client credentials: check the client id, the secret or key, and the authentication method registered for the client.",
            Self::InvalidGrant => "The grant (code, refresh token or assertion) is invalid, expired, revoked or was issued to another client: obtain a new one.",
            Self::UnauthorizedClient => "This client may not use this grant type: enable the grant for the client in the authorization server's settings.",
            Self::UnsupportedGrantType => "The server does not support this grant type: check its metadata (grant_types_supported).",
            Self::InvalidScope => "A requested scope is unknown, malformed or not allowed for this client: request only scopes granted to the client.",
            Self::AccessDenied => "The resource owner or the server denied the request.",
            Self::UnsupportedResponseType => "The server does not support this response_type: check response_types_supported.",
            Self::ServerError => "The server failed: retry later, and report it if it persists.",
            Self::TemporarilyUnavailable => "The server is overloaded or in maintenance: retry after the delay it asks for.",
            Self::InvalidToken => "The access token is expired, revoked or malformed: obtain a new token.",
            Self::InsufficientScope => "The token lacks a scope the resource needs: request a token with that scope.",
            Self::UnsupportedTokenType => "The server cannot revoke this type of token: check the token_type_hint.",
            Self::InvalidTarget => "A requested resource or audience is unknown or not allowed for this client.",
            Self::AuthorizationPending => "The user has not completed the authorization yet: keep polling at the given interval.",
            Self::SlowDown => "Polling too fast: increase the interval by 5 seconds.",
            Self::ExpiredToken => "The device code expired: start the device flow again.",
            Self::Other(_) => "A code outside the RFCs: see the server's documentation and the error description.",
        }
    }

    /// Whether a human must act before a retry can succeed (bad credentials, a dead grant, a
    /// client not allowed the grant or scope). Automated retries of these only add load.
    pub fn needs_human(&self) -> bool {
        matches!(
            self,
            Self::InvalidClient
                | Self::InvalidGrant
                | Self::UnauthorizedClient
                | Self::InvalidScope
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error response (RFC 6749 §5.2) together with what the HTTP layer said: the status,
/// the `WWW-Authenticate` challenges (RFC 6750 §3, RFC 9110 §11.6.1) and `Retry-After`
/// (RFC 9110 §10.2.3) as a duration from the `now` given to the parser, at most
/// [`crate::challenge::MAX_RETRY_AFTER`].
///
/// **The text members come from the server and are untrusted.** A server may echo what it was
/// sent (a secret, a token) or send text meant to mislead a reader or drive a terminal. The
/// parser keeps `error_description` and `error_uri` to [`MAX_ERROR_TEXT`] characters and an
/// unknown `error` code to [`MAX_ERROR_CODE`], with every control character (newlines and the
/// escape of ANSI sequences included) and every bidirectional override replaced by U+FFFD
/// ([`bounded_text`]); `Display` applies the same filter again, so values set by hand are
/// printed safely too. Show them as the server's words, never as this library's.
///
/// ```
/// use grantwire::{ErrorCode, ErrorResponse};
/// let mut e = ErrorResponse::new(ErrorCode::InvalidGrant, 400);
/// e.error_description = Some("expired\n\u{1b}[31mFAKE LOG LINE\u{202e}".into());
/// assert_eq!(e.to_string(), "`invalid_grant` (HTTP 400): expired\u{fffd}\u{fffd}[31mFAKE LOG LINE\u{fffd}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The `error` code.
    pub error: ErrorCode,
    /// `error_description`, when sent.
    pub error_description: Option<String>,
    /// `error_uri`, when sent.
    pub error_uri: Option<String>,
    /// The HTTP status.
    pub status: u16,
    /// The response's `Content-Type` (bounded and sanitised as in [`ResponseInfo`]), when the
    /// parser saw one.
    pub content_type: Option<String>,
    /// Parsed `WWW-Authenticate` challenges (empty when absent or malformed).
    pub challenges: Vec<Challenge>,
    /// How long the server asks the client to wait, when it said so.
    pub retry_after: Option<Duration>,
}

impl ErrorResponse {
    /// An error response with just a code and status (for tests and servers).
    pub fn new(error: ErrorCode, status: u16) -> Self {
        Self {
            error,
            error_description: None,
            error_uri: None,
            status,
            content_type: None,
            challenges: Vec::new(),
            retry_after: None,
        }
    }

    /// [`ErrorCode::advice`] for this error.
    pub fn advice(&self) -> &'static str {
        self.error.advice()
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The fields are public: filter again, whoever filled them.
        let code = bounded_text(self.error.as_str(), MAX_ERROR_CODE);
        write!(f, "`{code}` (HTTP {})", self.status)?;
        if let Some(d) = &self.error_description {
            write!(f, ": {}", bounded_text(d, MAX_ERROR_TEXT))?;
        }
        Ok(())
    }
}

/// Longest `error_description` / `error_uri` kept from a server, in characters.
pub const MAX_ERROR_TEXT: usize = 512;

/// Longest unknown `error` code kept from a server, in characters.
pub const MAX_ERROR_CODE: usize = 64;

/// Whether `c` must not reach a log or terminal as is: control characters (C0, DEL, C1: line
/// breaks, the escape that starts ANSI sequences) and the bidirectional controls that reorder
/// displayed text (Unicode TR 9: LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI, LRM/RLM/ALM).
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
}

/// Server-supplied text made safe to keep and print: at most `max_chars` characters (a longer
/// text is cut and ends with `…`), each control or bidirectional-override character replaced
/// by U+FFFD. Linear in the characters kept.
///
/// ```
/// use grantwire::error::bounded_text;
/// assert_eq!(bounded_text("line\nbreak", 100), "line\u{fffd}break");
/// assert_eq!(bounded_text("abcdef", 4), "abc…");
/// ```
pub fn bounded_text(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars.saturating_mul(4)));
    if max_chars == 0 {
        return out;
    }
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            // One character too many: the last kept one becomes the ellipsis.
            out.pop();
            out.push('…');
            break;
        }
        out.push(if is_unsafe_char(c) { '\u{fffd}' } else { c });
    }
    out
}
