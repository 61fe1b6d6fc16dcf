//! Parse throughput (frames/s and bytes/s) on real captured frames and on a seeded
//! synthetic Binance stream of ~20 levels per frame.

// criterion_group! generates undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use marketfeed::exchange::parse;
use marketfeed::replay::{parse_capture_line, CaptureLine};
use marketfeed::sim::{
    binance,
    market::{MarketConfig, SyntheticMarket},
};
use marketfeed::{Exchange, Timestamp};
use std::hint::black_box;

fn fixture_frames(path: &str, filter: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|l| match parse_capture_line(l) {
            Ok(CaptureLine::Received { frame, .. }) if frame.contains(filter) => {
                Some(frame.to_string())
            }
            _ => None,
        })
        .collect()
}

fn synthetic_binance_frames(n: usize) -> Vec<String> {
    let mut m = SyntheticMarket::new(MarketConfig {
        seed: 11,
        ..MarketConfig::default()
    });
    let mut id = 1_000;
    (0..n)
        .map(|i| {
            let step = m.step();
            let first = id + 1;
            id += step.changes() as u64;
            binance::depth_update(
                &m,
                "BTCUSDT",
                1_700_000_000_000 + i as u64,
                first,
                id,
                &step,
            )
        })
        .collect()
}

fn bench_frames(c: &mut Criterion, name: &str, exchange: Exchange, frames: &[String]) {
    if frames.is_empty() {
        return;
    }
    let bytes: usize = frames.iter().map(String::len).sum();
    let t = Timestamp::from_unix_millis(1);
    let mut group = c.benchmark_group(format!("parse_{name}"));
    for (label, tp) in [
        ("frames", Throughput::Elements(frames.len() as u64)),
        ("bytes", Throughput::Bytes(bytes as u64)),
    ] {
        group.throughput(tp);
        group.bench_function(label, |b| {
            b.iter(|| {
                for f in frames {
                    let _ = black_box(parse(exchange, black_box(f), t));
                }
            })
        });
    }
    group.finish();
}

fn parse_benches(c: &mut Criterion) {
    let binance_real = fixture_frames("binance/BINANCE.ws.1.0", "depthUpdate");
    bench_frames(c, "binance_capture_depth", Exchange::Binance, &binance_real);
    bench_frames(
        c,
        "binance_synthetic_20_levels",
        Exchange::Binance,
        &synthetic_binance_frames(2000),
    );
    let kraken_real = fixture_frames("kraken/KRAKEN.ws.50.0", "book-");
    bench_frames(c, "kraken_v1_capture_book", Exchange::Kraken, &kraken_real);
    let polo_real = fixture_frames("poloniex/POLONIEX_v3.ws.1.0", "book_lv2");
    bench_frames(c, "poloniex_capture_book", Exchange::Poloniex, &polo_real);
}

criterion_group!(benches, parse_benches);
criterion_main!(benches);
