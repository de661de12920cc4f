//! The token client against the testkit's loopback server: single flight at expiry,
//! `Retry-After`, a refused connection, the 401 retry, `invalid_client`, introspection,
//! revocation and discovery.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use grantwire::lifecycle::{LifecycleConfig, TransportError};
use grantwire::{ErrorCode, Issuer, RevocationOutcome};
use grantwire_testkit::{EndpointKind, Fault, LoopbackServer};
use grantwire_ureq::{Error, TokenClient, TokenError, TokenEvent};

fn token_count(lo: &LoopbackServer) -> u64 {
    lo.lock().counters().endpoint(EndpointKind::Token)
}

fn fast_backoff() -> LifecycleConfig {
    LifecycleConfig {
        initial_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(1),
        ..LifecycleConfig::default()
    }
}

#[test]
fn the_client_is_one_send_sync_clone_type() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<TokenClient>();
}

#[test]
fn a_thousand_callers_at_expiry_cause_one_token_request() {
    let lo = common::start(Duration::from_secs(2));
    // Refresh only at expiry, so every caller below needs the new token: a slow machine
    // cannot turn the test into one about proactive refresh.
    let config = LifecycleConfig {
        refresh_share: 1.0,
        refresh_buffer: Duration::ZERO,
        ..LifecycleConfig::default()
    };
    let client = TokenClient::builder(common::client(&lo))
        .config(config)
        .build();
    let first = client.token().unwrap();
    assert_eq!(token_count(&lo), 1);
    // Past expiry: every caller needs a new token at once.
    let expired = Instant::now() + Duration::from_millis(2100);
    std::thread::sleep(expired.saturating_duration_since(Instant::now()));

    const CALLERS: usize = 1000;
    let barrier = Arc::new(Barrier::new(CALLERS));
    let handles: Vec<_> = (0..CALLERS)
        .map(|_| {
            let client = client.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || {
                    barrier.wait();
                    client.token().map(|t| t.access_token().secret().to_owned())
                })
                .unwrap()
        })
        .collect();
    let tokens: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert_eq!(token_count(&lo), 2, "exactly one request at expiry");
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    assert_ne!(tokens[0], first.access_token().secret());
}

#[test]
fn a_503_with_retry_after_is_honoured() {
    let lo = common::start(Duration::from_secs(3600));
    lo.lock().inject(
        EndpointKind::Token,
        Fault::ServiceUnavailable {
            retry_after: Some(Duration::from_secs(1)),
        },
    );
    let client = TokenClient::builder(common::client(&lo))
        .config(fast_backoff())
        .build();
    let before = Instant::now();
    let err = client.token().unwrap_err();
    let retry_at = err.retry_at().expect("a retry is scheduled");
    // The backoff alone would be at most 500 ms; the server asked for 1 s.
    assert!(retry_at >= before + Duration::from_secs(1), "{err:?}");
    // Until then, no request: calls fail at once.
    while Instant::now() + Duration::from_millis(50) < retry_at {
        assert!(matches!(
            client.token(),
            Err(TokenError::Unavailable { .. })
        ));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(token_count(&lo), 1);
    std::thread::sleep(retry_at.saturating_duration_since(Instant::now()));
    client.token().unwrap();
    assert_eq!(token_count(&lo), 2);
}

#[test]
fn a_refused_connection_backs_off_and_recovers_when_the_server_returns() {
    let lo = common::start(Duration::from_secs(3600));
    let port = lo.addr().port();
    let client = TokenClient::builder(common::client(&lo))
        .config(fast_backoff())
        .build();
    let addr = lo.addr();
    lo.stop();
    // The listener may linger for a moment after `stop`; wait until connections are refused.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the stopped server still accepts"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let err = client.token().unwrap_err();
    assert_eq!(
        err.transport().map(|t| t.kind()),
        Some(TransportError::Connect)
    );
    let retry_at = err.retry_at().unwrap();
    // During the backoff the client does not try again.
    let again = client.token().unwrap_err();
    assert_eq!(again.retry_at(), Some(retry_at));

    let lo = LoopbackServer::start_on_port(common::auth_server(Duration::from_secs(3600)), port)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        match client.token() {
            Ok(t) => break t,
            Err(TokenError::Unavailable { retry_at, .. }) if Instant::now() < deadline => {
                std::thread::sleep(retry_at.saturating_duration_since(Instant::now()));
            }
            Err(e) => panic!("did not recover: {e:?}"),
        }
    };
    assert!(!token.access_token().secret().is_empty());
    assert_eq!(token_count(&lo), 1);
}

#[test]
fn a_401_invalid_token_causes_one_refresh_and_one_retry() {
    let lo = common::start(Duration::from_secs(3600));
    let client = TokenClient::builder(common::client(&lo)).build();
    let resource = format!("{}{}", lo.issuer(), EndpointKind::Resource.path());
    let get = || http::Request::get(&resource).body(Vec::new()).unwrap();

    let response = client.send(get()).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(token_count(&lo), 1);

    // The server revokes the token: the resource answers 401 invalid_token.
    let held = client.token().unwrap();
    assert_eq!(
        client.revoke(held.access_token()).unwrap(),
        RevocationOutcome::Revoked
    );
    let response = client.send(get()).unwrap();
    assert_eq!(response.status(), 200);
    let counters = lo.lock().counters().clone();
    assert_eq!(counters.endpoint(EndpointKind::Token), 2, "one refresh");
    assert_eq!(counters.endpoint(EndpointKind::Resource), 3, "one retry");
    assert_ne!(client.token().unwrap().access_token(), held.access_token());
}

/// A resource server on 127.0.0.1 that answers every request with `status` and
/// `challenge`, counting requests and recording their `Authorization` headers.
fn refusing_resource(status: u16, challenge: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let auth = head
                .lines()
                .find_map(|l| l.strip_prefix("authorization: "))
                .unwrap_or("")
                .to_owned();
            log.lock().unwrap().push(auth);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nWWW-Authenticate: {challenge}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, seen)
}

#[test]
fn the_401_retry_happens_exactly_once() {
    let lo = common::start(Duration::from_secs(3600));
    let client = TokenClient::builder(common::client(&lo)).build();
    let (url, seen) = refusing_resource(
        401,
        r#"Bearer error="invalid_token", error_description="no""#,
    );
    let response = client
        .send(http::Request::post(&url).body(b"payload".to_vec()).unwrap())
        .unwrap();
    assert_eq!(response.status(), 401);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one retry, not more");
    assert_ne!(seen[0], seen[1], "the retry carries the new token");
    assert!(seen.iter().all(|a| a.starts_with("bearer ")));
    assert_eq!(token_count(&lo), 2);
}

#[test]
fn other_401s_and_403s_are_not_retried() {
    let lo = common::start(Duration::from_secs(3600));
    let client = TokenClient::builder(common::client(&lo)).build();
    for (status, challenge) in [
        (401, r#"Bearer error="insufficient_scope""#),
        (401, r#"Basic realm="x""#),
        (403, r#"Bearer error="invalid_token""#),
    ] {
        let (url, seen) = refusing_resource(status, challenge);
        let response = client
            .send(http::Request::get(&url).body(Vec::new()).unwrap())
            .unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(seen.lock().unwrap().len(), 1, "{status} {challenge}");
    }
    assert_eq!(token_count(&lo), 1);
}

#[test]
fn invalid_client_is_never_retried() {
    let lo = common::start(Duration::from_secs(3600));
    let failures = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&failures);
    let client = TokenClient::builder(common::client_with(&lo, "wrong secret"))
        .config(fast_backoff())
        .on_event(move |e| {
            if matches!(e, TokenEvent::Failed { .. }) {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build();
    let err = client.token().unwrap_err();
    assert!(err.needs_human(), "{err:?}");
    assert_eq!(err.fetch_error().code(), Some(&ErrorCode::InvalidClient));
    // Past any backoff, through `token` and through `send`: no second request.
    std::thread::sleep(Duration::from_millis(500));
    assert!(client.token().unwrap_err().needs_human());
    let resource = format!("{}{}", lo.issuer(), EndpointKind::Resource.path());
    let err = client
        .send(http::Request::get(&resource).body(Vec::new()).unwrap())
        .unwrap_err();
    assert!(matches!(err, Error::Token(TokenError::NeedsHuman { .. })));
    let counters = lo.lock().counters().clone();
    assert_eq!(counters.endpoint(EndpointKind::Token), 1);
    assert_eq!(counters.endpoint(EndpointKind::Resource), 0);
    assert_eq!(failures.load(Ordering::SeqCst), 1);
}

#[test]
fn introspection_revocation_and_discovery() {
    let lo = common::start(Duration::from_secs(3600));
    let client = TokenClient::builder(common::client(&lo)).build();
    let token = client.token().unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains(token.access_token().secret()) && !shown.contains(common::SECRET));
    let info = client.introspect(token.access_token()).unwrap();
    assert!(info.is_active());
    assert_eq!(
        client.revoke(token.access_token()).unwrap(),
        RevocationOutcome::Revoked
    );
    assert!(!client.introspect(token.access_token()).unwrap().is_active());

    let metadata = client
        .discover(Issuer::parse(&lo.issuer()).unwrap())
        .unwrap();
    assert_eq!(
        metadata.token_endpoint().unwrap().as_str(),
        lo.token_endpoint()
    );
}

#[test]
fn a_redirect_on_the_token_endpoint_is_not_followed_by_the_client() {
    let lo = common::start(Duration::from_secs(3600));
    let target = format!("{}{}", lo.issuer(), EndpointKind::Introspection.path());
    lo.lock()
        .inject(EndpointKind::Token, Fault::Redirect(target));
    let client = TokenClient::builder(common::client(&lo)).build();
    assert!(client.token().is_err());
    assert_eq!(
        lo.lock().counters().endpoint(EndpointKind::Introspection),
        0
    );
}

#[test]
fn an_oversized_token_response_is_a_transport_failure() {
    let lo = common::start(Duration::from_secs(3600));
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(10 * 1024 * 1024));
    let client = TokenClient::builder(common::client(&lo)).build();
    let err = client.token().unwrap_err();
    let failure = err.transport().expect("a transport failure");
    assert_eq!(common::too_large(failure), Some(1024 * 1024));
}

#[test]
fn introspection_with_a_wrong_secret_is_a_response_error_with_the_oauth_code() {
    let lo = common::start(Duration::from_secs(3600));
    let good = TokenClient::builder(common::client(&lo)).build();
    let token = good.token().unwrap();
    let bad = TokenClient::builder(common::client_with(&lo, "wrong secret")).build();
    let err = bad.introspect(token.access_token()).unwrap_err();
    let oauth = err.grantwire().and_then(grantwire::Error::oauth);
    assert!(matches!(err, Error::Response(_)), "{err:?}");
    assert_eq!(oauth.map(|o| &o.error), Some(&ErrorCode::InvalidClient));
    // Neither the token nor the secret is in what the error prints.
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(token.access_token().secret()) && !shown.contains("wrong secret"));
}
