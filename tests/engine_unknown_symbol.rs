//! A symbol the venue does not list is reported once as a terminal `Rejected` status; the
//! other book on the same connection syncs and keeps running, also across a reconnect.

mod engine_common;
use engine_common::*;
use marketfeed::Exchange;
use marketfeed::{BookState, FeedEvent, FeedStatus, StreamKind, Subscription};
use std::time::Duration;

async fn unknown_symbol(exchange: Exchange, expect_in_message: &str) {
    let (good, bad) = (sym("BTC-USDT"), sym("FOO-USDT"));
    let sim = simulator_for(exchange, &["BTC-USDT"]).await;
    let engine = engine(&sim);
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(exchange, good.clone())
                .market(exchange, bad.clone())
                .kinds([StreamKind::Status, StreamKind::Book, StreamKind::Trades]),
        )
        .await
        .unwrap();
    let mut rejected = None;
    let mut live = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !(live && rejected.is_some()) {
        assert!(
            std::time::Instant::now() < deadline,
            "live {live}, rejected {rejected:?}"
        );
        let Ok(Some(e)) = actix_rt::time::timeout(Duration::from_secs(1), feed.recv()).await else {
            continue;
        };
        match &e {
            FeedEvent::Status(s) if s.symbol.as_ref() == Some(&bad) => match &s.status {
                FeedStatus::Syncing => {}
                st => {
                    assert!(st.is_terminal(), "{bad}: {st:?}");
                    assert!(rejected.is_none(), "{bad} is reported once");
                    rejected = Some(st.clone());
                }
            },
            FeedEvent::Status(s) if s.symbol.as_ref() == Some(&good) => {
                live |= s.status == FeedStatus::Live;
            }
            FeedEvent::Status(s) if s.symbol.is_none() => {
                assert!(
                    !matches!(
                        s.status,
                        FeedStatus::Disconnected { .. } | FeedStatus::VenueError { .. }
                    ),
                    "the connection is untouched: {:?}",
                    s.status
                );
            }
            _ => {}
        }
    }
    let Some(FeedStatus::Rejected { message, .. }) = rejected else {
        unreachable!()
    };
    assert!(message.contains(expect_in_message), "{message:?}");
    let q = engine.book(exchange, &bad, 10).await.unwrap();
    assert!(matches!(q.state, BookState::Rejected(_)), "{}", q.state);
    assert!(q.view.bids.is_empty() && q.view.asks.is_empty());
    assert_book_matches_truth(&engine, &sim, exchange, &good, 10).await;

    // After a reconnect the good book comes back; the refused one stays refused and quiet.
    sim.faults().drop_connections(exchange);
    wait_for(&mut feed, Duration::from_secs(5), "disconnected", |e| {
        is_status(e, exchange, None, |s| {
            matches!(s, FeedStatus::Disconnected { .. })
        })
    })
    .await;
    wait_all_live(
        &mut feed,
        Duration::from_secs(10),
        &[(exchange, good.clone())],
    )
    .await;
    assert_book_matches_truth(&engine, &sim, exchange, &good, 10).await;
    let q = engine.book(exchange, &bad, 10).await.unwrap();
    assert!(matches!(q.state, BookState::Rejected(_)), "{}", q.state);
    // Nothing more about the refused symbol arrived meanwhile (it was not subscribed again).
    while let Some(e) = feed.try_recv() {
        if let FeedEvent::Status(s) = &e {
            assert_ne!(s.symbol.as_ref(), Some(&bad), "{:?}", s.status);
        }
    }
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn binance_unknown_symbol_is_rejected() {
    unknown_symbol(Exchange::Binance, "Invalid symbol").await;
}

#[actix_rt::test]
async fn kraken_unknown_symbol_is_rejected() {
    unknown_symbol(Exchange::Kraken, "not supported").await;
}

#[actix_rt::test]
async fn poloniex_unknown_symbol_is_rejected() {
    unknown_symbol(Exchange::Poloniex, "Invalid symbols value").await;
}

/// `binance:BTC-USDT-SWAP` would be written `BTCUSDT`, the spot book: the subscription is
/// refused with a typed error instead (the USD-M perpetual is `binance-usdm:BTC-USDT`).
#[actix_rt::test]
async fn a_symbol_kind_the_venue_cannot_write_is_refused() {
    let sim = simulator_for(Exchange::Binance, &["BTC-USDT"]).await;
    let engine = engine(&sim);
    let refused = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, sym("BTC-USDT-SWAP"))
                .kinds([StreamKind::Book]),
        )
        .await;
    assert!(
        matches!(&refused, Err(marketfeed::EngineError::InvalidConfig(m)) if m.contains("BTC-USDT-SWAP")),
        "{refused:?}"
    );
    engine.shutdown().await;
    sim.stop();
}
