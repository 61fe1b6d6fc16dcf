//! Benchmark placeholder (`parse`); the criterion benches are not written yet.
fn main() {}
