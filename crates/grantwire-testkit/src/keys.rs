//! The server's own signing key, published at `/jwks`, and the JWT access tokens (RFC 9068) it
//! signs. Client keys are checked in `assertion`.

use grantwire::Entropy;
use grantwire_jose::{Algorithm, PrivateKey, SigningKey};
use serde_json::{json, Value};

use crate::store::AccessRecord;

/// The testkit's built-in signing key: a P-256 key made for this crate and published with it.
/// It protects nothing; use [`crate::ServerConfig::signing_key`] for a key of your own.
const BUILTIN_KEY: &str = r#"{"kty":"EC","crv":"P-256","x":"jaiEvKBTWRTuJw7Le_mLkOtCn5Tycv4hjTeY_VDs6Ac","y":"wydwd3-sKi8lw0EdG6CZPITXsMdutk_SBRvur-VQWWs","d":"lBm49U8LW6uMPQ0UN_dO8MmBs1ZzbdtolBQXfNl3AkY","kid":"grantwire-testkit-es256"}"#;

/// The built-in ES256 signing key.
pub(crate) fn builtin_signing_key() -> Option<SigningKey> {
    let key = PrivateKey::from_jwk(BUILTIN_KEY.as_bytes()).ok()?;
    SigningKey::new(Algorithm::ES256, &key).ok()
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
