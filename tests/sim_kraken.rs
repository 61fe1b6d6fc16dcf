//! The simulator's Kraken v2 server, checked with the crate's own parser, book and
//! checksum (the simulator computes its checksums independently, from its integer book):
//! snapshot + updates of the subscribed window, every checksum OK, equal to the truth,
//! trades, instrument, ping/pong, heartbeats, errors and the fault knobs.
#![cfg(feature = "sim")]

mod sim_support;

use marketfeed::exchange::{Control, Message, Outcome, ParseError, ResyncReason, TrackerConfig};
use marketfeed::prelude::*;
use marketfeed::sim::{SimConfig, Simulator};
use sim_support::*;
use std::collections::HashMap;
use std::time::Duration;

fn config() -> SimConfig {
    SimConfig {
        step_interval: Duration::from_millis(5),
        ..SimConfig::default()
    }
}

struct Client<W> {
    ws: W,
    depth: usize,
    t: Tracked,
    controls: Vec<Control>,
    trades: Vec<Trade>,
    tickers: Vec<Ticker>,
    heartbeats: usize,
    repeated_frames: usize,
    last_frame: String,
    req: u64,
}

fn book_sub(method: &str, depth: usize, req: u64) -> String {
    format!(
        r#"{{"method":"{method}","params":{{"channel":"book","symbol":["BTC/USDT"],"depth":{depth}}},"req_id":{req}}}"#
    )
}

/// Connects, checks the status message, learns the precisions from `instrument` and
/// subscribes the book at `depth`.
async fn client(sim: &Simulator, depth: usize) -> Client<impl Ws> {
    let mut ws = connect(&sim.ws_base(Exchange::Kraken)).await;
    let status = parse_frame(Exchange::Kraken, &text(&mut ws).await).unwrap();
    assert!(matches!(
        &status[..],
        [Message::Control(Control::SystemStatus { online: true, .. })]
    ));
    send(
        &mut ws,
        r#"{"method":"subscribe","params":{"channel":"instrument"},"req_id":1}"#,
    )
    .await;
    let mut c = Client {
        ws,
        depth,
        t: Tracked::new(
            Exchange::Kraken,
            TrackerConfig {
                depth: Some(depth),
                checksum_precision: None,
                max_levels: None,
            },
        ),
        controls: Vec::new(),
        trades: Vec::new(),
        tickers: Vec::new(),
        heartbeats: 0,
        repeated_frames: 0,
        last_frame: String::new(),
        req: 10,
    };
    while !c
        .controls
        .iter()
        .any(|m| matches!(m, Control::Instrument { .. }))
    {
        c.pump().await.unwrap();
    }
    c.subscribe().await;
    c
}

impl<W: Ws> Client<W> {
    async fn pump(&mut self) -> Result<Vec<Outcome>, ParseError> {
        let frame = text(&mut self.ws).await;
        if frame == self.last_frame && frame.contains(r#""channel":"book""#) {
            self.repeated_frames += 1;
        }
        let msgs = parse_frame(Exchange::Kraken, &frame);
        self.last_frame = frame;
        let mut outs = Vec::new();
        for m in msgs? {
            match m {
                Message::Market(MarketEvent::Trade(t)) => self.trades.push(t),
                Message::Market(MarketEvent::Ticker(t)) => self.tickers.push(t),
                Message::Market(e) => outs.extend(self.t.feed(e)),
                Message::Control(Control::Heartbeat) => self.heartbeats += 1,
                Message::Control(c) => {
                    if let Control::Instrument {
                        price_precision,
                        qty_precision,
                        ..
                    } = c
                    {
                        self.t
                            .tracker
                            .set_checksum_precision(price_precision, qty_precision);
                    }
                    self.controls.push(c);
                }
            }
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

    async fn until_checksums(&mut self, n: usize) {
        let start = self.t.count(|o| *o == Outcome::ChecksumOk);
        while !self.t.live() || self.t.count(|o| *o == Outcome::ChecksumOk) < start + n {
            self.pump().await.unwrap();
        }
    }

    async fn subscribe(&mut self) {
        self.req += 1;
        let msg = book_sub("subscribe", self.depth, self.req);
        send(&mut self.ws, &msg).await;
    }

    /// Unsubscribe + subscribe: how a client gets a fresh snapshot after a mismatch.
    async fn resubscribe(&mut self) {
        self.req += 1;
        let msg = book_sub("unsubscribe", self.depth, self.req);
        send(&mut self.ws, &msg).await;
        self.subscribe().await;
    }

    /// Pings and reads until the pong: everything sent before is then processed.
    async fn sync_point(&mut self) {
        self.req += 1;
        let id = self.req as i64;
        send(
            &mut self.ws,
            &format!(r#"{{"method":"ping","req_id":{id}}}"#),
        )
        .await;
        while !self.controls.contains(&Control::Pong { id: Some(id) }) {
            self.pump().await.unwrap();
        }
    }
}

#[actix_rt::test]
async fn window_of_25_stays_live_every_checksum_ok_equals_truth_and_trades_complete() {
    let sim = Simulator::start(config()).await.unwrap();
    let mut c = client(&sim, 25).await;
    send(
        &mut c.ws,
        r#"{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USDT"]},"req_id":3}"#,
    )
    .await;
    send(
        &mut c.ws,
        r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USDT"]},"req_id":4}"#,
    )
    .await;
    c.until_checksums(300).await;
    assert_eq!(c.t.resyncs(), 0, "{:?}", c.t.outcomes);
    let applied = c.t.count(|o| matches!(o, Outcome::Applied { .. }));
    assert_eq!(c.t.count(|o| *o == Outcome::ChecksumOk), applied);
    for channel in ["book", "trade", "ticker", "instrument"] {
        assert!(
            c.controls.iter().any(|m| matches!(m,
                Control::Subscribed { channel: ch, .. } if ch == channel)),
            "{channel} ack"
        );
    }

    sim.pause();
    c.sync_point().await;
    let truth = sim.truth(Exchange::Kraken, &btc()).unwrap();
    assert_eq!(truth.update_id, None);
    assert_same_book(&c.t.book(), &truth.top(25));

    let sent: HashMap<u64, _> = sim
        .trades_sent(Exchange::Kraken, &btc())
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
    assert!(!c.tickers.is_empty());
    sim.stop();
}

#[actix_rt::test]
async fn corrupt_and_skip_are_checksum_mismatches_resubscribe_recovers() {
    let sim = Simulator::start(config()).await.unwrap();
    let faults = sim.faults();
    let mut c = client(&sim, 10).await;
    c.until_checksums(20).await;

    faults.corrupt_checksum(Exchange::Kraken, &btc());
    let o = c.until(1000, |o| matches!(o, Outcome::Resync(_))).await;
    assert!(
        matches!(o, Outcome::Resync(ResyncReason::ChecksumMismatch { .. })),
        "{o:?}"
    );
    c.resubscribe().await;
    c.until_checksums(20).await;
    assert_eq!(c.t.resyncs(), 1);

    faults.skip_update(Exchange::Kraken, &btc());
    let o = c.until(1000, |o| matches!(o, Outcome::Resync(_))).await;
    assert!(
        matches!(o, Outcome::Resync(ResyncReason::ChecksumMismatch { .. })),
        "{o:?}"
    );
    c.resubscribe().await;
    c.until_checksums(20).await;
    assert_eq!(c.t.resyncs(), 2);

    // A repeated update is idempotent for an absolute-quantity book.
    faults.repeat_update(Exchange::Kraken, &btc());
    while c.repeated_frames == 0 {
        c.pump().await.unwrap();
    }
    c.until_checksums(20).await;
    assert_eq!(c.t.resyncs(), 2);

    sim.pause();
    c.sync_point().await;
    assert_same_book(
        &c.t.book(),
        &sim.truth(Exchange::Kraken, &btc()).unwrap().top(10),
    );
    sim.resume();

    faults.malformed_frame(Exchange::Kraken);
    let mut parse_error = false;
    for _ in 0..1000 {
        if c.pump().await.is_err() {
            parse_error = true;
            break;
        }
    }
    assert!(parse_error);

    faults.drop_connections(Exchange::Kraken);
    assert!(closes(&mut c.ws, WAIT).await);
    sim.stop();
}

#[actix_rt::test]
async fn bad_requests_are_error_acks_and_idle_connections_get_heartbeats() {
    let sim = Simulator::start(SimConfig {
        kraken_heartbeat_interval: Duration::from_millis(30),
        ..config()
    })
    .await
    .unwrap();
    sim.pause();
    let mut c = client(&sim, 10).await;
    c.until(10, |o| matches!(o, Outcome::Applied { snapshot: true, .. }))
        .await;
    // Paused: nothing flows but heartbeats.
    while c.heartbeats < 3 {
        c.pump().await.unwrap();
    }

    let errors = |c: &Client<_>| {
        c.controls
            .iter()
            .filter(|m| matches!(m, Control::Error { .. } | Control::Rejected { .. }))
            .count()
    };
    send(&mut c.ws, &book_sub("subscribe", 7, 50)).await;
    send(
        &mut c.ws,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["ETH/EUR"]},"req_id":51}"#,
    )
    .await;
    send(
        &mut c.ws,
        r#"{"method":"subscribe","params":{"channel":"nope","symbol":["BTC/USDT"]},"req_id":52}"#,
    )
    .await;
    send(&mut c.ws, r#"{"method":"fly","req_id":53}"#).await;
    send(&mut c.ws, "][").await;
    while errors(&c) < 5 {
        c.pump().await.unwrap();
    }
    let ids: Vec<Option<i64>> = c
        .controls
        .iter()
        .filter_map(|m| match m {
            Control::Error { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(ids, [Some(50), Some(52), Some(53), None]);
    // The unlisted pair is refused by name (the venue's "Currency pair not supported").
    let refused: Vec<&Control> = c
        .controls
        .iter()
        .filter(|m| matches!(m, Control::Rejected { .. }))
        .collect();
    assert!(
        matches!(refused[..], [Control::Rejected { symbol, .. }] if symbol.as_str() == "ETH-EUR"),
        "{refused:?}"
    );
    sim.stop();
}
