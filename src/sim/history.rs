//! A bounded history of one market's steps, so the book at a past update id can be rebuilt
//! (`Simulator::truth_at`). Pure. The bound is in level changes, what its memory is made
//! of: a soak of many books must not grow with time (issue 10: 60 books used to hold about
//! 4 MB of steps each).

use super::market::TickLevel;
use std::collections::{BTreeMap, VecDeque};

/// A book side keyed by price ticks.
pub type Side = BTreeMap<i64, u64>;

#[derive(Clone, Debug)]
struct Entry {
    id: u64,
    /// Bid changes, then ask changes, in one exact-size allocation.
    levels: Box<[TickLevel]>,
    bids: u32,
}

impl Entry {
    fn bids(&self) -> &[TickLevel] {
        &self.levels[..self.bids as usize]
    }

    fn asks(&self) -> &[TickLevel] {
        &self.levels[self.bids as usize..]
    }
}

/// The oldest kept book (the base) and the steps after it, each tagged with the update id
/// the book had after it. Ids never decrease; several steps may share one id (a Poloniex
/// window that did not change).
#[derive(Clone, Debug)]
pub struct History {
    base_id: u64,
    base_bids: Side,
    base_asks: Side,
    entries: VecDeque<Entry>,
    cap: usize,
    kept: usize,
}

fn apply(side: &mut Side, changes: &[TickLevel]) {
    for (p, q) in changes {
        if *q == 0 {
            side.remove(p);
        } else {
            side.insert(*p, *q);
        }
    }
}

impl History {
    /// A history starting from a book at `id`, keeping the steps of at most `cap` level
    /// changes (always the latest step).
    pub fn new(id: u64, bids: Side, asks: Side, cap: usize) -> Self {
        History {
            base_id: id,
            base_bids: bids,
            base_asks: asks,
            entries: VecDeque::new(),
            cap: cap.max(1),
            kept: 0,
        }
    }

    /// Records a step whose changes brought the book to `id`; folds the oldest steps into
    /// the base while more than the cap of level changes is kept.
    pub fn push(&mut self, id: u64, bids: &[TickLevel], asks: &[TickLevel]) {
        let levels: Box<[TickLevel]> = bids.iter().chain(asks).copied().collect();
        self.kept += levels.len();
        self.entries.push_back(Entry {
            id,
            levels,
            bids: bids.len() as u32,
        });
        while (self.kept > self.cap || self.entries.len() > self.cap) && self.entries.len() > 1 {
            if let Some(old) = self.entries.pop_front() {
                apply(&mut self.base_bids, old.bids());
                apply(&mut self.base_asks, old.asks());
                self.base_id = old.id;
                self.kept -= old.levels.len();
            }
        }
        if self.entries.capacity() > 2 * self.entries.len() + 64 {
            self.entries.shrink_to_fit();
        }
    }

    /// Level changes kept in the steps after the base (what the history's memory grows with).
    pub fn kept_levels(&self) -> usize {
        self.kept
    }

    /// The id of the oldest book kept.
    pub fn oldest_id(&self) -> u64 {
        self.base_id
    }

    /// The book `(bids, asks)` as it was when its id became `id` and stayed so: the state
    /// after the last step with that id. `None` if `id` is older than the base or was never
    /// an id at a step boundary (Binance ids inside an event's `U..u`).
    pub fn book_at(&self, id: u64) -> Option<(Side, Side)> {
        if id < self.base_id {
            return None;
        }
        let mut found = id == self.base_id;
        let mut bids = self.base_bids.clone();
        let mut asks = self.base_asks.clone();
        for e in self.entries.iter().take_while(|e| e.id <= id) {
            apply(&mut bids, e.bids());
            apply(&mut asks, e.asks());
            found |= e.id == id;
        }
        found.then_some((bids, asks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(levels: &[TickLevel]) -> Side {
        levels.iter().copied().collect()
    }

    #[test]
    fn rebuilds_past_books_and_forgets_old_ones() {
        let mut h = History::new(10, side(&[(5, 1)]), side(&[(7, 1)]), 3);
        h.push(12, &[(5, 2)], &[]);
        h.push(15, &[(4, 1)], &[(7, 0)]);
        assert_eq!(h.kept_levels(), 3);
        assert_eq!(h.book_at(10).unwrap().0, side(&[(5, 1)]));
        assert_eq!(h.book_at(12).unwrap().0, side(&[(5, 2)]));
        assert_eq!(h.book_at(15).unwrap(), (side(&[(5, 2), (4, 1)]), side(&[])));
        assert!(h.book_at(11).is_none() && h.book_at(16).is_none());
        h.push(16, &[], &[(8, 3)]);
        assert_eq!(h.oldest_id(), 12);
        assert!(h.book_at(10).is_none());
        assert_eq!(h.book_at(16).unwrap().1, side(&[(8, 3)]));
    }

    #[test]
    fn steps_sharing_an_id_give_the_last_state() {
        let mut h = History::new(1, Side::new(), Side::new(), 10);
        h.push(2, &[(5, 1)], &[]);
        h.push(2, &[(3, 1)], &[]);
        assert_eq!(h.book_at(2).unwrap().0, side(&[(5, 1), (3, 1)]));
    }
}
