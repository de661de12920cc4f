//! [`AuthorizationServer`]: the one value that names the authorization server a client talks to
//! (RFC 8414 §2): its issuer identifier and its endpoints.
//!
//! Every request builder reaches the server through it (inside a [`Client`](crate::Client)),
//! and client assertions derive their audience from it at every endpoint, by one rule
//! ([`AssertionAudience`]). Build it from discovered metadata
//! ([`ServerMetadata::authorization_server`](crate::ServerMetadata::authorization_server)) or by
//! hand:
//!
//! ```
//! use grantwire::{AssertionAudience, AuthorizationServer, Endpoint, Issuer};
//! let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?)
//!     .with_issuer(Issuer::parse("https://as.example")?)
//!     .with_introspection_endpoint(Endpoint::parse("https://as.example/introspect")?)
//!     .with_revocation_endpoint(Endpoint::parse("https://as.example/revoke")?);
//! let introspect = server.introspection_endpoint()?;
//! assert_eq!(server.assertion_audience(AssertionAudience::Issuer, introspect)?, "https://as.example");
//! assert_eq!(server.assertion_audience(AssertionAudience::TokenEndpoint, introspect)?, "https://as.example/token");
//! assert_eq!(server.assertion_audience(AssertionAudience::CalledEndpoint, introspect)?, "https://as.example/introspect");
//! // A bad or insecure URL is refused where it is parsed, with a typed error.
//! assert_eq!(Endpoint::parse("http://as.example/token"), Err(grantwire::Error::InsecureEndpoint));
//! # Ok::<(), grantwire::Error>(())
//! ```

use crate::auth::AssertionAudience;
use crate::endpoint::{Endpoint, Issuer};
use crate::Error;

/// The authorization server a client talks to: the issuer identifier (when known) and the
/// endpoints (RFC 8414 §2). The token endpoint is always present; the others are optional, and a
/// builder that needs a missing one fails with [`Error::EndpointNotConfigured`].
///
/// Every URL is an [`Endpoint`] (or [`Issuer`]): `https`, or `http` on loopback, unless the caller
/// opted in by name when parsing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationServer {
    issuer: Option<Issuer>,
    token_endpoint: Endpoint,
    authorization_endpoint: Option<Endpoint>,
    introspection_endpoint: Option<Endpoint>,
    revocation_endpoint: Option<Endpoint>,
    device_authorization_endpoint: Option<Endpoint>,
    jwks_uri: Option<Endpoint>,
}

impl AuthorizationServer {
    /// A server known by its token endpoint only (RFC 6749 §3.2); add the rest with the
    /// `with_*` methods.
    pub fn new(token_endpoint: Endpoint) -> Self {
        Self {
            issuer: None,
            token_endpoint,
            authorization_endpoint: None,
            introspection_endpoint: None,
            revocation_endpoint: None,
            device_authorization_endpoint: None,
            jwks_uri: None,
        }
    }

    /// Sets the issuer identifier (RFC 8414 §2), the default audience of client assertions
    /// (draft-ietf-oauth-rfc7523bis).
    pub fn with_issuer(mut self, issuer: Issuer) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// Sets the authorization endpoint (RFC 6749 §3.1).
    pub fn with_authorization_endpoint(mut self, url: Endpoint) -> Self {
        self.authorization_endpoint = Some(url);
        self
    }

    /// Sets the introspection endpoint (RFC 7662 §2).
    pub fn with_introspection_endpoint(mut self, url: Endpoint) -> Self {
        self.introspection_endpoint = Some(url);
        self
    }

    /// Sets the revocation endpoint (RFC 7009 §2).
    pub fn with_revocation_endpoint(mut self, url: Endpoint) -> Self {
        self.revocation_endpoint = Some(url);
        self
    }

    /// Sets the device authorization endpoint (RFC 8628 §3.1).
    pub fn with_device_authorization_endpoint(mut self, url: Endpoint) -> Self {
        self.device_authorization_endpoint = Some(url);
        self
    }

    /// Sets the JWK Set URL (RFC 8414 §2 `jwks_uri`).
    pub fn with_jwks_uri(mut self, url: Endpoint) -> Self {
        self.jwks_uri = Some(url);
        self
    }

    /// The issuer identifier, when known.
    pub fn issuer(&self) -> Option<&Issuer> {
        self.issuer.as_ref()
    }

    /// The token endpoint (RFC 6749 §3.2).
    pub fn token_endpoint(&self) -> &Endpoint {
        &self.token_endpoint
    }

    /// The authorization endpoint, or [`Error::EndpointNotConfigured`].
    pub fn authorization_endpoint(&self) -> Result<&Endpoint, Error> {
        required(&self.authorization_endpoint, "authorization_endpoint")
    }

    /// The introspection endpoint, or [`Error::EndpointNotConfigured`].
    pub fn introspection_endpoint(&self) -> Result<&Endpoint, Error> {
        required(&self.introspection_endpoint, "introspection_endpoint")
    }

    /// The revocation endpoint, or [`Error::EndpointNotConfigured`].
    pub fn revocation_endpoint(&self) -> Result<&Endpoint, Error> {
        required(&self.revocation_endpoint, "revocation_endpoint")
    }

    /// The device authorization endpoint, or [`Error::EndpointNotConfigured`].
    pub fn device_authorization_endpoint(&self) -> Result<&Endpoint, Error> {
        required(
            &self.device_authorization_endpoint,
            "device_authorization_endpoint",
        )
    }

    /// The JWK Set URL, or [`Error::EndpointNotConfigured`].
    pub fn jwks_uri(&self) -> Result<&Endpoint, Error> {
        required(&self.jwks_uri, "jwks_uri")
    }

    /// The `aud` a client assertion names under `rule` in a request to `called` (one of this
    /// server's endpoints): the issuer, the token endpoint URL, or `called` itself. Fails with
    /// [`Error::AudienceUnavailable`] only for [`AssertionAudience::Issuer`] when no issuer is
    /// set; never falls back to another rule.
    pub fn assertion_audience<'a>(
        &'a self,
        rule: AssertionAudience,
        called: &'a Endpoint,
    ) -> Result<&'a str, Error> {
        match rule {
            AssertionAudience::Issuer => self
                .issuer
                .as_ref()
                .map(Issuer::as_str)
                .ok_or(Error::AudienceUnavailable { audience: rule }),
            AssertionAudience::TokenEndpoint => Ok(self.token_endpoint.as_str()),
            AssertionAudience::CalledEndpoint => Ok(called.as_str()),
        }
    }

    /// Checks that `rule` can name an audience at every endpoint of this server: what a
    /// [`ClientAuthentication::check_server`](crate::ClientAuthentication::check_server) of an
    /// assertion-based method calls when a [`Client`](crate::Client) is configured.
    pub fn check_assertion_audience(&self, rule: AssertionAudience) -> Result<(), Error> {
        self.assertion_audience(rule, &self.token_endpoint)
            .map(|_| ())
    }
}

fn required<'a>(url: &'a Option<Endpoint>, endpoint: &'static str) -> Result<&'a Endpoint, Error> {
    url.as_ref()
        .ok_or(Error::EndpointNotConfigured { endpoint })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_endpoints_are_typed_errors() {
        let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap());
        assert_eq!(
            server.introspection_endpoint(),
            Err(Error::EndpointNotConfigured {
                endpoint: "introspection_endpoint"
            })
        );
        assert!(server.revocation_endpoint().is_err());
        assert_eq!(
            server.check_assertion_audience(AssertionAudience::Issuer),
            Err(Error::AudienceUnavailable {
                audience: AssertionAudience::Issuer
            })
        );
        assert!(server
            .check_assertion_audience(AssertionAudience::TokenEndpoint)
            .is_ok());
        assert!(server
            .check_assertion_audience(AssertionAudience::CalledEndpoint)
            .is_ok());
    }
}
