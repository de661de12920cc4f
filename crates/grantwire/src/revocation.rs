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
//! let outcome = RevocationOutcome::parse(http::StatusCode::OK, &http::HeaderMap::new(), b"", UNIX_EPOCH)?;
//! assert_eq!(outcome, RevocationOutcome::Revoked);
//! # Ok::<(), grantwire::Error>(())
//! ```

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::auth::Context;
use crate::client::Client;
use crate::error::{ErrorCode, ErrorResponse};
use crate::introspection::retry_after;
use crate::request::SecretRequest;
use crate::response::{parse_error_response, ParseOptions, Profile};
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

/// What a revocation endpoint answered (RFC 7009 §2.2, §2.2.1), for the answers a client can act
/// on. Every other failure is an [`Error`] (an OAuth error such as `invalid_client`, or a
/// response that makes no sense).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum RevocationOutcome {
    /// HTTP 200: the token was revoked, or was already invalid (RFC 7009 §2.2). The body is
    /// ignored, whatever it holds.
    Revoked,
    /// `unsupported_token_type`: the server does not revoke this type of token
    /// (RFC 7009 §2.2.1). Revoking the refresh token instead may work.
    UnsupportedTokenType(Box<ErrorResponse>),
    /// HTTP 503: the server could not revoke now; the client may retry, after `retry_after` when
    /// the server sent `Retry-After` (RFC 7009 §2.2.1, RFC 9110 §10.2.3).
    Unavailable {
        /// How long the server asked the client to wait.
        retry_after: Option<Duration>,
    },
}

impl RevocationOutcome {
    /// Reads an answer with the default profile and limits.
    pub fn parse(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Self, Error> {
        Self::parse_with(status, headers, body, now, &ParseOptions::default())
    }

    /// Reads an `http::Response` with the default profile and limits.
    pub fn from_http<B: AsRef<[u8]>>(
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<Self, Error> {
        Self::parse(
            response.status(),
            response.headers(),
            response.body().as_ref(),
            now,
        )
    }

    /// Reads a revocation answer (RFC 7009 §2.2). Status 200 is success whatever the body; the
    /// default and lenient profiles also take any other 2xx (204 is common), the strict profile
    /// only 200. A 503 is [`RevocationOutcome::Unavailable`] whether or not its body is an OAuth
    /// error; `now` turns an HTTP-date `Retry-After` into a duration.
    pub fn parse_with(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
        opts: &ParseOptions,
    ) -> Result<Self, Error> {
        if status == StatusCode::OK {
            return Ok(Self::Revoked);
        }
        if status.is_success() {
            if opts.profile == Profile::Strict {
                return Err(Error::StrictViolation {
                    rule: "RFC 7009 §2.2: the server responds with HTTP status code 200",
                });
            }
            return Ok(Self::Revoked);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return Ok(Self::Unavailable {
                retry_after: retry_after(headers, now),
            });
        }
        let err = parse_error_response(status, headers, body, now, opts).map_err(|e| match e {
            Error::MissingMember { member: "error" } => Error::UnexpectedStatus {
                status: status.as_u16(),
                retry_after: retry_after(headers, now),
            },
            other => other,
        })?;
        if err.error == ErrorCode::UnsupportedTokenType {
            return Ok(Self::UnsupportedTokenType(Box::new(err)));
        }
        Err(Error::OAuth(Box::new(err)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientId, ClientSecret, ClientSecretBasic};
    use http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
    use std::time::UNIX_EPOCH;

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
                RevocationOutcome::parse(StatusCode::OK, &h, body, now).unwrap(),
                RevocationOutcome::Revoked
            );
        }
        assert_eq!(
            RevocationOutcome::parse(StatusCode::NO_CONTENT, &h, b"", now).unwrap(),
            RevocationOutcome::Revoked
        );
        assert!(RevocationOutcome::parse_with(
            StatusCode::NO_CONTENT,
            &h,
            b"",
            now,
            &ParseOptions::with_profile(Profile::Strict)
        )
        .is_err());
        let mut json = HeaderMap::new();
        json.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let out = RevocationOutcome::parse(
            StatusCode::BAD_REQUEST,
            &json,
            br#"{"error":"unsupported_token_type","error_description":"access tokens are self-contained"}"#,
            now,
        )
        .unwrap();
        match out {
            RevocationOutcome::UnsupportedTokenType(e) => assert_eq!(e.status, 400),
            other => panic!("{other:?}"),
        }
        let mut busy = HeaderMap::new();
        busy.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(
            RevocationOutcome::parse(StatusCode::SERVICE_UNAVAILABLE, &busy, b"<html>", now)
                .unwrap(),
            RevocationOutcome::Unavailable {
                retry_after: Some(Duration::from_secs(120))
            }
        );
        assert_eq!(
            RevocationOutcome::parse(StatusCode::SERVICE_UNAVAILABLE, &h, b"", now).unwrap(),
            RevocationOutcome::Unavailable { retry_after: None }
        );
        let e = RevocationOutcome::parse(
            StatusCode::UNAUTHORIZED,
            &json,
            br#"{"error":"invalid_client"}"#,
            now,
        )
        .unwrap_err();
        assert_eq!(e.oauth().unwrap().error, ErrorCode::InvalidClient);
        assert!(matches!(
            RevocationOutcome::parse(StatusCode::INTERNAL_SERVER_ERROR, &json, b"{}", now),
            Err(Error::UnexpectedStatus { status: 500, .. })
        ));
        assert!(matches!(
            RevocationOutcome::parse(
                StatusCode::BAD_GATEWAY,
                &h,
                b"<html>bad gateway</html>",
                now
            ),
            Err(Error::NotJson { status: 502, .. })
        ));
    }
}
