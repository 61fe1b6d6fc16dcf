//! Regression tests, each named after the bug it pins down (issue 10, "bounded and
//! unkillable under a hostile or broken peer"). Pure: frames go through the venues' `parse`
//! and the [`BookTracker`]; the oracles are the venues' own checksums and update ids and a
//! naive model of the book the frames describe.

use marketfeed::book::OrderBook;
use marketfeed::exchange::{
    kraken, parse, BookTracker, Message, Outcome, ResyncReason, SyncState, TrackerConfig,
};
use marketfeed::types::{Exchange, Level, MarketEvent, Side, Symbol, Timestamp};
use rust_decimal::Decimal;
use std::str::FromStr;

const T: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// Parses `frame` and feeds its book events to `t`; returns the outcomes.
fn feed(t: &mut BookTracker, frame: &str) -> Vec<Outcome> {
    let mut out = Vec::new();
    for m in parse(t.exchange(), frame, T).unwrap_or_else(|e| panic!("{e}")) {
        match m {
            Message::Market(MarketEvent::Snapshot(s)) => t.on_snapshot(s, &mut out),
            Message::Market(MarketEvent::Delta(d)) => t.on_delta(d, &mut out),
            _ => {}
        }
    }
    out
}

fn levels(book: &OrderBook, side: Side) -> Vec<(Decimal, Decimal)> {
    let it: Box<dyn Iterator<Item = Level>> = match side {
        Side::Bid => Box::new(book.bids()),
        Side::Ask => Box::new(book.asks()),
    };
    it.map(|l| (l.price, l.qty)).collect()
}

/// A Kraken v2 `book` frame whose checksum is the CRC32 of the levels it describes (the
/// venue's algorithm over the book those levels make, `docs.kraken.com` "book checksum").
fn kraken_v2_book(kind: &str, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> String {
    let lv = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(p, q)| format!(r#"{{"price":{p},"qty":{q}}}"#))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut model = OrderBook::new();
    for (p, q) in bids {
        model.set(Side::Bid, d(p), d(q)).unwrap();
    }
    for (p, q) in asks {
        model.set(Side::Ask, d(p), d(q)).unwrap();
    }
    let sum = kraken::checksum(&model, 1, 8).unwrap_or(0);
    format!(
        r#"{{"channel":"book","type":"{kind}","data":[{{"symbol":"BTC/USD","bids":[{}],"asks":[{}],"checksum":{sum},"timestamp":"2023-10-06T17:35:55.440295Z"}}]}}"#,
        lv(bids),
        lv(asks)
    )
}

/// Issue 10 item 1: one level priced `0.000000000000000001` raised the book's price scale to
/// 18 decimals for good, after which every good snapshot was refused with
/// `PriceOutOfRange` (45283.5 no longer fits an i64 key at 18 decimals). A fresh snapshot
/// must rebuild the book at its own scale — on every venue.
#[test]
fn price_scale_poison_recovers_on_snapshot() {
    const POISON: &str = "0.000000000000000001";
    // Kraken v2: a snapshot holding only the poison level, then the documented snapshot.
    let mut k = BookTracker::new(
        Exchange::Kraken,
        sym("BTC-USD"),
        TrackerConfig {
            depth: Some(10),
            checksum_precision: Some((1, 8)),
            max_levels: None,
        },
    );
    feed(&mut k, &kraken_v2_book("snapshot", &[(POISON, "1")], &[]));
    let good_bids = [("45283.5", "0.10000000"), ("45281.0", "0.10000000")];
    let good_asks = [("45285.2", "0.00100000")];
    let out = feed(&mut k, &kraken_v2_book("snapshot", &good_bids, &good_asks));
    assert_eq!(k.state(), &SyncState::Live, "{out:?}");
    assert!(out.contains(&Outcome::ChecksumOk), "{out:?}");
    assert_eq!(
        levels(k.book(), Side::Bid),
        vec![(d("45283.5"), d("0.1")), (d("45281.0"), d("0.1"))]
    );

    // Binance: a REST snapshot with the poison bid, refused or not, must not keep the next
    // good snapshot out.
    let mut b = BookTracker::new(Exchange::Binance, sym("BTC-USDT"), TrackerConfig::default());
    let wire = "BTCUSDT";
    let snap = |id: u64, bids: &str, asks: &str| {
        marketfeed::exchange::binance::parse_depth_snapshot(
            Exchange::Binance,
            wire,
            &format!(r#"{{"lastUpdateId":{id},"bids":{bids},"asks":{asks}}}"#),
            T,
        )
        .unwrap()
    };
    let mut out = Vec::new();
    b.on_snapshot(
        snap(100, &format!(r#"[["{POISON}","1.00000000"]]"#), "[]"),
        &mut out,
    );
    let mut out = Vec::new();
    b.on_snapshot(
        snap(
            200,
            r#"[["45283.50000000","0.10000000"]]"#,
            r#"[["45285.20000000","0.00100000"]]"#,
        ),
        &mut out,
    );
    assert_eq!(b.state(), &SyncState::Live, "{out:?}");
    assert_eq!(b.last_update_id(), Some(200));
    assert_eq!(
        levels(b.book(), Side::Ask),
        vec![(d("45285.2"), d("0.001"))]
    );

    // Poloniex: in-stream snapshots carry their own `id`.
    let mut p = BookTracker::new(
        Exchange::Poloniex,
        sym("BTC-USDT"),
        TrackerConfig::default(),
    );
    let polo = |id: u64, bids: &str, asks: &str| {
        format!(
            r#"{{"channel":"book_lv2","action":"snapshot","data":[{{"symbol":"BTC_USDT","createTime":1,"asks":{asks},"bids":{bids},"lastId":{},"id":{id},"ts":1}}]}}"#,
            id - 1
        )
    };
    feed(&mut p, &polo(10, &format!(r#"[["{POISON}","1"]]"#), "[]"));
    let out = feed(
        &mut p,
        &polo(20, r#"[["45283.5","0.1"]]"#, r#"[["45285.2","0.001"]]"#),
    );
    assert_eq!(p.state(), &SyncState::Live, "{out:?}");
    assert_eq!(p.last_update_id(), Some(20));
    assert_eq!(levels(p.book(), Side::Bid), vec![(d("45283.5"), d("0.1"))]);
}

/// Issue 10 item 1, second half: a level that cannot be keyed together with the rest of its
/// snapshot (18 decimals beside 45285.2) is reported as a book error, the snapshot is not
/// applied, and it leaves nothing behind for the next snapshot.
#[test]
fn unkeyable_snapshot_level_is_reported_and_forgotten() {
    let mut b = BookTracker::new(Exchange::Binance, sym("BTC-USDT"), TrackerConfig::default());
    let snap = |id: u64, bids: &str| {
        marketfeed::exchange::binance::parse_depth_snapshot(
            Exchange::Binance,
            "BTCUSDT",
            &format!(
                r#"{{"lastUpdateId":{id},"bids":{bids},"asks":[["45285.20000000","1.00000000"]]}}"#
            ),
            T,
        )
        .unwrap()
    };
    let mut out = Vec::new();
    b.on_snapshot(
        snap(100, r#"[["0.000000000000000001","1.00000000"]]"#),
        &mut out,
    );
    assert!(
        out.iter().any(|o| matches!(
            o,
            Outcome::Resync(ResyncReason::Book(
                marketfeed::book::BookError::PriceOutOfRange(_)
            ))
        )),
        "{out:?}"
    );
    assert!(out.contains(&Outcome::FetchSnapshot), "{out:?}");
    assert_ne!(b.state(), &SyncState::Live);
    let mut out = Vec::new();
    b.on_snapshot(snap(200, r#"[["45283.50000000","1.00000000"]]"#), &mut out);
    assert_eq!(b.state(), &SyncState::Live, "{out:?}");
    assert_eq!(b.book().price_scale(), 8);
}

/// Issue 10 item 2: a Kraken v2 timestamp after 2554 overflowed `u64` nanoseconds; the
/// unchecked multiply panicked in debug builds (killing the arbiter thread) and wrapped in
/// release. It is a typed parse error now, as is a Binance or Poloniex millisecond time past
/// the same end.
#[test]
fn kraken_timestamp_after_2554_is_a_parse_error_not_a_panic() {
    use marketfeed::exchange::ParseErrorKind;
    for ts in ["2600-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z"] {
        let frame = format!(
            r#"{{"channel":"book","type":"update","data":[{{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":0,"timestamp":"{ts}"}}]}}"#
        );
        let err = parse(Exchange::Kraken, &frame, T).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Field("timestamp"), "{ts}");
    }
    // The last representable instant still parses: 2554-07-21T23:34:33Z is
    // floor(u64::MAX / 1e9) = 18446744073 s after the epoch.
    let ok = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":0,"timestamp":"2554-07-21T23:34:33Z"}]}"#;
    let Message::Market(MarketEvent::Delta(d)) = parse(Exchange::Kraken, ok, T).unwrap().remove(0)
    else {
        panic!("a delta")
    };
    assert_eq!(
        d.meta.exchange_time.unwrap().as_unix_nanos(),
        18_446_744_073_000_000_000
    );
    let binance =
        r#"{"e":"depthUpdate","E":18446744073709552,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}"#;
    let err = parse(Exchange::Binance, binance, T).unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::Field("time"));
}

/// The received frame on line `n` (1-based) of a cryptofeed capture (`<ts>: <frame>`).
fn capture_line(capture: &'static str, n: usize) -> &'static str {
    capture
        .lines()
        .nth(n - 1)
        .unwrap()
        .split_once(": ")
        .unwrap()
        .1
}

const KRAKEN_V1: &str = include_str!("fixtures/kraken/KRAKEN.ws.50.0");

/// A depth-1000 Kraken v1 tracker for ADA/XBT, live on the capture's snapshot (line 15) and
/// its first update (line 153, checksum verified).
fn live_ada_xbt() -> BookTracker {
    let mut t = BookTracker::new(
        Exchange::Kraken,
        sym("ADA-XBT"),
        TrackerConfig {
            depth: Some(1000),
            checksum_precision: None,
            max_levels: None,
        },
    );
    feed(&mut t, capture_line(KRAKEN_V1, 15));
    let out = feed(&mut t, capture_line(KRAKEN_V1, 153));
    assert!(out.contains(&Outcome::ChecksumOk), "{out:?}");
    t
}

/// Issue 10 item 8: a Kraken v1 update with its checksum `c` removed, and
/// `[1360,[[]],"book-1000","ADA/XBT"]` (read as an empty snapshot), changed a live book
/// unverified. Checksums are always on: both are bad frames, and the book is untouched.
#[test]
fn kraken_v1_update_without_checksum_is_a_bad_frame() {
    use marketfeed::exchange::ParseErrorKind;
    let t = live_ada_xbt();
    let before: Vec<_> = levels(t.book(), Side::Bid);
    let unsummed = capture_line(KRAKEN_V1, 155).replace(r#","c":"1301617853""#, "");
    assert!(!unsummed.contains("\"c\""));
    let err = parse(Exchange::Kraken, &unsummed, T).unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::Field("c"), "{err}");
    for frame in [
        r#"[1360,[[]],"book-1000","ADA/XBT"]"#,
        r#"[1360,[[],[]],"book-1000","ADA/XBT"]"#,
        r#"[1360,[],"book-1000","ADA/XBT"]"#,
    ] {
        assert!(parse(Exchange::Kraken, frame, T).is_err(), "{frame}");
    }
    // Kraken v2 has the same property: its `checksum` field is required.
    let v2 = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":45283.5,"qty":1}],"asks":[]}]}"#;
    assert!(parse(Exchange::Kraken, v2, T).is_err());
    assert_eq!(levels(t.book(), Side::Bid), before);
    assert_eq!(t.state(), &SyncState::Live);
}

/// Issue 10 item 8, the tracker's side: a Kraken delta that reaches the tracker without a
/// checksum (built by hand, or by a future parser bug) is not applied unverified.
#[test]
fn kraken_delta_without_checksum_is_never_applied_unverified() {
    let mut t = live_ada_xbt();
    let before = levels(t.book(), Side::Bid);
    let Message::Market(MarketEvent::Delta(mut d)) =
        parse(Exchange::Kraken, capture_line(KRAKEN_V1, 155), T)
            .unwrap()
            .remove(0)
    else {
        panic!("a delta")
    };
    d.checksum = None;
    let mut out = Vec::new();
    t.on_delta(d, &mut out);
    assert!(
        !out.iter().any(|o| matches!(o, Outcome::Applied { .. })),
        "{out:?}"
    );
    assert_ne!(t.state(), &SyncState::Live);
    assert_ne!(levels(t.book(), Side::Bid), before, "the book was reset");
}

/// Issue 10 item 7: a Binance book held every level it was sent (2,000,000 in the issue,
/// +158 MiB). The default per-side cap (10,000, twice the deepest REST snapshot) drops the
/// levels farthest from the touch, and the book stays exact, against a naive unbounded
/// model, for every price strictly better than its window edge.
#[test]
fn binance_book_depth_is_capped_and_exact_within_its_window() {
    use std::collections::BTreeMap;
    let mut t = BookTracker::new(Exchange::Binance, sym("BTC-USDT"), TrackerConfig::default());
    let snap = marketfeed::exchange::binance::parse_depth_snapshot(
        Exchange::Binance,
        "BTCUSDT",
        r#"{"lastUpdateId":100,"bids":[["50000.00","1"],["49999.99","2"]],"asks":[["50000.01","3"]]}"#,
        T,
    )
    .unwrap();
    let mut model: BTreeMap<Decimal, Decimal> = BTreeMap::new();
    model.insert(d("50000.00"), d("1"));
    model.insert(d("49999.99"), d("2"));
    let mut out = Vec::new();
    t.on_snapshot(snap, &mut out);
    assert_eq!(t.state(), &SyncState::Live);
    let mut id = 100u64;
    // 50 diffs of 500 new bids each, walking away from the touch (25,000 levels), each
    // also changing the best bid's size.
    for k in 0..50u64 {
        id += 1;
        let mut bids = vec![format!(r#"["50000.00","{}"]"#, k + 1)];
        model.insert(d("50000.00"), Decimal::from(k + 1));
        for j in 0..500u64 {
            let ticks = 4_999_000 - (k * 500 + j);
            let p = Decimal::new(ticks as i64, 2);
            bids.push(format!(r#"["{p}","0.5"]"#));
            model.insert(p, d("0.5"));
        }
        let frame = format!(
            r#"{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{id},"u":{id},"b":[{}],"a":[]}}"#,
            bids.join(",")
        );
        let out = feed(&mut t, &frame);
        assert!(
            out.iter().all(|o| !matches!(o, Outcome::Resync(_))),
            "{out:?}"
        );
    }
    assert_eq!(t.state(), &SyncState::Live);
    assert_eq!(t.last_update_id(), Some(id));
    let book = t.book();
    assert!(book.len(Side::Bid) <= marketfeed::exchange::DEFAULT_MAX_LEVELS);
    let edge = book.window_edge(Side::Bid).expect("levels were dropped");
    let want: Vec<(Decimal, Decimal)> = model
        .iter()
        .rev()
        .filter(|(p, _)| **p > edge)
        .map(|(p, q)| (*p, *q))
        .collect();
    assert_eq!(levels(book, Side::Bid), want);
    assert!(want.len() >= marketfeed::exchange::DEFAULT_MAX_LEVELS - 500);
    assert_eq!(book.window_edge(Side::Ask), None);
    // A new level beyond the edge is not kept (the dropped ones beside it are unknown);
    // a change inside the window is.
    id += 1;
    let frame = format!(
        r#"{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{id},"u":{id},"b":[["1.00","9"],["49999.99","0"]],"a":[]}}"#
    );
    feed(&mut t, &frame);
    assert_eq!(t.book().qty_at(Side::Bid, d("1.00")), None);
    assert_eq!(t.book().qty_at(Side::Bid, d("49999.99")), None);
    assert_eq!(t.book().best_bid().unwrap().qty, d("50"));
}
