//! Fake transports and a tiny executor for the token source tests: no network, no runtime.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use grantwire::lifecycle::LifecycleConfig;
use grantwire::{
    AuthorizationServer, Client, ClientCredentials, ClientId, ClientSecret, ClientSecretBasic,
    Endpoint,
};
use grantwire_client::TokenSource;

pub const CLIENT_SECRET: &str = "CANARY-CLIENT-SECRET-6f1e";

pub fn client() -> Client {
    Client::new(
        AuthorizationServer::new(Endpoint::parse("https://as.example/token").unwrap()),
        ClientSecretBasic::new(ClientId::new("svc"), ClientSecret::new(CLIENT_SECRET)),
    )
    .unwrap()
}

/// A config with short backoffs so tests run in milliseconds.
pub fn fast_config() -> LifecycleConfig {
    LifecycleConfig {
        initial_backoff: Duration::from_millis(40),
        max_backoff: Duration::from_millis(200),
        ..LifecycleConfig::default()
    }
}

pub fn source(config: LifecycleConfig) -> TokenSource {
    TokenSource::new(client(), ClientCredentials::new(), config)
}

/// A token response carrying `token`, living `expires_in` seconds.
pub fn ok(token: &str, expires_in: u64) -> http::Response<Vec<u8>> {
    let body =
        format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{expires_in}}}"#);
    http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.into_bytes())
        .unwrap()
}

/// An OAuth error answer.
pub fn oauth_error(status: u16, code: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(format!(r#"{{"error":"{code}"}}"#).into_bytes())
        .unwrap()
}

/// Counts sends and remembers when each happened.
#[derive(Default)]
pub struct Sends {
    pub count: AtomicUsize,
    pub at: Mutex<Vec<Instant>>,
}

impl Sends {
    pub fn record(&self) -> usize {
        self.at.lock().unwrap().push(Instant::now());
        self.count.fetch_add(1, Ordering::SeqCst) + 1
    }
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

// ---- a tiny executor --------------------------------------------------------------------

struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Runs every future to completion on this thread, polling the pending ones whenever any waker
/// fires; returns their outputs in order.
pub fn join_all<T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let state = Arc::new(ThreadWaker {
        thread: std::thread::current(),
        woken: AtomicBool::new(true),
    });
    let waker = Waker::from(Arc::clone(&state));
    let mut cx = Context::from_waker(&waker);
    let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    let mut left = futures.len();
    while left > 0 {
        if !state.woken.swap(false, Ordering::SeqCst) {
            std::thread::park_timeout(Duration::from_millis(50));
            continue;
        }
        for (i, f) in futures.iter_mut().enumerate() {
            if out[i].is_some() {
                continue;
            }
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                out[i] = Some(v);
                left -= 1;
            }
        }
    }
    out.into_iter().map(|v| v.unwrap()).collect()
}

pub fn block_on<T>(f: impl Future<Output = T>) -> T {
    join_all(vec![Box::pin(f)]).pop().unwrap()
}

/// A future that stays pending until `open` is set (by another thread, which wakes it).
pub struct Gate {
    pub open: Arc<AtomicBool>,
    pub waker: Arc<Mutex<Option<Waker>>>,
}

impl Gate {
    /// A gate and a function that opens it after `delay`, from another thread.
    pub fn after(delay: Duration) -> Gate {
        let gate = Gate {
            open: Arc::new(AtomicBool::new(false)),
            waker: Arc::new(Mutex::new(None)),
        };
        let (open, waker) = (Arc::clone(&gate.open), Arc::clone(&gate.waker));
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            open.store(true, Ordering::SeqCst);
            if let Some(w) = waker.lock().unwrap().take() {
                w.wake();
            }
        });
        gate
    }
}

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.open.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
