//! Discovery as a Sans-IO step: which metadata URL to fetch first, when to move on to the next
//! one, and when to stop. Every adapter and the CLI follow the same rule instead of each
//! inventing one.
//!
//! [`Discover`] holds the issuer and the documents still to try; [`Discover::request`] builds
//! the GET for the current one, and [`Discover::handle_response`] (which consumes the step)
//! answers [`Discovered::Metadata`], [`Discovered::TryNext`] with the step for the next URL, or
//! [`Discovered::Failed`].
//!
//! ```
//! use std::time::UNIX_EPOCH;
//! use grantwire::discovery::{Discover, Discovered};
//! use grantwire::{Issuer, ServerMetadata};
//!
//! // A stand-in transport: this server serves only OpenID discovery.
//! fn send(request: grantwire::SecretRequest) -> http::Response<Vec<u8>> {
//!     let found = request.uri() == "https://as.example/tenant/.well-known/openid-configuration";
//!     let (status, body) = if found {
//!         (200, br#"{"issuer":"https://as.example/tenant","token_endpoint":"https://as.example/tenant/token"}"#.to_vec())
//!     } else {
//!         (404, b"<h1>Not Found</h1>".to_vec())
//!     };
//!     http::Response::builder().status(status).header("content-type", "application/json").body(body).unwrap()
//! }
//!
//! let issuer = Issuer::parse("https://as.example/tenant")?;
//! let mut step = Discover::new(issuer);
//! let metadata: ServerMetadata = loop {
//!     let response = send(step.request()?);
//!     match step.handle_response(&response, UNIX_EPOCH) {
//!         Discovered::Metadata(md) => break *md,
//!         Discovered::TryNext(next) => step = next,
//!         Discovered::Failed(e) => return Err(e),
//!     }
//! };
//! assert_eq!(metadata.token_endpoint().unwrap().as_str(), "https://as.example/tenant/token");
//! # Ok::<(), grantwire::Error>(())
//! ```
//!
//! ## Order
//! [`Discover::new`] tries the RFC 8414 §3.1 URL (`/.well-known/oauth-authorization-server`
//! inserted before the issuer's path), then the OpenID Connect Discovery §4.1 URL
//! (`/.well-known/openid-configuration` appended to the issuer), as RFC 8414 §5 describes for
//! servers that predate it. [`Discover::openid_first`] swaps them, for providers known to serve
//! only OpenID discovery (Glewlwyd serves it under its issuer path and nothing at the RFC 8414
//! URL): one request instead of two. [`Discover::only`] tries one document.
//!
//! ## When it moves on, and when it stops
//! | answer at a URL that is not the last | outcome |
//! |---|---|
//! | a metadata document for this issuer | [`Discovered::Metadata`] |
//! | 3xx (a redirect the transport did not follow), or 4xx other than 429 (404, 405, 410, also 400, 401, 403: a CDN or object store may answer 403 for a missing file) | moves on: there is no document at this URL |
//! | 2xx whose body is not a metadata document: not JSON (an HTML catch-all page), not a JSON object, or a JSON object without `issuer` | moves on |
//! | 2xx with a metadata document whose `issuer` differs from the one asked for | **stops**: RFC 8414 §3.3 says the data MUST NOT be used; a server that answers for another issuer is misconfigured or impersonated, and no other URL of the same host is more trustworthy |
//! | 2xx with a metadata document that is otherwise unusable (an `http` endpoint to another host, a member of the wrong type, a strict-profile violation, a body over the size limit, duplicate members), or an OAuth error body | **stops**: the server did answer for this issuer, wrongly; trying another URL would hide that |
//! | 429 or 5xx | **stops**, with the error (and its `Retry-After`): the failure may be transient, and moving on would let a passing outage decide which document is used. Retry the whole discovery later. |
//!
//! At the last URL every failure stops, with the error that URL's answer gave. The checks on
//! the document itself are those of [`ServerMetadata::parse_with`], under the
//! [`ParseOptions`] given to [`Discover::with_options`].

use std::time::SystemTime;

use http::StatusCode;

use crate::endpoint::{Endpoint, Issuer};
use crate::metadata::{Discovery, ServerMetadata};
use crate::profile::ParseOptions;
use crate::request::SecretRequest;
use crate::Error;

/// One step of discovery: the issuer, the document to fetch now and those left to try.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "build the request with `request`, then feed the answer to `handle_response`"]
pub struct Discover {
    issuer: Issuer,
    /// The documents to try, in order; `order[at]` is the current one.
    order: [Option<Discovery>; 2],
    at: usize,
    options: ParseOptions,
}

/// What one answer led to, from [`Discover::handle_response`].
#[derive(Debug)]
#[must_use]
pub enum Discovered {
    /// The server's metadata, with its `issuer` equal to the one asked for (RFC 8414 §3.3).
    Metadata(Box<ServerMetadata>),
    /// No document at that URL: fetch the next one with this step.
    TryNext(Discover),
    /// Discovery stopped: see the [module docs](self) for when. The error is the one the last
    /// answer gave.
    Failed(Error),
}

impl Discover {
    /// Discovery for `issuer`: the RFC 8414 §3.1 URL first, then the OpenID Connect one, with
    /// the default [`ParseOptions`].
    pub fn new(issuer: Issuer) -> Self {
        Self {
            issuer,
            order: [
                Some(Discovery::OAuthAuthorizationServer),
                Some(Discovery::OpenIdConfiguration),
            ],
            at: 0,
            options: ParseOptions::default(),
        }
    }

    /// Tries the OpenID Connect URL first, then the RFC 8414 one: for providers that serve only
    /// OpenID discovery. Call before the first request.
    pub fn openid_first(mut self) -> Self {
        self.order = [
            Some(Discovery::OpenIdConfiguration),
            Some(Discovery::OAuthAuthorizationServer),
        ];
        self.at = 0;
        self
    }

    /// Tries `document` only. Call before the first request.
    pub fn only(mut self, document: Discovery) -> Self {
        self.order = [Some(document), None];
        self.at = 0;
        self
    }

    /// Parses the documents under `options` (profile, limits, plain-http opt-in).
    pub fn with_options(mut self, options: ParseOptions) -> Self {
        self.options = options;
        self
    }

    /// The issuer asked for.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The document to fetch now.
    pub fn document(&self) -> Discovery {
        // `at` only ever points at a `Some` (see `handle_response`); the fallback is never used.
        self.order[self.at].unwrap_or(Discovery::OAuthAuthorizationServer)
    }

    /// The URL of the document to fetch now.
    pub fn url(&self) -> Result<Endpoint, Error> {
        self.document().url(&self.issuer)
    }

    /// The GET request for the document to fetch now.
    pub fn request(&self) -> Result<SecretRequest, Error> {
        self.document().to_request(&self.issuer)
    }

    /// Feeds the answer to [`Discover::request`], received at `now` (for `Retry-After` dates).
    pub fn handle_response<B: AsRef<[u8]>>(
        self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Discovered {
        let status = response.status();
        let parsed = ServerMetadata::parse_with(response, &self.issuer, now, &self.options);
        let error = match parsed {
            Ok(md) => return Discovered::Metadata(Box::new(md)),
            Err(e) => e,
        };
        let next = self.at + 1;
        match self.order.get(next).copied().flatten() {
            Some(_) if no_document_here(status, &error) => {
                Discovered::TryNext(Self { at: next, ..self })
            }
            _ => Discovered::Failed(error),
        }
    }
}

/// Whether an answer that gave `error` says "no metadata document at this URL" (move on), as
/// opposed to a document that is wrong or a failure that may pass (stop). See the module docs.
fn no_document_here(status: StatusCode, error: &Error) -> bool {
    if status.is_success() {
        // RFC 8414 §3.2: a metadata document is a JSON object with (§2, REQUIRED) `issuer`.
        // Anything else is some other page. A mismatched issuer (RFC 8414 §3.3) is a document
        // for the wrong server: it stops, like every other error.
        return matches!(
            error,
            Error::NotJson { .. }
                | Error::WrongType {
                    member: "(body)",
                    ..
                }
                | Error::MissingMember {
                    member: "issuer",
                    ..
                }
        );
    }
    // RFC 6585 §4 (429) and 5xx: the server is there but failing for now.
    let transient = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
    (status.is_redirection() || status.is_client_error()) && !transient
}
