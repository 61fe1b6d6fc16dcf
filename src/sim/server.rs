//! The loopback exchange servers: an actix-web server on `127.0.0.1:0` speaking Binance spot
//! (combined-stream WebSocket, `SUBSCRIBE`, REST `/api/v3/depth`), Kraken v2 and Poloniex v3
//! WebSockets, fed by the seeded synthetic markets (or a capture replay), with fault knobs.
//!
//! The connection loop is a thin shell: it forwards broadcast steps through the venue's
//! [`session`](super::session) and answers requests with it; everything it sends is computed
//! by pure code in `state.rs`, `session.rs` and the venue encoders.

use super::limit::IncomingLimit;
use super::market::MarketConfig;
use super::state::{Event, Shared};
use super::venues::{PathKind, RestReply, Timer, VenueSession};
use crate::types::{Exchange, Symbol, TakerSide, Timestamp};
use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use rust_decimal::Decimal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::broadcast::Receiver;

/// What the simulator serves.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seed of every market (each symbol derives its own).
    pub seed: u64,
    /// Binance spot markets.
    pub binance: Vec<Symbol>,
    /// Kraken markets.
    pub kraken: Vec<Symbol>,
    /// Poloniex markets.
    pub poloniex: Vec<Symbol>,
    /// Binance USD-M futures markets (book data on `/public`, trades on `/market`).
    pub binance_usdm: Vec<Symbol>,
    /// OKX markets: spot (`BTC-USDT`), perpetual swaps (`BTC-USDT-SWAP`), dated futures.
    pub okx: Vec<Symbol>,
    /// OKX closes a connection nothing was pushed on for this long (the venue's 30 s).
    pub okx_idle_timeout: Duration,
    /// OKX `books` messages carry the legacy CRC32 `checksum` (before 2026-06-23); off, they
    /// carry `0`, as OKX sends now.
    pub okx_legacy_checksum: bool,
    /// OKX sends a `books` snapshot after a subscribe; off, the client must fetch the REST
    /// order book (the 2026 procedure).
    pub okx_ws_snapshot: bool,
    /// OKX refuses a fourth new connection within a second (429), as the venue does per IP.
    pub okx_connection_limit: bool,
    /// One market step per symbol per interval.
    pub step_interval: Duration,
    /// Binance server WebSocket ping period; no pong within 3 periods disconnects.
    pub binance_ping_interval: Duration,
    /// Kraken idle `heartbeat` period.
    pub kraken_heartbeat_interval: Duration,
    /// Streams one Binance connection may carry (the venue's 1024); more in the URL is refused,
    /// more by `SUBSCRIBE` is an error reply. 0 turns the limit off.
    pub binance_max_streams_per_connection: usize,
    /// Binance closes a connection whose client sends more than this many messages (text,
    /// ping and pong frames) in a second, as the venue does at 5; 0 turns the limit off.
    pub binance_max_incoming_per_sec: usize,
    /// The same for Binance USD-M (the venue's 10); 0 turns the limit off.
    pub binance_usdm_max_incoming_per_sec: usize,
    /// Serve wss:// and https:// with this identity (a test CA and a certificate for the
    /// venues' real host names, see [`SimTls::generate`](super::SimTls::generate)) instead of plaintext.
    pub tls: Option<super::SimTls>,
    /// Port to bind on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// Market template (seed and mid are varied per symbol).
    pub market: MarketConfig,
}

impl SimConfig {
    /// The symbols served on `exchange`.
    pub fn markets(&self, exchange: Exchange) -> &[Symbol] {
        super::venues::markets(self, exchange)
    }

    /// The symbols served on `exchange`, to change (`config.markets_mut(e)?.push(s)`);
    /// `None` for a venue the simulator does not serve.
    pub fn markets_mut(&mut self, exchange: Exchange) -> Option<&mut Vec<Symbol>> {
        super::venues::markets_mut(self, exchange)
    }

    /// Serves exactly `symbols` on `exchange` (a venue the simulator does not serve keeps
    /// none).
    pub fn with_markets(mut self, exchange: Exchange, symbols: Vec<Symbol>) -> Self {
        if let Some(m) = self.markets_mut(exchange) {
            *m = symbols;
        }
        self
    }
}

impl Default for SimConfig {
    /// `BTC-USDT` on every venue (Binance spot and USD-M, Kraken, Poloniex, OKX), plaintext
    /// on a free port, a step every 20 ms, Binance pings every 20 s, Kraken heartbeats every
    /// second; OKX as it is in 2026 (checksum `0`, the WebSocket snapshot still sent, idle
    /// connections closed after 30 s, at most 3 new connections a second).
    fn default() -> Self {
        let btc = Symbol::new("BTC", "USDT").unwrap_or_else(|_| unreachable!());
        SimConfig {
            seed: 1,
            binance: vec![btc.clone()],
            kraken: vec![btc.clone()],
            poloniex: vec![btc.clone()],
            binance_usdm: vec![btc.clone()],
            okx: vec![btc],
            okx_idle_timeout: Duration::from_secs(30),
            okx_legacy_checksum: false,
            okx_ws_snapshot: true,
            okx_connection_limit: true,
            step_interval: Duration::from_millis(20),
            binance_ping_interval: Duration::from_secs(20),
            kraken_heartbeat_interval: Duration::from_secs(1),
            binance_max_incoming_per_sec: 5,
            binance_usdm_max_incoming_per_sec: 10,
            tls: None,
            port: 0,
            binance_max_streams_per_connection: 1024,
            market: MarketConfig::default(),
        }
    }
}

/// A book as the venue shows it: best first, exact decimals as the venue renders them
/// (Binance 8 decimals; Kraken and Poloniex the market's scales).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruthBook {
    /// Bids `(price, qty)`, best first.
    pub bids: Vec<(Decimal, Decimal)>,
    /// Asks, best first.
    pub asks: Vec<(Decimal, Decimal)>,
    /// Binance `u` / Poloniex `id` of this book; `None` for Kraken (no ids).
    pub update_id: Option<u64>,
}

impl TruthBook {
    /// The best `n` levels per side (what a Kraken or Poloniex client of that depth holds).
    pub fn top(&self, n: usize) -> TruthBook {
        TruthBook {
            bids: self.bids.iter().take(n).copied().collect(),
            asks: self.asks.iter().take(n).copied().collect(),
            update_id: self.update_id,
        }
    }
}

/// A generated trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimTrade {
    /// Sequential id (Binance `a`/`t`, Kraken `trade_id`, Poloniex `id`).
    pub id: u64,
    /// Price as the venue renders it.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// The taker's side.
    pub taker_side: TakerSide,
}

/// A running simulator: a cheap, cloneable handle.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: ServerHandle,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish()
    }
}

fn now_ms() -> u64 {
    Timestamp::now().as_unix_millis()
}

impl Simulator {
    /// Starts the markets and the server on `127.0.0.1:0`. Call inside an actix `System`
    /// (e.g. `#[actix_rt::test]`); the step timer runs on the caller's system.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let step = config.step_interval.max(Duration::from_millis(1));
        let sim = Self::serve(Shared::new(config)).await?;
        let shared = sim.shared.clone();
        actix_rt::spawn(async move {
            let mut timer = tokio::time::interval(step);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                timer.tick().await;
                if !shared.step_all(now_ms()) {
                    break;
                }
            }
        });
        Ok(sim)
    }

    async fn serve(shared: Shared) -> std::io::Result<Simulator> {
        let shared = Arc::new(shared);
        let data = web::Data::from(shared.clone());
        let tls = shared.config.tls.clone();
        let port = shared.config.port;
        let server = HttpServer::new(move || {
            // One handler for every path: the simulator's registry picks the venue by the
            // simulator's own prefix (`endpoints()`) or, for clients that resolve the venues'
            // real host names here, by host and production path (`venues::resolve`).
            App::new()
                .app_data(data.clone())
                .default_service(web::to(dispatch))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1);
        let server = match &tls {
            Some(t) => server.bind_rustls_0_23(("127.0.0.1", port), t.server_config())?,
            None => server.bind(("127.0.0.1", port))?,
        };
        let addr = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| std::io::Error::other("no address bound"))?;
        let server = server.run();
        let handle = server.handle();
        actix_rt::spawn(server);
        Ok(Simulator {
            shared,
            addr,
            server: handle,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn url(&self, ws: bool, path: &str) -> String {
        let scheme = match (ws, self.shared.config.tls.is_some()) {
            (true, false) => "ws",
            (true, true) => "wss",
            (false, false) => "http",
            (false, true) => "https",
        };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// `ws://127.0.0.1:PORT` (`wss://` with TLS; `ws` false: `http://`, `https://`).
    pub fn base_url(&self, ws: bool) -> String {
        self.url(ws, "")
    }

    /// The engine endpoint of `exchange` on this simulator: the WebSocket base the engine
    /// appends its route to (Binance: `ws://127.0.0.1:PORT/binance`, then
    /// `/stream?streams=a/b`; Kraken: `ws://127.0.0.1:PORT/kraken/v2`) and, for REST-snapshot
    /// venues, the REST base (`http://127.0.0.1:PORT/binance`, then `/api/v3/depth?..`).
    pub fn endpoint(&self, exchange: Exchange) -> crate::exchange::session::Endpoint {
        super::venues::endpoint(self, exchange)
    }

    /// The WebSocket base of `exchange` ([`endpoint`](Self::endpoint)`(exchange).ws`).
    pub fn ws_base(&self, exchange: Exchange) -> String {
        self.endpoint(exchange).ws
    }

    /// The REST base of `exchange`, for REST-snapshot venues.
    pub fn rest_base(&self, exchange: Exchange) -> Option<String> {
        self.endpoint(exchange).rest
    }

    /// The engine endpoint of **every** venue on this simulator, for
    /// [`EngineBuilder::endpoints`](crate::engine::EngineBuilder::endpoints): an engine built
    /// from it never reaches a real exchange, whichever venues a test subscribes to (a venue
    /// the simulator does not serve fails to compile here rather than going to production).
    pub fn endpoints(&self) -> Vec<(Exchange, crate::exchange::session::Endpoint)> {
        Exchange::ALL
            .into_iter()
            .map(|e| (e, super::venues::endpoint(self, e)))
            .collect()
    }

    /// The test CA (PEM) when the simulator serves TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.shared.config.tls.as_ref().map(|t| t.ca_pem())
    }

    /// `(host, port, addr)` mapping every production host of every venue to this simulator,
    /// for `EngineBuilder::resolve` (with [`ca_pem`](Self::ca_pem) trusted): the engine's
    /// unchanged production endpoints then run against the simulator.
    pub fn production_resolves(&self) -> Vec<(String, u16, SocketAddr)> {
        super::tls::production_resolves(self.addr)
    }

    /// Stops the market steps (after the call returns no market changes).
    pub fn pause(&self) {
        self.shared.lock().paused = true;
    }

    /// Restarts the market steps.
    pub fn resume(&self) {
        self.shared.lock().paused = false;
    }

    /// The whole current book of a market (Kraken/Poloniex clients hold its
    /// [`top`](TruthBook::top)).
    pub fn truth(&self, exchange: Exchange, symbol: &Symbol) -> Option<TruthBook> {
        self.shared
            .lock()
            .market(exchange, symbol)
            .map(|m| m.truth())
    }

    /// The whole book at a past Binance `u` / Poloniex `id` (Kraken: step number, see
    /// [`last_update_id`](Self::last_update_id)); `None` if unknown, not at a message
    /// boundary, or older than the kept history (the last 20 000 level changes, about 1 000
    /// steps of the default market).
    pub fn truth_at(
        &self,
        exchange: Exchange,
        symbol: &Symbol,
        update_id: u64,
    ) -> Option<TruthBook> {
        self.shared
            .lock()
            .market(exchange, symbol)?
            .truth_at(update_id)
    }

    /// The last update id sent: Binance `u`, Poloniex `id`; Kraken has no ids and gets the
    /// step number.
    pub fn last_update_id(&self, exchange: Exchange, symbol: &Symbol) -> Option<u64> {
        self.shared
            .lock()
            .market(exchange, symbol)
            .map(|m| m.update_id)
    }

    /// Every trade generated so far (the last 20 000), in order.
    pub fn trades_sent(&self, exchange: Exchange, symbol: &Symbol) -> Vec<SimTrade> {
        self.shared
            .lock()
            .market(exchange, symbol)
            .map(|m| m.trades.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Every Binance REST depth request so far: when it arrived and the HTTP status answered.
    pub fn rest_log(&self) -> Vec<(Instant, u16)> {
        self.shared.lock().rest_log.clone()
    }

    /// WebSocket connections of `exchange` open now.
    pub fn open_connections(&self, exchange: Exchange) -> usize {
        self.shared
            .lock()
            .open_sessions
            .get(&exchange)
            .copied()
            .unwrap_or(0)
    }

    /// The text messages clients sent to `exchange` (subscribe, unsubscribe, ping, ...), the
    /// last 10,000 of all venues, oldest first.
    pub fn client_messages(&self, exchange: Exchange) -> Vec<String> {
        self.shared
            .lock()
            .client_log
            .iter()
            .filter(|(e, _)| *e == exchange)
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// The fault knobs.
    pub fn faults(&self) -> Faults {
        Faults {
            shared: self.shared.clone(),
        }
    }

    /// Closes every connection, stops the step timer and the server.
    pub fn stop(&self) {
        self.shared.lock().stopped = true;
        let _ = self.shared.tx.send(Event::Stop);
        // The stop command is sent when called; awaiting only waits for completion.
        drop(self.server.stop(true));
    }
}

/// Fault injection for tests; cheap to clone.
#[derive(Clone)]
pub struct Faults {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Faults")
    }
}

impl Faults {
    fn arm(&self, exchange: Exchange, symbol: &Symbol, f: impl FnOnce(&mut super::state::Pending)) {
        if let Some(m) = self.shared.lock().market_mut(exchange, symbol) {
            f(&mut m.pending);
        }
    }

    /// Closes every WebSocket of `exchange` now.
    pub fn drop_connections(&self, exchange: Exchange) {
        let _ = self.shared.tx.send(Event::Drop(exchange));
    }

    /// The next book update of the symbol is not sent; ids still advance (Binance/Poloniex:
    /// a gap; Kraken: the next checksum will not match — armed for the next update that
    /// changes the top 10).
    pub fn skip_update(&self, exchange: Exchange, symbol: &Symbol) {
        self.arm(exchange, symbol, |p| p.skip = true);
    }

    /// The next book update of the symbol is sent twice.
    pub fn repeat_update(&self, exchange: Exchange, symbol: &Symbol) {
        self.arm(exchange, symbol, |p| p.repeat = true);
    }

    /// The next book update of the symbol carries a wrong checksum, on a venue that sends
    /// checksums (Kraken: the next update that changes the top 10); elsewhere nothing.
    pub fn corrupt_checksum(&self, exchange: Exchange, symbol: &Symbol) {
        self.arm(exchange, symbol, |p| p.corrupt = true);
    }

    /// The venue's maintenance notice on every connection of `exchange` now (OKX `64008`;
    /// nothing on venues without one), and each of those connections closed `grace` later,
    /// as a service upgrade does. Connections opened after the notice stay up.
    pub fn announce_maintenance(&self, exchange: Exchange, grace: Duration) {
        let _ = self.shared.tx.send(Event::Maintenance(exchange, grace));
    }

    /// One garbage text frame on every connection of `exchange`.
    pub fn malformed_frame(&self, exchange: Exchange) {
        let _ = self.shared.tx.send(Event::Malformed(exchange));
    }

    /// Binance REST depth answers after `delay` (zero turns it off).
    pub fn delay_rest_snapshot(&self, delay: Duration) {
        self.shared.lock().rest_delay = delay;
    }

    /// The next `times` Binance REST depth answers are the oldest kept book, whose
    /// `lastUpdateId` is older than anything on the stream: the client must refetch.
    pub fn stale_rest_snapshot(&self, times: u32) {
        self.shared.lock().stale_rest = times;
    }

    /// The next `times` Binance REST depth requests are refused with HTTP 429, `Retry-After: 1`
    /// and `-1003 Too many requests`, as Binance answers a client over its request weight.
    pub fn throttle_rest(&self, times: u32) {
        self.shared.lock().throttle_rest = times;
    }

    /// The next `times` Binance REST depth answers carry one bid at `price` (e.g.
    /// `0.000000000000000001`) instead of their bids; the asks and `lastUpdateId` are real.
    pub fn poison_rest_snapshot(&self, times: u32, price: &str) {
        self.shared.lock().poison_rest = (times > 0).then(|| (times, price.to_owned()));
    }
}

/// Starts a server that plays the received frames of a capture (format A of
/// `shared/captures/README.md`) to every WebSocket client of `exchange`'s path (the other
/// venues' paths answer 404), one frame per `pace`, then closes. Subscriptions are ignored;
/// there are no markets, truth or REST answers.
pub async fn start_replay(
    exchange: Exchange,
    capture_text: String,
    pace: Duration,
) -> std::io::Result<Simulator> {
    let frames: Vec<String> = capture_text
        .lines()
        .filter_map(|l| match crate::replay::parse_capture_line(l) {
            Ok(crate::replay::CaptureLine::Received { frame, .. }) => Some(frame.to_string()),
            _ => None,
        })
        .collect();
    let mut config = SimConfig::default();
    for e in Exchange::ALL {
        if let Some(m) = config.markets_mut(e) {
            m.clear();
        }
    }
    let shared = Shared::new(config);
    shared.lock().replay = Some((exchange, Arc::new(frames), pace));
    Simulator::serve(shared).await
}

// ---------------------------------------------------------------------------------------
// HTTP handlers and the connection loop.
// ---------------------------------------------------------------------------------------

type Data = web::Data<Shared>;

/// The host the client asked for (Host header, without the port).
fn request_host(req: &HttpRequest) -> String {
    let info = req.connection_info();
    let host = info.host();
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
        .to_ascii_lowercase()
}

/// Every request: a WebSocket path of a venue opens its session, a REST path gets its
/// answer, anything else is 404.
async fn dispatch(
    req: HttpRequest,
    body: web::Payload,
    shared: Data,
) -> actix_web::Result<HttpResponse> {
    use actix_web::http::StatusCode;
    let host = request_host(&req);
    let path = req.path().to_string();
    let query = req.query_string().to_string();
    if let Some((exchange, rel)) = super::venues::resolve(&host, &path, PathKind::Ws) {
        // A replay serves whatever was recorded, whatever the client asks for.
        let replay = shared.lock().replay.as_ref().map(|(e, _, _)| *e);
        if let Some(replayed) = replay {
            if replayed != exchange {
                return Ok(HttpResponse::NotFound().finish());
            }
            return start_replay_ws(req, body, shared);
        }
        let opened = {
            let mut st = shared.lock();
            super::venues::open(exchange, &rel, &query, &mut st, &shared.config)
        };
        return match opened {
            Ok((session, first)) => start_ws(req, body, shared, session, first),
            // A refusal names its status first ("429 Too Many Requests: ..."); else 400.
            Err(msg) => {
                let status = msg
                    .get(..3)
                    .and_then(|c| c.parse::<u16>().ok())
                    .and_then(|c| StatusCode::from_u16(c).ok())
                    .filter(|c| c.is_client_error())
                    .unwrap_or(StatusCode::BAD_REQUEST);
                Ok(HttpResponse::build(status).body(msg))
            }
        };
    }
    if let Some((exchange, rel)) = super::venues::resolve(&host, &path, PathKind::Rest) {
        let reply: RestReply = {
            let mut st = shared.lock();
            super::venues::rest(exchange, &rel, &query, &mut st, now_ms())
        };
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
        let mut response = HttpResponse::build(status);
        response.content_type("application/json");
        for h in reply.headers {
            response.insert_header(h);
        }
        return Ok(response.body(reply.body));
    }
    Ok(HttpResponse::NotFound().body(format!("not found: {path}")))
}

fn start_ws(
    req: HttpRequest,
    body: web::Payload,
    shared: Data,
    venue: VenueSession,
    initial: Vec<String>,
) -> actix_web::Result<HttpResponse> {
    if shared.lock().stopped {
        return Ok(HttpResponse::ServiceUnavailable().finish());
    }
    // Subscribe to the steps before anything is rendered, so nothing falls in between.
    let rx = shared.tx.subscribe();
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(1 << 20);
    actix_web::rt::spawn(ws_loop(
        shared.into_inner(),
        session,
        stream,
        rx,
        venue,
        initial,
    ));
    Ok(response)
}

/// A WebSocket of a replay: the recorded frames, whatever the client asks for.
fn start_replay_ws(
    req: HttpRequest,
    body: web::Payload,
    shared: Data,
) -> actix_web::Result<HttpResponse> {
    if shared.lock().stopped {
        return Ok(HttpResponse::ServiceUnavailable().finish());
    }
    let rx = shared.tx.subscribe();
    let Some((_, frames, pace)) = shared.lock().replay.clone() else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(1 << 20);
    actix_web::rt::spawn(replay_loop(session, stream, rx, frames, pace));
    Ok(response)
}

/// What to do after an event.
enum Flow {
    Continue,
    Close,
}

async fn on_event(
    event: Result<Event, RecvError>,
    venue: &VenueSession,
    session: &mut actix_ws::Session,
    sent: &mut bool,
    close_at: &mut Option<tokio::time::Instant>,
) -> Flow {
    let exchange = venue.exchange();
    let frames = match event {
        Ok(Event::Tick(tick)) if tick.exchange == exchange => venue.on_tick(&tick),
        Ok(Event::Maintenance(ex, grace)) if ex == exchange => match venue.maintenance_notice() {
            Some(notice) => {
                if close_at.is_none() {
                    *close_at = Some(tokio::time::Instant::now() + grace);
                }
                vec![notice]
            }
            None => Vec::new(),
        },
        Ok(Event::Malformed(ex)) if ex == exchange => vec!["{\"this is\": not json".to_string()],
        Ok(Event::Drop(ex)) if ex == exchange => return Flow::Close,
        Ok(Event::Stop) => return Flow::Close,
        Ok(_) => Vec::new(),
        // A client too slow for the stream is disconnected, as venues do.
        Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return Flow::Close,
    };
    for f in frames {
        *sent = true;
        if session.text(f).await.is_err() {
            return Flow::Close;
        }
    }
    Flow::Continue
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn ws_loop(
    shared: Arc<Shared>,
    mut session: actix_ws::Session,
    mut stream: actix_ws::MessageStream,
    mut rx: Receiver<Event>,
    mut venue: VenueSession,
    initial: Vec<String>,
) {
    use actix_ws::Message;
    let (timer_kind, period) = super::venues::timer(&shared.config, venue.exchange());
    let period = period.max(Duration::from_millis(1));
    let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut last_pong = Instant::now();
    let mut sent = false;
    let mut close_at: Option<tokio::time::Instant> = None;
    let limit = super::venues::incoming_limit(&shared.config, venue.exchange());
    let mut incoming = (limit > 0).then(|| IncomingLimit::new(limit, Duration::from_secs(1)));
    let mut too_many = false;
    let exchange = venue.exchange();
    *shared.lock().open_sessions.entry(exchange).or_default() += 1;
    // Counted down however the loop ends.
    struct Open(Arc<Shared>, Exchange);
    impl Drop for Open {
        fn drop(&mut self) {
            if let Some(n) = self.0.lock().open_sessions.get_mut(&self.1) {
                *n = n.saturating_sub(1);
            }
        }
    }
    let _open = Open(shared.clone(), exchange);
    for f in initial {
        sent = true;
        if session.text(f).await.is_err() {
            return;
        }
    }
    loop {
        tokio::select! {
            msg = stream.recv() => match msg {
                Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_)))
                    if incoming.as_mut().is_some_and(|l| !l.arrive(Instant::now())) =>
                {
                    too_many = true;
                    break;
                }
                Some(Ok(Message::Text(text))) => {
                    // Logged as it arrives, even if the session ends before it is answered.
                    {
                        let mut st = shared.lock();
                        if st.client_log.len() >= super::state::CLIENT_LOG_CAP {
                            st.client_log.pop_front();
                        }
                        st.client_log.push_back((exchange, text.to_string()));
                    }
                    // Everything that happened before the request goes out before its reply.
                    let mut flow = Flow::Continue;
                    loop {
                        let ev = match rx.try_recv() {
                            Ok(ev) => Ok(ev),
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                            Err(TryRecvError::Closed) => Err(RecvError::Closed),
                        };
                        flow = on_event(ev, &venue, &mut session, &mut sent, &mut close_at).await;
                        if matches!(flow, Flow::Close) {
                            break;
                        }
                    }
                    if matches!(flow, Flow::Close) {
                        break;
                    }
                    let replies = venue.on_text(&text, &shared.lock(), now_ms());
                    let mut ok = true;
                    for r in replies {
                        sent = true;
                        ok &= session.text(r).await.is_ok();
                    }
                    if !ok {
                        break;
                    }
                }
                Some(Ok(Message::Ping(bytes))) => {
                    sent = true;
                    if session.pong(&bytes).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Pong(_))) => last_pong = Instant::now(),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = sleep_until_some(close_at) => break,
            ev = rx.recv() => {
                if let Flow::Close = on_event(ev, &venue, &mut session, &mut sent, &mut close_at).await {
                    break;
                }
            }
            _ = timer.tick() => match timer_kind {
                Timer::Heartbeat(beat) => {
                    if !std::mem::take(&mut sent) && venue.has_subscriptions()
                        && session.text(beat).await.is_err()
                    {
                        break;
                    }
                }
                Timer::Quiet => {}
                Timer::CloseWhenQuiet => {
                    if !std::mem::take(&mut sent) {
                        break;
                    }
                }
                Timer::Ping => {
                    if last_pong.elapsed() > period * 3 {
                        break;
                    }
                    if session.ping(b"marketfeed-sim").await.is_err() {
                        break;
                    }
                }
            },
        }
    }
    let reason = too_many.then(|| actix_ws::CloseReason {
        code: actix_ws::CloseCode::Policy,
        description: Some("Too many incoming messages".into()),
    });
    let _ = session.close(reason).await;
}

async fn replay_loop(
    mut session: actix_ws::Session,
    mut stream: actix_ws::MessageStream,
    mut rx: Receiver<Event>,
    frames: Arc<Vec<String>>,
    pace: Duration,
) {
    use actix_ws::Message;
    let mut timer = tokio::time::interval(pace.max(Duration::from_millis(1)));
    let mut next = 0;
    loop {
        tokio::select! {
            msg = stream.recv() => match msg {
                Some(Ok(Message::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            ev = rx.recv() => if matches!(ev, Ok(Event::Stop | Event::Drop(_)) | Err(_)) {
                break;
            },
            _ = timer.tick() => {
                let Some(f) = frames.get(next) else { break };
                next += 1;
                if session.text(f.clone()).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = session.close(None).await;
}
