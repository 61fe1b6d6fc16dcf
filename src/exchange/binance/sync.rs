//! The Binance diff-depth sequencer.
//!
//! Spot, "How to manage a local order book correctly" (revision of 2025-11-12):
//!
//! 1. Open the stream; **buffer** every event; remember the `U` of the first event.
//! 2. Fetch a depth snapshot.
//! 3. If the snapshot's `lastUpdateId` is strictly less than the first buffered `U`, the
//!    snapshot is older than the stream: **fetch again**.
//! 4. Drop buffered events with `u <= lastUpdateId`.
//! 5. Initialise the book from the snapshot; `local = lastUpdateId`.
//! 6. For each remaining buffered and then live event: if `u <= local` ignore it (stale);
//!    if `U > local + 1` events were missed (**gap**): discard the book and restart;
//!    otherwise apply it and set `local = u`. (The first event therefore satisfies
//!    `U <= local + 1 && u > local`, which is what the capture shows: the first kept event
//!    can start exactly at `lastUpdateId + 1`.)
//!
//! USD-M futures differ: drop events with `u < lastUpdateId`; the first event must satisfy
//! `U <= lastUpdateId <= u`; afterwards each event's `pu` must equal the previous event's
//! `u`, otherwise re-sync. (`U == prev u + 1` does **not** hold on futures.)

use crate::exchange::Decision;
use crate::types::{BookDelta, SeqIds};
use std::collections::VecDeque;

/// At most this many deltas are buffered while a snapshot is fetched; older ones are
/// dropped first (a snapshot newer than them makes them useless, an older one is refetched).
pub const DEFAULT_MAX_BUFFER: usize = 10_000;

/// Which Binance market's rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Market {
    /// Spot: continuity by `U == local + 1`.
    Spot,
    /// USD-M futures: continuity by `pu == local`.
    UsdM,
}

/// What to do with a fetched snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotDecision {
    /// Initialise the book from the snapshot, then run these buffered deltas (oldest first)
    /// through [`BinanceSync::decide`] like live ones.
    Apply {
        /// Buffered deltas newer than the snapshot.
        replay: Vec<BookDelta>,
        /// Buffered deltas already covered by the snapshot (setup step 4), dropped.
        dropped: usize,
    },
    /// The snapshot is older than the first buffered event: fetch again.
    Refetch {
        /// The snapshot's `lastUpdateId`.
        snapshot_id: u64,
        /// `U` of the first buffered event.
        first_buffered: u64,
    },
}

#[derive(Clone, Debug)]
enum State {
    Buffering { fetch_requested: bool },
    Live { local: u64, first: bool },
}

/// Binance diff-depth sequencer for one symbol. Owns the buffer of deltas that arrive while
/// the snapshot is fetched.
#[derive(Clone, Debug)]
pub struct BinanceSync {
    market: Market,
    state: State,
    buffer: VecDeque<BookDelta>,
    max_buffer: usize,
    dropped_from_buffer: u64,
}

impl BinanceSync {
    /// A sequencer waiting for its first event.
    pub fn new(market: Market) -> Self {
        BinanceSync {
            market,
            state: State::Buffering {
                fetch_requested: false,
            },
            buffer: VecDeque::new(),
            max_buffer: DEFAULT_MAX_BUFFER,
            dropped_from_buffer: 0,
        }
    }

    /// Sets the buffer bound.
    pub fn with_max_buffer(mut self, max: usize) -> Self {
        self.max_buffer = max.max(1);
        self
    }

    /// True once a snapshot has been applied and the chain holds.
    pub fn is_live(&self) -> bool {
        matches!(self.state, State::Live { .. })
    }

    /// The id of the last applied event (or snapshot), when live.
    pub fn local_id(&self) -> Option<u64> {
        match self.state {
            State::Live { local, .. } => Some(local),
            State::Buffering { .. } => None,
        }
    }

    /// Number of deltas waiting for a snapshot.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Deltas dropped because the buffer was full.
    pub fn dropped_from_buffer(&self) -> u64 {
        self.dropped_from_buffer
    }

    /// Decides about a delta with ids `seq` (`U`, `u`, and `pu` on USD-M). When live and in
    /// sequence the local id advances. On [`Decision::Buffered`] the caller hands the delta
    /// to [`buffer`](Self::buffer); on [`Decision::Gap`] the sequencer is back to buffering
    /// (the caller resets its book, buffers this delta and fetches a snapshot).
    pub fn decide(&mut self, seq: &SeqIds) -> Decision {
        let (first_id, last_id) = match (seq.first_id, seq.last_id) {
            (Some(f), Some(l)) => (f, l),
            _ => {
                return Decision::Gap {
                    expected: self.local_id().map_or(0, |l| l.saturating_add(1)),
                    received: 0,
                }
            }
        };
        match self.state {
            State::Buffering { fetch_requested } => {
                self.state = State::Buffering {
                    fetch_requested: true,
                };
                Decision::Buffered {
                    fetch_snapshot: !fetch_requested,
                }
            }
            State::Live { local, first } => {
                let stale = match (self.market, first) {
                    (Market::UsdM, true) => last_id < local,
                    _ => last_id <= local,
                };
                if stale {
                    return Decision::DropStale;
                }
                let gap = match (self.market, first) {
                    (Market::Spot, _) => {
                        let next = local.saturating_add(1);
                        (first_id > next).then_some((next, first_id))
                    }
                    (Market::UsdM, true) => (first_id > local).then_some((local, first_id)),
                    (Market::UsdM, false) => match seq.prev_id {
                        Some(pu) if pu == local => None,
                        Some(pu) => Some((local, pu)),
                        None => Some((local, 0)),
                    },
                };
                if let Some((expected, received)) = gap {
                    self.state = State::Buffering {
                        fetch_requested: true,
                    };
                    return Decision::Gap { expected, received };
                }
                self.state = State::Live {
                    local: last_id,
                    first: false,
                };
                Decision::Apply
            }
        }
    }

    /// Keeps a delta until the snapshot arrives (bounded; the oldest goes first).
    pub fn buffer(&mut self, delta: BookDelta) {
        if self.buffer.len() >= self.max_buffer {
            self.buffer.pop_front();
            self.dropped_from_buffer += 1;
        }
        self.buffer.push_back(delta);
    }

    /// Records that a snapshot request is already under way (so the next buffered delta does
    /// not ask for another one).
    pub fn mark_fetch_requested(&mut self) {
        if let State::Buffering { .. } = self.state {
            self.state = State::Buffering {
                fetch_requested: true,
            };
        }
    }

    /// Takes a fetched snapshot's `lastUpdateId` (setup steps 3–5).
    pub fn on_snapshot(&mut self, last_update_id: u64) -> SnapshotDecision {
        if let Some(first) = self.buffer.front().and_then(|d| d.seq.first_id) {
            if last_update_id < first {
                self.state = State::Buffering {
                    fetch_requested: true,
                };
                return SnapshotDecision::Refetch {
                    snapshot_id: last_update_id,
                    first_buffered: first,
                };
            }
        }
        let keep = |d: &BookDelta| match d.seq.last_id {
            Some(u) => match self.market {
                Market::Spot => u > last_update_id,
                Market::UsdM => u >= last_update_id,
            },
            None => false,
        };
        let buffered = self.buffer.len();
        let replay: Vec<BookDelta> = self.buffer.drain(..).filter(keep).collect();
        self.state = State::Live {
            local: last_update_id,
            first: true,
        };
        SnapshotDecision::Apply {
            dropped: buffered - replay.len(),
            replay,
        }
    }

    /// Forgets everything: back to buffering, no snapshot requested yet.
    pub fn reset(&mut self) {
        self.buffer.clear();
        self.state = State::Buffering {
            fetch_requested: false,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Exchange, Meta, Symbol, Timestamp};

    fn delta(first: u64, last: u64, prev: Option<u64>) -> BookDelta {
        BookDelta {
            meta: Meta {
                exchange: Exchange::Binance,
                symbol: Symbol::parse("BTC-USDT").unwrap(),
                exchange_time: None,
                received_at: Timestamp::default(),
            },
            bids: vec![],
            asks: vec![],
            seq: SeqIds {
                first_id: Some(first),
                last_id: Some(last),
                prev_id: prev,
            },
            checksum: None,
        }
    }

    fn ids(first: u64, last: u64) -> SeqIds {
        SeqIds {
            first_id: Some(first),
            last_id: Some(last),
            prev_id: None,
        }
    }

    /// Spot table, in the order of the official procedure.
    #[test]
    fn spot_table() {
        let mut s = BinanceSync::new(Market::Spot);
        // TC0: first event buffers and asks for a snapshot; the second only buffers.
        assert_eq!(
            s.decide(&ids(100, 102)),
            Decision::Buffered {
                fetch_snapshot: true
            },
            "TC0"
        );
        s.buffer(delta(100, 102, None));
        assert_eq!(
            s.decide(&ids(103, 104)),
            Decision::Buffered {
                fetch_snapshot: false
            }
        );
        s.buffer(delta(103, 104, None));
        // TC1: snapshot older than the first buffered U => fetch again.
        assert_eq!(
            s.on_snapshot(98),
            SnapshotDecision::Refetch {
                snapshot_id: 98,
                first_buffered: 100
            },
            "TC1"
        );
        // TC2: lastUpdateId == u of the first event (as in the capture): it is dropped,
        // the next one (U == lastUpdateId + 1) is kept.
        let SnapshotDecision::Apply { replay, dropped } = s.on_snapshot(102) else {
            panic!("TC2")
        };
        assert_eq!((replay.len(), dropped), (1, 1));
        assert_eq!(s.decide(&replay[0].seq), Decision::Apply, "TC2");
        assert_eq!(s.local_id(), Some(104));
        // TC3: stale events are dropped.
        assert_eq!(s.decide(&ids(101, 104)), Decision::DropStale, "TC3");
        // TC4: continuous event applies.
        assert_eq!(s.decide(&ids(105, 107)), Decision::Apply, "TC4");
        // TC5: a hole => gap, back to buffering.
        assert_eq!(
            s.decide(&ids(109, 110)),
            Decision::Gap {
                expected: 108,
                received: 109
            },
            "TC5"
        );
        assert!(!s.is_live());
        assert_eq!(
            s.decide(&ids(111, 112)),
            Decision::Buffered {
                fetch_snapshot: false
            }
        );
    }

    #[test]
    fn spot_first_event_straddling_the_snapshot() {
        let mut s = BinanceSync::new(Market::Spot);
        s.decide(&ids(100, 110));
        s.buffer(delta(100, 110, None));
        let SnapshotDecision::Apply { replay, .. } = s.on_snapshot(105) else {
            panic!()
        };
        // U <= id + 1 && u > id.
        assert_eq!(s.decide(&replay[0].seq), Decision::Apply);
        assert_eq!(s.local_id(), Some(110));
    }

    #[test]
    fn usdm_table() {
        let mut s = BinanceSync::new(Market::UsdM);
        let d = |f, l, p| SeqIds {
            first_id: Some(f),
            last_id: Some(l),
            prev_id: Some(p),
        };
        assert_eq!(
            s.decide(&d(90, 95, 89)),
            Decision::Buffered {
                fetch_snapshot: true
            }
        );
        s.buffer(delta(90, 95, Some(89)));
        s.decide(&d(96, 99, 95));
        s.buffer(delta(96, 99, Some(95)));
        let SnapshotDecision::Apply { replay, .. } = s.on_snapshot(97) else {
            panic!()
        };
        assert_eq!(replay.len(), 1, "u < lastUpdateId dropped");
        // TC0: first event U <= id <= u.
        assert_eq!(s.decide(&replay[0].seq), Decision::Apply, "TC0");
        // TC1: pu chains (U does not matter).
        assert_eq!(s.decide(&d(150, 160, 99)), Decision::Apply, "TC1");
        // TC2: pu broken.
        assert_eq!(
            s.decide(&d(170, 180, 165)),
            Decision::Gap {
                expected: 160,
                received: 165
            },
            "TC2"
        );
    }

    #[test]
    fn buffer_is_bounded() {
        let mut s = BinanceSync::new(Market::Spot).with_max_buffer(2);
        for i in 0..3 {
            s.decide(&ids(i * 2 + 1, i * 2 + 2));
            s.buffer(delta(i * 2 + 1, i * 2 + 2, None));
        }
        assert_eq!((s.buffered(), s.dropped_from_buffer()), (2, 1));
    }
}
