//! A 10 MiB answer is refused with bounded memory: the adapter stops reading at its cap
//! instead of buffering the body first. The server here streams the body from one small
//! buffer, so every large allocation in the process would be the client's.
//!
//! Its own binary: the counting allocator is process-wide.

use std::alloc::System;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;

use grantwire::SecretRequest;
use grantwire_reqwest::{BodyTooLarge, Transport};
use http::Method;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const TEN_MIB: usize = 10 * 1024 * 1024;

/// Serves one request on 127.0.0.1 with a 10 MiB JSON body, declared or chunked.
fn serve_once(chunked: bool) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let block = vec![b' '; 64 * 1024];
        let (mut stream, _) = listener.accept().unwrap();
        let mut seen = Vec::with_capacity(4096);
        let mut buf = [0u8; 1024];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        let head = if chunked {
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_owned()
        } else {
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {TEN_MIB}\r\n\r\n")
        };
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let size_line = format!("{:x}\r\n", block.len());
        for _ in 0..TEN_MIB / block.len() {
            let ok = if chunked {
                stream.write_all(size_line.as_bytes()).is_ok()
                    && stream.write_all(&block).is_ok()
                    && stream.write_all(b"\r\n").is_ok()
            } else {
                stream.write_all(&block).is_ok()
            };
            if !ok {
                return; // the client hung up: what the adapter should do
            }
        }
        let _ = stream.write_all(if chunked { b"0\r\n\r\n" } else { b"" });
    });
    (addr, handle)
}

async fn peak_bytes(transport: &Transport, chunked: bool) -> usize {
    let (addr, server) = serve_once(chunked);
    let request = SecretRequest::new(
        Method::POST,
        format!("http://{addr}/token").parse().unwrap(),
        http::HeaderMap::new(),
        b"grant_type=client_credentials".to_vec(),
    );
    let region = Region::new(GLOBAL);
    let err = transport.send(request).await.unwrap_err();
    let allocated = region.change().bytes_allocated;
    assert!(BodyTooLarge::find(&err).is_some(), "{err:?}");
    server.join().unwrap();
    allocated
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_mib_body_is_refused_with_bounded_memory() {
    let transport = Transport::new().unwrap();
    // Everything allocated during the exchange bounds the peak from above.
    for chunked in [true, false] {
        let allocated = peak_bytes(&transport, chunked).await;
        println!("chunked={chunked}: {allocated} bytes allocated during the exchange");
        assert!(
            allocated < 5 * 1024 * 1024,
            "chunked={chunked}: {allocated} bytes allocated for a 10 MiB body capped at 1 MiB"
        );
    }
}
