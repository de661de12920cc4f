//! [`AsyncAssertionSigner`]: a key the process does not hold (a cloud KMS, an HSM) signs the
//! `private_key_jwt` assertion of every token request.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Instant;

/// The future an [`AsyncAssertionSigner`] returns: the raw JWS signature, or why there is none.
pub type SignFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, SignError>> + Send + 'a>>;

/// A remote signer (a cloud KMS, an HSM) for client assertions, given to
/// [`TokenSource::with_assertion_signer`](crate::TokenSource::with_assertion_signer).
///
/// `sign` gets the JWS signing input, `base64url(header) || '.' || base64url(payload)`
/// (RFC 7515 §5.1 step 5), and returns the **raw JWS signature** under the algorithm of the
/// key the assertion was built with (RFC 7518 §3):
/// - ES256/384/512: `R || S`, each integer big-endian and left-padded to the curve size, 64,
///   96 or 132 bytes (RFC 7518 §3.4), **not** the DER `ECDSA-Sig-Value` many KMS APIs return:
///   convert it;
/// - RS*/PS*: the RSASSA-PKCS1-v1_5 or RSASSA-PSS signature (PSS with MGF1 of the same hash and
///   a salt as long as the hash, RFC 7518 §3.5), as long as the modulus;
/// - HS*: the HMAC output; EdDSA: the 64-byte Ed25519 signature.
///
/// A signature of the wrong length is refused with
/// [`grantwire_jose::Error::SignatureLength`] as a configuration error (the lifecycle stops
/// until [`TokenSource::resume`](crate::TokenSource::resume)); an `Err` is a transient failure,
/// retried after the lifecycle's backoff. A KMS that hashes itself takes the signing input; one
/// that takes a digest takes its hash under the algorithm's hash function.
///
/// The trait is object safe and needs no async runtime of its own; the future runs on the
/// caller's task ([`TokenSource::token_async`](crate::TokenSource::token_async)) or on a
/// parked thread ([`TokenSource::token_blocking`](crate::TokenSource::token_blocking), which
/// polls it to completion there; see that method for which futures it can drive).
pub trait AsyncAssertionSigner: Send + Sync {
    /// Signs `input`.
    fn sign<'a>(&'a self, input: &'a [u8]) -> SignFuture<'a>;
}

/// Why a remote signer produced no signature: its own error (a refused call, an unreachable
/// KMS), or no answer before the request deadline. `Display` says only which; the signer's
/// error is the `source()`, so a signer should not put secrets into its errors.
pub struct SignError {
    source: Option<Box<dyn StdError + Send + Sync>>,
    timed_out: bool,
}

impl SignError {
    /// The signer failed because of `source`.
    pub fn new(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
            timed_out: false,
        }
    }

    /// The signer did not answer in time.
    pub fn timed_out() -> Self {
        Self {
            source: None,
            timed_out: true,
        }
    }

    /// Whether the signer did not answer in time.
    pub fn is_timeout(&self) -> bool {
        self.timed_out
    }
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.timed_out {
            f.write_str("the remote assertion signer did not answer before the request deadline")
        } else {
            f.write_str("the remote assertion signer failed")
        }
    }
}

impl fmt::Debug for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignError")
            .field("timed_out", &self.timed_out)
            .field("source", &self.source)
            .finish()
    }
}

impl StdError for SignError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Polls `future` to completion on this thread, parking between wake-ups, until `deadline`.
pub(crate) fn block_on_until(
    mut future: SignFuture<'_>,
    deadline: Instant,
) -> Result<Vec<u8>, SignError> {
    let state = Arc::new(ThreadWaker {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(Arc::clone(&state));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
            return result;
        }
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(SignError::timed_out());
            }
            if state.woken.swap(false, Ordering::Acquire) {
                break;
            }
            std::thread::park_timeout(deadline - now);
        }
    }
}

/// Races `future` against the async runtime's timer (when the token source has a
/// [`Sleeper`](crate::Sleeper)) at `deadline`.
pub(crate) async fn sign_until(
    future: SignFuture<'_>,
    sleep: Option<crate::Sleep>,
) -> Result<Vec<u8>, SignError> {
    let mut future = future;
    let mut sleep = sleep;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = future.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        match sleep.as_mut().map(|s| s.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Err(SignError::timed_out())),
            _ => Poll::Pending,
        }
    })
    .await
}
