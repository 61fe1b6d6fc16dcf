//! Every message between the engine's actors, in one place.

use super::book::BookActor;
use crate::book::BookView;
use crate::runtime::events::BookState;
use crate::types::{BookDelta, BookSnapshot, Exchange, Symbol, Timestamp};
use actix::prelude::*;

// ---- to book actors -------------------------------------------------------------------

/// A book message routed from the connection.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub enum BookInput {
    /// Snapshot in stream (Kraken, Poloniex) or partial depth.
    Snapshot(BookSnapshot),
    /// Delta.
    Delta(BookDelta),
}

/// The connection went down (the book is invalid) or came back up.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub enum ConnectionChange {
    /// Lost: reset the book.
    Down {
        /// Why.
        reason: String,
        /// The connection will not be retried (see `FeedStatus::Failed`).
        terminal: bool,
    },
    /// Open and subscribed.
    Up,
}

/// Kraken v2 checksum precisions from the `instrument` channel.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct SetPrecision {
    /// Price decimals.
    pub price: u32,
    /// Quantity decimals.
    pub qty: u32,
}

/// A REST snapshot waits for the venue's weight budget.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub(crate) struct SnapshotThrottled {
    pub(crate) retry_in: std::time::Duration,
}

/// A REST snapshot answer (or failure) for a Binance book.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub(crate) struct SnapshotFetched {
    pub(crate) result: Result<String, FetchError>,
    pub(crate) received_at: Timestamp,
}

/// Why a REST snapshot request failed.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// Connection, timeout or body error.
    Transport(String),
    /// The venue answered with an error status.
    Venue(crate::exchange::binance::RestError),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Transport(e) => f.write_str(e),
            FetchError::Venue(e) => e.fmt(f),
        }
    }
}

/// One-shot query of a book.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "BookQuery")]
pub struct QueryBook {
    /// Levels per side.
    pub depth: usize,
}

/// Answer to [`QueryBook`].
#[derive(Clone, Debug, PartialEq, Eq, MessageResponse)]
pub struct BookQuery {
    /// Venue.
    pub exchange: Exchange,
    /// Symbol.
    pub symbol: Symbol,
    /// Top levels (empty unless live).
    pub view: BookView,
    /// Sync state.
    pub state: BookState,
    /// The venue's id of the last applied message.
    pub last_update_id: Option<u64>,
}

/// Stop the actor.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Stop;

// ---- to connection actors -------------------------------------------------------------

/// Ask the venue for a fresh snapshot of one book (Kraken, Poloniex).
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Resubscribe {
    /// The book.
    pub symbol: Symbol,
}

/// Add books and trade streams to a connection.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AddInterest {
    /// Books with their actors.
    pub books: Vec<(Symbol, Addr<BookActor>)>,
    /// Trade streams.
    pub trades: Vec<Symbol>,
}

/// The supervisor's reconnect schedule for a failed connection: reconnect after `delay`
/// (the connection reports it in its `Disconnected` status and runs the timer).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Reconnect {
    /// Backoff delay before the attempt.
    pub delay: std::time::Duration,
    /// Which attempt it will be since the connection was last healthy (1 = first retry).
    pub attempt: u32,
}

/// Unsubscribe, close, and stop the connection and its books.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Shutdown;

// ---- to the supervisor ----------------------------------------------------------------

/// A connection failed; the supervisor schedules its reconnect.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct ConnectionFailed {
    /// Venue.
    pub exchange: Exchange,
    /// Which of the venue's connections.
    pub shard: usize,
    /// Why.
    pub reason: String,
    /// Retrying cannot help (untrusted certificate, unusable URL): no reconnect is scheduled.
    pub terminal: bool,
}

/// A connection is open and data flows; the supervisor resets its backoff.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct ConnectionHealthy {
    /// Venue.
    pub exchange: Exchange,
    /// Which of the venue's connections.
    pub shard: usize,
}

/// Connection → book: the venue does not list this symbol. The book stops for good.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Reject {
    /// The venue's code, if any.
    pub code: Option<i64>,
    /// The venue's message.
    pub message: String,
}

/// Book → connection: drop this symbol (the venue refused it); unsubscribe where needed and
/// leave it out of every later (re)subscription.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct DropSymbol {
    /// The refused symbol.
    pub symbol: Symbol,
}
