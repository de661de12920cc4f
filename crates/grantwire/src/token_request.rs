//! The request both introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1) send: a
//! `token`, an optional `token_type_hint`, caller extras and client authentication, POSTed as a
//! form. [`IntrospectionRequest`](crate::IntrospectionRequest) and
//! [`RevocationRequest`](crate::RevocationRequest) differ only by the endpoint they go to.

use std::fmt;

use crate::auth::Context;
use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::grant::form_request;
use crate::request::SecretRequest;
use crate::secret::SecretString;
use crate::Error;

/// A `token_type_hint` (RFC 7009 §2.1, RFC 7662 §2.1; values from the IANA "OAuth Token Type
/// Hints" registry).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// `access_token` (RFC 7009 §2.1).
    AccessToken,
    /// `refresh_token` (RFC 7009 §2.1).
    RefreshToken,
    /// Any other registered or server-specific value, sent as given.
    Other(String),
}

impl TokenTypeHint {
    /// The value sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
            Self::Other(s) => s,
        }
    }
}

/// The parameters of an introspection or revocation request.
#[derive(Clone)]
pub(crate) struct TokenRequest {
    pub(crate) token: SecretString,
    pub(crate) hint: Option<TokenTypeHint>,
    pub(crate) extras: Vec<(String, SecretString)>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("token", &self.token)
            .field("hint", &self.hint)
            .field(
                "extras",
                &self.extras.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl TokenRequest {
    pub(crate) fn new(token: SecretString) -> Self {
        Self {
            token,
            hint: None,
            extras: Vec::new(),
        }
    }

    /// Builds the POST to `endpoint` (RFC 7662 §2.1, RFC 7009 §2.1).
    pub(crate) fn to_request(
        &self,
        client: &Client,
        endpoint: &Endpoint,
        ctx: &mut Context<'_>,
    ) -> Result<SecretRequest, Error> {
        if self.token.secret().is_empty() {
            return Err(Error::InvalidParameter {
                name: "token".into(),
                reason: "the token to introspect or revoke is empty",
            });
        }
        form_request(
            client,
            endpoint,
            ctx,
            &["token", "token_type_hint"],
            &self.extras,
            |form| {
                form.append("token", self.token.secret())?;
                if let Some(h) = &self.hint {
                    form.append("token_type_hint", h.as_str())?;
                }
                Ok(())
            },
        )
    }
}

/// The public methods of a request type wrapping a [`TokenRequest`]: `$rfc` names the section
/// that defines the request, `$endpoint` the [`AuthorizationServer`](crate::AuthorizationServer)
/// accessor of the endpoint it goes to.
macro_rules! token_request_methods {
    ($name:ident, $verb:literal, $rfc:literal, $endpoint:ident) => {
        impl $name {
            #[doc = concat!($verb, " `token` (", $rfc, ").")]
            pub fn new(token: SecretString) -> Self {
                Self($crate::token_request::TokenRequest::new(token))
            }

            #[doc = concat!($verb, " an access token, with the `access_token` hint.")]
            pub fn access_token(token: &AccessToken) -> Self {
                Self::new(SecretString::new(token.secret()))
                    .token_type_hint(TokenTypeHint::AccessToken)
            }

            #[doc = concat!($verb, " a refresh token, with the `refresh_token` hint.")]
            pub fn refresh_token(token: &RefreshToken) -> Self {
                Self::new(SecretString::new(token.secret()))
                    .token_type_hint(TokenTypeHint::RefreshToken)
            }

            #[doc = concat!("Sets `token_type_hint` (", $rfc, ").")]
            pub fn token_type_hint(mut self, hint: TokenTypeHint) -> Self {
                self.0.hint = Some(hint);
                self
            }

            /// Adds a parameter the RFC does not define (a server-specific one). A name already
            /// used by the request or by client authentication is refused by `to_request` with
            /// [`Error::DuplicateParameter`].
            pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
                self.0.extras.push((name.into(), SecretString::new(value)));
                self
            }

            #[doc = concat!("Builds the POST to the client's server's `", stringify!($endpoint), "` (", $rfc, "), authenticated as the client is. The assertion audience, if any, comes from the same server value as at the token endpoint. Fails with [`Error::EndpointNotConfigured`] when the server value has no such endpoint.")]
            pub fn to_request(
                &self,
                client: &Client,
                ctx: &mut Context<'_>,
            ) -> Result<SecretRequest, Error> {
                self.0
                    .to_request(client, client.server().$endpoint()?, ctx)
            }
        }
    };
}
pub(crate) use token_request_methods;
