//! Just enough HTTP/1.1 for the TLS listener: one request per connection, read with bounds
//! (64 KiB of head, a `Content-Length` body up to the plain server's cap; no chunked bodies),
//! and a response with `Connection: close`.

use std::io::{Read, Write};
use std::net::SocketAddr;

use http::{Request, Response, StatusCode};

use crate::loopback::MAX_BODY;

/// The largest request head (request line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// The most headers read.
const MAX_HEADERS: usize = 64;

/// Reads one request; the URI becomes `https://ADDR/path?query`.
pub(super) fn read_request(
    stream: &mut impl Read,
    addr: SocketAddr,
) -> Result<Request<Vec<u8>>, StatusCode> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (head_len, builder, content_length) = loop {
        let n = stream
            .read(&mut chunk)
            .map_err(|_| StatusCode::BAD_REQUEST)?;
        if n == 0 {
            return Err(StatusCode::BAD_REQUEST);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let (Some(method), Some(path)) = (parsed.method, parsed.path) else {
                    return Err(StatusCode::BAD_REQUEST);
                };
                if !path.starts_with('/') {
                    return Err(StatusCode::BAD_REQUEST);
                }
                let mut builder = Request::builder()
                    .method(method)
                    .uri(format!("https://{addr}{path}"));
                let mut length = 0u64;
                for h in parsed.headers.iter() {
                    if h.name.eq_ignore_ascii_case("transfer-encoding") {
                        return Err(StatusCode::LENGTH_REQUIRED);
                    }
                    if h.name.eq_ignore_ascii_case("content-length") {
                        length = std::str::from_utf8(h.value)
                            .ok()
                            .and_then(|v| v.trim().parse().ok())
                            .ok_or(StatusCode::BAD_REQUEST)?;
                    }
                    builder = builder.header(h.name, h.value);
                }
                break (len, builder, length);
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            }
            Err(_) => return Err(StatusCode::BAD_REQUEST),
        }
    };
    if content_length > MAX_BODY {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let length = usize::try_from(content_length).map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?;
    let mut body = buf.split_off(head_len);
    if body.len() > length {
        return Err(StatusCode::BAD_REQUEST); // pipelining is not supported
    }
    let missing = (length - body.len()) as u64;
    stream
        .take(missing)
        .read_to_end(&mut body)
        .map_err(|_| StatusCode::BAD_REQUEST)?;
    if body.len() != length {
        return Err(StatusCode::BAD_REQUEST);
    }
    builder.body(body).map_err(|_| StatusCode::BAD_REQUEST)
}

/// Writes `response` with its `Content-Length` and `Connection: close`.
pub(super) fn write_response(
    stream: &mut impl Write,
    response: &Response<Vec<u8>>,
) -> std::io::Result<()> {
    let status = response.status();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in response.headers() {
        if name == http::header::CONTENT_LENGTH || name == http::header::CONNECTION {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            response.body().len()
        )
        .as_bytes(),
    );
    stream.write_all(&head)?;
    stream.write_all(response.body())
}
