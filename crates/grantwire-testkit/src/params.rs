//! Form parameters of a request (RFC 6749 Appendix B, section 3.2) and OAuth error responses (§5.2).

use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use zeroize::Zeroizing;

use grantwire::ErrorCode;

use crate::events::{bounded, AuthFailureCause, Rejection};

/// Parameters that RFC 8707 section 2 and RFC 8693 section 2.1 allow to repeat.
const REPEATABLE: &[&str] = &["resource", "audience"];

/// An OAuth error about to be sent (RFC 6749 section 5.2). The description is always a fixed string,
/// so no request value (secret or not) can reach a response body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: ErrorCode,
    pub(crate) description: &'static str,
    pub(crate) status: StatusCode,
    /// Add `WWW-Authenticate: Basic` (the client used the Authorization header).
    pub(crate) basic_challenge: bool,
    /// A rejected client authentication: who, how, and the exact cause (for the event log).
    pub(crate) rejection: Option<Box<Rejection>>,
    /// The `client_auth_id` member of the error body (a random id naming the event).
    pub(crate) client_auth_id: Option<String>,
}

impl Failure {
    fn new(code: ErrorCode, description: &'static str) -> Self {
        Self {
            code,
            description,
            status: StatusCode::BAD_REQUEST,
            basic_challenge: false,
            rejection: None,
            client_auth_id: None,
        }
    }

    pub(crate) fn invalid_request(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client`: 401 with a Basic challenge when the Authorization header was used,
    /// 400 otherwise (RFC 6749 section 5.2).
    pub(crate) fn invalid_client(description: &'static str, via_header: bool) -> Self {
        Self {
            code: ErrorCode::InvalidClient,
            description,
            status: if via_header {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            },
            basic_challenge: via_header,
            rejection: None,
            client_auth_id: None,
        }
    }

    /// Marks the failure as a rejected client authentication, with its exact cause.
    pub(crate) fn rejected(
        mut self,
        client_id: Option<&str>,
        method: Option<&'static str>,
        cause: AuthFailureCause,
    ) -> Self {
        self.rejection = Some(Box::new(Rejection {
            client_id: client_id.map(bounded),
            method,
            cause,
        }));
        self
    }

    pub(crate) fn invalid_grant(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub(crate) fn invalid_scope(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    pub(crate) fn invalid_target(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidTarget, description)
    }

    pub(crate) fn unauthorized_client(description: &'static str) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }

    pub(crate) fn unsupported_grant_type(description: &'static str) -> Self {
        Self::new(ErrorCode::UnsupportedGrantType, description)
    }

    pub(crate) fn server_error(description: &'static str) -> Self {
        Self::new(ErrorCode::ServerError, description)
            .with_status(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn into_response(self) -> Response<Vec<u8>> {
        let mut body = serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        });
        if let (Some(id), Some(obj)) = (self.client_auth_id, body.as_object_mut()) {
            obj.insert("client_auth_id".into(), id.into());
        }
        let mut response = json_response(self.status, &body);
        if self.basic_challenge {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"grantwire-testkit\""),
            );
        }
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(http::header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

/// A JSON response that must not be cached (RFC 6749 section 5.1).
pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Vec<u8>> {
    let mut response = Response::new(serde_json::to_vec(body).unwrap_or_default());
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The decoded form parameters of a request. Values are zeroized on drop (they include secrets,
/// assertions and tokens). Parameters sent without a value count as omitted (RFC 6749 section 3.2).
pub(crate) struct Params(Vec<(String, Zeroizing<String>)>);

impl Params {
    /// Reads a POST form body: the content type must be `application/x-www-form-urlencoded`,
    /// the body within `max_bytes`, and no parameter but `resource`/`audience` may repeat.
    pub(crate) fn from_request<B: AsRef<[u8]>>(
        req: &Request<B>,
        max_bytes: usize,
    ) -> Result<Self, Failure> {
        if req.method() != http::Method::POST {
            return Err(Failure::invalid_request("this endpoint accepts only POST")
                .with_status(StatusCode::METHOD_NOT_ALLOWED));
        }
        let form_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim())
            .is_some_and(|v| v.eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(Failure::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let body = req.body().as_ref();
        if body.len() > max_bytes {
            return Err(Failure::invalid_request("the request body is too large"));
        }
        Self::parse(body)
    }

    /// Parses a form body (RFC 6749 Appendix B).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, Failure> {
        let pairs = grantwire::form::parse(body)
            .map_err(|_| Failure::invalid_request("the form body is malformed"))?;
        let mut out: Vec<(String, Zeroizing<String>)> = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let value = Zeroizing::new(value);
            if value.is_empty() {
                continue;
            }
            if !REPEATABLE.contains(&name.as_str()) && out.iter().any(|(n, _)| *n == name) {
                return Err(Failure::invalid_request(
                    "a parameter is included more than once (RFC 6749 section 3.2)",
                ));
            }
            out.push((name, value));
        }
        Ok(Self(out))
    }

    /// The value of a parameter sent once (or the first of a repeatable one).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether the parameter is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}
