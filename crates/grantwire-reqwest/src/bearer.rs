//! What the token client, the middleware and the layer share: attaching the token, and reading
//! a resource server's refusal of it.

use grantwire::challenge::parse_www_authenticate;
use grantwire::AccessToken;
use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::StatusCode;
use zeroize::Zeroize;

/// Sets `Authorization: Bearer <token>` (RFC 6750 §2.1), replacing any value, marked sensitive
/// so `Debug` of the headers and HTTP/2 header compression leave it out (as tower-http's
/// `AddAuthorization` does). The scratch buffer holding the token is wiped.
pub(crate) fn attach(headers: &mut HeaderMap, token: &AccessToken) {
    let secret = token.secret();
    let mut value = Vec::with_capacity(7 + secret.len());
    value.extend_from_slice(b"Bearer ");
    value.extend_from_slice(secret.as_bytes());
    // A token with bytes a header cannot carry is sent without one; the server answers 401.
    if let Ok(mut header) = HeaderValue::from_bytes(&value) {
        header.set_sensitive(true);
        headers.insert(AUTHORIZATION, header);
    }
    value.zeroize();
}

/// Whether a response says the token is refused: 401 with a Bearer challenge whose `error` is
/// `invalid_token` (RFC 6750 §3.1). Other 401s (no token, `insufficient_scope` is a 403, a
/// Basic challenge) are not retried. Every `WWW-Authenticate` field is read; one that does not
/// parse counts for nothing.
pub(crate) fn token_refused(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::UNAUTHORIZED
        && headers.get_all(WWW_AUTHENTICATE).iter().any(|value| {
            value
                .to_str()
                .ok()
                .and_then(|v| parse_www_authenticate(v).ok())
                .is_some_and(|challenges| {
                    challenges
                        .iter()
                        .any(|c| c.scheme_is("bearer") && c.param("error") == Some("invalid_token"))
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(WWW_AUTHENTICATE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_a_bearer_invalid_token_401_is_a_refusal() {
        let refused = headers(&[r#"Bearer realm="r", error="invalid_token""#]);
        assert!(token_refused(StatusCode::UNAUTHORIZED, &refused));
        assert!(!token_refused(StatusCode::FORBIDDEN, &refused));
        let second = headers(&[r#"Basic realm="r""#, r#"Bearer error="invalid_token""#]);
        assert!(token_refused(StatusCode::UNAUTHORIZED, &second));
        for other in [
            r#"Bearer realm="r""#,
            r#"Bearer error="insufficient_scope""#,
            r#"Basic error="invalid_token""#,
            "Bearer error=\"invalid_token",
        ] {
            assert!(
                !token_refused(StatusCode::UNAUTHORIZED, &headers(&[other])),
                "{other}"
            );
        }
        assert!(!token_refused(StatusCode::UNAUTHORIZED, &HeaderMap::new()));
    }

    #[test]
    fn the_header_is_sensitive() {
        let mut h = HeaderMap::new();
        attach(&mut h, &AccessToken::new("tok-123"));
        assert_eq!(h[AUTHORIZATION], "Bearer tok-123");
        assert!(h[AUTHORIZATION].is_sensitive());
        assert!(!format!("{h:?}").contains("tok-123"));
    }
}
