//! Property tests: the BTreeMap book against a naive model (a vector searched linearly).

use marketfeed::book::{BookError, OrderBook};
use marketfeed::{Level, Side};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// The naive model: unsorted vectors, linear search, sorted only when read.
#[derive(Default)]
struct Model {
    bids: Vec<(Decimal, Decimal)>,
    asks: Vec<(Decimal, Decimal)>,
    depth: Option<usize>,
}

impl Model {
    fn set(&mut self, side: Side, price: Decimal, qty: Decimal) {
        let v = if side == Side::Bid {
            &mut self.bids
        } else {
            &mut self.asks
        };
        v.retain(|(p, _)| *p != price);
        if !qty.is_zero() {
            v.push((price, qty));
        }
    }
    fn sorted(&self, side: Side) -> Vec<Level> {
        let mut v: Vec<Level> = match side {
            Side::Bid => self.bids.iter().map(|(p, q)| Level::new(*p, *q)).collect(),
            Side::Ask => self.asks.iter().map(|(p, q)| Level::new(*p, *q)).collect(),
        };
        v.sort_by_key(|l| l.price);
        if side == Side::Bid {
            v.reverse();
        }
        v
    }
    fn truncate(&mut self) {
        if let Some(d) = self.depth {
            let keep_b: Vec<Decimal> = self
                .sorted(Side::Bid)
                .iter()
                .take(d)
                .map(|l| l.price)
                .collect();
            let keep_a: Vec<Decimal> = self
                .sorted(Side::Ask)
                .iter()
                .take(d)
                .map(|l| l.price)
                .collect();
            self.bids.retain(|(p, _)| keep_b.contains(p));
            self.asks.retain(|(p, _)| keep_a.contains(p));
        }
    }
    fn crossed(&self) -> bool {
        let b = self.bids.iter().map(|(p, _)| *p).max();
        let a = self.asks.iter().map(|(p, _)| *p).min();
        matches!((b, a), (Some(b), Some(a)) if b >= a)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Snapshot(Vec<Level>, Vec<Level>),
    Delta(Vec<Level>, Vec<Level>),
}

/// Prices on a grid with 0 to 4 decimals written, so the book has to rescale exactly;
/// trailing zeros are sometimes written (`1.50`) to exercise equal values of other scales.
fn price() -> impl Strategy<Value = Decimal> {
    (1i64..400, 0u32..4, any::<bool>()).prop_map(|(n, scale, pad)| {
        let mut p = Decimal::new(n, scale);
        if pad {
            p.rescale(scale + 1);
        }
        p
    })
}

fn qty() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::ZERO),
        (1i64..10_000, 0u32..6).prop_map(|(n, s)| Decimal::new(n, s))
    ]
}

fn levels(max: usize) -> impl Strategy<Value = Vec<Level>> {
    prop::collection::vec((price(), qty()).prop_map(|(p, q)| Level::new(p, q)), 0..max)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (levels(30), levels(30)).prop_map(|(b, a)| Op::Snapshot(b, a)),
        6 => (levels(8), levels(8)).prop_map(|(b, a)| Op::Delta(b, a)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn book_matches_naive_model(ops in prop::collection::vec(op(), 1..40), depth in prop::option::of(1usize..12)) {
        let mut book = depth.map_or_else(OrderBook::new, OrderBook::with_depth);
        let mut model = Model { depth, ..Model::default() };
        for op in ops {
            let result = match &op {
                Op::Snapshot(b, a) => {
                    model.bids.clear();
                    model.asks.clear();
                    b.iter().for_each(|l| model.set(Side::Bid, l.price, l.qty));
                    a.iter().for_each(|l| model.set(Side::Ask, l.price, l.qty));
                    book.apply_snapshot(b, a)
                }
                Op::Delta(b, a) => {
                    b.iter().for_each(|l| model.set(Side::Bid, l.price, l.qty));
                    a.iter().for_each(|l| model.set(Side::Ask, l.price, l.qty));
                    book.apply_delta(b, a)
                }
            };
            model.truncate();
            // Crossed exactly when the model is crossed, and only then an error.
            prop_assert_eq!(matches!(result, Err(BookError::Crossed { .. })), model.crossed());
            prop_assert!(result.is_ok() || model.crossed());
            let bids: Vec<Level> = book.bids().collect();
            let asks: Vec<Level> = book.asks().collect();
            prop_assert_eq!(&bids, &model.sorted(Side::Bid));
            prop_assert_eq!(&asks, &model.sorted(Side::Ask));
            // Sides strictly sorted, top-N is a prefix, best levels agree.
            prop_assert!(bids.windows(2).all(|w| w[0].price > w[1].price));
            prop_assert!(asks.windows(2).all(|w| w[0].price < w[1].price));
            let top = book.top(5);
            prop_assert_eq!(&top.bids[..], &bids[..bids.len().min(5)]);
            prop_assert_eq!(&top.asks[..], &asks[..asks.len().min(5)]);
            prop_assert_eq!(book.best_bid(), bids.first().copied());
            prop_assert_eq!(book.best_ask(), asks.first().copied());
            for l in &bids {
                prop_assert_eq!(book.qty_at(Side::Bid, l.price), Some(l.qty));
            }
        }
    }
}
