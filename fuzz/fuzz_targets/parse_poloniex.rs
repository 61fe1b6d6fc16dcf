//! `parse-poloniex`: see `tests/fuzz_support` and `fuzz/README.md`.
#![no_main]

#[path = "../../tests/fuzz_support/mod.rs"]
mod fuzz_support;

use fuzz_support::{Stats, Target};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TARGET: OnceLock<Target> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let target = TARGET.get_or_init(|| Target::new("parse-poloniex").expect("target"));
    if let Err(why) = target.exec_bytes(data, &mut Stats::default()) {
        panic!("parse-poloniex: {why}");
    }
});
