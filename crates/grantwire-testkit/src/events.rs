//! The client-authentication event log: every accepted and every rejected client
//! authentication, with the exact cause of a rejection and the `client_auth_id` the error
//! response carried (as Connect2id reports to its operators).
//!
//! No event holds a secret, an assertion or a token: only the client id, the method, fixed cause
//! names and, for a wrong audience, the `aud` value, each bounded in length.

use std::collections::VecDeque;

use serde_json::{Map, Value};

use crate::faults::EndpointKind;

/// How many events [`AuthServer::auth_events`](crate::AuthServer::auth_events) keeps; older
/// ones are dropped first.
pub const MAX_AUTH_EVENTS: usize = 1000;

/// Request values copied into an event (a client id, an `aud`) are cut to this many characters.
pub const MAX_EVENT_TEXT: usize = 128;

/// `text` cut to [`MAX_EVENT_TEXT`] characters (an ellipsis marks a cut).
pub(crate) fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_EVENT_TEXT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Why a client authentication was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthFailureCause {
    /// No client is registered under the presented client id.
    UnknownClient,
    /// The client secret (Basic or form body) does not match the registered one.
    WrongSecret,
    /// The client used a method other than the one registered for it.
    MethodNotRegistered {
        /// The method the request used.
        used: &'static str,
        /// The method registered for the client.
        registered: &'static str,
    },
    /// The `Authorization: Basic` value is not `base64(id:secret)` (RFC 6749 §2.3.1).
    MalformedCredentials,
    /// The request named no client at all where one is required.
    NoCredentials,
    /// A public client (`none`) where client authentication is required (RFC 7662 §2.1).
    PublicClientNotAllowed,
    /// The client assertion is not a compact JWS with JSON header and claims, or has no `iss`.
    MalformedAssertion,
    /// The `client_id` parameter differs from the assertion's `iss` (RFC 7523 §3).
    ClientIdMismatch,
    /// The header's `alg` is not the one registered for the client.
    AlgNotAllowed {
        /// The `alg` of the header (bounded).
        alg: String,
        /// The registered algorithm.
        registered: &'static str,
    },
    /// The header's `typ` is neither absent, `JWT`, nor `client-authentication+jwt`.
    TypNotAllowed,
    /// The header has a `crit` member this server does not understand (RFC 7515 §4.1.11).
    CritHeader,
    /// The signature does not verify with the registered secret or key.
    BadSignature,
    /// `sub` is missing or differs from `iss` (RFC 7523 §3).
    SubjectMismatch,
    /// `aud` is not the value the server demands (draft-ietf-oauth-rfc7523bis).
    AudienceWrong {
        /// What `aud` was: the string, or the JSON text of a non-string value, or `(missing)`.
        aud: String,
        /// The value the server expected (the first rule it accepts).
        expected: String,
    },
    /// `exp` is in the past (beyond the leeway).
    AssertionExpired {
        /// The assertion's `exp`.
        exp: u64,
        /// The server's time.
        now: u64,
    },
    /// `exp` is further ahead than the policy's maximum lifetime.
    LifetimeTooLong,
    /// `iat` or `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// A required claim (`exp`, `jti`) is missing or malformed.
    MissingClaim(&'static str),
    /// The `jti` was already used by this client before its `exp` (RFC 7523 §3 item 7).
    JtiReplayed,
    /// The RFC 8705 method needs a client certificate and none was presented.
    CertificateMissing,
    /// The presented certificate does not match the registered subject or certificate.
    CertificateMismatch,
    /// `tls_client_auth`: the certificate's chain does not lead to a CA the server trusts
    /// (RFC 8705 §2.1), whatever its subject.
    CertificateUntrusted,
}

impl AuthFailureCause {
    /// A stable, machine-readable name (`wrong_secret`, `aud_wrong`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownClient => "unknown_client",
            Self::WrongSecret => "wrong_secret",
            Self::MethodNotRegistered { .. } => "method_not_registered",
            Self::MalformedCredentials => "malformed_credentials",
            Self::NoCredentials => "no_credentials",
            Self::PublicClientNotAllowed => "public_client_not_allowed",
            Self::MalformedAssertion => "malformed_assertion",
            Self::ClientIdMismatch => "client_id_mismatch",
            Self::AlgNotAllowed { .. } => "alg_not_allowed",
            Self::TypNotAllowed => "typ_not_allowed",
            Self::CritHeader => "crit_header",
            Self::BadSignature => "bad_signature",
            Self::SubjectMismatch => "sub_mismatch",
            Self::AudienceWrong { .. } => "aud_wrong",
            Self::AssertionExpired { .. } => "assertion_expired",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::NotYetValid => "not_yet_valid",
            Self::MissingClaim(_) => "missing_claim",
            Self::JtiReplayed => "jti_replayed",
            Self::CertificateMissing => "certificate_missing",
            Self::CertificateMismatch => "certificate_mismatch",
            Self::CertificateUntrusted => "certificate_untrusted",
        }
    }
}

impl std::fmt::Display for AuthFailureCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownClient => f.write_str("unknown client"),
            Self::WrongSecret => f.write_str("wrong client secret"),
            Self::MethodNotRegistered { used, registered } => write!(
                f,
                "method not registered: used {used}, the client is registered for {registered}"
            ),
            Self::MalformedCredentials => f.write_str("malformed Basic credentials"),
            Self::NoCredentials => f.write_str("no client authentication in the request"),
            Self::PublicClientNotAllowed => {
                f.write_str("a public client cannot authenticate at this endpoint")
            }
            Self::MalformedAssertion => f.write_str("malformed client assertion"),
            Self::ClientIdMismatch => f.write_str("client_id differs from the assertion's iss"),
            Self::AlgNotAllowed { alg, registered } => write!(
                f,
                "alg {alg:?} not allowed for the client (registered: {registered})"
            ),
            Self::TypNotAllowed => f.write_str("typ not allowed in a client assertion"),
            Self::CritHeader => f.write_str("unsupported crit header"),
            Self::BadSignature => {
                f.write_str("signature does not verify with the registered secret or key")
            }
            Self::SubjectMismatch => f.write_str("sub missing or different from iss"),
            Self::AudienceWrong { aud, expected } => {
                write!(f, "aud wrong: was {aud:?}, expected {expected:?}")
            }
            Self::AssertionExpired { exp, now } => {
                write!(f, "assertion expired: exp {exp}, server time {now}")
            }
            Self::LifetimeTooLong => f.write_str("exp too far ahead (lifetime above the maximum)"),
            Self::NotYetValid => f.write_str("iat or nbf in the future"),
            Self::MissingClaim(claim) => write!(f, "{claim} missing or malformed"),
            Self::JtiReplayed => f.write_str("jti replayed"),
            Self::CertificateMissing => f.write_str("no client certificate presented"),
            Self::CertificateMismatch => {
                f.write_str("client certificate does not match the registration")
            }
            Self::CertificateUntrusted => {
                f.write_str("client certificate not issued by a CA the server trusts")
            }
        }
    }
}

/// The client and method an authentication concerned, and the cause of its rejection: what a
/// rejected authentication carries until the server turns it into an [`AuthEvent`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) client_id: Option<String>,
    pub(crate) method: Option<&'static str>,
    pub(crate) cause: AuthFailureCause,
}

/// One client authentication, accepted or rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthEvent {
    /// When (seconds since the Unix epoch, the `now` the server was given).
    pub at: u64,
    /// The endpoint called.
    pub endpoint: EndpointKind,
    /// The client id presented (bounded), when there was one.
    pub client_id: Option<String>,
    /// The method used (RFC 8414 name), when known.
    pub method: Option<&'static str>,
    /// `None` when accepted; the cause when rejected.
    pub cause: Option<AuthFailureCause>,
    /// The id sent in the rejection's error response (`client_auth_id`); `None` when accepted.
    pub client_auth_id: Option<String>,
}

impl AuthEvent {
    /// Whether the authentication was accepted.
    pub fn accepted(&self) -> bool {
        self.cause.is_none()
    }

    /// The event as a JSON object: `at`, `endpoint`, `client_id`, `method`, `outcome`
    /// (`accepted` or `rejected`), `cause` (stable code), `cause_text` and `client_auth_id`
    /// (absent members left out).
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("at".into(), self.at.into());
        obj.insert("endpoint".into(), self.endpoint.path().into());
        let outcome = if self.accepted() {
            "accepted"
        } else {
            "rejected"
        };
        obj.insert("outcome".into(), outcome.into());
        if let Some(id) = &self.client_id {
            obj.insert("client_id".into(), id.as_str().into());
        }
        if let Some(m) = self.method {
            obj.insert("method".into(), m.into());
        }
        if let Some(c) = &self.cause {
            obj.insert("cause".into(), c.code().into());
            obj.insert("cause_text".into(), c.to_string().into());
        }
        if let Some(id) = &self.client_auth_id {
            obj.insert("client_auth_id".into(), id.as_str().into());
        }
        Value::Object(obj)
    }
}

/// The last [`MAX_AUTH_EVENTS`] events, oldest first.
#[derive(Debug, Default)]
pub(crate) struct EventLog(VecDeque<AuthEvent>);

impl EventLog {
    pub(crate) fn push(&mut self, event: AuthEvent) {
        if self.0.len() == MAX_AUTH_EVENTS {
            self.0.pop_front();
        }
        self.0.push_back(event);
    }

    /// Newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &AuthEvent> {
        self.0.iter().rev()
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at: u64) -> AuthEvent {
        AuthEvent {
            at,
            endpoint: EndpointKind::Token,
            client_id: None,
            method: None,
            cause: None,
            client_auth_id: None,
        }
    }

    #[test]
    fn the_log_keeps_the_newest_events_up_to_its_bound() {
        let mut log = EventLog::default();
        for at in 0..(MAX_AUTH_EVENTS as u64 + 5) {
            log.push(event(at));
        }
        assert_eq!(log.iter().count(), MAX_AUTH_EVENTS);
        assert_eq!(
            log.iter().next().map(|e| e.at),
            Some(MAX_AUTH_EVENTS as u64 + 4)
        );
        assert_eq!(log.iter().last().map(|e| e.at), Some(5));
    }

    #[test]
    fn request_text_is_bounded() {
        let long = "é".repeat(MAX_EVENT_TEXT + 10);
        let cut = bounded(&long);
        assert_eq!(cut.chars().count(), MAX_EVENT_TEXT + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(bounded("svc"), "svc");
    }
}
