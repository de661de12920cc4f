//! The adapter alone: status, headers and body reach the caller; redirects are not followed;
//! the body cap holds; transport failures are typed.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use grantwire::lifecycle::TransportError;
use grantwire::TokenResponse;
use grantwire_testkit::{EndpointKind, Fault};
use grantwire_ureq::{Transport, TransportFailure, TransportOptions, USER_AGENT};

#[test]
fn a_token_request_round_trips() {
    let lo = common::start(Duration::from_secs(3600));
    let client = common::client(&lo);
    let response = Transport::new()
        .send(common::token_request(&client))
        .unwrap();
    assert_eq!(response.status(), 200);
    let token = TokenResponse::parse(
        response.status(),
        response.headers(),
        response.body(),
        std::time::SystemTime::now(),
    );
    assert!(token.is_ok(), "{token:?}");
    assert_eq!(lo.lock().counters().endpoint(EndpointKind::Token), 1);
}

#[test]
fn error_statuses_are_responses_not_failures() {
    let lo = common::start(Duration::from_secs(3600));
    lo.lock().inject(
        EndpointKind::Token,
        Fault::ServiceUnavailable {
            retry_after: Some(Duration::from_secs(3)),
        },
    );
    let transport = Transport::new();
    let response = transport
        .send(common::token_request(&common::client(&lo)))
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "3");
    // A wrong secret: the OAuth error body arrives for the core to classify.
    let response = transport
        .send(common::token_request(&common::client_with(&lo, "wrong")))
        .unwrap();
    // RFC 6749 §5.2: 400 when the client did not authenticate with a header.
    assert_eq!(response.status(), 400);
    assert!(std::str::from_utf8(response.body())
        .unwrap()
        .contains("invalid_client"));
}

#[test]
fn a_redirect_on_the_token_endpoint_is_not_followed() {
    let lo = common::start(Duration::from_secs(3600));
    // The target is the server's own introspection endpoint, so its counter would see a
    // followed redirect.
    let target = format!("{}{}", lo.issuer(), EndpointKind::Introspection.path());
    lo.lock()
        .inject(EndpointKind::Token, Fault::Redirect(target.clone()));
    let response = Transport::new()
        .send(common::token_request(&common::client(&lo)))
        .unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(response.headers()["location"], target.as_str());
    let counters = lo.lock().counters().clone();
    assert_eq!(counters.endpoint(EndpointKind::Token), 1);
    assert_eq!(counters.endpoint(EndpointKind::Introspection), 0);
    assert_eq!(counters.total(), 1);
}

#[test]
fn an_oversized_body_is_a_typed_failure() {
    let lo = common::start(Duration::from_secs(3600));
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(10 * 1024 * 1024));
    let err = Transport::new()
        .send(common::token_request(&common::client(&lo)))
        .unwrap_err();
    assert_eq!(err, TransportFailure::BodyTooLarge { limit: 1024 * 1024 });
    // A body exactly at the cap is read; one byte more is refused.
    let size = 4096;
    let transport = Transport::with_options(TransportOptions::default().max_body(size as u64));
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(size));
    let ok = transport
        .send(common::token_request(&common::client(&lo)))
        .unwrap();
    assert_eq!(ok.body().len(), size);
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(size + 1));
    let err = transport
        .send(common::token_request(&common::client(&lo)))
        .unwrap_err();
    assert_eq!(err, TransportFailure::BodyTooLarge { limit: size as u64 });
}

/// A one-shot server on 127.0.0.1 that reads the request head, hands it back, and answers
/// `response` (or nothing, after `stall`).
fn one_shot(
    response: &'static [u8],
    stall: Option<Duration>,
) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        if let Some(d) = stall {
            std::thread::sleep(d);
        } else {
            let _ = stream.write_all(response);
        }
        String::from_utf8_lossy(&head).into_owned()
    });
    (url, handle)
}

fn get(url: &str) -> grantwire::SecretRequest {
    grantwire::SecretRequest::new(
        http::Method::GET,
        url.parse().unwrap(),
        http::HeaderMap::new(),
        Vec::new(),
    )
}

#[test]
fn sends_the_grantwire_user_agent() {
    let (url, server) = one_shot(
        b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
        None,
    );
    let response = Transport::new().send(get(&url)).unwrap();
    assert_eq!(response.status(), 204);
    let head = server.join().unwrap().to_ascii_lowercase();
    assert!(USER_AGENT.starts_with("grantwire/"));
    assert!(
        head.contains(&format!("user-agent: {USER_AGENT}\r\n")),
        "{head}"
    );
}

#[test]
fn a_stalled_server_times_out() {
    let (url, server) = one_shot(b"", Some(Duration::from_secs(3)));
    let transport =
        Transport::with_options(TransportOptions::default().timeout(Duration::from_millis(300)));
    let started = Instant::now();
    let err = transport.send(get(&url)).unwrap_err();
    assert_eq!(err, TransportFailure::Transport(TransportError::TimedOut));
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(server);
}

#[test]
fn a_refused_connection_is_a_connect_failure() {
    // Bind, learn the port, close: nothing listens there now.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = Transport::new()
        .send(get(&format!("http://{addr}/token")))
        .unwrap_err();
    assert_eq!(err, TransportFailure::Transport(TransportError::Connect));
}

#[test]
fn a_connection_closed_before_the_response_is_a_receive_failure() {
    let (url, server) = one_shot(b"", None);
    let err = Transport::new().send(get(&url)).unwrap_err();
    assert_eq!(err, TransportFailure::Transport(TransportError::Receive));
    let _ = server.join();
}
