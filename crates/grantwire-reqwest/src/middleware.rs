//! [`GrantwireMiddleware`]: the token client as a `reqwest_middleware::Middleware` (feature
//! `middleware`).

use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use crate::bearer::{attach, token_refused};
use crate::TokenClient;

/// Attaches `Authorization: Bearer` (marked sensitive) from a [`TokenClient`] to every request
/// of a `reqwest_middleware::ClientWithMiddleware`, and after a 401 `invalid_token`
/// (RFC 6750 §3.1) invalidates the token and sends the request again once, with a new one. A
/// request whose body cannot be replayed (`try_clone()` is `None`) is not retried.
///
/// A failure to get a token is a `reqwest_middleware::Error::Middleware` holding the
/// [`crate::Error`]. The token requests go through the token client's own transport (capped,
/// not redirected), not through the middleware stack.
///
/// ```no_run
/// # async fn run(tokens: grantwire_reqwest::TokenClient) -> Result<(), Box<dyn std::error::Error>> {
/// let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(grantwire_reqwest::GrantwireMiddleware::new(tokens))
///     .build();
/// let response = api.get("https://api.example/v1/things").send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct GrantwireMiddleware {
    tokens: TokenClient,
}

impl GrantwireMiddleware {
    /// Middleware attaching tokens from `tokens`.
    pub fn new(tokens: TokenClient) -> Self {
        Self { tokens }
    }
}

#[async_trait::async_trait]
impl Middleware for GrantwireMiddleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let replay = request.try_clone();
        let token = self
            .tokens
            .token()
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        attach(request.headers_mut(), token.access_token());
        let response = next.clone().run(request, extensions).await?;
        let Some(mut replay) = replay else {
            return Ok(response);
        };
        if !token_refused(response.status(), response.headers()) {
            return Ok(response);
        }
        self.tokens.invalidate(&token);
        let token = self
            .tokens
            .token()
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        attach(replay.headers_mut(), token.access_token());
        next.run(replay, extensions).await
    }
}
