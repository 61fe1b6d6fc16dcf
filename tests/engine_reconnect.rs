//! A dropped connection is reconnected (backoff from the supervisor) and every book on it
//! resyncs to the truth.

mod engine_common;
use engine_common::*;
use marketfeed::Exchange;
use marketfeed::{FeedStatus, StreamKind, Subscription};
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
    let markets: Vec<_> = symbols.iter().map(|s| (exchange, s.clone())).collect();
    wait_all_live(&mut feed, Duration::from_secs(10), &markets).await;
    for _round in 0..2 {
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
        // The books may come back in any order (Binance snapshots are fetched concurrently).
        wait_all_live(&mut feed, Duration::from_secs(10), &markets).await;
        for s in &symbols {
            assert_book_matches_truth(&engine, &sim, exchange, s, 10).await;
        }
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
