//! grantwire-ureq
#![forbid(unsafe_code)]

mod client;
mod error;
mod transport;

pub use client::{discover, TokenClient, TokenClientBuilder};
pub use error::Error;
pub use grantwire_client::{TokenError, TokenEvent, TokenSource, TransportFailure};
pub use transport::{
    BodyTooLarge, Transport, TransportOptions, UreqFailure, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, USER_AGENT,
};
