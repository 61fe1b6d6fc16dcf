//! Trades arrive complete and in order, equal to what the venue (simulator) sent.

mod engine_common;
use engine_common::*;
use marketfeed::Exchange;
use marketfeed::{FeedEvent, StreamKind, Subscription};
use std::time::{Duration, Instant};

#[actix_rt::test]
async fn trades_complete_and_in_order_on_every_venue() {
    let sim = simulator(&on_each(
        &[
            Exchange::Binance,
            Exchange::Kraken,
            Exchange::Poloniex,
            Exchange::Okx,
        ],
        &["BTC-USDT"],
    ))
    .await;
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let venues = [
        Exchange::Binance,
        Exchange::Kraken,
        Exchange::Poloniex,
        Exchange::Okx,
    ];
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(venues.map(|e| (e, btc.clone())))
                .kind(StreamKind::Trades),
        )
        .await
        .unwrap();
    let mut got: std::collections::HashMap<Exchange, Vec<marketfeed::Trade>> = Default::default();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(FeedEvent::Trade(t))) =
            actix_rt::time::timeout(Duration::from_millis(200), feed.recv()).await
        {
            got.entry(t.meta.exchange).or_default().push((*t).clone());
        }
    }
    sim.pause();
    // Drain what is in flight.
    while let Ok(Some(e)) = actix_rt::time::timeout(Duration::from_millis(300), feed.recv()).await {
        if let FeedEvent::Trade(t) = e {
            got.entry(t.meta.exchange).or_default().push((*t).clone());
        }
    }
    for venue in venues {
        let trades = got
            .get(&venue)
            .unwrap_or_else(|| panic!("{venue}: no trades"));
        assert!(trades.len() > 10, "{venue}: {} trades", trades.len());
        let sent = sim.trades_sent(venue, &btc);
        let first = trades[0].id.unwrap();
        let start = sent
            .iter()
            .position(|s| s.id == first)
            .expect("first trade was sent");
        let expected = &sent[start..];
        assert_eq!(
            trades.len(),
            expected.len(),
            "{venue}: every trade after the first one arrived"
        );
        for (t, s) in trades.iter().zip(expected) {
            assert_eq!(
                (t.id, t.price, t.qty, t.taker_side),
                (Some(s.id), s.price, s.qty, s.taker_side),
                "{venue}"
            );
        }
    }
    engine.shutdown().await;
    sim.stop();
}
