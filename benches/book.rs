//! Benchmark placeholder (`book`); the criterion benches are not written yet.
fn main() {}
