//! # grantwire-reqwest: the async transport for grantwire
//!
//! TODO crate docs
#![forbid(unsafe_code)]

mod failure;
mod transport;

pub use failure::TransportFailure;
pub use transport::{Transport, TransportOptions, USER_AGENT_VALUE};
