//! Shared plumbing of the side harnesses: reading cryptofeed raw captures (Format A of
//! `/work/shared/captures/README.md`), the command line, and the timing loop that every
//! engine here runs the same way as marketfeed's `capture_bench` (fresh state per pass,
//! only frames that applied a book update on the clock, REST snapshots off the clock).

use std::time::{Duration, Instant};

/// A capture read into memory: the received frames and the REST bodies.
pub struct Capture {
    /// The `wss://` URL of the connection (first line of the ws file).
    pub url: String,
    /// Received frames, exactly as recorded, in order.
    pub frames: Vec<String>,
    /// REST snapshots: (symbol from the URL's `symbol=` parameter, body).
    pub snapshots: Vec<(String, String)>,
}

/// Reads a `*.ws.*` file and, when given, its `*.http.*` file.
pub fn read_capture(ws: &str, http: Option<&str>) -> Result<Capture, String> {
    let text = std::fs::read_to_string(ws).map_err(|e| format!("{ws}: {e}"))?;
    let mut url = String::new();
    let mut frames = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with("wss://") {
            if let Some((u, _)) = line.split_once(" <-> ") {
                url = u.to_string();
            }
            continue;
        }
        // Received: "<ts>: <frame>", split on the first ": " only.
        if let Some((_, frame)) = line.split_once(": ") {
            frames.push(frame.to_string());
        }
    }
    let mut snapshots = Vec::new();
    if let Some(h) = http {
        let text = std::fs::read_to_string(h).map_err(|e| format!("{h}: {e}"))?;
        for line in text.lines() {
            if !line.starts_with("http") {
                continue;
            }
            let Some((u, rest)) = line.split_once(" -> ") else {
                continue;
            };
            let Some((_, body)) = rest.split_once(": ") else {
                continue;
            };
            let Some(sym) = u
                .split_once('?')
                .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("symbol=")))
            else {
                continue;
            };
            snapshots.push((sym.to_string(), body.to_string()));
        }
    }
    Ok(Capture {
        url,
        frames,
        snapshots,
    })
}

/// `--flag value` command line of the harnesses.
pub struct Args {
    pub ws: String,
    pub http: Option<String>,
    pub name: String,
    pub seconds: f64,
    pub top10: bool,
}

impl Args {
    pub fn parse() -> Result<Args, String> {
        let mut a = Args {
            ws: String::new(),
            http: None,
            name: "custom".into(),
            seconds: 2.0,
            top10: true,
        };
        let mut it = std::env::args().skip(1);
        while let Some(k) = it.next() {
            let mut v = || it.next().ok_or_else(|| format!("{k} needs a value"));
            match k.as_str() {
                "--ws" => a.ws = v()?,
                "--http" => a.http = Some(v()?),
                "--name" => a.name = v()?,
                "--seconds" => a.seconds = v()?.parse().map_err(|e| format!("--seconds: {e}"))?,
                "--view" => {
                    a.top10 = match v()?.as_str() {
                        "top10" => true,
                        "bbo" => false,
                        o => return Err(format!("--view top10|bbo, not {o}")),
                    }
                }
                o => return Err(format!("unknown argument {o}; use --ws F [--http F] [--name N] [--seconds S] [--view top10|bbo]")),
            }
        }
        if a.ws.is_empty() {
            return Err("--ws FILE is required".into());
        }
        Ok(a)
    }
}

/// What one pass produced; must be equal on every pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub update_frames: u64,
    pub dropped_frames: u64,
    pub errors: u64,
    /// Final best bid / best ask / levels per side, as text, per symbol in snapshot order.
    pub final_books: Vec<String>,
}

/// An engine that can replay a capture from fresh state.
pub trait Engine {
    /// Fresh state from the REST snapshots (off the clock).
    fn reset(&mut self, cap: &Capture) -> Result<(), String>;
    /// Feeds one frame. Returns true when it applied a book update (and read the view).
    fn frame(&mut self, frame: &str, counts: &mut Counts) -> bool;
    /// Summary of the books at the end of a pass.
    fn final_books(&self) -> Vec<String>;
}

/// One pass: returns the counts and adds update-frame time to `clock`.
pub fn pass(e: &mut impl Engine, cap: &Capture, clock: &mut Duration) -> Result<Counts, String> {
    e.reset(cap)?;
    let mut c = Counts::default();
    for f in &cap.frames {
        let t0 = Instant::now();
        let applied = e.frame(f, &mut c);
        let spent = t0.elapsed();
        if applied {
            c.update_frames += 1;
            *clock += spent;
        }
    }
    c.final_books = e.final_books();
    Ok(c)
}

/// Runs passes for `seconds` after a check pass and prints one JSON line.
pub fn run(engine_name: &str, e: &mut impl Engine, a: &Args) -> Result<(), String> {
    let cap = read_capture(&a.ws, a.http.as_deref())?;
    let mut warmup = Duration::ZERO;
    let first = pass(e, &cap, &mut warmup)?;
    if first.errors > 0 || first.update_frames == 0 {
        return Err(format!("{}: the replay itself is wrong: {first:?}", a.name));
    }
    // The generator's independent model of the final book, when there is one.
    let expect = format!("{}.expect", a.ws);
    if let Ok(want) = std::fs::read_to_string(&expect) {
        let want: Vec<String> = want.lines().map(str::to_string).collect();
        if want != first.final_books {
            return Err(format!(
                "{}: final book differs from {expect}: got {:?}, want {want:?}",
                a.name, first.final_books
            ));
        }
    }
    let mut clock = Duration::ZERO;
    let budget = Duration::from_secs_f64(a.seconds.max(0.0));
    let start = Instant::now();
    let mut passes = 0u64;
    while passes == 0 || start.elapsed() < budget {
        let c = pass(e, &cap, &mut clock)?;
        if c != first {
            return Err(format!(
                "{}: pass {passes} differs: {c:?} vs {first:?}",
                a.name
            ));
        }
        passes += 1;
    }
    let fps = (first.update_frames * passes) as f64 / clock.as_secs_f64().max(1e-9);
    println!(
        "{{\"capture\":\"{}\",\"engine\":\"{engine_name}\",\"view\":\"{}\",\"update_frames\":{},\"dropped_frames\":{},\"frames_per_s\":{fps:.0},\"passes\":{passes}}}",
        a.name,
        if a.top10 { "top10" } else { "bbo" },
        first.update_frames,
        first.dropped_frames,
    );
    Ok(())
}

/// A decimal price in a canonical text form (no trailing zeros, no trailing point), so books
/// kept as `Decimal`, as integers or as text compare equal.
pub fn norm(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One line of a final-book summary: symbol, best bid, best ask, levels per side.
pub fn book_line(
    sym: &str,
    bid: Option<String>,
    ask: Option<String>,
    nb: usize,
    na: usize,
) -> String {
    let f = |p: Option<String>| p.map_or("-".to_string(), |p| norm(&p));
    format!("{sym} bid={} ask={} bids={nb} asks={na}", f(bid), f(ask))
}

/// Fixed-point (1e-8) integer as decimal text.
pub fn fixed8(v: u64) -> String {
    format!("{}.{:08}", v / 100_000_000, v % 100_000_000)
}

/// An in-memory Binance spot capture for the harnesses' tests: one symbol, a two-level
/// snapshot with lastUpdateId 100, and the given depthUpdate (U, u, bids, asks) frames.
#[doc(hidden)]
pub fn test_capture(frames: &[(u64, u64, &str, &str)]) -> Capture {
    let wrap = |(first, last, b, a): &(u64, u64, &str, &str)| {
        format!(
            "{{\"stream\":\"tstusdt@depth@100ms\",\"data\":{{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"TSTUSDT\",\"U\":{first},\"u\":{last},\"b\":{b},\"a\":{a}}}}}"
        )
    };
    Capture {
        url: "wss://stream.binance.com:9443/stream?streams=tstusdt@depth@100ms".into(),
        frames: std::iter::once(
            "{\"stream\":\"tstusdt@bookTicker\",\"data\":{\"u\":101,\"s\":\"TSTUSDT\"}}".to_string(),
        )
        .chain(frames.iter().map(wrap))
        .collect(),
        snapshots: vec![(
            "TSTUSDT".into(),
            "{\"lastUpdateId\":100,\"bids\":[[\"9.99000000\",\"1.00000000\"]],\"asks\":[[\"10.01000000\",\"2.00000000\"]]}".into(),
        )],
    }
}

/// Frames every engine must handle alike: a stale event (dropped), the first event that
/// straddles lastUpdateId + 1, a contiguous one (new best bid, ask removed), then a gap (error).
#[doc(hidden)]
pub const TEST_FRAMES: [(u64, u64, &str, &str); 4] = [
    (90, 100, "[[\"9.98000000\",\"5.00000000\"]]", "[]"),
    (
        99,
        102,
        "[[\"9.98000000\",\"3.00000000\"]]",
        "[[\"10.02000000\",\"4.00000000\"]]",
    ),
    (
        103,
        103,
        "[[\"10.00000000\",\"1.50000000\"]]",
        "[[\"10.01000000\",\"0.00000000\"]]",
    ),
    (105, 106, "[[\"9.97000000\",\"1.00000000\"]]", "[]"),
];

/// What every engine must report after `TEST_FRAMES` (counts worked out by hand from the
/// Binance spot rules above; the gap frame is not applied).
#[doc(hidden)]
pub fn check_test_pass(e: &mut impl Engine) {
    let cap = test_capture(&TEST_FRAMES);
    let mut clock = Duration::ZERO;
    let c = pass(e, &cap, &mut clock).expect("pass");
    assert_eq!(c.update_frames, 2, "{c:?}");
    assert_eq!(c.errors, 1, "{c:?}");
    assert_eq!(
        c.final_books,
        vec!["TSTUSDT bid=10 ask=10.02 bids=3 asks=1".to_string()],
        "{c:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_and_fixed8() {
        assert_eq!(norm("1000.01000000"), "1000.01");
        assert_eq!(norm("10.00000000"), "10");
        assert_eq!(norm("120"), "120");
        assert_eq!(fixed8(35_130_000), "0.35130000");
        assert_eq!(fixed8(100_001_000_000), "1000.01000000");
    }
}
