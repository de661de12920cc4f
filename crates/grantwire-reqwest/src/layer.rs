//! [`AuthLayer`] and [`AuthService`]: the token client as a `tower::Layer` (feature `tower`),
//! for hyper, tonic and axum clients.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::bearer::{attach, token_refused};
use crate::TokenClient;

/// The error type of [`AuthService`]: the inner service's error, or a [`crate::Error`] when no
/// token could be had.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Wraps a service in [`AuthService`].
///
/// ```no_run
/// # fn run(tokens: grantwire_reqwest::TokenClient) {
/// use http_body_util::Full;
/// use hyper_util::client::legacy::Client;
/// use hyper_util::rt::TokioExecutor;
/// let hyper = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
/// let service = tower::ServiceBuilder::new()
///     .layer(grantwire_reqwest::AuthLayer::new(tokens))
///     .service(hyper);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AuthLayer {
    tokens: TokenClient,
}

impl AuthLayer {
    /// A layer attaching tokens from `tokens`.
    pub fn new(tokens: TokenClient) -> Self {
        Self { tokens }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            tokens: self.tokens.clone(),
        }
    }
}

/// Attaches `Authorization: Bearer` (marked sensitive, as tower-http's `AddAuthorization`
/// does) to every `http::Request<B>`, and after a 401 `invalid_token` (RFC 6750 §3.1)
/// invalidates the token and sends the request again once, with a new one.
///
/// **The body must be `Clone`** so the one retry can replay it: `http_body_util::Full<Bytes>`
/// and `String` are (cloning `Bytes` copies nothing), streaming bodies are not. A request is
/// cloned before it is sent, every time. The inner service must be `Clone` (the usual tower
/// pattern: a clone that was polled ready sends each request).
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    tokens: TokenClient,
}

impl<S, B, R> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Clone + Send + 'static,
    R: Send + 'static,
{
    type Response = http::Response<R>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<R>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // Send with the service that was polled ready; keep a fresh clone for the next call.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let tokens = self.tokens.clone();
        Box::pin(async move {
            let token = tokens.token().await?;
            attach(request.headers_mut(), token.access_token());
            let mut replay = request.clone();
            let response = inner.call(request).await.map_err(Into::into)?;
            if !token_refused(response.status(), response.headers()) {
                return Ok(response);
            }
            tokens.invalidate(&token);
            let token = tokens.token().await?;
            attach(replay.headers_mut(), token.access_token());
            poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            inner.call(replay).await.map_err(Into::into)
        })
    }
}
