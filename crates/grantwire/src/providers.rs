//! Provider presets: what well-known authorization servers require of a machine-to-machine
//! client, written down as data instead of scattered `if provider == ...` branches.
//!
//! A [`Preset`] says which client-authentication method the provider expects, which audience a
//! client assertion must name, which request parameters are mandatory, how `expires_in` comes
//! and what lifetime to assume when it does not, and which extra response members to expect.
//! The endpoint helpers build the provider's [`AuthorizationServer`] value (token endpoint and
//! issuer) from its documented URL pattern; with the preset's [`Preset::assertion_audience`] it
//! is all a [`Client`](crate::Client) needs. Each preset is tested against a recorded response shape in
//! `tests/fixtures/providers/`.
//!
//! ```
//! use grantwire::providers::{self, Preset};
//! use grantwire::{AuthMethod, ClientCredentials, Scope};
//!
//! let server = providers::auth0("example.eu.auth0.com")?;
//! assert_eq!(server.token_endpoint().as_str(), "https://example.eu.auth0.com/oauth/token");
//! assert_eq!(server.issuer().unwrap().as_str(), "https://example.eu.auth0.com/");
//! assert_eq!(providers::AUTH0.auth_method, AuthMethod::ClientSecretPost);
//! // Auth0 refuses a client-credentials request without an audience: caught before sending.
//! assert!(providers::AUTH0.check_request(None, None).is_err());
//! assert!(providers::AUTH0.check_request(None, Some("https://api.example")).is_ok());
//! # Ok::<(), grantwire::Error>(())
//! ```

use std::time::Duration;

use crate::auth::AuthMethod;
use crate::endpoint::{Endpoint, Issuer};
use crate::form::encode;
use crate::lifecycle::LifecycleConfig;
use crate::profile::{ParseOptions, Profile};
use crate::server::AuthorizationServer;
use crate::{Error, Scope};

/// Which grant a preset is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresetGrant {
    /// Client credentials (RFC 6749 §4.4).
    ClientCredentials,
    /// JWT bearer (RFC 7523 §2.1), the assertion being the client's credential.
    JwtBearer,
}

/// The `aud` a client assertion (or JWT bearer assertion) must carry for a provider; defined
/// with client authentication and re-exported here for the presets.
pub use crate::auth::AssertionAudience;

/// How a provider sends `expires_in` (RFC 6749 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiresInShape {
    /// A JSON integer, as the RFC says.
    Integer,
    /// A decimal string (`"3599"`), tolerated by [`Profile::Default`].
    DecimalString,
    /// Never sent: the lifetime is [`Preset::default_lifetime`].
    Absent,
}

/// What the scope of a request must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScopeRule {
    /// Optional and free-form.
    Optional,
    /// Required (the server has no default scope for the grant).
    Required,
    /// Required, and exactly one token of the form `<resource>/.default` (Entra ID v2 client
    /// credentials).
    DotDefault,
}

/// A provider's requirements, as data. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset {
    /// The provider's name.
    pub name: &'static str,
    /// The grant the preset describes.
    pub grant: PresetGrant,
    /// The client-authentication method to use (IANA name in [`AuthMethod::as_str`]).
    pub auth_method: AuthMethod,
    /// The audience of client assertions, when a JWT method or the JWT bearer grant is used; it
    /// applies at every endpoint, introspection and revocation included
    /// (`grantwire_jose::Audience` converts from it).
    pub assertion_audience: AssertionAudience,
    /// Whether the `audience` parameter is required (Auth0 APIs).
    pub requires_audience: bool,
    /// The rule for `scope`.
    pub scope: ScopeRule,
    /// How `expires_in` comes.
    pub expires_in: ExpiresInShape,
    /// The lifetime assumed when `expires_in` is absent (see
    /// [`LifecycleConfig::default_lifetime`]).
    pub default_lifetime: Duration,
    /// Response members beyond RFC 6749 §5.1 that the provider sends (kept in
    /// [`crate::TokenResponse::extra`]).
    pub extra_members: &'static [&'static str],
    /// One line on the provider's behaviour worth knowing.
    pub notes: &'static str,
}

impl Preset {
    /// Parse options for this provider's token responses: the default profile, which tolerates
    /// every shape the presets document (decimal-string `expires_in` included).
    pub fn parse_options(&self) -> ParseOptions {
        ParseOptions::with_profile(Profile::Default)
    }

    /// A [`LifecycleConfig`] with this provider's default lifetime and parse options.
    pub fn lifecycle_config(&self) -> LifecycleConfig {
        LifecycleConfig {
            default_lifetime: self.default_lifetime,
            parse_options: self.parse_options(),
            ..LifecycleConfig::default()
        }
    }

    /// Checks a request's scope and audience against the provider's rules before anything is
    /// sent, with the reason as an [`Error::InvalidParameter`].
    pub fn check_request(
        &self,
        scope: Option<&Scope>,
        audience: Option<&str>,
    ) -> Result<(), Error> {
        if self.requires_audience && audience.map_or(0, str::len) == 0 {
            return Err(Error::InvalidParameter {
                name: "audience".into(),
                reason: "this provider requires the API identifier as `audience`",
            });
        }
        let scope = scope.filter(|s| !s.is_empty());
        match self.scope {
            ScopeRule::Optional => Ok(()),
            ScopeRule::Required if scope.is_some() => Ok(()),
            ScopeRule::Required => Err(Error::InvalidParameter {
                name: "scope".into(),
                reason: "this provider has no default scope for the grant: request at least one",
            }),
            ScopeRule::DotDefault => match scope {
                Some(s) if s.len() == 1 && s.as_str().ends_with("/.default") => Ok(()),
                _ => Err(Error::InvalidParameter {
                    name: "scope".into(),
                    reason: "client credentials need exactly one scope `<resource>/.default`",
                }),
            },
        }
    }
}

/// Auth0, client credentials: the API identifier as `audience` is required (without it, and
/// with no default audience configured for the tenant, Auth0 answers 403 `access_denied`);
/// credentials in the body (`client_secret_post`, the method Auth0's documentation uses);
/// `expires_in` an integer (86400 by default).
pub const AUTH0: Preset = Preset {
    name: "Auth0",
    grant: PresetGrant::ClientCredentials,
    auth_method: AuthMethod::ClientSecretPost,
    assertion_audience: AssertionAudience::Issuer,
    requires_audience: true,
    scope: ScopeRule::Optional,
    expires_in: ExpiresInShape::Integer,
    default_lifetime: Duration::from_secs(600),
    extra_members: &[],
    notes: "audience required; issuer is https://{domain}/ with a trailing slash",
};

/// Okta, org authorization server (`/oauth2/v1/token`): client credentials only for Okta API
/// scopes (`okta.*`), only with `private_key_jwt`; the assertion's `aud` is the token endpoint
/// URL; scope required.
pub const OKTA_ORG: Preset = Preset {
    name: "Okta (org authorization server)",
    grant: PresetGrant::ClientCredentials,
    auth_method: AuthMethod::PrivateKeyJwt,
    assertion_audience: AssertionAudience::TokenEndpoint,
    requires_audience: false,
    scope: ScopeRule::Required,
    expires_in: ExpiresInShape::Integer,
    default_lifetime: Duration::from_secs(600),
    extra_members: &[],
    notes: "okta.* scopes only; private_key_jwt with aud = token endpoint URL",
};

/// Okta, custom authorization server (`/oauth2/{id}/v1/token`, `default` included): scope
/// required unless the server has default scopes (otherwise 400 `invalid_scope`); client
/// secret (Basic) or a JWT whose `aud` is the token endpoint URL.
pub const OKTA_CUSTOM: Preset = Preset {
    name: "Okta (custom authorization server)",
    grant: PresetGrant::ClientCredentials,
    auth_method: AuthMethod::ClientSecretBasic,
    assertion_audience: AssertionAudience::TokenEndpoint,
    requires_audience: false,
    scope: ScopeRule::Required,
    expires_in: ExpiresInShape::Integer,
    default_lifetime: Duration::from_secs(600),
    extra_members: &[],
    notes: "scope required; JWT client auth uses aud = token endpoint URL",
};

/// Microsoft Entra ID (v2.0 endpoint): client credentials take exactly one scope
/// `<resource>/.default`; credentials in the body; assertion `aud` = token endpoint URL;
/// responses add `ext_expires_in`.
pub const ENTRA_ID_V2: Preset = Preset {
    name: "Microsoft Entra ID (v2.0)",
    grant: PresetGrant::ClientCredentials,
    auth_method: AuthMethod::ClientSecretPost,
    assertion_audience: AssertionAudience::TokenEndpoint,
    requires_audience: false,
    scope: ScopeRule::DotDefault,
    expires_in: ExpiresInShape::Integer,
    default_lifetime: Duration::from_secs(600),
    extra_members: &["ext_expires_in"],
    notes: "scope = {resource}/.default; aud of assertions = token endpoint URL",
};

/// Microsoft Entra ID (v1.0 endpoint, Azure AD): `resource` instead of scope, and
/// `expires_in`, `ext_expires_in`, `expires_on` and `not_before` as decimal strings.
pub const ENTRA_ID_V1: Preset = Preset {
    name: "Microsoft Entra ID (v1.0, Azure AD)",
    grant: PresetGrant::ClientCredentials,
    auth_method: AuthMethod::ClientSecretPost,
    assertion_audience: AssertionAudience::TokenEndpoint,
    requires_audience: false,
    scope: ScopeRule::Optional,
    expires_in: ExpiresInShape::DecimalString,
    default_lifetime: Duration::from_secs(600),
    extra_members: &["ext_expires_in", "expires_on", "not_before", "resource"],
    notes: "expires_in is a string; send `resource` as an extra parameter",
};

/// Google service accounts: the JWT bearer grant (RFC 7523 §2.1) at the key file's `token_uri`,
/// no client authentication ([`crate::Unauthenticated`]); the assertion is signed with the
/// service account key, `iss` = `client_email`, `aud` = `token_uri`, the scopes in a `scope`
/// claim; tokens live one hour (`expires_in` 3599).
pub const GOOGLE_SERVICE_ACCOUNT: Preset = Preset {
    name: "Google (service account)",
    grant: PresetGrant::JwtBearer,
    auth_method: AuthMethod::Unauthenticated,
    assertion_audience: AssertionAudience::TokenEndpoint,
    requires_audience: false,
    scope: ScopeRule::Optional,
    expires_in: ExpiresInShape::Integer,
    default_lifetime: Duration::from_secs(600),
    extra_members: &[],
    notes: "JWT bearer grant at token_uri; scope travels inside the assertion",
};

/// Amazon Cognito user pools: client credentials with HTTP Basic (`client_secret_basic`) at
/// `https://{domain}.auth.{region}.amazoncognito.com/oauth2/token`; scope optional (all the
/// client's custom scopes when omitted); the issuer is the `cognito-idp` URL of the pool.
pub const AWS_COGNITO: Preset = Preset {
    name: "Amazon Cognito",
    grant: PresetGrant::ClientCredentials,
    auth_method: AuthMethod::ClientSecretBasic,
    assertion_audience: AssertionAudience::Issuer,
    requires_audience: false,
    scope: ScopeRule::Optional,
    expires_in: ExpiresInShape::Integer,
    default_lifetime: Duration::from_secs(600),
    extra_members: &[],
    notes: "Basic authentication; token host differs from the issuer host",
};

/// Salesforce, client credentials flow at the org's My Domain: no `expires_in` at all (the
/// token lives as long as the session timeout set for the connected app, 15 minutes to 24
/// hours); extra `instance_url`, `id`, `issued_at` (milliseconds, as a string) and `signature`.
/// The default lifetime is the shortest session timeout, 15 minutes; set it to the org's
/// timeout when known.
pub const SALESFORCE: Preset = Preset {
    name: "Salesforce",
    grant: PresetGrant::ClientCredentials,
    auth_method: AuthMethod::ClientSecretPost,
    assertion_audience: AssertionAudience::Issuer,
    requires_audience: false,
    scope: ScopeRule::Optional,
    expires_in: ExpiresInShape::Absent,
    default_lifetime: Duration::from_secs(15 * 60),
    extra_members: &["instance_url", "id", "issued_at", "signature"],
    notes: "no expires_in: lifetime = session timeout; call APIs at instance_url",
};

/// Keycloak: `{base}/realms/{realm}/protocol/openid-connect/token`; extra members
/// `refresh_expires_in` and `not-before-policy` (plus `session_state` in user flows); a
/// client without a service account answers 401 `unauthorized_client` ("Client not enabled
/// to retrieve service account"), which needs a human ([`crate::ErrorCode::needs_human`]).
pub const KEYCLOAK: Preset = Preset {
    name: "Keycloak",
    grant: PresetGrant::ClientCredentials,
    auth_method: AuthMethod::ClientSecretBasic,
    assertion_audience: AssertionAudience::Issuer,
    requires_audience: false,
    scope: ScopeRule::Optional,
    expires_in: ExpiresInShape::Integer,
    default_lifetime: Duration::from_secs(600),
    extra_members: &["refresh_expires_in", "not-before-policy"],
    notes: "enable service accounts for the client, or expect 401 unauthorized_client",
};

/// Every preset, for listings (`grantwire providers`).
pub const ALL: [&Preset; 9] = [
    &AUTH0,
    &OKTA_ORG,
    &OKTA_CUSTOM,
    &ENTRA_ID_V2,
    &ENTRA_ID_V1,
    &GOOGLE_SERVICE_ACCOUNT,
    &AWS_COGNITO,
    &SALESFORCE,
    &KEYCLOAK,
];

/// Checks a host name (with optional port) given by the caller before it goes into a URL.
fn host(name: &'static str, value: &str) -> Result<(), Error> {
    let ok = !value.is_empty()
        && value.len() <= 253
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
        && !value.starts_with(['.', '-', ':']);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: name.into(),
            reason: "a host name: letters, digits, '.', '-' and an optional ':port'",
        })
    }
}

/// Checks an identifier that becomes one path segment (tenant, server id, region, pool id).
fn segment(name: &'static str, value: &str) -> Result<(), Error> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && value != "."
        && value != "..";
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: name.into(),
            reason: "an identifier of letters, digits, '.', '-' and '_'",
        })
    }
}

/// The server value of a provider: its token endpoint and issuer.
fn token_endpoint(url: &str, issuer: &str) -> Result<AuthorizationServer, Error> {
    Ok(AuthorizationServer::new(Endpoint::parse(url)?).with_issuer(Issuer::parse(issuer)?))
}

/// Auth0: `https://{domain}/oauth/token`, issuer `https://{domain}/`.
pub fn auth0(domain: &str) -> Result<AuthorizationServer, Error> {
    host("domain", domain)?;
    token_endpoint(
        &format!("https://{domain}/oauth/token"),
        &format!("https://{domain}/"),
    )
}

/// Okta org authorization server: `https://{domain}/oauth2/v1/token`, issuer
/// `https://{domain}`.
pub fn okta_org(domain: &str) -> Result<AuthorizationServer, Error> {
    host("domain", domain)?;
    token_endpoint(
        &format!("https://{domain}/oauth2/v1/token"),
        &format!("https://{domain}"),
    )
}

/// Okta custom authorization server: `https://{domain}/oauth2/{server_id}/v1/token`, issuer
/// `https://{domain}/oauth2/{server_id}` (`default` for the built-in custom server).
pub fn okta_custom(domain: &str, server_id: &str) -> Result<AuthorizationServer, Error> {
    host("domain", domain)?;
    segment("server_id", server_id)?;
    token_endpoint(
        &format!("https://{domain}/oauth2/{server_id}/v1/token"),
        &format!("https://{domain}/oauth2/{server_id}"),
    )
}

/// Entra ID v2.0: `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, issuer
/// `https://login.microsoftonline.com/{tenant}/v2.0` (`tenant`: a tenant id or domain).
pub fn entra_id_v2(tenant: &str) -> Result<AuthorizationServer, Error> {
    segment("tenant", tenant)?;
    token_endpoint(
        &format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
        &format!("https://login.microsoftonline.com/{tenant}/v2.0"),
    )
}

/// Entra ID v1.0: `https://login.microsoftonline.com/{tenant}/oauth2/token`, issuer
/// `https://sts.windows.net/{tenant}/` (the `iss` of v1 tokens).
pub fn entra_id_v1(tenant: &str) -> Result<AuthorizationServer, Error> {
    segment("tenant", tenant)?;
    token_endpoint(
        &format!("https://login.microsoftonline.com/{tenant}/oauth2/token"),
        &format!("https://sts.windows.net/{tenant}/"),
    )
}

/// Google: the `token_uri` of the service account key file (normally
/// `https://oauth2.googleapis.com/token`), which is also the assertion audience.
pub fn google(token_uri: &str) -> Result<AuthorizationServer, Error> {
    Ok(AuthorizationServer::new(Endpoint::parse(token_uri)?))
}

/// Amazon Cognito: `https://{domain_prefix}.auth.{region}.amazoncognito.com/oauth2/token`,
/// issuer `https://cognito-idp.{region}.amazonaws.com/{user_pool_id}`.
pub fn aws_cognito(
    domain_prefix: &str,
    region: &str,
    user_pool_id: &str,
) -> Result<AuthorizationServer, Error> {
    segment("domain_prefix", domain_prefix)?;
    segment("region", region)?;
    segment("user_pool_id", user_pool_id)?;
    token_endpoint(
        &format!("https://{domain_prefix}.auth.{region}.amazoncognito.com/oauth2/token"),
        &format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"),
    )
}

/// Salesforce: `https://{my_domain}/services/oauth2/token` (for example
/// `acme.my.salesforce.com`), issuer `https://{my_domain}`.
pub fn salesforce(my_domain: &str) -> Result<AuthorizationServer, Error> {
    host("my_domain", my_domain)?;
    token_endpoint(
        &format!("https://{my_domain}/services/oauth2/token"),
        &format!("https://{my_domain}"),
    )
}

/// Keycloak: `{base}/realms/{realm}/protocol/openid-connect/token`, issuer
/// `{base}/realms/{realm}`. `base` is the server URL (https, or http on loopback); the realm is
/// percent-encoded.
pub fn keycloak(base: &str, realm: &str) -> Result<AuthorizationServer, Error> {
    if realm.is_empty() {
        return Err(Error::InvalidParameter {
            name: "realm".into(),
            reason: "empty",
        });
    }
    let base = base.trim_end_matches('/');
    let issuer = format!("{base}/realms/{}", encode(realm));
    token_endpoint(&format!("{issuer}/protocol/openid-connect/token"), &issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_documented_patterns() {
        let cases = [
            (
                auth0("acme.us.auth0.com").unwrap(),
                "https://acme.us.auth0.com/oauth/token",
                "https://acme.us.auth0.com/",
            ),
            (
                okta_org("acme.okta.com").unwrap(),
                "https://acme.okta.com/oauth2/v1/token",
                "https://acme.okta.com",
            ),
            (
                okta_custom("acme.okta.com", "default").unwrap(),
                "https://acme.okta.com/oauth2/default/v1/token",
                "https://acme.okta.com/oauth2/default",
            ),
            (
                entra_id_v2("contoso.onmicrosoft.com").unwrap(),
                "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
                "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
            ),
            (
                entra_id_v1("72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap(),
                "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/token",
                "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
            ),
            (
                aws_cognito("acme", "eu-west-1", "eu-west-1_AbCdEf123").unwrap(),
                "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/token",
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
            ),
            (
                salesforce("acme.my.salesforce.com").unwrap(),
                "https://acme.my.salesforce.com/services/oauth2/token",
                "https://acme.my.salesforce.com",
            ),
            (
                keycloak("https://sso.example/", "my realm").unwrap(),
                "https://sso.example/realms/my%20realm/protocol/openid-connect/token",
                "https://sso.example/realms/my%20realm",
            ),
        ];
        for (ep, url, issuer) in cases {
            assert_eq!(ep.token_endpoint().as_str(), url);
            assert_eq!(ep.issuer().unwrap().as_str(), issuer);
        }
        let g = google("https://oauth2.googleapis.com/token").unwrap();
        assert_eq!(g.issuer(), None);
        assert!(google("http://oauth2.googleapis.com/token").is_err());
    }

    #[test]
    fn caller_input_cannot_reshape_urls() {
        assert!(auth0("evil.example/x?").is_err());
        assert!(auth0("a@b").is_err());
        assert!(auth0("").is_err());
        assert!(okta_custom("acme.okta.com", "../v1").is_err());
        assert!(entra_id_v2("common/../x").is_err());
        assert!(aws_cognito("a", "eu-west-1", "x/y").is_err());
        assert!(keycloak("https://sso.example", "").is_err());
        assert!(keycloak("http://sso.example", "r").is_err());
    }

    #[test]
    fn request_rules() {
        let s = |x: &str| Scope::parse(x).unwrap();
        assert!(AUTH0.check_request(None, Some("")).is_err());
        assert!(OKTA_CUSTOM.check_request(None, None).is_err());
        assert!(OKTA_CUSTOM
            .check_request(Some(&Scope::empty()), None)
            .is_err());
        assert!(OKTA_CUSTOM
            .check_request(Some(&s("orders:read")), None)
            .is_ok());
        assert!(ENTRA_ID_V2
            .check_request(Some(&s("https://graph.microsoft.com/.default")), None)
            .is_ok());
        assert!(ENTRA_ID_V2
            .check_request(Some(&s("User.Read")), None)
            .is_err());
        assert!(ENTRA_ID_V2
            .check_request(Some(&s("a/.default b/.default")), None)
            .is_err());
        assert!(KEYCLOAK.check_request(None, None).is_ok());
        assert_eq!(
            SALESFORCE.lifecycle_config().default_lifetime,
            Duration::from_secs(900)
        );
        assert_eq!(ALL.len(), 9);
        for p in ALL {
            assert!(!p.name.is_empty() && !p.notes.is_empty());
        }
    }
}
