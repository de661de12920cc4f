//! grantwire-ureq
#![forbid(unsafe_code)]

mod failure;
mod transport;

pub use failure::TransportFailure;
pub use transport::{
    Transport, TransportOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT,
    USER_AGENT,
};
