//! The connection-attempt budget shared by every connection of one venue (OKX: 3 connection
//! requests per second per IP). Thread-safe (connections live on several arbiters); time is
//! passed in (epoch milliseconds).

use std::collections::VecDeque;
use std::sync::Mutex;

/// The window the venue counts in, plus a margin for the time a handshake takes to arrive.
const WINDOW_MS: u64 = 1_250;

/// At most `per_second` connection attempts in any window of [`WINDOW_MS`].
#[derive(Debug)]
pub(crate) struct ConnectGate {
    per_second: usize,
    opened: Mutex<VecDeque<u64>>,
}

impl ConnectGate {
    /// A gate of `per_second` attempts.
    pub(crate) fn new(per_second: u32) -> Self {
        ConnectGate {
            per_second: per_second.max(1) as usize,
            opened: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes one attempt at `now_ms` if it fits; otherwise the epoch ms to try again at.
    pub(crate) fn acquire(&self, now_ms: u64) -> Result<(), u64> {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        while opened
            .front()
            .is_some_and(|t| now_ms.saturating_sub(*t) >= WINDOW_MS)
        {
            opened.pop_front();
        }
        if opened.len() < self.per_second {
            opened.push_back(now_ms);
            Ok(())
        } else {
            Err(opened[0] + WINDOW_MS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_per_window_then_wait_for_the_oldest() {
        let g = ConnectGate::new(3);
        assert_eq!(g.acquire(1_000), Ok(()));
        assert_eq!(g.acquire(1_100), Ok(()));
        assert_eq!(g.acquire(1_200), Ok(()));
        assert_eq!(g.acquire(1_300), Err(2_250));
        assert_eq!(g.acquire(2_249), Err(2_250));
        assert_eq!(g.acquire(2_250), Ok(()));
        assert_eq!(g.acquire(2_251), Err(2_350));
        // Any window of 1.25 s holds at most 3 attempts.
        let g = ConnectGate::new(3);
        let mut at = Vec::new();
        let mut now = 0;
        while at.len() < 12 {
            match g.acquire(now) {
                Ok(()) => at.push(now),
                Err(until) => now = until,
            }
        }
        for w in at.windows(4) {
            assert!(w[3] - w[0] >= WINDOW_MS, "{at:?}");
        }
    }
}
