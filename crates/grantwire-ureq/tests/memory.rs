//! A 10 MiB response is refused with bounded memory: a counting global allocator shows the
//! adapter allocated a small multiple of its 1 MiB cap, never the 10 MiB body.
//!
//! Its own test binary with a single test, so no other test allocates during the window. The
//! body comes from a streaming server on 127.0.0.1 that writes from one static buffer and
//! sends no `Content-Length` (so the adapter must stop while reading, not refuse up front);
//! the testkit's `Fault::Oversized` builds its 10 MiB body in this process and would drown
//! the measurement (the typed refusal of that fault is tested in `transport.rs`).

use std::alloc::System;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use grantwire_ureq::{Transport, TransportFailure, TransportOptions, DEFAULT_MAX_BODY};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const BODY: usize = 10 * 1024 * 1024;
static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// Serves `n` connections, each a 200 whose body is `BODY` spaces, close-delimited.
fn streaming_server(n: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for _ in 0..n {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
            );
            let mut sent = 0;
            while sent < BODY {
                if stream.write_all(&CHUNK).is_err() {
                    break; // the client stopped reading and closed
                }
                sent += CHUNK.len();
            }
        }
    });
    url
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
fn a_ten_mib_body_is_refused_while_reading() {
    let url = streaming_server(2);
    let transport = Transport::new();
    let region = Region::new(GLOBAL);
    let err = transport.send(get(&url)).unwrap_err();
    let capped = region.change();
    assert_eq!(
        err,
        TransportFailure::BodyTooLarge {
            limit: DEFAULT_MAX_BODY
        }
    );

    // Control: with the cap above the body, the same answer is read whole, and the counter
    // sees it. So the bound below measures the adapter, not an idle allocator.
    let loose = Transport::with_options(TransportOptions::default().max_body(64 * 1024 * 1024));
    let region = Region::new(GLOBAL);
    let whole = loose.send(get(&url)).unwrap();
    let uncapped = region.change();
    assert_eq!(whole.body().len(), BODY);
    drop(whole);

    eprintln!(
        "bytes allocated: capped {} (cap {DEFAULT_MAX_BODY}), uncapped {}",
        capped.bytes_allocated + capped.bytes_reallocated.max(0) as usize,
        uncapped.bytes_allocated + uncapped.bytes_reallocated.max(0) as usize
    );
    // Every byte ever allocated, not just the peak: a growing buffer up to one byte past the
    // cap costs about twice the cap; the 10 MiB body would cost at least 10 MiB.
    let total = capped.bytes_allocated + capped.bytes_reallocated.max(0) as usize;
    assert!(
        total < 3 * DEFAULT_MAX_BODY as usize,
        "the adapter allocated {total} bytes"
    );
    let total = uncapped.bytes_allocated + uncapped.bytes_reallocated.max(0) as usize;
    assert!(
        total >= BODY,
        "the control read allocated only {total} bytes"
    );
}
