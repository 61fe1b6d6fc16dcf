//! The simulator's Binance spot server, checked with the crate's own parser, sequencer and
//! book: sync from REST + combined streams, truth at any id, trades, control methods, pings
//! and every fault knob.
#![cfg(feature = "sim")]

mod sim_support;

use marketfeed::exchange::binance::parse_depth_snapshot;
use marketfeed::exchange::{Message, Outcome, ParseError, ResyncReason, TrackerConfig};
use marketfeed::prelude::*;
use marketfeed::sim::{SimConfig, Simulator, TruthBook};
use sim_support::*;
use std::collections::HashMap;
use std::time::Duration;

const ALL: &str = "btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@aggTrade/btcusdt@trade";

/// Protocol tests send faster than Binance allows (pongs to 40 ms pings, bursts of
/// requests); the incoming-message limit has its own test.
fn config() -> SimConfig {
    SimConfig {
        step_interval: Duration::from_millis(5),
        binance_max_incoming_per_sec: 0,
        ..SimConfig::default()
    }
}

async fn rest(url: &str) -> (u16, String) {
    let mut resp = awc::Client::new().get(url).send().await.unwrap();
    let body = resp.body().limit(1 << 24).await.unwrap();
    (
        resp.status().as_u16(),
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

/// A Binance client: combined stream in, REST snapshots on demand, a tracked book.
struct Client<W> {
    ws: W,
    rest_base: String,
    t: Tracked,
    fetches: usize,
    pumps: usize,
    /// The tracker's book now and then while live, to check `truth_at`.
    recorded: Vec<TruthBook>,
    trades: Vec<Trade>,
    tickers: Vec<Ticker>,
}

async fn client(sim: &Simulator, streams: &str) -> Client<impl Ws> {
    let url = format!(
        "{}/stream?streams={streams}",
        sim.ws_base(Exchange::Binance)
    );
    Client {
        ws: connect(&url).await,
        rest_base: sim.rest_base(Exchange::Binance).unwrap(),
        t: Tracked::new(Exchange::Binance, TrackerConfig::default()),
        fetches: 0,
        pumps: 0,
        recorded: Vec::new(),
        trades: Vec::new(),
        tickers: Vec::new(),
    }
}

impl<W: Ws> Client<W> {
    async fn snapshot(&mut self) -> BookSnapshot {
        self.fetches += 1;
        let url = format!("{}/api/v3/depth?symbol=BTCUSDT&limit=5000", self.rest_base);
        let (status, body) = rest(&url).await;
        assert_eq!(status, 200, "{body}");
        parse_depth_snapshot(Exchange::Binance, "BTCUSDT", &body, now()).unwrap()
    }

    /// Reads one frame and drives the tracker (fetching snapshots when asked).
    async fn pump(&mut self) -> Result<Vec<Outcome>, ParseError> {
        let frame = text(&mut self.ws).await;
        self.pumps += 1;
        let mut outs = Vec::new();
        for m in parse_frame(Exchange::Binance, &frame)? {
            match m {
                Message::Market(MarketEvent::Trade(t)) => self.trades.push(t),
                Message::Market(MarketEvent::Ticker(t)) => self.tickers.push(t),
                Message::Market(e) => outs.extend(self.t.feed(e)),
                Message::Control(_) => {}
            }
        }
        let mut i = 0;
        while i < outs.len() {
            if outs[i] == Outcome::FetchSnapshot {
                let snap = self.snapshot().await;
                let more = self.t.feed(MarketEvent::Snapshot(snap));
                outs.extend(more);
            }
            i += 1;
        }
        let delta_applied = matches!(
            outs.last(),
            Some(Outcome::Applied {
                snapshot: false,
                ..
            })
        );
        if delta_applied && self.t.live() && self.pumps % 25 == 0 {
            self.recorded.push(self.t.book());
        }
        Ok(outs)
    }

    /// Pumps until `f` holds for an outcome (at most `max` frames).
    async fn until(&mut self, max: usize, f: impl Fn(&Outcome) -> bool) -> Outcome {
        for _ in 0..max {
            if let Some(o) = self.pump().await.unwrap().into_iter().find(|o| f(o)) {
                return o;
            }
        }
        panic!("no matching outcome in {max} frames");
    }

    async fn until_live_deltas(&mut self, n: usize) {
        let start = self.t.count(|o| {
            matches!(
                o,
                Outcome::Applied {
                    snapshot: false,
                    ..
                }
            )
        });
        while !self.t.live()
            || self.t.count(|o| {
                matches!(
                    o,
                    Outcome::Applied {
                        snapshot: false,
                        ..
                    }
                )
            }) < start + n
        {
            self.pump().await.unwrap();
        }
    }

    /// After `pause`: reads until the tracker holds the simulator's last id.
    async fn catch_up(&mut self, sim: &Simulator) {
        let last = sim.last_update_id(Exchange::Binance, &btc()).unwrap();
        while self.t.tracker.last_update_id() != Some(last) {
            self.pump().await.unwrap();
        }
    }
}

#[actix_rt::test]
async fn syncs_live_equals_truth_at_every_recorded_id_and_sends_every_trade() {
    let sim = Simulator::start(config()).await.unwrap();
    let mut c = client(&sim, ALL).await;
    c.until_live_deltas(300).await;
    assert_eq!(c.t.resyncs(), 0, "{:?}", c.t.outcomes);
    assert_eq!(c.fetches, 1);

    sim.pause();
    c.catch_up(&sim).await;
    let truth = sim.truth(Exchange::Binance, &btc()).unwrap();
    assert_eq!(truth.update_id, c.t.tracker.last_update_id());
    assert!(
        truth.bids.len() > 100 && truth.asks.len() > 100,
        "{} {}",
        truth.bids.len(),
        truth.asks.len()
    );
    assert_same_book(&c.t.book(), &truth);

    // The book at past ids, rebuilt from the simulator's history.
    assert!(c.recorded.len() >= 5);
    for rec in &c.recorded {
        let id = rec.update_id.unwrap();
        let past = sim.truth_at(Exchange::Binance, &btc(), id).unwrap();
        assert_same_book(rec, &past);
    }
    assert!(sim.truth_at(Exchange::Binance, &btc(), 0).is_none());

    // Trades: contiguous ids, each exactly as generated (aggTrade and trade both).
    let sent: HashMap<u64, _> = sim
        .trades_sent(Exchange::Binance, &btc())
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    assert!(c.trades.len() > 10);
    let mut ids: Vec<u64> = c.trades.iter().map(|t| t.id.unwrap()).collect();
    ids.dedup();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    for t in &c.trades {
        let s = sent[&t.id.unwrap()];
        assert_eq!(
            (t.price, t.qty, t.taker_side),
            (s.price, s.qty, s.taker_side)
        );
    }
    // bookTicker follows its depth event with the same `u` and the book's touch.
    while c.tickers.last().unwrap().update_id != c.t.tracker.last_update_id() {
        c.pump().await.unwrap();
    }
    let tk = c.tickers.last().unwrap();
    assert_eq!(tk.update_id, c.t.tracker.last_update_id());
    let best = c.t.tracker.book().best_bid().unwrap();
    assert_eq!(tk.bid.unwrap(), best);
    sim.stop();
}

#[actix_rt::test]
async fn skip_is_a_gap_repeat_is_stale_malformed_is_a_parse_error_drop_closes() {
    let sim = Simulator::start(config()).await.unwrap();
    let faults = sim.faults();
    let mut c = client(&sim, "btcusdt@depth@100ms").await;
    c.until_live_deltas(20).await;

    faults.repeat_update(Exchange::Binance, &btc());
    c.until(500, |o| *o == Outcome::Stale).await;
    assert_eq!(c.t.resyncs(), 0);

    faults.skip_update(Exchange::Binance, &btc());
    let gap = c.until(500, |o| matches!(o, Outcome::Resync(_))).await;
    assert!(
        matches!(gap, Outcome::Resync(ResyncReason::Gap { .. })),
        "{gap:?}"
    );
    c.until_live_deltas(10).await;
    assert_eq!(c.fetches, 2);
    assert_eq!(c.t.resyncs(), 1);

    faults.malformed_frame(Exchange::Binance);
    let mut parse_error = false;
    for _ in 0..500 {
        if let Err(e) = c.pump().await {
            assert!(!e.is_terminal());
            parse_error = true;
            break;
        }
    }
    assert!(parse_error);

    faults.drop_connections(Exchange::Binance);
    assert!(closes(&mut c.ws, WAIT).await);
    sim.stop();
}

#[actix_rt::test]
async fn stale_and_delayed_rest_snapshots_make_the_client_refetch_then_sync() {
    let sim = Simulator::start(config()).await.unwrap();
    let faults = sim.faults();
    faults.stale_rest_snapshot(2);
    faults.delay_rest_snapshot(Duration::from_millis(150));
    let mut c = client(&sim, "btcusdt@depth@100ms").await;
    let started = std::time::Instant::now();
    c.until_live_deltas(20).await;
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "three delayed answers"
    );
    assert_eq!(c.fetches, 3, "two stale answers, then a good one");
    assert_eq!(c.t.count(|o| *o == Outcome::FetchSnapshot), 3);
    assert_eq!(c.t.resyncs(), 0);
    sim.pause();
    c.catch_up(&sim).await;
    assert_same_book(&c.t.book(), &sim.truth(Exchange::Binance, &btc()).unwrap());
    sim.stop();
}

#[actix_rt::test]
async fn subscribe_list_unsubscribe_and_errors() {
    let sim = Simulator::start(config()).await.unwrap();
    let mut ws = connect(&format!(
        "{}/stream?streams=",
        sim.ws_base(Exchange::Binance)
    ))
    .await;
    let control = |frame: &str| match parse_frame(Exchange::Binance, frame).unwrap().pop() {
        Some(Message::Control(c)) => Some(c),
        _ => None,
    };
    use marketfeed::exchange::Control;

    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}"#,
    )
    .await;
    assert_eq!(
        control(&text(&mut ws).await),
        Some(Control::Ack { id: Some(1) })
    );
    let depth = text(&mut ws).await;
    assert!(depth.starts_with(r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate""#));

    send(&mut ws, r#"{"method":"LIST_SUBSCRIPTIONS","id":2}"#).await;
    let list = loop {
        let t = text(&mut ws).await;
        if t.contains(r#""id":2"#) {
            break t;
        }
    };
    assert_eq!(list, r#"{"id":2,"result":["btcusdt@depth@100ms"]}"#);

    send(
        &mut ws,
        r#"{"method":"UNSUBSCRIBE","params":["btcusdt@depth@100ms"],"id":3}"#,
    )
    .await;
    loop {
        if control(&text(&mut ws).await) == Some(Control::Ack { id: Some(3) }) {
            break;
        }
    }
    assert!(matches!(
        next(&mut ws, Duration::from_millis(200)).await,
        Got::Timeout
    ));

    // As on the real venue, a symbol that is not listed is accepted and stays silent.
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["ethusdt@depth"],"id":4}"#,
    )
    .await;
    assert_eq!(
        control(&text(&mut ws).await),
        Some(Control::Ack { id: Some(4) })
    );
    assert!(matches!(
        next(&mut ws, Duration::from_millis(200)).await,
        Got::Timeout
    ));
    // A malformed stream name is an error.
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["ethusdt@nonsense"],"id":5}"#,
    )
    .await;
    let Some(Control::Error { code, id, .. }) = control(&text(&mut ws).await) else {
        panic!()
    };
    assert_eq!((code, id), (Some(2), Some(5)));
    send(&mut ws, "not json").await;
    let Some(Control::Error { code, .. }) = control(&text(&mut ws).await) else {
        panic!()
    };
    assert_eq!(code, Some(3));

    let base = sim.rest_base(Exchange::Binance).unwrap();
    let (status, body) = rest(&format!("{base}/api/v3/depth?symbol=ETHUSDT")).await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"code":-1121,"msg":"Invalid symbol."}"#)
    );
    let (status, body) = rest(&format!("{base}/api/v3/depth?symbol=BTCUSDT&limit=5")).await;
    assert_eq!(status, 200);
    let snap = parse_depth_snapshot(Exchange::Binance, "BTCUSDT", &body, now()).unwrap();
    assert_eq!((snap.bids.len(), snap.asks.len()), (5, 5));

    let bad = awc::Client::new()
        .ws(format!(
            "{}/stream?streams=btcusdt@nope",
            sim.ws_base(Exchange::Binance)
        ))
        .connect()
        .await;
    assert!(bad.is_err(), "a malformed stream name is refused");
    let unlisted = awc::Client::new()
        .ws(format!(
            "{}/stream?streams=nope@depth",
            sim.ws_base(Exchange::Binance)
        ))
        .connect()
        .await;
    assert!(
        unlisted.is_ok(),
        "an unlisted symbol is accepted (and silent)"
    );
    sim.stop();
}

#[actix_rt::test]
async fn server_pings_and_disconnects_clients_that_do_not_pong() {
    let sim = Simulator::start(SimConfig {
        binance_ping_interval: Duration::from_millis(40),
        ..config()
    })
    .await
    .unwrap();
    let url = format!("{}/stream?streams=", sim.ws_base(Exchange::Binance));
    let mut polite = connect(&url).await;
    let mut silent = connect(&url).await;
    let mut pings = 0;
    let end = tokio::time::Instant::now() + Duration::from_millis(400);
    while tokio::time::Instant::now() < end {
        match next(&mut polite, Duration::from_millis(50)).await {
            Got::Ping => {
                pings += 1;
                use futures_util::SinkExt;
                polite
                    .send(awc::ws::Message::Pong(Default::default()))
                    .await
                    .unwrap();
            }
            Got::Closed => panic!("a client that pongs must stay connected"),
            _ => {}
        }
    }
    assert!(pings >= 4, "{pings} pings");
    assert!(closes(&mut silent, Duration::from_millis(100)).await);
    sim.stop();
    assert!(closes(&mut polite, WAIT).await, "stop closes connections");
}

#[actix_rt::test]
async fn more_than_five_incoming_messages_a_second_disconnect() {
    use futures_util::SinkExt;
    let sim = Simulator::start(SimConfig {
        binance_max_incoming_per_sec: 5,
        ..config()
    })
    .await
    .unwrap();
    let url = format!("{}/stream?streams=", sim.ws_base(Exchange::Binance));
    // Five requests in a burst are served.
    let mut ws = connect(&url).await;
    for id in 1..=5 {
        let req = format!(r#"{{"method":"LIST_SUBSCRIPTIONS","id":{id}}}"#);
        send(&mut ws, &req).await;
    }
    for _ in 1..=5 {
        assert!(matches!(next(&mut ws, WAIT).await, Got::Text(_)));
    }
    // The sixth within the same second (a pong counts too) closes the connection.
    ws.send(awc::ws::Message::Pong(Default::default()))
        .await
        .unwrap();
    assert!(
        closes(&mut ws, WAIT).await,
        "over the limit is disconnected"
    );
    // Spread over time the same number is fine.
    let mut ws = connect(&url).await;
    for id in 1..=8 {
        let req = format!(r#"{{"method":"LIST_SUBSCRIPTIONS","id":{id}}}"#);
        send(&mut ws, &req).await;
        assert!(matches!(next(&mut ws, WAIT).await, Got::Text(_)));
        actix_rt::time::sleep(Duration::from_millis(250)).await;
    }
    sim.stop();
}
