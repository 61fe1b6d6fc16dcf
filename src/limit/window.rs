//! Calendar-window rate limiter (pure): takes in the server's `rateLimits` (or its
//! `X-MBX-USED-WEIGHT-1M` header), refuses requests locally before they would exceed a
//! limit, and tracks server-imposed 429/418 periods.
//!
//! Binance WebSocket API protocol reference sections 2.3 and 2.4 (the REST API counts the
//! same way): intervals are calendar-aligned (a `1 MINUTE` window resets at each minute
//! boundary, `10 SECOND` at :00/:10/…, `1 DAY` at 00:00 UTC), and exhausting a window blocks
//! until it resets. All methods take `now_ms` (epoch ms).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of limit (`rateLimitType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RateLimitKind {
    /// Request weight per IP.
    RequestWeight,
    /// Unfilled orders per account.
    Orders,
    /// New connections per IP.
    Connections,
    /// Raw requests (REST only).
    RawRequests,
    /// A type this version does not know.
    #[serde(other)]
    Other,
}

/// Interval unit of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum IntervalUnit {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days (UTC).
    Day,
    /// A unit this version does not know.
    #[serde(other)]
    Other,
}

impl IntervalUnit {
    /// Length of one unit in milliseconds (`None` for unknown units).
    pub fn millis(self) -> Option<u64> {
        match self {
            Self::Second => Some(1_000),
            Self::Minute => Some(60_000),
            Self::Hour => Some(3_600_000),
            Self::Day => Some(86_400_000),
            Self::Other => None,
        }
    }
}

/// One entry of a response's `rateLimits` array (or of `exchangeInfo.rateLimits`, which has
/// no `count`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// Kind of limit.
    pub rate_limit_type: RateLimitKind,
    /// Interval unit.
    pub interval: IntervalUnit,
    /// Number of units per window.
    pub interval_num: u32,
    /// Maximum per window.
    pub limit: u64,
    /// Current usage in this window (absent in `exchangeInfo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl RateLimit {
    /// Window length in milliseconds.
    pub fn window_ms(&self) -> Option<u64> {
        self.interval
            .millis()
            .map(|u| u * u64::from(self.interval_num.max(1)))
    }
}

/// Start of the calendar-aligned window of length `len_ms` containing `now_ms`.
pub fn window_start(now_ms: u64, len_ms: u64) -> u64 {
    now_ms - now_ms % len_ms
}

/// What a request costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// `REQUEST_WEIGHT` units.
    pub weight: u32,
    /// Unfilled orders it may create (`ORDERS` limits).
    pub orders: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    kind: RateLimitKind,
    len_ms: u64,
    limit: u64,
    count: u64,
    start_ms: u64,
}

impl Window {
    fn count_at(&self, now_ms: u64) -> u64 {
        if window_start(now_ms, self.len_ms) == self.start_ms {
            self.count
        } else {
            0
        }
    }

    fn cost(&self, cost: Cost) -> u64 {
        match self.kind {
            RateLimitKind::RequestWeight => u64::from(cost.weight),
            RateLimitKind::Orders => u64::from(cost.orders),
            _ => 0,
        }
    }
}

/// Usage of one window, for display and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitUsage {
    /// Kind of limit.
    pub kind: RateLimitKind,
    /// Window length in milliseconds.
    pub window_ms: u64,
    /// Units used in the current window.
    pub count: u64,
    /// Maximum per window.
    pub limit: u64,
    /// When the current window ends (epoch ms).
    pub resets_at: u64,
}

/// Why a request may not be sent now: the limiter's error, and (from
/// [`RateLimiter::blocked`]) why nothing may be sent at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitError {
    /// A limit is exhausted (locally, or the server answered 429).
    RateLimited {
        /// Which limit.
        limit: RateLimitKind,
        /// When it resets (epoch ms).
        until: u64,
    },
    /// The server answered 418: IP banned.
    Banned {
        /// When the ban ends (epoch ms).
        until: u64,
    },
}

impl LimitError {
    /// End of the blocked period (epoch ms): when to try again.
    pub fn until(&self) -> u64 {
        match *self {
            Self::RateLimited { until, .. } | Self::Banned { until } => until,
        }
    }

    /// Always false: every limit resets; retry at [`until`](Self::until).
    pub fn is_terminal(&self) -> bool {
        false
    }
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RateLimited { limit, until } => {
                write!(f, "rate limit {limit:?} exhausted until {until} (epoch ms)")
            }
            Self::Banned { until } => write!(f, "IP banned until {until} (epoch ms)"),
        }
    }
}

impl std::error::Error for LimitError {}

/// Tracks rate-limit windows; never reads a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimiter {
    windows: Vec<Window>,
    server_block: Option<LimitError>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::binance_defaults()
    }
}

impl RateLimiter {
    /// An empty tracker (no limits known).
    pub fn empty() -> Self {
        Self {
            windows: Vec::new(),
            server_block: None,
        }
    }

    /// The documented spot defaults: `REQUEST_WEIGHT` 6000/min, `ORDERS` 50/10 s and
    /// 160000/day. Replaced by the real values from the first response's `rateLimits`.
    pub fn binance_defaults() -> Self {
        let mut l = Self::empty();
        l.set_limit(RateLimitKind::RequestWeight, 60_000, 6_000);
        l.set_limit(RateLimitKind::Orders, 10_000, 50);
        l.set_limit(RateLimitKind::Orders, 86_400_000, 160_000);
        l
    }

    /// Sets (or adds) a limit of `limit` per `window_ms`.
    pub fn set_limit(&mut self, kind: RateLimitKind, window_ms: u64, limit: u64) {
        match self
            .windows
            .iter_mut()
            .find(|w| w.kind == kind && w.len_ms == window_ms)
        {
            Some(w) => w.limit = limit,
            None => self.windows.push(Window {
                kind,
                len_ms: window_ms,
                limit,
                count: 0,
                start_ms: 0,
            }),
        }
    }

    /// Would `cost` fit now? `Err` says which limit and the time at which it would fit.
    pub fn check(&self, cost: Cost, now_ms: u64) -> Result<(), LimitError> {
        if let Some(b) = self.server_block.filter(|b| now_ms < b.until()) {
            // A 429 for ORDERS (-1015) blocks new orders only; anything else blocks all.
            let applies = match b {
                LimitError::RateLimited {
                    limit: RateLimitKind::Orders,
                    ..
                } => cost.orders > 0,
                _ => true,
            };
            if applies {
                return Err(b);
            }
        }
        let mut worst: Option<LimitError> = None;
        for w in &self.windows {
            let c = w.cost(cost);
            if c > 0 && w.count_at(now_ms) + c > w.limit {
                let until = window_start(now_ms, w.len_ms) + w.len_ms;
                if !matches!(worst, Some(b) if b.until() >= until) {
                    worst = Some(LimitError::RateLimited {
                        limit: w.kind,
                        until,
                    });
                }
            }
        }
        worst.map_or(Ok(()), Err)
    }

    /// Counts a request that was sent at `now_ms`.
    pub fn record(&mut self, cost: Cost, now_ms: u64) {
        for w in &mut self.windows {
            let c = w.cost(cost);
            let start = window_start(now_ms, w.len_ms);
            if w.start_ms != start {
                w.start_ms = start;
                w.count = 0;
            }
            w.count += c;
        }
    }

    /// [`check`](Self::check) then [`record`](Self::record).
    pub fn try_acquire(&mut self, cost: Cost, now_ms: u64) -> Result<(), LimitError> {
        self.check(cost, now_ms)?;
        self.record(cost, now_ms);
        Ok(())
    }

    /// Takes in a response's `rateLimits` for a request sent at `sent_ms`, received at
    /// `now_ms`. Limits are always updated; counts only when the request was sent in the
    /// current window (a count from the previous window must not block the new one). The
    /// server's count wins when higher (other connections share the IP's weight).
    pub fn observe(&mut self, limits: &[RateLimit], sent_ms: u64, now_ms: u64) {
        for rl in limits {
            let Some(len) = rl.window_ms() else { continue };
            self.set_limit(rl.rate_limit_type, len, rl.limit);
            let Some(count) = rl.count else { continue };
            let start = window_start(now_ms, len);
            if window_start(sent_ms, len) != start {
                continue;
            }
            if let Some(w) = self
                .windows
                .iter_mut()
                .find(|w| w.kind == rl.rate_limit_type && w.len_ms == len)
            {
                if w.start_ms != start {
                    w.start_ms = start;
                    w.count = 0;
                }
                w.count = w.count.max(count);
            }
        }
    }

    /// The server answered 429 for `limit`: nothing is sent until `retry_after`.
    pub fn on_rate_limited(&mut self, limit: RateLimitKind, retry_after: u64) {
        self.server_block = Some(LimitError::RateLimited {
            limit,
            until: retry_after,
        });
    }

    /// The server answered 418: banned until `until`.
    pub fn on_banned(&mut self, until: u64) {
        self.server_block = Some(LimitError::Banned { until });
    }

    /// Whether (and why, and until when) no request can be sent at all: a 429/418 period, or
    /// `REQUEST_WEIGHT` used up in the current window.
    pub fn blocked(&self, now_ms: u64) -> Option<LimitError> {
        self.check(
            Cost {
                weight: 1,
                orders: 0,
            },
            now_ms,
        )
        .err()
    }

    /// Whether one more order (weight 1, one unfilled order) fits now.
    pub fn orders_allowed(&self, now_ms: u64) -> bool {
        self.check(
            Cost {
                weight: 1,
                orders: 1,
            },
            now_ms,
        )
        .is_ok()
    }

    /// Usage of every known window at `now_ms`.
    pub fn usage(&self, now_ms: u64) -> Vec<LimitUsage> {
        self.windows
            .iter()
            .map(|w| LimitUsage {
                kind: w.kind,
                window_ms: w.len_ms,
                count: w.count_at(now_ms),
                limit: w.limit,
                resets_at: window_start(now_ms, w.len_ms) + w.len_ms,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_040_000; // a minute boundary
    fn weight(w: u32) -> Cost {
        Cost {
            weight: w,
            orders: 0,
        }
    }

    #[test]
    fn windows_are_calendar_aligned() {
        assert_eq!(window_start(T0 + 59_999, 60_000), T0);
        assert_eq!(window_start(T0 + 60_000, 60_000), T0 + 60_000);
        assert_eq!(window_start(86_400_000 * 3 + 5, 86_400_000), 86_400_000 * 3);
    }

    #[test]
    fn refuses_before_exceeding_and_recovers_at_rollover() {
        let mut l = RateLimiter::empty();
        l.set_limit(RateLimitKind::RequestWeight, 60_000, 10);
        l.try_acquire(weight(8), T0 + 1_000).unwrap();
        let err = l.try_acquire(weight(3), T0 + 2_000).unwrap_err();
        assert_eq!(
            err,
            LimitError::RateLimited {
                until: T0 + 60_000,
                limit: RateLimitKind::RequestWeight
            }
        );
        l.try_acquire(weight(2), T0 + 2_000).unwrap();
        assert_eq!(
            l.blocked(T0 + 3_000),
            Some(LimitError::RateLimited {
                limit: RateLimitKind::RequestWeight,
                until: T0 + 60_000
            })
        );
        assert_eq!(l.blocked(T0 + 60_000), None);
        l.try_acquire(weight(10), T0 + 60_000).unwrap();
    }

    #[test]
    fn observe_takes_server_limit_and_higher_count() {
        let mut l = RateLimiter::binance_defaults();
        let rl = RateLimit {
            rate_limit_type: RateLimitKind::RequestWeight,
            interval: IntervalUnit::Minute,
            interval_num: 1,
            limit: 100,
            count: Some(99),
        };
        l.observe(std::slice::from_ref(&rl), T0 + 10, T0 + 20);
        assert!(l.check(weight(1), T0 + 30).is_ok());
        assert!(l.check(weight(2), T0 + 30).is_err());
        // A count reported for a request sent in the previous window is ignored.
        let mut l2 = RateLimiter::binance_defaults();
        l2.observe(&[rl], T0 - 10, T0 + 20);
        assert!(l2.check(weight(100), T0 + 30).is_ok());
    }

    #[test]
    fn orders_limit_blocks_orders_only() {
        let mut l = RateLimiter::binance_defaults();
        for _ in 0..50 {
            l.try_acquire(
                Cost {
                    weight: 1,
                    orders: 1,
                },
                T0,
            )
            .unwrap();
        }
        assert!(!l.orders_allowed(T0 + 1));
        assert!(l.check(weight(1), T0 + 1).is_ok());
        assert_eq!(l.blocked(T0 + 1), None);
        assert!(l.orders_allowed(T0 + 10_000));
    }

    #[test]
    fn server_ban_honoured_until_retry_after() {
        let mut l = RateLimiter::binance_defaults();
        l.on_banned(T0 + 5_000);
        assert_eq!(
            l.check(weight(1), T0),
            Err(LimitError::Banned { until: T0 + 5_000 })
        );
        assert!(l.check(weight(1), T0 + 5_000).is_ok());
        l.on_rate_limited(RateLimitKind::RequestWeight, T0 + 9_000);
        assert!(matches!(
            l.check(weight(1), T0 + 6_000),
            Err(LimitError::RateLimited { .. })
        ));
    }

    #[test]
    fn server_orders_429_blocks_orders_only() {
        let mut l = RateLimiter::binance_defaults();
        l.on_banned(T0 - 1); // an expired ban changes nothing
        l.on_rate_limited(RateLimitKind::Orders, T0 + 10_000);
        assert_eq!(
            l.check(
                Cost {
                    weight: 1,
                    orders: 1
                },
                T0
            ),
            Err(LimitError::RateLimited {
                until: T0 + 10_000,
                limit: RateLimitKind::Orders
            })
        );
        assert!(l.check(weight(4), T0).is_ok());
        assert_eq!(l.blocked(T0), None);
        assert!(!l.orders_allowed(T0));
        assert!(l.orders_allowed(T0 + 10_000));
        l.on_rate_limited(RateLimitKind::RequestWeight, T0 + 5_000);
        assert!(l.blocked(T0).is_some());
    }

    proptest::proptest! {
        /// Whatever the sequence of requests and times, what the tracker lets through never
        /// exceeds a limit in any calendar window (checked against a naive recount).
        #[test]
        fn never_lets_a_window_exceed_its_limit(
            steps in proptest::collection::vec((0u64..3_000, 0u32..30, proptest::bool::ANY), 1..300),
            limit in 1u64..200,
        ) {
            let mut l = RateLimiter::empty();
            l.set_limit(RateLimitKind::RequestWeight, 60_000, limit);
            l.set_limit(RateLimitKind::Orders, 10_000, 5);
            let mut now = T0;
            let mut sent: Vec<(u64, u32, u32)> = Vec::new();
            for (dt, w, is_order) in steps {
                now += dt;
                let cost = Cost { weight: w, orders: u32::from(is_order) };
                if l.try_acquire(cost, now).is_ok() {
                    sent.push((now, cost.weight, cost.orders));
                }
            }
            let mut per_min = std::collections::HashMap::new();
            let mut per_10s = std::collections::HashMap::new();
            for (t, w, o) in sent {
                *per_min.entry(window_start(t, 60_000)).or_insert(0u64) += u64::from(w);
                *per_10s.entry(window_start(t, 10_000)).or_insert(0u64) += u64::from(o);
            }
            proptest::prop_assert!(per_min.values().all(|&c| c <= limit));
            proptest::prop_assert!(per_10s.values().all(|&c| c <= 5));
        }
    }
}
