//! `TokenSource::token_async` on a tiny executor (no runtime): single flight among 1,000
//! futures, prompt wake-up, cancellation safety.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use grantwire::lifecycle::{FetchError, LifecycleConfig, TransportError};
use grantwire_client::{SendResult, TokenEvent};

#[test]
fn a_thousand_async_callers_share_one_request_and_wake_on_its_response() {
    let source = source(LifecycleConfig::default());
    let sends = Sends::default();
    let started = Instant::now();
    let futures: Vec<Pin<Box<dyn Future<Output = Duration> + '_>>> = (0..1000)
        .map(|_| {
            let (source, sends) = (&source, &sends);
            Box::pin(async move {
                let token = source
                    .token_async(|_r| async {
                        sends.record();
                        Gate::after(Duration::from_millis(200)).await;
                        Ok(ok("async-token", 3600))
                    })
                    .await
                    .expect("token");
                assert_eq!(token.access_token().secret(), "async-token");
                started.elapsed()
            }) as Pin<Box<dyn Future<Output = Duration>>>
        })
        .collect();
    let waits = join_all(futures);
    assert_eq!(sends.count(), 1, "exactly one token request");
    let slowest = waits.iter().max().unwrap();
    assert!(
        *slowest < Duration::from_secs(5),
        "slowest caller took {slowest:?}"
    );
}

#[test]
fn a_sleeper_bounds_the_wait_for_a_request_that_never_ends() {
    let config = LifecycleConfig {
        request_timeout: Duration::from_millis(100),
        ..LifecycleConfig::default()
    };
    let source = source(config).with_sleeper(|deadline: Instant| -> grantwire_client::Sleep {
        Box::pin(Gate::after(
            deadline.saturating_duration_since(Instant::now()),
        ))
    });
    let (source, sends) = (&source, Sends::default());
    let sends = &sends;
    let stuck: Pin<Box<dyn Future<Output = _>>> = Box::pin(async move {
        source
            .token_async(|_r| async {
                sends.record();
                std::future::pending::<SendResult>().await
            })
            .await
    });
    let waiter: Pin<Box<dyn Future<Output = _>>> = Box::pin(async move {
        let started = Instant::now();
        let result = source
            .token_async(|_r| async { Ok(ok("unused", 60)) })
            .await;
        (result.map(|_| ()), started.elapsed())
    });
    // Run both; the stuck sender never finishes, so poll the waiter on its own after a while.
    let mut all = vec![
        Box::pin(async move {
            futures_select(stuck, Duration::from_millis(500)).await;
            None
        }) as Pin<Box<dyn Future<Output = _>>>,
        Box::pin(async move { Some(waiter.await) }),
    ];
    let out = join_all(std::mem::take(&mut all));
    let (result, waited) = out[1].clone().unwrap();
    let err = result.unwrap_err();
    assert_eq!(err.fetch_error(), &FetchError::TimedOut);
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(sends.count(), 1);
}

/// Polls `f` until `limit` has passed, then drops it (cancelling it).
async fn futures_select<T>(mut f: Pin<Box<dyn Future<Output = T> + '_>>, limit: Duration) {
    let mut gate = Gate::after(limit);
    std::future::poll_fn(|cx| {
        if f.as_mut().poll(cx).is_ready() || Pin::new(&mut gate).poll(cx).is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

#[test]
fn a_cancelled_sender_wakes_the_waiters_and_the_next_call_sends_again() {
    let source = source(LifecycleConfig {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        ..LifecycleConfig::default()
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    source.on_event(move |e| seen.lock().unwrap().push(e.clone()));
    // Start a fetch and drop it mid-send.
    block_on(futures_select(
        Box::pin(source.token_async(|_r| std::future::pending::<SendResult>())),
        Duration::from_millis(50),
    ));
    assert!(matches!(
        events.lock().unwrap().as_slice(),
        [TokenEvent::Failed { error, .. }] if **error == FetchError::Transport(TransportError::Send)
    ));
    std::thread::sleep(Duration::from_millis(5));
    let token = block_on(source.token_async(|_r| async { Ok(ok("after-cancel", 60)) })).unwrap();
    assert_eq!(token.access_token().secret(), "after-cancel");
}
