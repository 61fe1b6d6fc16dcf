//! Binance spot and USD-M books synced by the official procedure on real captures.
//!
//! Expected counts come from an independent model: a short Python script over the same files
//! (json + the rules of the official procedure, no marketfeed code) counted, per file, the
//! depth events newer than each symbol's REST snapshot (spot `u > lastUpdateId`, USD-M
//! `u >= lastUpdateId`) and the bookTicker messages whose `u` equals one of those events' `u`:
//! spot 172 deltas / 26 tickers, USD-M 752 deltas / 50 tickers.

use marketfeed::exchange::ResyncReason;
use marketfeed::replay::{replay, ReplayEvent, ReplayOptions, Summary};
use marketfeed::{Level, MarketEvent, Outcome};
use std::collections::HashMap;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/binance/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

type Top = (Option<Level>, Option<Level>);

struct Run {
    summary: Summary,
    tops: HashMap<(String, u64), Top>,
    tickers: Vec<((String, u64), Top)>,
    gaps: Vec<(String, ResyncReason)>,
}

fn run(ws: &str, http: &str) -> Run {
    let mut tops = HashMap::new();
    let mut tickers = Vec::new();
    let mut gaps = Vec::new();
    let options = ReplayOptions {
        venue: None,
        book_depth: None,
    };
    let summary = replay(ws, Some(http), &options, |event| match event {
        ReplayEvent::Outcome {
            tracker, outcome, ..
        } => match outcome {
            Outcome::Applied {
                update_id: Some(u),
                snapshot: false,
            } => {
                let book = tracker.book();
                book.check_crossed()
                    .expect("a synced book is never crossed");
                tops.insert(
                    (tracker.symbol().to_string(), *u),
                    (book.best_bid(), book.best_ask()),
                );
            }
            Outcome::Resync(reason) => gaps.push((tracker.symbol().to_string(), reason.clone())),
            _ => {}
        },
        ReplayEvent::Market(MarketEvent::Ticker(t)) => {
            let u = t.update_id.expect("bookTicker has u");
            tickers.push(((t.meta.symbol.to_string(), u), (t.bid, t.ask)));
        }
        ReplayEvent::ParseError(e) => panic!("{e}"),
        _ => {}
    })
    .unwrap();
    Run {
        summary,
        tops,
        tickers,
        gaps,
    }
}

fn check_file(ws: &str, http: &str, symbols: usize, deltas: u64, matching_tickers: usize) {
    let run = run(&fixture(ws), &fixture(http));
    let s = &run.summary;
    assert_eq!(s.unsynced, Vec::<String>::new(), "every symbol syncs");
    assert_eq!((s.gaps, s.resyncs, s.parse_errors), (0, 0, 0));
    assert_eq!(
        s.book_updates,
        symbols as u64 + deltas,
        "snapshots + deltas applied"
    );
    let mut compared = 0;
    for (key, ticker_top) in &run.tickers {
        if let Some(book_top) = run.tops.get(key) {
            assert_eq!(
                book_top, ticker_top,
                "book top at {key:?} equals the bookTicker"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, matching_tickers);
}

#[test]
fn spot_every_symbol_syncs_and_matches_book_ticker() {
    check_file("BINANCE.ws.1.0", "BINANCE.http.0.0", 4, 172, 26);
}

#[test]
fn usdm_every_symbol_syncs_and_matches_book_ticker() {
    check_file(
        "BINANCE_FUTURES.ws.1.0",
        "BINANCE_FUTURES.http.0.0",
        4,
        752,
        50,
    );
}

/// Removes the `n`-th depthUpdate line of `symbol` and returns the capture plus the removed
/// event's `U` and the next event's `U`/`pu`.
fn remove_depth_frame(ws: &str, symbol: &str, n: usize) -> (String, u64, u64, Option<u64>) {
    let field = |line: &str, key: &str| -> Option<u64> {
        let v: serde_json::Value = serde_json::from_str(line.split_once(": ")?.1).ok()?;
        v["data"][key].as_u64()
    };
    let needle = format!("\"s\":\"{symbol}\",\"U\"");
    let lines: Vec<&str> = ws.lines().collect();
    let hits: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].contains("depthUpdate") && lines[*i].contains(&needle))
        .collect();
    let (removed, next) = (hits[n], hits[n + 1]);
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != removed)
        .map(|(_, l)| *l)
        .collect();
    let removed_u = field(lines[removed], "U").unwrap();
    let next_u = field(lines[next], "U").unwrap();
    (kept.join("\n"), removed_u, next_u, field(lines[next], "pu"))
}

#[test]
fn spot_missing_diff_is_a_gap() {
    let ws = fixture("BINANCE.ws.1.0");
    let (cut, removed_u, next_u, _) = remove_depth_frame(&ws, "NKNUSDT", 20);
    let run = run(&cut, &fixture("BINANCE.http.0.0"));
    assert_eq!(run.summary.gaps, 1);
    assert_eq!(
        run.gaps,
        vec![(
            "NKN-USDT".to_string(),
            ResyncReason::Gap {
                expected: removed_u,
                received: next_u
            }
        )]
    );
    // No further REST snapshot exists in the capture, so that one book stays unsynced; the
    // other three are untouched.
    assert_eq!(run.summary.unsynced, vec!["NKN-USDT".to_string()]);
}

#[test]
fn usdm_missing_diff_breaks_the_pu_chain() {
    let ws = fixture("BINANCE_FUTURES.ws.1.0");
    let (cut, _, _, next_pu) = remove_depth_frame(&ws, "SUSHIUSDT", 30);
    let run = run(&cut, &fixture("BINANCE_FUTURES.http.0.0"));
    assert_eq!(run.summary.gaps, 1);
    let (symbol, reason) = &run.gaps[0];
    assert_eq!(symbol, "SUSHI-USDT");
    let ResyncReason::Gap { received, .. } = reason else {
        panic!("{reason:?}")
    };
    assert_eq!(
        Some(*received),
        next_pu,
        "the next event's pu no longer chains"
    );
    assert_eq!(run.summary.unsynced, vec!["SUSHI-USDT".to_string()]);
}
