//! Poloniex v3 `book_lv2` sequencing on a real recorded session
//! (`tests/fixtures/poloniex/POLONIEX_v3.ws.1.0`, 11 symbols, 30 s): every received frame is
//! parsed, book events go through one [`BookTracker`] per symbol, trades are checked against
//! the raw JSON.

use marketfeed::exchange::{parse, Control, ResyncReason};
use marketfeed::types::{Exchange, MarketEvent, SeqIds, Symbol, Timestamp, Trade};
use marketfeed::{BookTracker, Message, Outcome, SyncState, TrackerConfig};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

const CAPTURE: &str = include_str!("fixtures/poloniex/POLONIEX_v3.ws.1.0");

/// The received frames of a format-A capture: `<unix_ts>: <frame>`, split on the first `": "`.
/// Connection (`wss://… <->`) and sent (`wss://… <-`) lines and blank lines are skipped.
fn received(capture: &str) -> Vec<(Timestamp, &str)> {
    capture
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("wss://"))
        .map(|l| {
            let (ts, frame) = l.split_once(": ").expect("received line has `<ts>: `");
            (
                Timestamp::parse_unix_seconds(ts).expect("receive time"),
                frame,
            )
        })
        .collect()
}

/// What happened to one symbol's book.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Counts {
    snapshots: usize,
    updates: usize,
    ignored: usize,
    stale: usize,
    resyncs: Vec<ResyncReason>,
}

#[derive(Debug, Default)]
struct Replay {
    books: BTreeMap<Symbol, BookTracker>,
    counts: BTreeMap<Symbol, Counts>,
    /// Trades with the frame they came from.
    trades: Vec<(Trade, String)>,
    subscribed: Vec<Control>,
    parse_errors: usize,
    /// Updates whose `lastId` equals the previous `id` of the same symbol in the stream.
    chained: usize,
    /// Updates whose `id` is more than `lastId + 1` (the chain, not `+1`, is the rule).
    jumps: usize,
}

fn replay(frames: &[(Timestamp, &str)]) -> Replay {
    let mut r = Replay::default();
    let mut last_seen: BTreeMap<Symbol, u64> = BTreeMap::new();
    for (at, frame) in frames {
        let messages = match parse(Exchange::Poloniex, frame, *at) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("{e}");
                r.parse_errors += 1;
                continue;
            }
        };
        for message in messages {
            let event = match message {
                Message::Market(e) => e,
                Message::Control(c) => {
                    r.subscribed.push(c);
                    continue;
                }
            };
            let symbol = event.meta().symbol.clone();
            let tracker = r.books.entry(symbol.clone()).or_insert_with(|| {
                BookTracker::new(Exchange::Poloniex, symbol.clone(), TrackerConfig::default())
            });
            let mut out = Vec::new();
            match event {
                MarketEvent::Snapshot(s) => {
                    last_seen.insert(symbol.clone(), s.seq.last_id.expect("snapshot id"));
                    tracker.on_snapshot(s, &mut out);
                }
                MarketEvent::Delta(d) => {
                    let SeqIds {
                        first_id,
                        last_id,
                        prev_id,
                    } = d.seq;
                    assert_eq!(first_id, last_id);
                    let prev = last_seen.insert(symbol.clone(), last_id.expect("update id"));
                    if prev.is_some() && prev == prev_id {
                        r.chained += 1;
                    }
                    if last_id > prev_id.map(|p| p + 1) {
                        r.jumps += 1;
                    }
                    tracker.on_delta(d, &mut out);
                }
                MarketEvent::Trade(t) => {
                    r.trades.push((t, frame.to_string()));
                    continue;
                }
                other => panic!("unexpected event {other:?}"),
            }
            if *tracker.state() == SyncState::Live {
                assert_eq!(tracker.book().check_crossed(), Ok(()), "{symbol} crossed");
                assert!(tracker.book().len(marketfeed::types::Side::Bid) <= 20);
                assert!(tracker.book().len(marketfeed::types::Side::Ask) <= 20);
            }
            let c = r.counts.entry(symbol).or_default();
            for o in out {
                match o {
                    Outcome::Applied { snapshot: true, .. } => c.snapshots += 1,
                    Outcome::Applied {
                        snapshot: false, ..
                    } => c.updates += 1,
                    Outcome::Ignored => c.ignored += 1,
                    Outcome::Stale => c.stale += 1,
                    Outcome::Resync(reason) => c.resyncs.push(reason),
                    other => panic!("unexpected outcome {other:?}"),
                }
            }
        }
    }
    r
}

fn total(r: &Replay, f: impl Fn(&Counts) -> usize) -> usize {
    r.counts.values().map(f).sum()
}

fn sym(s: &str) -> Symbol {
    Symbol::from_venue(Exchange::Poloniex, s).unwrap()
}

/// A string field of the first `data` element of a trades frame, as an exact decimal.
fn raw_decimal(frame: &str, field: &str) -> Decimal {
    let v: serde_json::Value = serde_json::from_str(frame).unwrap();
    Decimal::from_str(v["data"][0][field].as_str().unwrap()).unwrap()
}

#[test]
fn full_session_syncs_every_book_and_chains_every_update() {
    let frames = received(CAPTURE);
    let r = replay(&frames);

    assert_eq!(r.parse_errors, 0);
    assert_eq!(r.books.len(), 11);
    assert_eq!(total(&r, |c| c.snapshots), 11);
    assert_eq!(total(&r, |c| c.updates), 283);
    assert_eq!(r.chained, 283, "lastId == previous id for every update");
    // BTC_USDT's ids skip values 32 times while the `lastId` chain holds: a sequencer that
    // demanded `id == previous id + 1` would resync a healthy book.
    assert_eq!(r.jumps, 32);
    assert_eq!(total(&r, |c| c.resyncs.len()), 0);
    assert_eq!(total(&r, |c| c.ignored + c.stale), 0);
    for (symbol, tracker) in &r.books {
        assert_eq!(*tracker.state(), SyncState::Live, "{symbol}");
    }
    let per_symbol: BTreeMap<&str, usize> = r
        .counts
        .iter()
        .map(|(s, c)| (s.as_str(), c.updates))
        .filter(|(_, n)| *n > 0)
        .collect();
    let expected = [
        ("BCH-BTC", 24),
        ("BCH-USDT", 56),
        ("BTC-USDT", 159),
        ("GRT-USDT", 2),
        ("SOL-USDT", 39),
        ("USDJ-USDT", 3),
    ];
    assert_eq!(per_symbol, expected.into_iter().collect());
    assert_eq!(r.books[&sym("BTC_USDT")].last_update_id(), Some(4485905));

    // Two acknowledgements (trades, book_lv2), one control message per symbol each.
    assert_eq!(r.subscribed.len(), 22);
    assert!(r.subscribed.iter().all(|c| matches!(
        c,
        Control::Subscribed {
            symbol: Some(_),
            ..
        }
    )));

    assert_eq!(r.trades.len(), 6);
    for (t, frame) in &r.trades {
        assert_eq!(
            t.qty,
            raw_decimal(frame, "quantity"),
            "qty is `quantity`: {frame}"
        );
        assert_eq!(t.price, raw_decimal(frame, "price"));
        assert_eq!(
            t.price * t.qty,
            raw_decimal(frame, "amount"),
            "amount = price × quantity"
        );
        assert!(t.id.is_some());
    }
    let btc: Vec<u64> = r
        .trades
        .iter()
        .filter(|(t, _)| t.meta.symbol == sym("BTC_USDT"))
        .filter_map(|(t, _)| t.id)
        .collect();
    assert_eq!(btc, vec![60184114, 60184115, 60184116, 60184117]);
}

#[test]
fn a_lost_update_resyncs_only_its_symbol() {
    let frames = received(CAPTURE);
    let full = replay(&frames);

    // Drop BTC_USDT's fourth update (`lastId` 4485678, `id` 4485679).
    let removed: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, (_, f))| {
            f.contains(r#""symbol":"BTC_USDT""#) && f.contains(r#""id":4485679,"#)
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(removed.len(), 1);
    let removed = removed[0];
    let delta_seq = |frame: &str| match parse(Exchange::Poloniex, frame, Timestamp::default()) {
        Ok(mut m) => match m.pop() {
            Some(Message::Market(MarketEvent::Delta(d))) => d.seq,
            other => panic!("{other:?}"),
        },
        Err(e) => panic!("{e}"),
    };
    let gone = delta_seq(frames[removed].1);
    let next = frames[removed + 1..]
        .iter()
        .find(|(_, f)| f.contains(r#""symbol":"BTC_USDT""#) && f.contains(r#""action":"update""#))
        .map(|(_, f)| delta_seq(f))
        .unwrap();
    assert_eq!(next.prev_id, gone.last_id);

    let mut cut = frames.clone();
    cut.remove(removed);
    let r = replay(&cut);

    assert_eq!(r.parse_errors, 0);
    let btc = &r.counts[&sym("BTC_USDT")];
    let expected = ResyncReason::Gap {
        expected: gone.prev_id.unwrap(),
        received: next.prev_id.unwrap(),
    };
    assert_eq!(btc.resyncs, vec![expected.clone()]);
    assert_eq!(
        expected,
        ResyncReason::Gap {
            expected: 4485678,
            received: 4485679
        }
    );
    assert_eq!(btc.snapshots, 1);
    assert_eq!(btc.updates, 3, "the three updates before the loss");
    // 159 updates: 3 applied, 1 removed, 1 found the gap, the rest wait for a snapshot.
    assert_eq!(btc.ignored, 154);
    assert_eq!(btc.stale, 0);
    assert!(matches!(
        r.books[&sym("BTC_USDT")].state(),
        SyncState::Resyncing(ResyncReason::Gap { .. })
    ));

    for (symbol, counts) in &full.counts {
        if *symbol != sym("BTC_USDT") {
            assert_eq!(&r.counts[symbol], counts, "{symbol} unaffected");
            assert_eq!(*r.books[symbol].state(), SyncState::Live, "{symbol}");
        }
    }
    assert_eq!(total(&r, |c| c.updates), 283 - 156);
    assert_eq!(total(&r, |c| c.resyncs.len()), 1);
}
