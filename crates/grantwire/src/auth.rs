//! Client authentication at the token endpoint (RFC 6749 §2.3, RFC 8705 §2, RFC 7523 §2.2).
//!
//! One trait, [`ClientAuthentication`], and the methods that need no key material:
//! [`NoneAuth`] (`none`), [`ClientSecretBasic`], [`ClientSecretPost`], [`TlsClientAuth`],
//! [`SelfSignedTlsClientAuth`], and [`Unauthenticated`] (no client identity at all, for the JWT
//! bearer grant as Google uses it). `grantwire-jose` implements the same trait for
//! `client_secret_jwt` and `private_key_jwt`; the core never sees a key.

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http::HeaderMap;
use zeroize::Zeroizing;

use crate::endpoint::{Endpoint, Issuer};
use crate::form::{encode_into, Form};
use crate::secret::{ClientId, ClientSecret};
use crate::server::AuthorizationServer;
use crate::Error;

/// A source of randomness passed in by the caller (the core has no RNG of its own).
///
/// Any `FnMut(&mut [u8])` is one, so a `rand` generator plugs in as
/// `&mut |buf: &mut [u8]| rng.fill_bytes(buf)`. Production callers must use a cryptographically
/// secure generator: the bytes become `jti` values, PKCE verifiers and `state`.
pub trait Entropy {
    /// Fills `dest` with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> Entropy for F {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self(dest)
    }
}

/// What a request builder is given from outside: the current time and an entropy source.
pub struct Context<'a> {
    now: SystemTime,
    entropy: &'a mut dyn Entropy,
}

impl<'a> Context<'a> {
    /// A context for one request.
    pub fn new(now: SystemTime, entropy: &'a mut dyn Entropy) -> Self {
        Self { now, entropy }
    }

    /// The time the caller says it is.
    pub fn now(&self) -> SystemTime {
        self.now
    }

    /// Fills `dest` from the caller's entropy source.
    pub fn fill_random(&mut self, dest: &mut [u8]) {
        self.entropy.fill_bytes(dest)
    }
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// The client authentication methods registered with IANA (`token_endpoint_auth_method`,
/// RFC 7591 §2, RFC 8705 §2.1.1, §2.2.1), plus [`AuthMethod::Unauthenticated`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMethod {
    /// `none`: a public client, `client_id` in the body (RFC 7591 §2).
    None,
    /// `client_secret_basic` (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_secret_post` (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// `client_secret_jwt` (RFC 7523 §2.2, OpenID Connect Core §9).
    ClientSecretJwt,
    /// `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9).
    PrivateKeyJwt,
    /// `tls_client_auth` (RFC 8705 §2.1).
    TlsClientAuth,
    /// `self_signed_tls_client_auth` (RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
    /// No client identity sent at all (JWT bearer grant without client authentication,
    /// RFC 7523 §3.1). Not an IANA value.
    Unauthenticated,
}

impl AuthMethod {
    /// Every method, in the order of preference used by metadata helpers.
    pub const ALL: [AuthMethod; 8] = [
        AuthMethod::PrivateKeyJwt,
        AuthMethod::ClientSecretJwt,
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::TlsClientAuth,
        AuthMethod::SelfSignedTlsClientAuth,
        AuthMethod::None,
        AuthMethod::Unauthenticated,
    ];

    /// The IANA registry name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
            AuthMethod::Unauthenticated => "unauthenticated",
        }
    }

    /// Parses an IANA registry name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which value a client assertion names as its `aud` (RFC 7523 §3). Real servers disagree, so
/// each rule has a name and the caller picks one; never a guess, never an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssertionAudience {
    /// The authorization server's issuer identifier, at every endpoint (the default).
    /// draft-ietf-oauth-rfc7523bis: the audience MUST be the issuer, closing the 2025
    /// audience-injection attack.
    Issuer,
    /// The token endpoint URL, at every endpoint, introspection and revocation included (the
    /// rule of RFC 7523 §3 as Okta, Entra ID, Google and Authlib apply it).
    TokenEndpoint,
    /// The URL of the endpoint the request is sent to: the token endpoint for token requests,
    /// the introspection endpoint for introspection, and so on. Some servers (Glewlwyd) accept
    /// nothing else.
    CalledEndpoint,
}

impl AssertionAudience {
    /// What the rule names, for messages.
    fn describe(self) -> &'static str {
        match self {
            Self::Issuer => "the issuer identifier",
            Self::TokenEndpoint => "the token endpoint URL",
            Self::CalledEndpoint => "the URL of the endpoint called",
        }
    }

    /// How to provide what the rule needs, for [`Error::AudienceUnavailable`].
    pub(crate) fn remedy(self) -> &'static str {
        match self {
            Self::Issuer => "set it on the server value (AuthorizationServer::with_issuer, or build it from discovered metadata), or choose the token-endpoint audience for servers that require it",
            // The server value always has a token endpoint and every request its endpoint.
            Self::TokenEndpoint | Self::CalledEndpoint => "every request knows this URL; this is a bug",
        }
    }
}

impl fmt::Display for AssertionAudience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Where the request goes, for methods that sign an audience into an assertion: the endpoint
/// called and the [`AuthorizationServer`] it belongs to, so every audience rule is derived from
/// the same value at every endpoint.
///
/// ```
/// use grantwire::{AssertionAudience, AuthTarget, AuthorizationServer, Endpoint, Issuer};
/// let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?)
///     .with_introspection_endpoint(Endpoint::parse("https://as.example/introspect")?);
/// let target = AuthTarget::new(&server, server.introspection_endpoint()?);
/// assert_eq!(target.audience(AssertionAudience::CalledEndpoint)?, "https://as.example/introspect");
/// assert_eq!(target.audience(AssertionAudience::TokenEndpoint)?, "https://as.example/token");
/// assert!(target.audience(AssertionAudience::Issuer).is_err()); // no issuer set
/// let server = server.with_issuer(Issuer::parse("https://as.example")?);
/// let target = AuthTarget::new(&server, server.token_endpoint());
/// assert_eq!(target.audience(AssertionAudience::Issuer)?, "https://as.example");
/// # Ok::<(), grantwire::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct AuthTarget<'a> {
    /// The endpoint the request is sent to (token, introspection or revocation endpoint).
    pub endpoint: &'a Endpoint,
    /// The authorization server the endpoint belongs to.
    pub server: &'a AuthorizationServer,
}

impl<'a> AuthTarget<'a> {
    /// A request to `endpoint` of `server`.
    pub fn new(server: &'a AuthorizationServer, endpoint: &'a Endpoint) -> Self {
        Self { endpoint, server }
    }

    /// The issuer identifier, when the server value has one.
    pub fn issuer(&self) -> Option<&'a Issuer> {
        self.server.issuer()
    }

    /// The token endpoint URL.
    pub fn token_endpoint(&self) -> &'a Endpoint {
        self.server.token_endpoint()
    }

    /// The `aud` value `rule` gives for this request
    /// ([`AuthorizationServer::assertion_audience`]), or [`Error::AudienceUnavailable`] when the
    /// server value lacks what the rule needs (never a fallback to another rule).
    pub fn audience(&self, rule: AssertionAudience) -> Result<&'a str, Error> {
        self.server.assertion_audience(rule, self.endpoint)
    }
}

/// The parts of a request a client-authentication method may add to.
#[derive(Debug)]
pub struct AuthParts<'a> {
    /// The form body; names are unique, so a method cannot override a grant parameter.
    pub form: &'a mut Form,
    /// The request headers.
    pub headers: &'a mut HeaderMap,
}

/// A way for a client to authenticate to the authorization server (RFC 6749 §2.3).
///
/// Implementations add form parameters and/or headers to a request. They get the target
/// (the endpoint called and its [`AuthorizationServer`]) so assertion-based methods can pick their audience, and a [`Context`]
/// with `now` and entropy so they stay deterministic under test.
pub trait ClientAuthentication: Send + Sync {
    /// The method, as named in the IANA registry.
    fn method(&self) -> AuthMethod;

    /// The client identifier, or `None` for [`Unauthenticated`].
    fn client_id(&self) -> Option<&ClientId>;

    /// Whether this method can authenticate at `server`: called once by
    /// [`Client::new`](crate::Client::new), so a configuration that cannot work (an assertion
    /// audience the server value cannot supply, see
    /// [`AuthorizationServer::check_assertion_audience`]) fails when the client is configured,
    /// not at the first request. The default accepts every server.
    fn check_server(&self, server: &AuthorizationServer) -> Result<(), Error> {
        let _ = server;
        Ok(())
    }

    /// An upper bound of the bytes [`ClientAuthentication::authenticate`] adds to the form body
    /// for `target`, each parameter's `&` separator included, so a builder allocates the body
    /// once. The default, `0`, is correct but makes the body grow (into a new buffer, the old one
    /// wiped) when the method adds parameters.
    fn form_size_hint(&self, target: &AuthTarget<'_>) -> usize {
        let _ = target;
        0
    }

    /// A header this method sends unchanged with every request (for [`ClientSecretBasic`], its
    /// `Authorization: Basic` value, marked sensitive), or `None`, the default. A
    /// [`Client`](crate::Client) asks once, when it is configured, and puts the header in the
    /// headers every form request starts from (a clone of them per request instead of a
    /// hashed insert per header); [`ClientAuthentication::authenticate`] then finds it already
    /// there and must accept that.
    fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        None
    }

    /// Adds this method's parameters and headers to a request.
    fn authenticate(
        &self,
        parts: &mut AuthParts<'_>,
        target: &AuthTarget<'_>,
        ctx: &mut Context<'_>,
    ) -> Result<(), Error>;
}

/// The bytes `&name=value` takes in a form body, once percent-encoded.
pub fn form_param_len(name: &str, value: &str) -> usize {
    1 + crate::form::encoded_len(name) + 1 + crate::form::encoded_len(value)
}

/// Defines a method that sends only `client_id` in the body: the name, the registry entry and the
/// documentation differ, nothing else.
macro_rules! client_id_in_body {
    ($(#[$doc:meta])* $name:ident, $method:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            client_id: ClientId,
        }

        impl $name {
            #[doc = $what]
            pub fn new(client_id: ClientId) -> Self {
                Self { client_id }
            }
        }

        impl ClientAuthentication for $name {
            fn form_size_hint(&self, _: &AuthTarget<'_>) -> usize {
                form_param_len("client_id", self.client_id.as_str())
            }
            fn method(&self) -> AuthMethod {
                $method
            }
            fn client_id(&self) -> Option<&ClientId> {
                Some(&self.client_id)
            }
            fn authenticate(
                &self,
                parts: &mut AuthParts<'_>,
                _: &AuthTarget<'_>,
                _: &mut Context<'_>,
            ) -> Result<(), Error> {
                parts.form.append("client_id", self.client_id.as_str())
            }
        }
    };
}

client_id_in_body!(
    /// `none`: a public client identifies itself with `client_id` in the body (RFC 6749 §2.3,
    /// RFC 7591 §2).
    NoneAuth,
    AuthMethod::None,
    "A public client."
);

client_id_in_body!(
    /// `tls_client_auth`: mutual TLS with a PKI-issued certificate (RFC 8705 §2.1). The body
    /// carries `client_id` (RFC 8705 §2: so the server can find the registration); the transport
    /// must present the certificate.
    TlsClientAuth,
    AuthMethod::TlsClientAuth,
    "Mutual-TLS client authentication."
);

client_id_in_body!(
    /// `self_signed_tls_client_auth`: mutual TLS with a self-signed certificate registered with
    /// the server (RFC 8705 §2.2). The body carries `client_id`; the transport presents the
    /// certificate.
    SelfSignedTlsClientAuth,
    AuthMethod::SelfSignedTlsClientAuth,
    "Self-signed mutual-TLS client authentication."
);

/// No client identity at all: for the JWT bearer grant where the assertion alone identifies the
/// caller (RFC 7523 §3.1 makes client authentication optional there; Google service accounts).
#[derive(Clone, Copy, Debug, Default)]
pub struct Unauthenticated;

impl ClientAuthentication for Unauthenticated {
    fn method(&self) -> AuthMethod {
        AuthMethod::Unauthenticated
    }
    fn client_id(&self) -> Option<&ClientId> {
        None
    }
    fn authenticate(
        &self,
        _: &mut AuthParts<'_>,
        _: &AuthTarget<'_>,
        _: &mut Context<'_>,
    ) -> Result<(), Error> {
        Ok(())
    }
}

/// `client_secret_basic`: HTTP Basic with the client id and secret (RFC 6749 §2.3.1, RFC 7617).
///
/// By default both are form-encoded before base64, as RFC 6749 §2.3.1 requires, with a space
/// sent as `%20` (read right by form decoders and plain percent decoders alike). For servers that
/// do not decode, [`ClientSecretBasic::without_form_encoding`] sends them raw.
///
/// ```
/// use grantwire::{ClientId, ClientSecret, ClientSecretBasic};
/// let auth = ClientSecretBasic::new(ClientId::new("s6BhdRkqt3"), ClientSecret::new("7Fjfp0ZBr1KtDRbnfVdmIw"));
/// assert_eq!(format!("{auth:?}"), r#"ClientSecretBasic { client_id: ClientId("s6BhdRkqt3"), .. }"#);
/// ```
#[derive(Clone)]
pub struct ClientSecretBasic {
    client_id: ClientId,
    /// `Authorization: Basic <base64>`, built and checked once and marked sensitive. Every
    /// request gets a clone, which shares these bytes (no copy per request); they are
    /// overwritten with zeros when the last holder (this value, a clone of it, or a request not
    /// yet dropped) lets go of them ([`WipedOnDrop`]). `None` only if the value could not be a
    /// header value, which base64 output always can.
    header: Option<HeaderValue>,
}

/// The bytes behind the cached `Authorization` value of [`ClientSecretBasic`]: owned by the
/// `Bytes` every clone of the header value shares, and overwritten with zeros when that owner is
/// dropped, after the last clone.
struct WipedOnDrop(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for WipedOnDrop {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl ClientSecretBasic {
    /// Basic authentication with RFC 6749 §2.3.1 encoding.
    pub fn new(client_id: ClientId, secret: ClientSecret) -> Self {
        let mut raw = Zeroizing::new(Vec::with_capacity(
            3 * (client_id.as_str().len() + secret.secret().len()) + 1,
        ));
        encode_into(&mut raw, client_id.as_str());
        raw.push(b':');
        encode_into(&mut raw, secret.secret());
        Self::from_raw(client_id, &raw)
    }

    /// Basic authentication with id and secret sent as they are (RFC 7617 only), for servers
    /// that do not form-decode. Fails when the id contains `:`, which RFC 7617 §2 cannot carry.
    pub fn without_form_encoding(client_id: ClientId, secret: ClientSecret) -> Result<Self, Error> {
        if client_id.as_str().contains(':') {
            return Err(Error::InvalidParameter {
                name: "client_id".into(),
                reason: "a client id sent without form encoding cannot contain ':' (RFC 7617 §2)",
            });
        }
        let mut raw = Zeroizing::new(Vec::new());
        raw.extend_from_slice(client_id.as_str().as_bytes());
        raw.push(b':');
        raw.extend_from_slice(secret.secret().as_bytes());
        Ok(Self::from_raw(client_id, &raw))
    }

    fn from_raw(client_id: ClientId, raw: &[u8]) -> Self {
        let mut header = Zeroizing::new(String::with_capacity(6 + raw.len().div_ceil(3) * 4));
        header.push_str("Basic ");
        base64::engine::general_purpose::STANDARD.encode_string(raw, &mut header);
        // Moved, not copied, into the shared owner: its capacity was exact, so no reallocation
        // left an unwiped copy behind.
        let bytes = Zeroizing::new(std::mem::take(&mut *header).into_bytes());
        let header = HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(WipedOnDrop(bytes)))
            .ok()
            .map(|mut value| {
                value.set_sensitive(true);
                value
            });
        Self { client_id, header }
    }
}

impl fmt::Debug for ClientSecretBasic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretBasic")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientAuthentication for ClientSecretBasic {
    fn method(&self) -> AuthMethod {
        AuthMethod::ClientSecretBasic
    }
    fn client_id(&self) -> Option<&ClientId> {
        Some(&self.client_id)
    }
    fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        self.header.clone().map(|value| (AUTHORIZATION, value))
    }
    fn authenticate(
        &self,
        parts: &mut AuthParts<'_>,
        _: &AuthTarget<'_>,
        _: &mut Context<'_>,
    ) -> Result<(), Error> {
        let ours = self
            .header
            .as_ref()
            .ok_or_else(|| Error::InvalidParameter {
                name: "Authorization".into(),
                reason: "could not form the Basic header",
            })?;
        // A walk over the few headers of a request being built is cheaper than a hashed lookup.
        match parts
            .headers
            .iter()
            .find(|(name, _)| *name == AUTHORIZATION)
        {
            // Our own value, put there by the client's starting headers (`fixed_header`): the
            // very bytes this method holds.
            Some((_, there)) if there.as_bytes().as_ptr() == ours.as_bytes().as_ptr() => Ok(()),
            Some(_) => Err(Error::DuplicateParameter {
                name: "Authorization".into(),
            }),
            None => {
                // A clone shares the method's bytes (see the `header` field): no copy.
                parts.headers.insert(AUTHORIZATION, ours.clone());
                Ok(())
            }
        }
    }
}

/// `client_secret_post`: `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
#[derive(Clone)]
pub struct ClientSecretPost {
    client_id: ClientId,
    secret: ClientSecret,
}

impl ClientSecretPost {
    /// Credentials in the body.
    pub fn new(client_id: ClientId, secret: ClientSecret) -> Self {
        Self { client_id, secret }
    }
}

impl fmt::Debug for ClientSecretPost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretPost")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientAuthentication for ClientSecretPost {
    fn form_size_hint(&self, _: &AuthTarget<'_>) -> usize {
        form_param_len("client_id", self.client_id.as_str())
            + form_param_len("client_secret", self.secret.secret())
    }
    fn method(&self) -> AuthMethod {
        AuthMethod::ClientSecretPost
    }
    fn client_id(&self) -> Option<&ClientId> {
        Some(&self.client_id)
    }
    fn authenticate(
        &self,
        parts: &mut AuthParts<'_>,
        _: &AuthTarget<'_>,
        _: &mut Context<'_>,
    ) -> Result<(), Error> {
        parts.form.append("client_id", self.client_id.as_str())?;
        parts.form.append("client_secret", self.secret.secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of(auth: &dyn ClientAuthentication) -> String {
        header_value_of(auth).to_str().unwrap().to_owned()
    }

    fn header_value_of(auth: &dyn ClientAuthentication) -> HeaderValue {
        let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap());
        let mut form = Form::new();
        let mut headers = HeaderMap::new();
        let mut rng = |b: &mut [u8]| b.fill(0);
        let mut ctx = Context::new(SystemTime::UNIX_EPOCH, &mut rng);
        auth.authenticate(
            &mut AuthParts {
                form: &mut form,
                headers: &mut headers,
            },
            &AuthTarget::new(&server, server.token_endpoint()),
            &mut ctx,
        )
        .unwrap();
        let v = headers.remove(AUTHORIZATION).unwrap();
        assert!(v.is_sensitive());
        v
    }

    #[test]
    fn basic_header_bytes_are_shared_not_copied_per_request() {
        // Every request's `Authorization` value shares the client's bytes (wiped when the last
        // holder drops them) instead of leaving a fresh, never-wiped copy per request.
        let a = ClientSecretBasic::new("s6BhdRkqt3".into(), ClientSecret::new("gX1fBat3bV"));
        let first = header_value_of(&a);
        let second = header_value_of(&a.clone());
        assert_eq!(first.as_bytes().as_ptr(), second.as_bytes().as_ptr());
        assert!(first.is_sensitive() && second.is_sensitive());
        drop(a);
        // The requests outlive the client: the bytes stay valid until the last one is dropped.
        assert_eq!(first, "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
    }

    #[test]
    fn basic_encodes_before_base64() {
        // RFC 6749 §4.4.2 example credentials.
        let a = ClientSecretBasic::new("s6BhdRkqt3".into(), ClientSecret::new("gX1fBat3bV"));
        assert_eq!(header_of(&a), "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
        let a = ClientSecretBasic::new("a b".into(), ClientSecret::new("c:d+e"));
        let b64 = header_of(&a);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&b64["Basic ".len()..])
            .unwrap();
        assert_eq!(raw, b"a%20b:c%3Ad%2Be");
        let raw_auth =
            ClientSecretBasic::without_form_encoding("a b".into(), ClientSecret::new("c:d+e"))
                .unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&header_of(&raw_auth)["Basic ".len()..])
            .unwrap();
        assert_eq!(raw, b"a b:c:d+e");
        assert!(
            ClientSecretBasic::without_form_encoding("a:b".into(), ClientSecret::new("x")).is_err()
        );
    }

    #[test]
    fn basic_header_is_fixed_and_found_once_in_the_starting_headers() {
        let a = ClientSecretBasic::new("s6BhdRkqt3".into(), ClientSecret::new("gX1fBat3bV"));
        let (name, value) = a.fixed_header().unwrap();
        assert_eq!(name, AUTHORIZATION);
        assert!(value.is_sensitive());
        assert_eq!(value, "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
        // The client's starting headers carry it; `authenticate` then adds nothing.
        let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap());
        let client = crate::Client::new(server.clone(), a.clone()).unwrap();
        let mut headers = client.form_headers().clone();
        assert_eq!(headers.len(), 3);
        let mut form = Form::new();
        let mut rng = |b: &mut [u8]| b.fill(0);
        let target = AuthTarget::new(&server, server.token_endpoint());
        let mut run = |headers: &mut HeaderMap| {
            a.authenticate(
                &mut AuthParts {
                    form: &mut form,
                    headers,
                },
                &target,
                &mut Context::new(SystemTime::UNIX_EPOCH, &mut rng),
            )
        };
        run(&mut headers).unwrap();
        assert_eq!(headers.get_all(AUTHORIZATION).iter().count(), 1);
        // Another value already there (even an equal one from elsewhere) is still refused.
        let mut foreign = HeaderMap::new();
        foreign.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"),
        );
        assert!(matches!(
            run(&mut foreign),
            Err(Error::DuplicateParameter { .. })
        ));
        // Methods without a fixed header start from `Content-Type` and `Accept` only.
        let post = ClientSecretPost::new("c".into(), ClientSecret::new("s"));
        assert!(post.fixed_header().is_none());
        let client = crate::Client::new(server, post).unwrap();
        assert!(client.form_headers().get(AUTHORIZATION).is_none());
        assert_eq!(client.form_headers().len(), 2);
    }

    #[test]
    fn method_names_round_trip() {
        for m in AuthMethod::ALL {
            assert_eq!(AuthMethod::from_name(m.as_str()), Some(m));
        }
        assert_eq!(AuthMethod::from_name("client_secret_magic"), None);
    }
}
