//! [`GrantSource`]: how the machine obtains a token from scratch.

use crate::request::SecretRequest;

use crate::auth::Context;
use crate::client::Client;
use crate::grant::{ClientCredentials, JwtBearer, TokenExchange};
use crate::Error;

/// How the machine obtains a token from scratch: the original grant (RFC 6749 §4.4, RFC 7523
/// §2.1, RFC 8693 §2.1, or anything else that builds a token request).
///
/// Implemented by [`ClientCredentials`], [`TokenExchange`] and [`JwtBearer`] (whose assertion is
/// fixed: for assertions minted per request, implement this trait with the signer), and by any
/// `Fn(&Client, &mut Context) -> Result<SecretRequest, Error>`.
///
/// A build failure is retried with backoff unless [`Error::is_configuration`] says it cannot
/// succeed until the configuration changes; a signer whose remote key is unreachable returns
/// [`Error::ClientAuthenticationUnavailable`].
pub trait GrantSource: Send + Sync {
    /// Builds a token request for this grant.
    fn to_request(&self, client: &Client, ctx: &mut Context<'_>) -> Result<SecretRequest, Error>;
}

impl GrantSource for ClientCredentials {
    fn to_request(&self, client: &Client, ctx: &mut Context<'_>) -> Result<SecretRequest, Error> {
        ClientCredentials::to_request(self, client, ctx)
    }
}

impl GrantSource for TokenExchange {
    fn to_request(&self, client: &Client, ctx: &mut Context<'_>) -> Result<SecretRequest, Error> {
        TokenExchange::to_request(self, client, ctx)
    }
}

impl GrantSource for JwtBearer {
    fn to_request(&self, client: &Client, ctx: &mut Context<'_>) -> Result<SecretRequest, Error> {
        JwtBearer::to_request(self, client, ctx)
    }
}

impl<F> GrantSource for F
where
    F: Fn(&Client, &mut Context<'_>) -> Result<SecretRequest, Error> + Send + Sync,
{
    fn to_request(&self, client: &Client, ctx: &mut Context<'_>) -> Result<SecretRequest, Error> {
        self(client, ctx)
    }
}
