//! Kraken book checksums end to end: `kraken::parse` → [`BookTracker`] → CRC32, on the recorded
//! v1 book capture (`KRAKEN.ws.50.0`, depth 1000) and on the documented v2 example
//! (`shared/docs/exchange-protocols.md` §3.5 and §3.8).

use marketfeed::exchange::{
    kraken, BookTracker, Message, Outcome, ResyncReason, SyncState, TrackerConfig,
};
use marketfeed::types::{BookSnapshot, Exchange, MarketEvent, Meta, SeqIds, Symbol, Timestamp};
use std::collections::BTreeMap;

const CAPTURE: &str = include_str!("fixtures/kraken/KRAKEN.ws.50.0");

/// The received frames of a cryptofeed capture (`<ts>: <frame>`, split on the first `": "`);
/// connection (`<->`) and sent (`<-`) lines and blank lines are skipped.
fn received(capture: &str) -> Vec<(Timestamp, &str)> {
    capture
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("wss://"))
        .map(|l| {
            let (ts, frame) = l.split_once(": ").expect("format A line");
            (
                Timestamp::parse_unix_seconds(ts).expect("receive time"),
                frame,
            )
        })
        .collect()
}

/// Outcomes of one symbol's tracker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counts {
    snapshots: usize,
    updates: usize,
    ok: usize,
    mismatches: usize,
    ignored: usize,
    other_resyncs: usize,
}

impl Counts {
    fn add(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            match o {
                Outcome::Applied { snapshot: true, .. } => self.snapshots += 1,
                Outcome::Applied {
                    snapshot: false, ..
                } => self.updates += 1,
                Outcome::ChecksumOk => self.ok += 1,
                Outcome::Resync(ResyncReason::ChecksumMismatch { .. }) => self.mismatches += 1,
                Outcome::Resync(_) => self.other_resyncs += 1,
                Outcome::Ignored => self.ignored += 1,
                other => panic!("unexpected outcome for Kraken: {other:?}"),
            }
        }
    }

    fn sum<'a>(all: impl IntoIterator<Item = &'a Counts>) -> Counts {
        all.into_iter().fold(Counts::default(), |mut t, c| {
            t.snapshots += c.snapshots;
            t.updates += c.updates;
            t.ok += c.ok;
            t.mismatches += c.mismatches;
            t.ignored += c.ignored;
            t.other_resyncs += c.other_resyncs;
            t
        })
    }
}

/// Routes book events per symbol into depth-1000 trackers and counts their outcomes.
#[derive(Default)]
struct Replay {
    trackers: BTreeMap<Symbol, BookTracker>,
    counts: BTreeMap<Symbol, Counts>,
    parse_errors: usize,
}

impl Replay {
    fn tracker(&mut self, symbol: &Symbol) -> &mut BookTracker {
        self.trackers.entry(symbol.clone()).or_insert_with(|| {
            let config = TrackerConfig {
                depth: Some(1000),
                ..Default::default()
            };
            BookTracker::new(Exchange::Kraken, symbol.clone(), config)
        })
    }

    /// Parses one frame and feeds its book events; returns each event's symbol and outcomes.
    fn frame(&mut self, at: Timestamp, frame: &str) -> Vec<(Symbol, Vec<Outcome>)> {
        let messages = match kraken::parse(frame, at) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("{e}");
                self.parse_errors += 1;
                return Vec::new();
            }
        };
        let mut fed = Vec::new();
        for message in messages {
            let mut out = Vec::new();
            let symbol = match message {
                Message::Market(MarketEvent::Snapshot(s)) => {
                    let symbol = s.meta.symbol.clone();
                    self.tracker(&symbol).on_snapshot(s, &mut out);
                    symbol
                }
                Message::Market(MarketEvent::Delta(d)) => {
                    let symbol = d.meta.symbol.clone();
                    self.tracker(&symbol).on_delta(d, &mut out);
                    symbol
                }
                _ => continue,
            };
            self.counts.entry(symbol.clone()).or_default().add(&out);
            fed.push((symbol, out));
        }
        fed
    }

    /// Feeds a snapshot that did not come from the capture (a resubscription's answer).
    fn inject(&mut self, snapshot: BookSnapshot) -> Vec<Outcome> {
        let symbol = snapshot.meta.symbol.clone();
        let mut out = Vec::new();
        self.tracker(&symbol).on_snapshot(snapshot, &mut out);
        self.counts.entry(symbol).or_default().add(&out);
        out
    }

    fn total(&self) -> Counts {
        Counts::sum(self.counts.values())
    }
}

fn btc_chf() -> Symbol {
    Symbol::parse("BTC-CHF").unwrap()
}

#[test]
fn every_checksum_of_the_v1_capture_verifies() {
    // §3.8 worked example (XBT/CHF after its first update).
    const V1_PREFIX: &str = "562183000015000000562184000029700005625060000130800056277600004267101";
    const V1_CRC: u32 = 2628179034;
    let mut replay = Replay::default();
    let mut worked_example_reached = false;
    for (at, frame) in received(CAPTURE) {
        for (symbol, _) in replay.frame(at, frame) {
            if symbol == btc_chf() && frame.contains(&format!("\"c\":\"{V1_CRC}\"")) {
                let book = replay.trackers[&symbol].book();
                let s = kraken::checksum_string(book, 5, 8).unwrap();
                assert!(s.starts_with(V1_PREFIX), "{s}");
                assert_eq!(kraken::checksum(book, 5, 8), Some(V1_CRC));
                worked_example_reached = true;
            }
        }
    }
    assert_eq!(replay.parse_errors, 0);
    let total = replay.total();
    assert_eq!(
        total,
        Counts {
            snapshots: 10,
            updates: 4269,
            ok: 4269,
            mismatches: 0,
            ignored: 0,
            other_resyncs: 0
        }
    );
    assert_eq!(replay.trackers.len(), 10);
    assert!(replay
        .trackers
        .values()
        .all(|t| *t.state() == SyncState::Live));
    assert!(
        worked_example_reached,
        "the §3.8 XBT/CHF example was not reached"
    );
}

/// The update whose one digit is changed: XBT/CHF's best bid `56119.00000` gets quantity
/// `0.09837188` instead of `0.09837187` (in the top 10, so the very next checksum sees it).
const CORRUPT_LINE: &str = "1618678149.666411: ";
const TRUE_QTY: &str = "\"0.09837187\"";
const WRONG_QTY: &str = "\"0.09837188\"";
const CORRUPT_CRC: u32 = 1506159216;
/// XBT/CHF updates left unanswered before the emulated resubscription delivers a snapshot.
const IGNORED_BEFORE_RESUBSCRIBE: usize = 5;

#[test]
fn a_corrupted_level_is_caught_and_a_fresh_snapshot_recovers() {
    let corrupted: String = CAPTURE
        .split_inclusive('\n')
        .map(|l| {
            if l.starts_with(CORRUPT_LINE) {
                assert_eq!(l.matches(TRUE_QTY).count(), 1);
                l.replace(TRUE_QTY, WRONG_QTY)
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_eq!(corrupted.len(), CAPTURE.len());
    let clean_frames = received(CAPTURE);
    let bad_frames = received(&corrupted);
    let differing: Vec<usize> = (0..clean_frames.len())
        .filter(|&i| clean_frames[i] != bad_frames[i])
        .collect();
    assert_eq!(differing.len(), 1, "exactly one frame changed");
    let corrupt_at = differing[0];

    let (mut clean, mut bad) = (Replay::default(), Replay::default());
    let mut mismatch_frames = Vec::new();
    let mut resubscribed_at = None;
    let (mut updates_after, mut ok_after) = (0, 0);
    for (i, (c, b)) in clean_frames.iter().zip(&bad_frames).enumerate() {
        clean.frame(c.0, c.1);
        for (symbol, outcomes) in bad.frame(b.0, b.1) {
            let mismatch = outcomes
                .iter()
                .any(|o| matches!(o, Outcome::Resync(ResyncReason::ChecksumMismatch { .. })));
            if mismatch {
                mismatch_frames.push((i, symbol.clone()));
            }
            if symbol != btc_chf() || i <= corrupt_at {
                continue;
            }
            if resubscribed_at.is_none() {
                assert_eq!(
                    outcomes,
                    vec![Outcome::Ignored],
                    "frame {i}: waits for a snapshot"
                );
            } else {
                updates_after += 1;
                ok_after += usize::from(outcomes.contains(&Outcome::ChecksumOk));
            }
        }
        if i == corrupt_at {
            let state = bad.trackers[&btc_chf()].state().clone();
            let SyncState::Resyncing(ResyncReason::ChecksumMismatch { expected, computed }) = state
            else {
                panic!("{state:?}")
            };
            assert_eq!(expected, CORRUPT_CRC);
            assert_ne!(computed, CORRUPT_CRC);
        }
        let ignored = bad.counts.get(&btc_chf()).map_or(0, |c| c.ignored);
        if resubscribed_at.is_none() && ignored == IGNORED_BEFORE_RESUBSCRIBE {
            // The exchange's answer to unsubscribe + subscribe: a snapshot of the true book.
            let truth = clean.trackers[&btc_chf()].book();
            let snapshot = BookSnapshot {
                meta: Meta {
                    exchange: Exchange::Kraken,
                    symbol: btc_chf(),
                    exchange_time: None,
                    received_at: c.0,
                },
                bids: truth.bids().collect(),
                asks: truth.asks().collect(),
                seq: SeqIds::default(),
                checksum: None,
            };
            let out = bad.inject(snapshot);
            assert_eq!(
                out,
                vec![Outcome::Applied {
                    update_id: None,
                    snapshot: true
                }]
            );
            assert_eq!(*bad.trackers[&btc_chf()].state(), SyncState::Live);
            resubscribed_at = Some(i);
        }
    }

    assert_eq!(bad.parse_errors, 0);
    assert_eq!(
        mismatch_frames,
        vec![(corrupt_at, btc_chf())],
        "one mismatch, at that update"
    );
    assert!(resubscribed_at.is_some());
    assert!(updates_after > 0);
    assert_eq!(
        ok_after, updates_after,
        "every later XBT/CHF checksum verifies again"
    );

    let (good, hurt) = (&clean.counts[&btc_chf()], &bad.counts[&btc_chf()]);
    assert_eq!(good.ok, 289);
    assert_eq!(
        *hurt,
        Counts {
            snapshots: 2,
            updates: good.updates - IGNORED_BEFORE_RESUBSCRIBE,
            ok: good.ok - 1 - IGNORED_BEFORE_RESUBSCRIBE,
            mismatches: 1,
            ignored: IGNORED_BEFORE_RESUBSCRIBE,
            other_resyncs: 0,
        }
    );
    assert_eq!(
        bad.trackers[&btc_chf()].book().top(1000),
        clean.trackers[&btc_chf()].book().top(1000)
    );
    for (symbol, counts) in &clean.counts {
        if *symbol != btc_chf() {
            assert_eq!(&bad.counts[symbol], counts, "{symbol} is unaffected");
        }
    }
    assert_eq!(clean.total().ok, 4269);
    assert_eq!(bad.total().ok, 4269 - 1 - IGNORED_BEFORE_RESUBSCRIBE);
}

#[test]
fn the_documented_v2_snapshot_verifies() {
    // §3.5: the official BTC/USD snapshot, price_precision 1, qty_precision 8.
    let frame = r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD",
        "bids":[{"price":45283.5,"qty":0.10000000},{"price":45283.4,"qty":1.54582015},
                {"price":45282.1,"qty":0.10000000},{"price":45281.0,"qty":0.10000000},
                {"price":45280.3,"qty":1.54592586},{"price":45279.0,"qty":0.07990000},
                {"price":45277.6,"qty":0.03310103},{"price":45277.5,"qty":0.30000000},
                {"price":45277.3,"qty":1.54602737},{"price":45276.6,"qty":0.15445238}],
        "asks":[{"price":45285.2,"qty":0.00100000},{"price":45286.4,"qty":1.54571953},
                {"price":45286.6,"qty":1.54571109},{"price":45289.6,"qty":1.54560911},
                {"price":45290.2,"qty":0.15890660},{"price":45291.8,"qty":1.54553491},
                {"price":45294.7,"qty":0.04454749},{"price":45296.1,"qty":0.35380000},
                {"price":45297.5,"qty":0.09945542},{"price":45299.5,"qty":0.18772827}],
        "checksum":3310070434,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#;
    let mut messages = kraken::parse(frame, Timestamp::from_unix_millis(1)).unwrap();
    let Some(Message::Market(MarketEvent::Snapshot(snapshot))) = messages.pop() else {
        panic!("not a snapshot")
    };
    assert_eq!(snapshot.meta.symbol.as_str(), "BTC-USD");
    let config = TrackerConfig {
        depth: Some(10),
        checksum_precision: Some((1, 8)),
        max_levels: None,
    };
    let mut tracker = BookTracker::new(Exchange::Kraken, snapshot.meta.symbol.clone(), config);
    let mut out = Vec::new();
    tracker.on_snapshot(snapshot, &mut out);
    assert_eq!(
        out,
        vec![
            Outcome::Applied {
                update_id: None,
                snapshot: true
            },
            Outcome::ChecksumOk
        ]
    );
    assert_eq!(kraken::checksum(tracker.book(), 1, 8), Some(3310070434));
    let s = kraken::checksum_string(tracker.book(), 1, 8).unwrap();
    assert!(
        s.starts_with("452852100000452864154571953452866154571109"),
        "{s}"
    );
    let bids_at = s.find("45283510000000452834154582015").expect("bids part");
    assert!(
        s[..bids_at].ends_with("45299518772827"),
        "asks come first: {s}"
    );

    // The tracker set up from the instrument channel instead of the config agrees.
    let mut later = BookTracker::new(Exchange::Kraken, btc_usd(), TrackerConfig::default());
    later.set_checksum_precision(1, 8);
    let Some(Message::Market(MarketEvent::Snapshot(again))) =
        kraken::parse(frame, Timestamp::from_unix_millis(2))
            .unwrap()
            .pop()
    else {
        panic!()
    };
    let mut out = Vec::new();
    later.on_snapshot(again, &mut out);
    assert!(out.contains(&Outcome::ChecksumOk));
}

fn btc_usd() -> Symbol {
    Symbol::parse("BTC-USD").unwrap()
}
