//! The best levels of each side, kept beside the tree.
//!
//! Every update frame ends with reads of the top of the book: the venue checksum (Kraken's
//! 10 levels a side, OKX's 25) and the top-N view. Walking the `BTreeMap` and building each
//! price `Decimal` from its key for every read was a fifth of a Kraken update. [`Hot`] holds
//! the best [`HOT_LEVELS`] of one side as `(key, Level)` with the price already built, and
//! the book keeps it equal to the tree on every mutation (the invariant below), so those
//! reads are slice copies.
//!
//! Invariant: `levels` is exactly the first `min(HOT_LEVELS, side.len())` levels of the side,
//! best first, each price equal (mantissa and scale) to what the tree walk builds at the
//! book's current scale. So when `levels.len() < HOT_LEVELS` it holds the whole side.

use crate::types::{Level, Side};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::ops::Bound;

/// Levels per side kept beside the tree: OKX's checksum reads 25, Kraken's 10, the views 10.
pub(crate) const HOT_LEVELS: usize = 25;

/// The best levels of one side (see the module docs for the invariant): `keys[i]` is the
/// integer key of `levels[i]`.
#[derive(Clone, Debug, Default)]
pub(super) struct Hot {
    pub(super) keys: Vec<i64>,
    pub(super) levels: Vec<Level>,
}

/// True when `a` is a better price than `b` on `side`.
#[inline]
fn better(side: Side, a: i64, b: i64) -> bool {
    match side {
        Side::Bid => a > b,
        Side::Ask => a < b,
    }
}

impl Hot {
    /// True when the first `n` levels of the side are all here.
    #[inline]
    pub(super) fn covers(&self, n: usize) -> bool {
        n <= self.levels.len() || self.levels.len() < HOT_LEVELS
    }

    /// Rebuilds from the tree (after a rescale changed every key).
    pub(super) fn refill(
        &mut self,
        side: Side,
        map: &BTreeMap<i64, Decimal>,
        price: impl Fn(i64) -> Decimal,
    ) {
        self.clear();
        let mut push = |(k, q): (&i64, &Decimal)| {
            self.keys.push(*k);
            self.levels.push(Level::new(price(*k), *q));
        };
        match side {
            Side::Bid => map.iter().rev().take(HOT_LEVELS).for_each(&mut push),
            Side::Ask => map.iter().take(HOT_LEVELS).for_each(&mut push),
        }
    }

    pub(super) fn clear(&mut self) {
        self.keys.clear();
        self.levels.clear();
    }

    /// Follows `map`, which has just had level `key` set to `qty` (zero: removed).
    #[inline]
    pub(super) fn after_set(
        &mut self,
        side: Side,
        map: &BTreeMap<i64, Decimal>,
        key: i64,
        qty: Decimal,
        price: impl Fn(i64) -> Decimal,
    ) {
        let keys = &mut self.keys;
        let full = keys.len() >= HOT_LEVELS;
        if full {
            // A change beyond the worst kept level leaves the best HOT_LEVELS as they were.
            if let Some(worst) = keys.last() {
                if better(side, *worst, key) {
                    return;
                }
            }
        }
        let pos = keys.partition_point(|k| better(side, *k, key));
        let found = keys.get(pos) == Some(&key);
        if qty.is_zero() {
            if !found {
                return;
            }
            let tail = keys.last().copied();
            keys.remove(pos);
            self.levels.remove(pos);
            if let (true, Some(tail)) = (full, tail) {
                // The side had more levels than are kept: the next one moves up.
                let next = match side {
                    Side::Bid => map.range(..tail).next_back(),
                    Side::Ask => map.range((Bound::Excluded(tail), Bound::Unbounded)).next(),
                };
                if let Some((k, q)) = next {
                    keys.push(*k);
                    self.levels.push(Level::new(price(*k), *q));
                }
            }
        } else if found {
            self.levels[pos].qty = qty;
        } else {
            keys.insert(pos, key);
            self.levels.insert(pos, Level::new(price(key), qty));
            keys.truncate(HOT_LEVELS);
            self.levels.truncate(HOT_LEVELS);
        }
    }

    /// Follows a side cut down to `len` levels from its far end (depth limit, level cap).
    #[inline]
    pub(super) fn after_truncate(&mut self, len: usize) {
        self.keys.truncate(len);
        self.levels.truncate(len);
    }

    /// The first `n` kept keys and levels, if they are the side's first `n` (or its whole
    /// side when it has fewer).
    #[inline]
    pub(super) fn top(&self, n: usize) -> Option<(&[i64], &[Level])> {
        if !self.covers(n) {
            return None;
        }
        let n = n.min(self.keys.len());
        Some((&self.keys[..n], &self.levels[..n]))
    }
}
