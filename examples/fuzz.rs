//! Long runs of the stable-Rust mutation fuzzer (`tests/fuzz_support`): every venue's
//! `parse` and the book tracker fed mutated frames of the real captures, with invariants.
//!
//! ```text
//! cargo run --profile fuzz --example fuzz -- --seconds 60 --target tracker-kraken --seed 7
//! cargo run --profile fuzz --example fuzz -- --seconds 30            # every target, 30 s each
//! ```
//!
//! The `fuzz` profile is release with overflow checks and debug assertions on. Prints
//! executions and exec/s per target; exits 1 on any failure (the inputs are printed).

#[path = "../tests/fuzz_support/mod.rs"]
mod fuzz_support;

mod support;

use clap::Parser;
use fuzz_support::{Stats, Target, TARGETS};
use marketfeed::SplitMix64;
use std::time::{Duration, Instant};

/// Seeded mutation fuzzing of every venue's parse and the book tracker.
#[derive(Parser)]
#[command(about)]
struct Args {
    /// Seconds per target.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// One target (default: every target in turn).
    #[arg(long)]
    target: Option<String>,
    /// Seed of the mutations (a run is repeatable per seed).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() {
    let Args {
        seconds,
        target,
        seed,
    } = Args::parse();
    support::init_logs();
    let names: Vec<&str> = match &target {
        Some(t) => vec![t.as_str()],
        None => TARGETS.to_vec(),
    };
    std::panic::set_hook(Box::new(|_| {}));
    let mut failed = false;
    for name in names {
        let Some(t) = Target::new(name) else {
            usage(&format!(
                "unknown target {name}; targets: {}",
                TARGETS.join(", ")
            ))
        };
        let mut rng = SplitMix64::new(seed);
        let mut stats = Stats::default();
        let start = Instant::now();
        let budget = Duration::from_secs(seconds);
        while start.elapsed() < budget {
            for _ in 0..256 {
                t.exec(&mut rng, &mut stats);
            }
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name}: {} execs in {secs:.1} s ({:.0} exec/s), {} accepted by the parser, {} book events fed, {} failures",
            stats.execs,
            stats.execs as f64 / secs,
            stats.accepted,
            stats.fed,
            stats.failed
        );
        for f in &stats.failures {
            println!("  {f}");
        }
        failed |= stats.failed > 0;
    }
    std::process::exit(i32::from(failed));
}

fn usage(why: &str) -> ! {
    eprintln!("{why}\nusage: fuzz [--seconds N] [--target NAME] [--seed S] (see --help)");
    std::process::exit(2)
}
