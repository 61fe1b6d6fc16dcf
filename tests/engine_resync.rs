//! An injected gap or bad checksum resyncs only that symbol; another symbol on the same
//! connection keeps updating with no gap.

mod engine_common;
use engine_common::*;
use marketfeed::sim::{SimConfig, Simulator};
use marketfeed::ResyncReason;
use marketfeed::{Exchange, Symbol};
use marketfeed::{FeedEvent, FeedStatus, StreamKind, Subscription};
use std::time::{Duration, Instant};

/// Injects a fault on `a` and checks: `a` goes Resyncing then Live again and matches the
/// truth; `b` never leaves Live and its delta ids stay contiguous.
async fn isolated_resync(
    exchange: Exchange,
    inject: impl FnOnce(&marketfeed::sim::Simulator, &Symbol),
    expected: fn(&ResyncReason) -> bool,
) {
    isolated_resync_with(exchange, |c| c, inject, expected).await
}

/// [`isolated_resync`] on a simulator whose configuration `tweak` changed.
async fn isolated_resync_with(
    exchange: Exchange,
    tweak: impl FnOnce(SimConfig) -> SimConfig,
    inject: impl FnOnce(&marketfeed::sim::Simulator, &Symbol),
    expected: fn(&ResyncReason) -> bool,
) {
    let (a, b) = (sym("BTC-USDT"), sym("ETH-USDT"));
    let names = ["BTC-USDT", "ETH-USDT"];
    let sim = Simulator::start(tweak(sim_config(&[(exchange, &names)])))
        .await
        .expect("simulator starts");
    let engine = engine(&sim);
    let sub = Subscription::new()
        .market(exchange, a.clone())
        .market(exchange, b.clone())
        .kinds([StreamKind::Status, StreamKind::Deltas]);
    let mut feed = engine.subscribe(sub).await.unwrap();
    wait_all_live(
        &mut feed,
        Duration::from_secs(10),
        &[(exchange, a.clone()), (exchange, b.clone())],
    )
    .await;
    inject(&sim, &a);
    // Watch for a few seconds: `a` resyncs and comes back; `b` is untouched.
    let mut a_resyncing = None;
    let mut a_live_again = false;
    let mut b_last: Option<u64> = None;
    let mut b_deltas = 0;
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline && !(a_live_again && b_deltas > 20) {
        let Ok(Some(e)) = actix_rt::time::timeout(Duration::from_secs(1), feed.recv()).await else {
            continue;
        };
        match &e {
            FeedEvent::Status(s) if s.symbol.as_ref() == Some(&a) => match &s.status {
                FeedStatus::Resyncing { reason } => a_resyncing = Some(reason.clone()),
                FeedStatus::Live if a_resyncing.is_some() => a_live_again = true,
                _ => {}
            },
            FeedEvent::Status(s) if s.symbol.as_ref() == Some(&b) => {
                panic!("{b} changed state: {:?}", s.status)
            }
            FeedEvent::Delta(d) if d.meta.symbol == b => {
                // Chained ids where the venue has them (Binance U = previous u + 1,
                // Poloniex lastId = previous id); Kraken has none, its checksums guard it.
                let chain = d.seq.prev_id.or(d.seq.first_id.map(|f| f - 1));
                if let (Some(prev), Some(chain)) = (b_last, chain) {
                    assert_eq!(chain, prev, "{b}: no gap on the untouched symbol");
                }
                b_last = d.seq.last_id;
                b_deltas += 1;
            }
            // The initial snapshot may still be queued; a later one would be a resync.
            FeedEvent::Snapshot(s) if s.meta.symbol == b => {
                assert_eq!(b_deltas, 0, "{b} was resynced");
                b_last = s.seq.last_id;
            }
            _ => {}
        }
    }
    let reason = a_resyncing.unwrap_or_else(|| panic!("{a} never resynced"));
    assert!(expected(&reason), "unexpected reason {reason:?} ({reason})");
    assert!(a_live_again, "{a} is live again");
    assert!(b_deltas > 20, "{b} kept updating ({b_deltas} deltas)");
    sim.pause();
    assert_settled_book(&engine, &sim, exchange, &a, 10).await;
    assert_settled_book(&engine, &sim, exchange, &b, 10).await;
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn binance_gap_resyncs_one_symbol() {
    isolated_resync(
        Exchange::Binance,
        |sim, a| sim.faults().skip_update(Exchange::Binance, a),
        |r| matches!(r, ResyncReason::Gap { .. }),
    )
    .await;
}

#[actix_rt::test]
async fn poloniex_gap_resyncs_one_symbol() {
    isolated_resync(
        Exchange::Poloniex,
        |sim, a| sim.faults().skip_update(Exchange::Poloniex, a),
        |r| matches!(r, ResyncReason::Gap { .. }),
    )
    .await;
}

/// OKX: `skip` breaks the `prevSeqId` chain.
#[actix_rt::test]
async fn okx_broken_chain_resyncs_one_symbol() {
    isolated_resync(
        Exchange::Okx,
        |sim, a| sim.faults().skip_update(Exchange::Okx, a),
        |r| matches!(r, ResyncReason::Gap { .. }),
    )
    .await;
}

/// OKX with the legacy checksum (as before 2026-06-23): a wrong one resyncs that book.
#[actix_rt::test]
async fn okx_bad_checksum_resyncs_one_symbol() {
    isolated_resync_with(
        Exchange::Okx,
        |c| SimConfig {
            okx_legacy_checksum: true,
            ..c
        },
        |sim, a| sim.faults().corrupt_checksum(Exchange::Okx, a),
        |r| matches!(r, ResyncReason::ChecksumMismatch { .. }),
    )
    .await;
}

/// OKX without the WebSocket snapshot (the 2026 procedure): a broken chain resyncs that
/// book from the REST order book.
#[actix_rt::test]
async fn okx_broken_chain_without_ws_snapshot_resyncs_one_symbol_by_rest() {
    isolated_resync_with(
        Exchange::Okx,
        |c| SimConfig {
            okx_ws_snapshot: false,
            ..c
        },
        |sim, a| sim.faults().skip_update(Exchange::Okx, a),
        |r| matches!(r, ResyncReason::Gap { .. }),
    )
    .await;
}

#[actix_rt::test]
async fn kraken_bad_checksum_resyncs_one_symbol() {
    isolated_resync(
        Exchange::Kraken,
        |sim, a| sim.faults().corrupt_checksum(Exchange::Kraken, a),
        |r| matches!(r, ResyncReason::ChecksumMismatch { .. }),
    )
    .await;
}

#[actix_rt::test]
async fn binance_stale_snapshot_is_fetched_again() {
    let sim = simulator_for(Exchange::Binance, &["BTC-USDT"]).await;
    sim.faults().stale_rest_snapshot(2);
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
    wait_for(
        &mut feed,
        Duration::from_secs(10),
        "live after refetching",
        |e| is_status(e, Exchange::Binance, Some(&btc), |s| *s == FeedStatus::Live),
    )
    .await;
    sim.pause();
    assert_settled_book(&engine, &sim, Exchange::Binance, &btc, 200).await;
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn malformed_frame_is_reported_and_books_carry_on() {
    let sim = simulator_for(Exchange::Binance, &["BTC-USDT"]).await;
    let engine = engine(&sim);
    let btc = sym("BTC-USDT");
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, btc.clone())
                .kinds([StreamKind::Status, StreamKind::Book]),
        )
        .await
        .unwrap();
    wait_for(&mut feed, Duration::from_secs(10), "live", |e| {
        is_status(e, Exchange::Binance, Some(&btc), |s| *s == FeedStatus::Live)
    })
    .await;
    sim.faults().malformed_frame(Exchange::Binance);
    wait_for(&mut feed, Duration::from_secs(5), "bad frame status", |e| {
        is_status(e, Exchange::Binance, None, |s| {
            matches!(s, FeedStatus::BadFrame(_))
        })
    })
    .await;
    let before = engine
        .book(Exchange::Binance, &btc, 1)
        .await
        .unwrap()
        .last_update_id
        .unwrap();
    wait_for(
        &mut feed,
        Duration::from_secs(5),
        "later view",
        |e| matches!(e, FeedEvent::Book(b) if b.last_update_id.unwrap_or(0) > before),
    )
    .await;
    assert_eq!(
        engine.book(Exchange::Binance, &btc, 1).await.unwrap().state,
        marketfeed::BookState::Live
    );
    engine.shutdown().await;
    sim.stop();
}

/// Issue 10 item 1 (Binance): a REST snapshot with one bid at `0.000000000000000001` beside
/// the real asks used to raise the book's price scale for good; every good snapshot after it
/// was refused and refetched at once, about 96 requests in 30 ms until the weight budget
/// throttled. Now the next good snapshot rebuilds the book, and the refetches after the
/// refused ones back off (test backoff: 50 ms base, so at least 25 + 50 + 100 ms in all).
#[actix_rt::test]
async fn price_scale_poison_recovers_on_snapshot_and_refetches_back_off() {
    let sim = simulator_for(Exchange::Binance, &["BTC-USDT"]).await;
    sim.faults().poison_rest_snapshot(3, "0.000000000000000001");
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
    wait_for(
        &mut feed,
        Duration::from_secs(10),
        "live after the poisoned snapshots",
        |e| is_status(e, Exchange::Binance, Some(&btc), |s| *s == FeedStatus::Live),
    )
    .await;
    let log = sim.rest_log();
    assert!(
        (4..=6).contains(&log.len()),
        "3 refused snapshots, then one good: {} requests",
        log.len()
    );
    let span = log[3].0 - log[0].0;
    assert!(
        span >= Duration::from_millis(175),
        "refetches backed off: 4 requests in {span:?}"
    );
    sim.pause();
    assert_settled_book(&engine, &sim, Exchange::Binance, &btc, 200).await;
    engine.shutdown().await;
    sim.stop();
}
