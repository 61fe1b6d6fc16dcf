//! A seeded synthetic market: a random-walk mid price, a realistically shaped book that keeps
//! its depth, and trade flow. Pure and deterministic: the same seed gives the same stream on
//! every machine (the generator is a fixed SplitMix64, not a library RNG whose output may
//! change between versions).
//!
//! Prices are integer ticks of `10^-price_scale`, quantities integer lots of `10^-qty_scale`.
//! The book is kept in its own plain `BTreeMap`s, independent of [`crate::book::OrderBook`],
//! so it can serve as the truth that the engine's books are checked against.

use std::collections::BTreeMap;

pub use crate::backoff::SplitMix64;

/// Shape of a synthetic market.
#[derive(Clone, Debug)]
pub struct MarketConfig {
    /// Seed of the random stream.
    pub seed: u64,
    /// Starting mid price in ticks.
    pub mid: i64,
    /// Decimals of a tick (`2` → 0.01).
    pub price_scale: u32,
    /// Decimals of a lot (`8` → 0.00000001).
    pub qty_scale: u32,
    /// Levels kept per side.
    pub depth: usize,
    /// Level changes per step (a step is one depth message).
    pub changes_per_step: usize,
    /// Chance (%) that a step also has a trade.
    pub trade_percent: u64,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            seed: 1,
            mid: 6_000_000, // 60000.00
            price_scale: 2,
            qty_scale: 8,
            depth: 1000,
            changes_per_step: 20,
            trade_percent: 30,
        }
    }
}

/// A level as `(price ticks, lots)`.
pub type TickLevel = (i64, u64);

/// A synthetic trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthTrade {
    /// Sequential id.
    pub id: u64,
    /// Price in ticks.
    pub price: i64,
    /// Quantity in lots.
    pub qty: u64,
    /// True when the taker bought.
    pub taker_buy: bool,
}

/// One step of the market: level changes (absolute lots, 0 deletes) and trades.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Bid changes `(price ticks, lots)`.
    pub bids: Vec<(i64, u64)>,
    /// Ask changes.
    pub asks: Vec<(i64, u64)>,
    /// Trades in this step.
    pub trades: Vec<SynthTrade>,
}

impl Step {
    /// Number of level changes.
    pub fn changes(&self) -> usize {
        self.bids.len() + self.asks.len()
    }
}

/// The synthetic market.
#[derive(Clone, Debug)]
pub struct SyntheticMarket {
    cfg: MarketConfig,
    rng: SplitMix64,
    mid: i64,
    bids: BTreeMap<i64, u64>,
    asks: BTreeMap<i64, u64>,
    next_trade_id: u64,
}

impl SyntheticMarket {
    /// A market with a full book of `cfg.depth` levels per side around `cfg.mid`.
    pub fn new(cfg: MarketConfig) -> Self {
        let mut rng = SplitMix64::new(cfg.seed);
        let mut bids = BTreeMap::new();
        let mut asks = BTreeMap::new();
        for i in 0..cfg.depth as i64 {
            bids.insert(cfg.mid - 1 - i, Self::lots(&mut rng, i));
            asks.insert(cfg.mid + 1 + i, Self::lots(&mut rng, i));
        }
        SyntheticMarket {
            mid: cfg.mid,
            cfg,
            rng,
            bids,
            asks,
            next_trade_id: 1,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MarketConfig {
        &self.cfg
    }

    /// Size of a level `distance` ticks from the touch: thinner at the top, with noise.
    fn lots(rng: &mut SplitMix64, distance: i64) -> u64 {
        let base = 1_000_000 + (distance.unsigned_abs() % 50) * 200_000;
        base + rng.below(50_000_000)
    }

    /// Bids, best first, as `(ticks, lots)`.
    pub fn bids(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.bids.iter().rev().map(|(p, q)| (*p, *q))
    }

    /// Asks, best first.
    pub fn asks(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.asks.iter().map(|(p, q)| (*p, *q))
    }

    /// The lots at `price` on one side (`bid` true for bids), if the level exists.
    pub fn level(&self, bid: bool, price: i64) -> Option<u64> {
        if bid {
            self.bids.get(&price).copied()
        } else {
            self.asks.get(&price).copied()
        }
    }

    /// Best bid and best ask.
    pub fn top(&self) -> (Option<TickLevel>, Option<TickLevel>) {
        (self.bids().next(), self.asks().next())
    }

    fn set(&mut self, bid: bool, price: i64, lots: u64, step: &mut Step) {
        let (map, changes) = if bid {
            (&mut self.bids, &mut step.bids)
        } else {
            (&mut self.asks, &mut step.asks)
        };
        if lots == 0 {
            if map.remove(&price).is_none() {
                return;
            }
        } else {
            map.insert(price, lots);
        }
        // One entry per price per step (the last value wins), like a venue's batch.
        changes.retain(|(p, _)| *p != price);
        changes.push((price, lots));
    }

    /// Advances the market by one step.
    pub fn step(&mut self) -> Step {
        let mut step = Step::default();
        // Random walk of the mid; levels that would cross are removed.
        if self.rng.chance(20) {
            self.mid += if self.rng.chance(50) { 1 } else { -1 };
            let crossing_bids: Vec<i64> = self.bids.range(self.mid..).map(|(p, _)| *p).collect();
            for p in crossing_bids {
                self.set(true, p, 0, &mut step);
            }
            let crossing_asks: Vec<i64> = self.asks.range(..=self.mid).map(|(p, _)| *p).collect();
            for p in crossing_asks {
                self.set(false, p, 0, &mut step);
            }
        }
        if self.rng.chance(self.cfg.trade_percent) {
            let taker_buy = self.rng.chance(50);
            let best = if taker_buy {
                self.asks().next()
            } else {
                self.bids().next()
            };
            if let Some((price, lots)) = best {
                let qty = 1 + self.rng.below(lots);
                let id = self.next_trade_id;
                self.next_trade_id += 1;
                step.trades.push(SynthTrade {
                    id,
                    price,
                    qty,
                    taker_buy,
                });
                self.set(!taker_buy, price, lots - qty, &mut step);
            }
        }
        let depth = self.cfg.depth as u64;
        while step.changes() < self.cfg.changes_per_step {
            let bid = self.rng.chance(50);
            // Most activity near the touch: the smaller of two uniform distances.
            let d = self.rng.below(depth).min(self.rng.below(depth)) as i64;
            let price = if bid {
                self.mid - 1 - d
            } else {
                self.mid + 1 + d
            };
            let lots = if self.rng.chance(25) {
                0
            } else {
                Self::lots(&mut self.rng, d)
            };
            self.set(bid, price, lots, &mut step);
        }
        // Keep the depth: drop the far levels.
        while self.bids.len() > self.cfg.depth {
            let far = *self.bids.keys().next().unwrap_or(&0);
            self.set(true, far, 0, &mut step);
        }
        while self.asks.len() > self.cfg.depth {
            let far = *self.asks.keys().next_back().unwrap_or(&0);
            self.set(false, far, 0, &mut step);
        }
        step
    }
}

/// Renders `value / 10^scale` with exactly `decimals` decimals (`decimals >= scale`).
pub fn fixed(value: i64, scale: u32, decimals: u32) -> String {
    let decimals = decimals.max(scale);
    let v = i128::from(value) * 10i128.pow(decimals - scale);
    let sign = if v < 0 { "-" } else { "" };
    let v = v.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{v}");
    }
    let p = 10u128.pow(decimals);
    format!(
        "{sign}{}.{:0width$}",
        v / p,
        v % p,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_uncrossed_and_keeps_depth() {
        let cfg = MarketConfig {
            depth: 50,
            ..MarketConfig::default()
        };
        let mut a = SyntheticMarket::new(cfg.clone());
        let mut b = SyntheticMarket::new(cfg);
        for _ in 0..2000 {
            let (sa, sb) = (a.step(), b.step());
            assert_eq!(sa, sb);
            assert!(sa.changes() >= 20);
            let (bid, ask) = a.top();
            assert!(bid.unwrap().0 < ask.unwrap().0);
            assert!(a.bids.len() <= 50 && a.asks.len() <= 50);
        }
    }

    #[test]
    fn fixed_rendering() {
        assert_eq!(fixed(6_000_000, 2, 8), "60000.00000000");
        assert_eq!(fixed(5, 2, 2), "0.05");
        assert_eq!(fixed(123, 0, 0), "123");
    }
}
