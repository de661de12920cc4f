//! The adapter against the testkit's loopback server: what it sends, and the failures it maps
//! to the lifecycle's transport kinds.

mod common;

use std::time::Duration;

use grantwire::lifecycle::TransportError;
use grantwire::TokenResponse;
use grantwire_reqwest::{BodyTooLarge, Transport, TransportOptions, USER_AGENT_VALUE};
use grantwire_testkit::{EndpointKind, Fault};

#[tokio::test]
async fn sends_a_token_request_and_returns_the_answer() {
    let lo = common::server();
    let transport = Transport::new().unwrap();
    let response = transport
        .send(common::token_request(&common::client(&lo)))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token = TokenResponse::parse(&response, std::time::SystemTime::now()).unwrap();
    assert_eq!(token.token_type().as_str(), "Bearer");
    assert_eq!(
        lo.lock()
            .counters()
            .client_at(common::CLIENT_ID, EndpointKind::Token),
        1
    );
    assert!(USER_AGENT_VALUE.starts_with("grantwire/"));
}

#[tokio::test]
async fn a_redirect_on_the_token_endpoint_is_not_followed() {
    let lo = common::server();
    let elsewhere = common::server();
    lo.lock().inject(
        EndpointKind::Token,
        Fault::Redirect(elsewhere.token_endpoint()),
    );
    let transport = Transport::new().unwrap();
    let response = transport
        .send(common::token_request(&common::client(&lo)))
        .await
        .unwrap();
    // RFC 9700 §4.11: the 307 comes back as it is; the credentials never reach the target.
    assert_eq!(response.status(), 307);
    assert_eq!(elsewhere.lock().counters().total(), 0);
    assert!(TokenResponse::parse(&response, std::time::SystemTime::now()).is_err());
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused() {
    let lo = common::server();
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(10 * 1024 * 1024));
    let transport = Transport::new().unwrap();
    let err = transport
        .send(common::token_request(&common::client(&lo)))
        .await
        .unwrap_err();
    assert!(BodyTooLarge::find(&err).is_some(), "{err:?}");
    assert_eq!(err.kind(), TransportError::Receive);

    // Just under a configured cap is read whole.
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(4096));
    let small = Transport::with_options(TransportOptions::default().max_body_bytes(4096)).unwrap();
    let response = small
        .send(common::token_request(&common::client(&lo)))
        .await
        .unwrap();
    assert_eq!(response.body().len(), 4096);
    lo.lock()
        .inject(EndpointKind::Token, Fault::Oversized(4097));
    let err = small
        .send(common::token_request(&common::client(&lo)))
        .await
        .unwrap_err();
    assert!(BodyTooLarge::find(&err).is_some(), "{err:?}");
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_failure() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let request = grantwire::SecretRequest::new(
        http::Method::POST,
        format!("http://127.0.0.1:{port}/token").parse().unwrap(),
        http::HeaderMap::new(),
        b"grant_type=client_credentials".to_vec(),
    );
    let err = Transport::new().unwrap().send(request).await.unwrap_err();
    assert_eq!(err.kind(), TransportError::Connect, "{err:?}");
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let lo = common::server();
    lo.lock()
        .inject(EndpointKind::Token, Fault::Delay(Duration::from_secs(3)));
    let transport =
        Transport::with_options(TransportOptions::default().timeout(Duration::from_millis(300)))
            .unwrap();
    let err = transport
        .send(common::token_request(&common::client(&lo)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportError::TimedOut, "{err:?}");
}

#[tokio::test]
async fn every_request_carries_the_grantwire_user_agent() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        String::from_utf8_lossy(&seen).to_ascii_lowercase()
    });
    let request = grantwire::SecretRequest::new(
        http::Method::GET,
        format!("http://{addr}/.well-known/oauth-authorization-server")
            .parse()
            .unwrap(),
        http::HeaderMap::new(),
        Vec::new(),
    );
    let response = Transport::new().unwrap().send(request).await.unwrap();
    assert_eq!(response.status(), 204);
    let head = server.join().unwrap();
    let expected = format!("user-agent: grantwire/{}\r\n", env!("CARGO_PKG_VERSION"));
    assert!(head.contains(&expected), "{head}");
}
