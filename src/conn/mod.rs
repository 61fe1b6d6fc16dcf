//! The connection to one venue as a pure state machine (sans-IO, in the style of
//! quinn-proto's `Connection`): it holds the subscription state, the request ids, the
//! generations of the socket, partial (continuation) messages, the message size cap, idle
//! detection, the application keepalive, the outgoing queue and its send pacing, and it
//! decides when the connection must be dropped and opened again.
//!
//! Nothing in here reads the clock or touches a socket. The caller (the connection actor, or
//! a test on simulated time) feeds it what happened with the time it happened:
//!
//! * [`Connection::handle_connected`], [`handle_connect_failed`](Connection::handle_connect_failed),
//!   [`handle_frame`](Connection::handle_frame), [`handle_closed`](Connection::handle_closed)
//!   for the socket;
//! * [`handle_timeout`](Connection::handle_timeout) when [`poll_timeout`](Connection::poll_timeout)
//!   is reached;
//! * [`add_interest`](Connection::add_interest), [`resubscribe`](Connection::resubscribe),
//!   [`drop_symbol`](Connection::drop_symbol), [`reconnect_after`](Connection::reconnect_after),
//!   [`shutdown`](Connection::shutdown) for what the engine asks;
//!
//! and then drains [`poll_event`](Connection::poll_event) (what to route: market data to the
//! books, status, "open a socket", "the connection is lost") and
//! [`poll_transmit`](Connection::poll_transmit) (what to write, paced under the venue's
//! message limit).
//!
//! The venue-specific pieces (URLs and subscribe messages, keepalive, idle timeout, send
//! limit, parsing) are asked of [`crate::exchange`] in one place, the private `venue` module
//! below.

use crate::exchange::outbox::{Outbox, OUTBOX_SPARE};
use crate::exchange::session::{Endpoint, Interest};
use crate::exchange::{Control, Message};
use crate::runtime::events::FeedStatus;
use crate::types::{Exchange, MarketEvent, Symbol, Timestamp};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::exchange::outbox::Outgoing;

/// Every call into the venue modules, in one place: the venue's session plans (through the
/// registry), its send gate and its parser.
mod venue {
    use crate::exchange::session::SendGate;
    pub use crate::exchange::session::{
        connect_plan, drop_symbol, idle_timeout, keepalive, resubscribe_book, subscribe_more,
        unsubscribe, unsubscribe_all,
    };
    use crate::exchange::{self, Message, ParseError, ParseErrorKind};
    use crate::types::{Exchange, Timestamp};

    pub fn send_gate(exchange: Exchange) -> SendGate {
        SendGate::for_exchange(exchange)
    }

    pub fn parse(
        exchange: Exchange,
        text: &str,
        at: Timestamp,
    ) -> Result<Vec<Message>, ParseError> {
        contain(exchange, text, || exchange::parse(exchange, text, at))
    }

    /// Runs a parser on `text`; a panic (a bug in an adapter, on input nobody foresaw) is a
    /// bad frame instead of the end of the connection's thread and every book on it.
    pub fn contain(
        exchange: Exchange,
        text: &str,
        parse: impl FnOnce() -> Result<Vec<Message>, ParseError>,
    ) -> Result<Vec<Message>, ParseError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).unwrap_or_else(|panic| {
            let why = (panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            tracing::error!(%exchange, %why, "parser panicked; frame dropped");
            Err(ParseError::new(
                exchange,
                ParseErrorKind::Panicked(why),
                text,
            ))
        })
    }

    pub fn unknown_message(exchange: Exchange, bytes: &[u8]) -> ParseError {
        let text = String::from_utf8_lossy(bytes);
        ParseError::new(exchange, ParseErrorKind::UnknownMessage, &text)
    }
}

/// One WebSocket frame as received (the caller's codec has split the stream into frames).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole text message.
    Text(&'a [u8]),
    /// A whole binary message (no venue sends one: reported as a bad frame).
    Binary(&'a [u8]),
    /// The first fragment of a text or binary message.
    First(&'a [u8]),
    /// A middle fragment.
    Continue(&'a [u8]),
    /// The last fragment.
    Last(&'a [u8]),
    /// A ping with its payload (answered with a pong, only the latest of a flood).
    Ping(&'a [u8]),
    /// A pong.
    Pong,
    /// The peer's closing frame, with its reason as the caller renders it.
    Close(&'a str),
}

/// Why the socket ended, as the caller saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Closed {
    /// The stream ended.
    Eof,
    /// The codec failed (the text says how).
    Protocol(String),
    /// The codec refused one frame over [`Connection::max_message_size`] (it does not say by
    /// how much).
    FrameTooLarge,
}

/// What the caller must act on, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnEvent {
    /// Open a WebSocket to `url`; answer with [`Connection::handle_connected`] or
    /// [`Connection::handle_connect_failed`] for `generation`.
    Open {
        /// The URL of the connect plan.
        url: String,
        /// The attempt it belongs to.
        generation: u64,
    },
    /// The connection is open and subscribed: every book may expect data.
    Up,
    /// Books added to an open connection (their subscriptions are on their way).
    BooksUp(Vec<Symbol>),
    /// The first frame of a connection arrived: the venue is reachable (reset the backoff).
    Healthy,
    /// The connection is gone (the caller drops the socket; books are invalid). Not emitted
    /// while shutting down.
    Lost {
        /// Why.
        reason: String,
        /// Retrying cannot help: no reconnect should be scheduled.
        terminal: bool,
    },
    /// A status of the whole connection for its feeds.
    Status(FeedStatus),
    /// Market data to route to its book (snapshot, delta) or its trade feeds.
    Market(MarketEvent),
    /// Kraken checksum precisions of a symbol (from the `instrument` channel).
    Precision {
        /// The symbol.
        symbol: Symbol,
        /// Price decimals.
        price: u32,
        /// Quantity decimals.
        qty: u32,
    },
    /// The venue does not list `symbol`: it is left out of every later subscription; its
    /// book (or its trade feeds) must be told.
    Rejected {
        /// The symbol.
        symbol: Symbol,
        /// The venue's code, if any.
        code: Option<i64>,
        /// The venue's message.
        message: String,
    },
}

/// Where the connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No socket; waiting for interest or a reconnect.
    Idle,
    /// A socket is being opened.
    Connecting,
    /// Open: frames flow both ways.
    Open,
    /// Shutting down: the last requests and the closing frame are going out.
    Closing,
    /// Shut down for good.
    Closed,
}

/// The limits a connection runs with, by default the venue's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnConfig {
    /// Largest message accepted, one frame or assembled from continuations.
    pub max_message_size: usize,
    /// Silence after which the connection is considered dead.
    pub idle_timeout: Duration,
}

impl ConnConfig {
    /// The venue's idle timeout and the engine's default message size cap.
    pub fn for_exchange(exchange: Exchange) -> Self {
        ConnConfig {
            max_message_size: crate::engine::DEFAULT_MAX_MESSAGE_SIZE,
            idle_timeout: venue::idle_timeout(exchange),
        }
    }
}

/// The state of one open socket.
#[derive(Debug)]
struct Link {
    outbox: Outbox,
    gate: crate::exchange::session::SendGate,
    /// The gate is full until then (only meaningful while something waits).
    blocked_until: Option<Instant>,
    last_frame: Instant,
    last_ping: Instant,
    healthy: bool,
    partial: Option<Vec<u8>>,
    /// A request was refused by the full outbox: the connection is reset at this instant.
    outbox_full: Option<(Instant, String)>,
}

/// One venue connection, without I/O. See the [module docs](self).
#[derive(Debug)]
pub struct Connection {
    exchange: Exchange,
    endpoint: Endpoint,
    interest: Interest,
    config: ConnConfig,
    phase: Phase,
    generation: u64,
    next_id: u64,
    /// The messages of the connect plan, sent once the socket is open.
    plan: Vec<String>,
    /// What the plan subscribes: interest added while the socket opens is not in it and is
    /// subscribed right after the plan.
    planned: Interest,
    link: Option<Link>,
    reconnect_at: Option<Instant>,
    last_failure: String,
    events: VecDeque<ConnEvent>,
    /// The venue's application keepalive period, if it has one.
    keepalive_every: Option<Duration>,
}

impl Connection {
    /// A connection to `exchange` at `endpoint` with nothing subscribed yet; books are asked
    /// for at `book_depth` where the venue takes a depth.
    pub fn new(exchange: Exchange, endpoint: Endpoint, book_depth: u32) -> Self {
        Connection {
            exchange,
            endpoint,
            interest: Interest {
                books: Vec::new(),
                trades: Vec::new(),
                book_depth,
            },
            config: ConnConfig::for_exchange(exchange),
            phase: Phase::Idle,
            generation: 0,
            next_id: 0,
            plan: Vec::new(),
            planned: Interest {
                books: Vec::new(),
                trades: Vec::new(),
                book_depth,
            },
            link: None,
            reconnect_at: None,
            last_failure: String::new(),
            events: VecDeque::new(),
            keepalive_every: venue::keepalive(exchange, &mut 0).map(|(_, every)| every),
        }
    }

    /// Replaces the limits.
    pub fn with_config(mut self, config: ConnConfig) -> Self {
        self.config = config;
        self
    }

    /// The venue.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// Where the connection is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The current socket attempt (frames of older ones are ignored).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What is subscribed (and resubscribed on every reconnect).
    pub fn interest(&self) -> &Interest {
        &self.interest
    }

    /// Largest message accepted (give it to the codec as its frame limit).
    pub fn max_message_size(&self) -> usize {
        self.config.max_message_size
    }

    /// Messages waiting to go out on the open socket (requests and the owed pong).
    pub fn queued(&self) -> usize {
        self.link.as_ref().map_or(0, |l| l.outbox.len())
    }

    /// Pongs never sent because a later ping replaced them (on this socket).
    pub fn pongs_replaced(&self) -> u64 {
        self.link.as_ref().map_or(0, |l| l.outbox.pongs_replaced())
    }

    fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    fn status(&mut self, status: FeedStatus) {
        self.events.push_back(ConnEvent::Status(status));
    }

    /// Queues a request on the open socket; a full outbox resets the connection.
    fn send(&mut self, text: String, now: Instant) {
        if let Some(link) = &mut self.link {
            if let Err(e) = link.outbox.push_text(text) {
                link.outbox_full.get_or_insert((now, e.to_string()));
            }
        }
    }

    /// Opens a socket if there is something to subscribe and none is open or opening.
    fn connect(&mut self) {
        if self.phase != Phase::Idle || self.interest.is_empty() {
            return;
        }
        self.reconnect_at = None;
        let plan = match venue::connect_plan(
            self.exchange,
            &self.endpoint,
            &self.interest,
            &mut self.next_id,
        ) {
            Ok(p) => p,
            Err(e) => {
                // A configuration the venue would refuse: retrying cannot help.
                tracing::error!(exchange = %self.exchange, error = %e, "cannot connect");
                self.status(FeedStatus::VenueError {
                    code: None,
                    message: e.to_string(),
                });
                return;
            }
        };
        self.phase = Phase::Connecting;
        self.generation += 1;
        self.plan = plan.messages;
        self.planned = self.interest.clone();
        self.status(FeedStatus::Connecting);
        tracing::info!(exchange = %self.exchange, url = %plan.url, "connecting");
        self.events.push_back(ConnEvent::Open {
            url: plan.url,
            generation: self.generation,
        });
    }

    /// The socket of `generation` is open. False when it is not wanted any more (an older
    /// attempt, or shutting down): the caller closes it.
    pub fn handle_connected(&mut self, generation: u64, now: Instant) -> bool {
        if generation != self.generation || self.phase != Phase::Connecting {
            return false;
        }
        let plan = std::mem::take(&mut self.plan);
        // Paced under the venue's incoming-message limit (Binance disconnects above 5 per
        // second, pongs and SUBSCRIBE included); the closing frame is never held back.
        // Bounded: room for the plan and as many again.
        self.link = Some(Link {
            outbox: Outbox::new(plan.len() + OUTBOX_SPARE),
            gate: venue::send_gate(self.exchange),
            blocked_until: None,
            last_frame: now,
            last_ping: now,
            healthy: false,
            partial: None,
            outbox_full: None,
        });
        self.phase = Phase::Open;
        for m in plan {
            self.send(m, now);
        }
        // Books and streams added while the socket was opening are not in the plan.
        let planned = std::mem::replace(
            &mut self.planned,
            Interest {
                books: Vec::new(),
                trades: Vec::new(),
                book_depth: self.interest.book_depth,
            },
        );
        let late = Interest {
            books: (self.interest.books.iter())
                .filter(|s| !planned.books.contains(s))
                .cloned()
                .collect(),
            trades: (self.interest.trades.iter())
                .filter(|s| !planned.trades.contains(s))
                .cloned()
                .collect(),
            book_depth: self.interest.book_depth,
        };
        if !late.is_empty() {
            match venue::subscribe_more(self.exchange, &late, &mut self.next_id) {
                Ok(messages) => messages.into_iter().for_each(|m| self.send(m, now)),
                Err(e) => self.status(FeedStatus::VenueError {
                    code: None,
                    message: e.to_string(),
                }),
            }
        }
        // And what was released meanwhile is in the plan: end it again.
        let released = Interest {
            books: (planned.books.iter())
                .filter(|s| !self.interest.books.contains(s))
                .cloned()
                .collect(),
            trades: (planned.trades.iter())
                .filter(|s| !self.interest.trades.contains(s))
                .cloned()
                .collect(),
            book_depth: self.interest.book_depth,
        };
        for m in venue::unsubscribe(self.exchange, &released, &mut self.next_id) {
            self.send(m, now);
        }
        tracing::info!(exchange = %self.exchange, "connected");
        self.status(FeedStatus::Connected);
        self.events.push_back(ConnEvent::Up);
        true
    }

    /// The attempt `generation` failed; `terminal` when retrying cannot succeed.
    pub fn handle_connect_failed(
        &mut self,
        generation: u64,
        reason: String,
        terminal: bool,
        _now: Instant,
    ) {
        if generation == self.generation && self.phase == Phase::Connecting {
            self.fail_with(reason, terminal);
        }
    }

    /// The socket of `generation` ended.
    pub fn handle_closed(&mut self, generation: u64, why: Closed, _now: Instant) {
        if generation != self.generation || !self.is_open() {
            return;
        }
        match why {
            Closed::Eof => self.fail("connection closed".into()),
            Closed::Protocol(e) => self.fail(format!("protocol error: {e}")),
            // One frame over the codec's limit (it does not say by how much).
            Closed::FrameTooLarge => self.too_large(self.config.max_message_size + 1),
        }
    }

    /// The connection is gone: the books are invalid, the caller drops the socket and asks
    /// for a reconnect (unless shutting down).
    fn fail(&mut self, reason: String) {
        self.fail_with(reason, false);
    }

    fn fail_with(&mut self, reason: String, terminal: bool) {
        self.generation += 1;
        self.link = None;
        self.plan.clear();
        if matches!(self.phase, Phase::Closing | Phase::Closed) {
            self.phase = Phase::Closed;
            return;
        }
        self.phase = Phase::Idle;
        tracing::warn!(exchange = %self.exchange, %reason, "connection lost");
        self.events.push_back(ConnEvent::Lost {
            reason: reason.clone(),
            terminal,
        });
        if terminal {
            self.status(FeedStatus::Failed {
                reason: reason.clone(),
            });
        }
        self.last_failure = reason;
    }

    /// A message over the limit: report it and reset the connection (never buffer it).
    fn too_large(&mut self, size: usize) {
        let limit = self.config.max_message_size;
        tracing::warn!(exchange = %self.exchange, size, limit, "message too large");
        self.status(FeedStatus::MessageTooLarge { size, limit });
        self.fail(format!("message too large (over {limit} bytes)"));
    }

    /// A frame of `generation` arrived at `now` (`received_at` on the wall clock, stamped
    /// on the parsed events).
    pub fn handle_frame(
        &mut self,
        generation: u64,
        frame: Frame<'_>,
        now: Instant,
        received_at: Timestamp,
    ) {
        if generation != self.generation || !self.is_open() {
            return;
        }
        let limit = self.config.max_message_size;
        let Some(link) = &mut self.link else { return };
        link.last_frame = now;
        if !link.healthy {
            link.healthy = true;
            self.events.push_back(ConnEvent::Healthy);
        }
        match frame {
            // The codec caps single frames too; a codec without a cap is caught here.
            Frame::Text(b) | Frame::Binary(b) if b.len() > limit => self.too_large(b.len()),
            Frame::Text(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => self.on_text(text, now, received_at),
                Err(_) => self.bad_bytes(bytes),
            },
            Frame::Binary(bytes) => self.bad_bytes(bytes),
            Frame::First(b) => {
                if b.len() > limit {
                    return self.too_large(b.len());
                }
                link.partial = Some(b.to_vec());
            }
            Frame::Continue(b) => {
                if let Some(p) = &mut link.partial {
                    let size = p.len() + b.len();
                    if size > limit {
                        return self.too_large(size);
                    }
                    p.extend_from_slice(b);
                }
            }
            Frame::Last(b) => {
                if let Some(mut p) = link.partial.take() {
                    let size = p.len() + b.len();
                    if size > limit {
                        return self.too_large(size);
                    }
                    p.extend_from_slice(b);
                    match String::from_utf8(p) {
                        Ok(text) => self.on_text(&text, now, received_at),
                        Err(e) => self.bad_bytes(e.as_bytes()),
                    }
                }
            }
            // Only the latest ping is answered: a flood cannot grow the outbox.
            Frame::Ping(payload) => link.outbox.answer_ping(payload.to_vec()),
            Frame::Pong => {}
            Frame::Close(reason) => self.fail(format!("closed by the venue: {reason}")),
        }
    }

    fn bad_bytes(&mut self, bytes: &[u8]) {
        let e = venue::unknown_message(self.exchange, bytes);
        self.status(FeedStatus::BadFrame(Arc::new(e)));
    }

    fn on_text(&mut self, text: &str, now: Instant, received_at: Timestamp) {
        let messages = match venue::parse(self.exchange, text, received_at) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(exchange = %self.exchange, error = %e, "bad frame");
                self.status(FeedStatus::BadFrame(Arc::new(e)));
                return;
            }
        };
        for message in messages {
            match message {
                Message::Market(
                    e @ (MarketEvent::Snapshot(_) | MarketEvent::Delta(_) | MarketEvent::Trade(_)),
                ) => self.events.push_back(ConnEvent::Market(e)),
                Message::Market(_) => {}
                Message::Control(Control::Instrument {
                    symbol,
                    price_precision,
                    qty_precision,
                }) => self.events.push_back(ConnEvent::Precision {
                    symbol,
                    price: price_precision,
                    qty: qty_precision,
                }),
                Message::Control(Control::Error { code, message, .. }) => {
                    tracing::warn!(exchange = %self.exchange, ?code, %message, "venue error");
                    self.status(FeedStatus::VenueError { code, message });
                }
                Message::Control(Control::Rejected { symbol, message }) => {
                    self.reject_symbol(symbol, None, message, now);
                }
                Message::Control(Control::ServerShutdown) => {
                    self.fail("the venue announced a shutdown".into());
                    return;
                }
                Message::Control(other) => {
                    tracing::trace!(exchange = %self.exchange, ?other, "control");
                }
            }
        }
    }

    /// The venue does not list `symbol`: leave it out of every later (re)subscription,
    /// unsubscribe where the venue had accepted it (Binance), and say so once.
    fn reject_symbol(&mut self, symbol: Symbol, code: Option<i64>, message: String, now: Instant) {
        if self.forget_symbol(&symbol, now) {
            self.events.push_back(ConnEvent::Rejected {
                symbol,
                code,
                message,
            });
        }
    }

    /// Removes `symbol` from the interest (and unsubscribes it where the venue needs that).
    /// Returns false when it was not subscribed.
    fn forget_symbol(&mut self, symbol: &Symbol, now: Instant) -> bool {
        let before = self.interest.books.len() + self.interest.trades.len();
        self.interest.books.retain(|s| s != symbol);
        self.interest.trades.retain(|s| s != symbol);
        if before == self.interest.books.len() + self.interest.trades.len() {
            return false;
        }
        if self.is_open() {
            for m in venue::drop_symbol(self.exchange, symbol, &mut self.next_id) {
                self.send(m, now);
            }
        }
        true
    }

    /// Adds books and trade streams: subscribed at once on an open socket, otherwise a
    /// socket is opened (unless one is opening or a reconnect is scheduled).
    pub fn add_interest(&mut self, books: Vec<Symbol>, trades: Vec<Symbol>, now: Instant) {
        let mut added = Interest {
            books: Vec::new(),
            trades: Vec::new(),
            book_depth: self.interest.book_depth,
        };
        for symbol in books {
            if !self.interest.books.contains(&symbol) {
                self.interest.books.push(symbol.clone());
                added.books.push(symbol);
            }
        }
        for symbol in trades {
            if !self.interest.trades.contains(&symbol) {
                self.interest.trades.push(symbol.clone());
                added.trades.push(symbol);
            }
        }
        if added.is_empty() {
            return;
        }
        if self.is_open() {
            if !added.books.is_empty() {
                self.events
                    .push_back(ConnEvent::BooksUp(added.books.clone()));
            }
            match venue::subscribe_more(self.exchange, &added, &mut self.next_id) {
                Ok(messages) => messages.into_iter().for_each(|m| self.send(m, now)),
                Err(e) => self.status(FeedStatus::VenueError {
                    code: None,
                    message: e.to_string(),
                }),
            }
        } else {
            self.connect();
        }
    }

    /// Releases books and trade streams no feed wants any more: unsubscribed on an open
    /// socket and left out of every later (re)subscription. The caller closes the
    /// connection when nothing is left.
    pub fn remove_interest(&mut self, books: Vec<Symbol>, trades: Vec<Symbol>, now: Instant) {
        let mut gone = Interest {
            books: Vec::new(),
            trades: Vec::new(),
            book_depth: self.interest.book_depth,
        };
        for symbol in books {
            if let Some(i) = self.interest.books.iter().position(|s| *s == symbol) {
                gone.books.push(self.interest.books.remove(i));
            }
        }
        for symbol in trades {
            if let Some(i) = self.interest.trades.iter().position(|s| *s == symbol) {
                gone.trades.push(self.interest.trades.remove(i));
            }
        }
        if self.is_open() && !gone.is_empty() {
            for m in venue::unsubscribe(self.exchange, &gone, &mut self.next_id) {
                self.send(m, now);
            }
        }
    }

    /// Asks the venue for a fresh snapshot of one book (Kraken, Poloniex).
    pub fn resubscribe(&mut self, symbol: &Symbol, now: Instant) {
        if self.is_open() {
            let depth = self.interest.book_depth;
            for m in venue::resubscribe_book(self.exchange, symbol, depth, &mut self.next_id) {
                self.send(m, now);
            }
        }
    }

    /// Drops a symbol the venue refused (its book already knows): unsubscribed where needed
    /// and left out of every later subscription.
    pub fn drop_symbol(&mut self, symbol: &Symbol, now: Instant) {
        self.forget_symbol(symbol, now);
    }

    /// The reconnect schedule for the lost connection: open again after `delay` (reported
    /// as [`FeedStatus::Disconnected`]).
    pub fn reconnect_after(&mut self, delay: Duration, attempt: u32, now: Instant) {
        if matches!(self.phase, Phase::Closing | Phase::Closed) {
            return;
        }
        self.status(FeedStatus::Disconnected {
            reason: self.last_failure.clone(),
            retry_in: Some(delay),
            attempt,
        });
        self.reconnect_at = Some(now + delay);
    }

    /// Unsubscribes everything and closes: the last requests and then the closing frame
    /// come out of [`poll_transmit`](Self::poll_transmit) (the closing frame is the last);
    /// with no socket open, the connection is closed at once.
    pub fn shutdown(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Closing | Phase::Closed) {
            return;
        }
        self.reconnect_at = None;
        if self.is_open() {
            for m in venue::unsubscribe_all(self.exchange, &self.interest, &mut self.next_id) {
                self.send(m, now);
            }
            if let Some(link) = &mut self.link {
                link.outbox.close();
                link.outbox_full = None;
            }
            self.phase = Phase::Closing;
        } else {
            // An attempt under way is not wanted any more.
            self.generation += 1;
            self.link = None;
            self.phase = Phase::Closed;
        }
    }

    /// Time passed: reconnects, idle detection, keepalive, a full outbox.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Idle {
            if self.reconnect_at.is_some_and(|t| now >= t) {
                self.reconnect_at = None;
                self.connect();
            }
            return;
        }
        if !self.is_open() {
            return;
        }
        let Some(link) = &mut self.link else { return };
        if let Some((_, reason)) = link.outbox_full.take() {
            return self.fail(reason);
        }
        let idle = self.config.idle_timeout;
        if now.saturating_duration_since(link.last_frame) >= idle {
            return self.fail(format!("no data for {idle:?}"));
        }
        let due = self
            .keepalive_every
            .is_some_and(|every| now.saturating_duration_since(link.last_ping) >= every);
        if due {
            link.last_ping = now;
            if let Some((ping, _)) = venue::keepalive(self.exchange, &mut self.next_id) {
                self.send(ping, now);
            }
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) (or, for pacing,
    /// [`poll_transmit`](Self::poll_transmit)) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Idle => self.reconnect_at,
            Phase::Connecting | Phase::Closed => None,
            Phase::Open | Phase::Closing => {
                let link = self.link.as_ref()?;
                let waiting = !link.outbox.is_empty();
                let pacing = link.blocked_until.filter(|_| waiting);
                if self.phase == Phase::Closing {
                    return pacing;
                }
                let idle = Some(link.last_frame + self.config.idle_timeout);
                let ping = self.keepalive_every.map(|every| link.last_ping + every);
                let full = link.outbox_full.as_ref().map(|(t, _)| *t);
                [idle, ping, full, pacing].into_iter().flatten().min()
            }
        }
    }

    /// The next message to write at `now`, if the venue's send gate has room (the closing
    /// frame is never held back); `None` when nothing may go out now (see
    /// [`poll_timeout`](Self::poll_timeout)). After the closing frame the connection is
    /// closed.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Outgoing> {
        if !matches!(self.phase, Phase::Open | Phase::Closing) {
            return None;
        }
        let link = self.link.as_mut()?;
        if link.outbox.is_empty() {
            return None;
        }
        if !link.outbox.next_is_close() {
            if let Err(wait) = link.gate.try_send(now) {
                link.blocked_until = Some(now + wait);
                return None;
            }
        }
        link.blocked_until = None;
        // Chosen now, when the gate opens: the pong for the latest ping, a request.
        let next = link.outbox.pop();
        if next == Some(Outgoing::Close) {
            self.link = None;
            self.generation += 1;
            self.phase = Phase::Closed;
        }
        next
    }

    /// The next event to act on.
    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::ParseErrorKind;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    fn ts() -> Timestamp {
        Timestamp::from_unix_millis(1)
    }

    /// Regression (issue 10 item 2): a parser that panics on a frame took the connection's
    /// arbiter thread, and every book on it, down; it is a bad frame now.
    #[test]
    fn a_panicking_parser_is_a_bad_frame_not_a_dead_thread() {
        let frame = r#"{"e":"depthUpdate"}"#;
        let r = venue::contain(Exchange::Binance, frame, || {
            panic!("index out of bounds: the len is 0 but the index is 3")
        });
        let e = r.expect_err("a panic is an error");
        assert!(
            matches!(&e.kind, ParseErrorKind::Panicked(why) if why.contains("index out of bounds")),
            "{e:?}"
        );
        assert!(e.to_string().contains("panicked"), "{e}");
        // A parser that returns is untouched.
        let ok = venue::contain(Exchange::Binance, frame, || Ok(Vec::new()));
        assert_eq!(ok, Ok(Vec::new()));
    }

    fn events(c: &mut Connection) -> Vec<ConnEvent> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    fn open(exchange: Exchange, now: Instant) -> Connection {
        let mut c = Connection::new(exchange, Endpoint::production(exchange), 10);
        c.add_interest(vec![sym("BTC-USDT")], vec![], now);
        let g = c.generation();
        assert!(c.handle_connected(g, now));
        events(&mut c);
        c
    }

    /// Regression: books added while the socket was opening were never subscribed (the plan
    /// was made before them), and books released meanwhile stayed subscribed.
    #[test]
    fn interest_changed_while_connecting_is_subscribed_and_released_after_the_plan() {
        let t0 = Instant::now();
        let mut c = Connection::new(Exchange::Kraken, Endpoint::production(Exchange::Kraken), 10);
        c.add_interest(vec![sym("BTC-USD"), sym("ETH-USD")], vec![], t0);
        assert_eq!(c.phase(), Phase::Connecting);
        c.add_interest(vec![sym("SOL-USD")], vec![], t0);
        c.remove_interest(vec![sym("ETH-USD")], vec![], t0);
        assert!(c.handle_connected(c.generation(), t0));
        // Everything sent in the next 5 s (the send gate paces it), book requests only.
        let mut sent = Vec::new();
        let mut at = t0;
        loop {
            match c.poll_transmit(at) {
                Some(Outgoing::Text(t)) => sent.push(t),
                Some(other) => panic!("{other:?}"),
                None => match c.poll_timeout() {
                    Some(next) if next > at && next < t0 + Duration::from_secs(5) => at = next,
                    _ => break,
                },
            }
        }
        let v: Vec<serde_json::Value> = (sent.iter())
            .map(|t| serde_json::from_str::<serde_json::Value>(t).unwrap())
            .filter(|m| m["params"]["channel"] == "book")
            .collect();
        assert_eq!(v.len(), 3, "{sent:?}");
        let ask = |m: &serde_json::Value| {
            let symbols: Vec<String> = m["params"]["symbol"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            (m["method"].as_str().unwrap().to_string(), symbols)
        };
        let pair = |method: &str, symbols: &[&str]| {
            let symbols = symbols.iter().map(|s| s.to_string()).collect();
            (method.to_string(), symbols)
        };
        assert_eq!(ask(&v[0]), pair("subscribe", &["BTC/USD", "ETH/USD"]));
        assert_eq!(ask(&v[1]), pair("subscribe", &["SOL/USD"]));
        assert_eq!(ask(&v[2]), pair("unsubscribe", &["ETH/USD"]));
    }

    #[test]
    fn nothing_to_subscribe_opens_nothing() {
        let mut c = Connection::new(Exchange::Kraken, Endpoint::production(Exchange::Kraken), 10);
        c.handle_timeout(Instant::now());
        assert_eq!(c.poll_event(), None);
        assert_eq!(c.poll_timeout(), None);
        assert_eq!(c.phase(), Phase::Idle);
    }

    #[test]
    fn frames_of_an_older_socket_are_ignored() {
        let t0 = Instant::now();
        let mut c = open(Exchange::Kraken, t0);
        let old = c.generation();
        c.handle_closed(old, Closed::Eof, t0);
        assert!(
            matches!(&events(&mut c)[..], [ConnEvent::Lost { reason, terminal: false }] if reason == "connection closed")
        );
        c.handle_frame(old, Frame::Text(b"{}"), t0, ts());
        assert_eq!(c.poll_event(), None);
        assert!(!c.handle_connected(old, t0), "a late socket is refused");
    }

    /// OKX control frames: the literal `pong` is no bad frame, `60018` rejects that symbol
    /// only, and the `64008` maintenance notice closes the connection for a reconnect.
    #[test]
    fn okx_pong_unknown_instrument_and_maintenance_notice() {
        let t0 = Instant::now();
        let mut c = Connection::new(Exchange::Okx, Endpoint::production(Exchange::Okx), 400);
        c.add_interest(vec![sym("BTC-USDT"), sym("FOO-USDT")], vec![], t0);
        assert!(c.handle_connected(c.generation(), t0));
        while c.poll_transmit(t0).is_some() {}
        events(&mut c);
        let g = c.generation();
        c.handle_frame(g, Frame::Text(b"pong"), t0, ts());
        let ev = events(&mut c);
        assert!(
            !ev.iter()
                .any(|e| matches!(e, ConnEvent::Status(FeedStatus::BadFrame(_)))),
            "{ev:?}"
        );
        let refused = br#"{"event":"error","msg":"Wrong URL or channel:books,instId:FOO-USDT doesn't exist. Please use the correct URL, channel and parameters referring to API document.","code":"60018","connId":"2b5dc6ac"}"#;
        c.handle_frame(g, Frame::Text(refused), t0, ts());
        let ev = events(&mut c);
        assert!(
            matches!(&ev[..], [ConnEvent::Rejected { symbol, .. }] if *symbol == sym("FOO-USDT")),
            "{ev:?}"
        );
        assert_eq!(c.phase(), Phase::Open, "the other book stays");
        let notice = br#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}"#;
        c.handle_frame(g, Frame::Text(notice), t0, ts());
        let ev = events(&mut c);
        assert!(
            ev.iter().any(|e| matches!(
                e,
                ConnEvent::Lost {
                    terminal: false,
                    ..
                }
            )),
            "{ev:?}"
        );
    }

    #[test]
    fn an_invalid_depth_is_a_venue_error_not_a_connect() {
        let mut c = Connection::new(Exchange::Kraken, Endpoint::production(Exchange::Kraken), 7);
        c.add_interest(vec![sym("BTC-USD")], vec![], Instant::now());
        let ev = events(&mut c);
        assert!(
            matches!(&ev[..], [ConnEvent::Status(FeedStatus::VenueError { .. })]),
            "{ev:?}"
        );
        assert_eq!(c.phase(), Phase::Idle);
    }

    #[test]
    fn the_send_gate_paces_requests_and_says_when() {
        let t0 = Instant::now();
        let mut c = open(Exchange::Binance, t0);
        let symbols: Vec<Symbol> = (0..10).map(|i| sym(&format!("C{i}-USDT"))).collect();
        for s in symbols {
            c.add_interest(vec![s], vec![], t0);
        }
        let mut sent = 0;
        while c.poll_transmit(t0).is_some() {
            sent += 1;
        }
        assert_eq!(sent, 4, "Binance spot: 4 per second");
        let wake = c.poll_timeout().unwrap();
        assert_eq!(
            wake,
            t0 + Duration::from_secs(1) + crate::exchange::session::SEND_WINDOW_MARGIN
        );
        assert!(c.poll_transmit(wake).is_some());
    }

    #[test]
    fn continuation_frames_are_assembled_and_capped() {
        let t0 = Instant::now();
        let mut c = open(Exchange::Kraken, t0).with_config(ConnConfig {
            max_message_size: 64,
            idle_timeout: Duration::from_secs(15),
        });
        let g = c.generation();
        c.handle_frame(g, Frame::First(br#"{"channel":"#), t0, ts());
        c.handle_frame(g, Frame::Last(br#""heartbeat"}"#), t0, ts());
        assert_eq!(events(&mut c), [ConnEvent::Healthy]);
        c.handle_frame(g, Frame::First(&[b' '; 40]), t0, ts());
        c.handle_frame(g, Frame::Continue(&[b' '; 40]), t0, ts());
        let ev = events(&mut c);
        assert_eq!(
            ev[0],
            ConnEvent::Status(FeedStatus::MessageTooLarge {
                size: 80,
                limit: 64
            })
        );
        assert!(matches!(&ev[1], ConnEvent::Lost { reason, .. } if reason.contains("too large")));
    }
}
