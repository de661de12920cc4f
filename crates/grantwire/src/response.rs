//! Token responses (RFC 6749 §5.1) and error responses (RFC 6749 §5.2), parsed from status,
//! headers and body bytes under a [`Profile`].

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use crate::challenge::{parse_retry_after, parse_www_authenticate};
use crate::error::{bounded_text, ErrorCode, ErrorResponse, ExpiresInProblem, MAX_ERROR_TEXT};
use crate::json::{self, Member, Members, ReadError};
use crate::secret::{AccessToken, RefreshToken, SecretString};
use crate::{Error, Scope};

/// How forgiving a parser is. Chosen by the caller; the parsed value lists the
/// [`Quirk`]s that were needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Profile {
    /// Every deviation from RFC 6749 §5.1 is an error: HTTP 200 only, `Content-Type:
    /// application/json`, `Cache-Control: no-store`, `expires_in` a JSON integer, no `null`
    /// members, access tokens of VSCHAR only (Appendix A.12).
    Strict,
    /// Tolerates harmless deviations: `expires_in` as a decimal string (Azure AD v1, PayPal),
    /// any 2xx status, any content type, `null` for optional members.
    #[default]
    Default,
    /// Also accepts `scope` as a JSON array or comma-separated list, and form-encoded bodies
    /// (some older providers).
    Lenient,
}

/// Limits and profile for the response parsers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// The profile.
    pub profile: Profile,
    /// Accept plain-`http` endpoint URLs to any host in a metadata document (RFC 8414 §2
    /// members such as `token_endpoint`). Off by default: then `http` is accepted only for
    /// loopback hosts, whatever the issuer's scheme, so a document fetched from a loopback
    /// issuer cannot send credentials in clear text to another host. Only for test rigs and
    /// networks the caller controls. The other parsers ignore it.
    pub danger_allow_http_endpoints: bool,
    /// Largest body accepted, in bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// Deepest JSON nesting accepted (default 16).
    pub max_depth: usize,
    /// Largest `expires_in` accepted, in seconds (default ten years).
    pub max_expires_in: u64,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            profile: Profile::Default,
            danger_allow_http_endpoints: false,
            max_body_bytes: 1024 * 1024,
            max_depth: 16,
            max_expires_in: 10 * 365 * 24 * 3600,
        }
    }
}

impl ParseOptions {
    /// Default limits with `profile`.
    pub fn with_profile(profile: Profile) -> Self {
        Self {
            profile,
            ..Self::default()
        }
    }
}

/// A deviation from the RFC that a profile tolerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Quirk {
    /// `expires_in` came as a decimal string.
    ExpiresInString = 0,
    /// A 2xx status other than 200.
    NonOkSuccessStatus = 1,
    /// A `Content-Type` other than `application/json`.
    ContentTypeNotJson = 2,
    /// An optional member was `null`.
    NullMember = 3,
    /// `scope` came as a JSON array (lenient).
    ScopeArray = 4,
    /// `scope` came comma-separated (lenient).
    ScopeCommaSeparated = 5,
    /// The body was form-encoded (lenient).
    FormEncodedBody = 6,
}

const ALL_QUIRKS: [Quirk; 7] = [
    Quirk::ExpiresInString,
    Quirk::NonOkSuccessStatus,
    Quirk::ContentTypeNotJson,
    Quirk::NullMember,
    Quirk::ScopeArray,
    Quirk::ScopeCommaSeparated,
    Quirk::FormEncodedBody,
];

/// The set of [`Quirk`]s applied while parsing (no allocation).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Quirks(u8);

impl Quirks {
    pub(crate) fn add(&mut self, q: Quirk) {
        self.0 |= 1 << (q as u8);
    }
    /// Whether `q` was applied.
    pub fn contains(&self, q: Quirk) -> bool {
        self.0 & (1 << (q as u8)) != 0
    }
    /// Whether the response needed no quirk at all.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    /// The quirks applied.
    pub fn iter(&self) -> impl Iterator<Item = Quirk> + '_ {
        ALL_QUIRKS.into_iter().filter(|q| self.contains(*q))
    }
}

impl fmt::Debug for Quirks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The access token type (RFC 6749 §7.1), compared case-insensitively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449).
    DPoP,
    /// `N_A`: the issued token is not an access token (RFC 8693 §2.2.1).
    NotApplicable,
}

impl TokenType {
    /// Case-insensitive match of a `token_type` value.
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("bearer") {
            Some(Self::Bearer)
        } else if s.eq_ignore_ascii_case("dpop") {
            Some(Self::DPoP)
        } else if s.eq_ignore_ascii_case("n_a") {
            Some(Self::NotApplicable)
        } else {
            None
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::DPoP => "DPoP",
            Self::NotApplicable => "N_A",
        }
    }
}

/// When a token expires: known from `expires_in`, or unknown because the server did not say.
/// Never "valid forever": callers decide a default lifetime for [`Expiry::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// The token expires at this time (receive time + `expires_in`).
    At(SystemTime),
    /// The response had no `expires_in` (RFC 6749 §5.1 makes it RECOMMENDED, not required).
    Unknown,
}

/// A successful token response (RFC 6749 §5.1; RFC 8693 §2.2.1 `issued_token_type`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use grantwire::{TokenResponse, TokenType};
/// let body = br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example","expires_in":3600}"#;
/// let now = UNIX_EPOCH + Duration::from_secs(1_000);
/// // "example" is not a type this client can use:
/// assert!(TokenResponse::parse(http::StatusCode::OK, &http::HeaderMap::new(), body, now).is_err());
/// let body = br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"bearer","expires_in":3600}"#;
/// let t = TokenResponse::parse(http::StatusCode::OK, &http::HeaderMap::new(), body, now).unwrap();
/// assert_eq!(t.token_type(), TokenType::Bearer);
/// assert_eq!(t.expires_at(), Some(now + Duration::from_secs(3600)));
/// ```
#[derive(Clone)]
pub struct TokenResponse {
    access_token: AccessToken,
    token_type: TokenType,
    expires_in: Option<Duration>,
    received_at: SystemTime,
    refresh_token: Option<RefreshToken>,
    scope: Option<Scope>,
    id_token: Option<SecretString>,
    issued_token_type: Option<String>,
    extra: Map<String, Value>,
    quirks: Quirks,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values of unknown members may be secrets too: print their names only.
        f.debug_struct("TokenResponse")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("received_at", &self.received_at)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .field("id_token", &self.id_token)
            .field("issued_token_type", &self.issued_token_type)
            .field("extra_members", &self.extra.keys().collect::<Vec<_>>())
            .field("quirks", &self.quirks)
            .finish()
    }
}

impl TokenResponse {
    /// A token built in code (tests, caches restored from storage).
    pub fn new(access_token: AccessToken, token_type: TokenType, received_at: SystemTime) -> Self {
        Self {
            access_token,
            token_type,
            expires_in: None,
            received_at,
            refresh_token: None,
            scope: None,
            id_token: None,
            issued_token_type: None,
            extra: Map::new(),
            quirks: Quirks::default(),
        }
    }

    /// Sets the lifetime.
    pub fn with_expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = Some(expires_in);
        self
    }

    /// Sets the refresh token.
    pub fn with_refresh_token(mut self, token: RefreshToken) -> Self {
        self.refresh_token = Some(token);
        self
    }

    /// Sets the granted scope.
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Parses with the default profile and limits.
    pub fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        received_at: SystemTime,
    ) -> Result<Self, Error> {
        Self::parse_with(status, headers, body, received_at, &ParseOptions::default())
    }

    /// Parses an `http::Response` with the default profile and limits.
    pub fn from_http<B: AsRef<[u8]>>(
        response: &http::Response<B>,
        received_at: SystemTime,
    ) -> Result<Self, Error> {
        Self::parse(
            response.status(),
            response.headers(),
            response.body().as_ref(),
            received_at,
        )
    }

    /// Parses a token endpoint response. `received_at` is when the response arrived (the caller's
    /// clock); expiry is computed from it. An `error` member, whatever the status, gives
    /// [`Error::OAuth`].
    pub fn parse_with(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        received_at: SystemTime,
        opts: &ParseOptions,
    ) -> Result<Self, Error> {
        let mut quirks = Quirks::default();
        let known = read_body(
            status,
            headers,
            body,
            received_at,
            opts,
            &TOKEN_KEYS,
            &mut quirks,
        )?;
        if !status.is_success() {
            return Err(non_error_failure(status, headers, received_at));
        }
        check_success_headers(status, headers, opts, &mut quirks)?;
        build_token(known, received_at, opts, quirks)
    }

    /// The access token.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    /// The token type.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }
    /// `expires_in`, when sent.
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_in
    }
    /// When the response was received (as told to the parser).
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }
    /// The expiry: known, or unknown.
    pub fn expiry(&self) -> Expiry {
        match self.expires_at() {
            Some(t) => Expiry::At(t),
            None => Expiry::Unknown,
        }
    }
    /// `received_at + expires_in`, when `expires_in` was sent.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_in
            .and_then(|d| self.received_at.checked_add(d))
    }
    /// The refresh token, when issued.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    /// The granted scope, when the server said (RFC 6749 §5.1: absent means as requested).
    pub fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
    }
    /// The OpenID Connect ID token, when issued (not validated here).
    pub fn id_token(&self) -> Option<&SecretString> {
        self.id_token.as_ref()
    }
    /// `issued_token_type` (RFC 8693 §2.2.1).
    pub fn issued_token_type(&self) -> Option<&str> {
        self.issued_token_type.as_deref()
    }
    /// Members this parser does not know, as sent.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }
    /// The quirks the profile applied.
    pub fn quirks(&self) -> Quirks {
        self.quirks
    }
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("application/json")
            || (essence.len() > 5
                && essence[..essence.len() - 5].contains('/')
                && essence.to_ascii_lowercase().ends_with("+json"))
    })
}

fn is_form_content_type(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now).ok())
}

/// The failure for a non-2xx response that carries no OAuth error.
fn non_error_failure(status: StatusCode, headers: &HeaderMap, now: SystemTime) -> Error {
    Error::UnexpectedStatus {
        status: status.as_u16(),
        retry_after: retry_after(headers, now),
    }
}

/// Reads any response body into the slots of `names`, the same way under every profile, before
/// any member is interpreted: size and status checks, JSON (the lenient profile also takes form
/// bodies), then duplicate members refused ([`Error::DuplicateMember`]), then an `error` member
/// turned into [`Error::OAuth`] whatever the status. `names` must hold `error`,
/// `error_description` and `error_uri`.
pub(crate) fn read_body<'b, const N: usize>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &'b [u8],
    now: SystemTime,
    opts: &ParseOptions,
    names: &[&'static str; N],
    quirks: &mut Quirks,
) -> Result<json::Known<'b, N>, Error> {
    if body.len() > opts.max_body_bytes {
        return Err(Error::BodyTooLarge {
            limit: opts.max_body_bytes,
            length: body.len(),
        });
    }
    if status.is_informational() || status.is_redirection() {
        return Err(non_error_failure(status, headers, now));
    }
    let not_json = || Error::NotJson {
        status: status.as_u16(),
        content_type: content_type(headers).map(|c| c.chars().take(100).collect()),
        snippet: json::redacted_snippet(body),
        retry_after: retry_after(headers, now),
    };
    let lenient = opts.profile == Profile::Lenient;
    let known = if lenient && is_form_content_type(headers) {
        quirks.add(Quirk::FormEncodedBody);
        json::Known::from_members(names, json::read_form(body).ok_or_else(not_json)?)
    } else {
        match json::read_known(body, opts.max_depth, names) {
            Ok(k) => k,
            Err(ReadError::TooDeep) => {
                return Err(Error::NestingTooDeep {
                    limit: opts.max_depth,
                })
            }
            Err(ReadError::NotObject) if status.is_success() => {
                return Err(Error::WrongType {
                    member: "(body)",
                    expected: "a JSON object",
                })
            }
            Err(_) if lenient => match json::read_form(body) {
                Some(m) if m.iter().any(|(k, _)| k == "access_token" || k == "error") => {
                    quirks.add(Quirk::FormEncodedBody);
                    json::Known::from_members(names, m)
                }
                _ => return Err(not_json()),
            },
            Err(ReadError::NotObject) => return Err(non_error_failure(status, headers, now)),
            Err(ReadError::NotJson) => return Err(not_json()),
        }
    };
    // RFC 8259 §4: with duplicate names, what a reader sees is unpredictable; refuse them before
    // reading any value, so no profile can come to a different answer.
    if let Some(name) = known.duplicate() {
        return Err(Error::DuplicateMember {
            member: bounded_text(&name, MAX_NAME_CHARS),
        });
    }
    if known.get(names, "error").is_some() {
        let get = |name: &str| known.get(names, name);
        return Err(Error::OAuth(Box::new(error_response(
            &get, status, headers, now, opts,
        )?)));
    }
    Ok(known)
}

/// Longest member name kept in [`Error::DuplicateMember`].
const MAX_NAME_CHARS: usize = 64;

/// [`read_body`] for parsers that walk the members as a list: the members of RFC 6749 §5.2 in
/// their slots, every other member in the list.
pub(crate) fn read_members<'b>(
    status: StatusCode,
    headers: &HeaderMap,
    body: &'b [u8],
    now: SystemTime,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Members<'b>, Error> {
    read_body(status, headers, body, now, opts, &ERROR_MEMBERS, quirks)
        .map(|k| k.into_members(&ERROR_MEMBERS))
}

/// The members of an RFC 6749 §5.2 error response.
const ERROR_MEMBERS: [&str; 3] = ["error", "error_description", "error_uri"];

/// Builds the [`ErrorResponse`] of RFC 6749 §5.2 from members that include `error`; `get` looks
/// a member up.
fn error_response<'m, 'b: 'm>(
    get: &dyn Fn(&str) -> Option<&'m Member<'b>>,
    status: StatusCode,
    headers: &HeaderMap,
    now: SystemTime,
    opts: &ParseOptions,
) -> Result<ErrorResponse, Error> {
    let strict = opts.profile == Profile::Strict;
    let code = match get("error") {
        Some(Member::Str(s)) if !s.is_empty() => s,
        Some(Member::Str(_)) => {
            return Err(Error::InvalidValue {
                member: "error",
                reason: "empty",
            })
        }
        _ => {
            return Err(Error::WrongType {
                member: "error",
                expected: "a string",
            })
        }
    };
    // RFC 6749 §5.2: error, error_description and error_uri use restricted character sets.
    let nqschar = |s: &str| {
        s.bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    };
    if strict && !nqschar(code) {
        return Err(Error::StrictViolation {
            rule: "RFC 6749 §5.2: `error` must be %x20-21 / %x23-5B / %x5D-7E",
        });
    }
    let text = |name: &'static str| -> Result<Option<String>, Error> {
        match get(name) {
            None => Ok(None),
            Some(Member::Str(s)) => {
                if strict && !nqschar(s) {
                    return Err(Error::StrictViolation {
                        rule: "RFC 6749 §5.2: error_description and error_uri use %x20-21 / %x23-5B / %x5D-7E",
                    });
                }
                // Server text: bounded and stripped of control characters, so a hostile
                // server can neither make errors huge nor drive a terminal or log.
                Ok(Some(bounded_text(s, MAX_ERROR_TEXT)))
            }
            Some(_) if strict => Err(Error::WrongType {
                member: name,
                expected: "a string",
            }),
            Some(_) => Ok(None),
        }
    };
    let mut resp = ErrorResponse::new(ErrorCode::parse(code), status.as_u16());
    resp.error_description = text("error_description")?;
    resp.error_uri = text("error_uri")?;
    resp.challenges = headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| parse_www_authenticate(v).ok())
        .flatten()
        .collect();
    resp.retry_after = retry_after(headers, now);
    Ok(resp)
}

/// Status and header checks for a successful response.
pub(crate) fn check_success_headers(
    status: StatusCode,
    headers: &HeaderMap,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<(), Error> {
    let strict = opts.profile == Profile::Strict;
    if status != StatusCode::OK {
        if strict {
            return Err(Error::StrictViolation {
                rule: "RFC 6749 §5.1: a successful token response has status 200",
            });
        }
        quirks.add(Quirk::NonOkSuccessStatus);
    }
    if !quirks.contains(Quirk::FormEncodedBody) && !is_json_content_type(headers) {
        if strict {
            return Err(Error::StrictViolation {
                rule: "RFC 6749 §5.1: the response uses the application/json media type",
            });
        }
        quirks.add(Quirk::ContentTypeNotJson);
    }
    if strict {
        let no_store = headers
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|d| d.trim().eq_ignore_ascii_case("no-store"));
        if !no_store {
            return Err(Error::StrictViolation {
                rule: "RFC 6749 §5.1: responses with tokens carry Cache-Control: no-store",
            });
        }
    }
    Ok(())
}

/// The members of a token response (RFC 6749 §5.1, RFC 8693 §2.2.1) followed by those of an
/// error response (§5.2), in slot order.
const TOKEN_KEYS: [&str; 10] = [
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "id_token",
    "issued_token_type",
    "error",
    "error_description",
    "error_uri",
];

/// Takes an optional string member; `null` is absent outside strict.
fn opt_string(
    m: Option<Member<'_>>,
    name: &'static str,
    strict: bool,
    quirks: &mut Quirks,
) -> Result<Option<String>, Error> {
    match m {
        None => Ok(None),
        Some(Member::Null) if !strict => {
            quirks.add(Quirk::NullMember);
            Ok(None)
        }
        Some(Member::Str(s)) => Ok(Some(s.into_owned())),
        Some(_) => Err(Error::WrongType {
            member: name,
            expected: "a string",
        }),
    }
}

/// Reads `expires_in` as seconds.
pub(crate) fn expires_in_secs(
    m: Member<'_>,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Option<u64>, Error> {
    let strict = opts.profile == Profile::Strict;
    let secs = match m {
        Member::U64(n) => n,
        Member::I64(_) => return Err(Error::InvalidExpiresIn(ExpiresInProblem::Negative)),
        Member::F64(f) => {
            if f.is_nan() || f.fract() != 0.0 {
                return Err(Error::InvalidExpiresIn(ExpiresInProblem::Fractional));
            }
            if f < 0.0 {
                return Err(Error::InvalidExpiresIn(ExpiresInProblem::Negative));
            }
            if f > opts.max_expires_in as f64 {
                return Err(Error::InvalidExpiresIn(ExpiresInProblem::TooLarge));
            }
            f as u64
        }
        Member::Str(s) if !strict => {
            let t = s.trim();
            let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
            if digits(t) {
                quirks.add(Quirk::ExpiresInString);
                t.parse::<u64>()
                    .map_err(|_| Error::InvalidExpiresIn(ExpiresInProblem::TooLarge))?
            } else if t.strip_prefix('-').is_some_and(digits) {
                return Err(Error::InvalidExpiresIn(ExpiresInProblem::Negative));
            } else if t
                .split_once('.')
                .is_some_and(|(a, b)| digits(a) && digits(b))
            {
                return Err(Error::InvalidExpiresIn(ExpiresInProblem::Fractional));
            } else {
                return Err(Error::InvalidExpiresIn(ExpiresInProblem::NotANumber));
            }
        }
        Member::Null if !strict => {
            quirks.add(Quirk::NullMember);
            return Ok(None);
        }
        _ => return Err(Error::InvalidExpiresIn(ExpiresInProblem::NotANumber)),
    };
    if secs > opts.max_expires_in {
        return Err(Error::InvalidExpiresIn(ExpiresInProblem::TooLarge));
    }
    Ok(Some(secs))
}

/// Reads `scope` under the profile.
pub(crate) fn read_scope(
    m: Member<'_>,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Option<Scope>, Error> {
    let lenient = opts.profile == Profile::Lenient;
    match m {
        Member::Str(s) => {
            if lenient && s.contains(',') && !s.contains(' ') {
                quirks.add(Quirk::ScopeCommaSeparated);
                return Scope::from_tokens(s.split(',').map(str::trim).filter(|t| !t.is_empty()))
                    .map(Some);
            }
            match s {
                Cow::Owned(o) => Scope::from_owned(o).map(Some),
                Cow::Borrowed(b) => Scope::from_owned(b.to_owned()).map(Some),
            }
        }
        Member::Array(items) if lenient => {
            quirks.add(Quirk::ScopeArray);
            if items.len() > Scope::MAX_TOKENS {
                return Err(Error::TooManyScopeTokens {
                    limit: Scope::MAX_TOKENS,
                });
            }
            let tokens = items
                .iter()
                .map(|item| match item {
                    Member::Str(t) => Ok(&**t),
                    _ => Err(Error::WrongType {
                        member: "scope",
                        expected: "an array of strings",
                    }),
                })
                .collect::<Result<Vec<&str>, Error>>()?;
            Scope::from_tokens(tokens).map(Some)
        }
        Member::Null if opts.profile != Profile::Strict => {
            quirks.add(Quirk::NullMember);
            Ok(None)
        }
        _ => Err(Error::WrongType {
            member: "scope",
            expected: "a space-delimited string",
        }),
    }
}

fn build_token(
    known: json::Known<'_, 10>,
    received_at: SystemTime,
    opts: &ParseOptions,
    mut quirks: Quirks,
) -> Result<TokenResponse, Error> {
    let strict = opts.profile == Profile::Strict;
    let json::Known {
        slots:
            [access_token, token_type, expires_in, refresh_token, scope, id_token, issued_token_type, _, error_description, error_uri],
        extra,
        ..
    } = known;
    let mut extra: Map<String, Value> = extra
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_value()))
        .collect();
    let expires_in = match expires_in {
        Some(v) => expires_in_secs(v, opts, &mut quirks)?,
        None => None,
    };
    let refresh_token = opt_string(refresh_token, "refresh_token", strict, &mut quirks)?;
    let scope = match scope {
        Some(v) => read_scope(v, opts, &mut quirks)?,
        None => None,
    };
    let id_token = opt_string(id_token, "id_token", strict, &mut quirks)?;
    let issued_token_type =
        opt_string(issued_token_type, "issued_token_type", strict, &mut quirks)?;
    // Without `error`, these are just unknown members.
    for (name, value) in [
        ("error_description", error_description),
        ("error_uri", error_uri),
    ] {
        if let Some(v) = value {
            extra.insert(name.to_owned(), v.into_value());
        }
    }
    let access_token = match access_token {
        None => {
            return Err(Error::MissingMember {
                member: "access_token",
            })
        }
        Some(Member::Str(s)) if s.is_empty() => {
            return Err(Error::InvalidValue {
                member: "access_token",
                reason: "empty",
            })
        }
        Some(Member::Str(s)) => {
            // RFC 6749 Appendix A.12: access-token = 1*VSCHAR.
            if strict && !s.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
                return Err(Error::StrictViolation {
                    rule: "RFC 6749 Appendix A.12: access_token is 1*VSCHAR",
                });
            }
            AccessToken::new(s.into_owned())
        }
        Some(_) => {
            return Err(Error::WrongType {
                member: "access_token",
                expected: "a string",
            })
        }
    };
    let token_type = match token_type {
        None => {
            return Err(Error::MissingMember {
                member: "token_type",
            })
        }
        Some(Member::Str(s)) => {
            TokenType::parse(&s).ok_or_else(|| Error::UnsupportedTokenType {
                token_type: s.chars().take(64).collect(),
            })?
        }
        Some(_) => {
            return Err(Error::WrongType {
                member: "token_type",
                expected: "a string",
            })
        }
    };
    let expires_in = expires_in.map(Duration::from_secs);
    if let Some(d) = expires_in {
        if received_at.checked_add(d).is_none() {
            return Err(Error::InvalidExpiresIn(ExpiresInProblem::TooLarge));
        }
    }
    Ok(TokenResponse {
        access_token,
        token_type,
        expires_in,
        received_at,
        refresh_token: refresh_token
            .filter(|r| !r.is_empty())
            .map(RefreshToken::new),
        scope: scope.filter(|s| !s.is_empty()),
        id_token: id_token.map(SecretString::new),
        issued_token_type,
        extra,
        quirks,
    })
}

/// Parses a response that is expected to be an OAuth error (RFC 6749 §5.2) — for example the
/// answer to a revocation or introspection request — returning the [`ErrorResponse`] or the
/// typed reason it is not one.
pub fn parse_error_response(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
    opts: &ParseOptions,
) -> Result<ErrorResponse, Error> {
    let mut quirks = Quirks::default();
    match read_members(status, headers, body, now, opts, &mut quirks) {
        Err(Error::OAuth(e)) => Ok(*e),
        Err(e) => Err(e),
        Ok(_) => Err(Error::MissingMember { member: "error" }),
    }
}
