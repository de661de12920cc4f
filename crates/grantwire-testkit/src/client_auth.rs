//! Client authentication at the token, introspection and revocation endpoints (RFC 6749 section 2.3,
//! RFC 8705 section 2, RFC 7523 section 2.2), as strict as the strictest servers.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::Request;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::assertion::{
    unverified_issuer, verify_client_assertion, AssertionTarget, AssertionVerifier,
};
use crate::events::AuthFailureCause;
use crate::params::{Failure, Params};
use crate::registry::{ClientAuthConfig, ClientConfig, ClientRegistry, PresentedCertificate};

/// The `client_assertion_type` of JWT client authentication (RFC 7523 section 2.2).
pub(crate) const JWT_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

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

/// Compares two secrets in constant time, lengths included (both are hashed first).
pub(crate) fn secret_eq(a: &[u8], b: &[u8]) -> bool {
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

/// Id and secret from an `Authorization: Basic` value, each form-decoded (RFC 6749 section 2.3.1 and
/// Appendix B).
fn decode_basic(value: &str) -> Option<(String, Zeroizing<String>)> {
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = Zeroizing::new(STANDARD.decode(rest.trim()).ok()?);
    let colon = raw.iter().position(|&b| b == b':')?;
    let id = grantwire::form::decode_component(&raw[..colon]).ok()?;
    let secret = Zeroizing::new(grantwire::form::decode_component(&raw[colon + 1..]).ok()?);
    if id.is_empty() {
        return None;
    }
    Some((id, secret))
}

/// The client a request claims to come from, read leniently (for counters only; nothing is
/// verified here).
pub(crate) fn claimed_client_id<B: AsRef<[u8]>>(req: &Request<B>) -> Option<String> {
    if let Some(v) = req.headers().get(AUTHORIZATION) {
        if let Some((id, _)) = v.to_str().ok().and_then(decode_basic) {
            return Some(id);
        }
    }
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    let params = Params::parse(req.body().as_ref()).ok()?;
    if let Some(id) = params.get("client_id") {
        return Some(id.to_owned());
    }
    params.get("client_assertion").and_then(unverified_issuer)
}

/// The outcome of client authentication.
pub(crate) struct Authenticated {
    /// The authenticated client; `None` when the request carried no client identity at all.
    pub(crate) client: Option<ClientConfig>,
}

/// Authenticates the client of a request (RFC 6749 section 2.3). At most one mechanism may be used
/// (§2.3: "MUST NOT use more than one authentication method in each request").
pub(crate) fn authenticate<B>(
    registry: &ClientRegistry,
    jwt: &mut AssertionVerifier,
    req: &Request<B>,
    params: &Params,
    target: &AssertionTarget<'_>,
) -> Result<Authenticated, Failure> {
    let mut headers = req.headers().get_all(AUTHORIZATION).iter();
    let header = headers.next();
    if headers.next().is_some() {
        return Err(Failure::invalid_request(
            "more than one Authorization header",
        ));
    }
    let uses_secret = params.has("client_secret");
    let uses_assertion = params.has("client_assertion") || params.has("client_assertion_type");
    let mechanisms =
        usize::from(header.is_some()) + usize::from(uses_secret) + usize::from(uses_assertion);
    if mechanisms > 1 {
        return Err(Failure::invalid_request(
            "more than one client authentication mechanism in one request (RFC 6749 section 2.3)",
        ));
    }
    let body_id = params.get("client_id");
    let reject = |via_header: bool, id: Option<&str>, method: Option<&'static str>, cause| {
        Failure::invalid_client("client authentication failed", via_header)
            .rejected(id, method, cause)
    };
    // The method registered for `client`, and the cause when the request used another one.
    let wrong_method = |client: &ClientConfig, used: &'static str| {
        let registered = client.auth.method().as_str();
        (registered != used).then_some(AuthFailureCause::MethodNotRegistered { used, registered })
    };

    if let Some(header) = header {
        const BASIC: &str = "client_secret_basic";
        let (id, secret) = header.to_str().ok().and_then(decode_basic).ok_or_else(|| {
            reject(
                true,
                None,
                Some(BASIC),
                AuthFailureCause::MalformedCredentials,
            )
        })?;
        if body_id.is_some_and(|b| b != id) {
            return Err(Failure::invalid_request(
                "client_id in the body differs from the Authorization header",
            ));
        }
        let fail = |cause| reject(true, Some(&id), Some(BASIC), cause);
        let client = registry
            .get(&id)
            .ok_or_else(|| fail(AuthFailureCause::UnknownClient))?;
        if let Some(cause) = wrong_method(client, BASIC) {
            return Err(fail(cause));
        }
        return match &client.auth {
            ClientAuthConfig::ClientSecretBasic(expected)
                if secret_eq(expected.secret().as_bytes(), secret.as_bytes()) =>
            {
                Ok(Authenticated {
                    client: Some(client.clone()),
                })
            }
            _ => Err(fail(AuthFailureCause::WrongSecret)),
        };
    }

    if uses_secret {
        const POST: &str = "client_secret_post";
        let id =
            body_id.ok_or_else(|| Failure::invalid_request("client_secret without client_id"))?;
        let fail = |cause| reject(false, Some(id), Some(POST), cause);
        let client = registry
            .get(id)
            .ok_or_else(|| fail(AuthFailureCause::UnknownClient))?;
        if let Some(cause) = wrong_method(client, POST) {
            return Err(fail(cause));
        }
        let secret = params.get("client_secret").unwrap_or_default();
        return match &client.auth {
            ClientAuthConfig::ClientSecretPost(expected)
                if secret_eq(expected.secret().as_bytes(), secret.as_bytes()) =>
            {
                Ok(Authenticated {
                    client: Some(client.clone()),
                })
            }
            _ => Err(fail(AuthFailureCause::WrongSecret)),
        };
    }

    if uses_assertion {
        if params.get("client_assertion_type") != Some(JWT_ASSERTION_TYPE) {
            return Err(Failure::invalid_request(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        let assertion = params
            .get("client_assertion")
            .ok_or_else(|| Failure::invalid_request("client_assertion is missing"))?;
        let client = verify_client_assertion(registry, jwt, assertion, body_id, target)?;
        return Ok(Authenticated {
            client: Some(client.clone()),
        });
    }

    let Some(id) = body_id else {
        return Ok(Authenticated { client: None });
    };
    let certificate = req.extensions().get::<PresentedCertificate>();
    let client = registry
        .get(id)
        .ok_or_else(|| reject(false, Some(id), None, AuthFailureCause::UnknownClient))?;
    let method = client.auth.method().as_str();
    let fail = |cause| reject(false, Some(id), Some(method), cause);
    let matches = match &client.auth {
        ClientAuthConfig::None => {
            return Ok(Authenticated {
                client: Some(client.clone()),
            })
        }
        ClientAuthConfig::TlsClientAuth { subject_dn } => {
            // RFC 8705 §2.1: the certificate must chain to a trusted CA; only then is its
            // subject worth comparing.
            if certificate.is_some_and(|c| !c.chain_verified()) {
                return Err(fail(AuthFailureCause::CertificateUntrusted));
            }
            certificate.map(|c| secret_eq(c.subject_dn().as_bytes(), subject_dn.as_bytes()))
        }
        ClientAuthConfig::SelfSignedTlsClientAuth { certificates } => {
            certificate.map(|c| certificates.iter().any(|der| secret_eq(c.der(), der)))
        }
        _ => {
            // Only a client_id (and maybe a certificate): the client is registered for a
            // method it did not use.
            let used = if certificate.is_some() {
                "a TLS client certificate"
            } else {
                "none"
            };
            return Err(reject(
                false,
                Some(id),
                Some(used),
                AuthFailureCause::MethodNotRegistered {
                    used,
                    registered: method,
                },
            ));
        }
    };
    match matches {
        Some(true) => Ok(Authenticated {
            client: Some(client.clone()),
        }),
        Some(false) => Err(fail(AuthFailureCause::CertificateMismatch)),
        None => Err(fail(AuthFailureCause::CertificateMissing)),
    }
}
