//! The connection actor: one WebSocket to one venue. A thin shell around the pure
//! [`Connection`] state machine (`crate::conn`): it owns the socket, the writer task and the
//! timers, feeds the machine what happened (with the time), writes what the machine
//! transmits and routes what it emits to the book actors, the feeds and the supervisor,
//! which schedules reconnects. It knows the other actors only by their handles (typed
//! recipients, `super::messages`).

use super::messages::*;
use super::net;
use crate::conn::{Closed, ConnConfig, ConnEvent, Connection, Frame, Outgoing};
use crate::exchange::session::Endpoint;
use crate::net::Transport;
use crate::runtime::connect_gate::ConnectGate;
use crate::runtime::events::{FeedEvent, FeedStatus};
use crate::runtime::hub::{Hub, Targets};
use crate::types::{Exchange, MarketEvent, Symbol, Timestamp};
use actix::prelude::*;
use awc::ws;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

/// Messages handed to the writer task and not yet written. Small: the machine chooses
/// what goes next (the pong for the latest ping, a request) when the socket has room.
const WRITE_AHEAD: usize = 2;

/// Frames tagged with the connection generation they belong to.
enum WsEvent {
    Frame(u64, Result<ws::Frame, awc::error::WsProtocolError>),
    Closed(u64),
}

impl actix::Message for WsEvent {
    type Result = ();
}

/// The writer task wrote one message of `generation`'s socket (there is room again).
struct Written;

impl actix::Message for Written {
    type Result = ();
}

/// One open socket: the writer task's queue, the reading stream, and the writer's end.
struct Socket {
    generation: u64,
    tx: mpsc::Sender<ws::Message>,
    stream: SpawnHandle,
    done: Option<oneshot::Receiver<()>>,
}

/// Writes what it is handed, in order, until the closing frame went out or the socket
/// failed; when the actor lets go of the socket without one, it sends the closing frame.
async fn write_loop<S>(
    mut sink: S,
    mut rx: mpsc::Receiver<ws::Message>,
    written: Recipient<Written>,
    done: oneshot::Sender<()>,
) where
    S: futures_util::Sink<ws::Message> + Unpin,
{
    let mut closed = false;
    while let Some(message) = rx.recv().await {
        let last = matches!(message, ws::Message::Close(_));
        if sink.send(message).await.is_err() {
            closed = true;
            break;
        }
        if last {
            closed = true;
            break;
        }
        written.do_send(Written);
    }
    if !closed {
        let close = ws::Message::Close(Some(ws::CloseCode::Normal.into()));
        let _ = sink.send(close).await;
    }
    let _ = sink.close().await;
    let _ = done.send(());
}

fn to_ws(message: Outgoing) -> ws::Message {
    match message {
        Outgoing::Text(t) => ws::Message::Text(t.into()),
        Outgoing::Pong(p) => ws::Message::Pong(p.into()),
        Outgoing::Close => ws::Message::Close(Some(ws::CloseCode::Normal.into())),
    }
}

/// One venue connection.
pub struct ConnectionActor {
    exchange: Exchange,
    /// Which of the venue's connections this is (a venue with a stream cap has several).
    shard: usize,
    transport: Transport,
    machine: Connection,
    books: HashMap<Symbol, BookHandle>,
    hub: Arc<Hub>,
    supervisor: SupervisorLink,
    socket: Option<Socket>,
    /// The wake-up asked of the runtime for the machine's next timeout.
    timer: Option<(Instant, SpawnHandle)>,
    status_targets: Targets,
    trade_targets: HashMap<Symbol, Targets>,
    /// The venue's connection-attempt budget (OKX: 3 a second per IP), shared by its
    /// connections: an attempt waits for room in it.
    connect_gate: Option<Arc<ConnectGate>>,
}

impl ConnectionActor {
    pub(crate) fn new(
        exchange: Exchange,
        shard: usize,
        endpoint: Endpoint,
        transport: Transport,
        book_depth: u32,
        hub: Arc<Hub>,
        supervisor: SupervisorLink,
    ) -> Self {
        ConnectionActor {
            exchange,
            shard,
            transport,
            machine: Connection::new(exchange, endpoint, book_depth),
            books: HashMap::new(),
            hub,
            supervisor,
            socket: None,
            timer: None,
            status_targets: Targets::default(),
            trade_targets: HashMap::new(),
            connect_gate: None,
        }
    }

    /// Makes every connection attempt wait for room in `gate`.
    pub(crate) fn with_connect_gate(mut self, gate: Option<Arc<ConnectGate>>) -> Self {
        self.connect_gate = gate;
        self
    }

    /// Sets the largest WebSocket message accepted (one frame or assembled).
    pub(crate) fn with_max_message_size(mut self, bytes: usize) -> Self {
        let config = ConnConfig {
            max_message_size: bytes,
            ..ConnConfig::for_exchange(self.exchange)
        };
        self.machine = self.machine.with_config(config);
        self
    }

    fn status(&mut self, status: FeedStatus) {
        self.status_targets
            .send_status(&self.hub, self.exchange, None, status);
    }

    /// Acts on everything the machine emitted, writes what it may transmit now, lets go of
    /// a socket it gave up, and asks for a wake-up at its next timeout.
    fn drive(&mut self, ctx: &mut Context<Self>) {
        while let Some(event) = self.machine.poll_event() {
            self.route(event, ctx);
        }
        let now = Instant::now();
        if let Some(socket) = &self.socket {
            while socket.tx.capacity() > 0 {
                let Some(message) = self.machine.poll_transmit(now) else {
                    break;
                };
                let _ = socket.tx.try_send(to_ws(message));
            }
        }
        if self
            .socket
            .as_ref()
            .is_some_and(|s| s.generation != self.machine.generation())
        {
            self.drop_socket(ctx);
        }
        self.schedule(now, ctx);
    }

    /// A wake-up at the machine's next timeout, unless an earlier one is already set. While
    /// the writer is full, a past deadline (the send gate's) waits for its [`Written`].
    fn schedule(&mut self, now: Instant, ctx: &mut Context<Self>) {
        let Some(at) = self.machine.poll_timeout() else {
            return;
        };
        let writer_full = self.socket.as_ref().is_some_and(|s| s.tx.capacity() == 0);
        if writer_full && at <= now {
            return;
        }
        if self.timer.as_ref().is_some_and(|(t, _)| *t <= at) {
            return;
        }
        if let Some((_, h)) = self.timer.take() {
            ctx.cancel_future(h);
        }
        let h = ctx.run_later(at.saturating_duration_since(now), |act, ctx| {
            act.timer = None;
            act.machine.handle_timeout(Instant::now());
            act.drive(ctx);
        });
        self.timer = Some((at, h));
    }

    /// Stops reading the socket; the writer sends the closing frame and ends.
    fn drop_socket(&mut self, ctx: &mut Context<Self>) {
        if let Some(socket) = self.socket.take() {
            ctx.cancel_future(socket.stream);
        }
    }

    fn route(&mut self, event: ConnEvent, ctx: &mut Context<Self>) {
        match event {
            ConnEvent::Open { url, generation } => self.open(url, generation, ctx),
            ConnEvent::Up => {
                for book in self.books.values() {
                    book.do_send(ConnectionChange::Up);
                }
            }
            ConnEvent::BooksUp(symbols) => {
                for symbol in &symbols {
                    if let Some(book) = self.books.get(symbol) {
                        book.do_send(ConnectionChange::Up);
                    }
                }
            }
            ConnEvent::Healthy => self.supervisor.do_send(ConnectionHealthy {
                exchange: self.exchange,
                shard: self.shard,
            }),
            ConnEvent::Lost { reason, terminal } => {
                self.drop_socket(ctx);
                for book in self.books.values() {
                    book.do_send(ConnectionChange::Down {
                        reason: reason.clone(),
                        terminal,
                    });
                }
                self.supervisor.do_send(ConnectionFailed {
                    exchange: self.exchange,
                    shard: self.shard,
                    reason,
                    terminal,
                });
            }
            ConnEvent::Status(status) => self.status(status),
            ConnEvent::Market(MarketEvent::Snapshot(s)) => {
                if let Some(book) = self.books.get(&s.meta.symbol) {
                    book.do_send(BookInput::Snapshot(s));
                }
            }
            ConnEvent::Market(MarketEvent::Delta(d)) => {
                if let Some(book) = self.books.get(&d.meta.symbol) {
                    book.do_send(BookInput::Delta(d));
                }
            }
            ConnEvent::Market(MarketEvent::Trade(t)) => {
                let targets = self.trade_targets.entry(t.meta.symbol.clone()).or_default();
                targets.refresh(&self.hub, self.exchange, Some(&t.meta.symbol));
                if !targets.trades.is_empty() {
                    let event = FeedEvent::Trade(Arc::new(t));
                    for e in &targets.trades {
                        e.deliver(event.clone());
                    }
                }
            }
            ConnEvent::Market(_) => {}
            ConnEvent::Precision { symbol, price, qty } => {
                if let Some(book) = self.books.get(&symbol) {
                    book.do_send(SetPrecision { price, qty });
                }
            }
            ConnEvent::Rejected {
                symbol,
                code,
                message,
            } => match self.books.get(&symbol) {
                Some(book) => book.do_send(Reject { code, message }),
                None => {
                    tracing::warn!(exchange = %self.exchange, %symbol, %message, "symbol rejected by the venue");
                    // Only trades were asked for: tell the feeds through the symbol's cache.
                    let status = FeedStatus::Rejected { code, message };
                    self.trade_targets
                        .entry(symbol.clone())
                        .or_default()
                        .send_status(&self.hub, self.exchange, Some(&symbol), status);
                }
            },
        }
    }

    /// Opens the socket the machine asked for and tells it how that went.
    fn open(&mut self, url: String, generation: u64, ctx: &mut Context<Self>) {
        let client = self.transport.client(Duration::from_secs(10));
        let max_frame = self.machine.max_message_size();
        let span = tracing::info_span!("connect", exchange = %self.exchange, generation);
        let gate = self.connect_gate.clone();
        let fut = async move {
            if let Some(gate) = gate {
                while let Err(until) = gate.acquire(Timestamp::now().as_unix_millis()) {
                    let wait = until.saturating_sub(Timestamp::now().as_unix_millis());
                    actix_rt::time::sleep(Duration::from_millis(wait.max(1))).await;
                }
            }
            client
                .ws(url.as_str())
                .max_frame_size(max_frame)
                .connect()
                .await
                .map(|(_, framed)| framed)
                .map_err(|e| crate::net::classify_ws_error(&url, &e))
        }
        .instrument(span);
        ctx.spawn(fut.into_actor(self).map(move |result, act, ctx| {
            match result {
                Ok(framed) => {
                    if !act.machine.handle_connected(generation, Instant::now()) {
                        // An attempt nobody waits for any more (shut down meanwhile).
                        return;
                    }
                    let (sink, frames) = framed.split();
                    let (done_tx, done_rx) = oneshot::channel();
                    let (tx, rx) = mpsc::channel(WRITE_AHEAD);
                    actix_rt::spawn(write_loop(sink, rx, ctx.address().recipient(), done_tx));
                    let frames = net::YieldEach::new(frames);
                    let tagged = frames.map(move |r| WsEvent::Frame(generation, r)).chain(
                        futures_util::stream::once(async move { WsEvent::Closed(generation) }),
                    );
                    let stream = ctx.add_stream(tagged);
                    act.socket = Some(Socket {
                        generation,
                        tx,
                        stream,
                        done: Some(done_rx),
                    });
                }
                Err(e) => act.machine.handle_connect_failed(
                    generation,
                    e.reason,
                    e.terminal,
                    Instant::now(),
                ),
            }
            act.drive(ctx);
        }));
    }

    fn on_frame(&mut self, generation: u64, frame: ws::Frame) {
        use actix_http::ws::Item;
        use awc::ws::Frame as F;
        let now = Instant::now();
        let at = Timestamp::now();
        let m = &mut self.machine;
        match frame {
            F::Text(b) => m.handle_frame(generation, Frame::Text(&b), now, at),
            F::Binary(b) => m.handle_frame(generation, Frame::Binary(&b), now, at),
            F::Continuation(Item::FirstText(b) | Item::FirstBinary(b)) => {
                m.handle_frame(generation, Frame::First(&b), now, at)
            }
            F::Continuation(Item::Continue(b)) => {
                m.handle_frame(generation, Frame::Continue(&b), now, at)
            }
            F::Continuation(Item::Last(b)) => m.handle_frame(generation, Frame::Last(&b), now, at),
            F::Ping(b) => m.handle_frame(generation, Frame::Ping(&b), now, at),
            F::Pong(_) => m.handle_frame(generation, Frame::Pong, now, at),
            F::Close(reason) => {
                let reason = format!("{reason:?}");
                m.handle_frame(generation, Frame::Close(&reason), now, at)
            }
        }
    }
}

impl Actor for ConnectionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // A safety net under the exact wake-ups (a deadline held back by a full writer).
        ctx.run_interval(Duration::from_secs(1), |act, ctx| {
            act.machine.handle_timeout(Instant::now());
            act.drive(ctx);
        });
        self.drive(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        for book in self.books.values() {
            book.do_send(Stop);
        }
    }
}

impl StreamHandler<WsEvent> for ConnectionActor {
    fn handle(&mut self, event: WsEvent, ctx: &mut Context<Self>) {
        let now = Instant::now();
        match event {
            WsEvent::Frame(g, Ok(frame)) => self.on_frame(g, frame),
            WsEvent::Frame(g, Err(awc::error::WsProtocolError::Overflow)) => {
                self.machine.handle_closed(g, Closed::FrameTooLarge, now)
            }
            WsEvent::Frame(g, Err(e)) => {
                self.machine
                    .handle_closed(g, Closed::Protocol(e.to_string()), now)
            }
            WsEvent::Closed(g) => self.machine.handle_closed(g, Closed::Eof, now),
        }
        self.drive(ctx);
    }

    fn finished(&mut self, _ctx: &mut Context<Self>) {
        // The stream ends with `WsEvent::Closed`; the actor lives on to reconnect.
    }
}

impl Handler<Written> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, _: Written, ctx: &mut Context<Self>) {
        self.drive(ctx);
    }
}

impl Handler<AddInterest> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: AddInterest, ctx: &mut Context<Self>) {
        let mut books = Vec::with_capacity(msg.books.len());
        for (symbol, addr) in msg.books {
            self.books.insert(symbol.clone(), addr);
            books.push(symbol);
        }
        self.machine.add_interest(books, msg.trades, Instant::now());
        self.drive(ctx);
    }
}

impl Handler<Resubscribe> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: Resubscribe, ctx: &mut Context<Self>) {
        self.machine.resubscribe(&msg.symbol, Instant::now());
        self.drive(ctx);
    }
}

impl Handler<DropSymbol> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: DropSymbol, ctx: &mut Context<Self>) {
        // The book already knows (it saw the refusal itself).
        self.machine.drop_symbol(&msg.symbol, Instant::now());
        self.drive(ctx);
    }
}

impl Handler<Reconnect> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: Reconnect, ctx: &mut Context<Self>) {
        self.machine
            .reconnect_after(msg.delay, msg.attempt, Instant::now());
        self.drive(ctx);
    }
}

impl Handler<RemoveInterest> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: RemoveInterest, ctx: &mut Context<Self>) {
        for symbol in &msg.books {
            self.books.remove(symbol);
        }
        for symbol in &msg.trades {
            self.trade_targets.remove(symbol);
        }
        self.machine
            .remove_interest(msg.books, msg.trades, Instant::now());
        self.drive(ctx);
    }
}

impl Handler<Stop> for ConnectionActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) -> Self::Result {
        self.machine.shutdown(Instant::now());
        let mut done = None;
        if let Some(socket) = &mut self.socket {
            done = socket.done.take();
            // Nothing more is read; the unsubscribes and the closing frame go out paced.
            ctx.cancel_future(socket.stream);
        }
        self.drive(ctx);
        Box::pin(
            async move {
                if let Some(done) = done {
                    let _ = actix_rt::time::timeout(Duration::from_secs(2), done).await;
                }
            }
            .into_actor(self)
            .map(|_, _act, ctx| ctx.stop()),
        )
    }
}
