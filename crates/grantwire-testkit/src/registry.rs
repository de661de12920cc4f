//! The client registry: what the server knows about each client (RFC 7591 §2 names), set up in
//! code with [`ClientConfig`] or loaded from JSON with [`ClientRegistry::from_json`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use grantwire::{AuthMethod, ClientId, ClientSecret};
use grantwire_jose::{Algorithm, JwkSet, VerifyingKey};
use serde::Deserialize;

use crate::Error;

/// A grant type a client may use at the token endpoint (RFC 7591 §2 `grant_types`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1.3), with PKCE (RFC 7636).
    AuthorizationCode,
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials,
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1).
    JwtBearer,
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693 §2.1).
    TokenExchange,
}

impl GrantType {
    /// Every grant type, in the order metadata lists them.
    pub const ALL: [GrantType; 5] = [
        GrantType::AuthorizationCode,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
        GrantType::JwtBearer,
        GrantType::TokenExchange,
    ];

    /// The `grant_type` value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
            GrantType::JwtBearer => grantwire::grant::JWT_BEARER_GRANT_TYPE,
            GrantType::TokenExchange => grantwire::grant::TOKEN_EXCHANGE_GRANT_TYPE,
        }
    }

    /// Parses a `grant_type` value.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// Which tokens a client may introspect (RFC 7662 §2.1 leaves the policy to the server).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntrospectionPolicy {
    /// The client may not call the introspection endpoint (`unauthorized_client`).
    Denied,
    /// Only tokens issued to this client; any other answers `{"active":false}`.
    #[default]
    OwnTokens,
    /// Any token (a resource server).
    AnyToken,
}

/// A certificate presented on the TLS connection, for `tls_client_auth` and
/// `self_signed_tls_client_auth` (RFC 8705 §2). The TLS layer is out of this crate's scope: the
/// caller (or a test) attaches this value to the request as an `http` extension, as a TLS
/// terminator would, with the subject DN it has parsed and the DER it received. With the `tls`
/// feature, `LoopbackServer::start_tls` does exactly that on a real handshake.
///
/// ```
/// use grantwire_testkit::PresentedCertificate;
/// let mut request = http::Request::new(Vec::<u8>::new());
/// request.extensions_mut().insert(PresentedCertificate::new(b"DER".to_vec(), "CN=svc,O=Example"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedCertificate {
    der: Vec<u8>,
    subject_dn: String,
    chain_verified: bool,
}

impl PresentedCertificate {
    /// A certificate with its DER encoding and its subject distinguished name (RFC 4514 string),
    /// its chain verified by the TLS layer (as a terminator forwards only verified chains).
    pub fn new(der: Vec<u8>, subject_dn: impl Into<String>) -> Self {
        Self {
            der,
            subject_dn: subject_dn.into(),
            chain_verified: true,
        }
    }

    /// Says whether the TLS layer verified the certificate's chain up to a trusted CA.
    /// `tls_client_auth` (RFC 8705 §2.1) accepts only a verified chain; a self-signed
    /// certificate (§2.2) needs none, as it is matched exactly against the registration.
    pub fn with_chain_verified(mut self, verified: bool) -> Self {
        self.chain_verified = verified;
        self
    }

    /// Whether the chain was verified ([`PresentedCertificate::with_chain_verified`]).
    pub fn chain_verified(&self) -> bool {
        self.chain_verified
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject DN.
    pub fn subject_dn(&self) -> &str {
        &self.subject_dn
    }
}

impl fmt::Debug for PresentedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresentedCertificate")
            .field("subject_dn", &self.subject_dn)
            .field("der_len", &self.der.len())
            .field("chain_verified", &self.chain_verified)
            .finish()
    }
}

/// How a client authenticates and with what credential (RFC 7591 §2
/// `token_endpoint_auth_method`). Secrets are redacted in `Debug`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ClientAuthConfig {
    /// `none`: a public client (RFC 7591 §2).
    None,
    /// `client_secret_basic` (RFC 6749 §2.3.1).
    ClientSecretBasic(ClientSecret),
    /// `client_secret_post` (RFC 6749 §2.3.1).
    ClientSecretPost(ClientSecret),
    /// `client_secret_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): an assertion MACed with the
    /// secret under exactly `alg` (an HS algorithm whose output is no longer than the secret).
    /// Build with [`ClientAuthConfig::client_secret_jwt`].
    ClientSecretJwt {
        /// The shared secret.
        secret: ClientSecret,
        /// The one algorithm accepted (RFC 7591 §2 `token_endpoint_auth_signing_alg`).
        alg: Algorithm,
    },
    /// `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): an assertion signed by a key
    /// of the client's public JWK Set under exactly `alg`. Build with
    /// [`ClientAuthConfig::private_key_jwt`].
    PrivateKeyJwt {
        /// The client's public keys (RFC 7591 §2 `jwks`).
        jwks: JwkSet,
        /// The one algorithm accepted (RFC 7591 §2 `token_endpoint_auth_signing_alg`).
        alg: Algorithm,
    },
    /// `tls_client_auth` with the expected subject DN (RFC 8705 §2.1.2
    /// `tls_client_auth_subject_dn`), compared as an exact string.
    TlsClientAuth {
        /// The subject DN the certificate must carry.
        subject_dn: String,
    },
    /// `self_signed_tls_client_auth` with the registered certificates (RFC 8705 §2.2), compared
    /// byte for byte in constant time.
    SelfSignedTlsClientAuth {
        /// DER-encoded certificates; any one may be presented.
        certificates: Vec<Vec<u8>>,
    },
}

impl ClientAuthConfig {
    /// The registered method.
    pub fn method(&self) -> AuthMethod {
        match self {
            ClientAuthConfig::None => AuthMethod::None,
            ClientAuthConfig::ClientSecretBasic(_) => AuthMethod::ClientSecretBasic,
            ClientAuthConfig::ClientSecretPost(_) => AuthMethod::ClientSecretPost,
            ClientAuthConfig::ClientSecretJwt { .. } => AuthMethod::ClientSecretJwt,
            ClientAuthConfig::PrivateKeyJwt { .. } => AuthMethod::PrivateKeyJwt,
            ClientAuthConfig::TlsClientAuth { .. } => AuthMethod::TlsClientAuth,
            ClientAuthConfig::SelfSignedTlsClientAuth { .. } => AuthMethod::SelfSignedTlsClientAuth,
        }
    }
}

impl ClientAuthConfig {
    /// `client_secret_jwt` under `alg`; fails unless `alg` is HS256/384/512 and the secret is at
    /// least as long as its hash output (RFC 7518 §3.2).
    pub fn client_secret_jwt(secret: ClientSecret, alg: Algorithm) -> Result<Self, Error> {
        if !VerifyingKey::hmac(secret.secret().as_bytes()).fits(alg) {
            return Err(Error::InvalidKey {
                reason: "client_secret_jwt needs an HS algorithm and a secret at least as long as its hash (RFC 7518 §3.2)",
            });
        }
        Ok(Self::ClientSecretJwt { secret, alg })
    }

    /// `private_key_jwt` under `alg`; fails unless some key of `jwks` can verify `alg` (RSA for
    /// RS/PS, EC on the alg's curve for ES; RFC 7518 §3).
    pub fn private_key_jwt(jwks: JwkSet, alg: Algorithm) -> Result<Self, Error> {
        let usable = jwks
            .keys
            .iter()
            .filter_map(|k| VerifyingKey::from_jwk(k).ok())
            .any(|k| k.fits(alg) && !alg.is_symmetric());
        if !usable {
            return Err(Error::InvalidKey {
                reason: "private_key_jwt needs a public key in the JWK Set that fits the algorithm",
            });
        }
        Ok(Self::PrivateKeyJwt { jwks, alg })
    }
}

/// One registered client (RFC 7591 §2 metadata, plus the testkit's policy knobs).
///
/// ```
/// use std::time::Duration;
/// use grantwire::ClientSecret;
/// use grantwire_testkit::{ClientAuthConfig, ClientConfig, GrantType};
/// let client = ClientConfig::new("svc", ClientAuthConfig::ClientSecretBasic(ClientSecret::new("s3cret")))
///     .grant(GrantType::ClientCredentials)
///     .scopes(["read", "write"])
///     .audience("https://api.example")
///     .access_token_lifetime(Duration::from_secs(300));
/// assert_eq!(client.client_id().as_str(), "svc");
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) client_id: ClientId,
    pub(crate) auth: ClientAuthConfig,
    pub(crate) grants: Vec<GrantType>,
    pub(crate) scopes: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) access_token_lifetime: Option<Duration>,
    pub(crate) introspection: IntrospectionPolicy,
}

impl ClientConfig {
    /// A client with no grants, scopes, audiences or resources yet.
    pub fn new(client_id: impl Into<String>, auth: ClientAuthConfig) -> Self {
        Self {
            client_id: ClientId::new(client_id),
            auth,
            grants: Vec::new(),
            scopes: Vec::new(),
            audiences: Vec::new(),
            resources: Vec::new(),
            redirect_uris: Vec::new(),
            access_token_lifetime: None,
            introspection: IntrospectionPolicy::default(),
        }
    }

    /// Allows a grant type (RFC 7591 §2 `grant_types`).
    pub fn grant(mut self, grant: GrantType) -> Self {
        if !self.grants.contains(&grant) {
            self.grants.push(grant);
        }
        self
    }

    /// Allows scope tokens (RFC 6749 §3.3). A request without `scope` gets all of them.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Allows an `audience` value (token exchange, RFC 8693 §2.1, and the Auth0-style parameter
    /// of the client credentials grant).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Allows a resource indicator (RFC 8707 §2).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// Registers a redirect URI (RFC 6749 §3.1.2).
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// The lifetime of access tokens issued to this client (the server default otherwise).
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_token_lifetime = Some(lifetime);
        self
    }

    /// Which tokens this client may introspect (RFC 7662 §2.1).
    pub fn introspection(mut self, policy: IntrospectionPolicy) -> Self {
        self.introspection = policy;
        self
    }

    /// The client identifier.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The registered authentication.
    pub fn auth(&self) -> &ClientAuthConfig {
        &self.auth
    }

    /// Whether the client may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grants.contains(&grant)
    }
}

/// Every registered client, by `client_id`.
#[derive(Clone, Debug, Default)]
pub struct ClientRegistry {
    clients: BTreeMap<String, ClientConfig>,
}

/// One client in the JSON registry format; names follow RFC 7591 §2 and RFC 8705 §2.1.2.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientRecord {
    client_id: String,
    token_endpoint_auth_method: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    access_token_lifetime: Option<u64>,
    #[serde(default)]
    introspection: Option<String>,
    #[serde(default)]
    tls_client_auth_subject_dn: Option<String>,
    /// Base64 (standard alphabet) DER certificates for `self_signed_tls_client_auth`.
    #[serde(default)]
    self_signed_certificates: Vec<String>,
    #[serde(default)]
    jwks: Option<serde_json::Value>,
    #[serde(default)]
    token_endpoint_auth_signing_alg: Option<String>,
}

impl fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientRecord")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    clients: Vec<ClientRecord>,
}

fn invalid(client_id: &str, reason: &'static str) -> Error {
    Error::InvalidRegistry {
        client_id: client_id.to_owned(),
        reason,
    }
}

impl ClientRecord {
    fn into_config(self) -> Result<ClientConfig, Error> {
        let id = self.client_id.clone();
        let secret = |s: Option<String>| {
            s.map(ClientSecret::new)
                .ok_or_else(|| invalid(&id, "this method needs a client_secret"))
        };
        let method = AuthMethod::from_name(&self.token_endpoint_auth_method)
            .ok_or_else(|| invalid(&id, "unknown token_endpoint_auth_method"))?;
        let auth = match method {
            AuthMethod::None => ClientAuthConfig::None,
            AuthMethod::ClientSecretBasic => {
                ClientAuthConfig::ClientSecretBasic(secret(self.client_secret)?)
            }
            AuthMethod::ClientSecretPost => {
                ClientAuthConfig::ClientSecretPost(secret(self.client_secret)?)
            }
            AuthMethod::TlsClientAuth => ClientAuthConfig::TlsClientAuth {
                subject_dn: self.tls_client_auth_subject_dn.ok_or_else(|| {
                    invalid(&id, "tls_client_auth needs tls_client_auth_subject_dn")
                })?,
            },
            AuthMethod::SelfSignedTlsClientAuth => {
                let certificates = self
                    .self_signed_certificates
                    .iter()
                    .map(|c| STANDARD.decode(c))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| invalid(&id, "a self_signed_certificates entry is not base64"))?;
                if certificates.is_empty() {
                    return Err(invalid(
                        &id,
                        "self_signed_tls_client_auth needs self_signed_certificates",
                    ));
                }
                ClientAuthConfig::SelfSignedTlsClientAuth { certificates }
            }
            AuthMethod::ClientSecretJwt => {
                let alg = match self.token_endpoint_auth_signing_alg.as_deref() {
                    None => Algorithm::HS256,
                    Some(a) => Algorithm::from_name(a)
                        .ok_or_else(|| invalid(&id, "unknown token_endpoint_auth_signing_alg"))?,
                };
                ClientAuthConfig::client_secret_jwt(secret(self.client_secret)?, alg)
                    .map_err(|_| invalid(&id, "the secret is too short for the algorithm, or the algorithm is not HS*"))?
            }
            AuthMethod::PrivateKeyJwt => {
                // A JWK Set, or a single public JWK (wrapped into a set).
                let jwks = self
                    .jwks
                    .map(|v| match v {
                        serde_json::Value::Object(ref m) if m.contains_key("kty") => {
                            serde_json::json!({ "keys": [v] })
                        }
                        other => other,
                    })
                    .and_then(|v| serde_json::to_vec(&v).ok())
                    .and_then(|b| JwkSet::from_json(&b).ok())
                    .ok_or_else(|| invalid(&id, "private_key_jwt needs a valid public jwks"))?;
                let alg = match self.token_endpoint_auth_signing_alg.as_deref() {
                    Some(a) => Algorithm::from_name(a)
                        .ok_or_else(|| invalid(&id, "unknown token_endpoint_auth_signing_alg"))?,
                    None => jwks
                        .keys
                        .iter()
                        .find_map(|k| k.alg.as_deref().and_then(Algorithm::from_name))
                        .ok_or_else(|| {
                            invalid(&id, "private_key_jwt needs token_endpoint_auth_signing_alg")
                        })?,
                };
                ClientAuthConfig::private_key_jwt(jwks, alg)
                    .map_err(|_| invalid(&id, "no key of the jwks fits the algorithm"))?
            }
            _ => return Err(invalid(&id, "this method cannot be registered")),
        };
        let mut config = ClientConfig::new(self.client_id, auth);
        for g in &self.grant_types {
            let grant =
                GrantType::from_name(g).ok_or_else(|| invalid(&id, "unknown grant type"))?;
            config = config.grant(grant);
        }
        if let Some(scope) = &self.scope {
            config = config.scopes(scope.split(' ').filter(|s| !s.is_empty()));
        }
        config.audiences = self.audiences;
        config.resources = self.resources;
        config.redirect_uris = self.redirect_uris;
        config.access_token_lifetime = self.access_token_lifetime.map(Duration::from_secs);
        config.introspection = match self.introspection.as_deref() {
            None | Some("own") => IntrospectionPolicy::OwnTokens,
            Some("any") => IntrospectionPolicy::AnyToken,
            Some("denied") => IntrospectionPolicy::Denied,
            Some(_) => return Err(invalid(&id, "introspection must be own, any or denied")),
        };
        Ok(config)
    }
}

impl ClientRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a client.
    pub fn insert(&mut self, client: ClientConfig) {
        self.clients
            .insert(client.client_id.as_str().to_owned(), client);
    }

    /// Adds a client, builder style.
    pub fn with(mut self, client: ClientConfig) -> Self {
        self.insert(client);
        self
    }

    /// The client registered as `client_id`.
    pub fn get(&self, client_id: &str) -> Option<&ClientConfig> {
        self.clients.get(client_id)
    }

    /// Every client, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &ClientConfig> {
        self.clients.values()
    }

    /// Reads a registry from JSON: `{"clients": [ {...}, ... ]}`, each client with RFC 7591 §2
    /// names (`client_id`, `token_endpoint_auth_method`, `client_secret`, `grant_types`, `scope`
    /// space-delimited, `redirect_uris`, `jwks` (a JWK Set, or one public JWK),
    /// `token_endpoint_auth_signing_alg`,
    /// `tls_client_auth_subject_dn` from RFC 8705 §2.1.2) plus `audiences`, `resources`,
    /// `access_token_lifetime` (seconds), `introspection` (`own`, `any` or `denied`) and
    /// `self_signed_certificates` (base64 DER). Unknown members are refused.
    ///
    /// ```
    /// let registry = grantwire_testkit::ClientRegistry::from_json(r#"{"clients": [
    ///   {"client_id": "svc", "token_endpoint_auth_method": "client_secret_post",
    ///    "client_secret": "s3cret", "grant_types": ["client_credentials"], "scope": "read write"}
    /// ]}"#).unwrap();
    /// assert!(registry.get("svc").is_some());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let file: RegistryFile = serde_json::from_str(json).map_err(|e| Error::RegistryJson {
            line: e.line(),
            column: e.column(),
        })?;
        let mut registry = Self::new();
        for record in file.clients {
            if registry.get(&record.client_id).is_some() {
                return Err(invalid(&record.client_id, "client_id registered twice"));
            }
            registry.insert(record.into_config()?);
        }
        Ok(registry)
    }

    /// Reads a registry from a JSON file (see [`ClientRegistry::from_json`]).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path.as_ref())
            .map_err(|e| Error::RegistryFile { kind: e.kind() })?;
        Self::from_json(&text)
    }
}
