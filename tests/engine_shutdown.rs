//! Graceful shutdown: feeds close, actors stop, arbiter threads are joined.

mod engine_common;
use engine_common::*;
use marketfeed::Exchange;
use marketfeed::{StreamKind, Subscription};
use std::time::Duration;

fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .map(|s| s.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[actix_rt::test]
async fn shutdown_leaves_nothing_running() {
    let sim = simulator(&on_each(
        &[Exchange::Binance, Exchange::Kraken, Exchange::Poloniex],
        &["BTC-USDT"],
    ))
    .await;
    // Let the simulator's own server threads start before counting (stable for 200 ms).
    let mut before = threads();
    loop {
        actix_rt::time::sleep(Duration::from_millis(200)).await;
        let now = threads();
        if now == before {
            break;
        }
        before = now;
    }
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(
                    [Exchange::Binance, Exchange::Kraken, Exchange::Poloniex]
                        .map(|e| (e, btc.clone())),
                )
                .kinds([StreamKind::Status, StreamKind::Book, StreamKind::Trades]),
        )
        .await
        .unwrap();
    let markets =
        [Exchange::Binance, Exchange::Kraken, Exchange::Poloniex].map(|e| (e, btc.clone()));
    wait_all_live(&mut feed, Duration::from_secs(10), &markets).await;
    assert!(threads() > before, "the engine runs its arbiters");
    engine.shutdown().await;
    // Every feed ends.
    let drained = actix_rt::time::timeout(Duration::from_secs(3), async {
        while feed.recv().await.is_some() {}
    })
    .await;
    assert!(drained.is_ok(), "the feed closes at shutdown");
    assert!(!engine.is_running(), "the supervisor stopped");
    // Arbiter threads are joined.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while threads() > before && std::time::Instant::now() < deadline {
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        threads(),
        before,
        "no engine thread left behind: {:?}",
        thread_names()
    );
    assert!(engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, btc)
                .kind(StreamKind::Book)
        )
        .await
        .is_err());
    sim.stop();
}

#[test]
fn spawned_engine_runs_from_plain_code() {
    let thread = marketfeed::Engine::builder()
        .arbiters(1)
        .spawn()
        .expect("spawned");
    let engine = thread.engine().clone();
    // A bad config value is a clear error, not a panic.
    let err = marketfeed::Engine::builder()
        .book_depth(marketfeed::Exchange::Kraken, 7)
        .spawn()
        .err()
        .unwrap();
    assert!(
        matches!(
            &err,
            marketfeed::EngineError::BookDepth(e)
                if e.exchange == marketfeed::Exchange::Kraken && e.depth == 7
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("kraken: book depth 7"), "{err}");
    drop(engine);
    thread.shutdown();
}
