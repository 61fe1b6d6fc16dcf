//! Replays a recorded capture through parse → sequencer → book and prints one NDJSON line per
//! applied snapshot or update, then a summary line.
//!
//! ```text
//! cargo run --release --example replay -- <ws-capture> [<http-capture>] [--venue NAME] [--depth N] [--book-depth N]
//! ```
//!
//! * `--venue`: `binance`, `binance-usdm`, `kraken` or `poloniex` (default: from the capture's URL line).
//! * `--depth N`: levels per side printed (default 10).
//! * `--book-depth N`: levels kept per side (default: the depth in the capture's subscribe
//!   request, else the venue's default).

use marketfeed::replay::{book_line, replay, ReplayEvent, ReplayOptions};
use marketfeed::Outcome;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str =
    "usage: replay <ws-capture> [<http-capture>] [--venue NAME] [--depth N] [--book-depth N]";

struct Args {
    ws: String,
    http: Option<String>,
    options: ReplayOptions,
    top: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut files = Vec::new();
    let mut options = ReplayOptions {
        venue: None,
        book_depth: None,
    };
    let mut top = 10;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--venue" => {
                options.venue = Some(value("--venue")?.parse().map_err(|e| format!("{e}"))?)
            }
            "--depth" => {
                top = value("--depth")?
                    .parse()
                    .map_err(|_| "--depth takes a positive number")?;
                if top == 0 {
                    return Err("--depth takes a positive number".into());
                }
            }
            "--book-depth" => {
                let d: usize = value("--book-depth")?
                    .parse()
                    .map_err(|_| "--book-depth takes a positive number")?;
                if d == 0 {
                    return Err("--book-depth takes a positive number".into());
                }
                options.book_depth = Some(d);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"))
            }
            file => files.push(file.to_string()),
        }
    }
    let mut files = files.into_iter();
    let ws = files.next().ok_or(USAGE)?;
    let http = files.next();
    if files.next().is_some() {
        return Err(format!("too many files\n{USAGE}"));
    }
    Ok(Args {
        ws,
        http,
        options,
        top,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
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
