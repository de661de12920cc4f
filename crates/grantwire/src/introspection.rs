//! Token introspection (RFC 7662): the request a protected resource (or client) sends to ask the
//! authorization server about a token, and the parser of its answer.
//!
//! ```
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use grantwire::introspection::{IntrospectionRequest, IntrospectionResponse, TokenTypeHint};
//! use grantwire::{AuthorizationServer, Client, ClientId, ClientSecret, ClientSecretBasic, Context, Endpoint, SecretString};
//!
//! let server = AuthorizationServer::new(Endpoint::parse("https://server.example.com/token")?)
//!     .with_introspection_endpoint(Endpoint::parse("https://server.example.com/introspect")?);
//! let auth = ClientSecretBasic::new(ClientId::new("rs"), ClientSecret::new("s3cret"));
//! let client = Client::new(server, auth)?;
//! let mut rng = |b: &mut [u8]| b.fill(0);
//! let req = IntrospectionRequest::new(SecretString::new("mF_9.B5f-4.1JqM"))
//!     .token_type_hint(TokenTypeHint::AccessToken)
//!     .to_request(&client, &mut Context::new(SystemTime::UNIX_EPOCH, &mut rng))?;
//! assert_eq!(req.uri(), "https://server.example.com/introspect");
//! assert_eq!(req.body(), b"token=mF_9.B5f-4.1JqM&token_type_hint=access_token");
//!
//! let now = UNIX_EPOCH + Duration::from_secs(1_419_350_000);
//! let body = br#"{"active":true,"client_id":"l238j323ds-23ij4","scope":"read write dolphin","exp":1419356238}"#;
//! match IntrospectionResponse::parse((http::StatusCode::OK, &http::HeaderMap::new(), body), now)? {
//!     IntrospectionResponse::Active(info) => assert!(info.scope().unwrap().contains("dolphin")),
//!     IntrospectionResponse::Inactive => unreachable!(),
//! }
//! # Ok::<(), grantwire::Error>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::auth::Context;
use crate::client::Client;
use crate::json::{self, Member};
use crate::parse::{
    opt_str, read_members, read_scope, success_checks, unexpected_status, ResponseView,
};
use crate::profile::{ParseOptions, Profile, Quirk, Quirks};
use crate::request::SecretRequest;
use crate::secret::{AccessToken, ClientId, RefreshToken, SecretString};
use crate::token_request::{token_request_methods, TokenRequest};
use crate::{Error, Scope};

pub use crate::token_request::TokenTypeHint;

/// An introspection request (RFC 7662 §2.1): `token`, an optional `token_type_hint`, and the
/// client authentication the caller uses at the token endpoint (RFC 7662 §2.1 lets the server
/// require any of them). Sent to the client's server's introspection endpoint.
#[derive(Clone, Debug)]
pub struct IntrospectionRequest(TokenRequest);

token_request_methods!(
    IntrospectionRequest,
    "Asks about",
    "RFC 7662 §2.1",
    introspection_endpoint
);

/// The answer of an introspection endpoint (RFC 7662 §2.2).
///
/// An inactive token is just [`IntrospectionResponse::Inactive`]: RFC 7662 §2.2 says the server
/// SHOULD NOT include anything else, and whatever else it says about an inactive token is
/// ignored, so no caller can read a claim of a token that is not valid.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum IntrospectionResponse {
    /// `"active": true`, with the typed members.
    Active(Box<ActiveToken>),
    /// `"active": false`.
    Inactive,
}

impl IntrospectionResponse {
    /// Parses with the default profile and limits; see [`IntrospectionResponse::parse_with`].
    pub fn parse<'a>(
        response: impl Into<ResponseView<'a>>,
        now: SystemTime,
    ) -> Result<Self, Error> {
        Self::parse_with(response, now, &ParseOptions::default())
    }

    /// Parses an introspection response (RFC 7662 §2.2) under `opts`: size and depth limits,
    /// the profile's tolerance for statuses, content types and `null` members. An `error` member
    /// (RFC 7662 §2.3 points at RFC 6749 §5.2) gives [`Error::OAuth`]; `now` turns
    /// `Retry-After` into a duration. Every error carries the response's status and content
    /// type ([`Error::response`]).
    ///
    /// `active` must be a JSON boolean under every profile: the string `"false"` is not
    /// `false`, and guessing would hand out claims of a dead token.
    pub fn parse_with<'a>(
        response: impl Into<ResponseView<'a>>,
        now: SystemTime,
        opts: &ParseOptions,
    ) -> Result<Self, Error> {
        let r = response.into();
        Self::read(r, now, opts).map_err(|e| e.with_response(|| r.info()))
    }

    fn read(r: ResponseView<'_>, now: SystemTime, opts: &ParseOptions) -> Result<Self, Error> {
        let mut quirks = Quirks::default();
        let members = read_members(r, now, opts, &mut quirks)?;
        if !r.status.is_success() {
            return Err(unexpected_status(r, now));
        }
        success_checks(
            r,
            opts,
            [
                "RFC 7662 §2.2: an introspection response has status 200",
                "RFC 7662 §2.2: the response uses the application/json media type",
            ],
            &mut quirks,
        )?;
        // Duplicate members were refused by `read_members`, for every profile.
        let active = match members.iter().find(|(k, _)| k == "active") {
            None => return Err(Error::missing("active")),
            Some((_, Member::Bool(b))) => *b,
            Some(_) => {
                return Err(Error::wrong_type(
                    "active",
                    "a JSON boolean (RFC 7662 §2.2)",
                ))
            }
        };
        if !active {
            return Ok(Self::Inactive);
        }
        ActiveToken::build(members, opts, quirks).map(|t| Self::Active(Box::new(t)))
    }

    /// Whether the token is active.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Active(_))
    }

    /// The details of an active token.
    pub fn active(&self) -> Option<&ActiveToken> {
        match self {
            Self::Active(t) => Some(t),
            Self::Inactive => None,
        }
    }
}

/// Reads a NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional.
fn numeric_date(
    m: Member<'_>,
    name: &'static str,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Option<SystemTime>, Error> {
    let too_large = Error::invalid_value(name, "a NumericDate beyond representable time");
    let negative = Error::invalid_value(name, "a NumericDate before 1970");
    let d = match m {
        Member::U64(n) => Duration::from_secs(n),
        Member::I64(_) => return Err(negative),
        Member::F64(f) if f.is_finite() && f < 0.0 => return Err(negative),
        Member::F64(f) if f.is_finite() => {
            Duration::try_from_secs_f64(f).map_err(|_| too_large.clone())?
        }
        Member::Null if opts.profile != Profile::Strict => {
            quirks.add(Quirk::NullMember);
            return Ok(None);
        }
        _ => {
            return Err(Error::wrong_type(
                name,
                "a NumericDate (seconds since 1970, RFC 7519 §2)",
            ))
        }
    };
    UNIX_EPOCH.checked_add(d).map(Some).ok_or(too_large)
}

/// Reads `aud`: one string or an array of strings (RFC 7519 §4.1.3, RFC 7662 §2.2).
pub(crate) fn string_or_array(
    m: Member<'_>,
    name: &'static str,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Vec<String>, Error> {
    let wrong = Error::wrong_type(name, "a string or an array of strings");
    match m {
        Member::Str(s) => Ok(vec![s.into_owned()]),
        Member::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Member::Str(s) => Ok(s.into_owned()),
                _ => Err(wrong.clone()),
            })
            .collect(),
        Member::Null if opts.profile != Profile::Strict => {
            quirks.add(Quirk::NullMember);
            Ok(Vec::new())
        }
        _ => Err(wrong),
    }
}

/// What the authorization server says about an active token (RFC 7662 §2.2).
///
/// Members the RFC names are typed; any other member is kept as sent in [`ActiveToken::extra`]
/// (RFC 7662 §2.2 allows service-specific ones). `Debug` prints the names of extra members but
/// not their values, which may be sensitive.
#[derive(Clone, Default, PartialEq)]
pub struct ActiveToken {
    scope: Option<Scope>,
    client_id: Option<ClientId>,
    username: Option<String>,
    token_type: Option<String>,
    exp: Option<SystemTime>,
    iat: Option<SystemTime>,
    nbf: Option<SystemTime>,
    sub: Option<String>,
    aud: Vec<String>,
    iss: Option<String>,
    jti: Option<String>,
    cnf: Option<Map<String, Value>>,
    extra: Map<String, Value>,
    members: Vec<(String, Value)>,
    quirks: Quirks,
}

impl fmt::Debug for ActiveToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActiveToken")
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("token_type", &self.token_type)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("nbf", &self.nbf)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("iss", &self.iss)
            .field("jti", &self.jti)
            .field(
                "cnf_members",
                &self.cnf.as_ref().map(|c| c.keys().collect::<Vec<_>>()),
            )
            .field("extra_members", &self.extra.keys().collect::<Vec<_>>())
            .field("quirks", &self.quirks)
            .finish()
    }
}

impl ActiveToken {
    fn build(
        members: json::Members<'_>,
        opts: &ParseOptions,
        mut quirks: Quirks,
    ) -> Result<Self, Error> {
        let mut t = ActiveToken {
            members: Vec::with_capacity(members.len()),
            ..ActiveToken::default()
        };
        for (k, v) in members {
            // The wire form first, as received: bounded by the body limits the reader enforced.
            t.members.push((k.to_string(), v.clone().into_value()));
            match &*k {
                "active" => {}
                "scope" => t.scope = read_scope(v, opts, &mut quirks)?.filter(|s| !s.is_empty()),
                "client_id" => {
                    t.client_id = opt_str(v, "client_id", opts, &mut quirks)?.map(ClientId::new)
                }
                "username" => t.username = opt_str(v, "username", opts, &mut quirks)?,
                "token_type" => t.token_type = opt_str(v, "token_type", opts, &mut quirks)?,
                "exp" => t.exp = numeric_date(v, "exp", opts, &mut quirks)?,
                "iat" => t.iat = numeric_date(v, "iat", opts, &mut quirks)?,
                "nbf" => t.nbf = numeric_date(v, "nbf", opts, &mut quirks)?,
                "sub" => t.sub = opt_str(v, "sub", opts, &mut quirks)?,
                "aud" => t.aud = string_or_array(v, "aud", opts, &mut quirks)?,
                "iss" => t.iss = opt_str(v, "iss", opts, &mut quirks)?,
                "jti" => t.jti = opt_str(v, "jti", opts, &mut quirks)?,
                "cnf" => {
                    t.cnf = match v {
                        Member::Object(Value::Object(map)) => Some(map),
                        Member::Null if opts.profile != Profile::Strict => {
                            quirks.add(Quirk::NullMember);
                            None
                        }
                        _ => return Err(Error::wrong_type("cnf", "a JSON object (RFC 7800 §3.1)")),
                    }
                }
                _ => {
                    t.extra.insert(k.into_owned(), v.into_value());
                }
            }
        }
        t.quirks = quirks;
        Ok(t)
    }

    /// `scope` (RFC 7662 §2.2), parsed as an RFC 6749 §3.3 scope.
    pub fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
    }
    /// `client_id`: the client the token was issued to (RFC 7662 §2.2).
    pub fn client_id(&self) -> Option<&ClientId> {
        self.client_id.as_ref()
    }
    /// `username`: the resource owner, human-readable (RFC 7662 §2.2).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }
    /// `token_type` (RFC 7662 §2.2, RFC 6749 §7.1), as sent.
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }
    /// `exp`: when the token expires (RFC 7662 §2.2, RFC 7519 §4.1.4).
    pub fn exp(&self) -> Option<SystemTime> {
        self.exp
    }
    /// `iat`: when the token was issued (RFC 7519 §4.1.6).
    pub fn iat(&self) -> Option<SystemTime> {
        self.iat
    }
    /// `nbf`: the token is not to be used before this time (RFC 7519 §4.1.5).
    pub fn nbf(&self) -> Option<SystemTime> {
        self.nbf
    }
    /// `sub`: the subject (RFC 7519 §4.1.2).
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_deref()
    }
    /// `aud`: the audiences, whether sent as a string or an array (RFC 7519 §4.1.3).
    pub fn aud(&self) -> &[String] {
        &self.aud
    }
    /// `iss`: the issuer (RFC 7519 §4.1.1).
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_deref()
    }
    /// `jti`: the token identifier (RFC 7519 §4.1.7).
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }
    /// `cnf`: the confirmation (proof-of-possession) object (RFC 7800 §3.1, RFC 8705 §3.2).
    pub fn cnf(&self) -> Option<&Map<String, Value>> {
        self.cnf.as_ref()
    }
    /// Members this parser does not know, as sent.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }
    /// The quirks the profile applied.
    pub fn quirks(&self) -> Quirks {
        self.quirks
    }

    /// Every member of the response as the server sent it, in the order it sent them (`active`
    /// included), before any typed reading: `aud` as a string or an array, times as the numbers
    /// sent, `scope` as the string (or, in the lenient profile, the array) received. For a tool
    /// that prints exactly what the server said; the typed accessors above are what to act on.
    /// Bounded by [`ParseOptions::max_body_bytes`] and [`ParseOptions::max_depth`]. Values may
    /// be sensitive: `Debug` prints none.
    ///
    /// ```
    /// use grantwire::IntrospectionResponse;
    /// let body = br#"{"active":true,"aud":"https://rs.example","exp":1419356238,"scope":"read  write"}"#;
    /// let r = IntrospectionResponse::parse((http::StatusCode::OK, &http::HeaderMap::new(), body), std::time::UNIX_EPOCH)?;
    /// let t = r.active().unwrap();
    /// assert_eq!(t.aud(), ["https://rs.example"]);
    /// let names: Vec<&str> = t.members().iter().map(|(k, _)| k.as_str()).collect();
    /// assert_eq!(names, ["active", "aud", "exp", "scope"]);
    /// assert_eq!(t.members()[1].1, "https://rs.example");
    /// assert_eq!(t.members()[3].1, "read  write");
    /// # Ok::<(), grantwire::Error>(())
    /// ```
    pub fn members(&self) -> &[(String, Value)] {
        &self.members
    }

    /// The member `name` as the server sent it (see [`ActiveToken::members`]).
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Whether the claims allow use at `now`: not past `exp`, not before `nbf`. The server
    /// already judged the token active; this guards against a cached answer going stale.
    pub fn is_usable_at(&self, now: SystemTime) -> bool {
        !matches!(self.exp, Some(e) if now >= e) && !matches!(self.nbf, Some(n) if now < n)
    }

    /// Whether `aud` names `audience`.
    pub fn has_audience(&self, audience: &str) -> bool {
        self.aud.iter().any(|a| a == audience)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientSecret, ClientSecretBasic, ClientSecretPost, ResponseInfo};
    use http::header::CONTENT_TYPE;
    use http::{HeaderMap, HeaderValue, StatusCode};

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h
    }

    fn parse(body: &[u8]) -> Result<IntrospectionResponse, Error> {
        IntrospectionResponse::parse(
            (StatusCode::OK, &json_headers(), body),
            UNIX_EPOCH + Duration::from_secs(1_419_350_000),
        )
    }

    #[test]
    fn rfc7662_2_1_request() {
        // RFC 7662 §2.1: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW, token=mF_9.B5f-4.1JqM&token_type_hint=access_token
        let server = crate::AuthorizationServer::new(
            crate::Endpoint::parse("https://server.example.com/token").unwrap(),
        )
        .with_introspection_endpoint(
            crate::Endpoint::parse("https://server.example.com/introspect").unwrap(),
        );
        let auth = Client::new(
            server.clone(),
            ClientSecretBasic::new(ClientId::new("s6BhdRkqt3"), ClientSecret::new("gX1fBat3bV")),
        )
        .unwrap();
        let mut rng = |b: &mut [u8]| b.fill(0);
        let mut ctx = Context::new(UNIX_EPOCH, &mut rng);
        let req = IntrospectionRequest::access_token(&AccessToken::new("mF_9.B5f-4.1JqM"))
            .to_request(&auth, &mut ctx)
            .unwrap();
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(req.uri(), "https://server.example.com/introspect");
        assert_eq!(
            req.headers()["authorization"],
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
        assert_eq!(
            req.body(),
            b"token=mF_9.B5f-4.1JqM&token_type_hint=access_token"
        );
        let post = Client::new(
            server,
            ClientSecretPost::new("c".into(), ClientSecret::new("s")),
        )
        .unwrap();
        let req = IntrospectionRequest::refresh_token(&RefreshToken::new("r t"))
            .extra("resource_hint", "x")
            .to_request(&post, &mut ctx)
            .unwrap();
        assert_eq!(
            req.body(),
            b"token=r%20t&token_type_hint=refresh_token&client_id=c&client_secret=s&resource_hint=x"
        );
        let dup = IntrospectionRequest::new(SecretString::new("t")).extra("token", "u");
        assert_eq!(
            dup.to_request(&post, &mut ctx).unwrap_err(),
            Error::DuplicateParameter {
                name: "token".into()
            }
        );
        assert!(IntrospectionRequest::new(SecretString::new(""))
            .to_request(&post, &mut ctx)
            .is_err());
        let dbg = format!(
            "{:?}",
            IntrospectionRequest::new(SecretString::new("secret-token-value"))
                .extra("k", "v-secret")
        );
        assert!(!dbg.contains("secret-token-value") && !dbg.contains("v-secret"));
    }

    #[test]
    fn rfc7662_2_2_examples() {
        let body = br#"{
          "active": true,
          "client_id": "l238j323ds-23ij4",
          "username": "jdoe",
          "scope": "read write dolphin",
          "sub": "Z5O3upPC88QrAjx00dis",
          "aud": "https://protected.example.net/resource",
          "iss": "https://server.example.com/",
          "exp": 1419356238,
          "iat": 1419350238,
          "extension_field": "twenty-seven"
        }"#;
        let r = parse(body).unwrap();
        let t = r.active().unwrap();
        assert_eq!(t.client_id().unwrap().as_str(), "l238j323ds-23ij4");
        assert_eq!(t.username(), Some("jdoe"));
        assert!(t.scope().unwrap().contains("dolphin"));
        assert_eq!(t.aud(), ["https://protected.example.net/resource"]);
        assert_eq!(t.exp(), Some(UNIX_EPOCH + Duration::from_secs(1419356238)));
        assert_eq!(t.iat(), Some(UNIX_EPOCH + Duration::from_secs(1419350238)));
        assert_eq!(t.extra()["extension_field"], "twenty-seven");
        assert!(t.is_usable_at(UNIX_EPOCH + Duration::from_secs(1419350239)));
        assert!(!t.is_usable_at(UNIX_EPOCH + Duration::from_secs(1419356238)));
        assert!(t.quirks().is_empty());
        assert_eq!(
            parse(br#"{"active": false}"#).unwrap(),
            IntrospectionResponse::Inactive
        );
    }

    #[test]
    fn active_must_be_boolean_and_inactive_ignores_the_rest() {
        for body in [
            &br#"{"active":"true"}"#[..],
            br#"{"active":1}"#,
            br#"{"active":null}"#,
        ] {
            assert!(matches!(
                parse(body),
                Err(Error::WrongType {
                    member: "active",
                    ..
                })
            ));
        }
        assert!(matches!(
            parse(br#"{"scope":"a"}"#),
            Err(Error::MissingMember {
                member: "active",
                response: Some(_)
            })
        ));
        assert!(matches!(
            parse(br#"{"active":false,"active":true}"#),
            Err(Error::DuplicateMember { member, .. }) if member == "active"
        ));
        // Inactive whatever else it says, even members that would not parse.
        assert_eq!(
            parse(br#"{"active":false,"exp":-5,"scope":7,"aud":{"x":1},"sub":"jdoe"}"#).unwrap(),
            IntrospectionResponse::Inactive
        );
    }

    #[test]
    fn typed_members() {
        let r = parse(
            br#"{"active":true,"aud":["a","b"],"cnf":{"x5t#S256":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},"nbf":1.5,"token_type":"Bearer","jti":"j1"}"#,
        )
        .unwrap();
        let t = r.active().unwrap();
        assert_eq!(t.aud(), ["a", "b"]);
        assert!(t.has_audience("b"));
        assert!(t.cnf().unwrap().contains_key("x5t#S256"));
        assert_eq!(t.nbf(), Some(UNIX_EPOCH + Duration::from_millis(1500)));
        assert_eq!(t.token_type(), Some("Bearer"));
        assert_eq!(t.jti(), Some("j1"));
        for (body, member) in [
            (&br#"{"active":true,"exp":-1}"#[..], "exp"),
            (br#"{"active":true,"exp":"soon"}"#, "exp"),
            (br#"{"active":true,"exp":18446744073709551615}"#, "exp"),
            (br#"{"active":true,"aud":[1]}"#, "aud"),
            (br#"{"active":true,"cnf":"x"}"#, "cnf"),
            (br#"{"active":true,"client_id":5}"#, "client_id"),
            (br#"{"active":true,"sub":"a","sub":"b"}"#, "sub"),
        ] {
            let e = parse(body).unwrap_err();
            let got = match e {
                Error::WrongType { member, .. } | Error::InvalidValue { member, .. } => member,
                Error::DuplicateMember { member, .. } if member == "sub" => "sub",
                other => panic!("{other:?}"),
            };
            assert_eq!(got, member);
        }
    }

    #[test]
    fn errors_limits_and_profiles() {
        let now = UNIX_EPOCH;
        let e = IntrospectionResponse::parse(
            (
                StatusCode::UNAUTHORIZED,
                &json_headers(),
                br#"{"error":"invalid_client"}"#,
            ),
            now,
        )
        .unwrap_err();
        assert_eq!(e.oauth().unwrap().error, crate::ErrorCode::InvalidClient);
        assert!(matches!(
            IntrospectionResponse::parse(
                (StatusCode::INTERNAL_SERVER_ERROR, &json_headers(), b"{}"),
                now
            ),
            Err(Error::UnexpectedStatus {
                response: ResponseInfo { status: 500, .. },
                ..
            })
        ));
        let opts = ParseOptions {
            max_body_bytes: 16,
            ..ParseOptions::default()
        };
        assert!(matches!(
            IntrospectionResponse::parse_with(
                (
                    StatusCode::OK,
                    &json_headers(),
                    br#"{"active":true,"x":"yyyyyy"}"#
                ),
                now,
                &opts
            ),
            Err(Error::BodyTooLarge { .. })
        ));
        let strict = ParseOptions::with_profile(Profile::Strict);
        assert!(matches!(
            IntrospectionResponse::parse_with(
                (StatusCode::OK, &HeaderMap::new(), br#"{"active":true}"#),
                now,
                &strict
            ),
            Err(Error::StrictViolation { .. })
        ));
        assert!(matches!(
            IntrospectionResponse::parse_with(
                (
                    StatusCode::OK,
                    &json_headers(),
                    br#"{"active":true,"sub":null}"#
                ),
                now,
                &strict
            ),
            Err(Error::WrongType { member: "sub", .. })
        ));
        let r = IntrospectionResponse::parse(
            (
                StatusCode::OK,
                &HeaderMap::new(),
                br#"{"active":true,"sub":null}"#,
            ),
            now,
        )
        .unwrap();
        let q = r.active().unwrap().quirks();
        assert!(q.contains(Quirk::ContentTypeNotJson) && q.contains(Quirk::NullMember));
        let lenient = ParseOptions::with_profile(Profile::Lenient);
        let r = IntrospectionResponse::parse_with(
            (
                StatusCode::OK,
                &json_headers(),
                br#"{"active":true,"scope":["a","b"]}"#,
            ),
            now,
            &lenient,
        )
        .unwrap();
        assert_eq!(r.active().unwrap().scope().unwrap().as_str(), "a b");
        let dbg = format!(
            "{:?}",
            parse(br#"{"active":true,"secret_claim":"hunter2-xyz"}"#).unwrap()
        );
        assert!(dbg.contains("secret_claim") && !dbg.contains("hunter2-xyz"));
    }
}
