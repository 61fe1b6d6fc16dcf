//! A short, fixed-seed run of every fuzz target (see `fuzz_support`), in the normal
//! `cargo test` (debug build: overflow checks on). Long runs: `examples/fuzz.rs`.

mod fuzz_support;
use fuzz_support::{Stats, Target, TARGETS};
use marketfeed::SplitMix64;

const EXECS: u64 = 3_000;

#[test]
fn fuzz_targets_hold_their_invariants() {
    // Keep the contained panics' messages out of the test output; they are reported below.
    std::panic::set_hook(Box::new(|_| {}));
    let mut report = Vec::new();
    for name in TARGETS {
        let target = Target::new(name).unwrap();
        if name.starts_with("tracker-") && target.checkpoints() < 2 {
            report.push(format!("{name}: no live checkpoints"));
        }
        let mut rng = SplitMix64::new(0x5eed ^ name.len() as u64);
        let mut stats = Stats::default();
        for _ in 0..EXECS {
            target.exec(&mut rng, &mut stats);
        }
        // The mutations must reach the code behind the parser.
        if stats.accepted == 0 {
            report.push(format!("{name}: no mutated frame was accepted"));
        }
        if name.starts_with("tracker-") && stats.fed < EXECS / 10 {
            report.push(format!("{name}: only {} events fed", stats.fed));
        }
        report.extend(stats.failures);
    }
    let _ = std::panic::take_hook();
    assert!(report.is_empty(), "{}", report.join("\n"));
}
