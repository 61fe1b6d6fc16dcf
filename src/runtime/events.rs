//! What consumers receive, and how they say what they want.

use crate::book::{BookError, BookView};
use crate::exchange::ParseError;
use crate::types::{BookDelta, BookSnapshot, Exchange, Level, Symbol, Timestamp, Trade};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why a book was found invalid and waits for a fresh snapshot (carried by
/// [`BookState::Resyncing`] and [`FeedStatus::Resyncing`]). Its `Display` is the human text
/// the engine logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResyncReason {
    /// An update id is missing.
    Gap {
        /// The id that should have come next.
        expected: u64,
        /// The id that came.
        got: u64,
    },
    /// The venue's checksum disagrees with the book (Kraken).
    ChecksumMismatch {
        /// The venue's value.
        expected: u32,
        /// The book's.
        computed: u32,
    },
    /// An update without the checksum the venue always sends (Kraken): it cannot be
    /// verified, so it is not applied.
    MissingChecksum,
    /// The book refused a level: a price it cannot key exactly (too many decimals, too
    /// large, negative) or a negative quantity.
    RefusedLevel(BookError),
    /// After a message the best bid was at or above the best ask.
    Crossed {
        /// Best bid price.
        best_bid: rust_decimal::Decimal,
        /// Best ask price.
        best_ask: rust_decimal::Decimal,
    },
    /// The book's connection was lost or restarted; the reason says why.
    Reconnect(String),
    /// An internal fault (a contained panic) left the book untrustworthy.
    Internal(String),
}

impl fmt::Display for ResyncReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResyncReason::Gap { expected, got } => {
                write!(f, "sequence gap: expected {expected}, received {got}")
            }
            ResyncReason::ChecksumMismatch { expected, computed } => {
                write!(f, "checksum mismatch: venue {expected}, book {computed}")
            }
            ResyncReason::MissingChecksum => f.write_str("update without a checksum"),
            ResyncReason::RefusedLevel(e) => write!(f, "book error: {e}"),
            ResyncReason::Crossed { best_bid, best_ask } => {
                let e = BookError::Crossed {
                    best_bid: *best_bid,
                    best_ask: *best_ask,
                };
                write!(f, "book error: {e}")
            }
            ResyncReason::Reconnect(why) => write!(f, "connection lost: {why}"),
            ResyncReason::Internal(why) => write!(f, "internal error: {why}"),
        }
    }
}

impl From<&crate::exchange::ResyncReason> for ResyncReason {
    /// The tracker's reason as consumers see it (the tracker's own type stays inside the
    /// sequencer layer).
    fn from(r: &crate::exchange::ResyncReason) -> Self {
        use crate::exchange::ResyncReason as T;
        match r {
            T::Gap { expected, received } => ResyncReason::Gap {
                expected: *expected,
                got: *received,
            },
            T::ChecksumMismatch { expected, computed } => ResyncReason::ChecksumMismatch {
                expected: *expected,
                computed: *computed,
            },
            T::MissingChecksum => ResyncReason::MissingChecksum,
            T::Book(BookError::Crossed { best_bid, best_ask }) => ResyncReason::Crossed {
                best_bid: *best_bid,
                best_ask: *best_ask,
            },
            T::Book(e) => ResyncReason::RefusedLevel(e.clone()),
            T::Disconnected(why) => ResyncReason::Reconnect(why.clone()),
            T::Internal(why) => ResyncReason::Internal(why.clone()),
        }
    }
}

impl ResyncReason {
    /// Heap bytes the reason holds beyond its own size.
    fn heap_bytes(&self) -> usize {
        match self {
            ResyncReason::Reconnect(s) | ResyncReason::Internal(s) => s.len(),
            _ => 0,
        }
    }
}

/// A book's lifecycle as consumers see it: the one state type of a book, reported in
/// [`BookUpdate::state`], in book queries, and (as the matching [`FeedStatus`]) in status
/// events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookState {
    /// Waiting for the first snapshot.
    Syncing,
    /// In sync.
    Live,
    /// Invalid, waiting for a fresh snapshot; the reason says why.
    Resyncing(ResyncReason),
    /// The venue does not list the symbol; the book stays empty and is not retried.
    Rejected(String),
    /// Its connection cannot succeed as configured (e.g. an untrusted certificate); not
    /// retried until the market is subscribed again.
    Failed(String),
}

impl fmt::Display for BookState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BookState::Syncing => f.write_str("syncing"),
            BookState::Live => f.write_str("live"),
            BookState::Resyncing(r) => write!(f, "resyncing ({r})"),
            BookState::Rejected(r) => write!(f, "rejected ({r})"),
            BookState::Failed(r) => write!(f, "failed ({r})"),
        }
    }
}

/// A top-N view of one book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookUpdate {
    /// Venue.
    pub exchange: Exchange,
    /// Symbol.
    pub symbol: Symbol,
    /// Best levels, `depth` per side at most.
    pub view: BookView,
    /// The venue's id of the last applied message, where it has one.
    pub last_update_id: Option<u64>,
    /// Sync state.
    pub state: BookState,
    /// When the frame behind this view was received.
    pub received_at: Timestamp,
    /// When the book actor published this view (so `published_at - received_at` is the
    /// engine's own processing time, and the rest until you read it is queueing and wake-up).
    pub published_at: Timestamp,
}

/// Best bid and ask of one book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BestBidAsk {
    /// Venue.
    pub exchange: Exchange,
    /// Symbol.
    pub symbol: Symbol,
    /// Best bid.
    pub bid: Option<Level>,
    /// Best ask.
    pub ask: Option<Level>,
    /// The venue's id of the last applied message.
    pub last_update_id: Option<u64>,
    /// When the frame was received.
    pub received_at: Timestamp,
}

/// The state of a connection or a book.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedStatus {
    /// Opening the connection.
    Connecting,
    /// Connection open and subscribed.
    Connected,
    /// Book waiting for its first snapshot.
    Syncing,
    /// Book in sync.
    Live,
    /// Book invalid (gap, checksum, reconnect); a fresh snapshot is on its way.
    Resyncing {
        /// Why.
        reason: ResyncReason,
    },
    /// Connection lost (or a connect attempt failed); a reconnect is scheduled.
    Disconnected {
        /// Why.
        reason: String,
        /// Delay before the next attempt (capped exponential backoff with jitter).
        retry_in: Option<Duration>,
        /// The attempt that follows, counted since the connection was last healthy (1 =
        /// the first retry).
        attempt: u32,
    },
    /// The connection cannot succeed as configured (the server's certificate is not trusted
    /// for the host name, the URL is unusable): terminal, it is not retried. The reason says
    /// what failed and what to change.
    Failed {
        /// Why.
        reason: String,
    },
    /// A frame the venue sent could not be parsed (the connection carries on). The error
    /// keeps the frame's first [`FRAME_EXCERPT_BYTES`](crate::exchange::FRAME_EXCERPT_BYTES)
    /// and its length, never the whole frame.
    BadFrame(Arc<ParseError>),
    /// The venue reported an error (bad subscription, rate limit, ...).
    VenueError {
        /// The venue's code, if any.
        code: Option<i64>,
        /// The venue's message.
        message: String,
    },
    /// A REST snapshot waits for the venue's request-weight budget (spent for this minute,
    /// or a 429 / 418 from the venue); it is sent after `retry_in`.
    Throttled {
        /// How long until it is sent.
        retry_in: Duration,
    },
    /// A REST snapshot request failed; it is retried.
    SnapshotFailed {
        /// Why.
        reason: String,
    },
    /// The venue sent a WebSocket message larger than the engine's limit
    /// (`EngineBuilder::max_message_size`), in one frame or in continuation frames. It is
    /// not buffered: the connection is reset (a `Disconnected` follows) and resubscribed.
    MessageTooLarge {
        /// Bytes received of the message when it was cut off (at least `limit + 1`; the
        /// frame's declared length for a single frame, where known).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The venue does not list this symbol (Binance `-1121 Invalid symbol.`, Kraken
    /// `Currency pair not supported`, Poloniex `Invalid symbols value`). Terminal: the book
    /// is dropped from the connection and not retried; the other books carry on.
    Rejected {
        /// The venue's code, if any.
        code: Option<i64>,
        /// The venue's message.
        message: String,
    },
}

impl FeedStatus {
    /// True when nothing more will happen to this book or connection without a new request
    /// from the user ([`FeedStatus::Rejected`], [`FeedStatus::Failed`]). Every other status
    /// is followed by a retry, a resync or a reconnect that the engine runs by itself.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            FeedStatus::Rejected { .. } | FeedStatus::Failed { .. }
        )
    }
}

// The same accessors as the venue events' (`Trade::exchange()`, `Trade::symbol()`), so
// every event names its market one way.
macro_rules! market_accessors {
    ($($t:ty),*) => {$(
        impl $t {
            /// The venue.
            pub fn exchange(&self) -> Exchange {
                self.exchange
            }

            /// The normalized symbol.
            pub fn symbol(&self) -> &Symbol {
                &self.symbol
            }

            /// The market (venue and symbol).
            pub fn market(&self) -> crate::types::Market {
                crate::types::Market::new(self.exchange, self.symbol.clone())
            }
        }
    )*};
}

market_accessors!(BookUpdate, BestBidAsk);

/// A status change of a connection (`symbol: None`) or one book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEvent {
    /// Venue.
    pub exchange: Exchange,
    /// The book, or `None` for the connection.
    pub symbol: Option<Symbol>,
    /// What happened.
    pub status: FeedStatus,
    /// When (engine clock).
    pub at: Timestamp,
}

/// The kinds of stream a subscription can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Top-N book views (coalesced: a slow consumer gets the latest).
    Book,
    /// Every applied book change: a snapshot at (re)sync, then deltas (dropped with a loss
    /// count when the consumer is too slow).
    Deltas,
    /// Public trades (dropped with a loss count when the consumer is too slow).
    Trades,
    /// Best bid/ask changes (coalesced).
    BestBidAsk,
    /// Connection and book status changes (kept; only past 65,536 waiting events or 4 MiB
    /// do the oldest go).
    Status,
}

/// One item of a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedEvent {
    /// Top-N view.
    Book(Arc<BookUpdate>),
    /// Full book image at (re)sync, for delta consumers.
    Snapshot(Arc<BookSnapshot>),
    /// One applied book change.
    Delta(Arc<BookDelta>),
    /// A public trade.
    Trade(Arc<Trade>),
    /// Best bid/ask.
    BestBidAsk(Arc<BestBidAsk>),
    /// Status change.
    Status(Arc<StatusEvent>),
    /// The consumer was too slow: `count` items of `kind` were dropped since the last report.
    Lost {
        /// Which stream lost items.
        kind: StreamKind,
        /// How many.
        count: u64,
    },
}

impl FeedEvent {
    /// The stream kind of this event.
    pub fn kind(&self) -> StreamKind {
        match self {
            FeedEvent::Book(_) => StreamKind::Book,
            FeedEvent::Snapshot(_) | FeedEvent::Delta(_) => StreamKind::Deltas,
            FeedEvent::Trade(_) => StreamKind::Trades,
            FeedEvent::BestBidAsk(_) => StreamKind::BestBidAsk,
            FeedEvent::Status(_) | FeedEvent::Lost { .. } => StreamKind::Status,
        }
    }

    /// The venue and symbol the event is about, where it is about one.
    pub fn market(&self) -> Option<(Exchange, &Symbol)> {
        match self {
            FeedEvent::Book(b) => Some((b.exchange, &b.symbol)),
            FeedEvent::Snapshot(s) => Some((s.meta.exchange, &s.meta.symbol)),
            FeedEvent::Delta(d) => Some((d.meta.exchange, &d.meta.symbol)),
            FeedEvent::Trade(t) => Some((t.meta.exchange, &t.meta.symbol)),
            FeedEvent::BestBidAsk(b) => Some((b.exchange, &b.symbol)),
            FeedEvent::Status(s) => s.symbol.as_ref().map(|sym| (s.exchange, sym)),
            FeedEvent::Lost { .. } => None,
        }
    }
}

impl FeedStatus {
    /// Heap bytes the status holds beyond its own size (reason strings, a bad frame's
    /// excerpt).
    fn heap_bytes(&self) -> usize {
        match self {
            FeedStatus::Resyncing { reason } => reason.heap_bytes(),
            FeedStatus::Disconnected { reason, .. } | FeedStatus::SnapshotFailed { reason } => {
                reason.len()
            }
            FeedStatus::VenueError { message, .. } | FeedStatus::Rejected { message, .. } => {
                message.len()
            }
            FeedStatus::BadFrame(e) => std::mem::size_of::<ParseError>() + e.frame.len(),
            _ => 0,
        }
    }
}

impl FeedEvent {
    /// About how many bytes the event keeps alive (its payload and what it points to): what
    /// a feed counts against its byte limits ([`Subscription::max_bytes`]). An `Arc` shared
    /// by several feeds is counted by each.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let levels =
            |bids: &[Level], asks: &[Level]| (bids.len() + asks.len()) * size_of::<Level>();
        size_of::<FeedEvent>()
            + match self {
                FeedEvent::Book(b) => size_of::<BookUpdate>() + levels(&b.view.bids, &b.view.asks),
                FeedEvent::Snapshot(s) => size_of::<BookSnapshot>() + levels(&s.bids, &s.asks),
                FeedEvent::Delta(d) => size_of::<BookDelta>() + levels(&d.bids, &d.asks),
                FeedEvent::Trade(_) => size_of::<Trade>(),
                FeedEvent::BestBidAsk(_) => size_of::<BestBidAsk>(),
                FeedEvent::Status(s) => size_of::<StatusEvent>() + s.status.heap_bytes(),
                FeedEvent::Lost { .. } => 0,
            }
    }
}

impl actix::Message for FeedEvent {
    type Result = ();
}

/// Default [`Subscription::max_bytes`].
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

/// A predicate over events.
pub type Predicate = Arc<dyn Fn(&FeedEvent) -> bool + Send + Sync>;

/// What a consumer wants: markets × kinds, with options.
#[derive(Clone)]
pub struct Subscription {
    pub(crate) markets: Vec<(Exchange, Symbol)>,
    pub(crate) kinds: Vec<StreamKind>,
    pub(crate) depth: usize,
    pub(crate) throttle: Option<Duration>,
    pub(crate) capacity: usize,
    pub(crate) max_bytes: usize,
    pub(crate) filter: Option<Predicate>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("markets", &self.markets)
            .field("kinds", &self.kinds)
            .field("depth", &self.depth)
            .field("throttle", &self.throttle)
            .field("capacity", &self.capacity)
            .field("max_bytes", &self.max_bytes)
            .field("filter", &self.filter.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

impl Default for Subscription {
    fn default() -> Self {
        Subscription {
            markets: Vec::new(),
            kinds: Vec::new(),
            depth: 10,
            throttle: None,
            capacity: 4096,
            max_bytes: DEFAULT_MAX_BYTES,
            filter: None,
        }
    }
}

impl Subscription {
    /// An empty subscription (add markets and kinds).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a market.
    pub fn market(mut self, exchange: Exchange, symbol: Symbol) -> Self {
        if !self.markets.contains(&(exchange, symbol.clone())) {
            self.markets.push((exchange, symbol));
        }
        self
    }

    /// Adds markets: [`Market`](crate::Market)s (`"binance:BTC-USDT".parse()?`) or
    /// `(Exchange, Symbol)` pairs.
    pub fn markets<M: Into<crate::types::Market>>(
        mut self,
        markets: impl IntoIterator<Item = M>,
    ) -> Self {
        for m in markets {
            let m = m.into();
            self = self.market(m.exchange, m.symbol);
        }
        self
    }

    /// Adds a stream kind.
    pub fn kind(mut self, kind: StreamKind) -> Self {
        if !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
        self
    }

    /// Adds stream kinds.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = StreamKind>) -> Self {
        for k in kinds {
            self = self.kind(k);
        }
        self
    }

    /// Levels per side in [`StreamKind::Book`] views (default 10).
    pub fn depth(mut self, depth: usize) -> Self {
        self.depth = depth;
        self
    }

    /// Delivers book views at most once per `interval` per book (latest wins).
    pub fn throttle(mut self, interval: Duration) -> Self {
        self.throttle = Some(interval);
        self
    }

    /// Queue capacity for trades and deltas (default 4096) before items are dropped and
    /// counted as lost.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Bytes of trades, deltas and snapshots a feed may hold (default 64 MiB, counted with
    /// [`FeedEvent::approx_bytes`]) before further ones are dropped and counted as lost, like
    /// items beyond [`capacity`](Self::capacity). Status events have their own fixed bounds
    /// (65,536 events, 4 MiB; past them the oldest go).
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Keeps only events for which `f` returns true.
    pub fn filter(mut self, f: impl Fn(&FeedEvent) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Some(Arc::new(f));
        self
    }

    /// The markets.
    pub fn market_list(&self) -> &[(Exchange, Symbol)] {
        &self.markets
    }

    /// The kinds.
    pub fn kind_list(&self) -> &[StreamKind] {
        &self.kinds
    }
}
