//! Authorization server metadata (RFC 8414) and OpenID Connect discovery (OpenID Connect
//! Discovery 1.0 §4): where to fetch the document, how to read it, and helpers that pick a
//! client-authentication method and signing algorithm from what the server says it supports.
//!
//! The choice is made from the document, never by trying methods against the server one after
//! another: a failed attempt with a secret is a failed login in the server's audit log, and a
//! downgrade an attacker can provoke.
//!
//! ```
//! use std::time::UNIX_EPOCH;
//! use grantwire::metadata::{Discovery, ServerMetadata};
//! use grantwire::{AuthMethod, Issuer};
//!
//! let issuer = Issuer::parse("https://example.com/issuer1")?;
//! assert_eq!(
//!     Discovery::OAuthAuthorizationServer.url(&issuer)?.as_str(),
//!     "https://example.com/.well-known/oauth-authorization-server/issuer1"
//! );
//! let body = br#"{"issuer":"https://example.com/issuer1","token_endpoint":"https://example.com/issuer1/token",
//!   "token_endpoint_auth_methods_supported":["client_secret_basic","private_key_jwt"],
//!   "token_endpoint_auth_signing_alg_values_supported":["RS256","ES256"]}"#;
//! let md = ServerMetadata::parse((http::StatusCode::OK, &http::HeaderMap::new(), body), &issuer, UNIX_EPOCH)?;
//! let method = md.choose_token_auth_method(&[AuthMethod::ClientSecretBasic, AuthMethod::PrivateKeyJwt]);
//! assert_eq!(method, Some(AuthMethod::PrivateKeyJwt));
//! assert_eq!(md.choose_token_signing_alg(AuthMethod::PrivateKeyJwt, &["ES256"]), Some("ES256"));
//! # Ok::<(), grantwire::Error>(())
//! ```

use std::fmt;
use std::time::SystemTime;

use http::header::{HeaderValue, ACCEPT};
use http::{HeaderMap, Method};
use serde_json::{Map, Value};

use crate::auth::AuthMethod;
use crate::endpoint::{Endpoint, Issuer};
use crate::json::Member;
use crate::parse::{opt_str, read_members, success_checks, unexpected_status, ResponseView};
use crate::profile::{ParseOptions, Profile, Quirk, Quirks};
use crate::request::SecretRequest;
use crate::server::AuthorizationServer;
use crate::Error;

/// Which well-known document to fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Discovery {
    /// `/.well-known/oauth-authorization-server`, inserted between the host and the issuer's
    /// path (RFC 8414 §3.1).
    OAuthAuthorizationServer,
    /// `/.well-known/openid-configuration`, appended to the issuer (OpenID Connect Discovery
    /// 1.0 §4.1).
    OpenIdConfiguration,
}

impl Discovery {
    /// The well-known URI suffix (RFC 8615).
    pub fn suffix(self) -> &'static str {
        match self {
            Self::OAuthAuthorizationServer => "oauth-authorization-server",
            Self::OpenIdConfiguration => "openid-configuration",
        }
    }

    /// The metadata URL for `issuer`.
    ///
    /// RFC 8414 §3.1: any terminating `/` of the issuer's path is removed and
    /// `/.well-known/oauth-authorization-server` is inserted between the host and the path, so
    /// `https://example.com/issuer1` gives
    /// `https://example.com/.well-known/oauth-authorization-server/issuer1`.
    /// OpenID Connect Discovery §4.1 appends `/.well-known/openid-configuration` to the issuer
    /// (after removing a terminating `/`).
    ///
    /// Fails only if the derived URL does not parse (an [`Issuer`] always gives one that does).
    pub fn url(self, issuer: &Issuer) -> Result<Endpoint, Error> {
        let text = issuer.as_str();
        let url = match self {
            Self::OpenIdConfiguration => {
                format!(
                    "{}/.well-known/openid-configuration",
                    text.trim_end_matches('/')
                )
            }
            Self::OAuthAuthorizationServer => {
                // An Issuer is a parsed absolute URL with an authority: split after it.
                let after_scheme = text.find("://").map_or(0, |i| i + 3);
                let path_start = text[after_scheme..]
                    .find('/')
                    .map_or(text.len(), |i| after_scheme + i);
                let (origin, path) = text.split_at(path_start);
                format!(
                    "{origin}/.well-known/oauth-authorization-server{}",
                    path.trim_end_matches('/')
                )
            }
        };
        // The issuer already passed the https / loopback check (or the caller's explicit
        // opt-in): keep the same policy for the URL derived from it.
        Endpoint::parse_danger_allow_http(&url)
    }

    /// A GET request for the metadata document of `issuer` (RFC 8414 §3.1).
    ///
    /// It carries no secret, but it is the same [`SecretRequest`] every other builder returns
    /// (with an empty body, which costs no allocation), so a transport sends one type.
    pub fn to_request(self, issuer: &Issuer) -> Result<SecretRequest, Error> {
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Ok(SecretRequest::new(
            Method::GET,
            self.url(issuer)?.uri().clone(),
            headers,
            Vec::new(),
        ))
    }
}

/// An authorization server's metadata (RFC 8414 §2), also read from an OpenID Provider
/// configuration (OpenID Connect Discovery 1.0 §3).
///
/// Endpoint members are checked like every [`Endpoint`]: https, or http on a loopback host,
/// whatever the issuer's scheme; plain http to other hosts only with
/// [`ParseOptions::danger_allow_http_endpoints`]. Members not typed here are kept in
/// [`ServerMetadata::extra`].
#[derive(Clone, PartialEq)]
pub struct ServerMetadata {
    issuer: Issuer,
    authorization_endpoint: Option<Endpoint>,
    token_endpoint: Option<Endpoint>,
    jwks_uri: Option<Endpoint>,
    registration_endpoint: Option<Endpoint>,
    userinfo_endpoint: Option<Endpoint>,
    introspection_endpoint: Option<Endpoint>,
    revocation_endpoint: Option<Endpoint>,
    device_authorization_endpoint: Option<Endpoint>,
    scopes_supported: Option<Vec<String>>,
    response_types_supported: Option<Vec<String>>,
    grant_types_supported: Option<Vec<String>>,
    code_challenge_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    introspection_endpoint_auth_methods_supported: Option<Vec<String>>,
    revocation_endpoint_auth_methods_supported: Option<Vec<String>>,
    extra: Map<String, Value>,
    quirks: Quirks,
}

impl fmt::Debug for ServerMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerMetadata")
            .field("issuer", &self.issuer)
            .field("token_endpoint", &self.token_endpoint)
            .field(
                "token_endpoint_auth_methods_supported",
                &self.token_endpoint_auth_methods_supported,
            )
            .field("extra_members", &self.extra.keys().collect::<Vec<_>>())
            .field("quirks", &self.quirks)
            .finish_non_exhaustive()
    }
}

const ENDPOINT_MEMBERS: [&str; 8] = [
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "userinfo_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "device_authorization_endpoint",
];

const LIST_MEMBERS: [&str; 8] = [
    "scopes_supported",
    "response_types_supported",
    "grant_types_supported",
    "code_challenge_methods_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_methods_supported",
];

fn string_list(
    m: Member<'_>,
    name: &'static str,
    opts: &ParseOptions,
    quirks: &mut Quirks,
) -> Result<Option<Vec<String>>, Error> {
    let wrong = || Error::wrong_type(name, "a JSON array of strings");
    match m {
        Member::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Member::Str(s) => Ok(s.into_owned()),
                _ => Err(wrong()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Member::Null if opts.profile != Profile::Strict => {
            quirks.add(Quirk::NullMember);
            Ok(None)
        }
        _ => Err(wrong()),
    }
}

impl ServerMetadata {
    /// Parses a metadata document with the default profile and limits, checking that its
    /// `issuer` equals `expected` (RFC 8414 §3.3); see [`ServerMetadata::parse_with`].
    pub fn parse<'a>(
        response: impl Into<ResponseView<'a>>,
        expected: &Issuer,
        now: SystemTime,
    ) -> Result<Self, Error> {
        Self::parse_with(response, expected, now, &ParseOptions::default())
    }

    /// Parses a metadata document (RFC 8414 §3.2), an `&http::Response<B>` or a
    /// `(status, &headers, &body)` tuple ([`ResponseView`]), under `opts`.
    ///
    /// The `issuer` member MUST be identical to the issuer the document was requested for
    /// (RFC 8414 §3.3, OpenID Connect Discovery §4.3); otherwise the document is refused with
    /// [`Error::InvalidValue`] on `issuer`, since an attacker's document could redirect the
    /// client's credentials. The strict profile also requires `response_types_supported`
    /// (REQUIRED in RFC 8414 §2), refuses `none` among signing algorithms, status other than
    /// 200 and non-JSON content types. Every error carries the response's status and content
    /// type ([`Error::response`]).
    pub fn parse_with<'a>(
        response: impl Into<ResponseView<'a>>,
        expected: &Issuer,
        now: SystemTime,
        opts: &ParseOptions,
    ) -> Result<Self, Error> {
        let r = response.into();
        Self::read(r, expected, now, opts).map_err(|e| e.with_response(|| r.info()))
    }

    fn read(
        r: ResponseView<'_>,
        expected: &Issuer,
        now: SystemTime,
        opts: &ParseOptions,
    ) -> Result<Self, Error> {
        let strict = opts.profile == Profile::Strict;
        let mut quirks = Quirks::default();
        let members = read_members(r, now, opts, &mut quirks)?;
        if !r.status.is_success() {
            return Err(unexpected_status(r, now));
        }
        success_checks(
            r,
            opts,
            [
                "RFC 8414 §3.2: metadata is answered with status 200",
                "RFC 8414 §3.2: metadata uses the application/json media type",
            ],
            &mut quirks,
        )?;
        // RFC 6749 §3.1, §3.2 require TLS; plain http only to loopback hosts unless the caller
        // opted in by name. An http issuer is no opt-in for its endpoints: a loopback issuer's
        // document must not send the token endpoint to another host in clear text.
        let allow_http = opts.danger_allow_http_endpoints;
        let mut issuer = None;
        let mut endpoints: [Option<Endpoint>; 8] = Default::default();
        let mut lists: [Option<Vec<String>>; 8] = Default::default();
        let mut extra = Map::new();
        for (k, v) in members {
            if k == "issuer" {
                issuer = opt_str(v, "issuer", opts, &mut quirks)?;
            } else if let Some(i) = ENDPOINT_MEMBERS.iter().position(|n| *n == k) {
                let name = ENDPOINT_MEMBERS[i];
                endpoints[i] = match opt_str(v, name, opts, &mut quirks)? {
                    None => None,
                    Some(url) => Some(endpoint(&url, name, allow_http)?),
                };
            } else if let Some(i) = LIST_MEMBERS.iter().position(|n| *n == k) {
                lists[i] = string_list(v, LIST_MEMBERS[i], opts, &mut quirks)?;
            } else {
                extra.insert(k.into_owned(), v.into_value());
            }
        }
        match issuer {
            None => return Err(Error::missing("issuer")),
            Some(i) if i != expected.as_str() => {
                return Err(Error::invalid_value(
                    "issuer",
                    "differs from the issuer the metadata was requested for (RFC 8414 §3.3)",
                ))
            }
            Some(_) => {}
        }
        let [authorization_endpoint, token_endpoint, jwks_uri, registration_endpoint, userinfo_endpoint, introspection_endpoint, revocation_endpoint, device_authorization_endpoint] =
            endpoints;
        let [scopes_supported, response_types_supported, grant_types_supported, code_challenge_methods_supported, token_endpoint_auth_methods_supported, token_endpoint_auth_signing_alg_values_supported, introspection_endpoint_auth_methods_supported, revocation_endpoint_auth_methods_supported] =
            lists;
        if strict {
            if response_types_supported.is_none() {
                return Err(Error::strict(
                    "RFC 8414 §2: response_types_supported is REQUIRED",
                ));
            }
            if token_endpoint_auth_signing_alg_values_supported
                .as_ref()
                .is_some_and(|a| a.iter().any(|x| x == "none"))
            {
                return Err(Error::strict("RFC 8414 §2: the value none MUST NOT be used in token_endpoint_auth_signing_alg_values_supported"));
            }
        }
        Ok(Self {
            issuer: expected.clone(),
            authorization_endpoint,
            token_endpoint,
            jwks_uri,
            registration_endpoint,
            userinfo_endpoint,
            introspection_endpoint,
            revocation_endpoint,
            device_authorization_endpoint,
            scopes_supported,
            response_types_supported,
            grant_types_supported,
            code_challenge_methods_supported,
            token_endpoint_auth_methods_supported,
            token_endpoint_auth_signing_alg_values_supported,
            introspection_endpoint_auth_methods_supported,
            revocation_endpoint_auth_methods_supported,
            extra,
            quirks,
        })
    }

    /// `issuer` (RFC 8414 §2), equal to the one asked for.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }
    /// `authorization_endpoint` (RFC 8414 §2).
    pub fn authorization_endpoint(&self) -> Option<&Endpoint> {
        self.authorization_endpoint.as_ref()
    }
    /// `token_endpoint` (RFC 8414 §2).
    pub fn token_endpoint(&self) -> Option<&Endpoint> {
        self.token_endpoint.as_ref()
    }
    /// The [`AuthorizationServer`] this document describes: its issuer and its token,
    /// authorization, introspection, revocation, device authorization and JWK Set endpoints,
    /// ready for [`Client::new`](crate::Client::new). Fails with
    /// [`Error::EndpointNotConfigured`] when the document has no `token_endpoint` (RFC 8414 §2
    /// makes it optional only for servers that support just the implicit grant).
    pub fn authorization_server(&self) -> Result<AuthorizationServer, Error> {
        let token = self
            .token_endpoint
            .clone()
            .ok_or(Error::EndpointNotConfigured {
                endpoint: "token_endpoint",
            })?;
        let mut server = AuthorizationServer::new(token).with_issuer(self.issuer.clone());
        let optional = [
            (
                &self.authorization_endpoint,
                AuthorizationServer::with_authorization_endpoint as fn(_, _) -> _,
            ),
            (
                &self.introspection_endpoint,
                AuthorizationServer::with_introspection_endpoint,
            ),
            (
                &self.revocation_endpoint,
                AuthorizationServer::with_revocation_endpoint,
            ),
            (
                &self.device_authorization_endpoint,
                AuthorizationServer::with_device_authorization_endpoint,
            ),
            (&self.jwks_uri, AuthorizationServer::with_jwks_uri),
        ];
        for (url, set) in optional {
            if let Some(url) = url {
                server = set(server, url.clone());
            }
        }
        Ok(server)
    }
    /// `jwks_uri` (RFC 8414 §2).
    pub fn jwks_uri(&self) -> Option<&Endpoint> {
        self.jwks_uri.as_ref()
    }
    /// `registration_endpoint` (RFC 8414 §2, RFC 7591).
    pub fn registration_endpoint(&self) -> Option<&Endpoint> {
        self.registration_endpoint.as_ref()
    }
    /// `userinfo_endpoint` (OpenID Connect Discovery §3).
    pub fn userinfo_endpoint(&self) -> Option<&Endpoint> {
        self.userinfo_endpoint.as_ref()
    }
    /// `introspection_endpoint` (RFC 8414 §2, RFC 7662).
    pub fn introspection_endpoint(&self) -> Option<&Endpoint> {
        self.introspection_endpoint.as_ref()
    }
    /// `revocation_endpoint` (RFC 8414 §2, RFC 7009).
    pub fn revocation_endpoint(&self) -> Option<&Endpoint> {
        self.revocation_endpoint.as_ref()
    }
    /// `device_authorization_endpoint` (RFC 8628 §4).
    pub fn device_authorization_endpoint(&self) -> Option<&Endpoint> {
        self.device_authorization_endpoint.as_ref()
    }
    /// `scopes_supported` (RFC 8414 §2).
    pub fn scopes_supported(&self) -> Option<&[String]> {
        self.scopes_supported.as_deref()
    }
    /// `response_types_supported` (RFC 8414 §2).
    pub fn response_types_supported(&self) -> Option<&[String]> {
        self.response_types_supported.as_deref()
    }
    /// `grant_types_supported` (RFC 8414 §2), or its default `["authorization_code",
    /// "implicit"]` when omitted.
    pub fn grant_types_supported(&self) -> Vec<&str> {
        match &self.grant_types_supported {
            Some(v) => v.iter().map(String::as_str).collect(),
            None => vec!["authorization_code", "implicit"],
        }
    }
    /// `code_challenge_methods_supported` (RFC 8414 §2; absent means PKCE is not advertised).
    pub fn code_challenge_methods_supported(&self) -> Option<&[String]> {
        self.code_challenge_methods_supported.as_deref()
    }
    /// `token_endpoint_auth_methods_supported` as sent, or its default
    /// `["client_secret_basic"]` when omitted (RFC 8414 §2).
    pub fn token_endpoint_auth_methods_supported(&self) -> Vec<&str> {
        match &self.token_endpoint_auth_methods_supported {
            Some(v) => v.iter().map(String::as_str).collect(),
            None => vec!["client_secret_basic"],
        }
    }
    /// `token_endpoint_auth_signing_alg_values_supported` (RFC 8414 §2; no default).
    pub fn token_endpoint_auth_signing_alg_values_supported(&self) -> Option<&[String]> {
        self.token_endpoint_auth_signing_alg_values_supported
            .as_deref()
    }
    /// `introspection_endpoint_auth_methods_supported` (RFC 8414 §2; no default).
    pub fn introspection_endpoint_auth_methods_supported(&self) -> Option<&[String]> {
        self.introspection_endpoint_auth_methods_supported
            .as_deref()
    }
    /// `revocation_endpoint_auth_methods_supported` (RFC 8414 §2; default
    /// `client_secret_basic`).
    pub fn revocation_endpoint_auth_methods_supported(&self) -> Vec<&str> {
        match &self.revocation_endpoint_auth_methods_supported {
            Some(v) => v.iter().map(String::as_str).collect(),
            None => vec!["client_secret_basic"],
        }
    }
    /// Members not typed here (for example `mtls_endpoint_aliases`, `signed_metadata`), as
    /// sent.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }
    /// The quirks the profile applied.
    pub fn quirks(&self) -> Quirks {
        self.quirks
    }

    /// The client-authentication method to use at the token endpoint: the first of
    /// [`AuthMethod::ALL`]'s preference order (private_key_jwt, client_secret_jwt,
    /// client_secret_basic, client_secret_post, tls_client_auth, self_signed_tls_client_auth,
    /// none) that the server lists (RFC 8414 §2, with its default) and the caller can do.
    pub fn choose_token_auth_method(&self, capable: &[AuthMethod]) -> Option<AuthMethod> {
        choose_auth_method(self.token_endpoint_auth_methods_supported(), capable)
    }

    /// The JWS algorithm for a `method` assertion at the token endpoint: the first of the
    /// caller's `capable` algorithms (in the caller's order of preference) that the server lists
    /// in `token_endpoint_auth_signing_alg_values_supported` and that fits the method
    /// (HMAC for client_secret_jwt, asymmetric for private_key_jwt). `none` is never chosen.
    /// `None` when the server lists no algorithms (RFC 8414 §2 implies no default).
    pub fn choose_token_signing_alg<'c>(
        &self,
        method: AuthMethod,
        capable: &[&'c str],
    ) -> Option<&'c str> {
        choose_signing_alg(
            method,
            self.token_endpoint_auth_signing_alg_values_supported
                .as_deref()?
                .iter()
                .map(String::as_str),
            capable,
        )
    }
}

fn endpoint(url: &str, name: &'static str, allow_http: bool) -> Result<Endpoint, Error> {
    let parsed = if allow_http {
        Endpoint::parse_danger_allow_http(url)
    } else {
        Endpoint::parse(url)
    };
    parsed.map_err(|e| {
        Error::invalid_value(
            name,
            match e {
                Error::InsecureEndpoint => "plain http to a host that is not loopback",
                _ => "not an absolute https URL without a fragment",
            },
        )
    })
}

/// Picks a client-authentication method: the first of [`AuthMethod::ALL`]'s preference order
/// (private_key_jwt, then client_secret_jwt, then client_secret_basic, then client_secret_post,
/// then the mutual-TLS methods, then none) that appears in `supported` (IANA names, as in
/// `token_endpoint_auth_methods_supported`, RFC 8414 §2) and in `capable`.
pub fn choose_auth_method<'a>(
    supported: impl IntoIterator<Item = &'a str>,
    capable: &[AuthMethod],
) -> Option<AuthMethod> {
    let supported: Vec<AuthMethod> = supported
        .into_iter()
        .filter_map(AuthMethod::from_name)
        .filter(|m| *m != AuthMethod::Unauthenticated)
        .collect();
    AuthMethod::ALL
        .into_iter()
        .find(|m| supported.contains(m) && capable.contains(m))
}

/// Whether `alg` is a JWS algorithm that fits `method` (RFC 7518 §3.1): HMAC (`HS*`) for
/// client_secret_jwt, an asymmetric algorithm for private_key_jwt; `none` never fits.
pub fn alg_fits_method(method: AuthMethod, alg: &str) -> bool {
    let hmac = alg.starts_with("HS");
    match method {
        AuthMethod::ClientSecretJwt => hmac,
        AuthMethod::PrivateKeyJwt => !hmac && !alg.eq_ignore_ascii_case("none") && !alg.is_empty(),
        _ => false,
    }
}

/// Picks a signing algorithm for `method`: the first of `capable` (the caller's order of
/// preference) that is in `supported` (`*_endpoint_auth_signing_alg_values_supported`,
/// RFC 8414 §2) and fits the method ([`alg_fits_method`]).
pub fn choose_signing_alg<'a, 'c>(
    method: AuthMethod,
    supported: impl IntoIterator<Item = &'a str>,
    capable: &[&'c str],
) -> Option<&'c str> {
    let supported: Vec<&str> = supported.into_iter().collect();
    capable
        .iter()
        .copied()
        .find(|alg| alg_fits_method(method, alg) && supported.contains(alg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use std::time::UNIX_EPOCH;

    fn iss(s: &str) -> Issuer {
        Issuer::parse(s).unwrap()
    }

    #[test]
    fn rfc8414_3_1_path_insertion() {
        let o = Discovery::OAuthAuthorizationServer;
        assert_eq!(
            o.url(&iss("https://example.com/issuer1")).unwrap().as_str(),
            "https://example.com/.well-known/oauth-authorization-server/issuer1"
        );
        assert_eq!(
            o.url(&iss("https://example.com")).unwrap().as_str(),
            "https://example.com/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            o.url(&iss("https://example.com/")).unwrap().as_str(),
            "https://example.com/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            o.url(&iss("https://example.com:8443/a/b/"))
                .unwrap()
                .as_str(),
            "https://example.com:8443/.well-known/oauth-authorization-server/a/b"
        );
        let d = Discovery::OpenIdConfiguration;
        assert_eq!(
            d.url(&iss("https://example.com/issuer1/"))
                .unwrap()
                .as_str(),
            "https://example.com/issuer1/.well-known/openid-configuration"
        );
        assert_eq!(
            d.url(&iss("http://127.0.0.1:8080")).unwrap().as_str(),
            "http://127.0.0.1:8080/.well-known/openid-configuration"
        );
        let req = o.to_request(&iss("https://example.com/t")).unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(
            req.uri(),
            "https://example.com/.well-known/oauth-authorization-server/t"
        );
        assert_eq!(req.headers()["accept"], "application/json");
    }

    const RFC8414_3_2: &[u8] = br#"{
      "issuer": "https://server.example.com",
      "authorization_endpoint": "https://server.example.com/authorize",
      "token_endpoint": "https://server.example.com/token",
      "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
      "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
      "userinfo_endpoint": "https://server.example.com/userinfo",
      "jwks_uri": "https://server.example.com/jwks.json",
      "registration_endpoint": "https://server.example.com/register",
      "scopes_supported": ["openid", "profile", "email", "address", "phone", "offline_access"],
      "response_types_supported": ["code", "code token"],
      "service_documentation": "http://server.example.com/service_documentation.html",
      "ui_locales_supported": ["en-US", "en-GB", "en-CA", "fr-FR", "fr-CA"]
    }"#;

    #[test]
    fn rfc8414_3_2_example_and_issuer_check() {
        let now = UNIX_EPOCH;
        let h = HeaderMap::new();
        let i = iss("https://server.example.com");
        let md = ServerMetadata::parse((StatusCode::OK, &h, RFC8414_3_2), &i, now).unwrap();
        let server = md.authorization_server().unwrap();
        assert_eq!(
            server.token_endpoint().as_str(),
            "https://server.example.com/token"
        );
        assert_eq!(server.issuer(), Some(&i));
        assert_eq!(md.token_endpoint(), Some(server.token_endpoint()));
        assert_eq!(
            md.token_endpoint_auth_methods_supported(),
            ["client_secret_basic", "private_key_jwt"]
        );
        assert_eq!(
            md.grant_types_supported(),
            ["authorization_code", "implicit"]
        );
        assert!(md.extra().contains_key("ui_locales_supported"));
        assert_eq!(
            md.choose_token_auth_method(&[AuthMethod::ClientSecretBasic]),
            Some(AuthMethod::ClientSecretBasic)
        );
        assert_eq!(
            md.choose_token_auth_method(&[AuthMethod::ClientSecretPost]),
            None
        );
        assert_eq!(
            md.choose_token_signing_alg(AuthMethod::PrivateKeyJwt, &["PS256", "ES256", "RS256"]),
            Some("ES256")
        );
        assert_eq!(
            md.choose_token_signing_alg(AuthMethod::ClientSecretJwt, &["HS256"]),
            None
        );
        // §3.3: the issuer must be identical, not just similar.
        for other in [
            "https://server.example.com/",
            "https://SERVER.example.com",
            "https://evil.example",
        ] {
            assert_eq!(
                ServerMetadata::parse((StatusCode::OK, &h, RFC8414_3_2), &iss(other), now)
                    .unwrap_err(),
                Error::invalid_value(
                    "issuer",
                    "differs from the issuer the metadata was requested for (RFC 8414 §3.3)"
                )
                .with_response(|| ResponseView::new(StatusCode::OK, &h, b"").info())
            );
        }
        assert_eq!(
            ServerMetadata::parse(
                (StatusCode::OK, &h, br#"{"token_endpoint":"https://a/t"}"#),
                &i,
                now
            )
            .unwrap_err(),
            Error::missing("issuer")
                .with_response(|| ResponseView::new(StatusCode::OK, &h, b"").info())
        );
        // Strict: content type and status.
        assert!(ServerMetadata::parse_with(
            (StatusCode::OK, &h, RFC8414_3_2),
            &i,
            now,
            &ParseOptions::with_profile(Profile::Strict)
        )
        .is_err());
    }

    #[test]
    fn bad_documents() {
        let now = UNIX_EPOCH;
        let h = HeaderMap::new();
        let i = iss("https://as.example");
        let cases: [(&[u8], &str); 5] = [
            (
                br#"{"issuer":"https://as.example","token_endpoint":"http://as.example/t"}"#,
                "token_endpoint",
            ),
            (
                br#"{"issuer":"https://as.example","token_endpoint":"/t"}"#,
                "token_endpoint",
            ),
            (
                br#"{"issuer":"https://as.example","scopes_supported":"a b"}"#,
                "scopes_supported",
            ),
            (
                br#"{"issuer":"https://as.example","grant_types_supported":[1]}"#,
                "grant_types_supported",
            ),
            (
                br#"{"issuer":"https://as.example","issuer":"https://as.example"}"#,
                "issuer",
            ),
        ];
        for (body, member) in cases {
            match ServerMetadata::parse((StatusCode::OK, &h, body), &i, now).unwrap_err() {
                Error::InvalidValue { member: m, .. } | Error::WrongType { member: m, .. } => {
                    assert_eq!(m, member)
                }
                Error::DuplicateMember { member: m, .. } => assert_eq!(m, member),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            ServerMetadata::parse((StatusCode::NOT_FOUND, &h, b"<html>"), &i, now),
            Err(Error::NotJson {
                response: crate::ResponseInfo { status: 404, .. },
                ..
            })
        ));
        assert!(matches!(
            ServerMetadata::parse((StatusCode::OK, &h, b"[]"), &i, now),
            Err(Error::WrongType { .. })
        ));
        // An issuer the caller opted into plain http for does not open its endpoints to http:
        // that takes the named parse option too.
        let lab = Issuer::parse_danger_allow_http("http://as.lab").unwrap();
        let lab_doc = br#"{"issuer":"http://as.lab","token_endpoint":"http://as.lab/t"}"#;
        assert_eq!(
            ServerMetadata::parse((StatusCode::OK, &h, lab_doc), &lab, now).unwrap_err(),
            Error::invalid_value(
                "token_endpoint",
                "plain http to a host that is not loopback"
            )
            .with_response(|| ResponseView::new(StatusCode::OK, &h, b"").info())
        );
        let danger = ParseOptions {
            danger_allow_http_endpoints: true,
            ..ParseOptions::default()
        };
        let md =
            ServerMetadata::parse_with((StatusCode::OK, &h, lab_doc), &lab, now, &danger).unwrap();
        assert_eq!(
            md.token_endpoint_auth_methods_supported(),
            ["client_secret_basic"]
        );
        assert_eq!(
            md.choose_token_signing_alg(AuthMethod::PrivateKeyJwt, &["ES256"]),
            None
        );
    }

    /// Defect 7 of issue 8: a document fetched from a plain-http loopback issuer must not send
    /// an endpoint to another host over plain http (RFC 6749 §3.1, §3.2 require TLS).
    #[test]
    fn loopback_issuer_cannot_point_elsewhere_over_http() {
        let now = UNIX_EPOCH;
        let h = HeaderMap::new();
        let danger = ParseOptions {
            danger_allow_http_endpoints: true,
            ..ParseOptions::default()
        };
        for issuer in [
            "http://127.0.0.1:8080",
            "http://localhost:9",
            "http://[::1]:80",
        ] {
            let i = iss(issuer);
            for (member, url) in [
                ("token_endpoint", "http://attacker.example/token"),
                (
                    "introspection_endpoint",
                    "http://127.0.0.1.attacker.example/i",
                ),
                ("revocation_endpoint", "http://localhost.attacker.example/r"),
                ("jwks_uri", "http://10.0.0.1/jwks"),
            ] {
                let body = format!(r#"{{"issuer":"{issuer}","{member}":"{url}"}}"#);
                let e = ServerMetadata::parse((StatusCode::OK, &h, body.as_bytes()), &i, now)
                    .unwrap_err();
                assert!(
                    matches!(
                        e,
                        Error::InvalidValue {
                            member: m,
                            reason: "plain http to a host that is not loopback",
                            ..
                        } if m == member
                    ),
                    "{issuer} {member} {url}: {e:?}"
                );
                // The caller's named opt-in accepts it.
                let md = ServerMetadata::parse_with(
                    (StatusCode::OK, &h, body.as_bytes()),
                    &i,
                    now,
                    &danger,
                )
                .unwrap();
                assert_eq!(md.extra().len(), 0);
            }
            // Loopback endpoints (on any loopback host) and https endpoints stay accepted.
            let body = format!(
                r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token",
                "introspection_endpoint":"http://127.0.0.2:1/i",
                "revocation_endpoint":"http://localhost/r",
                "jwks_uri":"https://keys.example/jwks"}}"#
            );
            let md = ServerMetadata::parse((StatusCode::OK, &h, body.as_bytes()), &i, now).unwrap();
            assert_eq!(
                md.token_endpoint().unwrap().as_str(),
                format!("{issuer}/token")
            );
            assert_eq!(
                md.introspection_endpoint().unwrap().as_str(),
                "http://127.0.0.2:1/i"
            );
            assert_eq!(
                md.revocation_endpoint().unwrap().as_str(),
                "http://localhost/r"
            );
            assert_eq!(md.jwks_uri().unwrap().as_str(), "https://keys.example/jwks");
        }
        // An https issuer keeps https endpoints, and loopback http ones.
        let i = iss("https://as.example");
        let body = br#"{"issuer":"https://as.example","token_endpoint":"https://as.example/t",
            "introspection_endpoint":"http://127.0.0.1/i"}"#;
        assert!(ServerMetadata::parse((StatusCode::OK, &h, body), &i, now).is_ok());
    }

    #[test]
    fn choosing_methods_and_algs() {
        let all = [
            "none",
            "client_secret_post",
            "client_secret_basic",
            "client_secret_jwt",
            "private_key_jwt",
            "tls_client_auth",
        ];
        let me = [
            AuthMethod::ClientSecretPost,
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretJwt,
        ];
        assert_eq!(
            choose_auth_method(all, &me),
            Some(AuthMethod::ClientSecretJwt)
        );
        assert_eq!(
            choose_auth_method(all, &AuthMethod::ALL),
            Some(AuthMethod::PrivateKeyJwt)
        );
        assert_eq!(
            choose_auth_method(["client_secret_post", "client_secret_basic"], &me),
            Some(AuthMethod::ClientSecretBasic)
        );
        assert_eq!(
            choose_auth_method(["unauthenticated", "magic"], &AuthMethod::ALL),
            None
        );
        assert_eq!(
            choose_signing_alg(
                AuthMethod::PrivateKeyJwt,
                ["none", "HS256", "RS256"],
                &["none", "HS256", "RS256"]
            ),
            Some("RS256")
        );
        assert_eq!(
            choose_signing_alg(
                AuthMethod::ClientSecretJwt,
                ["HS512", "RS256"],
                &["RS256", "HS512"]
            ),
            Some("HS512")
        );
        assert!(!alg_fits_method(AuthMethod::ClientSecretBasic, "RS256"));
    }
}
