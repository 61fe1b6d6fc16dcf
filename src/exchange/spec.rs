//! What a venue is, as data: every venue folder exports one [`VenueSpec`] per venue it
//! serves, and the rest of the crate asks the spec ([`Exchange::spec`]) instead of matching
//! on venues. The behaviour that cannot be data (parsing, subscription messages, the
//! sequencer) is dispatched by the registry (`src/exchange/registry.rs`).

use super::memo::ChecksumMemo;
use crate::book::OrderBook;
use crate::types::{Exchange, SymbolStyle};
use std::time::Duration;

/// Everything the engine, the actors, the replay tool and the symbol mapping need to know
/// about one venue.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct VenueSpec {
    /// The lower-case name used in output and configuration (`"binance"`).
    pub name: &'static str,
    /// Further names accepted by `Exchange::from_str` (case-insensitive).
    pub aliases: &'static [&'static str],
    /// Host names of the venue's market-data WebSocket endpoints (production, beta,
    /// testnet), by which a recorded capture is attributed to the venue. A name ending in
    /// `.` is a prefix (`fstream.` matches `fstream.binance.com`).
    pub hosts: &'static [&'static str],
    /// The production WebSocket URL.
    pub ws_url: &'static str,
    /// The production REST base, for venues that snapshot over REST.
    pub rest_url: Option<&'static str>,
    /// The most streams one connection may carry, where the venue sets a limit.
    pub stream_cap: Option<usize>,
    /// Streams one book takes on a connection (what [`VenueSpec::stream_cap`] counts).
    pub streams_per_book: usize,
    /// Streams one trade subscription takes on a connection.
    pub streams_per_trade: usize,
    /// The path a connection carrying books is routed to, appended to the endpoint's `ws`.
    pub book_route: &'static str,
    /// The path a connection carrying only trades is routed to. Where it differs from
    /// [`VenueSpec::book_route`], books and trades never share a connection.
    pub trade_route: &'static str,
    /// Messages a client may send per second on one connection, kept under the venue's
    /// limit.
    pub send_limit: usize,
    /// Connection attempts per second the venue allows per IP, where it sets a limit that
    /// marketfeed's connections could reach (OKX 3); every connection of the venue draws on
    /// one budget.
    pub connect_limit: Option<u32>,
    /// How often the client must send the venue's application-level ping (`None`: the
    /// server pings, answered with pong frames).
    pub keepalive: Option<Duration>,
    /// How long a connection may stay silent before it is considered dead.
    pub idle_timeout: Duration,
    /// How a book that lost sync gets a fresh snapshot.
    pub resync: Resync,
    /// The book depths a user may ask for (`EngineBuilder::book_depth`), and what the depth
    /// means on this venue.
    pub depth: DepthSpec,
    /// The book checksum the venue sends, if it sends one.
    pub checksum: Option<ChecksumSpec>,
    /// How the venue writes a symbol.
    pub symbol: SymbolStyle,
}

/// The weight of one REST snapshot of a given depth.
pub type WeightFn = fn(u32) -> u32;

/// How a venue's book is (re)synchronised.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Resync {
    /// The snapshot comes in the stream after a subscribe: resync by unsubscribing and
    /// subscribing the symbol again.
    Resubscribe,
    /// The snapshot is a REST request; diffs are buffered until it arrives. The venue's
    /// stream may also bring snapshots (OKX after a subscribe), which the sequencer takes;
    /// a book that lost sync is fetched again over REST while its stream goes on.
    RestSnapshot {
        /// `REQUEST_WEIGHT` of one snapshot of the given depth.
        weight: fn(u32) -> u32,
        /// The `REQUEST_WEIGHT` per minute marketfeed allows itself for snapshots.
        budget_per_minute: u32,
        /// The venue's REST rate-limit window: how long a 429 without `Retry-After` holds
        /// every snapshot of the venue (Binance a minute, OKX 2 s).
        throttle_window: std::time::Duration,
    },
}

impl Resync {
    /// True for venues that resync a book from a REST snapshot (they need a REST endpoint,
    /// a snapshot URL and a weight budget); the others resubscribe it.
    pub fn is_rest_snapshot(&self) -> bool {
        matches!(self, Resync::RestSnapshot { .. })
    }

    /// How long a 429 without `Retry-After` holds the venue's snapshots (a minute where
    /// the venue has no REST snapshots: never used).
    pub fn throttle_window(&self) -> std::time::Duration {
        match *self {
            Resync::RestSnapshot {
                throttle_window, ..
            } => throttle_window,
            Resync::Resubscribe => std::time::Duration::from_secs(60),
        }
    }

    /// The weight of one REST snapshot and the budget per minute, where the venue has them.
    pub fn rest_weight(&self) -> Option<(WeightFn, u32)> {
        match *self {
            Resync::RestSnapshot {
                weight,
                budget_per_minute,
                ..
            } => Some((weight, budget_per_minute)),
            Resync::Resubscribe => None,
        }
    }
}

/// What a book depth setting means on a venue, and which values it can serve.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct DepthSpec {
    /// What the depth chooses.
    pub meaning: DepthMeaning,
    /// The values the venue accepts.
    pub allowed: Depths,
    /// The depth used when none is set.
    pub default: u32,
}

/// What a venue's book depth setting chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DepthMeaning {
    /// The venue maintains (and checksums) this many levels per side; the local book keeps
    /// the same window.
    Window,
    /// Levels per side of each REST snapshot; the local book is unbounded (levels deeper
    /// than the snapshot are known only from the diffs seen since).
    Snapshot,
}

/// A set of book depths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depths {
    /// Exactly these values.
    OneOf(&'static [u32]),
    /// Any value in `min..=max`.
    Range {
        /// Smallest.
        min: u32,
        /// Largest.
        max: u32,
    },
}

impl Depths {
    /// True when `depth` is in the set.
    pub fn contains(&self, depth: u32) -> bool {
        match *self {
            Depths::OneOf(values) => values.contains(&depth),
            Depths::Range { min, max } => (min..=max).contains(&depth),
        }
    }
}

impl std::fmt::Display for Depths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Depths::OneOf(values) => {
                let list: Vec<String> = values.iter().map(u32::to_string).collect();
                write!(f, "one of {}", list.join(", "))
            }
            Depths::Range { min, max } => write!(f, "within {min}..={max}"),
        }
    }
}

/// A book checksum the venue sends with its book messages.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ChecksumSpec {
    /// Computes the venue's checksum of a book whose prices and quantities are written
    /// with the given decimals (`None` when a level cannot be written so).
    pub compute: fn(&OrderBook, u32, u32) -> Option<u32>,
    /// The same value as [`compute`](Self::compute), rendering only the levels whose text
    /// the memo does not hold from an earlier call (one memo per book; see
    /// [`ChecksumMemo`]).
    pub compute_memo: fn(&OrderBook, u32, u32, &mut ChecksumMemo) -> Option<u32>,
    /// Every book update carries one: an update without it is not applied.
    pub required: bool,
}

impl VenueSpec {
    /// Streams one book (`book == true`) or one trade subscription takes on a connection.
    pub fn streams_per(&self, book: bool) -> usize {
        if book {
            self.streams_per_book
        } else {
            self.streams_per_trade
        }
    }

    /// The path a connection's streams are routed to.
    pub fn route(&self, book: bool) -> &'static str {
        if book {
            self.book_route
        } else {
            self.trade_route
        }
    }

    /// True when `host` is one of the venue's market-data hosts ([`VenueSpec::hosts`]).
    pub fn serves_host(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| match h.strip_suffix('.') {
            Some(_) => host.starts_with(h),
            None => host == *h,
        })
    }
}

/// A requested book depth the venue cannot serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepthError {
    /// The venue.
    pub exchange: Exchange,
    /// The depth asked for.
    pub depth: u32,
    /// What the venue accepts.
    pub allowed: Depths,
}

impl std::fmt::Display for DepthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: book depth {} is not {}",
            self.exchange, self.depth, self.allowed
        )
    }
}

impl std::error::Error for DepthError {}

impl DepthSpec {
    /// Checks `depth` against the venue's allowed depths.
    pub fn check(&self, exchange: Exchange, depth: u32) -> Result<u32, DepthError> {
        if self.allowed.contains(depth) {
            Ok(depth)
        } else {
            Err(DepthError {
                exchange,
                depth,
                allowed: self.allowed,
            })
        }
    }

    /// The levels per side the local book keeps for a venue depth of `depth`.
    pub fn window(&self, depth: u32) -> Option<usize> {
        match self.meaning {
            DepthMeaning::Window => Some(depth as usize),
            DepthMeaning::Snapshot => None,
        }
    }
}
