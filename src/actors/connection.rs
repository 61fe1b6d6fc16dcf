//! The connection actor: one WebSocket to one venue. It parses frames with the venue module
//! (pure) and routes the results; reconnecting is scheduled by the supervisor.

use super::messages::*;
use super::net;
use crate::exchange::outbox::{Outbox, Outgoing, OUTBOX_SPARE};
use crate::exchange::session::{self, Endpoint, Interest};
use crate::exchange::{self, Control, Message};
use crate::net::Transport;
use crate::runtime::events::{FeedEvent, FeedStatus};
use crate::runtime::hub::{Hub, Targets};
use crate::types::{Exchange, MarketEvent, Symbol, Timestamp};
use actix::prelude::*;
use awc::ws;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};
use tracing::Instrument;

/// Frames tagged with the connection generation they belong to.
enum WsEvent {
    Frame(u64, Result<ws::Frame, awc::error::WsProtocolError>),
    Closed(u64),
}

impl actix::Message for WsEvent {
    type Result = ();
}

/// The actor's side of the writer task: the shared [`Outbox`] and its wake-up.
struct Writer {
    outbox: Arc<Mutex<Outbox>>,
    wake: Arc<Notify>,
    done: Option<oneshot::Receiver<()>>,
}

impl Writer {
    fn with<R>(&self, f: impl FnOnce(&mut Outbox) -> R) -> R {
        let r = f(&mut self.outbox.lock().unwrap_or_else(|e| e.into_inner()));
        self.wake.notify_one();
        r
    }
}

impl Drop for Writer {
    /// The connection is given up (or shut down): the writer sends what a close asked
    /// for, or just the closing frame, and ends.
    fn drop(&mut self) {
        self.with(Outbox::abandon);
    }
}

/// Sends what the outbox holds, each message (but the close) when the venue's gate has
/// room, until the closing frame went out or the socket failed.
async fn write_loop<S>(
    mut sink: S,
    outbox: Arc<Mutex<Outbox>>,
    wake: Arc<Notify>,
    mut gate: session::SendGate,
    done: oneshot::Sender<()>,
) where
    S: futures_util::Sink<ws::Message> + Unpin,
{
    let lock = || outbox.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let (empty, close_next) = {
            let o = lock();
            (o.is_empty(), o.next_is_close())
        };
        if empty {
            if lock().is_closed() {
                break;
            }
            // A notify sent since the check left a permit: no wake-up is lost.
            wake.notified().await;
            continue;
        }
        if !close_next {
            if let Err(wait) = gate.try_send(Instant::now()) {
                actix_rt::time::sleep(wait).await;
                continue;
            }
        }
        // Chosen now, when the gate opens: the pong for the latest ping, a request.
        let Some(next) = lock().pop() else { continue };
        let message = match next {
            Outgoing::Text(t) => ws::Message::Text(t.into()),
            Outgoing::Pong(p) => ws::Message::Pong(p.into()),
            Outgoing::Close => ws::Message::Close(Some(ws::CloseCode::Normal.into())),
        };
        let last = matches!(message, ws::Message::Close(_));
        if sink.send(message).await.is_err() || last {
            break;
        }
    }
    let _ = sink.close().await;
    let _ = done.send(());
}

/// One venue connection.
pub struct ConnectionActor {
    exchange: Exchange,
    /// Which of the venue's connections this is (a venue with a stream cap has several).
    shard: usize,
    endpoint: Endpoint,
    transport: Transport,
    interest: Interest,
    books: HashMap<Symbol, BookHandle>,
    hub: Arc<Hub>,
    supervisor: SupervisorLink,
    generation: u64,
    writer: Option<Writer>,
    stream: Option<SpawnHandle>,
    connected: bool,
    connecting: bool,
    healthy_sent: bool,
    shutting_down: bool,
    next_id: u64,
    last_frame: Instant,
    last_ping: Instant,
    partial: Option<Vec<u8>>,
    /// A request was refused by the full outbox: the connection is reset at the next tick.
    outbox_full: Option<String>,
    /// Largest message accepted, one frame or assembled from continuations.
    max_message_size: usize,
    status_targets: Targets,
    trade_targets: HashMap<Symbol, Targets>,
    /// Why the connection was last lost (reported with the reconnect schedule).
    last_failure: String,
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
            endpoint,
            transport,
            interest: Interest {
                books: Vec::new(),
                trades: Vec::new(),
                book_depth,
            },
            books: HashMap::new(),
            hub,
            supervisor,
            generation: 0,
            writer: None,
            stream: None,
            connected: false,
            connecting: false,
            healthy_sent: false,
            shutting_down: false,
            next_id: 0,
            last_frame: Instant::now(),
            last_ping: Instant::now(),
            partial: None,
            outbox_full: None,
            max_message_size: crate::engine::DEFAULT_MAX_MESSAGE_SIZE,
            status_targets: Targets::default(),
            trade_targets: HashMap::new(),
            last_failure: String::new(),
        }
    }

    /// Sets the largest WebSocket message accepted (one frame or assembled).
    pub(crate) fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// A message over the limit: report it and reset the connection (never buffer it).
    fn too_large(&mut self, size: usize, ctx: &mut Context<Self>) {
        let limit = self.max_message_size;
        tracing::warn!(exchange = %self.exchange, size, limit, "message too large");
        self.status(FeedStatus::MessageTooLarge { size, limit });
        self.fail(format!("message too large (over {limit} bytes)"), ctx);
    }

    fn status(&mut self, status: FeedStatus) {
        self.status_targets
            .send_status(&self.hub, self.exchange, None, status);
    }

    /// The venue does not list `symbol`: leave it out of every later (re)subscription,
    /// unsubscribe where the venue had accepted it (Binance), and tell its book, or the
    /// trade subscribers when it has no book. Other symbols are untouched.
    fn reject_symbol(&mut self, symbol: &Symbol, code: Option<i64>, message: String) {
        if !self.forget_symbol(symbol) {
            return;
        }
        match self.books.get(symbol) {
            Some(book) => book.do_send(Reject { code, message }),
            None => {
                tracing::warn!(exchange = %self.exchange, %symbol, %message, "symbol rejected by the venue");
                // Only trades were asked for: tell the feeds through the symbol's cache.
                let status = FeedStatus::Rejected { code, message };
                self.trade_targets
                    .entry(symbol.clone())
                    .or_default()
                    .send_status(&self.hub, self.exchange, Some(symbol), status);
            }
        }
    }

    /// Removes `symbol` from the interest (and unsubscribes it where the venue needs that).
    /// Returns false when it was not subscribed.
    fn forget_symbol(&mut self, symbol: &Symbol) -> bool {
        let before = self.interest.books.len() + self.interest.trades.len();
        self.interest.books.retain(|s| s != symbol);
        self.interest.trades.retain(|s| s != symbol);
        if before == self.interest.books.len() + self.interest.trades.len() {
            return false;
        }
        if self.connected {
            for m in session::drop_symbol(self.exchange, symbol, &mut self.next_id) {
                self.send(m);
            }
        }
        true
    }

    fn send(&mut self, text: String) {
        if let Some(w) = &self.writer {
            if let Err(e) = w.with(|o| o.push_text(text)) {
                self.outbox_full.get_or_insert_with(|| e.to_string());
            }
        }
    }

    fn connect(&mut self, ctx: &mut Context<Self>) {
        if self.shutting_down || self.connecting || self.connected || self.interest.is_empty() {
            return;
        }
        let plan = match session::connect_plan(
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
        self.connecting = true;
        self.generation += 1;
        let generation = self.generation;
        let planned = self.interest.clone();
        self.status(FeedStatus::Connecting);
        tracing::info!(exchange = %self.exchange, url = %plan.url, "connecting");
        let client = self.transport.client(Duration::from_secs(10));
        let url = plan.url.clone();
        let max_frame = self.max_message_size;
        let span = tracing::info_span!("connect", exchange = %self.exchange, generation);
        let fut = async move {
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
            if generation != act.generation || act.shutting_down {
                return;
            }
            act.connecting = false;
            match result {
                Ok(framed) => {
                    let (sink, frames) = framed.split();
                    let (done_tx, done_rx) = oneshot::channel();
                    // Paced under the venue's incoming-message limit (Binance disconnects
                    // above 5 per second, pongs and SUBSCRIBE included); the closing frame
                    // is never held back. Bounded: room for the plan and as many again.
                    let gate = session::SendGate::for_exchange(act.exchange);
                    let outbox =
                        Arc::new(Mutex::new(Outbox::new(plan.messages.len() + OUTBOX_SPARE)));
                    let wake = Arc::new(Notify::new());
                    actix_rt::spawn(write_loop(
                        sink,
                        outbox.clone(),
                        wake.clone(),
                        gate,
                        done_tx,
                    ));
                    act.outbox_full = None;
                    act.writer = Some(Writer {
                        outbox,
                        wake,
                        done: Some(done_rx),
                    });
                    let frames = net::YieldEach::new(frames);
                    let tagged = frames.map(move |r| WsEvent::Frame(generation, r)).chain(
                        futures_util::stream::once(async move { WsEvent::Closed(generation) }),
                    );
                    act.stream = Some(ctx.add_stream(tagged));
                    act.connected = true;
                    act.healthy_sent = false;
                    act.last_frame = Instant::now();
                    act.last_ping = Instant::now();
                    for m in plan.messages {
                        act.send(m);
                    }
                    // Books and streams added while the connection was opening are not in
                    // the plan: subscribe them now.
                    let late = Interest {
                        books: act
                            .interest
                            .books
                            .iter()
                            .filter(|s| !planned.books.contains(s))
                            .cloned()
                            .collect(),
                        trades: act
                            .interest
                            .trades
                            .iter()
                            .filter(|s| !planned.trades.contains(s))
                            .cloned()
                            .collect(),
                        book_depth: act.interest.book_depth,
                    };
                    if !late.is_empty() {
                        match session::subscribe_more(act.exchange, &late, &mut act.next_id) {
                            Ok(messages) => messages.into_iter().for_each(|m| act.send(m)),
                            Err(e) => act.status(FeedStatus::VenueError {
                                code: None,
                                message: e.to_string(),
                            }),
                        }
                    }
                    tracing::info!(exchange = %act.exchange, "connected");
                    act.status(FeedStatus::Connected);
                    for book in act.books.values() {
                        book.do_send(ConnectionChange::Up);
                    }
                }
                Err(e) => act.fail_with(e.reason, e.terminal, ctx),
            }
        }));
    }

    /// The connection is gone: invalidate books, tell the supervisor (which answers with
    /// the reconnect schedule, see the `Reconnect` handler).
    fn fail(&mut self, reason: String, ctx: &mut Context<Self>) {
        self.fail_with(reason, false, ctx);
    }

    /// [`fail`](Self::fail); `terminal` when retrying cannot succeed (reported as
    /// [`FeedStatus::Failed`], no reconnect).
    fn fail_with(&mut self, reason: String, terminal: bool, ctx: &mut Context<Self>) {
        self.generation += 1;
        if let Some(h) = self.stream.take() {
            ctx.cancel_future(h);
        }
        self.writer = None;
        self.connected = false;
        self.connecting = false;
        self.partial = None;
        if self.shutting_down {
            return;
        }
        tracing::warn!(exchange = %self.exchange, %reason, "connection lost");
        for book in self.books.values() {
            book.do_send(ConnectionChange::Down {
                reason: reason.clone(),
                terminal,
            });
        }
        if terminal {
            self.status(FeedStatus::Failed {
                reason: reason.clone(),
            });
        }
        self.last_failure = reason.clone();
        self.supervisor.do_send(ConnectionFailed {
            exchange: self.exchange,
            shard: self.shard,
            reason,
            terminal,
        });
    }

    fn on_text(&mut self, text: &str, ctx: &mut Context<Self>) {
        let now = Timestamp::now();
        let messages = match exchange::parse(self.exchange, text, now) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(exchange = %self.exchange, error = %e, "bad frame");
                self.status(FeedStatus::BadFrame(Arc::new(e)));
                return;
            }
        };
        for message in messages {
            match message {
                Message::Market(MarketEvent::Snapshot(s)) => {
                    if let Some(book) = self.books.get(&s.meta.symbol) {
                        book.do_send(BookInput::Snapshot(s));
                    }
                }
                Message::Market(MarketEvent::Delta(d)) => {
                    if let Some(book) = self.books.get(&d.meta.symbol) {
                        book.do_send(BookInput::Delta(d));
                    }
                }
                Message::Market(MarketEvent::Trade(t)) => {
                    let targets = self.trade_targets.entry(t.meta.symbol.clone()).or_default();
                    targets.refresh(&self.hub, self.exchange, Some(&t.meta.symbol));
                    if !targets.trades.is_empty() {
                        let event = FeedEvent::Trade(Arc::new(t));
                        for e in &targets.trades {
                            e.deliver(event.clone());
                        }
                    }
                }
                Message::Market(_) => {}
                Message::Control(Control::Instrument {
                    symbol,
                    price_precision,
                    qty_precision,
                }) => {
                    if let Some(book) = self.books.get(&symbol) {
                        book.do_send(SetPrecision {
                            price: price_precision,
                            qty: qty_precision,
                        });
                    }
                }
                Message::Control(Control::Error { code, message, .. }) => {
                    tracing::warn!(exchange = %self.exchange, ?code, %message, "venue error");
                    self.status(FeedStatus::VenueError { code, message });
                }
                Message::Control(Control::Rejected { symbol, message }) => {
                    self.reject_symbol(&symbol, None, message);
                }
                Message::Control(Control::ServerShutdown) => {
                    self.fail("the venue announced a shutdown".into(), ctx);
                    return;
                }
                Message::Control(other) => {
                    tracing::trace!(exchange = %self.exchange, ?other, "control");
                }
            }
        }
    }

    fn on_frame(&mut self, frame: ws::Frame, ctx: &mut Context<Self>) {
        use actix_http::ws::Item;
        use awc::ws::Frame;
        match frame {
            Frame::Text(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => self.on_text(text, ctx),
                Err(_) => self.bad_bytes(&bytes),
            },
            Frame::Binary(bytes) => self.bad_bytes(&bytes),
            Frame::Continuation(item) => match item {
                Item::FirstText(b) | Item::FirstBinary(b) => {
                    if b.len() > self.max_message_size {
                        return self.too_large(b.len(), ctx);
                    }
                    self.partial = Some(b.to_vec())
                }
                Item::Continue(b) => {
                    if let Some(p) = &mut self.partial {
                        let size = p.len() + b.len();
                        if size > self.max_message_size {
                            return self.too_large(size, ctx);
                        }
                        p.extend_from_slice(&b);
                    }
                }
                Item::Last(b) => {
                    if let Some(mut p) = self.partial.take() {
                        let size = p.len() + b.len();
                        if size > self.max_message_size {
                            return self.too_large(size, ctx);
                        }
                        p.extend_from_slice(&b);
                        match String::from_utf8(p) {
                            Ok(text) => self.on_text(&text, ctx),
                            Err(e) => self.bad_bytes(e.as_bytes()),
                        }
                    }
                }
            },
            Frame::Ping(payload) => {
                // Only the latest ping is answered: a flood cannot grow the outbox.
                if let Some(w) = &self.writer {
                    w.with(|o| o.answer_ping(payload.to_vec()));
                }
            }
            Frame::Pong(_) => {}
            Frame::Close(reason) => self.fail(format!("closed by the venue: {reason:?}"), ctx),
        }
    }

    fn bad_bytes(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let e = exchange::ParseError::new(
            self.exchange,
            exchange::ParseErrorKind::UnknownMessage,
            &text,
        );
        self.status(FeedStatus::BadFrame(Arc::new(e)));
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if !self.connected {
            return;
        }
        if let Some(reason) = self.outbox_full.take() {
            self.fail(reason, ctx);
            return;
        }
        let idle = session::idle_timeout(self.exchange);
        if self.last_frame.elapsed() > idle {
            self.fail(format!("no data for {idle:?}"), ctx);
            return;
        }
        let mut id = self.next_id;
        if let Some((ping, every)) = session::keepalive(self.exchange, &mut id) {
            if self.last_ping.elapsed() >= every {
                self.next_id = id;
                self.last_ping = Instant::now();
                self.send(ping);
            }
        }
    }
}

impl Actor for ConnectionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(Duration::from_secs(1), |act, ctx| act.tick(ctx));
        self.connect(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        for book in self.books.values() {
            book.do_send(Stop);
        }
    }
}

impl StreamHandler<WsEvent> for ConnectionActor {
    fn handle(&mut self, event: WsEvent, ctx: &mut Context<Self>) {
        match event {
            WsEvent::Frame(g, Ok(frame)) if g == self.generation => {
                self.last_frame = Instant::now();
                if !self.healthy_sent {
                    self.healthy_sent = true;
                    self.supervisor.do_send(ConnectionHealthy {
                        exchange: self.exchange,
                        shard: self.shard,
                    });
                }
                self.on_frame(frame, ctx);
            }
            WsEvent::Frame(g, Err(awc::error::WsProtocolError::Overflow))
                if g == self.generation =>
            {
                // One frame over `max_frame_size` (the codec does not say by how much).
                self.too_large(self.max_message_size + 1, ctx)
            }
            WsEvent::Frame(g, Err(e)) if g == self.generation => {
                self.fail(format!("protocol error: {e}"), ctx)
            }
            WsEvent::Closed(g) if g == self.generation => {
                self.fail("connection closed".into(), ctx)
            }
            _ => {}
        }
    }

    fn finished(&mut self, _ctx: &mut Context<Self>) {
        // The stream ends with `WsEvent::Closed`; the actor lives on to reconnect.
    }
}

impl Handler<AddInterest> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: AddInterest, ctx: &mut Context<Self>) {
        let mut added = Interest {
            books: Vec::new(),
            trades: Vec::new(),
            book_depth: self.interest.book_depth,
        };
        for (symbol, addr) in msg.books {
            if !self.interest.books.contains(&symbol) {
                self.interest.books.push(symbol.clone());
                added.books.push(symbol.clone());
            }
            self.books.insert(symbol, addr);
        }
        for symbol in msg.trades {
            if !self.interest.trades.contains(&symbol) {
                self.interest.trades.push(symbol.clone());
                added.trades.push(symbol);
            }
        }
        if added.is_empty() {
            return;
        }
        if self.connected {
            for symbol in &added.books {
                if let Some(book) = self.books.get(symbol) {
                    book.do_send(ConnectionChange::Up);
                }
            }
            match session::subscribe_more(self.exchange, &added, &mut self.next_id) {
                Ok(messages) => messages.into_iter().for_each(|m| self.send(m)),
                Err(e) => self.status(FeedStatus::VenueError {
                    code: None,
                    message: e.to_string(),
                }),
            }
        } else {
            self.connect(ctx);
        }
    }
}

impl Handler<Resubscribe> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: Resubscribe, _ctx: &mut Context<Self>) {
        if self.connected {
            let depth = self.interest.book_depth;
            for m in session::resubscribe_book(self.exchange, &msg.symbol, depth, &mut self.next_id)
            {
                self.send(m);
            }
        }
    }
}

impl Handler<DropSymbol> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: DropSymbol, _ctx: &mut Context<Self>) {
        // The book already knows (it saw the refusal itself).
        self.forget_symbol(&msg.symbol);
    }
}

impl Handler<Reconnect> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: Reconnect, ctx: &mut Context<Self>) {
        if self.shutting_down {
            return;
        }
        self.status(FeedStatus::Disconnected {
            reason: self.last_failure.clone(),
            retry_in: Some(msg.delay),
            attempt: msg.attempt,
        });
        ctx.run_later(msg.delay, |act, ctx| act.connect(ctx));
    }
}

impl Handler<RemoveInterest> for ConnectionActor {
    type Result = ();

    fn handle(&mut self, msg: RemoveInterest, _ctx: &mut Context<Self>) {
        let mut gone = Interest {
            books: Vec::new(),
            trades: Vec::new(),
            book_depth: self.interest.book_depth,
        };
        for symbol in msg.books {
            self.books.remove(&symbol);
            if let Some(i) = self.interest.books.iter().position(|s| *s == symbol) {
                gone.books.push(self.interest.books.remove(i));
            }
        }
        for symbol in msg.trades {
            self.trade_targets.remove(&symbol);
            if let Some(i) = self.interest.trades.iter().position(|s| *s == symbol) {
                gone.trades.push(self.interest.trades.remove(i));
            }
        }
        if self.connected {
            for m in super::release::unsubscribe(self.exchange, &gone, &mut self.next_id) {
                self.send(m);
            }
        }
    }
}

impl Handler<Stop> for ConnectionActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) -> Self::Result {
        self.shutting_down = true;
        let mut done = None;
        if let Some(mut w) = self.writer.take() {
            for m in session::unsubscribe_all(self.exchange, &self.interest, &mut self.next_id) {
                let _ = w.with(|o| o.push_text(m));
            }
            w.with(Outbox::close);
            done = w.done.take();
            // Dropping the sender lets the writer flush, close the socket and finish.
        }
        if let Some(h) = self.stream.take() {
            ctx.cancel_future(h);
        }
        self.connected = false;
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
