//! Replays a recorded capture through parse → sequencer → book and prints one NDJSON line per
//! applied snapshot or update, then a summary line.
//!
//! ```text
//! cargo run --release --example replay -- <ws-capture> [<http-capture>] [--venue NAME] [--depth N] [--book-depth N]
//! ```
//!
//! * `--venue`: `binance`, `binance-usdm`, `kraken`, `poloniex` or `okx` (default: from the capture's URL line).
//! * `--depth N`: levels per side printed (default 10).
//! * `--book-depth N`: levels kept per side (default: the depth in the capture's subscribe
//!   request, else the venue's default).

#[path = "support/mod.rs"]
mod support;

use clap::Parser;
use marketfeed::replay::{book_line, replay, ReplayEvent, ReplayOptions};
use marketfeed::Outcome;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

struct Replay {
    ws: String,
    http: Option<String>,
    options: ReplayOptions,
    top: usize,
}

/// Replays a recorded capture and prints NDJSON book lines and a summary.
#[derive(Parser, Debug)]
#[command(name = "replay")]
struct Args {
    /// The WebSocket capture (cryptofeed raw format).
    ws: String,
    /// The REST capture with the Binance snapshots.
    http: Option<String>,
    /// binance, binance-usdm, kraken, poloniex or okx (default: from the capture's URL line).
    #[arg(long, value_parser = |s: &str| s.parse::<marketfeed::Exchange>().map_err(|e| e.to_string()))]
    venue: Option<marketfeed::Exchange>,
    /// Levels per side printed.
    #[arg(long = "depth", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    top: u64,
    /// Levels kept per side (default: the capture's subscribed depth, else the venue's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    book_depth: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Args::parse();
    support::init_logs();
    let args = Replay {
        options: ReplayOptions {
            venue: cli.venue,
            book_depth: cli.book_depth.map(|d| d as usize),
        },
        top: cli.top as usize,
        ws: cli.ws,
        http: cli.http,
    };
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let (ws, http) = match (read(&args.ws), args.http.as_deref().map(read).transpose()) {
        (Ok(ws), Ok(http)) => (ws, http),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut write_error = None;
    let result = replay(&ws, http.as_deref(), &args.options, |event| {
        let line = match event {
            ReplayEvent::Outcome {
                tracker,
                outcome: Outcome::Applied { .. },
                seq,
            } => book_line(tracker, *seq, args.top),
            ReplayEvent::ParseError(e) => {
                eprintln!("parse error: {e}");
                return;
            }
            ReplayEvent::BadLine(e) => {
                eprintln!("{e}");
                return;
            }
            _ => return,
        };
        if write_error.is_none() {
            if let Err(e) = writeln!(out, "{line}") {
                write_error = Some(e);
            }
        }
    });
    match result {
        Ok(summary) => {
            let _ = writeln!(out, "{}", summary.to_json());
            if let Err(e) = out.flush() {
                write_error.get_or_insert(e);
            }
            match write_error {
                // A closed pipe (e.g. `| head`) is not a failure of the replay.
                Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("write error: {e}");
                    ExitCode::FAILURE
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
