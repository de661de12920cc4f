//! A runtime-agnostic token client for [`grantwire`]: one [`TokenSource`] keeps an access token
//! fresh for every caller, with a cache hit that takes no lock, single-flight fetches, and
//! waiters woken the moment the answer lands. It has no HTTP client: the async and blocking
//! adapters (`grantwire-reqwest`, `grantwire-ureq`) give it a send function.
//!
//! This is the adapter layer: unlike the core, it reads the clocks (`Instant::now()`,
//! `SystemTime::now()`, and on Linux and Android the coarse monotonic clock for cache hits far
//! from the refresh time) and OS randomness (`getrandom`). It never sends, never sleeps through a
//! backoff, and depends on no async runtime.
//!
//! ## In scope
//! - [`TokenSource`]: the shared token, [`TokenSource::cached`] (the hit),
//!   [`TokenSource::token_blocking`] and [`TokenSource::token_async`] (the run loop of
//!   [`grantwire::lifecycle::TokenLifecycle`]), [`TokenSource::invalidate`] (RFC 6750 §3.1),
//!   [`TokenSource::on_event`].
//! - [`AsyncAssertionSigner`] and [`TokenSource::with_assertion_signer`]: `private_key_jwt`
//!   assertions signed by a key the process does not hold (a cloud KMS, an HSM), awaited before
//!   each token request is built, outside the lifecycle's lock.
//! - [`TransportFailure`]: how an adapter reports a request that could not complete.
//! - [`TokenError`], [`TokenEvent`]: typed failures and events, with no token or secret in them.
//! - `tracing` spans and events (target `grantwire_client`) at `debug`, `info`, `warn` and
//!   `error`, with no token or secret in any field; free when no subscriber listens.
//!
//! ## Out of scope
//! Sending (the adapters), sleeping (a [`Sleeper`] the async adapter lends), attaching the
//! token to API requests and the 401 retry (the adapters' middleware).

#![forbid(unsafe_code)]

mod cache;
mod error;
mod event;
mod reserve;
mod signer;
mod sleep;
mod source;
mod transport;

pub use error::TokenError;
pub use event::{TokenEvent, TokenInfo};
pub use signer::{AsyncAssertionSigner, SignError, SignFuture};
pub use sleep::{Sleep, Sleeper};
pub use source::{SendResult, TokenSource};
pub use transport::TransportFailure;

pub use grantwire;
pub use grantwire_jose;
