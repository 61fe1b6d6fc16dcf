//! Order-book apply cost per level update at depths 100 / 1000 / 10000, on a seeded
//! synthetic stream (~20 level changes per message), against a `BTreeMap<Decimal, Decimal>`
//! baseline (the straightforward design with decimal keys).

// criterion_group! generates undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use marketfeed::sim::market::{MarketConfig, Step, SyntheticMarket};
use marketfeed::{Level, OrderBook};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::hint::black_box;

type Msg = (Vec<Level>, Vec<Level>);

fn to_levels(v: &[(i64, u64)], ps: u32, qs: u32) -> Vec<Level> {
    v.iter()
        .map(|(p, q)| Level::new(Decimal::new(*p, ps), Decimal::new(*q as i64, qs)))
        .collect()
}

fn setup(depth: usize) -> (OrderBook, Vec<Msg>, usize) {
    let cfg = MarketConfig {
        depth,
        seed: 7,
        ..MarketConfig::default()
    };
    let (ps, qs) = (cfg.price_scale, cfg.qty_scale);
    let mut market = SyntheticMarket::new(cfg);
    let mut book = OrderBook::new();
    let bids: Vec<(i64, u64)> = market.bids().collect();
    let asks: Vec<(i64, u64)> = market.asks().collect();
    book.apply_snapshot(&to_levels(&bids, ps, qs), &to_levels(&asks, ps, qs))
        .unwrap();
    let steps: Vec<Step> = (0..2000).map(|_| market.step()).collect();
    let msgs: Vec<Msg> = steps
        .iter()
        .map(|s| (to_levels(&s.bids, ps, qs), to_levels(&s.asks, ps, qs)))
        .collect();
    let levels = steps.iter().map(Step::changes).sum();
    (book, msgs, levels)
}

fn apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("book_apply_per_level");
    for depth in [100usize, 1000, 10_000] {
        let (book, msgs, levels) = setup(depth);
        group.throughput(Throughput::Elements(levels as u64));
        group.bench_with_input(BenchmarkId::new("integer_keys", depth), &msgs, |b, msgs| {
            let mut book = book.clone();
            b.iter(|| {
                for (bids, asks) in msgs {
                    // Replaying the cycle may leave a transiently crossed book: not an error here.
                    let _ = black_box(book.apply_delta(bids, asks));
                }
            })
        });
        let mut base: (BTreeMap<Decimal, Decimal>, BTreeMap<Decimal, Decimal>) = Default::default();
        base.0.extend(book.bids().map(|l| (l.price, l.qty)));
        base.1.extend(book.asks().map(|l| (l.price, l.qty)));
        group.bench_with_input(
            BenchmarkId::new("decimal_keys_baseline", depth),
            &msgs,
            |b, msgs| {
                let mut base = base.clone();
                b.iter(|| {
                    for (bids, asks) in msgs {
                        for (side, levels) in [(&mut base.0, bids), (&mut base.1, asks)] {
                            for l in levels {
                                if l.qty.is_zero() {
                                    side.remove(&l.price);
                                } else {
                                    side.insert(l.price, l.qty);
                                }
                            }
                        }
                        black_box(base.0.last_key_value());
                    }
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, apply);
criterion_main!(benches);
