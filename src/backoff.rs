//! Reconnect schedules: capped exponential backoff with jitter, as a pure function. The one
//! schedule of the crate: the engine's reconnects and snapshot retries
//! ([`EngineBuilder::backoff`](crate::EngineBuilder::backoff)) and the WS API session's
//! reconnects (`WsApiConfig::reconnect_base` / `reconnect_cap`) differ only in their
//! parameters.

use std::time::Duration;

/// Capped exponential backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub base: Duration,
    /// Upper bound of any delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (1 = first retry), given a jitter draw in
    /// `[0, 1)`: "equal jitter", i.e. half the exponential step plus a random part of the other
    /// half, so retries of many clients spread out but never come sooner than half the step.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let step = self.base.saturating_mul(1u32 << exp.min(31)).min(self.max);
        let jitter = jitter.clamp(0.0, 1.0);
        let half = step / 2;
        half + half.mul_f64(jitter)
    }
}

/// SplitMix64: tiny, fast, and its output is fixed forever for a given seed (used for
/// jitter here and by the simulator's synthetic market).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `p_percent` %.
    pub fn chance(&mut self, p_percent: u64) -> bool {
        self.below(100) < p_percent
    }
}

/// Maps a random `u64` to `[0, 1)` for [`Backoff::delay`].
pub fn unit_jitter(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_with_bounded_jitter() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(2),
        };
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(50));
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay(2, 0.0), Duration::from_millis(100));
        assert_eq!(b.delay(3, 0.5), Duration::from_millis(300));
        // Capped: 100ms * 2^9 > 2s.
        assert_eq!(b.delay(10, 1.0), Duration::from_secs(2));
        assert_eq!(b.delay(1000, 0.0), Duration::from_secs(1));
        for a in 1..40 {
            for j in [0.0, 0.3, 0.999] {
                assert!(b.delay(a, j) <= b.max);
            }
        }
        assert!(unit_jitter(u64::MAX) < 1.0 && unit_jitter(0) == 0.0);
    }

    /// The WS API session's documented schedule (its attempt counter starts at 0, so it asks
    /// for `delay(attempt + 1)`): `base * 2^attempt` capped, with equal jitter, in whole ms.
    #[test]
    fn ws_api_reconnect_schedule() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(10),
        };
        let ms = |attempt: u32, j: f64| b.delay(attempt + 1, j).as_millis() as u64;
        assert_eq!(ms(0, 0.0), 50);
        assert_eq!(ms(3, 0.0), 400);
        assert_eq!(ms(3, 0.999_999), 799);
        assert_eq!(ms(40, 0.0), 5_000);
        let mut rng = SplitMix64::new(7);
        for _ in 0..1000 {
            let x = unit_jitter(rng.next_u64());
            assert!((0.0..1.0).contains(&x));
        }
    }
}
