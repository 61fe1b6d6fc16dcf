//! The simulator's OKX v5 server, checked with the crate's own parser, sequencer and book:
//! the `books` snapshot + `seqId`-chained updates of the 400-level window, equal to the
//! truth now and at recorded `seqId`s, the legacy checksum verified on every update, trades
//! exact and in order, the REST order book of the 2026 procedure, control messages, the
//! limits (64 KB, 480 requests an hour, 3 connections a second), the idle close, the `64008`
//! notice and the fault knobs.
#![cfg(feature = "sim")]

mod sim_support;

use marketfeed::exchange::{Control, Message, Outcome, ParseError, ResyncReason, TrackerConfig};
use marketfeed::prelude::*;
use marketfeed::sim::{SimConfig, Simulator, TruthBook};
use sim_support::*;
use std::collections::HashMap;
use std::time::Duration;

const SUB: &str = r#"{"id":"1","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#;
const UNSUB: &str =
    r#"{"id":"2","op":"unsubscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#;

fn config() -> SimConfig {
    SimConfig {
        step_interval: Duration::from_millis(5),
        okx_legacy_checksum: true,
        ..SimConfig::default()
    }
}

struct Client<W> {
    ws: W,
    t: Tracked,
    controls: Vec<Control>,
    trades: Vec<Trade>,
    recorded: Vec<TruthBook>,
    pumps: usize,
    pongs: usize,
}

async fn client(sim: &Simulator, first: &str) -> Client<impl Ws> {
    let mut ws = connect(&sim.ws_base(Exchange::Okx)).await;
    send(&mut ws, first).await;
    Client {
        ws,
        t: Tracked::new(Exchange::Okx, TrackerConfig::default()),
        controls: Vec::new(),
        trades: Vec::new(),
        recorded: Vec::new(),
        pumps: 0,
        pongs: 0,
    }
}

impl<W: Ws> Client<W> {
    async fn pump(&mut self) -> Result<Vec<Outcome>, ParseError> {
        let frame = text(&mut self.ws).await;
        self.pumps += 1;
        if frame == "pong" {
            self.pongs += 1;
        }
        let msgs = parse_frame(Exchange::Okx, &frame)?;
        let mut outs = Vec::new();
        for m in msgs {
            match m {
                Message::Market(MarketEvent::Trade(t)) => self.trades.push(t),
                Message::Market(e @ (MarketEvent::Snapshot(_) | MarketEvent::Delta(_))) => {
                    outs.extend(self.t.feed(e))
                }
                Message::Market(_) => {}
                Message::Control(c) => self.controls.push(c),
            }
        }
        let delta = matches!(
            outs.last(),
            Some(Outcome::Applied {
                snapshot: false,
                ..
            }) | Some(Outcome::ChecksumOk)
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

    async fn until_control(&mut self, max: usize, f: impl Fn(&Control) -> bool) {
        for _ in 0..max {
            if self.controls.iter().any(&f) {
                return;
            }
            self.pump().await.unwrap();
        }
        panic!(
            "no matching control message in {max} frames: {:?}",
            self.controls
        );
    }

    /// Pings and reads until the pong: everything sent before is then processed.
    async fn sync_point(&mut self) {
        let before = self.pongs;
        send(&mut self.ws, "ping").await;
        while self.pongs == before {
            self.pump().await.unwrap();
        }
    }
}

/// The `seqId` chain, the window, the checksum and the trades, against the simulator's
/// truth: the book equals the truth at the same `seqId` now and at recorded ids.
#[actix_rt::test]
async fn books_chain_equals_truth_now_and_at_recorded_seq_ids_and_trades_are_exact() {
    let sim = Simulator::start(config()).await.unwrap();
    let sub = r#"{"id":"7","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT"}]}"#;
    let mut c = client(&sim, sub).await;
    c.until_live_deltas(200).await;
    assert_eq!(c.t.resyncs(), 0, "{:?}", c.t.outcomes);
    // Every update carried a legacy checksum, and every one verified.
    let oks = c.t.count(|o| *o == Outcome::ChecksumOk);
    assert!(oks >= 200, "{oks} checksums verified");
    for channel in ["books", "trades"] {
        assert!(
            c.controls.iter().any(|m| matches!(m,
            Control::Subscribed { channel: ch, symbol: Some(s) } if ch == channel && *s == btc())),
            "{channel}: {:?}",
            c.controls
        );
    }

    sim.pause();
    c.sync_point().await;
    let truth = sim.truth(Exchange::Okx, &btc()).unwrap();
    assert_eq!(truth.update_id, c.t.tracker.last_update_id());
    assert_same_book(&c.t.book(), &truth.top(400));
    assert!(c.t.book().bids.len() >= 200);

    assert!(c.recorded.len() >= 5);
    for rec in &c.recorded {
        let past = sim
            .truth_at(Exchange::Okx, &btc(), rec.update_id.unwrap())
            .unwrap();
        assert_same_book(rec, &past.top(400));
    }

    let sent: HashMap<u64, _> = sim
        .trades_sent(Exchange::Okx, &btc())
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
    sim.stop();
}

/// As OKX sends since 2026-06-23: `checksum` 0 on every message, treated as absent.
#[actix_rt::test]
async fn zero_checksum_is_absent_and_the_chain_alone_keeps_the_book_exact() {
    let sim = Simulator::start(SimConfig {
        okx_legacy_checksum: false,
        ..config()
    })
    .await
    .unwrap();
    let faults = sim.faults();
    let mut c = client(&sim, SUB).await;
    c.until_live_deltas(100).await;
    assert_eq!(c.t.count(|o| *o == Outcome::ChecksumOk), 0);
    // A corrupt checksum cannot show on a zero-checksum stream; the chain still guards.
    faults.corrupt_checksum(Exchange::Okx, &btc());
    c.until_live_deltas(50).await;
    assert_eq!(c.t.resyncs(), 0, "{:?}", c.t.outcomes);
    sim.pause();
    c.sync_point().await;
    let truth = sim.truth(Exchange::Okx, &btc()).unwrap();
    assert_eq!(truth.update_id, c.t.tracker.last_update_id());
    assert_same_book(&c.t.book(), &truth.top(400));
    sim.stop();
}

#[actix_rt::test]
async fn skip_breaks_the_chain_repeat_is_stale_corrupt_checksum_mismatches() {
    let sim = Simulator::start(config()).await.unwrap();
    let faults = sim.faults();
    let mut c = client(&sim, SUB).await;
    c.until_live_deltas(20).await;

    faults.skip_update(Exchange::Okx, &btc());
    let o = c.until(1000, |o| matches!(o, Outcome::Resync(_))).await;
    assert!(
        matches!(o, Outcome::Resync(ResyncReason::Gap { .. })),
        "{o:?}"
    );
    // A subscribe of a subscribed book starts it over from a snapshot.
    send(&mut c.ws, SUB).await;
    c.until_live_deltas(20).await;
    assert_eq!(c.t.resyncs(), 1);

    faults.repeat_update(Exchange::Okx, &btc());
    c.until(1000, |o| *o == Outcome::Stale).await;
    c.until_live_deltas(5).await;
    assert_eq!(c.t.resyncs(), 1);

    faults.corrupt_checksum(Exchange::Okx, &btc());
    let o = c.until(1000, |o| matches!(o, Outcome::Resync(_))).await;
    assert!(
        matches!(o, Outcome::Resync(ResyncReason::ChecksumMismatch { .. })),
        "{o:?}"
    );
    send(&mut c.ws, UNSUB).await;
    send(&mut c.ws, SUB).await;
    c.until_live_deltas(20).await;
    assert_eq!(c.t.resyncs(), 2);

    faults.malformed_frame(Exchange::Okx);
    let mut parse_error = false;
    for _ in 0..1000 {
        if c.pump().await.is_err() {
            parse_error = true;
            break;
        }
    }
    assert!(parse_error);

    faults.drop_connections(Exchange::Okx);
    assert!(closes(&mut c.ws, WAIT).await);
    sim.stop();
}

#[actix_rt::test]
async fn control_messages_ping_unknown_instruments_and_request_limits() {
    let sim = Simulator::start(config()).await.unwrap();
    let mut c = client(
        &sim,
        r#"{"id":"3","op":"subscribe","args":[{"channel":"books","instId":"DOGE-EUR"}]}"#,
    )
    .await;
    // An unknown instrument is refused, typed and terminal for that symbol.
    c.until_control(
        50,
        |m| matches!(m, Control::Rejected { symbol, .. } if symbol.as_str() == "DOGE-EUR"),
    )
    .await;
    // Not JSON, an unknown op, an unknown channel: typed errors with OKX's codes.
    send(&mut c.ws, "nope").await;
    send(&mut c.ws, r#"{"op":"login","args":[]}"#).await;
    send(
        &mut c.ws,
        r#"{"op":"subscribe","args":[{"channel":"candle1s","instId":"BTC-USDT"}]}"#,
    )
    .await;
    // 60018 names the channel and the instrument; the parser reads it as a refusal of
    // that instrument's subscription.
    c.until_control(50, |m| match m {
        Control::Error { code, .. } => *code == Some(60018),
        Control::Rejected { symbol, message } => *symbol == btc() && message.contains("candle1s"),
        _ => false,
    })
    .await;
    let errors_60012 = |c: &Client<_>| {
        c.controls
            .iter()
            .filter(|m| {
                matches!(
                    m,
                    Control::Error {
                        code: Some(60012),
                        ..
                    }
                )
            })
            .count()
    };
    while errors_60012(&c) < 2 {
        c.pump().await.unwrap();
    }
    // A request over 64 KB is refused.
    let big = format!(
        r#"{{"op":"subscribe","args":[{{"channel":"books","instId":"{}"}}]}}"#,
        "X".repeat(70_000)
    );
    send(&mut c.ws, &big).await;
    while errors_60012(&c) < 3 {
        c.pump().await.unwrap();
    }
    send(&mut c.ws, SUB).await;
    c.until_live_deltas(3).await;
    send(&mut c.ws, UNSUB).await;
    c.until_control(1000, |m| matches!(m, Control::Unsubscribed { .. }))
        .await;
    c.sync_point().await;
    // After the acknowledgement and a pong, nothing more of that book.
    match next(&mut c.ws, Duration::from_millis(200)).await {
        Got::Timeout => {}
        other => panic!("{other:?}"),
    }
    sim.stop();
}

/// 480 subscribe / unsubscribe requests an hour per connection; the 481st is `60014`.
#[actix_rt::test]
async fn the_481st_request_in_an_hour_is_refused() {
    let sim = Simulator::start(config()).await.unwrap();
    let mut ws = connect(&sim.ws_base(Exchange::Okx)).await;
    // 480 requests go through (each subscribe again is acknowledged again).
    let req = r#"{"op":"subscribe","args":[{"channel":"trades","instId":"BTC-USDT"}]}"#;
    for _ in 0..480 {
        send(&mut ws, req).await;
    }
    let mut acks = 0;
    while acks < 480 {
        let t = text(&mut ws).await;
        if t.contains(r#""event":"subscribe""#) {
            acks += 1;
        } else {
            assert!(!t.contains(r#""event":"error""#), "{t}");
        }
    }
    send(&mut ws, req).await;
    loop {
        let t = text(&mut ws).await;
        if t.contains(r#""event":"error""#) {
            let msgs = parse_frame(Exchange::Okx, &t).unwrap();
            assert!(
                matches!(
                    msgs.as_slice(),
                    [Message::Control(Control::Error {
                        code: Some(60014),
                        ..
                    })]
                ),
                "{t}"
            );
            break;
        }
    }
    sim.stop();
}

/// The venue closes a connection nothing was pushed on for its idle timeout; a client
/// that pings gets pongs and stays.
#[actix_rt::test]
async fn quiet_connections_are_closed_and_pings_keep_them() {
    let sim = Simulator::start(SimConfig {
        okx_idle_timeout: Duration::from_millis(300),
        ..config()
    })
    .await
    .unwrap();
    let mut quiet = connect(&sim.ws_base(Exchange::Okx)).await;
    let mut pinging = connect(&sim.ws_base(Exchange::Okx)).await;
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        send(&mut pinging, "ping").await;
        match next(&mut pinging, Duration::from_millis(100)).await {
            Got::Text(t) => assert_eq!(t, "pong"),
            other => panic!("the pinging client got {other:?}"),
        }
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closes(&mut quiet, Duration::from_millis(100)).await);
    sim.stop();
}

/// A fourth new connection within a second is refused with 429.
#[actix_rt::test]
async fn a_fourth_connection_in_a_second_is_refused() {
    let sim = Simulator::start(config()).await.unwrap();
    let url = sim.ws_base(Exchange::Okx);
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(connect(&url).await);
    }
    let refused = awc::Client::new().ws(url.as_str()).connect().await;
    match refused {
        Err(awc::error::WsClientError::InvalidResponseStatus(s)) => assert_eq!(s.as_u16(), 429),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a fourth connection within a second was accepted"),
    }
    actix_rt::time::sleep(Duration::from_millis(1100)).await;
    open.push(connect(&url).await);
    sim.stop();
}

/// `64008`: the notice on every open connection, each closed the grace period later; a
/// connection opened after the notice stays.
#[actix_rt::test]
async fn maintenance_notice_then_close_after_the_grace_period() {
    let sim = Simulator::start(config()).await.unwrap();
    let mut old = connect(&sim.ws_base(Exchange::Okx)).await;
    send(&mut old, "ping").await;
    assert_eq!(text(&mut old).await, "pong");
    sim.faults()
        .announce_maintenance(Exchange::Okx, Duration::from_millis(400));
    let notice = text(&mut old).await;
    let msgs = parse_frame(Exchange::Okx, &notice).unwrap();
    assert!(
        msgs.iter()
            .any(|m| matches!(m, Message::Control(Control::ServerShutdown))),
        "{notice} -> {msgs:?}"
    );
    let mut new = connect(&sim.ws_base(Exchange::Okx)).await;
    let at = std::time::Instant::now();
    assert!(closes(&mut old, Duration::from_secs(2)).await);
    assert!(
        at.elapsed() >= Duration::from_millis(300),
        "{:?}",
        at.elapsed()
    );
    send(&mut new, "ping").await;
    assert_eq!(text(&mut new).await, "pong");
    sim.stop();
}

/// Without the WebSocket snapshot (the 2026 procedure) a subscribe brings updates only, and
/// the REST order book carries a `seqId` at which it equals the truth; unknown instruments
/// and sizes over 400 get OKX's own error codes.
#[actix_rt::test]
async fn rest_order_book_carries_the_seq_id_the_stream_chains_from() {
    let sim = Simulator::start(SimConfig {
        okx_ws_snapshot: false,
        ..config()
    })
    .await
    .unwrap();
    let mut ws = connect(&sim.ws_base(Exchange::Okx)).await;
    send(&mut ws, SUB).await;
    // The ack, then updates only.
    let mut updates = Vec::new();
    while updates.len() < 30 {
        let t = text(&mut ws).await;
        assert!(!t.contains(r#""action":"snapshot""#), "{t}");
        if t.contains(r#""action":"update""#) {
            updates.push(t);
        }
    }
    let rest = sim.rest_base(Exchange::Okx).unwrap();
    let get = |query: &str| {
        let url = format!("{rest}/api/v5/market/books?{query}");
        async move {
            let body = awc::Client::new()
                .get(url.as_str())
                .send()
                .await
                .unwrap()
                .body()
                .await
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&body).unwrap()
        }
    };
    let v = get("instId=BTC-USDT&sz=400&source=0").await;
    assert_eq!(v["code"], "0", "{v}");
    let seq = v["data"][0]["seqId"].as_u64().unwrap();
    let truth = sim.truth_at(Exchange::Okx, &btc(), seq).unwrap().top(400);
    let bids = v["data"][0]["bids"].as_array().unwrap();
    assert_eq!(bids.len(), truth.bids.len());
    for (level, (p, q)) in bids.iter().zip(&truth.bids) {
        assert_eq!(level[0].as_str().unwrap().parse::<Decimal>().unwrap(), *p);
        assert_eq!(level[1].as_str().unwrap().parse::<Decimal>().unwrap(), *q);
    }
    assert_eq!(get("instId=DOGE-EUR").await["code"], "51001");
    assert_eq!(get("instId=BTC-USDT&sz=401").await["code"], "51000");
    sim.stop();
}
