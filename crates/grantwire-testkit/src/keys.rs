//! Keys: verifying client assertions against a client's registered key (RFC 7523 §3), and the
//! server's own signing key for JWT access tokens (RFC 9068) published at `/jwks`.

use grantwire::Entropy;
use grantwire_jose::{Algorithm, PrivateKey, SigningKey, VerifyingKey};
use serde_json::{json, Map, Value};

use crate::jwt::{AssertionVerifier, Compact};
use crate::params::Failure;
use crate::registry::{ClientAuthConfig, ClientConfig, ClientRegistry};
use crate::store::AccessRecord;
use crate::verify::AssertionTarget;

/// The testkit's built-in signing key: a P-256 key made for this crate and published with it.
/// It protects nothing; use [`crate::ServerConfig::signing_key`] for a key of your own.
const BUILTIN_KEY: &str = r#"{"kty":"EC","crv":"P-256","x":"jaiEvKBTWRTuJw7Le_mLkOtCn5Tycv4hjTeY_VDs6Ac","y":"wydwd3-sKi8lw0EdG6CZPITXsMdutk_SBRvur-VQWWs","d":"lBm49U8LW6uMPQ0UN_dO8MmBs1ZzbdtolBQXfNl3AkY","kid":"grantwire-testkit-es256"}"#;

/// The built-in ES256 signing key.
pub(crate) fn builtin_signing_key() -> Option<SigningKey> {
    let key = PrivateKey::from_jwk(BUILTIN_KEY.as_bytes()).ok()?;
    SigningKey::new(Algorithm::ES256, &key).ok()
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

/// Verifies a client assertion (RFC 7523 §2.2, §3) and returns the client it authenticates.
pub(crate) fn verify_client_assertion<'r>(
    registry: &'r ClientRegistry,
    verifier: &mut AssertionVerifier,
    assertion: &str,
    body_client_id: Option<&str>,
    target: &AssertionTarget<'_>,
) -> Result<&'r ClientConfig, Failure> {
    let fail = || Failure::invalid_client("client assertion rejected", false);
    let jws = Compact::parse(assertion).ok_or_else(fail)?;
    let iss = jws
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(fail)?;
    if body_client_id.is_some_and(|id| id != iss) {
        return Err(fail());
    }
    let client = registry.get(iss).ok_or_else(fail)?;
    if !typ_ok(&jws.header, &["JWT", grantwire_jose::CLIENT_AUTH_TYP])
        || !verify_client_signature(client, &jws)
    {
        return Err(fail());
    }
    verifier
        .check_claims(&jws, iss, target, true)
        .map_err(|()| fail())?;
    Ok(client)
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
    let jws = Compact::parse(assertion).ok_or_else(fail)?;
    let iss = jws
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(fail)?;
    if client.is_some_and(|c| c.client_id.as_str() != iss) {
        return Err(fail());
    }
    let issuer = registry.get(iss).ok_or_else(fail)?;
    if !typ_ok(&jws.header, &["JWT"]) || !verify_client_signature(issuer, &jws) {
        return Err(fail());
    }
    verifier
        .check_claims(&jws, iss, target, false)
        .map_err(|()| fail())?;
    let sub = jws
        .claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(fail)?;
    Ok((issuer.clone(), sub.to_owned()))
}

/// A JWT access token (RFC 9068 §2): `typ` `at+jwt`, signed with the server's key. `aud` is the
/// token's audiences, or the server's `/resource` when none was requested (§2.2 requires one).
pub(crate) fn jwt_access_token(
    key: &SigningKey,
    issuer: &str,
    record: &AccessRecord,
    entropy: &mut dyn Entropy,
) -> Option<String> {
    let g = &record.grant;
    let aud: Value = match g.audiences.as_slice() {
        [] => format!("{issuer}/resource").into(),
        [one] => one.clone().into(),
        many => many.to_vec().into(),
    };
    let mut claims = json!({
        "iss": issuer,
        "sub": g.subject,
        "aud": aud,
        "exp": record.expires_at,
        "iat": record.issued_at,
        "jti": record.jti,
        "client_id": g.client_id,
    });
    if let Some(m) = claims.as_object_mut() {
        if !g.scope.is_empty() {
            m.insert("scope".into(), g.scope.clone().into());
        }
        if let Some(actor) = &g.actor {
            m.insert("act".into(), json!({ "sub": actor }));
        }
    }
    let payload = serde_json::to_vec(&claims).ok()?;
    key.sign_compact(&payload, Some("at+jwt"), entropy)
        .ok()
        .map(|jwt| jwt.secret().to_owned())
}

/// Client authentication methods implemented (RFC 8414 §2 names).
pub(crate) const AUTH_METHODS: [&str; 7] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
    "none",
];

/// JWS algorithms accepted for client assertions (every one `grantwire-jose` verifies).
pub(crate) fn assertion_algs() -> Vec<&'static str> {
    Algorithm::ALL.iter().map(|a| a.name()).collect()
}
