//! One simulated venue connection in memory, on simulated time: the same per-venue session
//! logic and markets as the loopback servers (the venue modules, `state.rs`), without sockets,
//! tasks or clocks. A test opens it with the URL a client would connect to, hands it what the
//! client writes, moves its clock with [`MemoryVenue::advance`] and reads what it sends with
//! [`MemoryVenue::poll_frame`].
//!
//! What the loopback server does on its timers is done here on the simulated clock: market
//! steps every `step_interval`, Binance server pings every `binance_ping_interval` (closing a
//! connection that left 3 of them unanswered), Kraken heartbeats on a quiet subscribed
//! connection. The Binance incoming-message limit is counted with this module's own window.

use super::server::SimConfig;
use super::session::query_param;
use super::state::Shared;
use super::venues::{PathKind, Timer, VenueSession};
use crate::exchange::session::Endpoint;
use crate::types::{Exchange, Symbol};
use std::collections::VecDeque;

/// Host of the URLs [`MemoryVenue::endpoint`] gives (nothing resolves it: no socket is used).
pub const MEMORY_HOST: &str = "memory.invalid";

/// A frame the venue sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerFrame {
    /// A text message.
    Text(String),
    /// A ping with its payload.
    Ping(Vec<u8>),
    /// A pong with its payload.
    Pong(Vec<u8>),
    /// The first fragment of a text message in continuation frames.
    First(Vec<u8>),
    /// A middle fragment.
    Continue(Vec<u8>),
    /// The last fragment.
    Last(Vec<u8>),
    /// The closing frame with its reason; nothing follows it.
    Close(String),
}

/// The open connection.
#[derive(Debug)]
struct Link {
    session: VenueSession,
    /// Anything sent since the last heartbeat tick (Kraken heartbeats only a quiet line).
    sent: bool,
    last_pong_ms: u64,
    next_beat_ms: u64,
    /// Times (ms) of the client's recent messages, for the incoming-message limit.
    incoming: VecDeque<u64>,
    limit: usize,
}

/// One venue's markets and at most one client connection, in memory.
#[derive(Debug)]
pub struct MemoryVenue {
    exchange: Exchange,
    shared: Shared,
    link: Option<Link>,
    out: VecDeque<ServerFrame>,
    now_ms: u64,
    next_step_ms: u64,
    paused: bool,
    opened: u32,
    received: Vec<String>,
    pongs: Vec<Vec<u8>>,
}

impl MemoryVenue {
    /// The markets of `config` for `exchange` (the other venues' lists are ignored), at
    /// simulated time `start_ms`.
    pub fn new(exchange: Exchange, config: SimConfig, start_ms: u64) -> Self {
        let step = config.step_interval.as_millis().max(1) as u64;
        MemoryVenue {
            exchange,
            shared: Shared::new(config),
            link: None,
            out: VecDeque::new(),
            now_ms: start_ms,
            next_step_ms: start_ms + step,
            paused: false,
            opened: 0,
            received: Vec::new(),
            pongs: Vec::new(),
        }
    }

    /// The endpoint a client of this venue connects to (`ws://memory.invalid/...`, the
    /// simulator's own paths).
    pub fn endpoint(exchange: Exchange) -> Endpoint {
        super::venues::endpoint_at(
            exchange,
            &format!("ws://{MEMORY_HOST}"),
            &format!("http://{MEMORY_HOST}"),
        )
    }

    /// The simulated time (ms).
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Accepts a connection to `url` (the handshake), as the loopback server routes it; the
    /// error is what the server would answer instead (404, 400 with the reason).
    pub fn open(&mut self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("bad URL {url:?}: {e}"))?;
        let query = parsed.query().unwrap_or("");
        let host = parsed.host_str().unwrap_or("");
        let not_found = || format!("404 Not Found: {}", parsed.path());
        let (exchange, rel) =
            super::venues::resolve(host, parsed.path(), PathKind::Ws).ok_or_else(not_found)?;
        if exchange != self.exchange {
            return Err(not_found());
        }
        let (session, first) = {
            let mut st = self.shared.lock();
            super::venues::open(exchange, &rel, query, &mut st, &self.shared.config)?
        };
        let limit = super::venues::incoming_limit(&self.shared.config, self.exchange);
        let period = self.beat_period();
        self.out.clear();
        self.out.extend(first.into_iter().map(ServerFrame::Text));
        self.link = Some(Link {
            session,
            sent: false,
            last_pong_ms: self.now_ms,
            next_beat_ms: self.now_ms + period,
            incoming: VecDeque::new(),
            limit,
        });
        self.opened += 1;
        Ok(())
    }

    fn beat_period(&self) -> u64 {
        let (_, period) = super::venues::timer(&self.shared.config, self.exchange);
        period.as_millis().max(1) as u64
    }

    /// True while a client is connected.
    pub fn is_open(&self) -> bool {
        self.link.is_some()
    }

    /// Connections accepted so far.
    pub fn connections_opened(&self) -> u32 {
        self.opened
    }

    /// Every text the client sent, in order (across connections).
    pub fn received(&self) -> &[String] {
        &self.received
    }

    /// The payloads of every pong the client sent, in order.
    pub fn pongs(&self) -> &[Vec<u8>] {
        &self.pongs
    }

    /// Counts one client message against the incoming limit; false (and the connection
    /// closed) when it is over.
    fn admit(&mut self) -> bool {
        let now = self.now_ms;
        let Some(link) = &mut self.link else {
            return false;
        };
        if link.limit == 0 {
            return true;
        }
        while link.incoming.front().is_some_and(|t| now - t >= 1000) {
            link.incoming.pop_front();
        }
        if link.incoming.len() >= link.limit {
            self.close("Too many incoming messages");
            return false;
        }
        link.incoming.push_back(now);
        true
    }

    /// The client sent a text frame: the session's replies are queued.
    pub fn on_text(&mut self, text: &str) {
        if !self.admit() {
            return;
        }
        self.received.push(text.to_string());
        let ms = self.now_ms;
        let Some(link) = &mut self.link else { return };
        let replies = link.session.on_text(text, &self.shared.lock(), ms);
        link.sent |= !replies.is_empty();
        self.out.extend(replies.into_iter().map(ServerFrame::Text));
    }

    /// The client sent a ping: answered with a pong.
    pub fn on_ping(&mut self, payload: &[u8]) {
        if self.admit() {
            self.out.push_back(ServerFrame::Pong(payload.to_vec()));
        }
    }

    /// The client sent a pong.
    pub fn on_pong(&mut self, payload: &[u8]) {
        if !self.admit() {
            return;
        }
        self.pongs.push(payload.to_vec());
        let now = self.now_ms;
        if let Some(link) = &mut self.link {
            link.last_pong_ms = now;
        }
    }

    /// The client closed (or its socket went away).
    pub fn on_close(&mut self) {
        self.link = None;
    }

    /// Closes the connection with a closing frame carrying `reason`.
    pub fn close(&mut self, reason: &str) {
        if self.link.take().is_some() {
            self.out.push_back(ServerFrame::Close(reason.to_string()));
        }
    }

    /// Queues any frame (for hostile-peer cases: ping floods, oversized messages).
    pub fn push(&mut self, frame: ServerFrame) {
        if self.link.is_some() {
            self.out.push_back(frame);
        }
    }

    /// Stops (true) or restarts the market steps; the venue's timers go on.
    pub fn pause(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// The next book update of `symbol` is not sent (see [`Faults::skip_update`](super::Faults::skip_update)).
    pub fn skip_update(&mut self, symbol: &Symbol) {
        if let Some(m) = self.shared.lock().market_mut(self.exchange, symbol) {
            m.pending.skip = true;
        }
    }

    /// The whole current book of `symbol` (Kraken and Poloniex clients hold its top).
    pub fn truth(&self, symbol: &Symbol) -> Option<super::TruthBook> {
        self.shared
            .lock()
            .market(self.exchange, symbol)
            .map(|m| m.truth())
    }

    /// The last update id sent for `symbol` (Kraken: the step number).
    pub fn last_update_id(&self, symbol: &Symbol) -> Option<u64> {
        self.shared
            .lock()
            .market(self.exchange, symbol)
            .map(|m| m.update_id)
    }

    /// When the venue next does something on its own (ms): a market step or a ping or
    /// heartbeat tick.
    pub fn next_wakeup_ms(&self) -> u64 {
        let beat = self.link.as_ref().map_or(u64::MAX, |l| l.next_beat_ms);
        self.next_step_ms.min(beat)
    }

    /// Moves the clock to `ms` (never back), doing everything due on the way in order.
    pub fn advance(&mut self, ms: u64) {
        let step = self.shared.config.step_interval.as_millis().max(1) as u64;
        let period = self.beat_period();
        while self.next_wakeup_ms() <= ms {
            let at = self.next_wakeup_ms();
            self.now_ms = self.now_ms.max(at);
            if self.next_step_ms <= at {
                self.next_step_ms = at + step;
                if !self.paused {
                    self.step_markets();
                }
            }
            let due = self.link.as_ref().is_some_and(|l| l.next_beat_ms <= at);
            if due {
                self.beat(period);
            }
        }
        self.now_ms = self.now_ms.max(ms);
    }

    fn step_markets(&mut self) {
        let ms = self.now_ms;
        let exchange = self.exchange;
        let mut st = self.shared.lock();
        for m in st.markets.iter_mut().filter(|m| m.exchange == exchange) {
            let Some(tick) = m.step(ms) else { continue };
            if let Some(link) = &mut self.link {
                let frames = link.session.on_tick(&tick);
                link.sent |= !frames.is_empty();
                self.out.extend(frames.into_iter().map(ServerFrame::Text));
            }
        }
    }

    /// The venue's own timer on the connection (server.rs `ws_loop`).
    fn beat(&mut self, period: u64) {
        let now = self.now_ms;
        let Some(link) = &mut self.link else { return };
        link.next_beat_ms = now + period;
        match super::venues::timer(&self.shared.config, self.exchange).0 {
            Timer::Heartbeat(beat) => {
                if !std::mem::take(&mut link.sent) && link.session.has_subscriptions() {
                    self.out.push_back(ServerFrame::Text(beat.to_string()));
                }
            }
            Timer::Quiet => {}
            Timer::CloseWhenQuiet => {
                if !std::mem::take(&mut link.sent) {
                    self.close("idle");
                }
            }
            Timer::Ping => {
                if now - link.last_pong_ms > period * 3 {
                    self.close("no pong");
                } else {
                    self.out
                        .push_back(ServerFrame::Ping(b"marketfeed-sim".to_vec()));
                }
            }
        }
    }

    /// The next frame the venue sends.
    pub fn poll_frame(&mut self) -> Option<ServerFrame> {
        self.out.pop_front()
    }
}

/// The value of `name` in the query of `url` (e.g. the streams of a Binance URL).
pub fn url_query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    query_param(parsed.query()?, name)
}
