//! `TokenSource::with_assertion_signer`: a fake async "KMS" signs `private_key_jwt` assertions
//! that the testkit server verifies; signer failures are transient, wrong-length signatures a
//! typed configuration error, and the assertion never shows in `Debug` or events.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use common::{block_on, fast_config};
use grantwire::lifecycle::{FetchError, LifecycleConfig};
use grantwire::{ClientCredentials, ClientId, ErrorKind, SecretRequest};
use grantwire_client::{
    AsyncAssertionSigner, SendResult, SignError, SignFuture, TokenError, TokenEvent, TokenSource,
};
use grantwire_jose::{Algorithm, ClientAssertion, PrivateKey, SigningKey};
use grantwire_testkit::{
    AuthServer, ClientAuthConfig, ClientConfig, ClientRegistry, GrantType, ServerConfig,
};

const ISSUER: &str = "https://as.example";

fn local_key() -> SigningKey {
    let path = format!(
        "{}/../grantwire-testkit/tests/fixtures/client-a-es256.private.jwk.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let pk = PrivateKey::from_jwk(&std::fs::read(path).unwrap()).unwrap();
    SigningKey::new(Algorithm::ES256, &pk).unwrap()
}

fn auth_server() -> Arc<Mutex<AuthServer>> {
    let registry = ClientRegistry::new().with(
        ClientConfig::new(
            "kms-client",
            ClientAuthConfig::private_key_jwt(local_key().jwks(), Algorithm::ES256).unwrap(),
        )
        .grant(GrantType::ClientCredentials),
    );
    Arc::new(Mutex::new(AuthServer::new(
        ServerConfig::new(ISSUER).unwrap(),
        registry,
    )))
}

/// A transport that hands the request to the in-memory testkit server, remembering bodies.
fn transport(
    server: &Arc<Mutex<AuthServer>>,
    bodies: &Arc<Mutex<Vec<String>>>,
) -> impl Fn(SecretRequest) -> SendResult {
    let (server, bodies) = (Arc::clone(server), Arc::clone(bodies));
    move |request: SecretRequest| {
        bodies
            .lock()
            .unwrap()
            .push(String::from_utf8(request.body().to_vec()).unwrap());
        let mut rng = |b: &mut [u8]| getrandom_fill(b);
        Ok(server
            .lock()
            .unwrap()
            .handle(&request, SystemTime::now(), &mut rng))
    }
}

fn getrandom_fill(b: &mut [u8]) {
    static N: AtomicUsize = AtomicUsize::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    for (i, x) in b.iter_mut().enumerate() {
        *x = (n.wrapping_mul(31).wrapping_add(i * 7)) as u8;
    }
}

/// A future that is pending once (waking itself), then ready: the await point of a remote call.
struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// What the fake KMS answers.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Sign,
    Fail,
    /// A DER-length (72-byte) answer where ES256 wants the 64-byte R || S.
    WrongLength,
    Hang,
}

/// A fake KMS: signs with a local key after an await point, or misbehaves as told.
struct FakeKms {
    key: SigningKey,
    mode: Arc<Mutex<Mode>>,
    calls: Arc<AtomicUsize>,
}

impl AsyncAssertionSigner for FakeKms {
    fn sign<'a>(&'a self, input: &'a [u8]) -> SignFuture<'a> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            YieldOnce(false).await;
            let mode = *self.mode.lock().unwrap();
            match mode {
                Mode::Sign | Mode::WrongLength => {
                    let sig = self
                        .key
                        .sign_raw(input, &mut |b: &mut [u8]| getrandom_fill(b))
                        .map_err(SignError::new)?;
                    let mut out = sig.as_bytes().to_vec();
                    if mode == Mode::WrongLength {
                        out.extend_from_slice(&[0x30; 8]);
                    }
                    Ok(out)
                }
                Mode::Fail => Err(SignError::new("KMS throttled the call (HTTP 429)")),
                Mode::Hang => std::future::pending().await,
            }
        })
    }
}

struct Fixture {
    source: TokenSource,
    mode: Arc<Mutex<Mode>>,
    calls: Arc<AtomicUsize>,
    server: Arc<Mutex<AuthServer>>,
    bodies: Arc<Mutex<Vec<String>>>,
}

fn fixture(mode: Mode, config: LifecycleConfig) -> Fixture {
    let server = auth_server();
    let local = local_key();
    let remote = SigningKey::remote(Algorithm::ES256, local.public_jwk().as_ref()).unwrap();
    assert!(remote.is_remote());
    let mode = Arc::new(Mutex::new(mode));
    let calls = Arc::new(AtomicUsize::new(0));
    let kms = FakeKms {
        key: local,
        mode: Arc::clone(&mode),
        calls: Arc::clone(&calls),
    };
    let source = TokenSource::with_assertion_signer(
        server.lock().unwrap().authorization_server().unwrap(),
        ClientAssertion::new(ClientId::new("kms-client"), remote),
        kms,
        ClientCredentials::new(),
        config,
    )
    .unwrap();
    Fixture {
        source,
        mode,
        calls,
        server,
        bodies: Arc::new(Mutex::new(Vec::new())),
    }
}

/// The `client_assertion` value of a form body.
fn assertion_of(body: &str) -> String {
    body.split('&')
        .find_map(|p| p.strip_prefix("client_assertion="))
        .expect("a client_assertion parameter")
        .to_owned()
}

#[test]
fn a_kms_signed_assertion_is_accepted_by_the_server_blocking_and_async() {
    let f = fixture(Mode::Sign, LifecycleConfig::default());
    let send = transport(&f.server, &f.bodies);
    let token = f.source.token_blocking(&send).expect("token (blocking)");
    assert!(!token.access_token().secret().is_empty());
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
    let body = f.bodies.lock().unwrap()[0].clone();
    assert!(body.contains(
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
    ));
    // ES256: the signature part is the 64-byte R || S (86 base64url characters).
    assert_eq!(assertion_of(&body).rsplit('.').next().unwrap().len(), 86);

    // The async path, on a runtime-free executor, with the signer's await point.
    let f = fixture(Mode::Sign, LifecycleConfig::default());
    let send = transport(&f.server, &f.bodies);
    let token = block_on(f.source.token_async(|r| {
        let out = send(r);
        async move { out }
    }))
    .expect("token (async)");
    assert!(!token.access_token().secret().is_empty());
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
    // A cache hit signs nothing.
    block_on(
        f.source
            .token_async(|_| async { panic!("no send on a hit") }),
    )
    .unwrap();
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_signer_failure_is_transient_and_retried_after_the_backoff() {
    let f = fixture(Mode::Fail, fast_config());
    let send = transport(&f.server, &f.bodies);
    let err = f.source.token_blocking(&send).unwrap_err();
    let TokenError::Unavailable {
        error, retry_at, ..
    } = &err
    else {
        panic!("expected Unavailable, got {err:?}");
    };
    let FetchError::Request(core) = &**error else {
        panic!("expected a build failure, got {error:?}");
    };
    assert!(matches!(
        core,
        grantwire::Error::ClientAuthenticationUnavailable { .. }
    ));
    assert_eq!(core.kind(), ErrorKind::Unavailable);
    let sign_error = std::error::Error::source(core)
        .and_then(|s| s.downcast_ref::<SignError>())
        .expect("the SignError is the source");
    assert!(!sign_error.is_timeout());
    assert!(f.bodies.lock().unwrap().is_empty(), "nothing was sent");
    // During the backoff: no new signing, the same answer at once.
    assert!(f.source.token_blocking(&send).is_err());
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
    // The KMS recovers; after the backoff the next call signs and gets a token.
    *f.mode.lock().unwrap() = Mode::Sign;
    std::thread::sleep(
        retry_at.saturating_duration_since(Instant::now()) + Duration::from_millis(5),
    );
    let token = f.source.token_blocking(&send).expect("recovered");
    assert!(!token.access_token().secret().is_empty());
    assert_eq!(f.calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_signer_that_never_answers_times_out_as_a_transient_failure() {
    let config = LifecycleConfig {
        request_timeout: Duration::from_millis(100),
        ..fast_config()
    };
    let f = fixture(Mode::Hang, config);
    let send = transport(&f.server, &f.bodies);
    let started = Instant::now();
    let err = f.source.token_blocking(&send).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!err.needs_human(), "{err:?}");
    let FetchError::Request(core) = err.fetch_error() else {
        panic!("{err:?}")
    };
    assert_eq!(core.kind(), ErrorKind::Unavailable);
    let sign_error = std::error::Error::source(core)
        .and_then(|s| s.downcast_ref::<SignError>())
        .unwrap();
    assert!(sign_error.is_timeout());
}

#[test]
fn a_wrong_length_signature_is_a_typed_configuration_error() {
    let f = fixture(Mode::WrongLength, fast_config());
    let send = transport(&f.server, &f.bodies);
    let err = f.source.token_blocking(&send).unwrap_err();
    assert!(
        err.needs_human(),
        "a signature format mismatch is not retried: {err:?}"
    );
    let FetchError::Request(core) = err.fetch_error() else {
        panic!("{err:?}")
    };
    assert_eq!(core.kind(), ErrorKind::Configuration);
    let jose = std::error::Error::source(core)
        .and_then(|s| s.downcast_ref::<grantwire_jose::Error>())
        .expect("the jose error is the source");
    assert!(
        matches!(
            jose,
            grantwire_jose::Error::SignatureLength {
                alg: Algorithm::ES256,
                got: 72,
                ..
            }
        ),
        "{jose:?}"
    );
    assert!(f.bodies.lock().unwrap().is_empty());
}

#[test]
fn a_cancelled_signing_releases_the_flight() {
    let f = fixture(Mode::Hang, fast_config());
    // Poll the future once (it starts signing and parks), then drop it.
    {
        let mut fut = Box::pin(f.source.token_async(|_| async { panic!("never sent") }));
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    // The flight is released at once (not after the request timeout): a transient failure.
    let send = transport(&f.server, &f.bodies);
    let err = f.source.token_blocking(&send).unwrap_err();
    assert!(!err.needs_human());
    assert!(
        matches!(err.fetch_error(), FetchError::Request(e) if e.kind() == ErrorKind::Unavailable),
        "{err:?}"
    );
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn the_assertion_never_appears_in_debug_or_events() {
    let f = fixture(Mode::Sign, LifecycleConfig::default());
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&seen);
    f.source.on_event(move |e: &TokenEvent| {
        sink.lock().unwrap().push_str(&format!("{e:?} {e:?}\n"));
    });
    let send = transport(&f.server, &f.bodies);
    f.source.token_blocking(&send).unwrap();
    // A failing signer's error path too.
    let g = fixture(Mode::WrongLength, fast_config());
    let g_send = transport(&g.server, &g.bodies);
    let err = g.source.token_blocking(&g_send).unwrap_err();

    let assertion = assertion_of(&f.bodies.lock().unwrap()[0]);
    let signature = assertion.rsplit('.').next().unwrap().to_owned();
    let payload = assertion.split('.').nth(1).unwrap().to_owned();
    let everything = format!(
        "{}\n{:?}\n{:?}\n{err:?}\n{err}",
        seen.lock().unwrap(),
        f.source,
        g.source
    );
    assert!(everything.contains("Obtained"), "events were captured");
    for canary in [&assertion, &signature, &payload] {
        assert!(!everything.contains(canary.as_str()));
    }
}
