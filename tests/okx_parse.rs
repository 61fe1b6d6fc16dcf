//! OKX parsing on the recorded capture (`tests/fixtures/okx/OKX.ws.1.0`): every frame parses,
//! and what the parser yields is what the frames hold, counted independently with
//! `serde_json` (never by running our parser).

use marketfeed::exchange::{okx, Control, Message};
use marketfeed::types::{InstrumentKind, MarketEvent, Symbol, TakerSide, Timestamp};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

const CAPTURE: &str = include_str!("fixtures/okx/OKX.ws.1.0");

fn received() -> Vec<(Timestamp, &'static str)> {
    CAPTURE
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("wss://"))
        .map(|l| {
            let (ts, frame) = l.split_once(": ").expect("format A line");
            (Timestamp::parse_unix_seconds(ts).unwrap(), frame)
        })
        .collect()
}

/// What the frames hold, read with serde_json: (kind, instId) -> count, plus level counts.
#[derive(Default, Debug, PartialEq, Eq)]
struct Tally {
    by_kind: BTreeMap<(String, String), usize>,
    levels: usize,
    buys: usize,
}

fn tally_json() -> Tally {
    let mut t = Tally::default();
    for (_, frame) in received() {
        let v: serde_json::Value = serde_json::from_str(frame).unwrap();
        if let Some(event) = v["event"].as_str() {
            let inst = v["arg"]["instId"].as_str().unwrap_or_default();
            *t.by_kind
                .entry((format!("ack:{event}"), inst.into()))
                .or_default() += 1;
            continue;
        }
        let channel = v["arg"]["channel"].as_str().unwrap();
        let kind = match (channel, v["action"].as_str()) {
            ("books", Some(action)) => action.to_string(),
            (other, _) => other.to_string(),
        };
        for d in v["data"].as_array().unwrap() {
            let inst = v["arg"]["instId"].as_str().unwrap();
            *t.by_kind.entry((kind.clone(), inst.into())).or_default() += 1;
            if channel == "books" {
                t.levels +=
                    d["asks"].as_array().unwrap().len() + d["bids"].as_array().unwrap().len();
            }
            if channel == "trades" && d["side"] == "buy" {
                t.buys += 1;
            }
        }
    }
    t
}

fn tally_parsed() -> Tally {
    let mut t = Tally::default();
    let mut add = |kind: &str, s: &Symbol| {
        *t.by_kind
            .entry((kind.to_string(), s.to_venue(marketfeed::Exchange::Okx)))
            .or_default() += 1;
    };
    let mut levels = 0;
    let mut buys = 0;
    for (ts, frame) in received() {
        let messages = okx::parse(frame, ts).unwrap_or_else(|e| panic!("{e}"));
        assert!(!messages.is_empty(), "{frame}");
        for m in messages {
            match m {
                Message::Market(MarketEvent::Snapshot(s)) => {
                    levels += s.bids.len() + s.asks.len();
                    assert_eq!(s.seq.last_id, None, "the 2022 capture has no seqId");
                    assert!(s.checksum.is_some());
                    add("snapshot", &s.meta.symbol);
                }
                Message::Market(MarketEvent::Delta(d)) => {
                    levels += d.bids.len() + d.asks.len();
                    assert!(d.checksum.is_some());
                    add("update", &d.meta.symbol);
                }
                Message::Market(MarketEvent::Trade(tr)) => {
                    buys += usize::from(tr.taker_side == TakerSide::Buy);
                    assert!(tr.id.is_some());
                    add("trades", &tr.meta.symbol);
                }
                Message::Market(MarketEvent::Ticker(tk)) => {
                    assert!(tk.bid.is_some() && tk.ask.is_some() && tk.last.is_some());
                    add("tickers", &tk.meta.symbol);
                }
                Message::Control(Control::Subscribed {
                    channel: _,
                    symbol: Some(s),
                }) => add("ack:subscribe", &s),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    t.levels = levels;
    t.buys = buys;
    t
}

#[test]
fn every_frame_parses_into_what_it_holds() {
    let (json, parsed) = (tally_json(), tally_parsed());
    assert_eq!(parsed, json);
    // The totals the captures README states.
    let total = |kind: &str| -> usize {
        json.by_kind
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(
        (
            total("snapshot"),
            total("update"),
            total("trades"),
            total("tickers")
        ),
        (3, 287, 74, 28)
    );
}

#[test]
fn the_three_instrument_kinds_keep_their_kind() {
    let mut kinds = BTreeMap::new();
    for (ts, frame) in received() {
        for m in okx::parse(frame, ts).unwrap() {
            if let Message::Market(MarketEvent::Snapshot(s)) = m {
                kinds.insert(s.meta.symbol.to_string(), s.meta.symbol.kind());
            }
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        vec![
            (
                "BTC-USD-220527".to_string(),
                InstrumentKind::Future { yymmdd: 220_527 }
            ),
            ("BTC-USDT".to_string(), InstrumentKind::Spot),
            ("UNI-USD-SWAP".to_string(), InstrumentKind::Perpetual),
        ]
    );
}

#[test]
fn first_trade_is_read_exactly() {
    // `{"instId":"BTC-USD-220527","tradeId":"7849","px":"30218.8","sz":"1","side":"buy","ts":"1652459199958"}`
    let (ts, frame) = received()
        .into_iter()
        .find(|(_, f)| f.contains("\"channel\":\"trades\"") && f.contains("\"data\""))
        .unwrap();
    let Some(Message::Market(MarketEvent::Trade(t))) = okx::parse(frame, ts).unwrap().pop() else {
        panic!()
    };
    assert_eq!(t.meta.symbol.as_str(), "BTC-USD-220527");
    assert_eq!(t.id, Some(7849));
    assert_eq!(t.price, Decimal::from_str("30218.8").unwrap());
    assert_eq!(t.qty, Decimal::ONE);
    assert_eq!(t.taker_side, TakerSide::Buy);
    assert_eq!(
        t.meta.exchange_time,
        Some(Timestamp::from_unix_millis(1_652_459_199_958))
    );
}
