//! OKX book sequencing by `seqId` / `prevSeqId` (okx.com `docs-v5`, "Order book channel",
//! and the changelog of 2026-02-12 for the REST-snapshot procedure).
//!
//! The venue's rules, as this sequencer applies them:
//! 1. A snapshot (in-stream `action: "snapshot"` with `prevSeqId = -1`, or the REST
//!    `GET /api/v5/market/books?..&source=0`) starts the book at its `seqId`.
//! 2. An update applies iff its `prevSeqId` equals the previous message's `seqId`. Two
//!    special cases still chain: the keep-alive update after ~60 s without changes
//!    (`prevSeqId == seqId`, empty sides), and a sequence reset after maintenance
//!    (`seqId < prevSeqId`, with `prevSeqId` equal to the last `seqId`).
//! 3. Any other `prevSeqId` means lost data: resync that book (a [`Decision::Gap`]).
//! 4. 2026 procedure, when the stream sends no snapshot: buffer the updates; record the
//!    `prevSeqId` of the second one, and fetch the REST snapshot once [`FETCH_AFTER`]
//!    were buffered without an in-stream snapshot; if the snapshot's
//!    `seqId` is below that recorded `prevSeqId`, fetch again; drop buffered updates with
//!    `seqId <= snapshot seqId`; the first one kept must satisfy
//!    `prevSeqId <= snapshot seqId < seqId`; from there on, rule 2.
//! 5. Data recorded before OKX added the ids (the 2022 capture) has no `seqId`: such an
//!    update applies once a snapshot was taken and only the checksum guards it; a missing
//!    id is never called a gap.
//! 6. The update just applied, received again (same `seqId`, `prevSeqId` below it), is a
//!    duplicate and dropped; nothing was lost.
//! 7. A snapshot no newer than the book in sync (a REST answer that arrives after the
//!    stream's own snapshot) is stale and dropped.

use crate::exchange::{Decision, SnapshotStep};
use crate::types::{BookDelta, SeqIds};

/// Updates buffered after a subscribe before the REST snapshot is asked for. While OKX
/// sends the in-stream snapshot it comes right after the subscription's acknowledgement,
/// before any update, and no REST request is spent; when the stream sends none (the 2026
/// procedure) the fetch waits this many updates (about half a second of the 100 ms `books`
/// channel). A book that lost sync asks at once (the tracker's `FetchSnapshot`).
pub const FETCH_AFTER: usize = 5;

/// Most updates kept while waiting for a REST snapshot; past it the oldest go, and the
/// snapshot that finally comes must be newer than what was dropped (else it is refetched).
pub const MAX_BUFFER: usize = 2_000;

/// One OKX book's sequencer.
#[derive(Clone, Debug, Default)]
pub struct OkxSync {
    /// The `seqId` of the last message applied (`None` before a snapshot, or on data
    /// without ids).
    last: Option<u64>,
    live: bool,
    /// The first update after a REST snapshot bridges it: `prevSeqId <= last < seqId`.
    bridging: bool,
    buffer: Vec<BookDelta>,
    /// Updates that reached the buffer since the last reset (dropped ones included).
    buffered: usize,
    /// The `prevSeqId` of the second buffered update: the snapshot must reach it.
    min_snapshot: Option<u64>,
    fetch_requested: bool,
}

impl OkxSync {
    /// Waiting for a snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decision for an update with these ids (`last_id` = `seqId`, `prev_id` =
    /// `prevSeqId`).
    pub fn decide(&mut self, seq: &SeqIds) -> Decision {
        let Some(id) = seq.last_id else {
            // Rule 5: no ids on the wire.
            return if self.live {
                Decision::Apply
            } else {
                Decision::Ignore
            };
        };
        if !self.live {
            // Rule 4: buffer; the second update says how new the snapshot must be, the
            // FETCH_AFTER-th asks for it.
            if self.buffered == 1 && self.min_snapshot.is_none() {
                self.min_snapshot = seq.prev_id;
            }
            let fetch = !self.fetch_requested && self.buffered + 1 >= FETCH_AFTER;
            if fetch {
                self.fetch_requested = true;
            }
            return Decision::Buffered {
                fetch_snapshot: fetch,
            };
        }
        let Some(last) = self.last else {
            // A snapshot without ids (2022 data) then updates with them: start the chain.
            self.last = Some(id);
            return Decision::Apply;
        };
        let prev = seq.prev_id.unwrap_or(u64::MAX);
        if self.bridging {
            if id <= last {
                return Decision::DropStale;
            }
            if prev <= last {
                self.bridging = false;
                self.last = Some(id);
                return Decision::Apply;
            }
            return Decision::Gap {
                expected: last,
                received: prev,
            };
        }
        if prev == last {
            // Rule 2, including keep-alives (prev == id) and resets (id < prev).
            self.last = Some(id);
            Decision::Apply
        } else if id == last && prev < id {
            // The last update again (a duplicate frame): nothing is lost.
            Decision::DropStale
        } else {
            Decision::Gap {
                expected: last,
                received: prev,
            }
        }
    }

    /// Takes a snapshot whose `seqId` is `snapshot_id` (rules 1, 4, 6).
    pub fn on_snapshot(&mut self, snapshot_id: Option<u64>) -> SnapshotStep {
        if self.live {
            if let (Some(last), Some(id)) = (self.last, snapshot_id) {
                if id <= last {
                    return SnapshotStep::Stale;
                }
            }
        }
        if let (Some(min), Some(id)) = (self.min_snapshot, snapshot_id) {
            if id < min {
                self.fetch_requested = true;
                return SnapshotStep::Refetch;
            }
        }
        let buffer = std::mem::take(&mut self.buffer);
        let (replay, dropped) = match snapshot_id {
            Some(id) => {
                let total = buffer.len();
                let replay: Vec<BookDelta> = buffer
                    .into_iter()
                    .filter(|d| d.seq.last_id.is_some_and(|s| s > id))
                    .collect();
                let dropped = total - replay.len();
                if let Some(first) = replay.first() {
                    if first.seq.prev_id.is_none_or(|p| p > id) {
                        // The snapshot is older than the buffer reaches back: fetch anew,
                        // keeping what came since.
                        self.buffer = replay;
                        self.min_snapshot = self.buffer[0].seq.prev_id;
                        self.fetch_requested = true;
                        return SnapshotStep::Refetch;
                    }
                }
                (replay, dropped)
            }
            // A snapshot without ids (2022 data): whatever was buffered is older.
            None => (Vec::new(), buffer.len()),
        };
        self.last = snapshot_id;
        self.live = true;
        self.bridging = snapshot_id.is_some();
        self.buffered = 0;
        self.min_snapshot = None;
        self.fetch_requested = false;
        SnapshotStep::Apply { replay, dropped }
    }

    /// Keeps an update until the snapshot arrives.
    pub fn buffer(&mut self, delta: BookDelta) {
        self.buffered += 1;
        if self.buffer.len() >= MAX_BUFFER {
            self.buffer.remove(0);
        }
        self.buffer.push(delta);
    }

    /// A snapshot request is under way (the tracker asked for one after a failure).
    pub fn mark_fetch_requested(&mut self) {
        self.fetch_requested = true;
    }

    /// Back to waiting for a snapshot.
    pub fn reset(&mut self) {
        *self = OkxSync::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Exchange, Meta, Symbol, Timestamp};

    fn ids(prev: i64, seq: u64) -> SeqIds {
        SeqIds {
            first_id: None,
            last_id: Some(seq),
            prev_id: u64::try_from(prev).ok(),
        }
    }

    fn delta(prev: i64, seq: u64) -> BookDelta {
        BookDelta {
            meta: Meta {
                exchange: Exchange::Okx,
                symbol: Symbol::parse("BTC-USDT").unwrap(),
                exchange_time: None,
                received_at: Timestamp::from_unix_millis(0),
            },
            bids: Vec::new(),
            asks: Vec::new(),
            seq: ids(prev, seq),
            checksum: None,
        }
    }

    fn live_at(seq: u64) -> OkxSync {
        let mut s = OkxSync::new();
        assert!(matches!(
            s.on_snapshot(Some(seq)),
            SnapshotStep::Apply { .. }
        ));
        s.bridging = false; // an in-stream snapshot chains exactly from here on
        s
    }

    /// A case: its name, the snapshot's seqId, then (prevSeqId, seqId, decision) per update.
    type Case<'a> = (&'a str, u64, &'a [(i64, u64, Decision)]);

    /// Rule 2 and 3 of the module docs, TC0..TC6.
    #[test]
    fn chain_table() {
        let gap = |e, r| Decision::Gap {
            expected: e,
            received: r,
        };
        #[rustfmt::skip]
        let table: &[Case<'_>] = &[
            ("TC0 update chains on the snapshot's seqId", 10, &[(10, 15, Decision::Apply), (15, 16, Decision::Apply)]),
            ("TC1 keep-alive prevSeqId == seqId chains", 10, &[(10, 10, Decision::Apply), (10, 12, Decision::Apply)]),
            ("TC2 reset seqId < prevSeqId chains", 100, &[(100, 3, Decision::Apply), (3, 4, Decision::Apply)]),
            ("TC3 a lost update is a gap", 10, &[(10, 15, Decision::Apply), (16, 18, gap(15, 16))]),
            ("TC4 a reset that does not chain is a gap", 100, &[(99, 3, gap(100, 99))]),
            ("TC5 the last update repeated is a duplicate, dropped", 10, &[(10, 15, Decision::Apply), (10, 15, Decision::DropStale), (15, 16, Decision::Apply)]),
            ("TC5b an older update repeated is a gap", 10, &[(10, 15, Decision::Apply), (15, 16, Decision::Apply), (10, 15, gap(16, 10))]),
            ("TC6 keep-alive after a gap does not heal it", 10, &[(12, 12, gap(10, 12))]),
        ];
        for (name, snap, steps) in table {
            let mut s = live_at(*snap);
            for (prev, seq, want) in steps.iter() {
                assert_eq!(s.decide(&ids(*prev, *seq)), *want, "{name}");
            }
        }
    }

    /// TC7: before a snapshot, updates are buffered; the second one sets how new the REST
    /// snapshot must be, the `FETCH_AFTER`-th asks for it (an in-stream snapshot normally
    /// comes first), and only once.
    #[test]
    fn buffers_then_fetches_after_a_few_updates() {
        let mut s = OkxSync::new();
        let mut prev = 90;
        for k in 0..FETCH_AFTER + 1 {
            let d = delta(prev, 100 + 5 * k as u64);
            prev = 100 + 5 * k as i64;
            let want = k + 1 == FETCH_AFTER;
            assert_eq!(
                s.decide(&d.seq),
                Decision::Buffered {
                    fetch_snapshot: want
                },
                "TC7 update {k}"
            );
            s.buffer(d);
        }
        // TC8: a snapshot older than the second update's prevSeqId (100): refetch.
        assert_eq!(s.on_snapshot(Some(99)), SnapshotStep::Refetch, "TC8");
        // TC9: seqId 107 drops 100 and 105; 110 bridges (105 <= 107 < 110), 115.. chain.
        match s.on_snapshot(Some(107)) {
            SnapshotStep::Apply { replay, dropped } => {
                assert_eq!(dropped, 2, "TC9");
                assert_eq!(replay.len(), FETCH_AFTER - 1);
                for d in &replay {
                    assert_eq!(s.decide(&d.seq), Decision::Apply);
                }
            }
            other => panic!("TC9 {other:?}"),
        }
        let last = 100 + 5 * FETCH_AFTER as u64;
        assert_eq!(
            s.decide(&ids(last as i64, last + 1)),
            Decision::Apply,
            "TC9 then chains"
        );
        assert_eq!(
            s.decide(&ids(last as i64, last + 2)),
            Decision::Gap {
                expected: last + 1,
                received: last
            }
        );
    }

    /// An in-stream snapshot that arrives before the fetch was asked for takes the
    /// buffer: no REST request (a subscribe, while OKX sends snapshots).
    #[test]
    fn an_in_stream_snapshot_first_needs_no_rest_request() {
        let mut s = OkxSync::new();
        for (prev, id) in [(90, 100), (100, 105)] {
            let d = delta(prev, id);
            assert_eq!(
                s.decide(&d.seq),
                Decision::Buffered {
                    fetch_snapshot: false
                }
            );
            s.buffer(d);
        }
        assert!(matches!(
            s.on_snapshot(Some(103)),
            SnapshotStep::Apply { dropped: 1, .. }
        ));
    }

    /// TC10: a snapshot that cannot be bridged onto the buffer is refetched; TC11: a
    /// snapshot no newer than the live book is stale; TC12: data without ids applies after
    /// a snapshot and is ignored before one.
    #[test]
    fn bridging_refetch_stale_and_no_ids() {
        let mut s = OkxSync::new();
        for d in [delta(200, 205), delta(205, 210)] {
            let _ = s.decide(&d.seq);
            s.buffer(d);
        }
        s.min_snapshot = None; // say the snapshot passes the recorded bound
        assert_eq!(s.on_snapshot(Some(150)), SnapshotStep::Refetch, "TC10");
        assert!(matches!(
            s.on_snapshot(Some(207)),
            SnapshotStep::Apply { .. }
        ));
        assert_eq!(
            s.decide(&ids(205, 210)),
            Decision::Apply,
            "first kept bridges"
        );
        assert_eq!(s.on_snapshot(Some(209)), SnapshotStep::Stale, "TC11");

        let mut old = OkxSync::new();
        let none = SeqIds::default();
        assert_eq!(old.decide(&none), Decision::Ignore, "TC12");
        assert!(matches!(old.on_snapshot(None), SnapshotStep::Apply { .. }));
        assert_eq!(old.decide(&none), Decision::Apply);
        old.reset();
        assert_eq!(old.decide(&none), Decision::Ignore);
    }

    /// TC13: the stale first kept update after a REST snapshot is dropped, not a gap.
    #[test]
    fn bridging_drops_what_the_snapshot_covers() {
        let mut s = OkxSync::new();
        assert!(matches!(
            s.on_snapshot(Some(50)),
            SnapshotStep::Apply { .. }
        ));
        assert_eq!(s.decide(&ids(40, 45)), Decision::DropStale, "TC13");
        assert_eq!(s.decide(&ids(45, 55)), Decision::Apply);
    }
}
