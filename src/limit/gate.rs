//! The send gate: at most `limit` messages in any sliding `window`, time passed in. The
//! connection keeps each venue's per-connection message limit with it (the venue's numbers
//! are in `exchange::session::send_limit`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A sliding-window gate for outgoing messages: at most `limit` sends in any `window`.
/// Time is passed in; the connection actor queues what the gate holds back.
#[derive(Clone, Debug)]
pub(crate) struct SendGate {
    limit: usize,
    window: Duration,
    sent: VecDeque<Instant>,
}

impl SendGate {
    /// A gate allowing `limit` messages per `window` (`limit` of 0 is taken as 1).
    pub(crate) fn new(limit: usize, window: Duration) -> Self {
        SendGate {
            limit: limit.max(1),
            window,
            sent: VecDeque::new(),
        }
    }

    /// Records a send at `now` if the window has room; otherwise says how long to wait.
    pub(crate) fn try_send(&mut self, now: Instant) -> Result<(), Duration> {
        while let Some(first) = self.sent.front() {
            if now.saturating_duration_since(*first) >= self.window {
                self.sent.pop_front();
            } else {
                break;
            }
        }
        if self.sent.len() < self.limit {
            self.sent.push_back(now);
            return Ok(());
        }
        let first = self.sent.front().copied().unwrap_or(now);
        Err((first + self.window).saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_gate_holds_a_window_to_its_limit() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut g = SendGate::new(3, ms(1000));
        assert_eq!(g.try_send(t0), Ok(()));
        assert_eq!(g.try_send(t0 + ms(100)), Ok(()));
        assert_eq!(g.try_send(t0 + ms(200)), Ok(()));
        // Full until the first send leaves the window.
        assert_eq!(g.try_send(t0 + ms(300)), Err(ms(700)));
        assert_eq!(g.try_send(t0 + ms(999)), Err(ms(1)));
        assert_eq!(g.try_send(t0 + ms(1000)), Ok(()));
        assert_eq!(g.try_send(t0 + ms(1050)), Err(ms(50)));
        // Over any window of 1 s, never more than 3.
        let mut g = SendGate::new(3, ms(1000));
        let mut sends = Vec::new();
        for step in 0..400u64 {
            let now = t0 + ms(step * 7);
            if g.try_send(now).is_ok() {
                sends.push(now);
            }
        }
        for (i, s) in sends.iter().enumerate() {
            let within = sends[i..]
                .iter()
                .take_while(|x| **x < *s + ms(1000))
                .count();
            assert!(within <= 3, "{within} sends in the second after send {i}");
        }
        assert!(sends.len() >= 3 * 2, "it keeps admitting as time passes");
        assert_eq!(
            g.try_send(t0 + ms(2800) + ms(1000)),
            Ok(()),
            "a quiet window refills"
        );
    }
}
