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
