//! JWT assertions (RFC 7523; draft-ietf-oauth-rfc7523bis), as client authentication (§2.2) and as
//! authorization grants (§2.1): the policy, the signature against the client's registered key,
//! the claim checks and the `jti` replay cache.

use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use grantwire::AssertionAudience;
use grantwire_jose::{Algorithm, VerifyingKey};
use serde_json::{Map, Value};

use crate::params::Failure;
use crate::registry::{ClientAuthConfig, ClientConfig, ClientRegistry};

/// Assertions longer than this are refused unread.
pub(crate) const MAX_ASSERTION_LEN: usize = 16 * 1024;

/// How strictly client assertions are checked (RFC 7523 §3, draft-ietf-oauth-rfc7523bis).
///
/// The defaults: `aud` must be the issuer identifier, as a single JSON string; `exp` at most 5
/// minutes ahead; 30 seconds of leeway for `exp`, `iat` and `nbf`.
///
/// The audience rule can be any of the three real servers apply ([`AssertionAudience`]): the
/// issuer (draft-ietf-oauth-rfc7523bis), the token endpoint URL at every endpoint (Okta,
/// Entra ID), or the URL of the endpoint called (Glewlwyd). A server that demands one refuses
/// the values of the other two wherever they differ; [`AssertionPolicy::also_accept_audience`]
/// models servers that accept several (Authlib: issuer or token endpoint; oidc-provider: all
/// three).
///
/// ```
/// use grantwire::AssertionAudience;
/// use grantwire_testkit::AssertionPolicy;
/// // Glewlwyd: only the URL of the endpoint being called.
/// let glewlwyd = AssertionPolicy::new().audience(AssertionAudience::CalledEndpoint);
/// // Authlib: the issuer or the token endpoint URL, at every endpoint.
/// let authlib = AssertionPolicy::new().also_accept_audience(AssertionAudience::TokenEndpoint);
/// assert_ne!(glewlwyd, authlib);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionPolicy {
    pub(crate) max_lifetime: Duration,
    pub(crate) leeway: Duration,
    /// The audience rules accepted; never empty.
    pub(crate) audiences: Vec<AssertionAudience>,
}

impl Default for AssertionPolicy {
    fn default() -> Self {
        Self {
            max_lifetime: Duration::from_secs(300),
            leeway: Duration::from_secs(30),
            audiences: vec![AssertionAudience::Issuer],
        }
    }
}

impl AssertionPolicy {
    /// The strict default policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// How far ahead of `now` an assertion's `exp` may be.
    pub fn max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = max;
        self
    }

    /// Clock skew tolerated for `exp`, `iat` and `nbf`.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Demands `rule` for `aud` (default [`AssertionAudience::Issuer`]); every other value is
    /// refused with `invalid_client`.
    pub fn audience(mut self, rule: AssertionAudience) -> Self {
        self.audiences = vec![rule];
        self
    }

    /// Also accepts the value of `rule` for `aud`, beside the rules already accepted.
    pub fn also_accept_audience(mut self, rule: AssertionAudience) -> Self {
        if !self.audiences.contains(&rule) {
            self.audiences.push(rule);
        }
        self
    }
}

/// Context the JWT assertion verifier needs.
pub(crate) struct AssertionTarget<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) token_endpoint: &'a str,
    /// The URL of the endpoint the request was sent to.
    pub(crate) endpoint: &'a str,
    pub(crate) now: u64,
}

/// Splits a compact JWS and decodes its header and payload as JSON objects.
pub(crate) struct Compact<'a> {
    pub(crate) header: serde_json::Map<String, Value>,
    pub(crate) claims: serde_json::Map<String, Value>,
    pub(crate) signing_input: &'a str,
    pub(crate) signature: Vec<u8>,
}

fn decode_object(part: &str) -> Option<serde_json::Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

impl<'a> Compact<'a> {
    pub(crate) fn parse(jws: &'a str) -> Option<Self> {
        if jws.len() > MAX_ASSERTION_LEN {
            return None;
        }
        let mut parts = jws.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            header: decode_object(h)?,
            claims: decode_object(p)?,
            signing_input: &jws[..h.len() + 1 + p.len()],
            signature: URL_SAFE_NO_PAD.decode(s).ok()?,
        })
    }
}

/// The `iss` of an assertion, unverified (for request counters).
pub(crate) fn unverified_issuer(assertion: &str) -> Option<String> {
    let jws = Compact::parse(assertion)?;
    jws.claims.get("iss")?.as_str().map(str::to_owned)
}

/// A whole number of seconds since the epoch.
fn numeric_date(claims: &serde_json::Map<String, Value>, name: &str) -> Result<Option<u64>, ()> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or(()),
    }
}

/// Checks the time claims, `iss`, `sub` and `jti` of an assertion whose signature has already
/// been verified, and remembers its `jti`.
pub(crate) struct AssertionVerifier {
    pub(crate) policy: AssertionPolicy,
    /// `(client_id, jti)` → the `exp` until which it is remembered.
    seen: HashMap<(String, String), u64>,
}

impl AssertionVerifier {
    pub(crate) fn new(policy: AssertionPolicy) -> Self {
        Self {
            policy,
            seen: HashMap::new(),
        }
    }

    /// Claim checks shared by client assertions and JWT bearer grants (RFC 7523 §3). For a
    /// client assertion `sub` must equal `iss` (the client id).
    pub(crate) fn check_claims(
        &mut self,
        jws: &Compact<'_>,
        iss: &str,
        target: &AssertionTarget<'_>,
        sub_is_iss: bool,
    ) -> Result<(), ()> {
        let claims = &jws.claims;
        if jws.header.contains_key("crit") {
            return Err(());
        }
        let sub = claims.get("sub").and_then(Value::as_str).ok_or(())?;
        if sub_is_iss && sub != iss {
            return Err(());
        }
        match claims.get("aud") {
            // One JSON string (draft-ietf-oauth-rfc7523bis), equal to what an accepted rule
            // gives for this endpoint.
            Some(Value::String(aud)) => {
                let ok = self.policy.audiences.iter().any(|rule| match rule {
                    AssertionAudience::Issuer => aud == target.issuer,
                    AssertionAudience::TokenEndpoint => aud == target.token_endpoint,
                    AssertionAudience::CalledEndpoint => aud == target.endpoint,
                    _ => false,
                });
                if !ok {
                    return Err(());
                }
            }
            _ => return Err(()),
        }
        let leeway = self.policy.leeway.as_secs();
        let now = target.now;
        let exp = numeric_date(claims, "exp")?.ok_or(())?;
        if exp.saturating_add(leeway) <= now {
            return Err(());
        }
        if exp > now.saturating_add(self.policy.max_lifetime.as_secs()) {
            return Err(());
        }
        if let Some(iat) = numeric_date(claims, "iat")? {
            if iat > now.saturating_add(leeway) {
                return Err(());
            }
        }
        if let Some(nbf) = numeric_date(claims, "nbf")? {
            if nbf > now.saturating_add(leeway) {
                return Err(());
            }
        }
        let jti = claims.get("jti").and_then(Value::as_str).ok_or(())?;
        if jti.is_empty() || jti.len() > 256 {
            return Err(());
        }
        self.seen
            .retain(|_, remembered_until| *remembered_until > now);
        let key = (iss.to_owned(), jti.to_owned());
        if self.seen.contains_key(&key) {
            return Err(());
        }
        self.seen.insert(key, exp.saturating_add(leeway));
        Ok(())
    }
}

/// The `typ` values accepted in a client assertion's header: none, `JWT`, or the explicit type of
/// draft-ietf-oauth-rfc7523bis.
fn typ_ok(header: &Map<String, Value>, allowed: &[&str]) -> bool {
    match header.get("typ") {
        None => true,
        Some(Value::String(t)) => allowed.iter().any(|a| a.eq_ignore_ascii_case(t)),
        Some(_) => false,
    }
}

/// Whether `jws` is signed with the key registered for `client`, under exactly the registered
/// alg (never the header's choice). Clients registered without a JWT method have no key: nothing
/// they sign verifies.
pub(crate) fn verify_client_signature(client: &ClientConfig, jws: &Compact<'_>) -> bool {
    let Some(alg) = jws
        .header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Algorithm::from_name)
    else {
        return false;
    };
    let input = jws.signing_input.as_bytes();
    match &client.auth {
        ClientAuthConfig::ClientSecretJwt {
            secret,
            alg: registered,
        } => {
            alg == *registered
                && VerifyingKey::hmac(secret.secret().as_bytes())
                    .verify_signature(alg, input, &jws.signature)
                    .is_ok()
        }
        ClientAuthConfig::PrivateKeyJwt {
            jwks,
            alg: registered,
        } => {
            let kid = jws.header.get("kid").and_then(Value::as_str);
            alg == *registered
                && jwks
                    .keys
                    .iter()
                    .filter(|k| kid.is_none() || k.kid.is_none() || k.kid.as_deref() == kid)
                    .filter_map(|k| VerifyingKey::from_jwk(k).ok())
                    .any(|k| k.verify_signature(alg, input, &jws.signature).is_ok())
        }
        _ => false,
    }
}

/// The checks every assertion passes (RFC 7523 §3): it parses; its `iss` names a registered
/// client, and `expected_iss` when the request already named one; its `typ` is one of `typs`;
/// the client's registered key signed it under the registered alg; its claims hold (with
/// `sub` = `iss` when `sub_is_iss`). Returns the client and the parsed assertion.
#[allow(clippy::too_many_arguments)]
fn verify_assertion<'r, 'a>(
    registry: &'r ClientRegistry,
    verifier: &mut AssertionVerifier,
    assertion: &'a str,
    expected_iss: Option<&str>,
    typs: &[&str],
    target: &AssertionTarget<'_>,
    sub_is_iss: bool,
) -> Option<(&'r ClientConfig, Compact<'a>)> {
    let jws = Compact::parse(assertion)?;
    let iss = jws.claims.get("iss").and_then(Value::as_str)?;
    if expected_iss.is_some_and(|id| id != iss) {
        return None;
    }
    let client = registry.get(iss)?;
    if !typ_ok(&jws.header, typs) || !verify_client_signature(client, &jws) {
        return None;
    }
    verifier.check_claims(&jws, iss, target, sub_is_iss).ok()?;
    Some((client, jws))
}

/// Verifies a client assertion (RFC 7523 §2.2, §3) and returns the client it authenticates.
pub(crate) fn verify_client_assertion<'r>(
    registry: &'r ClientRegistry,
    verifier: &mut AssertionVerifier,
    assertion: &str,
    body_client_id: Option<&str>,
    target: &AssertionTarget<'_>,
) -> Result<&'r ClientConfig, Failure> {
    let typs = ["JWT", grantwire_jose::CLIENT_AUTH_TYP];
    verify_assertion(
        registry,
        verifier,
        assertion,
        body_client_id,
        &typs,
        target,
        true,
    )
    .map(|(client, _)| client)
    .ok_or_else(|| Failure::invalid_client("client assertion rejected", false))
}

/// Verifies a JWT bearer grant assertion (RFC 7523 §2.1, §3): `iss` names a registered client
/// whose key signed it (and which, when the request authenticated a client, is that client);
/// `sub` is the principal the token is for. Failures are `invalid_grant`.
pub(crate) fn verify_grant_assertion(
    registry: &ClientRegistry,
    verifier: &mut AssertionVerifier,
    assertion: &str,
    client: Option<&ClientConfig>,
    target: &AssertionTarget<'_>,
) -> Result<(ClientConfig, String), Failure> {
    let fail = || Failure::invalid_grant("the assertion is invalid");
    let expected = client.map(|c| c.client_id.as_str());
    let (issuer, jws) = verify_assertion(
        registry,
        verifier,
        assertion,
        expected,
        &["JWT"],
        target,
        false,
    )
    .ok_or_else(fail)?;
    let sub = jws
        .claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(fail)?;
    Ok((issuer.clone(), sub.to_owned()))
}

/// JWS algorithms accepted for client assertions (every one `grantwire-jose` verifies).
pub(crate) fn assertion_algs() -> Vec<&'static str> {
    Algorithm::ALL.iter().map(|a| a.name()).collect()
}
