//! Venue adapters: pure, sans-IO parsing, subscription building and sync rules.
//!
//! Each venue module has the same four parts: `wire` (serde structs mirroring the exchange's
//! JSON), `parse` (one text frame plus its receive time → [`Message`]s or a [`ParseError`]),
//! `subscription` (subscribe/unsubscribe messages and URLs) and `sync` (a sequencer that
//! returns [`Decision`]s). [`BookTracker`] composes a sequencer with an
//! [`OrderBook`](crate::book::OrderBook); the actor layer and the replay tool both drive it.
//!
//! The venues are listed once, in the registry (`registry.rs`): each venue folder exports
//! a [`VenueSpec`] and the same set of functions, and every per-venue `match` is generated
//! there. The rest of the crate asks [`Exchange::spec`] or calls the dispatchers here and
//! in [`session`].

pub mod binance;
pub(crate) mod fields;
pub mod kraken;
mod memo;
pub mod okx;
pub mod outbox;
pub mod poloniex;
pub(crate) mod registry;
pub(crate) mod scan;
pub mod session;
pub mod spec;
mod tracker;

pub use memo::ChecksumMemo;
pub use spec::{
    ChecksumSpec, DepthError, DepthMeaning, DepthSpec, Depths, Resync, VenueSpec, WeightFn,
};

pub use tracker::{
    BookTracker, Outcome, ResyncReason, SyncState, TrackerConfig, DEFAULT_MAX_LEVELS,
};

use crate::types::num::NumError;
use crate::types::{
    BookDelta, Exchange, Level, MarketEvent, SeqIds, Symbol, SymbolError, Timestamp,
};
use std::fmt;

/// One thing a frame said: market data, or a control message about the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Normalized market data.
    Market(MarketEvent),
    /// Connection / subscription control.
    Control(Control),
}

/// Control messages, normalized across venues.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control {
    /// A subscription was confirmed (per symbol where the venue says which).
    Subscribed {
        /// Venue channel name (`book`, `book_lv2`, `depth@100ms`, ...).
        channel: String,
        /// The symbol, where the acknowledgement names one.
        symbol: Option<Symbol>,
    },
    /// A subscription was removed.
    Unsubscribed {
        /// Venue channel name.
        channel: String,
        /// The symbol, where the acknowledgement names one.
        symbol: Option<Symbol>,
    },
    /// A request (subscribe, property, ...) was acknowledged without detail.
    Ack {
        /// The request id echoed by the venue.
        id: Option<i64>,
    },
    /// A venue error reply (bad subscription, rate limit, ...).
    Error {
        /// The venue's numeric code, if any.
        code: Option<i64>,
        /// The venue's message.
        message: String,
        /// The request id it refers to, if any.
        id: Option<i64>,
    },
    /// The venue refused a symbol it does not list (Kraken `Currency pair not supported`,
    /// Poloniex `Invalid symbols value`). Terminal for that symbol: subscribing again would
    /// be refused again.
    Rejected {
        /// The refused symbol.
        symbol: Symbol,
        /// The venue's message.
        message: String,
    },
    /// Application-level heartbeat.
    Heartbeat,
    /// Reply to an application-level ping.
    Pong {
        /// The request id echoed, if any.
        id: Option<i64>,
    },
    /// The venue's system status (`online`, `maintenance`, ...).
    SystemStatus {
        /// True when the venue reports normal operation.
        online: bool,
        /// The status text.
        status: String,
    },
    /// The venue announced that it will close the connection (reconnect now).
    ServerShutdown,
    /// Instrument reference data (Kraken v2 `instrument` channel): the precisions that the
    /// book checksum is computed at.
    Instrument {
        /// Symbol.
        symbol: Symbol,
        /// Decimals of prices.
        price_precision: u32,
        /// Decimals of quantities.
        qty_precision: u32,
    },
}

/// Why a frame could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not valid JSON, or JSON of an unexpected shape (serde's message).
    Json(String),
    /// A price, size or id that is not an exact non-negative decimal.
    Number {
        /// The wire field.
        field: &'static str,
        /// What was wrong with it.
        error: NumError,
    },
    /// A symbol that cannot be normalized.
    Symbol(SymbolError),
    /// Valid JSON of a kind this adapter does not know.
    UnknownMessage,
    /// A required field is missing or has a value outside its domain.
    Field(&'static str),
    /// The parser panicked on this frame (a bug in the adapter): the frame is dropped like
    /// any bad frame and the connection carries on. The panic's message.
    Panicked(String),
}

/// Bytes of a bad frame a [`ParseError`] keeps: enough to diagnose it, small enough that a
/// peer sending megabytes of garbage cannot make the errors (and the status events that
/// carry them) hold megabytes each.
pub const FRAME_EXCERPT_BYTES: usize = 1024;

/// A frame that could not be parsed. The start of the frame is kept for diagnosis (at most
/// [`FRAME_EXCERPT_BYTES`]); parsing errors are never terminal for a connection (the next
/// frame may be fine).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseError {
    /// The venue whose adapter rejected it.
    pub exchange: Exchange,
    /// What was wrong.
    pub kind: ParseErrorKind,
    /// The offending frame as received, cut to its first [`FRAME_EXCERPT_BYTES`] bytes (at a
    /// character boundary) when longer.
    pub frame: Box<str>,
    /// The whole frame's length in bytes.
    pub frame_len: usize,
}

impl ParseError {
    /// Builds an error keeping an excerpt of the frame.
    pub fn new(exchange: Exchange, kind: ParseErrorKind, frame: &str) -> Self {
        let mut end = frame.len().min(FRAME_EXCERPT_BYTES);
        while !frame.is_char_boundary(end) {
            end -= 1;
        }
        ParseError {
            exchange,
            kind,
            frame: frame[..end].into(),
            frame_len: frame.len(),
        }
    }

    /// Parse errors concern one frame only; the connection and other books carry on.
    pub fn is_terminal(&self) -> bool {
        false
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.frame.chars().take(200).collect();
        let more = if self.frame_len > shown.len() {
            "…"
        } else {
            ""
        };
        match &self.kind {
            ParseErrorKind::Json(e) => {
                write!(f, "{}: bad JSON ({e}) in {shown:?}{more}", self.exchange)
            }
            ParseErrorKind::Number { field, error } => {
                write!(
                    f,
                    "{}: field `{field}`: {error} in {shown:?}{more}",
                    self.exchange
                )
            }
            ParseErrorKind::Symbol(e) => write!(f, "{}: {e} in {shown:?}{more}", self.exchange),
            ParseErrorKind::UnknownMessage => {
                write!(f, "{}: unknown message {shown:?}{more}", self.exchange)
            }
            ParseErrorKind::Field(name) => {
                write!(
                    f,
                    "{}: missing or invalid field `{name}` in {shown:?}{more}",
                    self.exchange
                )
            }
            ParseErrorKind::Panicked(why) => {
                write!(
                    f,
                    "{}: the parser panicked ({why}) on {shown:?}{more}",
                    self.exchange
                )
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses one text frame from `exchange` (dispatched by the registry's `match`, no trait
/// objects).
pub fn parse(
    exchange: Exchange,
    frame: &str,
    received_at: Timestamp,
) -> Result<Vec<Message>, ParseError> {
    registry::parse(exchange, frame, received_at)
}

/// The delta lane of [`parse`]: a book-update frame read into level storage the caller
/// reuses, for a caller that parses frame after frame on one thread (the replayer). `Some`
/// is exactly the one message [`parse`] returns for the frame, a
/// `Message::Market(MarketEvent::Delta(_))`, with its levels in `spare`'s vectors; hand the
/// delta back with [`LevelBuffers::recycle`] when done with it. `None`: ask [`parse`], which
/// decides (the frame is something else, or the venue has no lane: Binance spot and USD-M
/// diff depth have one).
pub fn parse_delta(
    exchange: Exchange,
    frame: &str,
    received_at: Timestamp,
    spare: &mut LevelBuffers,
) -> Option<BookDelta> {
    registry::parse_delta(exchange, frame, received_at, spare)
}

/// The `parse_delta` of a venue without a delta lane: every frame goes through `parse`.
pub(crate) fn no_delta_lane(
    _frame: &str,
    _received_at: Timestamp,
    _spare: &mut LevelBuffers,
) -> Option<BookDelta> {
    None
}

/// Level vectors reused from delta to delta by [`parse_delta`]. Vectors that grew past
/// [`LevelBuffers::KEEP_CAPACITY`] levels are not kept, so what it holds stays small.
#[derive(Debug, Default)]
pub struct LevelBuffers {
    pub(crate) bids: Vec<Level>,
    pub(crate) asks: Vec<Level>,
}

impl LevelBuffers {
    /// The largest vector (in levels) [`LevelBuffers::recycle`] keeps.
    pub const KEEP_CAPACITY: usize = 1024;

    /// Empty buffers (nothing allocated until a delta needs it).
    pub fn new() -> LevelBuffers {
        LevelBuffers::default()
    }

    /// Takes back the level vectors of a delta that [`parse_delta`] gave.
    pub fn recycle(&mut self, delta: BookDelta) {
        let keep = |v: Vec<Level>| {
            if v.capacity() <= Self::KEEP_CAPACITY {
                v
            } else {
                Vec::new()
            }
        };
        self.bids = keep(delta.bids);
        self.asks = keep(delta.asks);
    }

    /// The bid vector, emptied, with room for `typical` levels; the buffer holds none until
    /// [`LevelBuffers::recycle`] (a caller that never recycles allocates as a fresh `Vec`
    /// would).
    pub(crate) fn take_bids(&mut self, typical: usize) -> Vec<Level> {
        ready(&mut self.bids, typical)
    }

    /// The ask vector, as [`LevelBuffers::take_bids`].
    pub(crate) fn take_asks(&mut self, typical: usize) -> Vec<Level> {
        ready(&mut self.asks, typical)
    }
}

/// `v` taken out of its buffer, emptied, with room for `typical` levels.
fn ready(v: &mut Vec<Level>, typical: usize) -> Vec<Level> {
    let mut v = std::mem::take(v);
    v.clear();
    v.reserve(typical);
    v
}

/// Parses a REST order-book snapshot body of `symbol` on `exchange` (Binance
/// `GET /api/v3/depth`, OKX `GET /api/v5/market/books`), received at `received_at`.
/// Venues without REST snapshots answer [`ParseErrorKind::UnknownMessage`].
pub fn parse_snapshot(
    exchange: Exchange,
    body: &str,
    symbol: &Symbol,
    received_at: Timestamp,
) -> Result<crate::types::BookSnapshot, ParseError> {
    registry::parse_snapshot(exchange, body, symbol, received_at)
}

/// What a sequencer decided about one book message. The caller acts on it: apply to the
/// book, fetch a snapshot, or resync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// In sequence: apply it.
    Apply,
    /// Not synced yet; the message was buffered until the snapshot arrives. When
    /// `fetch_snapshot` is true the caller should request one now.
    Buffered {
        /// Request a snapshot now.
        fetch_snapshot: bool,
    },
    /// Not synced and nothing to buffer for (snapshot-in-stream venues): ignore it.
    Ignore,
    /// Already covered by the book: drop it.
    DropStale,
    /// Messages were lost between the book and this one: the book is invalid, resync.
    Gap {
        /// The id that should have come next.
        expected: u64,
        /// The id that came.
        received: u64,
    },
}

/// What a sequencer made of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotStep {
    /// Initialise the book from the snapshot, then run these buffered deltas (oldest first)
    /// like live ones.
    Apply {
        /// Buffered deltas newer than the snapshot.
        replay: Vec<BookDelta>,
        /// Buffered deltas already covered by the snapshot, dropped.
        dropped: usize,
    },
    /// The snapshot is too old for what was buffered: fetch another.
    Refetch,
    /// The snapshot is no newer than the book in sync (a REST answer that came after the
    /// stream's own snapshot): drop it.
    Stale,
}

/// The contract every venue sequencer keeps, so that the tracker drives them alike (the
/// registry dispatches to them by `match`). Crate-internal: users never name it.
pub(crate) trait Sequence {
    /// Decision for one book update with these ids.
    fn decide(&mut self, seq: &SeqIds) -> Decision;
    /// Takes a snapshot whose venue id is `last_id`.
    fn on_snapshot(&mut self, last_id: Option<u64>) -> SnapshotStep;
    /// Keeps a delta until the snapshot arrives; venues that do not buffer drop it.
    fn buffer(&mut self, _delta: BookDelta) {}
    /// Records that a snapshot request is under way (venues that fetch snapshots).
    fn mark_fetch_requested(&mut self) {}
    /// Back to waiting for a snapshot.
    fn reset(&mut self);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_keeps_a_bounded_excerpt_at_a_char_boundary() {
        let small = ParseError::new(Exchange::Kraken, ParseErrorKind::UnknownMessage, "{}");
        assert_eq!((&*small.frame, small.frame_len), ("{}", 2));
        // 'é' is two bytes: the cut falls inside one and moves back to its start.
        let big = format!("x{}", "é".repeat(FRAME_EXCERPT_BYTES));
        let e = ParseError::new(Exchange::Binance, ParseErrorKind::UnknownMessage, &big);
        assert_eq!(e.frame_len, big.len());
        assert_eq!(e.frame.len(), FRAME_EXCERPT_BYTES - 1);
        assert!(big.starts_with(&*e.frame));
        assert!(e.to_string().ends_with("…"), "{e}");
    }
}
