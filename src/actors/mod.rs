//! The actor layer: thin I/O shells over the pure core. Internal: users hold the
//! [`Engine`](crate::Engine) handle (and a `Recipient` with
//! [`Engine::subscribe_recipient`](crate::Engine::subscribe_recipient)).
//!
//! * [`ConnectionActor`](connection::ConnectionActor): one per venue connection (awc WebSocket); parses frames with the
//!   venue module and routes book messages to book actors, trades to subscribers.
//! * [`BookActor`](book::BookActor): one per (exchange, symbol); owns a [`BookTracker`](crate::BookTracker),
//!   fetches Binance REST snapshots through its snapshot fetcher (`snapshot.rs`), asks its
//!   connection to resubscribe on Kraken/Poloniex, publishes views, deltas, best bid/ask and
//!   status, and greets a feed that arrives while it is live with its current state.
//! * [`Supervisor`](supervisor::Supervisor): registry of connections, books and subscribers; reconnects failed
//!   connections with capped exponential backoff and jitter; releases the books and streams
//!   no feed wants any more (and closes a connection left with none).
//! * [`SubscriberActor`](subscriber::SubscriberActor): one per subscription; flushes throttled views, forwards to a
//!   `Recipient`, and unregisters when the consumer goes away.
//!
//! No actor file imports another actor's type: every message lives in [`messages`], and an
//! actor holds the typed handle (a bundle of `Recipient`s) of each actor it sends to. The
//! actors are wired here, by the `start_*` functions the supervisor calls.
//!
//! A connection and its books share one arbiter (thread); connections are spread over a pool
//! of arbiters sized to the cores. Consumers are fed through bounded queues, not actor hops.

pub mod book;
pub mod connection;
pub mod messages;
pub(crate) mod net;
mod snapshot;
pub mod subscriber;
pub mod supervisor;

pub use book::BookActor;
pub use connection::ConnectionActor;
pub use subscriber::SubscriberActor;

use crate::runtime::events::FeedEvent;
use crate::runtime::hub::{Entry, Hub};
use crate::types::{Exchange, Symbol};
use actix::prelude::*;
use messages::{
    BookHandle, BookSettings, ConnectionHandle, ConnectionLink, ConnectionSettings, Stop,
    SubscriptionEnded, SupervisorLink,
};
use std::sync::Arc;
use std::time::Duration;

/// Starts a connection actor on `arbiter`.
pub(crate) fn start_connection(
    arbiter: &ArbiterHandle,
    settings: ConnectionSettings,
    hub: Arc<Hub>,
    supervisor: SupervisorLink,
) -> ConnectionHandle {
    let addr = ConnectionActor::start_in_arbiter(arbiter, move |_| {
        let s = settings;
        ConnectionActor::new(
            s.exchange,
            s.shard,
            s.endpoint,
            s.transport,
            s.book_depth,
            hub,
            supervisor,
        )
        .with_max_message_size(s.max_message_size)
        .with_connect_gate(s.connect_gate)
    });
    ConnectionHandle::new(&addr)
}

/// Starts a book actor on `arbiter` (its connection's).
pub(crate) fn start_book(
    arbiter: &ArbiterHandle,
    exchange: Exchange,
    symbol: Symbol,
    settings: BookSettings,
    connection: ConnectionLink,
    hub: Arc<Hub>,
) -> BookHandle {
    let addr = BookActor::start_in_arbiter(arbiter, move |_| {
        BookActor::new(exchange, symbol, settings, connection, hub)
    });
    BookHandle::new(&addr)
}

/// Starts the subscriber actor of one subscription; the answer stops it.
pub(crate) fn start_subscriber(
    entry: Arc<Entry>,
    hub: Arc<Hub>,
    throttle: Option<Duration>,
    recipient: Option<Recipient<FeedEvent>>,
    ended: Recipient<SubscriptionEnded>,
) -> Recipient<Stop> {
    SubscriberActor::new(entry, hub, throttle, recipient, ended)
        .start()
        .recipient()
}
