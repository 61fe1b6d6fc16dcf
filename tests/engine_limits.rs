//! The engine stays under Binance's limit of 5 incoming messages per second per connection
//! (the simulator disconnects above it, as Binance does): books added one by one on a live
//! connection are subscribed with paced requests, and no connection is lost.

mod engine_common;
use engine_common::*;
use marketfeed::Exchange;
use marketfeed::{FeedEvent, FeedStatus, StreamKind, Subscription};
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

/// A 429 with `Retry-After` from the REST snapshot endpoint holds every snapshot of the venue
/// until then (reported as `Throttled`); the book then syncs.
#[actix_rt::test]
async fn binance_rest_429_is_honoured() {
    let sim = simulator_for(Exchange::Binance, &["BTC-USDT"]).await;
    sim.faults().throttle_rest(1);
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, btc.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(&"live") {
        assert!(std::time::Instant::now() < deadline, "{seen:?}");
        let Ok(Some(FeedEvent::Status(s))) =
            actix_rt::time::timeout(Duration::from_secs(1), feed.recv()).await
        else {
            continue;
        };
        if s.symbol.as_ref() != Some(&btc) {
            continue;
        }
        seen.push(match &s.status {
            FeedStatus::SnapshotFailed { reason } => {
                assert!(
                    reason.contains("429") && reason.contains("-1003"),
                    "{reason}"
                );
                "failed"
            }
            FeedStatus::Throttled { retry_in } => {
                assert!(*retry_in <= Duration::from_secs(1), "{retry_in:?}");
                "throttled"
            }
            FeedStatus::Live => "live",
            _ => "other",
        });
    }
    let failed = seen
        .iter()
        .position(|s| *s == "failed")
        .expect("the 429 is reported");
    let throttled = seen
        .iter()
        .position(|s| *s == "throttled")
        .expect("the wait is reported");
    assert!(failed < throttled, "{seen:?}");
    // The venue saw the 429, then nothing until Retry-After had passed.
    let log = sim.rest_log();
    assert_eq!(log[0].1, 429, "{log:?}");
    let retry = log
        .iter()
        .find(|(_, status)| *status == 200)
        .expect("fetched again");
    let waited = retry.0 - log[0].0;
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}"
    );
    assert_book_matches_truth(&engine, &sim, Exchange::Binance, &btc, 10).await;
    engine.shutdown().await;
    sim.stop();
}

/// More symbols than one connection may carry are spread over several connections (the
/// simulator refuses more than the cap on one, as Binance does above 1024 streams); every
/// book syncs, and after all connections drop every one comes back.
#[actix_rt::test]
async fn binance_symbols_beyond_the_stream_cap_open_more_connections() {
    use marketfeed::sim::{SimConfig, Simulator};
    let names = &NAMES[..7];
    let sim = Simulator::start(SimConfig {
        binance_max_streams_per_connection: 6,
        ..sim_config(&[(Exchange::Binance, names)])
    })
    .await
    .unwrap();
    // Six streams = three books per connection: seven books need three connections.
    let engine = engine_builder(&sim)
        .max_streams_per_connection(6)
        .start()
        .unwrap();
    let markets: Vec<_> = names.iter().map(|n| (Exchange::Binance, sym(n))).collect();
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(markets.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap();
    let mut connected = 0;
    let mut pending = markets.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !pending.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "not live: {pending:?}"
        );
        let Ok(Some(FeedEvent::Status(s))) =
            actix_rt::time::timeout(Duration::from_secs(1), feed.recv()).await
        else {
            continue;
        };
        match (&s.symbol, &s.status) {
            (None, FeedStatus::Connected) => connected += 1,
            (None, FeedStatus::Disconnected { reason, .. }) => panic!("refused: {reason}"),
            (None, FeedStatus::VenueError { message, .. }) => panic!("venue error: {message}"),
            (Some(sym), FeedStatus::Live) => pending.retain(|(_, p)| p != sym),
            _ => {}
        }
    }
    assert_eq!(connected, 3, "seven books over connections of three");
    for (_, s) in &markets {
        assert_book_matches_truth(&engine, &sim, Exchange::Binance, s, 10).await;
    }
    sim.faults().drop_connections(Exchange::Binance);
    wait_all_live(&mut feed, Duration::from_secs(15), &markets).await;
    for (_, s) in &markets {
        assert_book_matches_truth(&engine, &sim, Exchange::Binance, s, 10).await;
    }
    engine.shutdown().await;
    sim.stop();
}
