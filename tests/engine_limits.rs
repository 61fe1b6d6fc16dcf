//! The engine stays under Binance's limit of 5 incoming messages per second per connection
//! (the simulator disconnects above it, as Binance does): books added one by one on a live
//! connection are subscribed with paced requests, and no connection is lost.

mod engine_common;
use engine_common::*;
use marketfeed::runtime::events::{FeedEvent, FeedStatus, StreamKind, Subscription};
use marketfeed::Exchange;
use std::time::Duration;

const NAMES: [&str; 10] = [
    "BTC-USDT",
    "ETH-USDT",
    "SOL-USDT",
    "XRP-USDT",
    "ADA-USDT",
    "DOGE-USDT",
    "DOT-USDT",
    "LTC-USDT",
    "BNB-USDT",
    "TRX-USDT",
];

#[actix_rt::test]
async fn binance_requests_are_paced_under_the_venue_limit() {
    let sim = simulator_for(Exchange::Binance, &NAMES).await;
    let engine = engine(&sim);
    let first = sym(NAMES[0]);
    let mut status = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, first.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    wait_all_live(
        &mut status,
        Duration::from_secs(10),
        &[(Exchange::Binance, first)],
    )
    .await;
    // Nine more books, each its own subscription on the open connection: nine SUBSCRIBE
    // requests at once, more than Binance takes in a second.
    let rest: Vec<_> = NAMES[1..]
        .iter()
        .map(|n| (Exchange::Binance, sym(n)))
        .collect();
    let mut feeds = Vec::new();
    for m in &rest {
        let sub = Subscription::new()
            .market(m.0, m.1.clone())
            .kind(StreamKind::Status);
        feeds.push(engine.subscribe(sub).await.unwrap());
    }
    for (feed, m) in feeds.iter_mut().zip(&rest) {
        wait_all_live(feed, Duration::from_secs(15), std::slice::from_ref(m)).await;
    }
    // The first feed also carries the connection's status: it was never lost.
    while let Some(e) = status.try_recv() {
        if let FeedEvent::Status(s) = &e {
            assert!(
                !matches!(s.status, FeedStatus::Disconnected { .. }),
                "connection lost: {:?}",
                s.status
            );
        }
    }
    for (_, s) in &rest {
        assert_book_matches_truth(&engine, &sim, Exchange::Binance, s, 10).await;
    }
    engine.shutdown().await;
    sim.stop();
}
