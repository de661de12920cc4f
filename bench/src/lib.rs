//! Benchmarks of grantwire against peers; see `benches/` and `cargo xtask bench`.
//!
//! This library holds what more than one benchmark uses: the canned client-credentials
//! exchange ([`exchange`]) that `benches/exchange.rs` and `benches/peers.rs` both time,
//! criterion timing that keeps its samples for the summaries ([`samples`]), and the orders in
//! which routines timed in turns take their turns ([`order`]).

pub mod exchange;
pub mod order;
pub mod samples;
