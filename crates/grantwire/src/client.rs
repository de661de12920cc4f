//! [`Client`]: an [`AuthorizationServer`] and the client authentication used there, checked
//! against each other once, when the client is configured.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;

use crate::auth::{AuthMethod, AuthTarget, ClientAuthentication};
use crate::endpoint::Endpoint;
use crate::grant::form_headers;
use crate::secret::ClientId;
use crate::server::AuthorizationServer;
use crate::Error;

/// A configured OAuth client: the [`AuthorizationServer`] it talks to and how it authenticates
/// there. Every request builder takes one (`to_request(&client, &mut ctx)`).
///
/// [`Client::new`] asks the authentication method whether it can work with the server
/// ([`ClientAuthentication::check_server`]): an assertion whose audience is the issuer, for a
/// server without an issuer, is refused there, before any request is built. Cloning is cheap
/// (three `Arc`s), and a `Client` is `Send + Sync`.
///
/// ```
/// use grantwire::{AuthorizationServer, Client, ClientId, ClientSecret, ClientSecretBasic, Endpoint};
/// let server = AuthorizationServer::new(Endpoint::parse("https://as.example/token")?);
/// let client = Client::new(server, ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new("s3cret")))?;
/// assert_eq!(client.client_id().map(|c| c.as_str()), Some("svc"));
/// # Ok::<(), grantwire::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    server: Arc<AuthorizationServer>,
    auth: Arc<dyn ClientAuthentication>,
    /// The headers every form request starts from ([`crate::grant::form_headers`]), built once.
    form_headers: Arc<HeaderMap>,
}

impl Client {
    /// A client of `server` authenticating with `auth`, or the error
    /// [`ClientAuthentication::check_server`] gives (for example
    /// [`Error::AudienceUnavailable`]).
    pub fn new(
        server: AuthorizationServer,
        auth: impl ClientAuthentication + 'static,
    ) -> Result<Self, Error> {
        Self::from_arcs(Arc::new(server), Arc::new(auth))
    }

    /// Like [`Client::new`], sharing an authentication method (and a server) already behind an
    /// `Arc`.
    pub fn from_arcs(
        server: Arc<AuthorizationServer>,
        auth: Arc<dyn ClientAuthentication>,
    ) -> Result<Self, Error> {
        auth.check_server(&server)?;
        let form_headers = Arc::new(form_headers(&*auth));
        Ok(Self {
            server,
            auth,
            form_headers,
        })
    }

    /// The authorization server.
    pub fn server(&self) -> &AuthorizationServer {
        &self.server
    }

    /// The client authentication.
    pub fn auth(&self) -> &dyn ClientAuthentication {
        &*self.auth
    }

    /// The client identifier, or `None` for [`Unauthenticated`](crate::Unauthenticated).
    pub fn client_id(&self) -> Option<&ClientId> {
        self.auth.client_id()
    }

    /// The client-authentication method.
    pub fn method(&self) -> AuthMethod {
        self.auth.method()
    }

    /// The headers a form request starts from: `Content-Type`, `Accept` and the
    /// authentication method's [`ClientAuthentication::fixed_header`].
    pub(crate) fn form_headers(&self) -> &HeaderMap {
        &self.form_headers
    }

    /// The [`AuthTarget`] of a request to `endpoint`, one of this server's endpoints.
    pub fn target<'a>(&'a self, endpoint: &'a Endpoint) -> AuthTarget<'a> {
        AuthTarget::new(&self.server, endpoint)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.server)
            .field("method", &self.auth.method())
            .field("client_id", &self.auth.client_id())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
    }
}
