//! PKCE (RFC 7636) and the authorization request URL (RFC 6749 §4.1.1).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::auth::Entropy;
use crate::endpoint::Endpoint;
use crate::secret::{ClientId, SecretString};
use crate::{Error, Scope};

/// A PKCE `code_verifier` (RFC 7636 §4.1): 43 to 128 characters of `[A-Za-z0-9-._~]`.
/// Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PkceVerifier(SecretString);

impl PkceVerifier {
    /// A verifier from 32 bytes of the caller's entropy, base64url-encoded to 43 characters
    /// (RFC 7636 §4.1 recommends exactly this).
    pub fn generate(entropy: &mut dyn Entropy) -> Self {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        entropy.fill_bytes(&mut bytes[..]);
        Self(SecretString::new(URL_SAFE_NO_PAD.encode(&bytes[..])))
    }

    /// Wraps an existing verifier, checking RFC 7636 §4.1's length and alphabet.
    pub fn new(verifier: impl Into<String>) -> Result<Self, Error> {
        let v: String = verifier.into();
        let ok_len = (43..=128).contains(&v.len());
        let ok_chars = v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !ok_len || !ok_chars {
            return Err(Error::InvalidParameter {
                name: "code_verifier".into(),
                reason: "must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)",
            });
        }
        Ok(Self(SecretString::new(v)))
    }

    /// The verifier, for the token request.
    pub fn secret(&self) -> &str {
        self.0.secret()
    }

    /// The S256 `code_challenge`: BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2).
    pub fn challenge_s256(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.secret().as_bytes()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

/// An opaque `state` value (RFC 6749 §4.1.1, §10.12) to bind the redirect to this session.
#[derive(Clone)]
pub struct State(String);

impl State {
    /// 16 bytes of the caller's entropy, base64url-encoded.
    pub fn generate(entropy: &mut dyn Entropy) -> Self {
        let mut bytes = [0u8; 16];
        entropy.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The value as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time check of the `state` that came back on the redirect.
    pub fn matches(&self, returned: &str) -> bool {
        crate::secret::ct_eq(self.0.as_bytes(), returned.as_bytes())
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("State([redacted])")
    }
}

/// Builds the authorization request URL of the code flow (RFC 6749 §4.1.1) with PKCE S256
/// (RFC 7636 §4.3) and `state`.
///
/// ```
/// use grantwire::{AuthorizationRequest, ClientId, Endpoint, PkceVerifier, State};
/// let mut rng = |b: &mut [u8]| b.fill(3);
/// let verifier = PkceVerifier::generate(&mut rng);
/// let state = State::generate(&mut rng);
/// let url = AuthorizationRequest::new(Endpoint::parse("https://as.example/authorize").unwrap(), ClientId::new("app"))
///     .redirect_uri("https://app.example/cb")
///     .pkce(&verifier)
///     .state(&state)
///     .to_url()
///     .unwrap();
/// assert!(url.starts_with("https://as.example/authorize?response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"));
/// assert!(url.contains("&code_challenge_method=S256"));
/// ```
#[derive(Clone)]
pub struct AuthorizationRequest {
    endpoint: Endpoint,
    client_id: ClientId,
    redirect_uri: Option<String>,
    scope: Option<Scope>,
    /// Redacted in `Debug`, like [`State`] itself.
    state: Option<String>,
    challenge: Option<String>,
    extras: Vec<(String, String)>,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `state` binds the redirect to the session (RFC 6749 §10.12): print only whether it is
        // set, as `State`'s own `Debug` does. Extras may carry a `nonce`: names only.
        f.debug_struct("AuthorizationRequest")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("state", &self.state.as_ref().map(|_| "[redacted]"))
            .field("code_challenge", &self.challenge)
            .field(
                "extras",
                &self.extras.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl AuthorizationRequest {
    /// A code-flow request to `endpoint` for `client_id`.
    pub fn new(endpoint: Endpoint, client_id: ClientId) -> Self {
        Self {
            endpoint,
            client_id,
            redirect_uri: None,
            scope: None,
            state: None,
            challenge: None,
            extras: Vec::new(),
        }
    }

    /// The `redirect_uri`.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The `scope`.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope).filter(|s| !s.is_empty());
        self
    }

    /// The `state`.
    pub fn state(mut self, state: &State) -> Self {
        self.state = Some(state.0.clone());
        self
    }

    /// PKCE with S256 (RFC 7636 §4.3; `plain` is not offered).
    pub fn pkce(mut self, verifier: &PkceVerifier) -> Self {
        self.challenge = Some(verifier.challenge_s256());
        self
    }

    /// Another query parameter (for example `prompt` or `nonce`); one the builder sets is refused
    /// by [`AuthorizationRequest::to_url`].
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extras.push((name.into(), value.into()));
        self
    }

    /// The full URL, keeping any query the endpoint already had (RFC 6749 §3.1).
    pub fn to_url(&self) -> Result<String, Error> {
        const OWN: &[&str] = &[
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        ];
        let mut q = crate::form::Form::new();
        q.append("response_type", "code")?;
        q.append("client_id", self.client_id.as_str())?;
        if let Some(r) = &self.redirect_uri {
            q.append("redirect_uri", r)?;
        }
        if let Some(s) = &self.scope {
            q.append("scope", s.as_str())?;
        }
        if let Some(s) = &self.state {
            q.append("state", s)?;
        }
        if let Some(c) = &self.challenge {
            q.append("code_challenge", c)?;
            q.append("code_challenge_method", "S256")?;
        }
        for (k, v) in &self.extras {
            if OWN.contains(&k.as_str()) {
                return Err(Error::DuplicateParameter { name: k.clone() });
            }
            q.append(k, v)?;
        }
        let mut url = self.endpoint.as_str().to_owned();
        url.push(if self.endpoint.has_query() { '&' } else { '?' });
        let mut bytes = url.into_bytes();
        bytes.extend_from_slice(q.as_bytes());
        // Only ASCII was added to a valid string.
        Ok(String::from_utf8(bytes).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        // RFC 7636 Appendix B: the octets, the verifier and the S256 challenge.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let mut rng = |b: &mut [u8]| b.copy_from_slice(&octets);
        let v = PkceVerifier::generate(&mut rng);
        assert_eq!(v.secret(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            v.challenge_s256(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(format!("{v:?}"), "PkceVerifier([redacted])");
    }

    #[test]
    fn verifier_rules_and_url_query_merge() {
        assert!(PkceVerifier::new("short").is_err());
        assert!(PkceVerifier::new("a".repeat(129)).is_err());
        assert!(PkceVerifier::new(format!("{}!", "a".repeat(43))).is_err());
        assert!(PkceVerifier::new("a".repeat(43)).is_ok());
        let ep = Endpoint::parse("https://as.example/authorize?tenant=x").unwrap();
        let url = AuthorizationRequest::new(ep.clone(), "c".into())
            .to_url()
            .unwrap();
        assert_eq!(
            url,
            "https://as.example/authorize?tenant=x&response_type=code&client_id=c"
        );
        let err = AuthorizationRequest::new(ep, "c".into())
            .extra("state", "x")
            .to_url();
        assert!(matches!(err, Err(Error::DuplicateParameter { .. })));
        let s = State::generate(&mut |b: &mut [u8]| b.fill(9));
        assert!(s.matches(s.as_str()) && !s.matches("other"));
    }

    #[test]
    fn authorization_request_debug_hides_state_and_extra_values() {
        let state = State::generate(&mut |b: &mut [u8]| b.fill(0x5a));
        let req = AuthorizationRequest::new(
            Endpoint::parse("https://as.example/authorize").unwrap(),
            "app".into(),
        )
        .state(&state)
        .extra("nonce", "nonce-value-n0nce");
        let shown = format!("{req:?}");
        assert!(!shown.contains(state.as_str()), "{shown}");
        assert!(!shown.contains("nonce-value-n0nce"), "{shown}");
        assert!(shown.contains("state: Some(\"[redacted]\")"), "{shown}");
        assert!(shown.contains("\"nonce\""), "{shown}");
    }
}
