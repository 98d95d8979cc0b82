//! Criterion benchmarks of crunch live in `benches/`.
