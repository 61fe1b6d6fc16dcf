//! Benchmark placeholder (`pipeline`); the criterion benches are not written yet.
fn main() {}
