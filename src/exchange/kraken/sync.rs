//! Kraken book sequencing. Kraken book messages carry no sequence number; the checksum is
//! the only integrity signal (verified by the tracker after each message).
//!
//! Rules (docs.kraken.com, `spot-websocket-v2/book`):
//! 1. The first message after subscribing is a snapshot; updates before it are ignored.
//! 2. Apply every level of an update (qty 0 removes), then truncate to the subscribed depth.
//! 3. Compare the checksum; on mismatch unsubscribe and resubscribe the symbol.

use crate::exchange::Decision;

/// Kraken sequencer: only knows whether a snapshot has been seen.
#[derive(Clone, Debug, Default)]
pub struct KrakenSync {
    live: bool,
}

impl KrakenSync {
    /// Waiting for a snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot arrived: updates apply from now on.
    pub fn on_snapshot(&mut self) {
        self.live = true;
    }

    /// Decision for an update.
    pub fn decide(&mut self) -> Decision {
        if self.live {
            Decision::Apply
        } else {
            Decision::Ignore
        }
    }

    /// Back to waiting for a snapshot.
    pub fn reset(&mut self) {
        self.live = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_before_the_snapshot_are_ignored() {
        let mut s = KrakenSync::new();
        assert_eq!(s.decide(), Decision::Ignore);
        s.on_snapshot();
        assert_eq!(s.decide(), Decision::Apply);
        s.reset();
        assert_eq!(s.decide(), Decision::Ignore);
    }
}
