//! The order book: plain data, no I/O, no venue knowledge.
//!
//! Each side is a `BTreeMap` from an exact integer price key (the price in ticks of
//! `10^-scale`) to the exact quantity. Integer keys make lookups and ordering cheap; they are
//! derived from the decimal text exactly. When a price arrives with more decimals than the
//! book's current scale, the book rescales every key exactly (multiplying by a power of ten);
//! a price that cannot be represented (more than [`MAX_PRICE_SCALE`] decimals, or overflow)
//! is rejected with [`BookError::PriceOutOfRange`], never rounded. A snapshot (and
//! [`OrderBook::clear`]) starts again from the scale its own levels need, so one odd level
//! can never keep later snapshots out.

mod hot;

use crate::types::{Level, Side};
use hot::Hot;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// The largest number of decimals a book price may carry.
pub const MAX_PRICE_SCALE: u32 = 18;

const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Why a book operation failed. The book stays usable; after an error on a delta the caller
/// should treat the book as suspect and resync.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BookError {
    /// After applying the message the best bid is at or above the best ask.
    Crossed {
        /// Best bid price.
        best_bid: Decimal,
        /// Best ask price.
        best_ask: Decimal,
    },
    /// A price that has too many decimals or is too large to key exactly, or is negative.
    PriceOutOfRange(Decimal),
    /// A negative quantity.
    NegativeQty(Decimal),
}

impl fmt::Display for BookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BookError::Crossed { best_bid, best_ask } => {
                write!(
                    f,
                    "crossed book: best bid {best_bid} >= best ask {best_ask}"
                )
            }
            BookError::PriceOutOfRange(p) => write!(f, "price {p} cannot be keyed exactly"),
            BookError::NegativeQty(q) => write!(f, "negative quantity {q}"),
        }
    }
}

impl std::error::Error for BookError {}

/// A top-N view of a book.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookView {
    /// Best bids, highest first.
    pub bids: Vec<Level>,
    /// Best asks, lowest first.
    pub asks: Vec<Level>,
}

impl BookView {
    /// Best bid of the view.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.first().copied()
    }

    /// Best ask of the view.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.first().copied()
    }
}

/// A price-level order book with exact prices and quantities.
///
/// Two limits bound it. The **depth** ([`with_depth`](Self::with_depth)) is the venue's
/// window (Kraken, Poloniex): the venue sends no deletes for levels that leave it, so the
/// book keeps the best `depth` and is exact there. The **level cap**
/// ([`set_level_cap`](Self::set_level_cap)) bounds a book whose venue sends every level
/// (Binance) against a peer that sends millions: when a side grows past the cap, the levels
/// farthest from the touch are dropped and the best dropped price becomes that side's
/// [`window_edge`](Self::window_edge). From then on until the next snapshot the book is
/// exact for every price strictly better than the edge (every change there is applied),
/// and keeps nothing at or beyond it (later levels there are ignored, since the levels
/// dropped beside them are unknown). The edge only moves toward the touch.
#[derive(Clone, Debug, Default)]
pub struct OrderBook {
    scale: u32,
    bids: BTreeMap<i64, Decimal>,
    asks: BTreeMap<i64, Decimal>,
    depth: Option<usize>,
    level_cap: Option<usize>,
    /// Best dropped key per side (bid: highest dropped, ask: lowest dropped).
    bid_edge: Option<i64>,
    ask_edge: Option<i64>,
    /// The best levels of each side, kept equal to the tree (`hot.rs`).
    hot_bids: Hot,
    hot_asks: Hot,
}

impl OrderBook {
    /// An empty book with no depth limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty book that keeps at most `depth` levels per side after every message
    /// (Kraken and Poloniex do not send deletes for levels that leave their window).
    pub fn with_depth(depth: usize) -> Self {
        OrderBook {
            depth: Some(depth),
            ..Self::default()
        }
    }

    /// The per-side depth limit, if any.
    pub fn depth(&self) -> Option<usize> {
        self.depth
    }

    /// Keeps at most `cap` levels per side (at least 1), dropping those farthest from the
    /// touch; `None` lifts the cap. See the type's docs for what stays exact.
    pub fn set_level_cap(&mut self, cap: Option<usize>) {
        self.level_cap = cap.map(|c| c.max(1));
        self.enforce_cap();
    }

    /// The per-side level cap, if any.
    pub fn level_cap(&self) -> Option<usize> {
        self.level_cap
    }

    /// The best price the level cap dropped on `side` since the last snapshot: the book is
    /// exact for prices strictly better than it and holds nothing at or beyond it. `None`
    /// while nothing was dropped (the whole side is exact).
    pub fn window_edge(&self, side: Side) -> Option<Decimal> {
        let edge = match side {
            Side::Bid => self.bid_edge,
            Side::Ask => self.ask_edge,
        };
        edge.map(|k| self.price_of(k))
    }

    /// Number of decimals of the integer price keys.
    pub fn price_scale(&self) -> u32 {
        self.scale
    }

    /// Replaces the whole book. Zero-quantity levels are skipped. The depth limit applies.
    ///
    /// The snapshot is keyed afresh at its own price scale, so whatever earlier messages did
    /// to the scale (one level with 18 decimals raises it for good otherwise) cannot keep a
    /// good snapshot out. A level that cannot be keyed or a negative quantity leaves the book
    /// exactly as it was; on [`BookError::Crossed`] the snapshot has been applied (as with
    /// [`apply_delta`](Self::apply_delta)).
    pub fn apply_snapshot(&mut self, bids: &[Level], asks: &[Level]) -> Result<(), BookError> {
        let mut fresh = OrderBook {
            depth: self.depth,
            level_cap: self.level_cap,
            ..OrderBook::default()
        };
        for l in bids {
            fresh.set(Side::Bid, l.price, l.qty)?;
        }
        for l in asks {
            fresh.set(Side::Ask, l.price, l.qty)?;
        }
        fresh.truncate_to_depth();
        *self = fresh;
        self.check_crossed()
    }

    /// Applies an incremental update (absolute quantities, zero deletes, in the order given),
    /// then truncates to the depth limit and checks that the book is not crossed. On
    /// [`BookError::Crossed`] the update has been applied.
    pub fn apply_delta(&mut self, bids: &[Level], asks: &[Level]) -> Result<(), BookError> {
        for l in bids {
            self.set(Side::Bid, l.price, l.qty)?;
        }
        for l in asks {
            self.set(Side::Ask, l.price, l.qty)?;
        }
        self.truncate_to_depth();
        self.check_crossed()
    }

    /// Sets one level to an absolute quantity; zero removes it (removing a missing level
    /// is not an error). Does not truncate or check crossing.
    pub fn set(&mut self, side: Side, price: Decimal, qty: Decimal) -> Result<(), BookError> {
        if qty.is_sign_negative() && !qty.is_zero() {
            return Err(BookError::NegativeQty(qty));
        }
        let key = self.key_growing(price)?;
        let (map, beyond) = match side {
            Side::Bid => (&mut self.bids, self.bid_edge.is_some_and(|e| key <= e)),
            Side::Ask => (&mut self.asks, self.ask_edge.is_some_and(|e| key >= e)),
        };
        if beyond {
            // Outside the exact window: the levels dropped beside it are unknown.
            return Ok(());
        }
        if qty.is_zero() {
            map.remove(&key);
        } else {
            map.insert(key, qty);
        }
        let scale = self.scale;
        let price = |k| price_at(k, scale);
        match side {
            Side::Bid => self.hot_bids.after_set(side, &self.bids, key, qty, price),
            Side::Ask => self.hot_asks.after_set(side, &self.asks, key, qty, price),
        }
        Ok(())
    }

    /// The quantity at `price` on `side`, if the level exists.
    pub fn qty_at(&self, side: Side, price: Decimal) -> Option<Decimal> {
        let key = self.key_exact(price)?;
        match side {
            Side::Bid => self.bids.get(&key).copied(),
            Side::Ask => self.asks.get(&key).copied(),
        }
    }

    /// Keeps at most `depth` levels per side (the best ones).
    pub fn truncate(&mut self, depth: usize) {
        while self.bids.len() > depth {
            self.bids.pop_first();
        }
        while self.asks.len() > depth {
            self.asks.pop_last();
        }
        self.hot_bids.after_truncate(self.bids.len());
        self.hot_asks.after_truncate(self.asks.len());
    }

    fn truncate_to_depth(&mut self) {
        if let Some(d) = self.depth {
            self.truncate(d);
        }
        self.enforce_cap();
    }

    /// Drops the levels beyond the level cap, farthest from the touch first, and moves the
    /// window edges to the best dropped key.
    fn enforce_cap(&mut self) {
        let Some(cap) = self.level_cap else {
            return;
        };
        while self.bids.len() > cap {
            if let Some((k, _)) = self.bids.pop_first() {
                self.bid_edge = Some(self.bid_edge.map_or(k, |e| e.max(k)));
            }
        }
        while self.asks.len() > cap {
            if let Some((k, _)) = self.asks.pop_last() {
                self.ask_edge = Some(self.ask_edge.map_or(k, |e| e.min(k)));
            }
        }
        self.hot_bids.after_truncate(self.bids.len());
        self.hot_asks.after_truncate(self.asks.len());
    }

    /// `Err(Crossed)` if the best bid is at or above the best ask.
    pub fn check_crossed(&self) -> Result<(), BookError> {
        match (self.hot_bids.keys.first(), self.hot_asks.keys.first()) {
            (Some(b), Some(a)) if b >= a => Err(BookError::Crossed {
                best_bid: self.price_of(*b),
                best_ask: self.price_of(*a),
            }),
            _ => Ok(()),
        }
    }

    /// Removes every level and forgets the price scale and the window edges (the depth limit
    /// and the level cap stay).
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.hot_bids.clear();
        self.hot_asks.clear();
        self.scale = 0;
        self.bid_edge = None;
        self.ask_edge = None;
    }

    /// True when both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Number of levels on a side.
    pub fn len(&self, side: Side) -> usize {
        match side {
            Side::Bid => self.bids.len(),
            Side::Ask => self.asks.len(),
        }
    }

    /// Highest bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.hot_bids.levels.first().copied()
    }

    /// Lowest ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.hot_asks.levels.first().copied()
    }

    /// Midpoint of best bid and best ask.
    pub fn mid(&self) -> Option<Decimal> {
        let (b, a) = (self.best_bid()?, self.best_ask()?);
        Some((b.price + a.price) / Decimal::TWO)
    }

    /// Best ask minus best bid.
    pub fn spread(&self) -> Option<Decimal> {
        Some(self.best_ask()?.price - self.best_bid()?.price)
    }

    /// Bids, best (highest) first.
    pub fn bids(&self) -> impl Iterator<Item = Level> + '_ {
        self.bids
            .iter()
            .rev()
            .map(|(k, q)| Level::new(self.price_of(*k), *q))
    }

    /// Asks, best (lowest) first.
    pub fn asks(&self) -> impl Iterator<Item = Level> + '_ {
        self.asks
            .iter()
            .map(|(k, q)| Level::new(self.price_of(*k), *q))
    }

    /// The best `n` levels of `side`, best first, as `(integer price key, level)` with the
    /// key in ticks of `10^-price_scale()` (checksums read these). Within the kept levels
    /// (`hot.rs`, 25 a side) they are copied from the levels kept beside the tree, with their prices built.
    pub(crate) fn raw_top(&self, side: Side, n: usize) -> RawTop<'_> {
        if let Some((keys, levels)) = self.hot_top(side, n) {
            return RawTop::Hot(keys.iter().zip(levels));
        }
        match side {
            Side::Bid => RawTop::Bids(self.bids.iter().rev().take(n), self.scale),
            Side::Ask => RawTop::Asks(self.asks.iter().take(n), self.scale),
        }
    }

    /// The best `n` levels of `side` (or all of them when it has fewer), best first, as
    /// their integer keys and levels, when they are among the levels kept beside the tree
    /// (up to 25 a side); `None` for a deeper `n`.
    #[inline]
    pub(crate) fn hot_top(&self, side: Side, n: usize) -> Option<(&[i64], &[Level])> {
        match side {
            Side::Bid => self.hot_bids.top(n),
            Side::Ask => self.hot_asks.top(n),
        }
    }

    /// The best `n` levels of each side.
    pub fn top(&self, n: usize) -> BookView {
        let mut view = BookView::default();
        self.top_into(n, &mut view);
        view
    }

    /// Writes the best `n` levels of each side into `view`, reusing its allocations.
    pub fn top_into(&self, n: usize, view: &mut BookView) {
        view.bids.clear();
        view.asks.clear();
        for (side, out) in [(Side::Bid, &mut view.bids), (Side::Ask, &mut view.asks)] {
            match self.hot_top(side, n) {
                Some((_, levels)) => out.extend_from_slice(levels),
                None => out.extend(self.raw_top(side, n).map(|(_, l)| l)),
            }
        }
    }

    #[inline]
    fn price_of(&self, key: i64) -> Decimal {
        price_at(key, self.scale)
    }

    /// The key of `price` at the current scale, if exact.
    #[inline]
    fn key_exact(&self, price: Decimal) -> Option<i64> {
        let m = price.mantissa();
        let s = price.scale();
        if m < 0 {
            return None;
        }
        if s == self.scale {
            // The common case (a venue's fixed decimals): the mantissa is the key.
            return i64::try_from(m).ok();
        }
        let v = if s <= self.scale {
            m.checked_mul(POW10[(self.scale - s) as usize])?
        } else {
            let d = POW10[(s - self.scale) as usize];
            if m % d != 0 {
                return None;
            }
            m / d
        };
        i64::try_from(v).ok()
    }

    /// The key of `price`, rescaling the whole book first if the price is finer than the
    /// current scale.
    fn key_growing(&mut self, price: Decimal) -> Result<i64, BookError> {
        if let Some(k) = self.key_exact(price) {
            return Ok(k);
        }
        if price.is_sign_negative() && !price.is_zero() {
            return Err(BookError::PriceOutOfRange(price));
        }
        // Finer than the book: grow to the written scale, or to the smallest exact one.
        for target in [price.scale(), price.normalize().scale()] {
            if target > self.scale && target <= MAX_PRICE_SCALE && self.rescale(target) {
                if let Some(k) = self.key_exact(price) {
                    return Ok(k);
                }
            }
        }
        Err(BookError::PriceOutOfRange(price))
    }

    /// Multiplies every key by `10^(new - old)`. Returns false (book unchanged) on overflow.
    fn rescale(&mut self, new_scale: u32) -> bool {
        let f = POW10[(new_scale - self.scale) as usize];
        let conv = |m: &BTreeMap<i64, Decimal>| -> Option<BTreeMap<i64, Decimal>> {
            m.iter()
                .map(|(k, q)| Some((i64::try_from(i128::from(*k) * f).ok()?, *q)))
                .collect()
        };
        let edge = |e: Option<i64>| -> Option<Option<i64>> {
            match e {
                None => Some(None),
                Some(k) => Some(Some(i64::try_from(i128::from(k) * f).ok()?)),
            }
        };
        match (
            conv(&self.bids),
            conv(&self.asks),
            edge(self.bid_edge),
            edge(self.ask_edge),
        ) {
            (Some(b), Some(a), Some(be), Some(ae)) => {
                self.bids = b;
                self.asks = a;
                self.bid_edge = be;
                self.ask_edge = ae;
                self.scale = new_scale;
                // Every key and price representation changed.
                let price = |k| price_at(k, new_scale);
                self.hot_bids.refill(Side::Bid, &self.bids, price);
                self.hot_asks.refill(Side::Ask, &self.asks, price);
                true
            }
            _ => false,
        }
    }
}

/// The price of `key` at `scale`.
#[inline]
fn price_at(key: i64, scale: u32) -> Decimal {
    if key >= 0 {
        // Keys are never negative and the scale is at most MAX_PRICE_SCALE: the parts are
        // the key's two 32-bit halves (what `Decimal::new` computes, without its checks).
        let k = key as u64;
        Decimal::from_parts(k as u32, (k >> 32) as u32, 0, false, scale)
    } else {
        Decimal::new(key, scale)
    }
}

/// The best levels of one side, from the kept levels or the tree ([`OrderBook::raw_top`]).
pub(crate) enum RawTop<'a> {
    /// Copied from the levels kept beside the tree.
    Hot(std::iter::Zip<std::slice::Iter<'a, i64>, std::slice::Iter<'a, Level>>),
    /// Walked from the tree, prices built at the scale.
    Bids(
        std::iter::Take<std::iter::Rev<std::collections::btree_map::Iter<'a, i64, Decimal>>>,
        u32,
    ),
    /// Walked from the tree, prices built at the scale.
    Asks(
        std::iter::Take<std::collections::btree_map::Iter<'a, i64, Decimal>>,
        u32,
    ),
}

impl Iterator for RawTop<'_> {
    type Item = (i64, Level);

    #[inline]
    fn next(&mut self) -> Option<(i64, Level)> {
        match self {
            RawTop::Hot(it) => it.next().map(|(k, l)| (*k, *l)),
            RawTop::Bids(it, scale) => it
                .next()
                .map(|(k, q)| (*k, Level::new(price_at(*k, *scale), *q))),
            RawTop::Asks(it, scale) => it
                .next()
                .map(|(k, q)| (*k, Level::new(price_at(*k, *scale), *q))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn l(p: &str, q: &str) -> Level {
        Level::new(d(p), d(q))
    }

    #[test]
    fn snapshot_delta_and_views() {
        let mut b = OrderBook::new();
        b.apply_snapshot(
            &[l("10.0", "1"), l("9.5", "2")],
            &[l("10.5", "3"), l("11", "4")],
        )
        .unwrap();
        assert_eq!(b.best_bid(), Some(l("10", "1")));
        assert_eq!(b.best_ask(), Some(l("10.5", "3")));
        assert_eq!(b.mid(), Some(d("10.25")));
        assert_eq!(b.spread(), Some(d("0.5")));
        b.apply_delta(&[l("10", "0"), l("9.75", "5")], &[l("12", "0")])
            .unwrap();
        assert_eq!(b.best_bid(), Some(l("9.75", "5")));
        assert_eq!(b.top(1).asks, vec![l("10.5", "3")]);
        assert_eq!(b.len(Side::Ask), 2);
    }

    #[test]
    fn finer_prices_rescale_exactly() {
        let mut b = OrderBook::new();
        b.set(Side::Bid, d("1"), d("1")).unwrap();
        assert_eq!(b.price_scale(), 0);
        b.set(Side::Bid, d("0.25"), d("1")).unwrap();
        assert_eq!(b.price_scale(), 2);
        b.set(Side::Bid, d("0.000000000000000001"), d("1")).unwrap();
        assert_eq!(b.price_scale(), 18);
        assert_eq!(b.qty_at(Side::Bid, d("0.25")), Some(d("1")));
        assert_eq!(b.bids().next(), Some(l("1", "1")));
        // 19 decimals, or a price too large for the scale, cannot be keyed: rejected, not
        // rounded, and the book is unchanged.
        for p in ["0.0000000000000000001", "100"] {
            assert_eq!(
                b.set(Side::Bid, d(p), d("1")),
                Err(BookError::PriceOutOfRange(d(p)))
            );
        }
        assert_eq!(b.len(Side::Bid), 3);
    }

    #[test]
    fn crossed_is_an_error_value() {
        let mut b = OrderBook::new();
        b.apply_snapshot(&[l("10", "1")], &[l("11", "1")]).unwrap();
        let err = b.apply_delta(&[l("11", "2")], &[]).unwrap_err();
        assert_eq!(
            err,
            BookError::Crossed {
                best_bid: d("11"),
                best_ask: d("11")
            }
        );
    }

    #[test]
    fn depth_limit_truncates_worst_levels() {
        let mut b = OrderBook::with_depth(2);
        b.apply_snapshot(
            &[l("3", "1"), l("2", "1"), l("1", "1")],
            &[l("4", "1"), l("5", "1")],
        )
        .unwrap();
        assert_eq!(b.len(Side::Bid), 2);
        assert_eq!(b.bids().last(), Some(l("2", "1")));
        b.apply_delta(&[], &[l("3.5", "1")]).unwrap();
        assert_eq!(
            b.asks().collect::<Vec<_>>(),
            vec![l("3.5", "1"), l("4", "1")]
        );
    }

    #[test]
    fn level_cap_drops_far_levels_and_keeps_the_edge_across_rescales() {
        let mut b = OrderBook::new();
        b.set_level_cap(Some(2));
        b.apply_snapshot(&[l("10", "1"), l("9", "1"), l("8", "1")], &[l("11", "1")])
            .unwrap();
        assert_eq!(b.len(Side::Bid), 2);
        assert_eq!(b.window_edge(Side::Bid), Some(d("8")));
        // Finer prices rescale the keys and the edge alike.
        b.apply_delta(&[l("9.5", "2"), l("7.25", "1")], &[])
            .unwrap();
        assert_eq!(b.window_edge(Side::Bid), Some(d("9")));
        assert_eq!(
            b.bids().collect::<Vec<_>>(),
            vec![l("10", "1"), l("9.5", "2")]
        );
        b.apply_delta(&[l("10", "0"), l("8.5", "1")], &[]).unwrap();
        assert_eq!(b.bids().collect::<Vec<_>>(), vec![l("9.5", "2")]);
        // A snapshot starts a fresh window.
        b.apply_snapshot(&[l("8", "1")], &[]).unwrap();
        assert_eq!(b.window_edge(Side::Bid), None);
    }

    #[test]
    fn prices_rebuilt_from_keys_equal_decimal_new() {
        let mut b = OrderBook::new();
        for (key, scale) in [
            (0i64, 0u32),
            (1, 18),
            (i64::MAX, 18),
            (u32::MAX as i64 + 1, 3),
            (123456789, 8),
        ] {
            b.scale = scale;
            let p = b.price_of(key);
            assert_eq!(p, Decimal::new(key, scale));
            assert_eq!((p.mantissa(), p.scale()), (i128::from(key), scale));
        }
    }

    /// The tree walk the kept levels stand in for.
    fn walked(b: &OrderBook, side: Side, n: usize) -> Vec<(i64, Level)> {
        let entry = |(k, q): (&i64, &Decimal)| (*k, Level::new(Decimal::new(*k, b.scale), *q));
        match side {
            Side::Bid => b.bids.iter().rev().take(n).map(entry).collect(),
            Side::Ask => b.asks.iter().take(n).map(entry).collect(),
        }
    }

    /// Equal in value and in representation (mantissa and scale of every Decimal).
    fn same(a: &[(i64, Level)], b: &[(i64, Level)]) -> bool {
        let bits = |v: &[(i64, Level)]| -> Vec<(i64, [u8; 16], [u8; 16])> {
            v.iter()
                .map(|(k, l)| (*k, l.price.serialize(), l.qty.serialize()))
                .collect()
        };
        bits(a) == bits(b)
    }

    proptest::proptest! {
        /// After every operation of random sequences (deltas around the touch and deep,
        /// deletes, finer prices that rescale, depth limits, level caps, snapshots,
        /// truncation, clear), the kept best levels and every view built from them equal
        /// the tree walk, and the best levels and crossing check agree with the tree.
        #[test]
        fn kept_best_levels_equal_the_tree_walk(
            depth in proptest::option::of(1usize..40),
            ops in proptest::collection::vec(
                (0u8..10, 0i64..120, 0u32..4, 0i64..4, proptest::bool::ANY), 1..300),
        ) {
            let mut b = match depth {
                Some(d) => OrderBook::with_depth(d),
                None => OrderBook::new(),
            };
            for (op, p, ps, q, bid) in ops {
                let side = if bid { Side::Bid } else { Side::Ask };
                // Bids below 100, asks from 60: crossing happens and is only reported.
                let price = if bid { Decimal::new(p, ps) } else { Decimal::new(p + 60 * 10i64.pow(ps), ps) };
                let qty = Decimal::new(q, (p % 3) as u32);
                match op {
                    0..=4 => { let _ = b.set(side, price, qty); }
                    5 => { let _ = b.apply_delta(&[Level::new(price, qty)], &[Level::new(price + Decimal::ONE, qty)]); }
                    6 => b.truncate((p % 30) as usize),
                    7 => b.set_level_cap(if p % 4 == 0 { None } else { Some((p % 30) as usize) }),
                    8 => {
                        let levels: Vec<Level> = (0..p % 40).map(|i| Level::new(Decimal::new(i * 7 % 97, ps), Decimal::ONE)).collect();
                        let asks: Vec<Level> = levels.iter().map(|l| Level::new(l.price + Decimal::from(100), l.qty)).collect();
                        let _ = b.apply_snapshot(&levels, &asks);
                    }
                    _ => if p % 10 == 0 { b.clear() },
                }
                for side in [Side::Bid, Side::Ask] {
                    for n in [0, 1, 10, 25, 26, 60] {
                        let got: Vec<(i64, Level)> = b.raw_top(side, n).collect();
                        proptest::prop_assert!(same(&got, &walked(&b, side, n)), "{side:?} top {n}");
                    }
                }
                let mut view = BookView::default();
                b.top_into(10, &mut view);
                proptest::prop_assert_eq!(view.bids, walked(&b, Side::Bid, 10).into_iter().map(|(_, l)| l).collect::<Vec<_>>());
                proptest::prop_assert_eq!(view.asks, walked(&b, Side::Ask, 10).into_iter().map(|(_, l)| l).collect::<Vec<_>>());
                proptest::prop_assert_eq!(b.best_bid(), walked(&b, Side::Bid, 1).first().map(|(_, l)| *l));
                proptest::prop_assert_eq!(b.best_ask(), walked(&b, Side::Ask, 1).first().map(|(_, l)| *l));
                let crossed = matches!((b.bids.last_key_value(), b.asks.first_key_value()), (Some((x, _)), Some((y, _))) if x >= y);
                proptest::prop_assert_eq!(b.check_crossed().is_err(), crossed);
            }
        }
    }

    #[test]
    fn deleting_a_missing_level_is_normal() {
        let mut b = OrderBook::new();
        b.apply_delta(&[l("1", "0")], &[l("2", "0")]).unwrap();
        assert!(b.is_empty());
        assert_eq!(
            b.set(Side::Bid, d("1"), d("-1")),
            Err(BookError::NegativeQty(d("-1")))
        );
    }
}
