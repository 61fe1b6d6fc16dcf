//! Capture benchmark: replays each real capture in `tests/fixtures/` many times from fresh
//! state through parse -> sequencer/checksum -> book -> top-10 view (or best bid/ask), on one
//! thread, and prints one JSON line per capture.
//!
//! ```text
//! cargo run --release --example capture_bench                      # 3 s per capture
//! cargo run --release --example capture_bench -- --seconds 10 --only kraken-v1-book1000 --view bbo
//! cargo run --release --example capture_bench -- --quick           # one short pass each (CI)
//! cargo run --release --example capture_bench -- --ws F.ws.1.0 --http F.http.0.0 --name synth-140
//! ```
//!
//! `--ws`/`--http` replay another capture file in the same format instead of the fixtures
//! (the synthetic Binance streams of `bench/`, shared byte for byte with the peer harnesses).
//!
//! Only frames that applied a book update are on the clock (`frames_per_s`); frames that
//! applied a snapshot (in-stream or a Binance REST snapshot delivered before them) are timed
//! separately (`snapshot_us`). Each pass's outcome counts (checksums ok, gaps, updates) must
//! equal the first pass's and show no gap and no failed checksum, or the benchmark fails:
//! a faster wrong book is not a result. Compare against peers with interleaved runs and
//! ratios (`../shared/bench/`), never absolute times.

#[path = "support/mod.rs"]
mod support;

use clap::{Parser, ValueEnum};
use marketfeed::book::BookView;
use marketfeed::replay::{parse_capture_line, CaptureLine, ReplayEvent, ReplayOptions, Replayer};
use marketfeed::{Outcome, Timestamp};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum View {
    /// Top 10 levels per side after every applied update.
    Top10,
    /// Best bid and ask after every applied update.
    Bbo,
}

/// Frames per second of the whole pipeline on the recorded captures.
#[derive(Parser, Debug)]
#[command(name = "capture_bench")]
struct Args {
    /// Measuring time per capture.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// One short measurement per capture (for CI: checks that it runs, times nothing useful).
    #[arg(long)]
    quick: bool,
    /// Only these captures (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// What is read off the book after each update.
    #[arg(long, value_enum, default_value_t = View::Top10)]
    view: View,
    /// Replay this `*.ws.*` capture instead of the fixtures.
    #[arg(long)]
    ws: Option<String>,
    /// Its REST snapshots (`*.http.*`), with `--ws`.
    #[arg(long, requires = "ws")]
    http: Option<String>,
    /// The name printed for the `--ws` capture.
    #[arg(long, default_value = "custom", requires = "ws")]
    name: String,
}

struct Capture {
    name: &'static str,
    ws: &'static str,
    http: Option<&'static str>,
}

const CAPTURES: [Capture; 5] = [
    Capture {
        name: "kraken-v1-book1000",
        ws: "tests/fixtures/kraken/KRAKEN.ws.50.0",
        http: None,
    },
    Capture {
        name: "binance-spot",
        ws: "tests/fixtures/binance/BINANCE.ws.1.0",
        http: Some("tests/fixtures/binance/BINANCE.http.0.0"),
    },
    Capture {
        name: "binance-usdm",
        ws: "tests/fixtures/binance/BINANCE_FUTURES.ws.1.0",
        http: Some("tests/fixtures/binance/BINANCE_FUTURES.http.0.0"),
    },
    Capture {
        name: "poloniex-v3",
        ws: "tests/fixtures/poloniex/POLONIEX_v3.ws.1.0",
        http: None,
    },
    Capture {
        name: "okx-v5-books",
        ws: "tests/fixtures/okx/OKX.ws.1.0",
        http: None,
    },
];

/// What one pass produced, compared across passes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counts {
    update_frames: u64,
    snapshot_frames: u64,
    checksums_ok: u64,
    checksums_failed: u64,
    gaps: u64,
    resyncs: u64,
    unsynced: Vec<String>,
}

#[derive(Default)]
struct Clock {
    updates: Duration,
    snapshots: Duration,
}

/// One pass from fresh state.
fn pass(
    ws: &str,
    frames: &[(u64, Timestamp, &str)],
    http: Option<&str>,
    view: View,
    out: &mut BookView,
    clock: &mut Clock,
) -> Result<Counts, String> {
    let options = ReplayOptions {
        venue: None,
        book_depth: None,
    };
    let mut r = Replayer::new(ws, &options).map_err(|e| e.to_string())?;
    let mut ignore = |_: &ReplayEvent<'_>| {};
    if let Some(h) = http {
        r.load_snapshots(h, &mut ignore);
    }
    // The depth the capture subscribed to (Kraken), as `replay` reads it.
    for (index, line) in ws.lines().enumerate() {
        if matches!(parse_capture_line(line), Ok(CaptureLine::Sent { .. })) {
            r.feed_line(index as u64, line, &mut ignore);
        }
    }
    let mut counts = Counts::default();
    let (update, snapshot) = (std::cell::Cell::new(false), std::cell::Cell::new(false));
    let mut sink = |e: &ReplayEvent<'_>| {
        if let ReplayEvent::Outcome {
            tracker,
            outcome: Outcome::Applied { snapshot: s, .. },
            ..
        } = e
        {
            if *s {
                snapshot.set(true);
            } else {
                update.set(true);
            }
            match view {
                View::Top10 => tracker.book().top_into(10, out),
                View::Bbo => {
                    std::hint::black_box((tracker.book().best_bid(), tracker.book().best_ask()));
                }
            }
        }
    };
    for &(index, ts, frame) in frames {
        let t0 = Instant::now();
        r.feed_frame(index, ts, frame, &mut sink);
        let spent = t0.elapsed();
        let (u, s) = (update.replace(false), snapshot.replace(false));
        if s {
            counts.snapshot_frames += 1;
            clock.snapshots += spent;
        } else if u {
            counts.update_frames += 1;
            clock.updates += spent;
        }
    }
    let summary = r.finish(&mut ignore);
    counts.checksums_ok = summary.checksums_ok;
    counts.checksums_failed = summary.checksums_failed;
    counts.gaps = summary.gaps;
    counts.resyncs = summary.resyncs;
    counts.unsynced = summary.unsynced;
    Ok(counts)
}

fn run(c: &Capture, budget: Duration, view: View) -> Result<String, String> {
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    // The captures are read once and leaked: `&'static str` frames for every pass.
    let ws: &'static str = Box::leak(read(c.ws)?.into_boxed_str());
    let http: Option<&'static str> = match c.http {
        Some(p) => Some(Box::leak(read(p)?.into_boxed_str())),
        None => None,
    };
    let frames: Vec<(u64, Timestamp, &str)> = ws
        .lines()
        .enumerate()
        .filter_map(|(i, l)| match parse_capture_line(l) {
            Ok(CaptureLine::Received { ts, frame }) => Some((i as u64, ts, frame)),
            _ => None,
        })
        .collect();
    let mut out = BookView::default();
    let mut clock = Clock::default();
    let first = pass(ws, &frames, http, view, &mut out, &mut Clock::default())?;
    if first.gaps > 0 || first.checksums_failed > 0 || !first.unsynced.is_empty() {
        return Err(format!("{}: the replay itself is wrong: {first:?}", c.name));
    }
    let start = Instant::now();
    let mut passes = 0u64;
    while passes == 0 || start.elapsed() < budget {
        let counts = pass(ws, &frames, http, view, &mut out, &mut clock)?;
        if counts != first {
            return Err(format!(
                "{}: pass {passes} differs: {counts:?} vs {first:?}",
                c.name
            ));
        }
        passes += 1;
    }
    let updates = first.update_frames * passes;
    let fps = updates as f64 / clock.updates.as_secs_f64().max(1e-9);
    let snap_us =
        clock.snapshots.as_secs_f64() * 1e6 / (first.snapshot_frames * passes).max(1) as f64;
    let venue = marketfeed::replay::venue_of_url(
        ws.lines()
            .find_map(|l| match parse_capture_line(l) {
                Ok(CaptureLine::Open { url }) => Some(url),
                _ => None,
            })
            .unwrap_or(""),
    )
    .map_or("unknown", |e| e.as_str());
    Ok(format!(
        "{{\"capture\":\"{}\",\"venue\":\"{venue}\",\"view\":\"{}\",\"update_frames\":{},\"frames_per_s\":{:.0},\"snapshot_frames\":{},\"snapshot_us\":{:.1},\"checksums_ok\":{},\"gaps\":{},\"passes\":{passes}}}",
        c.name,
        match view {
            View::Top10 => "top10",
            View::Bbo => "bbo",
        },
        first.update_frames,
        fps,
        first.snapshot_frames,
        snap_us,
        first.checksums_ok,
        first.gaps,
    ))
}

fn main() -> ExitCode {
    let args = Args::parse();
    support::init_logs();
    let unknown: Vec<&String> = args
        .only
        .iter()
        .filter(|n| !CAPTURES.iter().any(|c| c.name == n.as_str()))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = CAPTURES.iter().map(|c| c.name).collect();
        eprintln!("unknown capture {unknown:?}; known: {names:?}");
        return ExitCode::from(2);
    }
    let budget = if args.quick {
        Duration::from_millis(100)
    } else {
        Duration::from_secs_f64(args.seconds.max(0.0))
    };
    if let Some(ws) = args.ws {
        // Leaked once: the same `&'static str` shape as the fixture table.
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let c = Capture {
            name: leak(args.name),
            ws: leak(ws),
            http: args.http.map(leak),
        };
        return match run(&c, budget, args.view) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut failed = false;
    for c in &CAPTURES {
        if !args.only.is_empty() && !args.only.iter().any(|n| n == c.name) {
            continue;
        }
        match run(c, budget, args.view) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
