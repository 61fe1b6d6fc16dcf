//! A dropped connection is reconnected (backoff from the supervisor) and every book on it
//! resyncs to the truth.

mod engine_common;
use engine_common::*;
use marketfeed::runtime::events::{FeedStatus, StreamKind, Subscription};
use marketfeed::Exchange;
use std::time::Duration;

async fn reconnects(exchange: Exchange) {
    let names = ["BTC-USDT", "ETH-USDT"];
    let sim = simulator_for(exchange, &names).await;
    let engine = engine(&sim);
    let symbols = [sym("BTC-USDT"), sym("ETH-USDT")];
    let sub = Subscription::new()
        .markets(symbols.iter().map(|s| (exchange, s.clone())))
        .kind(StreamKind::Status);
    let mut feed = engine.subscribe(sub).await.unwrap();
    for _ in 0..2 {
        wait_for(&mut feed, Duration::from_secs(10), "live", |e| is_status(e, exchange, None, |_| false) || matches!(e, marketfeed::runtime::events::FeedEvent::Status(s) if s.status == FeedStatus::Live)).await;
    }
    for round in 0..2 {
        sim.faults().drop_connections(exchange);
        wait_for(&mut feed, Duration::from_secs(5), "disconnected", |e| {
            is_status(e, exchange, None, |s| {
                matches!(s, FeedStatus::Disconnected { .. })
            })
        })
        .await;
        wait_for(&mut feed, Duration::from_secs(10), "reconnected", |e| {
            is_status(e, exchange, None, |s| *s == FeedStatus::Connected)
        })
        .await;
        for s in &symbols {
            wait_for(&mut feed, Duration::from_secs(10), "live again", |e| {
                is_status(e, exchange, Some(s), |st| *st == FeedStatus::Live)
            })
            .await;
            assert_book_matches_truth(&engine, &sim, exchange, s, 10).await;
        }
        let _ = round;
    }
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn binance_reconnects_and_resyncs() {
    reconnects(Exchange::Binance).await;
}

#[actix_rt::test]
async fn kraken_reconnects_and_resyncs() {
    reconnects(Exchange::Kraken).await;
}

#[actix_rt::test]
async fn poloniex_reconnects_and_resyncs() {
    reconnects(Exchange::Poloniex).await;
}
