//! Books built by the engine over real WebSockets equal the simulator's truth book.

mod engine_common;
use engine_common::*;
use marketfeed::Exchange;
use marketfeed::{FeedEvent, FeedStatus, StreamKind, Subscription};
use std::time::Duration;

async fn one_venue(exchange: Exchange, depth: usize) {
    let btc = sym("BTC-USDT");
    let sim = simulator_for(exchange, &["BTC-USDT"]).await;
    let engine = engine(&sim);
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(exchange, btc.clone())
                .kinds([StreamKind::Status, StreamKind::Book]),
        )
        .await
        .unwrap();
    wait_for(&mut feed, Duration::from_secs(10), "live", |e| {
        is_status(e, exchange, Some(&btc), |s| *s == FeedStatus::Live)
    })
    .await;
    // While the market moves, the book at any update id equals the truth at that id.
    assert_book_matches_truth(&engine, &sim, exchange, &btc, depth).await;
    // Paused: once in-flight frames are applied the books are identical, ids included.
    sim.pause();
    assert_settled_book(&engine, &sim, exchange, &btc, depth).await;
    // Views arrive with exact decimals.
    let view = wait_for(&mut feed, Duration::from_secs(5), "a view", |e| {
        matches!(e, FeedEvent::Book(_))
    })
    .await;
    let FeedEvent::Book(v) = view else {
        unreachable!()
    };
    assert!(v.view.best_bid().unwrap().price < v.view.best_ask().unwrap().price);
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn binance_book_equals_truth() {
    one_venue(Exchange::Binance, 200).await;
}

#[actix_rt::test]
async fn kraken_book_equals_truth() {
    one_venue(Exchange::Kraken, 10).await;
}

#[actix_rt::test]
async fn poloniex_book_equals_truth() {
    one_venue(Exchange::Poloniex, 20).await;
}

#[actix_rt::test]
async fn three_venues_at_once() {
    let sim = simulator(&on_each(
        &[Exchange::Binance, Exchange::Kraken, Exchange::Poloniex],
        &["BTC-USDT", "ETH-USDT"],
    ))
    .await;
    let engine = engine(&sim);
    let markets: Vec<_> = [Exchange::Binance, Exchange::Kraken, Exchange::Poloniex]
        .into_iter()
        .flat_map(|e| [(e, sym("BTC-USDT")), (e, sym("ETH-USDT"))])
        .collect();
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(markets.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    wait_all_live(&mut feed, Duration::from_secs(15), &markets).await;
    sim.pause();
    for (e, s) in &markets {
        let depth = match e {
            Exchange::Kraken => 10,
            Exchange::Poloniex => 20,
            _ => 200,
        };
        assert_settled_book(&engine, &sim, *e, s, depth).await;
    }
    engine.shutdown().await;
    sim.stop();
}
