//! OKX v5 through the engine on the simulator: spot, perpetual swap and dated future books
//! equal the truth at the same `seqId`; the 2026 procedure (no WebSocket snapshot, the REST
//! order book); the `64008` maintenance notice; more books than one connection may carry.
//! (The isolated resyncs are in `engine_resync.rs`, trades in `engine_trades.rs`, TLS on the
//! production host in `dress_rehearsal.rs`.)
#![cfg(feature = "sim")]

mod engine_common;
use engine_common::*;
use marketfeed::sim::{SimConfig, Simulator};
use marketfeed::{Exchange, Symbol};
use marketfeed::{StreamKind, Subscription};
use std::time::{Duration, Instant};

const KINDS: [&str; 3] = ["BTC-USDT", "BTC-USDT-SWAP", "BTC-USD-260925"];

async fn start(tweak: impl FnOnce(SimConfig) -> SimConfig, names: &[&str]) -> Simulator {
    Simulator::start(tweak(sim_config(&[(Exchange::Okx, names)])))
        .await
        .expect("simulator starts")
}

fn markets(names: &[&str]) -> Vec<(Exchange, Symbol)> {
    names.iter().map(|n| (Exchange::Okx, sym(n))).collect()
}

/// A simulator with BTC-USDT on OKX, an engine, and a status feed of that book, live.
async fn one_live_book() -> (Simulator, marketfeed::Engine, marketfeed::Feed, Symbol) {
    let sim = start(|c| c, &["BTC-USDT"]).await;
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Okx, btc.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    wait_live(&mut feed, &btc, Duration::from_secs(10)).await;
    (sim, engine, feed, btc)
}

/// Receives until the OKX book of `symbol` reports `Live`.
async fn wait_live(feed: &mut marketfeed::Feed, symbol: &Symbol, timeout: Duration) {
    wait_for(feed, timeout, "live", |e| {
        is_status(e, Exchange::Okx, Some(symbol), |s| {
            *s == marketfeed::FeedStatus::Live
        })
    })
    .await;
}

/// Every book of `names` live, equal to the truth at the engine's `seqId` while the market
/// moves, and to the current truth (ids included) once paused.
async fn books_equal_truth(sim: &Simulator, names: &[&str]) {
    let engine = engine(sim);
    let markets = markets(names);
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(markets.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    wait_all_live(&mut feed, Duration::from_secs(15), &markets).await;
    for (e, s) in &markets {
        assert_book_matches_truth(&engine, sim, *e, s, 400).await;
    }
    sim.pause();
    for (e, s) in &markets {
        assert_settled_book(&engine, sim, *e, s, 400).await;
    }
    engine.shutdown().await;
}

/// Spot, swap and future on one connection, each equal to the truth at the same `seqId`.
#[actix_rt::test]
async fn spot_swap_and_future_books_equal_truth_at_the_same_seq_id() {
    let sim = start(|c| c, &KINDS).await;
    books_equal_truth(&sim, &KINDS).await;
    sim.stop();
}

/// As before 2026-06-23: the legacy checksum on every message, verified.
#[actix_rt::test]
async fn legacy_checksum_books_equal_truth() {
    let sim = start(
        |c| SimConfig {
            okx_legacy_checksum: true,
            ..c
        },
        &KINDS,
    )
    .await;
    books_equal_truth(&sim, &KINDS).await;
    sim.stop();
}

/// The 2026 procedure: no WebSocket snapshot; the REST order book's `seqId` anchors the
/// chain.
#[actix_rt::test]
async fn without_ws_snapshot_the_rest_order_book_anchors_the_chain() {
    let sim = start(
        |c| SimConfig {
            okx_ws_snapshot: false,
            ..c
        },
        &KINDS,
    )
    .await;
    books_equal_truth(&sim, &KINDS).await;
    assert!(
        sim.rest_log().len() >= KINDS.len(),
        "one REST order book per book: {:?}",
        sim.rest_log()
    );
    sim.stop();
}

/// `64008`: the engine reconnects on the notice, before the venue closes the connection,
/// and the books are live and exact again.
#[actix_rt::test]
async fn maintenance_notice_reconnects_before_the_close() {
    let names = ["BTC-USDT", "ETH-USDT"];
    let sim = start(|c| c, &names).await;
    let engine = engine(&sim);
    let markets = markets(&names);
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(markets.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    wait_all_live(&mut feed, Duration::from_secs(10), &markets).await;
    let subscribes = |sim: &Simulator| {
        sim.client_messages(Exchange::Okx)
            .iter()
            .filter(|m| m.contains("\"subscribe\"") && m.contains("books"))
            .count()
    };
    let before = subscribes(&sim);
    let grace = Duration::from_secs(20);
    let announced = Instant::now();
    sim.faults().announce_maintenance(Exchange::Okx, grace);
    wait_all_live(&mut feed, Duration::from_secs(10), &markets).await;
    assert!(announced.elapsed() < grace, "live again before the close");
    assert!(
        subscribes(&sim) > before,
        "subscribed again on a new connection"
    );
    assert_eq!(
        sim.open_connections(Exchange::Okx),
        1,
        "the old connection was closed"
    );
    for (e, s) in &markets {
        assert_book_matches_truth(&engine, &sim, *e, s, 400).await;
    }
    engine.shutdown().await;
    sim.stop();
}

/// 35 books: OKX wants fewer than 30 book channels per connection, so the engine opens
/// more than one, under the venue's 3 new connections a second, and every book is exact.
#[actix_rt::test]
async fn more_books_than_one_connection_carries() {
    let names: Vec<String> = (0..35).map(|i| format!("C{i}-USDT")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let sim = start(
        |c| SimConfig {
            step_interval: Duration::from_millis(20),
            ..c
        },
        &names,
    )
    .await;
    let engine = engine(&sim);
    let markets = markets(&names);
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(markets.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    wait_all_live(&mut feed, Duration::from_secs(20), &markets).await;
    // 35 books at fewer than 30 a connection.
    assert!(sim.open_connections(Exchange::Okx) >= 2);
    sim.pause();
    for (e, s) in &markets {
        assert_settled_book(&engine, &sim, *e, s, 400).await;
    }
    engine.shutdown().await;
    sim.stop();
}

/// 100 books need 4 connections; OKX refuses a fourth new connection within a second
/// (the simulator answers 429, as the venue does per IP): the engine paces its connection
/// attempts, so no attempt is refused and no connection is lost on the way to live.
#[actix_rt::test]
async fn connection_attempts_stay_under_three_a_second() {
    let names: Vec<String> = (0..100).map(|i| format!("D{i}-USDT")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let sim = start(
        |c| SimConfig {
            step_interval: Duration::from_millis(50),
            market: marketfeed::sim::MarketConfig {
                depth: 30,
                ..c.market.clone()
            },
            ..c
        },
        &names,
    )
    .await;
    let engine = engine(&sim);
    let markets = markets(&names);
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(markets.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    let mut pending: std::collections::HashSet<Symbol> =
        markets.iter().map(|(_, s)| s.clone()).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(e)) = actix_rt::time::timeout(left, feed.recv()).await else {
            panic!("not live in time: {} books left", pending.len());
        };
        if let marketfeed::FeedEvent::Status(s) = &e {
            if let marketfeed::FeedStatus::Disconnected { reason, .. } = &s.status {
                panic!("a connection attempt failed: {reason}");
            }
            if s.status == marketfeed::FeedStatus::Live {
                if let Some(sym) = &s.symbol {
                    pending.remove(sym);
                }
            }
        }
    }
    assert_eq!(sim.open_connections(Exchange::Okx), 4);
    engine.shutdown().await;
    sim.stop();
}

/// A broken chain is healed from the REST order book while the stream goes on: one REST
/// request per gap, no unsubscribe or subscribe (none of the 480 requests an hour spent).
#[actix_rt::test]
async fn a_gap_costs_one_rest_request_and_no_resubscribe() {
    let (sim, engine, mut feed, btc) = one_live_book().await;
    // The in-stream snapshot after the subscribe: no REST request.
    assert_eq!(sim.rest_log().len(), 0);
    let requests = sim.client_messages(Exchange::Okx).len();
    for gap in 1..=3 {
        sim.faults().skip_update(Exchange::Okx, &btc);
        wait_for(&mut feed, Duration::from_secs(10), "resyncing", |e| {
            is_status(e, Exchange::Okx, Some(&btc), |s| {
                matches!(s, marketfeed::FeedStatus::Resyncing { .. })
            })
        })
        .await;
        wait_live(&mut feed, &btc, Duration::from_secs(10)).await;
        assert_eq!(sim.rest_log().len(), gap, "one REST order book per gap");
    }
    let sent = sim.client_messages(Exchange::Okx);
    assert!(
        sent[requests..].iter().all(|m| m == "ping"),
        "nothing but pings since the subscribe: {:?}",
        &sent[requests..]
    );
    assert_book_matches_truth(&engine, &sim, Exchange::Okx, &btc, 400).await;
    engine.shutdown().await;
    sim.stop();
}

/// OKX answers a REST order book over its limit with 429 and `50011`, no `Retry-After`: the
/// book holds its snapshots for OKX's 2 s window (not Binance's minute) and is live again.
#[actix_rt::test]
async fn a_throttled_rest_order_book_is_retried_after_the_okx_window() {
    let (sim, engine, mut feed, btc) = one_live_book().await;
    sim.faults().throttle_rest(2);
    sim.faults().skip_update(Exchange::Okx, &btc);
    let t0 = Instant::now();
    wait_live(&mut feed, &btc, Duration::from_secs(15)).await;
    let statuses: Vec<u16> = sim.rest_log().iter().map(|(_, s)| *s).collect();
    assert_eq!(
        statuses,
        vec![429, 429, 200],
        "two refusals, then the order book"
    );
    assert!(
        t0.elapsed() >= Duration::from_secs(2),
        "held for the window"
    );
    assert_book_matches_truth(&engine, &sim, Exchange::Okx, &btc, 400).await;
    engine.shutdown().await;
    sim.stop();
}
