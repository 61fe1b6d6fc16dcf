//! Feed lifetimes (issue 8 item 6): a market's book and streams live as long as some feed
//! wants them. The last feed dropped or unsubscribed releases them (unsubscribed on the
//! venue, the book gone from the engine, an empty connection closed); a feed that arrives at
//! a live book is sent its current state first.

mod engine_common;
use engine_common::*;
use marketfeed::prelude::*;
use marketfeed::sim::Simulator;
use marketfeed::{Exchange, Symbol};
use std::time::{Duration, Instant};

/// Polls `cond` every 50 ms until it holds or `timeout` passes; returns whether it held.
async fn eventually(timeout: Duration, mut cond: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The client messages that unsubscribe `symbol` (any venue's spelling of the request).
fn unsubscribes(sim: &Simulator, exchange: Exchange, symbol: &Symbol) -> Vec<String> {
    let venue = symbol.to_venue(exchange).to_lowercase();
    sim.client_messages(exchange)
        .into_iter()
        .filter(|m| {
            let m = m.to_lowercase();
            m.contains("unsubscribe") && m.contains(&venue)
        })
        .collect()
}

fn book_sub(exchange: Exchange, symbol: &Symbol) -> Subscription {
    Subscription::new()
        .market(exchange, symbol.clone())
        .kinds([StreamKind::Status, StreamKind::Book])
}

async fn is_unknown(engine: &Engine, exchange: Exchange, symbol: &Symbol) -> bool {
    matches!(
        engine.book(exchange, symbol, 1).await,
        Err(EngineError::UnknownMarket(..))
    )
}

#[actix_rt::test]
async fn dropping_the_last_feed_unsubscribes_and_closes_the_connection() {
    let sim = simulator(&[(Exchange::Binance, &["BTC-USDT"])]).await;
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let mut feed = engine
        .subscribe(book_sub(Exchange::Binance, &btc))
        .await
        .unwrap();
    wait_all_live(
        &mut feed,
        Duration::from_secs(10),
        &[(Exchange::Binance, btc.clone())],
    )
    .await;
    assert_eq!(sim.open_connections(Exchange::Binance), 1);
    assert!(unsubscribes(&sim, Exchange::Binance, &btc).is_empty());

    drop(feed);
    let released = eventually(Duration::from_secs(5), async || {
        sim.open_connections(Exchange::Binance) == 0
            && is_unknown(&engine, Exchange::Binance, &btc).await
    })
    .await;
    assert!(
        released,
        "connection still open ({}) or book still listed: {:?}",
        sim.open_connections(Exchange::Binance),
        engine
            .book(Exchange::Binance, &btc, 1)
            .await
            .map(|q| q.state)
    );
    // (The connection sends its UNSUBSCRIBE before the closing frame, but the simulator may
    // end the session on the closed socket before it reads it: the closed connection is
    // what is asserted here; the tests below see the UNSUBSCRIBE on a connection that stays.)
    engine.shutdown().await;
    sim.stop();
}

/// Two markets on one connection; the feed of one is unsubscribed (through the engine) or
/// dropped: that market is unsubscribed on the venue and leaves the engine, the connection
/// stays open and the other market carries on.
async fn releasing_one_market_keeps_the_other(exchange: Exchange, by_unsubscribe: bool) {
    let (a, b) = (sym("BTC-USDT"), sym("ETH-USDT"));
    let sim = simulator_for(exchange, &["BTC-USDT", "ETH-USDT"]).await;
    let engine = engine(&sim);
    let feed_a = engine.subscribe(book_sub(exchange, &a)).await.unwrap();
    let mut feed_b = engine.subscribe(book_sub(exchange, &b)).await.unwrap();
    wait_all_live(
        &mut feed_b,
        Duration::from_secs(10),
        &[(exchange, b.clone())],
    )
    .await;
    wait_for(
        &mut feed_b,
        Duration::from_secs(10),
        "a book view of b",
        |e| matches!(e, FeedEvent::Book(u) if u.symbol == b),
    )
    .await;
    assert!(engine.book(exchange, &a, 1).await.is_ok());
    assert_eq!(
        sim.open_connections(exchange),
        1,
        "one connection carries both"
    );

    if by_unsubscribe {
        engine.unsubscribe(feed_a.id()).await.unwrap();
    } else {
        drop(feed_a);
    }
    let released = eventually(Duration::from_secs(5), async || {
        !unsubscribes(&sim, exchange, &a).is_empty() && is_unknown(&engine, exchange, &a).await
    })
    .await;
    assert!(
        released,
        "{exchange} {a} not released; client messages: {:?}",
        sim.client_messages(exchange)
    );
    assert!(
        unsubscribes(&sim, exchange, &b).is_empty(),
        "{b} must stay subscribed: {:?}",
        sim.client_messages(exchange)
    );
    assert_eq!(
        sim.open_connections(exchange),
        1,
        "the connection stays open"
    );
    // The other market still updates.
    let before = sim.last_update_id(exchange, &b);
    wait_for(
        &mut feed_b,
        Duration::from_secs(5),
        "a later view of b",
        |e| matches!(e, FeedEvent::Book(u) if u.symbol == b && u.state == BookState::Live),
    )
    .await;
    assert_eq!(
        engine.book(exchange, &b, 1).await.unwrap().state,
        BookState::Live
    );
    assert!(sim.last_update_id(exchange, &b) >= before);
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn binance_unsubscribing_one_market_releases_only_it() {
    releasing_one_market_keeps_the_other(Exchange::Binance, true).await;
}

#[actix_rt::test]
async fn kraken_dropping_one_market_releases_only_it() {
    releasing_one_market_keeps_the_other(Exchange::Kraken, false).await;
}

#[actix_rt::test]
async fn poloniex_dropping_one_market_releases_only_it() {
    releasing_one_market_keeps_the_other(Exchange::Poloniex, false).await;
}

#[actix_rt::test]
async fn two_feeds_on_one_market_drop_one_the_book_stays_for_the_other() {
    let sim = simulator(&[(Exchange::Binance, &["BTC-USDT"])]).await;
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let first = engine
        .subscribe(book_sub(Exchange::Binance, &btc))
        .await
        .unwrap();
    let mut second = engine
        .subscribe(book_sub(Exchange::Binance, &btc))
        .await
        .unwrap();
    wait_all_live(
        &mut second,
        Duration::from_secs(10),
        &[(Exchange::Binance, btc.clone())],
    )
    .await;
    drop(first);
    // Keep reading the other feed for well over the time a dropped feed takes to be noticed
    // (the subscriber checks every 200 ms) and released.
    let start = Instant::now();
    let mut views = 0;
    while start.elapsed() < Duration::from_millis(1500) {
        if let Ok(Some(FeedEvent::Book(u))) =
            actix_rt::time::timeout(Duration::from_millis(500), second.recv()).await
        {
            assert_eq!(u.state, BookState::Live);
            views += 1;
        }
    }
    assert!(views > 0, "the remaining feed kept receiving views");
    assert!(
        unsubscribes(&sim, Exchange::Binance, &btc).is_empty(),
        "the market was unsubscribed while a feed wants it: {:?}",
        sim.client_messages(Exchange::Binance)
    );
    assert_eq!(sim.open_connections(Exchange::Binance), 1);
    assert_eq!(
        engine.book(Exchange::Binance, &btc, 1).await.unwrap().state,
        BookState::Live
    );
    wait_for(
        &mut second,
        Duration::from_secs(5),
        "a view after the drop",
        |e| matches!(e, FeedEvent::Book(u) if u.symbol == btc),
    )
    .await;
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn late_subscriber_gets_the_current_state_before_changes() {
    let sim = simulator(&[(Exchange::Binance, &["BTC-USDT"])]).await;
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let mut first = engine
        .subscribe(book_sub(Exchange::Binance, &btc))
        .await
        .unwrap();
    wait_all_live(
        &mut first,
        Duration::from_secs(10),
        &[(Exchange::Binance, btc.clone())],
    )
    .await;
    wait_for(&mut first, Duration::from_secs(5), "a view", |e| {
        matches!(e, FeedEvent::Book(_))
    })
    .await;
    // Nothing changes from now on: whatever the late feed gets is the greeting.
    sim.pause();
    actix_rt::time::sleep(Duration::from_millis(100)).await;
    let expected = engine.book(Exchange::Binance, &btc, 5).await.unwrap();
    assert_eq!(expected.state, BookState::Live);

    let mut late = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, btc.clone())
                .kinds([
                    StreamKind::Status,
                    StreamKind::Book,
                    StreamKind::Deltas,
                    StreamKind::BestBidAsk,
                ])
                .depth(5),
        )
        .await
        .unwrap();
    let (mut status, mut view, mut snapshot, mut bbo) = (None, None, None, None);
    let deadline = Instant::now() + Duration::from_secs(5);
    while (status.is_none() || view.is_none() || snapshot.is_none() || bbo.is_none())
        && Instant::now() < deadline
    {
        let Ok(Some(e)) = actix_rt::time::timeout(Duration::from_millis(200), late.recv()).await
        else {
            continue;
        };
        match e {
            FeedEvent::Status(s) if s.symbol.as_ref() == Some(&btc) => {
                assert!(view.is_none() && snapshot.is_none(), "status comes first");
                status = Some(s.status.clone());
            }
            FeedEvent::Book(u) => view = Some(u),
            FeedEvent::Snapshot(s) => snapshot = Some(s),
            FeedEvent::BestBidAsk(b) => bbo = Some(b),
            FeedEvent::Delta(d) => panic!("a delta before the state: {d:?}"),
            _ => {}
        }
    }
    assert_eq!(
        status,
        Some(FeedStatus::Live),
        "the late feed got the book's status"
    );
    let view = view.expect("the late feed got the current view");
    assert_eq!(view.state, BookState::Live);
    assert_eq!(
        view.view, expected.view,
        "the view is the book's current top 5"
    );
    assert_eq!(view.last_update_id, expected.last_update_id);
    let snapshot = snapshot.expect("the late delta feed got a snapshot");
    assert_eq!(snapshot.seq.last_id, expected.last_update_id);
    assert_eq!(snapshot.bids.first(), expected.view.bids.first());
    let bbo = bbo.expect("the late feed got best bid/ask");
    assert_eq!(bbo.bid.as_ref(), expected.view.bids.first());
    assert_eq!(bbo.ask.as_ref(), expected.view.asks.first());
    engine.shutdown().await;
    sim.stop();
}
