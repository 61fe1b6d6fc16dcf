//! The simulator's own enforcement of a venue's incoming-message limit (Binance spot: 5
//! messages per second per connection, pings, pongs and `SUBSCRIBE` included; USD-M 10).
//!
//! Written independently of the client's [`SendGate`](crate::limit::SendGate) on purpose: if
//! the two shared code, a bug in it would let the client break the limit and the simulator
//! wave it through. Here the last `limit` arrival times sit in a fixed ring; one more message
//! is over the limit when the oldest of them arrived less than `window` ago.

use std::time::{Duration, Instant};

/// Counts a connection's incoming messages against `limit` per sliding `window`.
#[derive(Debug)]
pub(crate) struct IncomingLimit {
    window: Duration,
    /// Arrival times of the last `ring.len()` messages (`None` until that many arrived).
    ring: Vec<Option<Instant>>,
    /// Where the next arrival is written (it holds the oldest one).
    next: usize,
}

impl IncomingLimit {
    /// `limit` messages (at least 1) per `window`.
    pub(crate) fn new(limit: usize, window: Duration) -> Self {
        IncomingLimit {
            window,
            ring: vec![None; limit.max(1)],
            next: 0,
        }
    }

    /// Takes in a message that arrived at `now`; false when it is one too many (the venue
    /// disconnects then, so nothing is recorded).
    pub(crate) fn arrive(&mut self, now: Instant) -> bool {
        if let Some(oldest) = self.ring[self.next] {
            if now.saturating_duration_since(oldest) < self.window {
                return false;
            }
        }
        self.ring[self.next] = Some(now);
        self.next = (self.next + 1) % self.ring.len();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::IncomingLimit;
    use std::time::{Duration, Instant};

    #[test]
    fn the_sixth_message_within_a_second_is_too_many() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut l = IncomingLimit::new(5, ms(1000));
        for i in 0..5 {
            assert!(l.arrive(t0 + ms(i * 10)), "message {i}");
        }
        assert!(!l.arrive(t0 + ms(999)));
        // A second after the first one, there is room for one more, not two.
        assert!(l.arrive(t0 + ms(1000)));
        assert!(!l.arrive(t0 + ms(1001)));
        assert!(l.arrive(t0 + ms(1010)));
    }

    #[test]
    fn a_steady_rate_at_the_limit_passes() {
        let t0 = Instant::now();
        let mut l = IncomingLimit::new(5, Duration::from_secs(1));
        for i in 0..100u64 {
            assert!(l.arrive(t0 + Duration::from_millis(i * 200)), "message {i}");
        }
        let mut zero = IncomingLimit::new(0, Duration::from_secs(1));
        assert!(zero.arrive(t0), "a limit of 0 is taken as 1");
        assert!(!zero.arrive(t0));
    }

    #[test]
    fn agrees_with_a_naive_recount() {
        // Whatever the arrival pattern, what it admits never has more than `limit` messages
        // in any window, and it refuses only when admitting would exceed that.
        let t0 = Instant::now();
        let mut seed = 0x1234_5678_u64;
        for limit in 1..8usize {
            let mut l = IncomingLimit::new(limit, Duration::from_millis(100));
            let mut admitted: Vec<Instant> = Vec::new();
            let mut now = t0;
            for _ in 0..2000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                now += Duration::from_millis(seed % 40);
                let recent = admitted
                    .iter()
                    .filter(|t| now.saturating_duration_since(**t) < Duration::from_millis(100))
                    .count();
                let ok = l.arrive(now);
                assert_eq!(ok, recent < limit, "limit {limit}, {recent} recent");
                if ok {
                    admitted.push(now);
                }
            }
        }
    }
}
