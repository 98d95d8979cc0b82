//! Criterion benchmarks of crunch live in `benches/b1.rs`; run them with
//! `cargo bench -p crunch-benches`.
