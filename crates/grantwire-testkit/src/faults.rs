//! Fault injection and request counters, for testing how a client behaves when the server
//! misbehaves (RFC 6749 §5.2 in a 200, RFC 9110 §10.2.3 `Retry-After`, RFC 6585 §4 429).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

use http::header::{HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{Response, StatusCode};

use grantwire::ErrorCode;

/// The endpoints of the server, for faults and counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EndpointKind {
    /// The token endpoint (RFC 6749 §3.2).
    Token,
    /// The introspection endpoint (RFC 7662 §2).
    Introspection,
    /// The revocation endpoint (RFC 7009 §2).
    Revocation,
    /// The metadata document (RFC 8414 §3).
    Metadata,
    /// The JWK Set of the server's signing key (RFC 7517 §5).
    Jwks,
    /// The protected resource (RFC 6750).
    Resource,
}

impl EndpointKind {
    /// The path below the issuer.
    pub fn path(self) -> &'static str {
        match self {
            EndpointKind::Token => "/token",
            EndpointKind::Introspection => "/introspect",
            EndpointKind::Revocation => "/revoke",
            EndpointKind::Metadata => "/.well-known/oauth-authorization-server",
            EndpointKind::Jwks => "/jwks",
            EndpointKind::Resource => "/resource",
        }
    }
}

/// A scripted misbehaviour, answered instead of (or, for [`Fault::Delay`], on top of) the real
/// response. A faulted request has no other effect on the server's state, except that it is
/// counted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 500 with a plain-text body.
    InternalServerError,
    /// HTTP 503 with `Retry-After` in seconds when given (RFC 9110 §15.6.4, §10.2.3).
    ServiceUnavailable {
        /// The delay to announce.
        retry_after: Option<Duration>,
    },
    /// HTTP 429 with `Retry-After` in seconds when given (RFC 6585 §4).
    TooManyRequests {
        /// The delay to announce.
        retry_after: Option<Duration>,
    },
    /// An HTML page (a proxy error, a login page) with this status.
    Html(StatusCode),
    /// HTTP 200, `application/json`, with a truncated JSON body.
    MalformedJson,
    /// HTTP 200 with an OAuth error body (as GitHub and Slack answer).
    ErrorInSuccess(ErrorCode),
    /// Any status with an empty body.
    Status(StatusCode),
    /// HTTP 307 to this location: a client must not follow a redirect on a credentialed
    /// request (RFC 9700 §4.11: the credentials would be replayed to the new location).
    Redirect(String),
    /// HTTP 200, `application/json`, with a valid token response padded with JSON whitespace
    /// to this many bytes: a client must stop reading at its body limit.
    Oversized(usize),
    /// The real response, to be sent after this delay. The Sans-IO server attaches it as an
    /// [`InjectedDelay`] response extension; the loopback server sleeps before answering.
    Delay(Duration),
}

/// How long the transport should wait before sending this response (from [`Fault::Delay`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InjectedDelay(pub Duration);

impl Fault {
    /// The response this fault answers with, or `None` for [`Fault::Delay`].
    pub(crate) fn response(&self) -> Option<Response<Vec<u8>>> {
        let (status, content_type, body): (StatusCode, &'static str, Vec<u8>) = match self {
            Fault::InternalServerError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                b"internal server error".to_vec(),
            ),
            Fault::ServiceUnavailable { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                b"service unavailable".to_vec(),
            ),
            Fault::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "text/plain",
                b"too many requests".to_vec(),
            ),
            Fault::Html(status) => (
                *status,
                "text/html; charset=utf-8",
                b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>".to_vec(),
            ),
            Fault::MalformedJson => (
                StatusCode::OK,
                "application/json",
                br#"{"access_token":"mF_9.B5f-4.1JqM","token_type":"Bearer","expires_in":36"#
                    .to_vec(),
            ),
            Fault::ErrorInSuccess(code) => (
                StatusCode::OK,
                "application/json",
                serde_json::to_vec(&serde_json::json!({
                    "error": code.as_str(),
                    "error_description": "injected fault",
                }))
                .unwrap_or_default(),
            ),
            Fault::Status(status) => (*status, "text/plain", Vec::new()),
            Fault::Redirect(_) => (StatusCode::TEMPORARY_REDIRECT, "text/plain", Vec::new()),
            Fault::Oversized(size) => {
                let tail = br#""access_token":"oversized","token_type":"Bearer"}"#;
                let mut body = Vec::with_capacity((*size).max(tail.len() + 1));
                body.push(b'{');
                body.resize((*size).saturating_sub(tail.len()).max(1), b' ');
                body.extend_from_slice(tail);
                (StatusCode::OK, "application/json", body)
            }
            Fault::Delay(_) => return None,
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Fault::Redirect(location) = self {
            if let Ok(v) = HeaderValue::from_str(location) {
                response.headers_mut().insert(LOCATION, v);
            }
        }
        if let Fault::ServiceUnavailable {
            retry_after: Some(d),
        }
        | Fault::TooManyRequests {
            retry_after: Some(d),
        } = self
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(d.as_secs()));
        }
        Some(response)
    }
}

/// Scripted faults, a queue per endpoint.
#[derive(Clone, Debug, Default)]
pub(crate) struct Faults(BTreeMap<EndpointKind, VecDeque<Fault>>);

impl Faults {
    pub(crate) fn push(&mut self, endpoint: EndpointKind, fault: Fault) {
        self.0.entry(endpoint).or_default().push_back(fault);
    }

    pub(crate) fn next(&mut self, endpoint: EndpointKind) -> Option<Fault> {
        self.0.get_mut(&endpoint).and_then(VecDeque::pop_front)
    }

    pub(crate) fn pending(&self, endpoint: EndpointKind) -> usize {
        self.0.get(&endpoint).map_or(0, VecDeque::len)
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

/// How many requests reached each endpoint, and each client (by the `client_id` it claimed,
/// whether or not it then authenticated), faulted requests included.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Counters {
    endpoints: BTreeMap<EndpointKind, u64>,
    clients: BTreeMap<(String, EndpointKind), u64>,
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counters")
            .field("endpoints", &self.endpoints)
            .field("clients", &self.clients)
            .finish()
    }
}

impl Counters {
    pub(crate) fn record(&mut self, endpoint: EndpointKind, client: Option<&str>) {
        *self.endpoints.entry(endpoint).or_default() += 1;
        if let Some(c) = client {
            *self.clients.entry((c.to_owned(), endpoint)).or_default() += 1;
        }
    }

    /// Requests to `endpoint`.
    pub fn endpoint(&self, endpoint: EndpointKind) -> u64 {
        self.endpoints.get(&endpoint).copied().unwrap_or(0)
    }

    /// Requests from `client_id`, at every endpoint.
    pub fn client(&self, client_id: &str) -> u64 {
        self.clients
            .iter()
            .filter(|((c, _), _)| c == client_id)
            .map(|(_, n)| n)
            .sum()
    }

    /// Requests from `client_id` to `endpoint`.
    pub fn client_at(&self, client_id: &str, endpoint: EndpointKind) -> u64 {
        self.clients
            .get(&(client_id.to_owned(), endpoint))
            .copied()
            .unwrap_or(0)
    }

    /// Requests to every endpoint.
    pub fn total(&self) -> u64 {
        self.endpoints.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_and_oversized_faults_answer_what_they_say() {
        let r = Fault::Redirect("http://127.0.0.1:9/elsewhere".into())
            .response()
            .unwrap();
        assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(r.headers()[LOCATION], "http://127.0.0.1:9/elsewhere");
        let big = Fault::Oversized(10 * 1024 * 1024).response().unwrap();
        assert_eq!(big.body().len(), 10 * 1024 * 1024);
        let v: serde_json::Value = serde_json::from_slice(big.body()).unwrap();
        assert_eq!(v["token_type"], "Bearer");
    }
}
