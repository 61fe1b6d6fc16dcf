//! What a fixed-depth subscriber must be told after a step: the diff of its top-`depth`
//! window before and after (Kraken `book`, Poloniex `book_lv2`). Pure.

use super::market::{SyntheticMarket, TickLevel};

/// The best `n` levels of one side, best first.
pub fn top(market: &SyntheticMarket, bid: bool, n: usize) -> Vec<TickLevel> {
    if bid {
        market.bids().take(n).collect()
    } else {
        market.asks().take(n).collect()
    }
}

/// The changes that turn a client's window `before` into `after` (both best first, at most
/// `depth` levels each; `bid` tells the order): every level of `after` that is new or has
/// another quantity, in `after`'s order, then a delete (`0` lots) for every level of
/// `before` that is gone from `after` *and* from the book (`still_in_book` false). Levels
/// that left the window only because better ones pushed them out are not sent: the client's
/// truncation drops them, as on the real venues. A merge walk, no allocation beyond the
/// result.
pub fn window_diff(
    before: &[TickLevel],
    after: &[TickLevel],
    bid: bool,
    still_in_book: impl Fn(i64) -> bool,
) -> Vec<TickLevel> {
    // Ascending in this key means best first.
    let key = |p: i64| if bid { -p } else { p };
    let mut changed = Vec::new();
    let mut deleted = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        match (before.get(i), after.get(j)) {
            (Some(b), Some(a)) if b.0 == a.0 => {
                if b.1 != a.1 {
                    changed.push(*a);
                }
                i += 1;
                j += 1;
            }
            (Some(b), Some(a)) if key(b.0) > key(a.0) => {
                changed.push(*a);
                j += 1;
            }
            (None, Some(a)) => {
                changed.push(*a);
                j += 1;
            }
            (Some(b), _) => {
                if !still_in_book(b.0) {
                    deleted.push((b.0, 0));
                }
                i += 1;
            }
            (None, None) => break,
        }
    }
    changed.extend(deleted);
    changed
}

/// Applies `changes` to a client's window the way a client does (set, delete, truncate to
/// `depth`, best first). `bid` picks the order. Used to check [`window_diff`].
pub fn apply_window(
    window: &[TickLevel],
    changes: &[TickLevel],
    bid: bool,
    depth: usize,
) -> Vec<TickLevel> {
    let mut map: std::collections::BTreeMap<i64, u64> = window.iter().copied().collect();
    for (p, q) in changes {
        if *q == 0 {
            map.remove(p);
        } else {
            map.insert(*p, *q);
        }
    }
    let levels: Vec<TickLevel> = if bid {
        map.into_iter().rev().collect()
    } else {
        map.into_iter().collect()
    };
    levels.into_iter().take(depth).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::market::MarketConfig;

    #[test]
    fn unchanged_window_is_empty() {
        let w = [(10, 1), (9, 2)];
        assert!(window_diff(&w, &w, true, |_| true).is_empty());
    }

    #[test]
    fn level_entering_after_a_delete_is_sent() {
        // Depth 2: 10 is deleted from the book, 8 enters the window from below.
        let before = [(10, 1), (9, 2)];
        let after = [(9, 2), (8, 5)];
        let d = window_diff(&before, &after, true, |p| p != 10);
        assert_eq!(d, vec![(8, 5), (10, 0)]);
        assert_eq!(apply_window(&before, &d, true, 2), after);
    }

    #[test]
    fn level_pushed_out_by_a_better_one_is_not_deleted() {
        let before = [(10, 1), (9, 2)];
        let after = [(11, 3), (10, 1)];
        let d = window_diff(&before, &after, true, |_| true);
        assert_eq!(d, vec![(11, 3)]);
        assert_eq!(apply_window(&before, &d, true, 2), after);
    }

    #[test]
    fn client_window_follows_the_market_for_every_depth() {
        for depth in [1usize, 10, 20, 25] {
            let mut m = SyntheticMarket::new(MarketConfig {
                depth: 60,
                seed: depth as u64,
                ..MarketConfig::default()
            });
            let mut client = (top(&m, true, depth), top(&m, false, depth));
            for _ in 0..500 {
                let before = client.clone();
                m.step();
                let (b, a) = (top(&m, true, depth), top(&m, false, depth));
                let db = window_diff(&before.0, &b, true, |p| m.level(true, p).is_some());
                let da = window_diff(&before.1, &a, false, |p| m.level(false, p).is_some());
                client = (
                    apply_window(&client.0, &db, true, depth),
                    apply_window(&client.1, &da, false, depth),
                );
                assert_eq!(client, (b, a));
            }
        }
    }
}
