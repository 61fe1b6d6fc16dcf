//! The simulator's Poloniex v3 server, checked with the crate's own parser, sequencer and
//! book: `book_lv2` snapshot + chained updates of the 20-level window, equal to the truth now
//! and at recorded ids, trades with exact notional, control messages and the fault knobs.
#![cfg(feature = "sim")]

mod sim_support;

use marketfeed::exchange::{Control, Message, Outcome, ParseError, ResyncReason, TrackerConfig};
use marketfeed::prelude::*;
use marketfeed::sim::{SimConfig, Simulator, TruthBook};
use sim_support::*;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

const SUB: &str = r#"{"event":"subscribe","channel":["book_lv2"],"symbols":["BTC_USDT"]}"#;
const UNSUB: &str = r#"{"event":"unsubscribe","channel":["book_lv2"],"symbols":["BTC_USDT"]}"#;

fn config() -> SimConfig {
    SimConfig {
        step_interval: Duration::from_millis(5),
        ..SimConfig::default()
    }
}

struct Client<W> {
    ws: W,
    t: Tracked,
    controls: Vec<Control>,
    trades: Vec<Trade>,
    /// `(price, quantity, amount)` as sent.
    raw_trades: Vec<(Decimal, Decimal, Decimal)>,
    recorded: Vec<TruthBook>,
    pumps: usize,
}

async fn client(sim: &Simulator, first: &str) -> Client<impl Ws> {
    let mut ws = connect(&sim.ws_base(Exchange::Poloniex)).await;
    send(&mut ws, first).await;
    Client {
        ws,
        t: Tracked::new(Exchange::Poloniex, TrackerConfig::default()),
        controls: Vec::new(),
        trades: Vec::new(),
        raw_trades: Vec::new(),
        recorded: Vec::new(),
        pumps: 0,
    }
}

fn dec(v: &serde_json::Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

impl<W: Ws> Client<W> {
    async fn pump(&mut self) -> Result<Vec<Outcome>, ParseError> {
        let frame = text(&mut self.ws).await;
        self.pumps += 1;
        let msgs = parse_frame(Exchange::Poloniex, &frame)?;
        if frame.starts_with(r#"{"channel":"trades""#) {
            let v: serde_json::Value = serde_json::from_str(&frame).unwrap();
            if let Some(d) = v["data"].get(0) {
                self.raw_trades
                    .push((dec(&d["price"]), dec(&d["quantity"]), dec(&d["amount"])));
            }
        }
        let mut outs = Vec::new();
        for m in msgs {
            match m {
                Message::Market(MarketEvent::Trade(t)) => self.trades.push(t),
                Message::Market(e) => outs.extend(self.t.feed(e)),
                Message::Control(c) => self.controls.push(c),
            }
        }
        let delta = matches!(
            outs.last(),
            Some(Outcome::Applied {
                snapshot: false,
                ..
            })
        );
        if delta && self.t.live() && self.pumps % 10 == 0 {
            self.recorded.push(self.t.book());
        }
        Ok(outs)
    }

    async fn until(&mut self, max: usize, f: impl Fn(&Outcome) -> bool) -> Outcome {
        for _ in 0..max {
            if let Some(o) = self.pump().await.unwrap().into_iter().find(|o| f(o)) {
                return o;
            }
        }
        panic!("no matching outcome in {max} frames");
    }

    async fn until_live_deltas(&mut self, n: usize) {
        let applied = |t: &Tracked| {
            t.count(|o| {
                matches!(
                    o,
                    Outcome::Applied {
                        snapshot: false,
                        ..
                    }
                )
            })
        };
        let start = applied(&self.t);
        while !self.t.live() || applied(&self.t) < start + n {
            self.pump().await.unwrap();
        }
    }

    /// Pings and reads until the pong: everything sent before is then processed.
    async fn sync_point(&mut self) {
        let pongs = |c: &Self| {
            c.controls
                .iter()
                .filter(|m| matches!(m, Control::Pong { .. }))
                .count()
        };
        let before = pongs(self);
        send(&mut self.ws, r#"{"event":"ping"}"#).await;
        while pongs(self) == before {
            self.pump().await.unwrap();
        }
    }
}

#[actix_rt::test]
async fn book_lv2_chains_equals_truth_now_and_at_recorded_ids_and_trades_are_exact() {
    let sim = Simulator::start(config()).await.unwrap();
    let sub = r#"{"event":"subscribe","channel":["book_lv2","trades"],"symbols":["BTC_USDT"]}"#;
    let mut c = client(&sim, sub).await;
    c.until_live_deltas(200).await;
    assert_eq!(c.t.resyncs(), 0, "{:?}", c.t.outcomes);
    for channel in ["book_lv2", "trades"] {
        assert!(c.controls.iter().any(|m| matches!(m,
            Control::Subscribed { channel: ch, symbol: Some(s) } if ch == channel && *s == btc())));
    }

    sim.pause();
    c.sync_point().await;
    let truth = sim.truth(Exchange::Poloniex, &btc()).unwrap();
    assert_eq!(truth.update_id, c.t.tracker.last_update_id());
    assert_eq!(
        sim.last_update_id(Exchange::Poloniex, &btc()),
        c.t.tracker.last_update_id()
    );
    assert_same_book(&c.t.book(), &truth.top(20));
    assert_eq!(c.t.book().bids.len(), 20);

    assert!(c.recorded.len() >= 5);
    for rec in &c.recorded {
        let past = sim
            .truth_at(Exchange::Poloniex, &btc(), rec.update_id.unwrap())
            .unwrap();
        assert_same_book(rec, &past.top(20));
    }

    let sent: HashMap<u64, _> = sim
        .trades_sent(Exchange::Poloniex, &btc())
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    assert!(c.trades.len() > 10);
    let ids: Vec<u64> = c.trades.iter().map(|t| t.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    for t in &c.trades {
        let s = sent[&t.id.unwrap()];
        assert_eq!(
            (t.price, t.qty, t.taker_side),
            (s.price, s.qty, s.taker_side)
        );
    }
    assert_eq!(c.raw_trades.len(), c.trades.len());
    for (price, qty, amount) in &c.raw_trades {
        assert_eq!(*amount, price * qty);
    }
    sim.stop();
}

#[actix_rt::test]
async fn skip_is_a_gap_resubscribe_recovers_repeat_is_stale_malformed_and_drop() {
    let sim = Simulator::start(config()).await.unwrap();
    let faults = sim.faults();
    let mut c = client(&sim, SUB).await;
    c.until_live_deltas(20).await;

    faults.skip_update(Exchange::Poloniex, &btc());
    let o = c.until(1000, |o| matches!(o, Outcome::Resync(_))).await;
    assert!(
        matches!(o, Outcome::Resync(ResyncReason::Gap { .. })),
        "{o:?}"
    );
    send(&mut c.ws, UNSUB).await;
    send(&mut c.ws, SUB).await;
    c.until_live_deltas(20).await;
    assert_eq!(c.t.resyncs(), 1);

    faults.repeat_update(Exchange::Poloniex, &btc());
    c.until(1000, |o| *o == Outcome::Stale).await;
    c.until_live_deltas(5).await;
    assert_eq!(c.t.resyncs(), 1);

    faults.malformed_frame(Exchange::Poloniex);
    let mut parse_error = false;
    for _ in 0..1000 {
        if c.pump().await.is_err() {
            parse_error = true;
            break;
        }
    }
    assert!(parse_error);

    faults.drop_connections(Exchange::Poloniex);
    assert!(closes(&mut c.ws, WAIT).await);
    sim.stop();
}

#[actix_rt::test]
async fn control_messages_ping_unsubscribe_and_errors() {
    let sim = Simulator::start(config()).await.unwrap();
    let mut c = client(
        &sim,
        r#"{"event":"subscribe","channel":["ordersss"],"symbols":["BTC_USDT"]}"#,
    )
    .await;
    let errors = |c: &Client<_>| {
        c.controls
            .iter()
            .filter(|m| matches!(m, Control::Error { .. }))
            .count()
    };
    while errors(&c) < 1 {
        c.pump().await.unwrap();
    }
    send(
        &mut c.ws,
        r#"{"event":"subscribe","channel":["book_lv2"],"symbols":["DOGE_EUR"]}"#,
    )
    .await;
    send(&mut c.ws, "nope").await;
    let refused = |c: &Client<_>| {
        c.controls
            .iter()
            .filter(
                |m| matches!(m, Control::Rejected { symbol, .. } if symbol.as_str() == "DOGE-EUR"),
            )
            .count()
    };
    while errors(&c) < 2 || refused(&c) < 1 {
        c.pump().await.unwrap();
    }
    send(&mut c.ws, SUB).await;
    c.until_live_deltas(3).await;
    send(&mut c.ws, UNSUB).await;
    while !c
        .controls
        .iter()
        .any(|m| matches!(m, Control::Unsubscribed { .. }))
    {
        c.pump().await.unwrap();
    }
    // After the acknowledgement, nothing more of that book.
    match next(&mut c.ws, Duration::from_millis(200)).await {
        Got::Timeout => {}
        other => panic!("{other:?}"),
    }
    c.sync_point().await;
    sim.stop();
}
