//! The loopback server: binds 127.0.0.1, serves the Sans-IO core over real HTTP, honours
//! injected delays, and stops.
#![cfg(feature = "loopback")]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::registry;
use grantwire_testkit::{AuthServer, EndpointKind, Fault, LoopbackServer, ServerConfig};

/// One HTTP/1.1 exchange over a fresh connection; returns the status and the body.
fn exchange(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn token_request(addr: std::net::SocketAddr) -> String {
    let body = "grant_type=client_credentials&client_id=post&client_secret=post-secret";
    format!(
        "POST /token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn serves_on_loopback_and_stops() {
    let server = AuthServer::new(ServerConfig::new("https://as.example").unwrap(), registry());
    let lo = LoopbackServer::start(server).unwrap();
    let addr = lo.addr();
    assert_eq!(addr.ip(), std::net::Ipv4Addr::LOCALHOST);
    assert_ne!(addr.port(), 0);
    assert_eq!(lo.token_endpoint(), format!("http://{addr}/token"));

    let (status, body) = exchange(addr, &token_request(addr));
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["token_type"], "Bearer");

    let (status, body) = exchange(
        addr,
        &format!("GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 200);
    let meta: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(meta["issuer"], format!("http://{addr}"));
    assert_eq!(meta["token_endpoint"], format!("http://{addr}/token"));

    // Faults and counters through the lock.
    lo.lock().inject(
        EndpointKind::Token,
        Fault::TooManyRequests {
            retry_after: Some(Duration::from_secs(2)),
        },
    );
    lo.lock()
        .inject(EndpointKind::Token, Fault::Delay(Duration::from_millis(20)));
    let (status, _) = exchange(addr, &token_request(addr));
    assert_eq!(status, 429);
    let (status, _) = exchange(addr, &token_request(addr));
    assert_eq!(status, 200);
    assert_eq!(
        lo.lock().counters().client_at("post", EndpointKind::Token),
        3
    );

    // An oversized body is refused before the server sees it.
    let big = "a".repeat(2 * 1024 * 1024);
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!("POST /token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", big.len());
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(big.as_bytes());
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    assert!(
        raw.starts_with("HTTP/1.1 413"),
        "{}",
        &raw[..raw.len().min(80)]
    );

    lo.stop();
    // Nothing answers any more: the connection is refused, or closed without a response.
    if let Ok(mut stream) = TcpStream::connect(addr) {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.write_all(token_request(addr).as_bytes());
        let mut raw = String::new();
        let _ = stream.read_to_string(&mut raw);
        assert!(raw.is_empty(), "a stopped server answered: {raw}");
    }
}
