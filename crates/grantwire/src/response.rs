//! Token responses (RFC 6749 §5.1), parsed from a response under a [`Profile`]; an error
//! response (RFC 6749 §5.2) gives [`Error::OAuth`].

use std::fmt;
use std::time::{Duration, SystemTime};

use http::header::CACHE_CONTROL;
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::error::{bounded_text, ExpiresInProblem};
use crate::json::{self, Member};
use crate::parse::{
    opt_str, read_body_into, read_scope, success_checks, unexpected_status, ResponseView,
};
use crate::profile::{ParseOptions, Profile, Quirk, Quirks};
use crate::secret::{AccessToken, RefreshToken, SecretString};
use crate::{Error, Scope};

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
/// assert!(TokenResponse::parse((http::StatusCode::OK, &http::HeaderMap::new(), body), now).is_err());
/// let body = br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"bearer","expires_in":3600}"#;
/// let t = TokenResponse::parse((http::StatusCode::OK, &http::HeaderMap::new(), body), now).unwrap();
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

    /// Parses with the default profile and limits; see [`TokenResponse::parse_with`].
    pub fn parse<'a>(
        response: impl Into<ResponseView<'a>>,
        received_at: SystemTime,
    ) -> Result<Self, Error> {
        Self::parse_with(response, received_at, &ParseOptions::default())
    }

    /// Parses a token endpoint response (an `&http::Response<B>` or a `(status, &headers,
    /// &body)` tuple, see [`ResponseView`]) under `opts`. `received_at` is when the response
    /// arrived (the caller's wall clock): [`TokenResponse::expires_at`] is computed from it,
    /// and it turns an HTTP-date `Retry-After` into a duration. An `error` member, whatever the
    /// status, gives [`Error::OAuth`]; every error carries the response's status and content
    /// type ([`Error::response`]).
    pub fn parse_with<'a>(
        response: impl Into<ResponseView<'a>>,
        received_at: SystemTime,
        opts: &ParseOptions,
    ) -> Result<Self, Error> {
        let r = response.into();
        Self::read(r, received_at, opts).map_err(|e| e.with_response(|| r.info()))
    }

    fn read(
        r: ResponseView<'_>,
        received_at: SystemTime,
        opts: &ParseOptions,
    ) -> Result<Self, Error> {
        let mut quirks = Quirks::default();
        let mut known = json::Known::empty();
        read_body_into(r, received_at, opts, &TOKEN_KEYS, &mut quirks, &mut known)?;
        if !r.status.is_success() {
            return Err(unexpected_status(r, received_at));
        }
        success_checks(
            r,
            opts,
            [
                "RFC 6749 §5.1: a successful token response has status 200",
                "RFC 6749 §5.1: the response uses the application/json media type",
            ],
            &mut quirks,
        )?;
        if opts.profile == Profile::Strict && !no_store(r.headers) {
            return Err(Error::strict(
                "RFC 6749 §5.1: responses with tokens carry Cache-Control: no-store",
            ));
        }
        build_token(&mut known, received_at, opts, quirks)
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

/// Whether `Cache-Control` has `no-store` (RFC 6749 §5.1).
fn no_store(headers: &HeaderMap) -> bool {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
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

/// Reads `expires_in` as seconds.
pub(crate) fn expires_in_secs(
    m: Member<'_>,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Option<u64>, Error> {
    let strict = opts.profile == Profile::Strict;
    let secs = match m {
        Member::U64(n) => n,
        Member::I64(_) => return Err(Error::expires_in(ExpiresInProblem::Negative)),
        Member::F64(f) => {
            if f.is_nan() || f.fract() != 0.0 {
                return Err(Error::expires_in(ExpiresInProblem::Fractional));
            }
            if f < 0.0 {
                return Err(Error::expires_in(ExpiresInProblem::Negative));
            }
            if f > opts.max_expires_in as f64 {
                return Err(Error::expires_in(ExpiresInProblem::TooLarge));
            }
            f as u64
        }
        Member::Str(s) if !strict => {
            let t = s.trim();
            let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
            if digits(t) {
                quirks.add(Quirk::ExpiresInString);
                t.parse::<u64>()
                    .map_err(|_| Error::expires_in(ExpiresInProblem::TooLarge))?
            } else if t.strip_prefix('-').is_some_and(digits) {
                return Err(Error::expires_in(ExpiresInProblem::Negative));
            } else if t
                .split_once('.')
                .is_some_and(|(a, b)| digits(a) && digits(b))
            {
                return Err(Error::expires_in(ExpiresInProblem::Fractional));
            } else {
                return Err(Error::expires_in(ExpiresInProblem::NotANumber));
            }
        }
        Member::Null if !strict => {
            quirks.add(Quirk::NullMember);
            return Ok(None);
        }
        _ => return Err(Error::expires_in(ExpiresInProblem::NotANumber)),
    };
    if secs > opts.max_expires_in {
        return Err(Error::expires_in(ExpiresInProblem::TooLarge));
    }
    Ok(Some(secs))
}

fn build_token(
    known: &mut json::Known<'_, 10>,
    received_at: SystemTime,
    opts: &ParseOptions,
    mut quirks: Quirks,
) -> Result<TokenResponse, Error> {
    let strict = opts.profile == Profile::Strict;
    let [access_token, token_type, expires_in, refresh_token, scope, id_token, issued_token_type, _, error_description, error_uri] =
        &mut known.slots;
    let (access_token, token_type, expires_in, refresh_token, scope) = (
        access_token.take(),
        token_type.take(),
        expires_in.take(),
        refresh_token.take(),
        scope.take(),
    );
    let (id_token, issued_token_type, error_description, error_uri) = (
        id_token.take(),
        issued_token_type.take(),
        error_description.take(),
        error_uri.take(),
    );
    let extra_members = std::mem::take(&mut known.extra);
    let mut extra = Map::new();
    for (k, v) in extra_members {
        extra.insert(k.into_owned(), v.into_value());
    }
    let expires_in = match expires_in {
        Some(v) => expires_in_secs(v, opts, &mut quirks)?,
        None => None,
    };
    let refresh_token = refresh_token
        .map(|v| opt_str(v, "refresh_token", opts, &mut quirks))
        .transpose()?
        .flatten();
    let scope = match scope {
        Some(v) => read_scope(v, opts, &mut quirks)?,
        None => None,
    };
    let id_token = id_token
        .map(|v| opt_str(v, "id_token", opts, &mut quirks))
        .transpose()?
        .flatten();
    let issued_token_type = issued_token_type
        .map(|v| opt_str(v, "issued_token_type", opts, &mut quirks))
        .transpose()?
        .flatten();
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
        None => return Err(Error::missing("access_token")),
        Some(Member::Str(s)) if s.is_empty() => {
            return Err(Error::invalid_value("access_token", "empty"))
        }
        Some(Member::Str(s)) => {
            // RFC 6749 Appendix A.12: access-token = 1*VSCHAR.
            if strict && !s.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
                return Err(Error::strict(
                    "RFC 6749 Appendix A.12: access_token is 1*VSCHAR",
                ));
            }
            AccessToken::new(s.into_owned())
        }
        Some(_) => return Err(Error::wrong_type("access_token", "a string")),
    };
    let token_type = match token_type {
        None => return Err(Error::missing("token_type")),
        Some(Member::Str(s)) => {
            TokenType::parse(&s).ok_or_else(|| Error::UnsupportedTokenType {
                token_type: bounded_text(&s, 64),
                response: None,
            })?
        }
        Some(_) => return Err(Error::wrong_type("token_type", "a string")),
    };
    let expires_in = expires_in.map(Duration::from_secs);
    if let Some(d) = expires_in {
        if received_at.checked_add(d).is_none() {
            return Err(Error::expires_in(ExpiresInProblem::TooLarge));
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
