//! The crate's error type and the OAuth error response (RFC 6749 §5.2).

use std::fmt;
use std::time::Duration;

use crate::auth::AuthMethod;
use crate::challenge::Challenge;

/// Everything that can go wrong in grantwire's core. The OAuth error a server answered
/// ([`Error::OAuth`]) is kept apart from responses that make no sense, so a caller can match on
/// `invalid_client` and show [`ErrorCode::advice`].
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
    #[error(
        "the response is not JSON (HTTP {status}, content type {content_type:?}): {snippet:?}"
    )]
    NotJson {
        /// HTTP status.
        status: u16,
        /// The `Content-Type` header, when present.
        content_type: Option<String>,
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
    },
    /// A member has the wrong JSON type.
    #[error("the response member `{member}` is not {expected}")]
    WrongType {
        /// Member name.
        member: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// A member has a value that cannot be right.
    #[error("the response member `{member}` is unacceptable: {reason}")]
    InvalidValue {
        /// Member name.
        member: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// `expires_in` is negative, fractional, not a number, or absurdly large.
    #[error("`expires_in` is unacceptable: {0}")]
    InvalidExpiresIn(ExpiresInProblem),
    /// `token_type` names a type this client cannot use (RFC 6749 §7.1).
    #[error("unsupported token_type {token_type:?}: expected Bearer, DPoP or N_A")]
    UnsupportedTokenType {
        /// The value sent (truncated to 64 characters).
        token_type: String,
    },
    /// A status that is neither success nor an OAuth error.
    #[error("unexpected HTTP status {status} without an OAuth error body")]
    UnexpectedStatus {
        /// HTTP status.
        status: u16,
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
    },
    /// The JSON nests deeper than the configured limit.
    #[error("the response JSON nests deeper than {limit} levels")]
    NestingTooDeep {
        /// The limit.
        limit: usize,
    },
    /// The strict profile found a deviation from the RFC.
    #[error("strict profile: {rule}")]
    StrictViolation {
        /// The rule broken, with its RFC section.
        rule: &'static str,
    },
    /// A scope token has a character RFC 6749 §3.3 forbids.
    #[error("invalid scope: {reason}")]
    InvalidScope {
        /// Why.
        reason: &'static str,
    },
    /// A scope holds more tokens than [`crate::Scope::MAX_TOKENS`] (counted as sent,
    /// duplicates included): no real grant comes near, and the cap bounds the work a hostile
    /// `scope` member can cause.
    #[error("too many scope tokens: the limit is {limit}")]
    TooManyScopeTokens {
        /// The limit ([`crate::Scope::MAX_TOKENS`]).
        limit: usize,
    },
    /// A response member was sent more than once (RFC 8259 §4 leaves the meaning of
    /// duplicate names unpredictable). Refused under every profile before any member is read.
    #[error("the response member {member:?} was sent more than once")]
    DuplicateMember {
        /// The member name, as sent (at most 64 characters, control characters replaced).
        member: String,
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
    /// A client-authentication method failed (for example a signer in `grantwire-jose`).
    #[error("{method} client authentication failed: {message}")]
    ClientAuthentication {
        /// The method.
        method: AuthMethod,
        /// What went wrong (never key material).
        message: String,
    },
    /// A client-authentication method could not complete for a reason that may pass: a remote
    /// signer or key store timed out or was unreachable. Custom signers return it so that a
    /// retry (the token lifecycle's backoff) is worth it; see [`Error::is_configuration`].
    #[error("{method} client authentication is temporarily unavailable: {message}")]
    ClientAuthenticationUnavailable {
        /// The method.
        method: AuthMethod,
        /// What went wrong (never key material).
        message: String,
    },
}

impl Error {
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
}

impl Error {
    /// Whether this error comes from the caller's configuration (endpoint, parameters, scope,
    /// client authentication: a bad key, a missing issuer for the audience, ...), so repeating
    /// the same operation cannot succeed until the configuration changes. `false` for server
    /// answers, unparsable responses and [`Error::ClientAuthenticationUnavailable`]. The token
    /// lifecycle halts on a request that cannot be built for a configuration error and retries
    /// the others with backoff.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Error::InvalidScope { .. }
                | Error::InvalidUrl { .. }
                | Error::InsecureEndpoint
                | Error::DuplicateParameter { .. }
                | Error::InvalidParameter { .. }
                | Error::AudienceUnavailable { .. }
                | Error::EndpointNotConfigured { .. }
                | Error::ClientAuthentication { .. }
        )
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
