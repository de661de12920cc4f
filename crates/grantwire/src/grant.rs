//! Token requests for each grant (RFC 6749 §4.1.3, §4.4.2, §6; RFC 7523 §2.1; RFC 8693 §2.1;
//! RFC 8707 §2), built as a [`SecretRequest`]: its `Debug` hides the body, which is allocated
//! once and wiped on drop.
//!
//! Every builder takes `&self` in `to_request`, so one builder (with its scope, audience,
//! resources and extra parameters) serves every re-fetch.

use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, Method};

use crate::auth::{form_param_len, AuthParts, ClientAuthentication, Context};
use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::form::Form;
use crate::pkce::PkceVerifier;
use crate::request::SecretRequest;
use crate::secret::{RefreshToken, SecretString};
use crate::{Error, Scope};

/// Parameter names owned by client authentication; never accepted as extras.
const AUTH_PARAMS: &[&str] = &[
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// Extra parameters a caller adds to a request; each is checked against the built-in ones.
#[derive(Clone, Default)]
pub(crate) struct Extras(Vec<(String, SecretString)>);

impl std::fmt::Debug for Extras {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Extras {
    fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), SecretString::new(value)));
    }
}

/// Checks an RFC 8707 §2 resource indicator: an absolute URI without a fragment.
fn check_resource(resource: &str) -> Result<(), Error> {
    let bad = Error::InvalidParameter {
        name: "resource".into(),
        reason: "a resource indicator must be an absolute URI without a fragment (RFC 8707 §2)",
    };
    let scheme_end = resource.find(':').ok_or_else(|| bad.clone())?;
    let scheme = &resource[..scheme_end];
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !valid_scheme || resource.contains('#') || resource.len() == scheme_end + 1 {
        return Err(bad);
    }
    Ok(())
}

/// The headers every form request starts from (RFC 6749 §4.1.3, §4.4.2: a form body; §5.1: a
/// JSON answer), with `auth`'s [`ClientAuthentication::fixed_header`]; built once per
/// [`Client`], cloned per request.
pub(crate) fn form_headers(auth: &dyn ClientAuthentication) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    if let Some((name, value)) = auth.fixed_header() {
        headers.insert(name, value);
    }
    headers
}

/// Assembles a POST form request to `endpoint` (one of `client`'s server's endpoints): the
/// grant's parameters, then client authentication, then the caller's extras (which may not repeat any name already present or
/// reserved for this grant).
///
/// The body is allocated once: `fill` first runs against a [`Form::measuring`] form, and the
/// client authentication's [`ClientAuthentication::form_size_hint`] and the extras are added.
pub(crate) fn form_request(
    client: &Client,
    endpoint: &Endpoint,
    ctx: &mut Context<'_>,
    reserved: &[&str],
    extras: &[(String, SecretString)],
    fill: impl Fn(&mut Form) -> Result<(), Error>,
) -> Result<SecretRequest, Error> {
    for (name, _) in extras {
        if reserved.contains(&name.as_str()) || AUTH_PARAMS.contains(&name.as_str()) {
            return Err(Error::DuplicateParameter { name: name.clone() });
        }
    }
    let target = client.target(endpoint);
    let auth: &dyn ClientAuthentication = client.auth();
    let mut measure = Form::measuring();
    fill(&mut measure)?;
    let capacity = extras.iter().fold(
        measure.measured() + auth.form_size_hint(&target),
        |n, (name, value)| n + form_param_len(name, value.secret()),
    );
    let mut form = Form::with_capacity(capacity);
    fill(&mut form)?;
    // A clone of the client's starting headers: no hashing per request.
    let mut headers = client.form_headers().clone();
    auth.authenticate(
        &mut AuthParts {
            form: &mut form,
            headers: &mut headers,
        },
        &target,
        ctx,
    )?;
    for (name, value) in extras {
        form.append(name, value.secret())?;
    }
    Ok(SecretRequest::new(
        Method::POST,
        endpoint.uri().clone(),
        headers,
        form.into_bytes(),
    ))
}

macro_rules! common_builder_methods {
    () => {
        /// Adds a parameter the grant does not know. It is sent on every request built from
        /// this builder; a name the grant or client authentication uses is refused by
        /// `to_request` with [`Error::DuplicateParameter`].
        pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.extras.push(name, value);
            self
        }
    };
}

/// The client credentials grant (RFC 6749 §4.4), with `audience` (Auth0 and others) and
/// resource indicators (RFC 8707).
///
/// ```
/// use std::time::SystemTime;
/// use grantwire::{AuthorizationServer, Client, ClientCredentials, ClientSecretBasic, ClientId, ClientSecret, Context, Endpoint, Scope};
/// let server = AuthorizationServer::new(Endpoint::parse("https://server.example.com/token").unwrap());
/// let auth = ClientSecretBasic::new(ClientId::new("s6BhdRkqt3"), ClientSecret::new("gX1fBat3bV"));
/// let client = Client::new(server, auth).unwrap();
/// let grant = ClientCredentials::new().scope(Scope::parse("read write").unwrap());
/// let mut rng = |b: &mut [u8]| b.fill(7);
/// let req = grant.to_request(&client, &mut Context::new(SystemTime::UNIX_EPOCH, &mut rng)).unwrap();
/// assert_eq!(req.body(), b"grant_type=client_credentials&scope=read%20write");
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    scope: Option<Scope>,
    audience: Option<String>,
    resources: Vec<String>,
    extras: Extras,
    /// `grant_type`, `scope`, `audience` and `resource` form-encoded, redone by each setter:
    /// none is secret, and every request copies them at once.
    encoded: Vec<u8>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("resources", &self.resources)
            .field("extras", &self.extras)
            .finish()
    }
}

impl Default for ClientCredentials {
    fn default() -> Self {
        Self {
            scope: None,
            audience: None,
            resources: Vec::new(),
            extras: Extras::default(),
            encoded: Vec::new(),
        }
        .encode()
    }
}

impl ClientCredentials {
    /// A grant with no scope, audience or resource.
    pub fn new() -> Self {
        Self::default()
    }

    /// The scope to request (RFC 6749 §4.4.2).
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope).filter(|s| !s.is_empty());
        self.encode()
    }

    /// The `audience` parameter (Auth0-style APIs).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self.encode()
    }

    /// Adds a `resource` indicator (RFC 8707 §2); may be repeated.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self.encode()
    }

    /// Encodes the grant's own parameters once (RFC 6749 §4.4.2, RFC 8707 §2), in the order
    /// every request sends them.
    fn encode(mut self) -> Self {
        let mut form = Form::new();
        form.push_pair("grant_type", "client_credentials");
        if let Some(s) = &self.scope {
            form.push_pair("scope", s.as_str());
        }
        if let Some(a) = &self.audience {
            form.push_pair("audience", a);
        }
        for r in &self.resources {
            form.push_pair("resource", r);
        }
        self.encoded = form.into_bytes();
        self
    }

    common_builder_methods!();

    /// The requested scope.
    pub fn requested_scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
    }

    /// Builds the request (RFC 6749 §4.4.2).
    pub fn to_request(
        &self,
        client: &Client,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        for r in &self.resources {
            check_resource(r)?;
        }
        form_request(
            client,
            client.server().token_endpoint(),
            ctx,
            &["grant_type", "scope", "audience", "resource"],
            &self.extras.0,
            |form| {
                form.push_encoded(&self.encoded);
                Ok(())
            },
        )
    }
}

/// Appends a parameter that RFC 8707 / RFC 8693 allow to repeat.
fn append_repeated(form: &mut Form, name: &str, values: &[String]) -> Result<(), Error> {
    if !values.is_empty() && form.contains(name) {
        return Err(Error::DuplicateParameter { name: name.into() });
    }
    for v in values {
        form.push_pair(name, v);
    }
    Ok(())
}

/// The refresh token grant (RFC 6749 §6), with an optional narrower scope.
#[derive(Clone, Debug)]
pub struct RefreshGrant {
    refresh_token: RefreshToken,
    scope: Option<Scope>,
    extras: Extras,
}

impl RefreshGrant {
    /// Refreshes with `refresh_token`.
    pub fn new(refresh_token: RefreshToken) -> Self {
        Self {
            refresh_token,
            scope: None,
            extras: Extras::default(),
        }
    }

    /// A scope no broader than the one originally granted (RFC 6749 §6).
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope).filter(|s| !s.is_empty());
        self
    }

    common_builder_methods!();

    /// Builds the request (RFC 6749 §6).
    pub fn to_request(
        &self,
        client: &Client,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        form_request(
            client,
            client.server().token_endpoint(),
            ctx,
            &["grant_type", "refresh_token", "scope"],
            &self.extras.0,
            |form| {
                form.append("grant_type", "refresh_token")?;
                form.append("refresh_token", self.refresh_token.secret())?;
                if let Some(s) = &self.scope {
                    form.append("scope", s.as_str())?;
                }
                Ok(())
            },
        )
    }
}

/// The authorization code grant's token request (RFC 6749 §4.1.3) with the PKCE verifier
/// (RFC 7636 §4.5).
#[derive(Clone, Debug)]
pub struct AuthorizationCodeGrant {
    code: SecretString,
    redirect_uri: Option<String>,
    verifier: Option<PkceVerifier>,
    extras: Extras,
}

impl AuthorizationCodeGrant {
    /// Exchanges `code`.
    pub fn new(code: SecretString) -> Self {
        Self {
            code,
            redirect_uri: None,
            verifier: None,
            extras: Extras::default(),
        }
    }

    /// The `redirect_uri` sent in the authorization request (RFC 6749 §4.1.3: required if it
    /// was sent there, with the identical value).
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The PKCE `code_verifier` (RFC 7636 §4.5).
    pub fn pkce_verifier(mut self, verifier: PkceVerifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    common_builder_methods!();

    /// Builds the request (RFC 6749 §4.1.3).
    pub fn to_request(
        &self,
        client: &Client,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        form_request(
            client,
            client.server().token_endpoint(),
            ctx,
            &["grant_type", "code", "redirect_uri", "code_verifier"],
            &self.extras.0,
            |form| {
                form.append("grant_type", "authorization_code")?;
                form.append("code", self.code.secret())?;
                if let Some(r) = &self.redirect_uri {
                    form.append("redirect_uri", r)?;
                }
                if let Some(v) = &self.verifier {
                    form.append("code_verifier", v.secret())?;
                }
                Ok(())
            },
        )
    }
}

/// The `grant_type` of the JWT bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The `grant_type` of token exchange (RFC 8693 §2.1).
pub const TOKEN_EXCHANGE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The JWT bearer authorization grant (RFC 7523 §2.1). The assertion is an input: mint it with
/// `grantwire-jose` or take it from elsewhere. Combine with [`crate::Unauthenticated`] when the
/// assertion alone identifies the caller (Google service accounts).
#[derive(Clone, Debug)]
pub struct JwtBearer {
    assertion: SecretString,
    scope: Option<Scope>,
    extras: Extras,
}

impl JwtBearer {
    /// A grant carrying `assertion` (a compact JWT).
    pub fn new(assertion: SecretString) -> Self {
        Self {
            assertion,
            scope: None,
            extras: Extras::default(),
        }
    }

    /// The scope to request (RFC 7523 §2.1).
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope).filter(|s| !s.is_empty());
        self
    }

    common_builder_methods!();

    /// Builds the request (RFC 7523 §2.1).
    pub fn to_request(
        &self,
        client: &Client,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        form_request(
            client,
            client.server().token_endpoint(),
            ctx,
            &["grant_type", "assertion", "scope"],
            &self.extras.0,
            |form| {
                form.append("grant_type", JWT_BEARER_GRANT_TYPE)?;
                form.append("assertion", self.assertion.secret())?;
                if let Some(s) = &self.scope {
                    form.append("scope", s.as_str())?;
                }
                Ok(())
            },
        )
    }
}

/// Token type identifiers of RFC 8693 §3.
pub mod token_type_uri {
    /// An OAuth 2.0 access token.
    pub const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
    /// An OAuth 2.0 refresh token.
    pub const REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
    /// An OpenID Connect ID token.
    pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
    /// A JWT.
    pub const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
    /// A base64url-encoded SAML 1.1 assertion.
    pub const SAML1: &str = "urn:ietf:params:oauth:token-type:saml1";
    /// A base64url-encoded SAML 2.0 assertion.
    pub const SAML2: &str = "urn:ietf:params:oauth:token-type:saml2";
}

/// OAuth 2.0 token exchange (RFC 8693 §2.1).
#[derive(Clone, Debug)]
pub struct TokenExchange {
    subject_token: SecretString,
    subject_token_type: String,
    actor: Option<(SecretString, String)>,
    requested_token_type: Option<String>,
    audiences: Vec<String>,
    resources: Vec<String>,
    scope: Option<Scope>,
    extras: Extras,
}

impl TokenExchange {
    /// Exchanges `subject_token` of type `subject_token_type` (see [`token_type_uri`]).
    pub fn new(subject_token: SecretString, subject_token_type: impl Into<String>) -> Self {
        Self {
            subject_token,
            subject_token_type: subject_token_type.into(),
            actor: None,
            requested_token_type: None,
            audiences: Vec::new(),
            resources: Vec::new(),
            scope: None,
            extras: Extras::default(),
        }
    }

    /// The acting party's token and its type (RFC 8693 §2.1 `actor_token`).
    pub fn actor_token(mut self, token: SecretString, token_type: impl Into<String>) -> Self {
        self.actor = Some((token, token_type.into()));
        self
    }

    /// The type of token wanted (`requested_token_type`).
    pub fn requested_token_type(mut self, t: impl Into<String>) -> Self {
        self.requested_token_type = Some(t.into());
        self
    }

    /// Adds an `audience` (may be repeated).
    pub fn audience(mut self, a: impl Into<String>) -> Self {
        self.audiences.push(a.into());
        self
    }

    /// Adds a `resource` (may be repeated; RFC 8707 rules).
    pub fn resource(mut self, r: impl Into<String>) -> Self {
        self.resources.push(r.into());
        self
    }

    /// The scope to request.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope).filter(|s| !s.is_empty());
        self
    }

    common_builder_methods!();

    /// Builds the request (RFC 8693 §2.1).
    pub fn to_request(
        &self,
        client: &Client,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        for r in &self.resources {
            check_resource(r)?;
        }
        form_request(
            client,
            client.server().token_endpoint(),
            ctx,
            &[
                "grant_type",
                "subject_token",
                "subject_token_type",
                "actor_token",
                "actor_token_type",
                "requested_token_type",
                "audience",
                "resource",
                "scope",
            ],
            &self.extras.0,
            |form| {
                form.append("grant_type", TOKEN_EXCHANGE_GRANT_TYPE)?;
                form.append("subject_token", self.subject_token.secret())?;
                form.append("subject_token_type", &self.subject_token_type)?;
                if let Some((t, ty)) = &self.actor {
                    form.append("actor_token", t.secret())?;
                    form.append("actor_token_type", ty)?;
                }
                if let Some(r) = &self.requested_token_type {
                    form.append("requested_token_type", r)?;
                }
                append_repeated(form, "resource", &self.resources)?;
                append_repeated(form, "audience", &self.audiences)?;
                if let Some(s) = &self.scope {
                    form.append("scope", s.as_str())?;
                }
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        AuthorizationServer, ClientId, ClientSecret, ClientSecretBasic, ClientSecretPost, NoneAuth,
    };
    use std::time::SystemTime;

    fn client(url: &str, auth: impl ClientAuthentication + 'static) -> Client {
        Client::new(
            AuthorizationServer::new(Endpoint::parse(url).unwrap()),
            auth,
        )
        .unwrap()
    }

    fn ctx_run<T>(f: impl FnOnce(&mut Context<'_>) -> T) -> T {
        let mut rng = |b: &mut [u8]| b.fill(1);
        let mut ctx = Context::new(SystemTime::UNIX_EPOCH, &mut rng);
        f(&mut ctx)
    }

    #[test]
    fn rfc6749_4_4_2_example() {
        // RFC 6749 §4.4.2: POST /token, Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW,
        // grant_type=client_credentials.
        let auth =
            ClientSecretBasic::new(ClientId::new("s6BhdRkqt3"), ClientSecret::new("gX1fBat3bV"));
        let cl = client("https://server.example.com/token", auth);
        let req = ctx_run(|c| ClientCredentials::new().to_request(&cl, c)).unwrap();
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri(), "https://server.example.com/token");
        assert_eq!(
            req.headers()["authorization"],
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
        assert_eq!(
            req.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(req.headers()["accept"], "application/json");
        assert_eq!(req.body(), b"grant_type=client_credentials");
    }

    #[test]
    fn extras_cannot_override_and_persist() {
        let auth = ClientSecretPost::new("c".into(), ClientSecret::new("s"));
        let cl = client("https://as.example/token", auth);
        for name in [
            "scope",
            "grant_type",
            "client_secret",
            "resource",
            "audience",
        ] {
            let g = ClientCredentials::new().extra(name, "x");
            assert_eq!(
                ctx_run(|c| g.to_request(&cl, c)).unwrap_err(),
                Error::DuplicateParameter { name: name.into() }
            );
        }
        let g = ClientCredentials::new()
            .resource("https://api.example/a")
            .resource("https://api.example/b")
            .audience("https://api.example")
            .extra("tenant", "t 1");
        for _ in 0..2 {
            let req = ctx_run(|c| g.to_request(&cl, c)).unwrap();
            assert_eq!(
                std::str::from_utf8(req.body()).unwrap(),
                "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example&resource=https%3A%2F%2Fapi.example%2Fa&resource=https%3A%2F%2Fapi.example%2Fb&client_id=c&client_secret=s&tenant=t%201"
            );
        }
        let g = ClientCredentials::new().resource("not a uri");
        assert!(matches!(
            ctx_run(|c| g.to_request(&cl, c)),
            Err(Error::InvalidParameter { .. })
        ));
        let g = ClientCredentials::new().resource("https://api.example/#frag");
        assert!(ctx_run(|c| g.to_request(&cl, c)).is_err());
    }

    #[test]
    fn other_grants_carry_their_parameters() {
        let pub_client = client("https://as.example/token", NoneAuth::new("app".into()));
        let anonymous = client("https://as.example/token", crate::Unauthenticated);
        let req = ctx_run(|c| {
            RefreshGrant::new(RefreshToken::new("tGzv3JOkF0XG5Qx2TlKWIA"))
                .scope(Scope::parse("read").unwrap())
                .to_request(&pub_client, c)
        })
        .unwrap();
        assert_eq!(
            req.body(),
            b"grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&scope=read&client_id=app"
        );
        let req = ctx_run(|c| {
            TokenExchange::new(SecretString::new("subj"), token_type_uri::ACCESS_TOKEN)
                .actor_token(SecretString::new("act"), token_type_uri::JWT)
                .audience("a1")
                .audience("a2")
                .to_request(&anonymous, c)
        })
        .unwrap();
        let pairs = crate::form::parse(req.body()).unwrap();
        let get = |k: &str| {
            pairs
                .iter()
                .filter(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("grant_type"), [TOKEN_EXCHANGE_GRANT_TYPE]);
        assert_eq!(get("audience"), ["a1", "a2"]);
        assert_eq!(get("actor_token_type"), [token_type_uri::JWT]);
        let req =
            ctx_run(|c| JwtBearer::new(SecretString::new("eyJ.a.b")).to_request(&anonymous, c))
                .unwrap();
        assert!(req.headers().get("authorization").is_none());
        assert_eq!(
            crate::form::parse(req.body()).unwrap(),
            vec![
                ("grant_type".to_string(), JWT_BEARER_GRANT_TYPE.to_string()),
                ("assertion".to_string(), "eyJ.a.b".to_string())
            ]
        );
    }
}
