//! One book's sync state machine: a venue sequencer plus an [`OrderBook`], with checksum
//! verification. Pure: the caller feeds events and acts on the [`Outcome`]s (fetch a snapshot,
//! resubscribe, publish the book).

use super::memo::ChecksumMemo;
use super::registry::Sequencer;
use super::spec::ChecksumSpec;
use super::{Decision, SnapshotStep};
use crate::book::{BookError, OrderBook};
use crate::types::{BookDelta, BookSnapshot, Checksum, Exchange, Symbol};
use std::borrow::Cow;
use std::fmt;

/// Settings of one tracked book.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Keep at most this many levels per side (Kraken: the subscribed depth; Poloniex: 20).
    /// `None` uses the venue default: its spec's default depth where the venue maintains a
    /// window of levels (Kraken 10, Poloniex 20), unlimited where it snapshots over REST.
    pub depth: Option<usize>,
    /// The decimals `(price, qty)` the venue's checksum renders levels at, where the venue
    /// announces them (Kraken v2's `instrument` channel). `None`: learnt from the fixed
    /// decimals of the first snapshot (Kraken v1), or not needed.
    pub checksum_precision: Option<(u32, u32)>,
    /// At most this many levels per side, whatever the venue sends (see
    /// [`OrderBook`]'s docs for the exact window it leaves). `None` is
    /// [`DEFAULT_MAX_LEVELS`]; `Some(usize::MAX)` lifts the cap.
    pub max_levels: Option<usize>,
}

/// The default per-side level cap: twice the deepest Binance REST snapshot (5000 levels).
pub const DEFAULT_MAX_LEVELS: usize = 10_000;

/// Where a book is in its life cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncState {
    /// Waiting for the first snapshot.
    Syncing,
    /// In sync: every message so far chained and verified.
    Live,
    /// The book was found invalid and is waiting for a fresh snapshot.
    Resyncing(ResyncReason),
}

/// Why a book had to be resynced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResyncReason {
    /// An update id is missing.
    Gap {
        /// The id that should have come next.
        expected: u64,
        /// The id that came.
        received: u64,
    },
    /// The venue's checksum disagrees with the book.
    ChecksumMismatch {
        /// The venue's value.
        expected: u32,
        /// Ours.
        computed: u32,
    },
    /// The book could not take the message (crossed, unrepresentable price).
    Book(BookError),
    /// The connection was lost or restarted.
    Disconnected(String),
    /// An internal fault (a contained panic) left the book untrustworthy.
    Internal(String),
    /// A Kraken update without a checksum: it cannot be verified, so it is not applied.
    MissingChecksum,
}

impl fmt::Display for ResyncReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResyncReason::Gap { expected, received } => {
                write!(f, "sequence gap: expected {expected}, received {received}")
            }
            ResyncReason::ChecksumMismatch { expected, computed } => {
                write!(f, "checksum mismatch: venue {expected}, book {computed}")
            }
            ResyncReason::Book(e) => write!(f, "book error: {e}"),
            ResyncReason::Disconnected(why) => write!(f, "connection lost: {why}"),
            ResyncReason::Internal(why) => write!(f, "internal error: {why}"),
            ResyncReason::MissingChecksum => f.write_str("update without a checksum"),
        }
    }
}

/// What happened when the tracker took an event. One event can produce several outcomes
/// (a snapshot that releases buffered deltas yields one `Applied` per message).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The book changed; `update_id` is the venue's id for it, where it has one.
    Applied {
        /// Venue update id (Binance `u` / `lastUpdateId`, Poloniex `id`).
        update_id: Option<u64>,
        /// True for a snapshot.
        snapshot: bool,
    },
    /// Buffered until the snapshot arrives (Binance).
    Buffered,
    /// Fetch a REST snapshot now (Binance): first sync, refetch, or resync.
    FetchSnapshot,
    /// Dropped: the book already covers it.
    Stale,
    /// Ignored: no snapshot yet on a venue that sends snapshots in-stream.
    Ignored,
    /// The venue's checksum matched the book.
    ChecksumOk,
    /// The book is invalid. Binance and OKX: a `FetchSnapshot` follows (the stream goes on
    /// and is bridged onto the REST snapshot); Kraken and Poloniex: the caller must
    /// resubscribe the symbol to get a fresh snapshot.
    Resync(ResyncReason),
}

/// The (price, qty) decimals of fixed-decimal levels (Kraken v1), if there is any level.
fn fixed_decimals<'a>(
    levels: impl Iterator<Item = &'a crate::types::Level> + Clone,
) -> Option<(u32, u32)> {
    let p = levels.clone().map(|l| l.price.scale()).max();
    let q = levels.map(|l| l.qty.scale()).max();
    p.zip(q)
}

/// Tracks one (exchange, symbol) book: sequencing, application, checksums.
#[derive(Clone, Debug)]
pub struct BookTracker {
    exchange: Exchange,
    symbol: Symbol,
    book: OrderBook,
    seq: Sequencer,
    /// The venue's checksum, where it sends one (from its spec).
    checksum: Option<ChecksumSpec>,
    /// The venue resyncs by REST snapshot (from its spec): after a failure the caller is
    /// told to fetch one. Venues that resubscribe are told to resubscribe instead.
    rest_snapshot: bool,
    state: SyncState,
    last_update_id: Option<u64>,
    /// Checksum formatting `(price decimals, qty decimals)`.
    checksum_format: Option<(u32, u32)>,
    fixed_format: bool,
    /// The texts of the levels of the last checksum, reused where they did not change.
    checksum_memo: ChecksumMemo,
}

impl BookTracker {
    /// A tracker for `symbol` on `exchange`.
    pub fn new(exchange: Exchange, symbol: Symbol, config: TrackerConfig) -> Self {
        let spec = exchange.spec();
        let default_depth = spec.depth.window(spec.depth.default);
        let mut book = match config.depth.or(default_depth) {
            Some(d) => OrderBook::with_depth(d),
            None => OrderBook::new(),
        };
        let cap = config.max_levels.unwrap_or(DEFAULT_MAX_LEVELS);
        book.set_level_cap((cap != usize::MAX).then_some(cap));
        BookTracker {
            exchange,
            symbol,
            book,
            seq: Sequencer::new(exchange),
            checksum: spec.checksum,
            rest_snapshot: spec.resync.is_rest_snapshot(),
            state: SyncState::Syncing,
            last_update_id: None,
            checksum_format: config.checksum_precision,
            fixed_format: config.checksum_precision.is_some(),
            checksum_memo: ChecksumMemo::new(),
        }
    }

    /// The venue.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// The symbol.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// The book (only meaningful while [`SyncState::Live`]).
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The sync state.
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    /// The venue's id of the last applied message, where it has one.
    pub fn last_update_id(&self) -> Option<u64> {
        self.last_update_id
    }

    /// Sets the decimals `(price, qty)` the venue's checksum renders levels at (Kraken v2
    /// announces them on its `instrument` channel).
    pub fn set_checksum_precision(&mut self, price_precision: u32, qty_precision: u32) {
        self.checksum_format = Some((price_precision, qty_precision));
        self.fixed_format = true;
    }

    /// Marks the book invalid and starts over (after a reconnect, or on the caller's
    /// decision). Binance asks for a snapshot on the next delta.
    pub fn reset(&mut self, reason: ResyncReason) {
        self.book.clear();
        self.last_update_id = None;
        self.seq.reset();
        self.state = SyncState::Resyncing(reason);
    }

    /// Takes a snapshot (REST for Binance, in-stream for Kraken and Poloniex).
    pub fn on_snapshot(&mut self, snap: BookSnapshot, out: &mut Vec<Outcome>) {
        let replay = match self.seq.on_snapshot(snap.seq.last_id) {
            SnapshotStep::Apply { replay, dropped } => {
                out.extend(std::iter::repeat_n(Outcome::Stale, dropped));
                replay
            }
            SnapshotStep::Refetch => {
                out.push(Outcome::FetchSnapshot);
                return;
            }
            SnapshotStep::Stale => {
                out.push(Outcome::Stale);
                return;
            }
        };
        if let Err(e) = self.book.apply_snapshot(&snap.bids, &snap.asks) {
            self.fail(ResyncReason::Book(e), out);
            return;
        }
        if self.checksum.is_some() && !self.fixed_format {
            // Kraken v1 sends fixed decimals; the snapshot tells us how many.
            self.checksum_format = fixed_decimals(snap.bids.iter().chain(&snap.asks));
        }
        self.last_update_id = snap.seq.last_id;
        self.state = SyncState::Live;
        out.push(Outcome::Applied {
            update_id: snap.seq.last_id,
            snapshot: true,
        });
        if !self.verify_checksum(snap.checksum, out) {
            return;
        }
        let mut replay = replay.into_iter();
        for delta in replay.by_ref() {
            self.on_delta(delta, out);
            if !matches!(self.state, SyncState::Live) {
                break;
            }
        }
        // A gap inside the buffer: what is left is the start of the next sync.
        replay.for_each(|d| self.seq.buffer(d));
    }

    /// Takes an incremental update.
    pub fn on_delta(&mut self, delta: BookDelta, out: &mut Vec<Outcome>) {
        self.take_delta(Cow::Owned(delta), out);
    }

    /// [`BookTracker::on_delta`] on a delta the caller keeps (the replayer's reused
    /// [`LevelBuffers`](crate::exchange::LevelBuffers)): the same outcomes; a copy is made
    /// only where the tracker keeps the delta (buffered until a snapshot, or after a gap).
    pub fn on_delta_ref(&mut self, delta: &BookDelta, out: &mut Vec<Outcome>) {
        self.take_delta(Cow::Borrowed(delta), out);
    }

    fn take_delta(&mut self, delta: Cow<'_, BookDelta>, out: &mut Vec<Outcome>) {
        let decision = self.seq.decide(&delta.seq);
        match decision {
            Decision::Apply => {}
            Decision::Buffered { fetch_snapshot } => {
                self.seq.buffer(delta.into_owned());
                out.push(Outcome::Buffered);
                if fetch_snapshot {
                    out.push(Outcome::FetchSnapshot);
                }
                return;
            }
            Decision::Ignore => {
                out.push(Outcome::Ignored);
                return;
            }
            Decision::DropStale => {
                out.push(Outcome::Stale);
                return;
            }
            Decision::Gap { expected, received } => {
                self.fail(ResyncReason::Gap { expected, received }, out);
                // The delta after the gap is valid data: it starts the new buffer (venues
                // that buffer).
                self.seq.buffer(delta.into_owned());
                return;
            }
        }
        if let Some(spec) = self.checksum {
            if spec.required && delta.checksum.is_none() {
                // Checksums are always on: never change a Kraken book unverified.
                self.fail(ResyncReason::MissingChecksum, out);
                return;
            }
            if self.checksum_format.is_none() && !self.fixed_format {
                // An empty v1 snapshot taught no decimals; the first levels do.
                self.checksum_format = fixed_decimals(delta.bids.iter().chain(&delta.asks));
            }
        }
        if let Err(e) = self.book.apply_delta(&delta.bids, &delta.asks) {
            self.fail(ResyncReason::Book(e), out);
            return;
        }
        if delta.seq.last_id.is_some() {
            self.last_update_id = delta.seq.last_id;
        }
        out.push(Outcome::Applied {
            update_id: delta.seq.last_id,
            snapshot: false,
        });
        self.verify_checksum(delta.checksum, out);
    }

    /// Invalidates the book on the caller's finding (e.g. a contained panic): resets it and
    /// reports [`Outcome::Resync`], followed by [`Outcome::FetchSnapshot`] on venues that
    /// snapshot over REST (Binance).
    pub fn invalidate(&mut self, reason: ResyncReason, out: &mut Vec<Outcome>) {
        self.fail(reason, out);
    }

    fn fail(&mut self, reason: ResyncReason, out: &mut Vec<Outcome>) {
        self.reset(reason.clone());
        out.push(Outcome::Resync(reason));
        if self.rest_snapshot {
            self.seq.mark_fetch_requested();
            out.push(Outcome::FetchSnapshot);
        }
    }

    /// Returns false if the book was invalidated.
    fn verify_checksum(&mut self, checksum: Option<Checksum>, out: &mut Vec<Outcome>) -> bool {
        let (Some(sum), Some(spec)) = (checksum, self.checksum) else {
            return true;
        };
        // No format learned yet means no level seen yet: the book is empty, and the
        // checksum of an empty book does not depend on the format.
        let (pd, qd) = self.checksum_format.unwrap_or((0, 0));
        match (spec.compute_memo)(&self.book, pd, qd, &mut self.checksum_memo) {
            Some(computed) if computed == sum.value() => {
                out.push(Outcome::ChecksumOk);
                true
            }
            computed => {
                let reason = ResyncReason::ChecksumMismatch {
                    expected: sum.value(),
                    computed: computed.unwrap_or(0),
                };
                self.fail(reason, out);
                false
            }
        }
    }
}
