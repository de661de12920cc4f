//! The core's discovery step against the testkit server, which serves RFC 8414 metadata only:
//! in memory, and (with `loopback`) over real HTTP.

mod common;

use common::{registry, send, Rng, T0};
use grantwire::discovery::{Discover, Discovered};
use grantwire::metadata::Discovery;
use grantwire::{Issuer, ServerMetadata};
use grantwire_testkit::{AuthServer, ServerConfig};

/// Runs discovery to the end with `fetch` as the transport; returns the metadata and the URLs
/// fetched.
fn discover(
    mut step: Discover,
    mut fetch: impl FnMut(grantwire::SecretRequest) -> http::Response<Vec<u8>>,
) -> (ServerMetadata, Vec<String>) {
    let mut urls = Vec::new();
    loop {
        let request = step.request().unwrap();
        urls.push(request.uri().to_string());
        match step.handle_response(&fetch(request), common::at(T0)) {
            Discovered::Metadata(md) => return (*md, urls),
            Discovered::TryNext(next) => step = next,
            Discovered::Failed(e) => panic!("discovery failed after {urls:?}: {e}"),
        }
    }
}

#[test]
fn in_memory_server_is_found_at_the_rfc8414_url_and_after_an_openid_miss() {
    let issuer = "https://as.example/tenant/a";
    let mut server = AuthServer::new(ServerConfig::new(issuer).unwrap(), registry());
    let mut rng = Rng(3);
    let mut fetch = |r: grantwire::SecretRequest| send(&mut server, &r, T0, &mut rng);
    let (md, urls) = discover(Discover::new(Issuer::parse(issuer).unwrap()), &mut fetch);
    assert_eq!(
        urls,
        ["https://as.example/.well-known/oauth-authorization-server/tenant/a"]
    );
    assert_eq!(
        md.token_endpoint().unwrap().as_str(),
        "https://as.example/tenant/a/token"
    );
    // Asked for OpenID first, the testkit answers 404 there: the step moves on.
    let (md2, urls) = discover(
        Discover::new(Issuer::parse(issuer).unwrap()).openid_first(),
        &mut fetch,
    );
    assert_eq!(
        urls,
        [
            "https://as.example/tenant/a/.well-known/openid-configuration",
            "https://as.example/.well-known/oauth-authorization-server/tenant/a",
        ]
    );
    assert_eq!(md2, md);
}

#[test]
fn in_memory_server_for_another_issuer_is_refused() {
    // The server's own document, for `https://as.example`.
    let mut server = AuthServer::new(ServerConfig::new("https://as.example").unwrap(), registry());
    let mut rng = Rng(4);
    let step = Discover::new(Issuer::parse("https://as.example").unwrap())
        .only(Discovery::OAuthAuthorizationServer);
    let request = step.request().unwrap();
    let response = send(&mut server, &request, T0, &mut rng);
    // The same document answering discovery for another issuer stops it (RFC 8414 §3.3).
    let other = Discover::new(Issuer::parse("https://as.example/other").unwrap());
    match other.handle_response(&response, common::at(T0)) {
        Discovered::Failed(e) => assert!(e.to_string().contains("issuer"), "{e}"),
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[cfg(feature = "loopback")]
#[test]
fn loopback_server_is_found_over_http() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let server = AuthServer::new(ServerConfig::new("https://as.example").unwrap(), registry());
    let lo = grantwire_testkit::LoopbackServer::start(server).unwrap();
    let issuer = Issuer::parse(&lo.issuer()).unwrap();
    // A minimal HTTP/1.1 GET, enough for this test.
    let fetch = |request: grantwire::SecretRequest| {
        let uri = request.uri();
        let mut stream = TcpStream::connect(lo.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            uri.path(),
            lo.addr()
        )
        .unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let mut response = http::Response::builder().status(status);
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                response = response.header(name.trim(), value.trim());
            }
        }
        response.body(raw[split + 4..].to_vec()).unwrap()
    };
    let (md, urls) = discover(Discover::new(issuer.clone()).openid_first(), fetch);
    assert_eq!(md.issuer(), &issuer);
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert!(urls[1].ends_with("/.well-known/oauth-authorization-server"));
}
