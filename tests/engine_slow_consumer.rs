//! A slow consumer gets coalesced views and a loss count while the book stays current.

mod engine_common;
use engine_common::*;
use marketfeed::Exchange;
use marketfeed::{BookState, FeedEvent, StreamKind, Subscription};
use std::time::Duration;

#[actix_rt::test]
async fn slow_consumer_coalesces_and_counts_losses() {
    let sim = simulator_for(Exchange::Binance, &["BTC-USDT"]).await;
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let slow = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, btc.clone())
                .kinds([StreamKind::Book, StreamKind::Deltas])
                .capacity(8),
        )
        .await
        .unwrap();
    // Nobody reads `slow` for a while; the book keeps moving.
    actix_rt::time::sleep(Duration::from_millis(1500)).await;
    let q = engine.book(Exchange::Binance, &btc, 5).await.unwrap();
    assert_eq!(
        q.state,
        BookState::Live,
        "the book is not held back by the consumer"
    );
    let sim_id = sim.last_update_id(Exchange::Binance, &btc).unwrap();
    assert!(
        q.last_update_id.unwrap() + 2_000 > sim_id,
        "book current: {:?} vs {sim_id}",
        q.last_update_id
    );
    // Stop the market so nothing new arrives while we drain, then read what is queued.
    sim.pause();
    actix_rt::time::sleep(Duration::from_millis(200)).await;
    let mut lost = 0;
    let mut views = 0;
    let mut deltas = 0;
    while let Some(e) = slow.try_recv() {
        match e {
            FeedEvent::Lost {
                kind: StreamKind::Deltas,
                count,
            } => lost += count,
            FeedEvent::Book(_) => views += 1,
            FeedEvent::Delta(_) | FeedEvent::Snapshot(_) => deltas += 1,
            _ => {}
        }
    }
    assert!(lost > 0, "losses are reported");
    assert!(deltas <= 8, "at most the capacity was queued ({deltas})");
    assert_eq!(views, 1, "views of one book coalesce into the latest");
    let stats = slow.stats();
    assert_eq!(stats.lost, lost);
    assert!(stats.coalesced > 10);
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn throttled_views_and_runtime_unsubscribe() {
    let sim = simulator_for(Exchange::Binance, &["BTC-USDT"]).await;
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, btc.clone())
                .kind(StreamKind::Book)
                .throttle(Duration::from_millis(200)),
        )
        .await
        .unwrap();
    let mut views = 0;
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        if let Ok(Some(FeedEvent::Book(_))) =
            actix_rt::time::timeout(Duration::from_millis(100), feed.recv()).await
        {
            views += 1;
        }
    }
    // 5 ms steps would give ~300 views; throttled to 200 ms: about 7.
    assert!((2..=10).contains(&views), "{views} throttled views");
    // A second subscription added at run time, then removed.
    let extra = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, btc.clone())
                .kind(StreamKind::BestBidAsk),
        )
        .await
        .unwrap();
    let id = extra.id();
    engine.unsubscribe(id).await.unwrap();
    let mut extra = extra;
    let end = actix_rt::time::timeout(Duration::from_secs(3), async {
        while extra.recv().await.is_some() {}
    })
    .await;
    assert!(end.is_ok(), "the unsubscribed feed closes");
    engine.shutdown().await;
    sim.stop();
}
