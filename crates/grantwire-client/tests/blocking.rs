//! `TokenSource::token_blocking` with fake transports: single flight, prompt wake-up, backoff,
//! `Retry-After`, `invalid_client`, invalidation.

mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use grantwire::lifecycle::{FetchError, LifecycleConfig, TokenLifecycle, TransportError};
use grantwire::{ClientCredentials, ErrorCode, TokenResponse};
use grantwire_client::{SendResult, TokenError, TokenSource, TransportFailure};

/// A source holding a token that expired a second ago (received 2 s ago, living 1 s).
fn source_at_expiry() -> TokenSource {
    let mut lc = TokenLifecycle::new(client(), ClientCredentials::new(), fast_config());
    let response = TokenResponse::parse(
        http::StatusCode::OK,
        &http::HeaderMap::new(),
        br#"{"access_token":"old","token_type":"Bearer","expires_in":1}"#,
        std::time::SystemTime::now(),
    )
    .unwrap();
    let received = Instant::now().checked_sub(Duration::from_secs(2)).unwrap();
    lc.seed(response, received);
    TokenSource::from_lifecycle(lc)
}

#[test]
fn a_thousand_callers_at_expiry_share_one_request_and_wake_on_its_response() {
    let source = source_at_expiry();
    assert!(source.cached().is_none(), "an expired token is never a hit");
    let sends = Arc::new(Sends::default());
    let callers = 1000;
    let barrier = Arc::new(Barrier::new(callers));
    let hold = Duration::from_millis(300);
    let handles: Vec<_> = (0..callers)
        .map(|_| {
            let (source, sends, barrier) =
                (source.clone(), Arc::clone(&sends), Arc::clone(&barrier));
            std::thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || {
                    barrier.wait();
                    let started = Instant::now();
                    let send = |_r: grantwire::SecretRequest| -> SendResult {
                        sends.record();
                        std::thread::sleep(hold);
                        Ok(ok("new-token", 3600))
                    };
                    let token = source.token_blocking(&send).expect("token");
                    assert_eq!(token.access_token().secret(), "new-token");
                    started.elapsed()
                })
                .unwrap()
        })
        .collect();
    let waits: Vec<Duration> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(sends.count(), 1, "exactly one token request");
    let slowest = waits.iter().max().unwrap();
    // Woken by the response (held 300 ms), not by the 30 s request deadline.
    assert!(
        *slowest < Duration::from_secs(5),
        "slowest caller took {slowest:?}"
    );
    assert!(source.cached().is_some());
}

#[test]
fn a_transport_failure_backs_off_without_sending_then_recovers() {
    let source = source(fast_config());
    let sends = Sends::default();
    let refuse = |_r: grantwire::SecretRequest| -> SendResult {
        sends.record();
        Err(TransportFailure::new(
            TransportError::Connect,
            Some("connection refused".into()),
        ))
    };
    let err = source.token_blocking(&refuse).unwrap_err();
    assert_eq!(sends.count(), 1);
    assert_eq!(
        err.fetch_error(),
        &FetchError::Transport(TransportError::Connect)
    );
    assert_eq!(
        err.transport().map(|t| t.kind()),
        Some(TransportError::Connect)
    );
    let retry_at = err.retry_at().expect("a retry is scheduled");
    // During the backoff: the same error at once, nothing sent.
    let again = source.token_blocking(&refuse).unwrap_err();
    assert_eq!(sends.count(), 1, "no send during the backoff");
    assert_eq!(again.retry_at(), Some(retry_at));
    // After it: the server is back.
    std::thread::sleep(retry_at.saturating_duration_since(Instant::now()));
    let good = |_r: grantwire::SecretRequest| -> SendResult {
        sends.record();
        Ok(ok("recovered", 3600))
    };
    let token = source.token_blocking(&good).expect("recovered");
    assert_eq!(token.access_token().secret(), "recovered");
    assert_eq!(sends.count(), 2);
}

#[test]
fn a_503_with_retry_after_is_honoured() {
    let source = source(fast_config());
    let sends = Sends::default();
    let unavailable = |_r: grantwire::SecretRequest| -> SendResult {
        sends.record();
        Ok(http::Response::builder()
            .status(503)
            .header("retry-after", "1")
            .body(b"busy".to_vec())
            .unwrap())
    };
    let err = source.token_blocking(&unavailable).unwrap_err();
    let failed = *sends.at.lock().unwrap().last().unwrap();
    let retry_at = err.retry_at().unwrap();
    assert!(
        retry_at >= failed + Duration::from_millis(990),
        "Retry-After: 1 not honoured"
    );
    let good = |_r: grantwire::SecretRequest| -> SendResult {
        sends.record();
        Ok(ok("after-503", 3600))
    };
    // Callers keep arriving; none sends before the server's time.
    let token = loop {
        match source.token_blocking(&good) {
            Ok(t) => break t,
            Err(e) => {
                assert!(matches!(e, TokenError::Unavailable { .. }));
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    assert_eq!(token.access_token().secret(), "after-503");
    let at = sends.at.lock().unwrap().clone();
    assert_eq!(at.len(), 2);
    assert!(
        at[1] >= failed + Duration::from_secs(1),
        "sent {:?} after the 503",
        at[1] - failed
    );
}

#[test]
fn invalid_client_is_never_retried_and_every_caller_gets_the_typed_error() {
    let source = source(fast_config());
    let sends = Arc::new(Sends::default());
    let barrier = Arc::new(Barrier::new(50));
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (source, sends, barrier) =
                (source.clone(), Arc::clone(&sends), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let send = |_r: grantwire::SecretRequest| -> SendResult {
                    sends.record();
                    std::thread::sleep(Duration::from_millis(100));
                    Ok(oauth_error(401, "invalid_client"))
                };
                source.token_blocking(&send).unwrap_err()
            })
        })
        .collect();
    for h in handles {
        let err = h.join().unwrap();
        assert!(err.needs_human(), "{err:?}");
        assert_eq!(err.fetch_error().code(), Some(&ErrorCode::InvalidClient));
    }
    assert_eq!(sends.count(), 1);
    // Long after any backoff: still halted, still nothing sent.
    std::thread::sleep(Duration::from_millis(300));
    let send = |_r: grantwire::SecretRequest| -> SendResult {
        sends.record();
        Ok(ok("never", 3600))
    };
    assert!(source.token_blocking(&send).unwrap_err().needs_human());
    assert_eq!(sends.count(), 1);
    // A human fixed it.
    source.resume();
    assert_eq!(
        source
            .token_blocking(&send)
            .unwrap()
            .access_token()
            .secret(),
        "never"
    );
}

#[test]
fn invalidate_makes_the_next_call_fetch_a_new_token() {
    let source = source(LifecycleConfig::default());
    let sends = Sends::default();
    let send = |_r: grantwire::SecretRequest| -> SendResult {
        let n = sends.record();
        Ok(ok(&format!("token-{n}"), 3600))
    };
    let first = source.token_blocking(&send).unwrap();
    assert_eq!(first.access_token().secret(), "token-1");
    assert_eq!(
        source
            .token_blocking(&send)
            .unwrap()
            .access_token()
            .secret(),
        "token-1"
    );
    assert_eq!(sends.count(), 1);
    assert!(source.invalidate(first.access_token()));
    assert!(source.cached().is_none(), "an invalidated token is no hit");
    let second = source.token_blocking(&send).unwrap();
    assert_eq!(second.access_token().secret(), "token-2");
    // A late report of the old token changes nothing.
    assert!(!source.invalidate(first.access_token()));
    assert_eq!(source.cached().unwrap().access_token().secret(), "token-2");
    assert_eq!(sends.count(), 2);
}

#[test]
fn a_token_due_for_refresh_is_not_a_hit_but_is_served_while_the_refresh_is_in_flight() {
    // 10 s lifetime: refresh due at 5 s (the buffer is capped at half the lifetime).
    let mut lc = TokenLifecycle::new(
        client(),
        ClientCredentials::new(),
        LifecycleConfig::default(),
    );
    let response = TokenResponse::parse(
        http::StatusCode::OK,
        &http::HeaderMap::new(),
        br#"{"access_token":"aging","token_type":"Bearer","expires_in":10}"#,
        std::time::SystemTime::now(),
    )
    .unwrap();
    lc.seed(
        response,
        Instant::now().checked_sub(Duration::from_secs(6)).unwrap(),
    );
    let source = TokenSource::from_lifecycle(lc);
    assert!(source.cached().is_none(), "due for refresh: no hit");
    let (tx, rx) = std::sync::mpsc::channel();
    let refresher = {
        let source = source.clone();
        std::thread::spawn(move || {
            let send = |_r: grantwire::SecretRequest| -> SendResult {
                tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(200));
                Ok(ok("refreshed", 3600))
            };
            source.token_blocking(&send).unwrap()
        })
    };
    rx.recv().unwrap();
    // While the refresh is in flight another caller gets the old, still valid token at once.
    let never = |_r: grantwire::SecretRequest| -> SendResult { panic!("second send") };
    assert_eq!(
        source
            .token_blocking(&never)
            .unwrap()
            .access_token()
            .secret(),
        "aging"
    );
    assert_eq!(
        refresher.join().unwrap().access_token().secret(),
        "refreshed"
    );
    assert_eq!(
        source.cached().unwrap().access_token().secret(),
        "refreshed"
    );
}

#[test]
fn a_panicking_sender_does_not_strand_the_others() {
    let source = source(LifecycleConfig {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        ..LifecycleConfig::default()
    });
    let s2 = source.clone();
    let panicked = std::thread::spawn(move || {
        let send = |_r: grantwire::SecretRequest| -> SendResult { panic!("adapter bug") };
        let _ = s2.token_blocking(&send);
    })
    .join();
    assert!(panicked.is_err());
    std::thread::sleep(Duration::from_millis(5));
    let started = Instant::now();
    let send = |_r: grantwire::SecretRequest| -> SendResult { Ok(ok("after-panic", 60)) };
    assert_eq!(
        source
            .token_blocking(&send)
            .unwrap()
            .access_token()
            .secret(),
        "after-panic"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
