//! Every message between the engine's actors, in one place, and the typed handles that
//! carry them. No actor type is named here: an actor that sends to another holds the
//! receiver's handle, a bundle of [`Recipient`]s (as the actix chat example's server holds
//! `Recipient<Message>`, never the session type), so the actor files do not import each
//! other.

use crate::backoff::Backoff;
use crate::book::BookView;
use crate::exchange::session::Endpoint;
use crate::runtime::events::{BookState, FeedEvent, Subscription};
use crate::runtime::queue::Feed;
use crate::runtime::rest_budget::RestBudget;
use crate::runtime::EngineError;
use crate::types::{BookDelta, BookSnapshot, Exchange, Symbol, Timestamp};
use actix::dev::ToEnvelope;
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// Stop the receiver. One message for one meaning: a subscriber or book actor stops; a
/// connection unsubscribes, closes its socket and stops its books; the supervisor stops
/// everything (connections, books, subscribers, arbiters) and closes every feed. The reply
/// comes when the receiver is done.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Stop;

/// Settings a connection actor is started with.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionSettings {
    pub(crate) exchange: Exchange,
    /// Which of the venue's connections this is.
    pub(crate) shard: usize,
    pub(crate) endpoint: Endpoint,
    pub(crate) transport: crate::net::Transport,
    /// Book depth subscribed (Kraken).
    pub(crate) book_depth: u32,
    /// Largest WebSocket message accepted.
    pub(crate) max_message_size: usize,
    /// The venue's connection-attempt budget, shared by its connections (OKX).
    pub(crate) connect_gate: Option<Arc<crate::runtime::connect_gate::ConnectGate>>,
}

/// Settings a book actor is started with.
#[derive(Clone, Debug)]
pub struct BookSettings {
    /// Venue endpoint (REST snapshots for Binance).
    pub endpoint: Endpoint,
    /// Levels kept per side (Kraken: the subscribed depth).
    pub depth: Option<usize>,
    /// Snapshot retry schedule.
    pub backoff: Backoff,
    /// Levels asked for in a REST snapshot (Binance).
    pub snapshot_depth: u32,
    /// The venue's REST weight budget, shared by its books (Binance).
    pub rest_budget: Option<Arc<RestBudget>>,
    /// The TLS client configuration and host overrides.
    pub(crate) transport: crate::net::Transport,
    /// Deadline of one whole REST snapshot request, headers and body (Binance). A venue
    /// that drips the body is cut off, reported as `SnapshotFailed` and asked again.
    pub snapshot_timeout: Duration,
    /// Per-side level cap (`None`: [`crate::exchange::DEFAULT_MAX_LEVELS`]).
    pub max_levels: Option<usize>,
}

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
    pub books: Vec<(Symbol, BookHandle)>,
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

// ---- to the supervisor ----------------------------------------------------------------

/// Subscribe; the answer carries the feed.
#[derive(Message)]
#[rtype(result = "Result<Feed, EngineError>")]
pub struct Subscribe(pub Subscription);

/// Subscribe an actor; returns the subscription id.
#[derive(Message)]
#[rtype(result = "Result<u64, EngineError>")]
pub struct SubscribeRecipient(pub Subscription, pub Recipient<FeedEvent>);

/// Remove a subscription (its books and streams are released when no other feed wants
/// them).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unsubscribe(pub u64);

/// Query one book.
#[derive(Message)]
#[rtype(result = "Result<BookQuery, EngineError>")]
pub struct Query {
    /// Venue.
    pub exchange: Exchange,
    /// Symbol.
    pub symbol: Symbol,
    /// Levels per side.
    pub depth: usize,
}

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

// ---- feed lifetimes ---------------------------------------------------------------------

/// Supervisor → connection: these books and trade streams are wanted by no feed any more.
/// The connection unsubscribes them on the venue and forgets them (their book actors are
/// stopped by the supervisor).
#[derive(Message, Debug, Clone, Default)]
#[rtype(result = "()")]
pub struct RemoveInterest {
    /// Books to release.
    pub books: Vec<Symbol>,
    /// Trade streams to release.
    pub trades: Vec<Symbol>,
}

/// Supervisor → book: feeds were added to the registry. The book greets each feed it has
/// not served yet with its current state (a `Status` event, and the current view, snapshot
/// and best bid/ask where the book is live) before any later change reaches it.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct NewFeeds;

/// Subscriber → supervisor: the subscription ended (its `Feed` was dropped, its recipient
/// went away, or it was unsubscribed). The supervisor releases what no feed wants any more.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct SubscriptionEnded {
    /// The subscription id.
    pub id: u64,
}

// ---- handles ----------------------------------------------------------------------------

/// A message a handle `H` can carry: [`BookHandle::do_send`] and its siblings take any
/// message the receiving actor handles, so a sender writes `book.do_send(Stop)` as it would
/// with an `Addr`, without naming the actor.
pub trait Deliver<H>: Message + Send + Sized
where
    Self::Result: Send,
{
    /// Sends without waiting for the answer (see [`Recipient::do_send`]).
    fn deliver(self, to: &H);
    /// Sends and returns the answer's future (see [`Recipient::send`]).
    fn request(self, to: &H) -> RecipientRequest<Self>;
}

/// Defines a handle: a clonable bundle of one [`Recipient`] per message, built from the
/// address of any actor that handles them all.
macro_rules! handle {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident: $msg:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name {
            $($(#[$fmeta])* $field: Recipient<$msg>,)*
        }

        impl $name {
            /// The handle of the actor at `addr`.
            pub fn new<A>(addr: &Addr<A>) -> Self
            where
                A: Actor,
                $(A: Handler<$msg>, A::Context: ToEnvelope<A, $msg>,)*
            {
                $name { $($field: addr.clone().recipient(),)* }
            }

            /// Sends `msg` without waiting for the answer.
            pub fn do_send<M: Deliver<$name>>(&self, msg: M)
            where
                M::Result: Send,
            {
                msg.deliver(self)
            }

            /// Sends `msg`; the future resolves to the answer (an error if the actor is gone).
            #[allow(dead_code)] // generated for every handle; not every handle is awaited
            pub fn send<M: Deliver<$name>>(&self, msg: M) -> RecipientRequest<M>
            where
                M::Result: Send,
            {
                msg.request(self)
            }

            /// True while the actor can take messages.
            #[allow(dead_code)] // generated for every handle
            pub fn connected(&self) -> bool {
                true $(&& self.$field.connected())*
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        $(
            impl Deliver<$name> for $msg {
                fn deliver(self, to: &$name) {
                    to.$field.do_send(self)
                }
                fn request(self, to: &$name) -> RecipientRequest<Self> {
                    to.$field.send(self)
                }
            }
        )*
    };
}

handle! {
    /// What a book actor takes from its connection and from the supervisor.
    BookHandle {
        input: BookInput,
        change: ConnectionChange,
        precision: SetPrecision,
        reject: Reject,
        query: QueryBook,
        greet: NewFeeds,
        stop: Stop,
    }
}

handle! {
    /// What the supervisor sends a connection actor.
    ConnectionHandle {
        add: AddInterest,
        remove: RemoveInterest,
        reconnect: Reconnect,
        resubscribe: Resubscribe,
        drop_symbol: DropSymbol,
        stop: Stop,
    }
}

impl ConnectionHandle {
    /// The part of the handle a book actor may use.
    pub fn link(&self) -> ConnectionLink {
        ConnectionLink {
            resubscribe: self.resubscribe.clone(),
            drop_symbol: self.drop_symbol.clone(),
        }
    }
}

/// What a book actor sends its connection (see [`ConnectionHandle::link`]).
#[derive(Clone)]
pub struct ConnectionLink {
    resubscribe: Recipient<Resubscribe>,
    drop_symbol: Recipient<DropSymbol>,
}

impl ConnectionLink {
    /// Asks the venue for a fresh snapshot of `symbol` (Kraken, Poloniex).
    pub fn resubscribe(&self, symbol: Symbol) {
        self.resubscribe.do_send(Resubscribe { symbol });
    }

    /// Drops `symbol`, which the venue refused.
    pub fn drop_symbol(&self, symbol: Symbol) {
        self.drop_symbol.do_send(DropSymbol { symbol });
    }
}

impl std::fmt::Debug for ConnectionLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectionLink")
    }
}

handle! {
    /// What a connection actor reports to the supervisor.
    SupervisorLink {
        failed: ConnectionFailed,
        healthy: ConnectionHealthy,
    }
}
