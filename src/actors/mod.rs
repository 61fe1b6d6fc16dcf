//! The actor layer: thin I/O shells over the pure core. Internal: users hold the
//! [`Engine`](crate::Engine) handle (and a `Recipient` with
//! [`Engine::subscribe_recipient`](crate::Engine::subscribe_recipient)).
//!
//! * [`ConnectionActor`](connection::ConnectionActor): one per venue connection (awc WebSocket); parses frames with the
//!   venue module and routes book messages to book actors, trades to subscribers.
//! * [`BookActor`](book::BookActor): one per (exchange, symbol); owns a [`BookTracker`](crate::BookTracker),
//!   fetches Binance REST snapshots, asks its connection to resubscribe on Kraken/Poloniex,
//!   publishes views, deltas, best bid/ask and status.
//! * [`Supervisor`](supervisor::Supervisor): registry of connections, books and subscribers; reconnects failed
//!   connections with capped exponential backoff and jitter.
//! * [`SubscriberActor`](subscriber::SubscriberActor): one per subscription; flushes throttled views, forwards to a
//!   `Recipient`, and unregisters when the consumer goes away.
//!
//! A connection and its books share one arbiter (thread); connections are spread over a pool
//! of arbiters sized to the cores. Consumers are fed through bounded queues, not actor hops.

pub mod book;
pub mod connection;
pub mod messages;
pub(crate) mod net;
pub mod subscriber;
pub mod supervisor;
