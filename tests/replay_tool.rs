//! The replay tool's library side: summaries on the real captures, the NDJSON line format,
//! and malformed input counted rather than fatal.

use marketfeed::replay::{book_line, replay, ReplayEvent, ReplayOptions, Summary};
use marketfeed::{Exchange, Outcome};

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn run(ws: &str, http: Option<&str>, venue: Option<Exchange>) -> (Summary, Vec<String>) {
    let mut lines = Vec::new();
    let options = ReplayOptions {
        venue,
        book_depth: None,
    };
    let summary = replay(ws, http, &options, |e| {
        if let ReplayEvent::Outcome {
            tracker,
            outcome: Outcome::Applied { .. },
            seq,
        } = e
        {
            lines.push(book_line(tracker, *seq, 10));
        }
    })
    .unwrap();
    (summary, lines)
}

#[test]
fn kraken_v1_capture_summary() {
    let (s, lines) = run(&fixture("kraken/KRAKEN.ws.50.0"), None, None);
    assert_eq!(
        (
            s.checksums_ok,
            s.checksums_failed,
            s.gaps,
            s.resyncs,
            s.parse_errors
        ),
        (4269, 0, 0, 0, 0)
    );
    // One line per applied snapshot (10) and update (4269).
    assert_eq!((s.book_updates, lines.len()), (4279, 4279));
}

#[test]
fn binance_capture_lines_follow_update_ids() {
    let (s, lines) = run(
        &fixture("binance/BINANCE.ws.1.0"),
        Some(&fixture("binance/BINANCE.http.0.0")),
        None,
    );
    assert_eq!((s.gaps, s.parse_errors), (0, 0));
    // The first NKNUSDT line is the REST snapshot (lastUpdateId 499869752 in the http capture),
    // the next the first kept diff (u = 499869754 in the ws capture).
    let nkn: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["symbol"] == "NKN-USDT")
        .collect();
    assert_eq!(nkn[0]["seq"], 499869752u64);
    assert_eq!(nkn[1]["seq"], 499869754u64);
    assert_eq!(nkn[0]["exchange"], "binance");
    // Top of the REST snapshot, as written there.
    assert_eq!(
        nkn[0]["bids"][0],
        serde_json::json!(["0.35210000", "672.00000000"])
    );
    assert_eq!(nkn[0]["bids"].as_array().unwrap().len(), 10);
}

#[test]
fn malformed_lines_are_counted_not_fatal() {
    let ws = fixture("poloniex/POLONIEX_v3.ws.1.0");
    let mut lines: Vec<&str> = ws.lines().collect();
    lines.insert(5, "this is not a capture line");
    lines.insert(
        9,
        "1661123517.9: {\"channel\":\"book_lv2\",\"data\":[{\"symbol\":",
    );
    let broken = lines.join("\n");
    let (s, _) = run(&broken, None, None);
    let (clean, _) = run(&ws, None, None);
    assert_eq!(s.parse_errors, 2);
    assert_eq!(s.book_updates, clean.book_updates, "nothing else lost");
}

#[test]
fn unknown_venue_is_an_error_unless_given() {
    let ws = "wss://example.com/feed <-> 1.0\n1.5: {}\n";
    let options = ReplayOptions {
        venue: None,
        book_depth: None,
    };
    assert!(replay(ws, None, &options, |_| {}).is_err());
    let (s, _) = run(ws, None, Some(Exchange::Poloniex));
    assert_eq!((s.frames, s.parse_errors), (1, 1));
}

#[test]
fn okx_capture_summary() {
    let ws = fixture("okx/OKX.ws.1.0");
    let (s, lines) = run(&ws, None, None);
    // The venue comes from `ws.okx.com` in the capture's URL line.
    assert!(lines.iter().all(|l| l.starts_with(r#"{"exchange":"okx","#)));
    assert_eq!(
        (
            s.checksums_ok,
            s.checksums_failed,
            s.gaps,
            s.resyncs,
            s.parse_errors
        ),
        (290, 0, 0, 0, 0)
    );
    assert_eq!((s.book_updates, s.trades, s.tickers), (290, 74, 28));
    assert!(s.unsynced.is_empty());
}

#[test]
fn okx_replay_counts_a_changed_digit_as_one_failed_checksum() {
    // The first BTC-USDT update: one digit appended to the size of its first bid (the best
    // bid, so inside the 25 levels the checksum covers).
    let ws = fixture("okx/OKX.ws.1.0");
    let target = ws
        .lines()
        .position(|l| l.contains(r#""instId":"BTC-USDT"},"action":"update""#))
        .unwrap();
    let line = ws.lines().nth(target).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.split_once(": ").unwrap().1).unwrap();
    let level = &v["data"][0]["bids"][0];
    let (p, q) = (level[0].as_str().unwrap(), level[1].as_str().unwrap());
    let wire = format!("[\"{p}\",\"{q}\"");
    let changed = format!("[\"{p}\",\"{q}1\"");
    assert_eq!(line.matches(&wire).count(), 1);
    let broken: String = ws
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == target {
                l.replacen(&wire, &changed, 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (s, _) = run(&broken, None, None);
    assert_eq!((s.checksums_failed, s.resyncs, s.gaps), (1, 1, 0));
    // The capture holds no later BTC-USDT snapshot: that book waits (and says so); the
    // other two books are untouched.
    assert_eq!(s.unsynced, vec!["BTC-USDT".to_string()]);
    let (clean, _) = run(&ws, None, None);
    assert!(s.checksums_ok < clean.checksums_ok);
}
