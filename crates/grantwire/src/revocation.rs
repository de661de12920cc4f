//! Token revocation (RFC 7009): the request that tells the authorization server a token is no
//! longer needed, and the typed outcome of its answer.
//!
//! ```
//! use std::time::{SystemTime, UNIX_EPOCH};
//! use grantwire::revocation::{RevocationOutcome, RevocationRequest};
//! use grantwire::{AuthorizationServer, Client, ClientId, ClientSecret, ClientSecretBasic, Context, Endpoint, RefreshToken};
//!
//! let server = AuthorizationServer::new(Endpoint::parse("https://server.example.com/token")?)
//!     .with_revocation_endpoint(Endpoint::parse("https://server.example.com/revoke")?);
//! let auth = ClientSecretBasic::new(ClientId::new("s6BhdRkqt3"), ClientSecret::new("gX1fBat3bV"));
//! let client = Client::new(server, auth)?;
//! let mut rng = |b: &mut [u8]| b.fill(0);
//! let req = RevocationRequest::refresh_token(&RefreshToken::new("45ghiukldjahdnhzdauz"))
//!     .to_request(&client, &mut Context::new(UNIX_EPOCH, &mut rng))?;
//! assert_eq!(req.body(), b"token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token");
//! let response = http::Response::new(Vec::new()); // 200, empty body
//! let outcome = RevocationOutcome::parse(&response, UNIX_EPOCH)?;
//! assert_eq!(outcome, RevocationOutcome::Revoked);
//! # Ok::<(), grantwire::Error>(())
//! ```

use std::time::SystemTime;

use http::StatusCode;

use crate::auth::Context;
use crate::client::Client;
#[cfg(doc)]
use crate::error::ErrorCode;
use crate::parse::{parse_error_response, unexpected_status, ResponseView};
use crate::profile::{ParseOptions, Profile};
use crate::request::SecretRequest;
use crate::secret::{AccessToken, RefreshToken, SecretString};
use crate::token_request::{token_request_methods, TokenRequest, TokenTypeHint};
use crate::Error;

/// A revocation request (RFC 7009 §2.1): `token`, an optional `token_type_hint`, and the client
/// authentication used at the token endpoint (RFC 7009 §2.1: the client MUST authenticate if it
/// was issued credentials). Sent to the client's server's revocation endpoint; revoking a
/// refresh token may revoke the access tokens issued with it too (RFC 7009 §2.1).
#[derive(Clone, Debug)]
pub struct RevocationRequest(TokenRequest);

token_request_methods!(
    RevocationRequest,
    "Revokes",
    "RFC 7009 §2.1",
    revocation_endpoint
);

/// A successful answer of a revocation endpoint (RFC 7009 §2.2).
///
/// Revocation follows the same rule as every other parser: `Ok` only for success, every
/// server-side failure an [`Error`] that keeps the status, the content type and `Retry-After`.
/// The failures a client can act on are the kinds it already knows from the token endpoint:
/// `unsupported_token_type` (RFC 7009 §2.2.1: revoking the refresh token instead may work) is
/// [`Error::OAuth`] with [`ErrorCode::UnsupportedTokenType`]; a 503 (RFC 7009 §2.2.1: retry
/// later) is [`Error::OAuth`] when its body is an OAuth error, [`Error::UnexpectedStatus`] or
/// [`Error::NotJson`] otherwise, each with [`Error::retry_after`].
///
/// ```
/// use grantwire::{ErrorCode, ErrorKind, RevocationOutcome};
/// let h = http::HeaderMap::new();
/// let now = std::time::UNIX_EPOCH;
/// let e = RevocationOutcome::parse((http::StatusCode::BAD_REQUEST, &h, br#"{"error":"unsupported_token_type"}"#), now)
///     .unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::OAuth);
/// assert_eq!(e.oauth().unwrap().error, ErrorCode::UnsupportedTokenType);
/// assert_eq!(e.response().unwrap().status, 400);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum RevocationOutcome {
    /// A 2xx: the token was revoked, or was already invalid (RFC 7009 §2.2). The body is
    /// ignored, whatever it holds.
    Revoked,
}

impl RevocationOutcome {
    /// Reads an answer with the default profile and limits; see
    /// [`RevocationOutcome::parse_with`].
    pub fn parse<'a>(
        response: impl Into<ResponseView<'a>>,
        now: SystemTime,
    ) -> Result<Self, Error> {
        Self::parse_with(response, now, &ParseOptions::default())
    }

    /// Reads a revocation answer (RFC 7009 §2.2). Status 200 is success whatever the body; the
    /// default and lenient profiles also take any other 2xx (204 is common), the strict profile
    /// only 200. Every other answer is an [`Error`] carrying its status and content type; `now`
    /// turns an HTTP-date `Retry-After` into a duration.
    pub fn parse_with<'a>(
        response: impl Into<ResponseView<'a>>,
        now: SystemTime,
        opts: &ParseOptions,
    ) -> Result<Self, Error> {
        let r = response.into();
        if r.status == StatusCode::OK {
            return Ok(Self::Revoked);
        }
        if r.status.is_success() {
            if opts.profile == Profile::Strict {
                return Err(Error::strict(
                    "RFC 7009 §2.2: the server responds with HTTP status code 200",
                )
                .with_response(|| r.info()));
            }
            return Ok(Self::Revoked);
        }
        Err(match parse_error_response(r, now, opts) {
            Ok(e) => Error::OAuth(Box::new(e)),
            // Not an OAuth error body: the status is the answer.
            Err(Error::MissingMember {
                member: "error", ..
            }) => unexpected_status(r, now),
            Err(other) => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientId, ClientSecret, ClientSecretBasic, ErrorCode, ErrorKind};
    use http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
    use http::HeaderMap;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc7009_2_1_request() {
        // RFC 7009 §2.1 example.
        let server = crate::AuthorizationServer::new(
            crate::Endpoint::parse("https://server.example.com/token").unwrap(),
        )
        .with_revocation_endpoint(
            crate::Endpoint::parse("https://server.example.com/revoke").unwrap(),
        );
        let auth = Client::new(
            server,
            ClientSecretBasic::new(ClientId::new("s6BhdRkqt3"), ClientSecret::new("gX1fBat3bV")),
        )
        .unwrap();
        let mut rng = |b: &mut [u8]| b.fill(0);
        let mut ctx = Context::new(UNIX_EPOCH, &mut rng);
        let req = RevocationRequest::refresh_token(&RefreshToken::new("45ghiukldjahdnhzdauz"))
            .to_request(&auth, &mut ctx)
            .unwrap();
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(
            req.headers()["authorization"],
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
        assert_eq!(
            req.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            req.body(),
            b"token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token"
        );
        let req = RevocationRequest::new(SecretString::new("abc"))
            .to_request(&auth, &mut ctx)
            .unwrap();
        assert_eq!(req.body(), b"token=abc");
        let req = RevocationRequest::access_token(&AccessToken::new("x"))
            .token_type_hint(TokenTypeHint::Other("urn:example:device".into()))
            .to_request(&auth, &mut ctx)
            .unwrap();
        assert_eq!(
            req.body(),
            b"token=x&token_type_hint=urn%3Aexample%3Adevice"
        );
        assert!(RevocationRequest::new(SecretString::new("t"))
            .extra("token_type_hint", "x")
            .to_request(&auth, &mut ctx)
            .is_err());
    }

    #[test]
    fn outcomes() {
        let now = UNIX_EPOCH;
        let h = HeaderMap::new();
        for body in [&b""[..], b"not json", br#"{"error":"invalid_token"}"#] {
            assert_eq!(
                RevocationOutcome::parse((StatusCode::OK, &h, body), now).unwrap(),
                RevocationOutcome::Revoked
            );
        }
        assert_eq!(
            RevocationOutcome::parse((StatusCode::NO_CONTENT, &h, b""), now).unwrap(),
            RevocationOutcome::Revoked
        );
        let e = RevocationOutcome::parse_with(
            (StatusCode::NO_CONTENT, &h, b""),
            now,
            &ParseOptions::with_profile(Profile::Strict),
        )
        .unwrap_err();
        assert_eq!(e.response().unwrap().status, 204);
    }

    /// One rule for every server-side failure: `Err`, with the status, the content type and
    /// `Retry-After` kept (RFC 7009 §2.2.1 names `unsupported_token_type` and 503).
    #[test]
    fn every_failure_is_an_error_with_its_status() {
        let now = UNIX_EPOCH;
        let h = HeaderMap::new();
        let mut json = HeaderMap::new();
        json.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let e = RevocationOutcome::parse(
            (StatusCode::BAD_REQUEST, &json, br#"{"error":"unsupported_token_type","error_description":"access tokens are self-contained"}"#),
            now,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OAuth);
        assert_eq!(e.oauth().unwrap().error, ErrorCode::UnsupportedTokenType);
        let info = e.response().unwrap();
        assert_eq!(
            (info.status, info.content_type.as_deref()),
            (400, Some("application/json"))
        );

        // A 503 keeps its status, Retry-After, and the body's OAuth error when it has one.
        let mut busy = json.clone();
        busy.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        let e = RevocationOutcome::parse(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                &busy,
                br#"{"error":"temporarily_unavailable"}"#,
            ),
            now,
        )
        .unwrap_err();
        assert_eq!(e.oauth().unwrap().error, ErrorCode::TemporarilyUnavailable);
        assert_eq!(e.response().unwrap().status, 503);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
        let mut html = HeaderMap::new();
        html.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        html.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        let e = RevocationOutcome::parse((StatusCode::SERVICE_UNAVAILABLE, &html, b"<html>"), now)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        assert_eq!(e.response().unwrap().status, 503);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert!(
            e.to_string().contains("HTTP 503, content type text/html"),
            "{e}"
        );
        let e =
            RevocationOutcome::parse((StatusCode::SERVICE_UNAVAILABLE, &h, b""), now).unwrap_err();
        assert_eq!(e.response().unwrap().status, 503);

        let e = RevocationOutcome::parse(
            (
                StatusCode::UNAUTHORIZED,
                &json,
                br#"{"error":"invalid_client"}"#,
            ),
            now,
        )
        .unwrap_err();
        assert_eq!(e.oauth().unwrap().error, ErrorCode::InvalidClient);
        assert!(matches!(
            RevocationOutcome::parse((StatusCode::INTERNAL_SERVER_ERROR, &json, b"{}"), now),
            Err(Error::UnexpectedStatus { response, .. }) if response.status == 500
        ));
        assert!(matches!(
            RevocationOutcome::parse(
                (StatusCode::BAD_GATEWAY, &h, b"<html>bad gateway</html>"),
                now
            ),
            Err(Error::NotJson { response, .. }) if response.status == 502 && response.content_type.is_none()
        ));
    }
}
