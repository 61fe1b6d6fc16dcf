//! Poloniex v3 `book_lv2` sequencing (api-docs.poloniex.com, spot websocket, `book_lv2`):
//!
//! 1. On subscribe the server sends a `snapshot` (top 20 per side) with `id`.
//! 2. Each `update` carries `lastId` = the `id` of the previous message for the symbol;
//!    it is in sequence iff `lastId == previous id`.
//! 3. A mismatch means messages were lost: resubscribe (a new snapshot replaces the book).

use crate::exchange::Decision;
use crate::types::SeqIds;

/// Poloniex sequencer: the `id` of the last applied message.
#[derive(Clone, Debug, Default)]
pub struct PoloniexSync {
    last: Option<u64>,
}

impl PoloniexSync {
    /// Waiting for a snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot with `id` arrived.
    pub fn on_snapshot(&mut self, id: u64) {
        self.last = Some(id);
    }

    /// Decision for an update with `first_id = last_id = id` and `prev_id = lastId`.
    pub fn decide(&mut self, seq: &SeqIds) -> Decision {
        let Some(last) = self.last else {
            return Decision::Ignore;
        };
        let (Some(id), Some(prev)) = (seq.last_id, seq.prev_id) else {
            return Decision::Gap {
                expected: last,
                received: 0,
            };
        };
        if id <= last {
            return Decision::DropStale;
        }
        if prev != last {
            return Decision::Gap {
                expected: last,
                received: prev,
            };
        }
        self.last = Some(id);
        Decision::Apply
    }

    /// Back to waiting for a snapshot.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(prev: u64, id: u64) -> SeqIds {
        SeqIds {
            first_id: Some(id),
            last_id: Some(id),
            prev_id: Some(prev),
        }
    }

    /// TC0..TC4: before snapshot, in sequence, repeated, gap, after gap.
    #[test]
    fn last_id_chain_table() {
        let mut s = PoloniexSync::new();
        assert_eq!(s.decide(&ids(1, 2)), Decision::Ignore, "TC0");
        s.on_snapshot(10);
        assert_eq!(s.decide(&ids(10, 11)), Decision::Apply, "TC1");
        assert_eq!(s.decide(&ids(10, 11)), Decision::DropStale, "TC2");
        assert_eq!(
            s.decide(&ids(12, 13)),
            Decision::Gap {
                expected: 11,
                received: 12
            },
            "TC3"
        );
        assert_eq!(s.decide(&ids(11, 12)), Decision::Apply, "TC4");
    }
}
