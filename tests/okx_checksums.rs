//! OKX book checksums end to end: `okx::parse` → [`BookTracker`] → CRC32, on the recorded
//! capture (`tests/fixtures/okx/OKX.ws.1.0`: spot, swap and future `books`, 2022, checksums
//! on every message, no `seqId`), checked against the checksums OKX sent.

use marketfeed::exchange::{okx, BookTracker, Message, Outcome, ResyncReason, SyncState};
use marketfeed::types::{
    BookSnapshot, Checksum, Exchange, MarketEvent, Meta, SeqIds, Symbol, Timestamp,
};
use std::collections::BTreeMap;

const CAPTURE: &str = include_str!("fixtures/okx/OKX.ws.1.0");

fn received(capture: &str) -> Vec<(Timestamp, String)> {
    capture
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("wss://"))
        .map(|l| {
            let (ts, frame) = l.split_once(": ").expect("format A line");
            (
                Timestamp::parse_unix_seconds(ts).unwrap(),
                frame.to_string(),
            )
        })
        .collect()
}

/// Per-symbol trackers at the venue's default depth (400), with every outcome kept.
#[derive(Default)]
struct Books {
    trackers: BTreeMap<Symbol, BookTracker>,
    outcomes: BTreeMap<Symbol, Vec<Outcome>>,
    /// The last checksum OKX sent per symbol.
    last_checksum: BTreeMap<Symbol, Checksum>,
}

impl Books {
    fn tracker(&mut self, s: &Symbol) -> &mut BookTracker {
        self.trackers
            .entry(s.clone())
            .or_insert_with(|| BookTracker::new(Exchange::Okx, s.clone(), Default::default()))
    }

    /// Feeds one frame; returns each book event's symbol and outcomes.
    fn frame(&mut self, at: Timestamp, frame: &str) -> Vec<(Symbol, Vec<Outcome>)> {
        let mut fed = Vec::new();
        for m in okx::parse(frame, at).unwrap_or_else(|e| panic!("{e}")) {
            let mut out = Vec::new();
            let symbol = match m {
                Message::Market(MarketEvent::Snapshot(s)) => {
                    let sym = s.meta.symbol.clone();
                    self.last_checksum.insert(sym.clone(), s.checksum.unwrap());
                    self.tracker(&sym).on_snapshot(s, &mut out);
                    sym
                }
                Message::Market(MarketEvent::Delta(d)) => {
                    let sym = d.meta.symbol.clone();
                    self.last_checksum.insert(sym.clone(), d.checksum.unwrap());
                    self.tracker(&sym).on_delta(d, &mut out);
                    sym
                }
                _ => continue,
            };
            self.outcomes
                .entry(symbol.clone())
                .or_default()
                .extend(out.clone());
            fed.push((symbol, out));
        }
        fed
    }

    fn count(&self, s: &Symbol, want: impl Fn(&Outcome) -> bool) -> usize {
        self.outcomes
            .get(s)
            .map_or(0, |o| o.iter().filter(|x| want(x)).count())
    }
}

fn ok(o: &Outcome) -> bool {
    *o == Outcome::ChecksumOk
}

fn mismatch(o: &Outcome) -> bool {
    matches!(o, Outcome::Resync(ResyncReason::ChecksumMismatch { .. }))
}

/// The non-zero `checksum` fields of the capture, counted with serde_json.
fn checksums_in_the_file() -> usize {
    received(CAPTURE)
        .iter()
        .filter_map(|(_, f)| serde_json::from_str::<serde_json::Value>(f).ok())
        .filter(|v| v["arg"]["channel"] == "books")
        .flat_map(|v| v["data"].as_array().cloned().unwrap_or_default())
        .filter(|d| d["checksum"].as_i64().is_some_and(|c| c != 0))
        .count()
}

#[test]
fn every_checksum_of_the_capture_verifies() {
    let mut books = Books::default();
    for (at, frame) in received(CAPTURE) {
        books.frame(at, &frame);
    }
    assert_eq!(checksums_in_the_file(), 290);
    let total_ok: usize = books.trackers.keys().map(|s| books.count(s, ok)).sum();
    let resyncs: usize = books
        .trackers
        .keys()
        .map(|s| books.count(s, |o| matches!(o, Outcome::Resync(_))))
        .sum();
    assert_eq!((total_ok, resyncs), (290, 0));
    assert_eq!(books.trackers.len(), 3);
    for t in books.trackers.values() {
        assert_eq!(*t.state(), SyncState::Live, "{}", t.symbol());
    }
}

fn btc_usdt() -> Symbol {
    Symbol::parse("BTC-USDT").unwrap()
}

/// BTC-USDT updates left unanswered before the emulated resubscription delivers a snapshot.
const IGNORED_BEFORE_RESUBSCRIBE: usize = 3;

/// The frame index and the level (`["price","size"`) of the first BTC-USDT update after
/// the first 10 whose first changed bid or ask stays in the top 25 of the true book: a
/// digit changed there must change the checksum.
fn level_to_corrupt(frames: &[(Timestamp, String)]) -> (usize, String) {
    let mut clean = Books::default();
    let mut updates = 0;
    for (i, (at, frame)) in frames.iter().enumerate() {
        let fed = clean.frame(*at, frame);
        if !fed.iter().any(|(s, _)| *s == btc_usdt()) || !frame.contains("\"update\"") {
            continue;
        }
        updates += 1;
        if updates <= 10 {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(frame).unwrap();
        let book = clean.trackers[&btc_usdt()].book();
        let top = book.top(25);
        for side in ["bids", "asks"] {
            for level in v["data"][0][side].as_array().unwrap() {
                let (p, q) = (level[0].as_str().unwrap(), level[1].as_str().unwrap());
                let price: rust_decimal::Decimal = p.parse().unwrap();
                let in_top = top.bids.iter().chain(&top.asks).any(|l| l.price == price);
                if q != "0" && in_top {
                    return (i, format!("[\"{p}\",\"{q}\""));
                }
            }
        }
    }
    panic!("no level to corrupt")
}

/// The level with the last digit of its size changed (never to a deletion).
fn changed_digit(level: &str) -> String {
    let body = level.trim_end_matches('"');
    let last = body.chars().last().unwrap();
    let d = last.to_digit(10).unwrap();
    let new = if d == 9 { 8 } else { d + 1 };
    format!("{}{new}\"", &body[..body.len() - 1])
}

#[test]
fn a_changed_digit_is_caught_and_a_fresh_snapshot_recovers() {
    let frames = received(CAPTURE);
    let (corrupt_at, level) = level_to_corrupt(&frames);
    let wrong = changed_digit(&level);
    assert_ne!(level, wrong);
    let bad_frames: Vec<(Timestamp, String)> = frames
        .iter()
        .enumerate()
        .map(|(i, (at, f))| {
            if i == corrupt_at {
                assert_eq!(f.matches(&level).count(), 1, "{f}");
                (*at, f.replacen(&level, &wrong, 1))
            } else {
                (*at, f.clone())
            }
        })
        .collect();

    let (mut clean, mut bad) = (Books::default(), Books::default());
    let mut mismatches = Vec::new();
    let mut resubscribed_at = None;
    let (mut ignored, mut updates_after, mut ok_after) = (0, 0, 0);
    for (i, ((c_at, c), (b_at, b))) in frames.iter().zip(&bad_frames).enumerate() {
        clean.frame(*c_at, c);
        for (symbol, outcomes) in bad.frame(*b_at, b) {
            if outcomes.iter().any(mismatch) {
                mismatches.push((i, symbol.clone()));
            }
            if symbol != btc_usdt() || i <= corrupt_at {
                continue;
            }
            if resubscribed_at.is_none() {
                assert_eq!(
                    outcomes,
                    vec![Outcome::Ignored],
                    "frame {i}: waits for a snapshot"
                );
                ignored += 1;
            } else {
                updates_after += 1;
                ok_after += usize::from(outcomes.contains(&Outcome::ChecksumOk));
            }
        }
        if i == corrupt_at {
            let state = bad.trackers[&btc_usdt()].state().clone();
            let SyncState::Resyncing(ResyncReason::ChecksumMismatch { expected, computed }) = state
            else {
                panic!("{state:?}")
            };
            assert_eq!(expected, bad.last_checksum[&btc_usdt()].value());
            assert_ne!(computed, expected);
        }
        if resubscribed_at.is_none() && ignored == IGNORED_BEFORE_RESUBSCRIBE {
            // OKX's answer to unsubscribe + subscribe: a snapshot of the true book, with the
            // checksum OKX sent for that book (the last clean frame's).
            let truth = clean.trackers[&btc_usdt()].book();
            let snapshot = BookSnapshot {
                meta: Meta {
                    exchange: Exchange::Okx,
                    symbol: btc_usdt(),
                    exchange_time: None,
                    received_at: *c_at,
                },
                bids: truth.bids().collect(),
                asks: truth.asks().collect(),
                seq: SeqIds::default(),
                checksum: Some(clean.last_checksum[&btc_usdt()]),
            };
            let mut out = Vec::new();
            bad.tracker(&btc_usdt()).on_snapshot(snapshot, &mut out);
            assert_eq!(
                out,
                vec![
                    Outcome::Applied {
                        update_id: None,
                        snapshot: true
                    },
                    Outcome::ChecksumOk
                ],
                "the next snapshot verifies again"
            );
            resubscribed_at = Some(i);
        }
    }
    assert_eq!(
        mismatches,
        vec![(corrupt_at, btc_usdt())],
        "one mismatch, at that update"
    );
    assert!(resubscribed_at.is_some());
    assert!(updates_after > 0);
    assert_eq!(
        ok_after, updates_after,
        "every later BTC-USDT checksum verifies again"
    );
    assert_eq!(
        bad.trackers[&btc_usdt()].book().top(400),
        clean.trackers[&btc_usdt()].book().top(400)
    );
    for (symbol, outcomes) in &clean.outcomes {
        if *symbol != btc_usdt() {
            assert_eq!(&bad.outcomes[symbol], outcomes, "{symbol} is unaffected");
        }
    }
}
