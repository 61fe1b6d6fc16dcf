//! The supervisor: registry of connections, books and subscribers. It creates connections
//! and books on demand (spreading connections over a pool of arbiters), reconnects failed
//! connections with capped exponential backoff and jitter, and routes subscriptions. It
//! also keeps what each subscription asked for, so that a book or trade stream no feed wants
//! any more is released: unsubscribed on its connection, its book actor stopped, and a
//! connection left with no streams closed.

use super::messages::*;
use super::{start_book, start_connection, start_subscriber};
use crate::backoff::{unit_jitter, Backoff, SplitMix64};
use crate::exchange::session::{self, Endpoint};
use crate::net::Transport;
use crate::runtime::events::{FeedEvent, StreamKind, Subscription};
use crate::runtime::hub::{Entry, Hub};
use crate::runtime::queue::{Feed, Queue};

pub use super::messages::{Query, Subscribe, SubscribeRecipient, Unsubscribe};
use crate::runtime::connect_gate::ConnectGate;
use crate::runtime::rest_budget::RestBudget;
use crate::runtime::EngineError;
use crate::types::{Exchange, Symbol};
use actix::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// Engine-wide settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Endpoint per venue.
    pub endpoints: HashMap<Exchange, Endpoint>,
    /// Book depth per venue, checked against its spec (`EngineBuilder::book_depth`);
    /// venues not in it use their spec's default ([`EngineConfig::book_depth`]).
    pub book_depths: HashMap<Exchange, u32>,
    /// Reconnect and snapshot-retry schedule.
    pub backoff: Backoff,
    /// Arbiters (threads) for connections and books.
    pub arbiters: usize,
    /// Seed of the jitter generator.
    pub seed: u64,
    /// Lowers the venue's streams-per-connection cap (Binance 1024); more symbols open more
    /// connections.
    pub max_streams_per_connection: Option<usize>,
    /// Extra trust anchors and host overrides (`EngineBuilder::root_certificate`,
    /// `EngineBuilder::resolve`).
    pub net: crate::net::NetOptions,
    /// Deadline of a whole REST snapshot request (headers and body).
    pub snapshot_timeout: std::time::Duration,
    /// Largest WebSocket message accepted, one frame or assembled from continuations.
    pub max_message_size: usize,
    /// Per-side level cap of every book (`None`: [`crate::exchange::DEFAULT_MAX_LEVELS`]).
    pub max_book_levels: Option<usize>,
}

impl EngineConfig {
    /// The book depth used on `exchange`: the one set, else the venue's default. What it
    /// means is the venue's (`VenueSpec::depth`): the subscribed window (Kraken), or the
    /// levels of each REST snapshot (Binance).
    pub fn book_depth(&self, exchange: Exchange) -> u32 {
        self.book_depths
            .get(&exchange)
            .copied()
            .unwrap_or(exchange.spec().depth.default)
    }
}

struct Conn {
    handle: ConnectionHandle,
    /// Which of the venue's connections (stable while it lives; never reused).
    shard: usize,
    /// The venue path its streams are routed to (`session::route`).
    route: &'static str,
    arbiter: usize,
    books: HashMap<Symbol, BookHandle>,
    trades: Vec<Symbol>,
    /// Streams it carries, against the venue's cap.
    streams: usize,
    attempts: u32,
}

/// One live subscription: how to stop it and the books and trade streams it keeps alive.
struct Sub {
    stop: Recipient<Stop>,
    books: Vec<(Exchange, Symbol)>,
    trades: Vec<(Exchange, Symbol)>,
}

/// The supervisor actor.
pub struct Supervisor {
    config: EngineConfig,
    hub: Arc<Hub>,
    arbiters: Vec<Arbiter>,
    next_arbiter: usize,
    /// Each venue's connections ("shards"); more than one only where the venue caps streams
    /// per connection and the symbols need more.
    connections: HashMap<Exchange, Vec<Conn>>,
    subscribers: HashMap<u64, Sub>,
    next_sub: u64,
    /// Next shard id per venue.
    next_shard: HashMap<Exchange, usize>,
    rng: SplitMix64,
    stopped: bool,
    /// One REST weight budget per venue, shared by its books (the weight is per IP).
    rest_budgets: HashMap<Exchange, Arc<RestBudget>>,
    /// One connection-attempt budget per venue that limits them (per IP).
    connect_gates: HashMap<Exchange, Arc<ConnectGate>>,
    /// The one TLS client configuration, built at start.
    transport: Transport,
}

impl Supervisor {
    pub(crate) fn new(config: EngineConfig, transport: Transport, hub: Arc<Hub>) -> Self {
        let rng = SplitMix64::new(config.seed);
        Supervisor {
            config,
            hub,
            arbiters: Vec::new(),
            next_arbiter: 0,
            connections: HashMap::new(),
            subscribers: HashMap::new(),
            next_sub: 0,
            next_shard: HashMap::new(),
            rng,
            stopped: false,
            rest_budgets: HashMap::new(),
            connect_gates: HashMap::new(),
            transport,
        }
    }

    fn arbiter(&mut self) -> usize {
        if self.arbiters.len() < self.config.arbiters.max(1) {
            self.arbiters.push(Arbiter::new());
            return self.arbiters.len() - 1;
        }
        let i = self.next_arbiter % self.arbiters.len();
        self.next_arbiter += 1;
        i
    }

    fn endpoint(&self, exchange: Exchange) -> Endpoint {
        self.config
            .endpoints
            .get(&exchange)
            .cloned()
            .unwrap_or_else(|| Endpoint::production(exchange))
    }

    /// Opens another connection for `exchange` on `route` (its books and trades come later).
    fn open_connection(
        &mut self,
        exchange: Exchange,
        route: &'static str,
        ctx: &mut Context<Self>,
    ) -> usize {
        let endpoint = self.endpoint(exchange);
        let i = self.arbiter();
        let next = self.next_shard.entry(exchange).or_default();
        let shard = *next;
        *next += 1;
        let connect_gate = exchange.spec().connect_limit.map(|per_second| {
            self.connect_gates
                .entry(exchange)
                .or_insert_with(|| Arc::new(ConnectGate::new(per_second)))
                .clone()
        });
        let settings = ConnectionSettings {
            exchange,
            shard,
            endpoint,
            transport: self.transport.clone(),
            book_depth: self.config.book_depth(exchange),
            max_message_size: self.config.max_message_size,
            connect_gate,
        };
        let me = SupervisorLink::new(&ctx.address());
        let handle = start_connection(&self.arbiters[i].handle(), settings, self.hub.clone(), me);
        let conns = self.connections.entry(exchange).or_default();
        let index = conns.len();
        conns.push(Conn {
            handle,
            shard,
            route,
            arbiter: i,
            books: HashMap::new(),
            trades: Vec::new(),
            streams: 0,
            attempts: 0,
        });
        index
    }

    /// The connection (its index in the venue's list) that takes a new book (`book`) or
    /// trade stream of `symbol`: the one already carrying the symbol's other half if it has
    /// room, else the first with room, else a new one.
    fn place(
        &mut self,
        exchange: Exchange,
        symbol: &Symbol,
        book: bool,
        ctx: &mut Context<Self>,
    ) -> usize {
        let cap = match (
            session::stream_cap(exchange),
            self.config.max_streams_per_connection,
        ) {
            (Some(venue), Some(ours)) => Some(venue.min(ours)),
            (venue, _) => venue,
        };
        let need = session::streams_per(exchange, book);
        let route = session::route(exchange, book);
        let conns = self
            .connections
            .get(&exchange)
            .map_or(&[][..], Vec::as_slice);
        let fits = |c: &Conn| c.route == route && cap.is_none_or(|cap| c.streams + need <= cap);
        let sibling = conns.iter().position(|c| {
            fits(c)
                && if book {
                    c.trades.contains(symbol)
                } else {
                    c.books.contains_key(symbol)
                }
        });
        match sibling.or_else(|| conns.iter().position(fits)) {
            Some(i) => i,
            None => self.open_connection(exchange, route, ctx),
        }
    }

    /// Makes sure the books and trade streams exist, spread over as many connections as the
    /// venue's stream cap needs.
    fn ensure(
        &mut self,
        exchange: Exchange,
        books: Vec<Symbol>,
        trades: Vec<Symbol>,
        ctx: &mut Context<Self>,
    ) {
        let endpoint = self.endpoint(exchange);
        // Which connection takes what: (books, trades) per shard.
        let mut added: HashMap<usize, (Vec<Symbol>, Vec<Symbol>)> = HashMap::new();
        for symbol in books {
            let have = self
                .connections
                .get(&exchange)
                .is_some_and(|cs| cs.iter().any(|c| c.books.contains_key(&symbol)));
            if have || added.values().any(|(b, _)| b.contains(&symbol)) {
                continue;
            }
            let shard = self.place(exchange, &symbol, true, ctx);
            let conn = &mut self.connections.get_mut(&exchange).expect("opened")[shard];
            conn.streams += session::streams_per(exchange, true);
            added.entry(shard).or_default().0.push(symbol);
        }
        for symbol in trades {
            let have = self
                .connections
                .get(&exchange)
                .is_some_and(|cs| cs.iter().any(|c| c.trades.contains(&symbol)));
            if have {
                continue;
            }
            let shard = self.place(exchange, &symbol, false, ctx);
            let conn = &mut self.connections.get_mut(&exchange).expect("opened")[shard];
            conn.streams += session::streams_per(exchange, false);
            conn.trades.push(symbol.clone());
            added.entry(shard).or_default().1.push(symbol);
        }
        let snapshot_depth = self.config.book_depth(exchange);
        let depth = exchange.spec().depth.window(snapshot_depth);
        let backoff = self.config.backoff;
        let snapshot_timeout = self.config.snapshot_timeout;
        let rest_budget = session::snapshot_weight_budget(exchange).map(|w| {
            self.rest_budgets
                .entry(exchange)
                .or_insert_with(|| Arc::new(RestBudget::new(w)))
                .clone()
        });
        let hub = self.hub.clone();
        let arbiters = &self.arbiters;
        let Some(conns) = self.connections.get_mut(&exchange) else {
            return;
        };
        for (shard, (books, trades)) in added {
            let conn = &mut conns[shard];
            let mut new_books = Vec::new();
            for symbol in books {
                let settings = BookSettings {
                    endpoint: endpoint.clone(),
                    depth,
                    backoff,
                    snapshot_depth,
                    rest_budget: rest_budget.clone(),
                    transport: self.transport.clone(),
                    snapshot_timeout,
                    max_levels: self.config.max_book_levels,
                };
                let book = start_book(
                    &arbiters[conn.arbiter].handle(),
                    exchange,
                    symbol.clone(),
                    settings,
                    conn.handle.link(),
                    hub.clone(),
                );
                conn.books.insert(symbol.clone(), book.clone());
                new_books.push((symbol, book));
            }
            conn.handle.do_send(AddInterest {
                books: new_books,
                trades,
            });
        }
    }

    fn subscribe(
        &mut self,
        sub: Subscription,
        recipient: Option<Recipient<FeedEvent>>,
        ctx: &mut Context<Self>,
    ) -> Result<(u64, Arc<Queue>), EngineError> {
        if self.stopped {
            return Err(EngineError::Stopped);
        }
        if sub.kinds.is_empty() {
            return Err(EngineError::InvalidConfig(
                "a subscription needs at least one stream kind".into(),
            ));
        }
        if sub.depth == 0 || sub.capacity == 0 {
            return Err(EngineError::InvalidConfig(
                "depth and capacity must be positive".into(),
            ));
        }
        if sub.throttle.is_some_and(|t| t.is_zero()) {
            return Err(EngineError::InvalidConfig(
                "throttle interval must be positive".into(),
            ));
        }
        if let Some((e, s)) = sub
            .markets
            .iter()
            .find(|(e, s)| !e.spec().symbol.writes_kind(s.kind()))
        {
            // `binance:BTC-USDT-SWAP` would be written `BTCUSDT` (spot): refuse it instead.
            return Err(EngineError::InvalidConfig(format!(
                "{e} does not serve {s}: its symbols carry no instrument kind (Binance USD-M is its own venue, binance-usdm:BTC-USDT)"
            )));
        }
        let wants_book = sub.kinds.iter().any(|k| {
            matches!(
                k,
                StreamKind::Book | StreamKind::Deltas | StreamKind::BestBidAsk | StreamKind::Status
            )
        });
        let wants_trades = sub.kinds.contains(&StreamKind::Trades);
        let mut per_exchange: HashMap<Exchange, (Vec<Symbol>, Vec<Symbol>)> = HashMap::new();
        let (mut books, mut trades) = (Vec::new(), Vec::new());
        for (e, s) in &sub.markets {
            let entry = per_exchange.entry(*e).or_default();
            if wants_book {
                entry.0.push(s.clone());
                books.push((*e, s.clone()));
            }
            if wants_trades {
                entry.1.push(s.clone());
                trades.push((*e, s.clone()));
            }
        }
        self.next_sub += 1;
        let id = self.next_sub;
        let queue = Queue::new(sub.capacity, sub.max_bytes);
        let entry = Arc::new(Entry::new(
            id,
            sub.markets.clone(),
            sub.kinds.clone(),
            sub.depth,
            sub.filter.clone(),
            queue.clone(),
            sub.throttle.is_some(),
        ));
        // Register before the books exist so no early event is missed.
        self.hub.add(entry.clone());
        let ended = ctx.address().recipient();
        let stop = start_subscriber(entry, self.hub.clone(), sub.throttle, recipient, ended);
        for (exchange, (books, trades)) in per_exchange {
            self.ensure(exchange, books, trades, ctx);
        }
        // A book that was already live greets the new feed with its current state now,
        // rather than at its next change (a new book sees the feed from its start).
        for (e, s) in &books {
            if let Some(book) = self.book(*e, s) {
                book.do_send(NewFeeds);
            }
        }
        self.subscribers.insert(
            id,
            Sub {
                stop,
                books,
                trades,
            },
        );
        Ok((id, queue))
    }

    fn book(&self, exchange: Exchange, symbol: &Symbol) -> Option<&BookHandle> {
        self.connections
            .get(&exchange)
            .and_then(|conns| conns.iter().find_map(|c| c.books.get(symbol)))
    }

    /// Forgets subscription `id` and releases every book and trade stream that no other
    /// subscription wants: unsubscribed on its connection, book actors stopped, and a
    /// connection left with nothing closed. Returns the subscription's stop recipient.
    fn release(&mut self, id: u64) -> Option<Recipient<Stop>> {
        let sub = self.subscribers.remove(&id)?;
        let wanted_book =
            |m: &(Exchange, Symbol)| self.subscribers.values().any(|s| s.books.contains(m));
        let wanted_trades =
            |m: &(Exchange, Symbol)| self.subscribers.values().any(|s| s.trades.contains(m));
        let books: Vec<_> = sub
            .books
            .iter()
            .filter(|m| !wanted_book(m))
            .cloned()
            .collect();
        let trades: Vec<_> = sub
            .trades
            .iter()
            .filter(|m| !wanted_trades(m))
            .cloned()
            .collect();
        // What each touched connection gives up: (venue, shard) -> interest.
        let mut gone: HashMap<(Exchange, usize), RemoveInterest> = HashMap::new();
        for (exchange, symbol) in books {
            let Some(conns) = self.connections.get_mut(&exchange) else {
                continue;
            };
            for c in conns.iter_mut() {
                if let Some(book) = c.books.remove(&symbol) {
                    book.do_send(Stop);
                    c.streams = c
                        .streams
                        .saturating_sub(session::streams_per(exchange, true));
                    gone.entry((exchange, c.shard))
                        .or_default()
                        .books
                        .push(symbol.clone());
                }
            }
        }
        for (exchange, symbol) in trades {
            let Some(conns) = self.connections.get_mut(&exchange) else {
                continue;
            };
            for c in conns.iter_mut() {
                if let Some(i) = c.trades.iter().position(|s| *s == symbol) {
                    c.trades.remove(i);
                    c.streams = c
                        .streams
                        .saturating_sub(session::streams_per(exchange, false));
                    gone.entry((exchange, c.shard))
                        .or_default()
                        .trades
                        .push(symbol.clone());
                }
            }
        }
        for ((exchange, shard), interest) in gone {
            let Some(conns) = self.connections.get_mut(&exchange) else {
                continue;
            };
            let Some(i) = conns.iter().position(|c| c.shard == shard) else {
                continue;
            };
            let c = &conns[i];
            tracing::info!(%exchange, shard, books = ?interest.books, trades = ?interest.trades, "released: no feed wants them");
            if c.books.is_empty() && c.trades.is_empty() {
                // Nothing left: the connection unsubscribes what it still has and closes.
                tracing::info!(%exchange, shard, "closing a connection with no streams left");
                conns.remove(i).handle.do_send(Stop);
            } else {
                c.handle.do_send(interest);
            }
        }
        Some(sub.stop)
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;
}

impl Handler<Subscribe> for Supervisor {
    type Result = Result<Feed, EngineError>;

    fn handle(&mut self, msg: Subscribe, ctx: &mut Context<Self>) -> Self::Result {
        let (id, queue) = self.subscribe(msg.0, None, ctx)?;
        Ok(Feed::new(queue, id))
    }
}

impl Handler<SubscribeRecipient> for Supervisor {
    type Result = Result<u64, EngineError>;

    fn handle(&mut self, msg: SubscribeRecipient, ctx: &mut Context<Self>) -> Self::Result {
        self.subscribe(msg.0, Some(msg.1), ctx).map(|(id, _)| id)
    }
}

impl Handler<Unsubscribe> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, _ctx: &mut Context<Self>) {
        if let Some(stop) = self.release(msg.0) {
            stop.do_send(Stop);
        }
    }
}

impl Handler<SubscriptionEnded> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: SubscriptionEnded, _ctx: &mut Context<Self>) {
        // Already released when it was unsubscribed, or everything is stopping.
        if !self.stopped {
            self.release(msg.id);
        }
    }
}

impl Handler<Query> for Supervisor {
    type Result = ResponseFuture<Result<BookQuery, EngineError>>;

    fn handle(&mut self, msg: Query, _ctx: &mut Context<Self>) -> Self::Result {
        let book = self.book(msg.exchange, &msg.symbol).cloned();
        Box::pin(async move {
            let book = book.ok_or(EngineError::UnknownMarket(msg.exchange, msg.symbol))?;
            book.send(QueryBook { depth: msg.depth })
                .await
                .map_err(|_| EngineError::Stopped)
        })
    }
}

impl Handler<ConnectionFailed> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ConnectionFailed, _ctx: &mut Context<Self>) {
        if self.stopped {
            return;
        }
        let jitter = unit_jitter(self.rng.next_u64());
        let backoff = self.config.backoff;
        let Some(conn) = self
            .connections
            .get_mut(&msg.exchange)
            .and_then(|c| c.iter_mut().find(|c| c.shard == msg.shard))
        else {
            return;
        };
        if msg.terminal {
            tracing::error!(exchange = %msg.exchange, reason = %msg.reason, "connection failed for good; not retried");
            return;
        }
        conn.attempts += 1;
        let delay = backoff.delay(conn.attempts, jitter);
        tracing::info!(exchange = %msg.exchange, reason = %msg.reason, attempt = conn.attempts, ?delay, "reconnect scheduled");
        conn.handle.do_send(Reconnect {
            delay,
            attempt: conn.attempts,
        });
    }
}

impl Handler<ConnectionHealthy> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ConnectionHealthy, _ctx: &mut Context<Self>) {
        if let Some(conn) = self
            .connections
            .get_mut(&msg.exchange)
            .and_then(|c| c.iter_mut().find(|c| c.shard == msg.shard))
        {
            conn.attempts = 0;
        }
    }
}

/// [`Stop`] stops everything: unsubscribe and close connections, stop books, subscribers
/// and arbiters, close every feed.
impl Handler<Stop> for Supervisor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Stop, _ctx: &mut Context<Self>) -> Self::Result {
        self.stopped = true;
        let conns: Vec<ConnectionHandle> = self
            .connections
            .drain()
            .flat_map(|(_, c)| c)
            .map(|c| c.handle)
            .collect();
        let subs: Vec<Recipient<Stop>> = self.subscribers.drain().map(|(_, s)| s.stop).collect();
        Box::pin(
            async move {
                for c in conns {
                    let _ = c.send(Stop).await;
                }
                for s in subs {
                    let _ = s.send(Stop).await;
                }
            }
            .into_actor(self)
            .map(|_, act, ctx| {
                act.hub.close_all();
                for a in act.arbiters.drain(..) {
                    a.stop();
                    let _ = a.join();
                }
                ctx.stop();
            }),
        )
    }
}
