//! Criterion benchmarks of crunch live in `benches/b1.rs` (workload B1 and its kernels)
//! and `benches/paths.rs` (throughput of every path model); run them with
//! `cargo bench -p crunch-benches`.
