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

use crate::events::{bounded, AuthFailureCause};
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
    /// client assertion `sub` must equal `iss` (the client id). An error names the exact cause.
    pub(crate) fn check_claims(
        &mut self,
        jws: &Compact<'_>,
        iss: &str,
        target: &AssertionTarget<'_>,
        sub_is_iss: bool,
    ) -> Result<(), AuthFailureCause> {
        let claims = &jws.claims;
        if jws.header.contains_key("crit") {
            return Err(AuthFailureCause::CritHeader);
        }
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or(AuthFailureCause::SubjectMismatch)?;
        if sub_is_iss && sub != iss {
            return Err(AuthFailureCause::SubjectMismatch);
        }
        let rule_value = |rule: &AssertionAudience| match rule {
            AssertionAudience::Issuer => Some(target.issuer),
            AssertionAudience::TokenEndpoint => Some(target.token_endpoint),
            AssertionAudience::CalledEndpoint => Some(target.endpoint),
            _ => None,
        };
        // One JSON string (draft-ietf-oauth-rfc7523bis), equal to what an accepted rule gives
        // for this endpoint.
        let aud = claims.get("aud");
        let aud_ok = aud.and_then(Value::as_str).is_some_and(|aud| {
            self.policy
                .audiences
                .iter()
                .any(|rule| rule_value(rule) == Some(aud))
        });
        if !aud_ok {
            return Err(AuthFailureCause::AudienceWrong {
                aud: match aud {
                    None => "(missing)".to_owned(),
                    Some(Value::String(s)) => bounded(s),
                    Some(other) => bounded(&other.to_string()),
                },
                expected: self
                    .policy
                    .audiences
                    .iter()
                    .find_map(rule_value)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        let leeway = self.policy.leeway.as_secs();
        let now = target.now;
        let exp = numeric_date(claims, "exp")
            .ok()
            .flatten()
            .ok_or(AuthFailureCause::MissingClaim("exp"))?;
        if exp.saturating_add(leeway) <= now {
            return Err(AuthFailureCause::AssertionExpired { exp, now });
        }
        if exp > now.saturating_add(self.policy.max_lifetime.as_secs()) {
            return Err(AuthFailureCause::LifetimeTooLong);
        }
        for name in ["iat", "nbf"] {
            match numeric_date(claims, name) {
                Err(()) => return Err(AuthFailureCause::MissingClaim(name)),
                Ok(Some(t)) if t > now.saturating_add(leeway) => {
                    return Err(AuthFailureCause::NotYetValid)
                }
                Ok(_) => {}
            }
        }
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .filter(|jti| !jti.is_empty() && jti.len() <= 256)
            .ok_or(AuthFailureCause::MissingClaim("jti"))?;
        self.seen
            .retain(|_, remembered_until| *remembered_until > now);
        let key = (iss.to_owned(), jti.to_owned());
        if self.seen.contains_key(&key) {
            return Err(AuthFailureCause::JtiReplayed);
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

/// Checks that `jws` is signed with the key registered for `client`, under exactly the
/// registered alg (never the header's choice). Clients registered without a JWT method have no
/// key: nothing they sign verifies.
pub(crate) fn verify_client_signature(
    client: &ClientConfig,
    jws: &Compact<'_>,
) -> Result<(), AuthFailureCause> {
    let registered = match &client.auth {
        ClientAuthConfig::ClientSecretJwt { alg, .. }
        | ClientAuthConfig::PrivateKeyJwt { alg, .. } => *alg,
        other => {
            return Err(AuthFailureCause::MethodNotRegistered {
                used: "a JWT client assertion",
                registered: other.method().as_str(),
            })
        }
    };
    let header_alg = jws.header.get("alg");
    let alg = header_alg
        .and_then(Value::as_str)
        .and_then(Algorithm::from_name)
        .filter(|alg| *alg == registered)
        .ok_or_else(|| AuthFailureCause::AlgNotAllowed {
            alg: match header_alg {
                Some(Value::String(s)) => bounded(s),
                Some(other) => bounded(&other.to_string()),
                None => "(missing)".to_owned(),
            },
            registered: registered.name(),
        })?;
    let input = jws.signing_input.as_bytes();
    let ok = match &client.auth {
        ClientAuthConfig::ClientSecretJwt { secret, .. } => {
            VerifyingKey::hmac(secret.secret().as_bytes())
                .verify_signature(alg, input, &jws.signature)
                .is_ok()
        }
        ClientAuthConfig::PrivateKeyJwt { jwks, .. } => {
            let kid = jws.header.get("kid").and_then(Value::as_str);
            jwks.keys
                .iter()
                .filter(|k| kid.is_none() || k.kid.is_none() || k.kid.as_deref() == kid)
                .filter_map(|k| VerifyingKey::from_jwk(k).ok())
                .any(|k| k.verify_signature(alg, input, &jws.signature).is_ok())
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AuthFailureCause::BadSignature)
    }
}

/// A rejected assertion: the `iss` it claimed (when it parsed that far) and the cause.
pub(crate) type Rejected = (Option<String>, AuthFailureCause);

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
) -> Result<(&'r ClientConfig, Compact<'a>), Rejected> {
    let jws = Compact::parse(assertion).ok_or((
        expected_iss.map(str::to_owned),
        AuthFailureCause::MalformedAssertion,
    ))?;
    let iss = jws.claims.get("iss").and_then(Value::as_str).ok_or((
        expected_iss.map(str::to_owned),
        AuthFailureCause::MalformedAssertion,
    ))?;
    let fail = |cause| (Some(iss.to_owned()), cause);
    if expected_iss.is_some_and(|id| id != iss) {
        return Err(fail(AuthFailureCause::ClientIdMismatch));
    }
    let client = registry
        .get(iss)
        .ok_or_else(|| fail(AuthFailureCause::UnknownClient))?;
    verify_client_signature(client, &jws).map_err(fail)?;
    if !typ_ok(&jws.header, typs) {
        return Err(fail(AuthFailureCause::TypNotAllowed));
    }
    verifier
        .check_claims(&jws, iss, target, sub_is_iss)
        .map_err(fail)?;
    Ok((client, jws))
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
    .map_err(|(iss, cause)| {
        let method = iss
            .as_deref()
            .and_then(|id| registry.get(id))
            .map(|c| c.auth.method().as_str())
            .filter(|m| *m == "client_secret_jwt" || *m == "private_key_jwt");
        Failure::invalid_client("client assertion rejected", false).rejected(
            iss.as_deref(),
            method,
            cause,
        )
    })
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
    .map_err(|_| fail())?;
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
