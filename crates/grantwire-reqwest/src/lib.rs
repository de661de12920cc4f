//! # grantwire-reqwest: the async transport and token client for grantwire
//!
//! TODO
#![forbid(unsafe_code)]

mod bearer;
mod client;
mod error;
#[cfg(feature = "tower")]
mod layer;
#[cfg(feature = "middleware")]
mod middleware;
mod transport;

pub use client::{TokenClient, TokenClientBuilder};
pub use error::Error;
#[cfg(feature = "tower")]
pub use layer::{AuthLayer, AuthService, BoxError};
#[cfg(feature = "middleware")]
pub use middleware::GrantwireMiddleware;
pub use transport::{BodyTooLarge, Transport, TransportOptions, USER_AGENT_VALUE};

pub use grantwire_client::{TokenError, TokenEvent, TokenSource, TransportFailure};
