//! Benchmarks of grantwire against peers; see `benches/` and `cargo xtask bench`.
