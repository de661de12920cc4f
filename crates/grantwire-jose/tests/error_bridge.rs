//! One error type under `?` in a program that uses both crates: a `grantwire_jose::Error`
//! converts into `grantwire::Error`, sorted into its family, with the original error as the
//! `source()` (downcastable, no string in between), and no secret anywhere in the chain.

use std::error::Error as _;
use std::time::{Duration, UNIX_EPOCH};

use grantwire::http::{HeaderMap, StatusCode};
use grantwire::{AuthMethod, ClientId, ClientSecret, ErrorKind, TokenResponse};
use grantwire_jose::{Algorithm, ClientSecretJwt, Error as JoseError, PrivateKey};

const CANARY: &str = "CANARYsecret7f3a9c1e5b";

/// What an embedder writes: load key material, then parse an answer, one `?` each.
fn configure_and_parse(pem: &[u8], body: &[u8]) -> Result<TokenResponse, grantwire::Error> {
    let _key = PrivateKey::from_pem(pem)?;
    let token = TokenResponse::parse(
        (StatusCode::OK, &HeaderMap::new(), body),
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )?;
    Ok(token)
}

/// Every `Display` and `Debug` along the `source()` chain.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        out.push(format!("{err}"));
        out.push(format!("{err:?}"));
        cur = err.source();
    }
    out
}

#[test]
fn a_jose_error_crosses_one_question_mark_with_its_source() {
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{CANARY}\n-----END PRIVATE KEY-----\n");
    let e = configure_and_parse(pem.as_bytes(), b"{}").unwrap_err();
    assert!(matches!(e, grantwire::Error::External { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert!(e.is_configuration());
    let source = e.source().expect("the jose error is the source");
    let jose = source
        .downcast_ref::<JoseError>()
        .expect("downcasts to grantwire_jose::Error");
    assert_eq!(e.to_string(), jose.to_string());
    for text in chain_text(&e) {
        assert!(
            !text.contains("CANARY"),
            "the chain leaked key text: {text}"
        );
    }
    // The core's own errors pass through the same `?` unchanged.
    let pem = include_bytes!("vectors/p256_sec1.pem");
    let e = configure_and_parse(pem, b"{}").unwrap_err();
    assert!(matches!(e, grantwire::Error::MissingMember { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.source().is_none());
    assert!(configure_and_parse(pem, br#"{"access_token":"a","token_type":"Bearer"}"#).is_ok());
}

#[test]
fn a_verification_failure_is_an_invalid_response() {
    let e: grantwire::Error = JoseError::BadSignature.into();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert_eq!(
        e.source().unwrap().downcast_ref::<JoseError>(),
        Some(&JoseError::BadSignature)
    );
}

#[test]
fn client_authentication_keeps_the_jose_error_as_source() {
    // A secret too short for HS512: the jose error a signer would hand the core.
    let secret = ClientSecret::new(CANARY);
    let jose = ClientSecretJwt::new(ClientId::new("app"), &secret, Algorithm::HS512).unwrap_err();
    let e = jose.clone().into_core(AuthMethod::ClientSecretJwt);
    let grantwire::Error::ClientAuthentication { method, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*method, AuthMethod::ClientSecretJwt);
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert_eq!(
        e.source().unwrap().downcast_ref::<JoseError>(),
        Some(&jose),
        "the cause is the jose error itself, not its message"
    );
    for text in chain_text(&e) {
        assert!(
            !text.contains("CANARY"),
            "the chain leaked the secret: {text}"
        );
    }
}
