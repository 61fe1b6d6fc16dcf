//! The REST request-weight budget shared by every book of one Binance venue (the weight is
//! counted per IP, so all books draw on one budget). A thin thread-safe wrapper over the
//! crate's pure [`RateLimiter`] (the one the WS API uses too): calendar-aligned minute windows,
//! the server's own count (`X-MBX-USED-WEIGHT-1M`) taken in when higher, and 429 / 418 periods
//! honoured. Time is passed in (epoch milliseconds).

use crate::limit::{Cost, IntervalUnit, LimitError, RateLimit, RateLimitKind, RateLimiter};
use std::sync::Mutex;

/// A per-venue `REQUEST_WEIGHT` budget.
#[derive(Debug)]
pub(crate) struct RestBudget {
    limit: u64,
    limiter: Mutex<RateLimiter>,
}

impl RestBudget {
    /// A budget of `weight_per_minute`.
    pub(crate) fn new(weight_per_minute: u32) -> Self {
        let limit = u64::from(weight_per_minute.max(1));
        let mut limiter = RateLimiter::empty();
        limiter.set_limit(RateLimitKind::RequestWeight, 60_000, limit);
        RestBudget {
            limit,
            limiter: Mutex::new(limiter),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        self.limiter.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `weight` if it fits at `now_ms`; otherwise the epoch ms at which to try again.
    pub(crate) fn acquire(&self, weight: u32, now_ms: u64) -> Result<(), u64> {
        let cost = Cost { weight, orders: 0 };
        self.lock()
            .try_acquire(cost, now_ms)
            .map_err(|e: LimitError| e.until())
    }

    /// Takes in the server's `X-MBX-USED-WEIGHT-1M` of a request sent at `sent_ms`.
    pub(crate) fn observe_used(&self, used: u64, sent_ms: u64, now_ms: u64) {
        let seen = RateLimit {
            rate_limit_type: RateLimitKind::RequestWeight,
            interval: IntervalUnit::Minute,
            interval_num: 1,
            limit: self.limit,
            count: Some(used),
        };
        self.lock().observe(&[seen], sent_ms, now_ms);
    }

    /// The server answered 429 (`until` = now + `Retry-After`): nothing is sent before then.
    pub(crate) fn on_too_many_requests(&self, until_ms: u64) {
        self.lock()
            .on_rate_limited(RateLimitKind::RequestWeight, until_ms);
    }

    /// The server answered 418: the IP is banned until `until_ms`.
    pub(crate) fn on_banned(&self, until_ms: u64) {
        self.lock().on_banned(until_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::RestBudget;

    const MIN: u64 = 60_000;

    #[test]
    fn spends_within_the_minute_then_waits_for_the_next() {
        let b = RestBudget::new(120);
        let t = 100 * MIN + 5_000;
        assert_eq!(b.acquire(50, t), Ok(()));
        assert_eq!(b.acquire(50, t + 1), Ok(()));
        assert_eq!(
            b.acquire(50, t + 2),
            Err(101 * MIN),
            "over 120: wait for the next minute"
        );
        assert_eq!(b.acquire(20, t + 3), Ok(()), "a smaller request still fits");
        assert_eq!(b.acquire(50, 101 * MIN), Ok(()));
    }

    #[test]
    fn the_servers_count_wins_when_higher() {
        let b = RestBudget::new(1000);
        let t = 7 * MIN + 1_000;
        b.observe_used(990, t, t + 10);
        assert_eq!(b.acquire(50, t + 20), Err(8 * MIN));
        // A count from the previous minute does not block the new one.
        b.observe_used(990, t, 8 * MIN + 1);
        assert_eq!(b.acquire(50, 8 * MIN + 2), Ok(()));
    }

    #[test]
    fn too_many_requests_and_bans_hold_everything_until_their_end() {
        let b = RestBudget::new(6000);
        let t = 3 * MIN;
        b.on_too_many_requests(t + 1_000);
        assert_eq!(b.acquire(5, t + 10), Err(t + 1_000));
        assert_eq!(b.acquire(5, t + 1_000), Ok(()));
        b.on_banned(t + 120_000);
        assert_eq!(b.acquire(5, t + 2_000), Err(t + 120_000));
    }
}
