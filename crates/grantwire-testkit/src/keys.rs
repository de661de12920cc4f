//! Signature verification of client assertions against a client's registered key, and the
//! server's own signing key.

use grantwire::Entropy;
use serde_json::Value;

use crate::jwt::{AssertionVerifier, Compact};
use crate::params::Failure;
use crate::registry::{ClientConfig, ClientRegistry};
use crate::store::{random_token, AccessRecord};
use crate::verify::AssertionTarget;

/// Whether JWS signing and verification are available.
pub(crate) const SIGNING_AVAILABLE: bool = false;

/// Whether `jws` is signed with the key registered for `client`, under its registered alg.
/// Clients registered without a JWT method have no key: nothing they sign verifies.
pub(crate) fn verify_client_signature(client: &ClientConfig, jws: &Compact<'_>) -> bool {
    let _ = (client, jws);
    false
}

/// Verifies a JWT bearer grant assertion (RFC 7523 §2.1, §3).
pub(crate) fn verify_grant_assertion(
    registry: &ClientRegistry,
    verifier: &mut AssertionVerifier,
    assertion: &str,
    client: Option<&ClientConfig>,
    target: &AssertionTarget<'_>,
) -> Result<(ClientConfig, String), Failure> {
    let _ = (registry, verifier, assertion, client, target);
    Err(Failure::invalid_grant("the assertion is invalid"))
}

/// The value of a new access token: opaque random.
pub(crate) fn access_token_value(
    issuer: &str,
    record: &AccessRecord,
    entropy: &mut dyn Entropy,
) -> String {
    let _ = (issuer, record);
    random_token(entropy)
}

/// Client authentication methods implemented (RFC 8414 §2 names).
pub(crate) fn supported_auth_methods() -> Vec<&'static str> {
    vec![
        "client_secret_basic",
        "client_secret_post",
        "tls_client_auth",
        "self_signed_tls_client_auth",
        "none",
    ]
}

/// Adds `jwks_uri` and signing algorithms to the metadata when signing is available.
pub(crate) fn add_signing_metadata(doc: &mut Value, jwks_uri: &str) {
    let _ = (doc, jwks_uri);
}

/// The server's public JWK Set.
pub(crate) fn server_jwks() -> Value {
    serde_json::json!({"keys": []})
}
