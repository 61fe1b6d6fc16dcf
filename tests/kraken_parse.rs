//! Every received frame of the three Kraken v1 captures parses, into the expected mix of
//! events and control messages (counts from `tests/fixtures/kraken/README.md`).

use marketfeed::exchange::{kraken, Control, Message};
use marketfeed::types::{MarketEvent, TakerSide, Timestamp};

/// What a capture parsed into.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    frames: usize,
    snapshots: usize,
    deltas: usize,
    trades: usize,
    buys: usize,
    tickers: usize,
    heartbeats: usize,
    subscribed: usize,
    online: usize,
}

fn tally(capture: &str) -> Tally {
    let mut t = Tally::default();
    for line in capture
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("wss://"))
    {
        let (ts, frame) = line.split_once(": ").expect("format A line");
        let at = Timestamp::parse_unix_seconds(ts).expect("receive time");
        let messages = kraken::parse(frame, at).unwrap_or_else(|e| panic!("{e}"));
        t.frames += 1;
        for m in messages {
            match m {
                Message::Market(e) => {
                    assert_eq!(e.meta().received_at, at);
                    if let Some(exchange_time) = e.meta().exchange_time {
                        assert!(exchange_time <= at, "{frame}");
                    }
                    match e {
                        MarketEvent::Snapshot(_) => t.snapshots += 1,
                        MarketEvent::Delta(d) => {
                            assert!(d.checksum.is_some(), "every v1 update has `c`");
                            t.deltas += 1;
                        }
                        MarketEvent::Trade(tr) => {
                            assert_eq!(tr.id, None, "v1 trades have no id");
                            t.trades += 1;
                            t.buys += usize::from(tr.taker_side == TakerSide::Buy);
                        }
                        MarketEvent::Ticker(tk) => {
                            let (bid, ask) = (tk.bid.unwrap(), tk.ask.unwrap());
                            assert!(bid.price < ask.price, "{frame}");
                            assert!(tk.last.is_some());
                            t.tickers += 1;
                        }
                        other => panic!("{other:?}"),
                    }
                }
                Message::Control(Control::Heartbeat) => t.heartbeats += 1,
                Message::Control(Control::Subscribed {
                    symbol: Some(_), ..
                }) => t.subscribed += 1,
                Message::Control(Control::SystemStatus { online: true, .. }) => t.online += 1,
                other => panic!("{other:?} from {frame}"),
            }
        }
    }
    t
}

#[test]
fn book_capture() {
    let t = tally(include_str!("fixtures/kraken/KRAKEN.ws.50.0"));
    let expected = Tally {
        frames: 4321,
        snapshots: 10,
        deltas: 4269,
        heartbeats: 31,
        subscribed: 10,
        online: 1,
        ..Tally::default()
    };
    assert_eq!(t, expected);
}

#[test]
fn trade_capture() {
    let t = tally(include_str!("fixtures/kraken/KRAKEN.ws.48.0"));
    let expected = Tally {
        frames: 49,
        trades: 10,
        buys: 5,
        heartbeats: 30,
        subscribed: 10,
        online: 1,
        ..Tally::default()
    };
    assert_eq!(t, expected);
}

#[test]
fn ticker_capture() {
    let t = tally(include_str!("fixtures/kraken/KRAKEN.ws.49.0"));
    let expected = Tally {
        frames: 60,
        tickers: 18,
        heartbeats: 31,
        subscribed: 10,
        online: 1,
        ..Tally::default()
    };
    assert_eq!(t, expected);
}
