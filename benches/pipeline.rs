//! Parse + sequence + apply + top-10, together, per frame: the pure path of a book actor.
//! Seeded synthetic Binance stream, ~20 levels per frame (~760 bytes), book depth 1000.
//! Target: >= 250k frames/s on one core.

// criterion_group! generates undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use marketfeed::book::BookView;
use marketfeed::exchange::{binance, parse, BookTracker, Message, Outcome, TrackerConfig};
use marketfeed::sim::{
    binance as sim_binance,
    market::{MarketConfig, SyntheticMarket},
};
use marketfeed::{Exchange, MarketEvent, Symbol, Timestamp};
use std::hint::black_box;

fn pipeline(c: &mut Criterion) {
    let mut market = SyntheticMarket::new(MarketConfig {
        seed: 3,
        ..MarketConfig::default()
    });
    let snapshot_id = 5_000u64;
    let snapshot = sim_binance::rest_snapshot(&market, snapshot_id, 1000);
    let mut id = snapshot_id;
    let frames: Vec<String> = (0..5000)
        .map(|i| {
            let step = market.step();
            let first = id + 1;
            id += step.changes() as u64;
            sim_binance::depth_update(&market, "BTCUSDT", 1_700_000_000_000 + i, first, id, &step)
        })
        .collect();
    let bytes: usize = frames.iter().map(String::len).sum();
    println!(
        "synthetic stream: {} frames, {:.0} bytes/frame",
        frames.len(),
        bytes as f64 / frames.len() as f64
    );
    let symbol = Symbol::parse("BTC-USDT").unwrap();
    let t = Timestamp::from_unix_millis(1);
    let fresh = || {
        let mut tracker =
            BookTracker::new(Exchange::Binance, symbol.clone(), TrackerConfig::default());
        let snap =
            binance::parse_depth_snapshot(Exchange::Binance, "BTCUSDT", &snapshot, t).unwrap();
        let mut out = Vec::new();
        tracker.on_snapshot(snap, &mut out);
        tracker
    };
    let mut group = c.benchmark_group("pipeline_binance_synthetic");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.sample_size(20);
    group.bench_function("parse_sequence_apply_top10", |b| {
        let mut view = BookView::default();
        let mut out = Vec::with_capacity(8);
        b.iter_batched_ref(
            fresh,
            |tracker| {
                for f in &frames {
                    for m in parse(Exchange::Binance, f, t).unwrap() {
                        if let Message::Market(MarketEvent::Delta(d)) = m {
                            out.clear();
                            tracker.on_delta(d, &mut out);
                            debug_assert!(matches!(out.first(), Some(Outcome::Applied { .. })));
                            tracker.book().top_into(10, &mut view);
                            black_box(&view);
                        }
                    }
                }
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
