//! Binance WebSocket API simulator endpoint.
//!
//! An actix-web server on `127.0.0.1:0` speaking the WS API protocol (protocol reference
//! section 2). It verifies HMAC-SHA256, Ed25519 and RSA signatures with its **own** code path
//! (payload rebuilt from the received params, checked against the configured secret or public
//! key), rejects stale or future timestamps (`-1021`), counts request weight and unfilled
//! orders in calendar-aligned windows, reports them in `rateLimits`, answers 429 (`-1003`,
//! with `retryAfter`) when a limit is exceeded and 418 (IP ban) when the client keeps going
//! during a 429 period, and answers the common methods with realistic payloads.
//!
//! Test knobs: [`WsApiSim::drop_connections`], [`WsApiSim::delay_method`],
//! [`WsApiSim::reorder_next`], [`WsApiSim::force_429`], [`WsApiSim::freeze_connections`],
//! [`WsApiSim::announce_shutdown`], [`WsApiSim::set_clock_offset_ms`],
//! and [`WsApiSim::stats`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use hmac::Mac as _;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, watch};

use crate::wsapi::SharedClock;

mod answers;
mod table;

/// API key of the built-in HMAC test account.
pub const TEST_HMAC_API_KEY: &str =
    "simHmacApiKey0000000000000000000000000000000000000000000000000000";
/// Secret of the built-in HMAC test account.
pub const TEST_HMAC_SECRET: &str =
    "simHmacSecret000000000000000000000000000000000000000000000000000";
/// API key of the built-in Ed25519 test account.
pub const TEST_ED25519_API_KEY: &str =
    "simEd25519ApiKey00000000000000000000000000000000000000000000000";
/// Private key of the built-in Ed25519 test account (the RFC 8032 TEST 1 key, PKCS#8 PEM).
/// Public test data: never use it for a real account.
pub const TEST_ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";
/// Public key of the built-in Ed25519 test account (RFC 8032 TEST 1).
pub const TEST_ED25519_PUBLIC: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

/// A key the simulator accepts, with what it needs to verify signatures.
#[derive(Clone)]
pub enum SimKey {
    /// HMAC secret.
    Hmac(String),
    /// Ed25519 public key.
    Ed25519([u8; 32]),
    /// RSA public key (SPKI PEM).
    RsaPublicPem(String),
}

/// Simulator settings.
#[derive(Clone)]
pub struct WsApiSimConfig {
    /// Server clock (before [`WsApiSim::set_clock_offset_ms`]).
    pub clock: SharedClock,
    /// Accepted API keys.
    pub keys: Vec<(String, SimKey)>,
    /// `REQUEST_WEIGHT` limit per minute.
    pub request_weight_per_minute: u64,
    /// `ORDERS` limit per 10 seconds.
    pub orders_per_10s: u64,
    /// `ORDERS` limit per day.
    pub orders_per_day: u64,
    /// Interval of server pings.
    pub ping_interval: Duration,
    /// Length of a 418 ban.
    pub ban_ms: u64,
    /// Serve wss:// with this identity (see [`SimTls`](super::SimTls)) instead of ws://.
    pub tls: Option<super::SimTls>,
}

impl WsApiSimConfig {
    /// Binance's default limits, 20 s pings, and the built-in HMAC and Ed25519 test keys.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            keys: vec![
                (
                    TEST_HMAC_API_KEY.into(),
                    SimKey::Hmac(TEST_HMAC_SECRET.into()),
                ),
                (
                    TEST_ED25519_API_KEY.into(),
                    SimKey::Ed25519(TEST_ED25519_PUBLIC),
                ),
            ],
            request_weight_per_minute: 6000,
            orders_per_10s: 50,
            orders_per_day: 160_000,
            ping_interval: Duration::from_secs(20),
            ban_ms: 120_000,
            tls: None,
        }
    }
}

/// Counters for assertions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// WebSocket connections accepted.
    pub connections: u64,
    /// Request frames received.
    pub requests: u64,
    /// Methods received, in order.
    pub methods: Vec<String>,
    /// Successful `session.logon`s.
    pub logons: u64,
    /// Pongs received in answer to server pings.
    pub pongs: u64,
    /// Requests accepted with a verified signature.
    pub signatures_ok: u64,
    /// Requests rejected with `-1022`.
    pub signatures_bad: u64,
    /// 429 responses sent.
    pub rejected_429: u64,
    /// 418 responses sent.
    pub rejected_418: u64,
    /// Highest `REQUEST_WEIGHT` count ever reached in a window.
    pub max_weight_count: u64,
    /// Responses sent in reverse order by [`WsApiSim::reorder_next`].
    pub reordered: u64,
}

#[derive(Clone)]
struct SimOrder {
    /// API key of the account that placed it.
    account: String,
    order_list_id: i64,
    symbol: String,
    order_id: u64,
    client_order_id: String,
    price: String,
    orig_qty: String,
    executed_qty: String,
    status: &'static str,
    order_type: String,
    side: String,
    time_in_force: String,
    time: u64,
}

impl SimOrder {
    fn to_json(&self) -> Value {
        json!({
            "symbol": self.symbol, "orderId": self.order_id, "orderListId": self.order_list_id,
            "clientOrderId": self.client_order_id, "price": self.price,
            "origQty": self.orig_qty, "executedQty": self.executed_qty,
            "cummulativeQuoteQty": "0.00000000", "status": self.status,
            "timeInForce": self.time_in_force, "type": self.order_type, "side": self.side,
            "stopPrice": "0.00000000", "icebergQty": "0.00000000", "time": self.time,
            "updateTime": self.time, "isWorking": true, "workingTime": self.time,
            "origQuoteOrderQty": "0.00000000", "selfTradePreventionMode": "EXPIRE_MAKER"
        })
    }
}

#[derive(Default)]
struct Counter {
    start: u64,
    count: u64,
}

impl Counter {
    fn at(&mut self, now: u64, len: u64) -> &mut u64 {
        let start = now - now % len;
        if self.start != start {
            self.start = start;
            self.count = 0;
        }
        &mut self.count
    }
}

#[derive(Default)]
struct Knobs {
    offset_ms: i64,
    force_429: Option<u64>,
    delays: HashMap<String, Duration>,
    reorder: usize,
}

struct State {
    cfg: WsApiSimConfig,
    weight: Counter,
    orders_10s: Counter,
    orders_day: Counter,
    limited_until: u64,
    banned_until: u64,
    next_order_id: u64,
    orders: Vec<SimOrder>,
    lists: Vec<answers::SimList>,
    trades: Vec<Value>,
    amendments: Vec<Value>,
    allocations: Vec<Value>,
    next_list_id: u64,
    next_trade_id: u64,
    /// User data events produced by the request being handled: `(account, event)`.
    outbox: Vec<(String, Value)>,
    stats: SimStats,
    knobs: Knobs,
}

struct Shared {
    state: Mutex<State>,
    /// User data events of every account, to each connection's subscriptions.
    user_tx: tokio::sync::broadcast::Sender<(String, Value)>,
    drop_tx: watch::Sender<u64>,
    freeze_tx: watch::Sender<u64>,
    shutdown_tx: watch::Sender<u64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Per-connection state.
#[derive(Default)]
struct Conn {
    connected_since: u64,
    logged_on: Option<String>,
    authorized_since: Option<u64>,
    /// User data subscriptions: `(subscription id, account, made through the logon)`.
    subs: Vec<(u64, String, bool)>,
    next_sub: u64,
    /// Frames to send on this connection after the response (e.g. `eventStreamTerminated`).
    direct: Vec<Value>,
}

/// A running simulator. Dropping it does not stop the server; call [`WsApiSim::stop`].
#[derive(Clone)]
pub struct WsApiSim {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

impl std::fmt::Debug for WsApiSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsApiSim")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl WsApiSim {
    /// Binds `127.0.0.1:0` and starts serving (call inside an actix system).
    pub fn start(cfg: WsApiSimConfig) -> std::io::Result<Self> {
        let tls = cfg.tls.clone();
        let (drop_tx, _) = watch::channel(0u64);
        let (freeze_tx, _) = watch::channel(0u64);
        let (shutdown_tx, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                cfg,
                weight: Counter::default(),
                orders_10s: Counter::default(),
                orders_day: Counter::default(),
                limited_until: 0,
                banned_until: 0,
                next_order_id: 1,
                orders: Vec::new(),
                lists: Vec::new(),
                trades: Vec::new(),
                amendments: Vec::new(),
                allocations: Vec::new(),
                next_list_id: 1,
                next_trade_id: 1,
                outbox: Vec::new(),
                stats: SimStats::default(),
                knobs: Knobs::default(),
            }),
            user_tx: tokio::sync::broadcast::channel(4096).0,
            drop_tx,
            freeze_tx,
            shutdown_tx,
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/ws-api/v3", web::get().to(ws_route))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1);
        let server = match &tls {
            Some(t) => server.bind_rustls_0_23(("127.0.0.1", 0), t.server_config())?,
            None => server.bind(("127.0.0.1", 0))?,
        };
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_rt::spawn(server);
        Ok(Self {
            addr,
            tls: tls.is_some(),
            shared,
            handle,
        })
    }

    /// The endpoint, `ws://127.0.0.1:PORT/ws-api/v3` (`wss://` with TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}/ws-api/v3", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes every open connection now (requests in flight get no response).
    pub fn drop_connections(&self) {
        self.shared.drop_tx.send_modify(|g| *g += 1);
    }

    /// Makes every open connection go silent (no pings, no responses) while staying open, as
    /// a half-dead TCP connection would. New connections are not affected.
    pub fn freeze_connections(&self) {
        self.shared.freeze_tx.send_modify(|g| *g += 1);
    }

    /// Sends `{"event":{"e":"serverShutdown","E":…}}` on every open connection (the
    /// connections stay open; clients are expected to move).
    pub fn announce_shutdown(&self) {
        self.shared.shutdown_tx.send_modify(|g| *g += 1);
    }

    /// Shifts the server clock by `offset_ms` relative to the configured clock.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.shared.lock().knobs.offset_ms = offset_ms;
    }

    /// The next request is answered 429 (`-1003`) with `retryAfter = now + retry_after_ms`,
    /// starting a rate-limited period (requests during it get 418 and a ban).
    pub fn force_429(&self, retry_after_ms: u64) {
        self.shared.lock().knobs.force_429 = Some(retry_after_ms);
    }

    /// Delays responses to `method` by `delay` (zero removes the delay).
    pub fn delay_method(&self, method: &str, delay: Duration) {
        let mut s = self.shared.lock();
        if delay.is_zero() {
            s.knobs.delays.remove(method);
        } else {
            s.knobs.delays.insert(method.to_owned(), delay);
        }
    }

    /// Holds the next `n` responses of a connection and sends them in reverse order.
    pub fn reorder_next(&self, n: usize) {
        self.shared.lock().knobs.reorder = n;
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.shared.lock().stats.clone()
    }

    /// The `REQUEST_WEIGHT` count of the current minute window, as the next response's
    /// `rateLimits` would report it before that request's own weight.
    pub fn weight_count(&self) -> u64 {
        let mut s = self.shared.lock();
        let now = s.now();
        *s.weight.at(now, 60_000)
    }

    /// The `ORDERS` count of the current 10-second window.
    pub fn orders_count(&self) -> u64 {
        let mut s = self.shared.lock();
        let now = s.now();
        *s.orders_10s.at(now, 10_000)
    }

    /// The methods the simulator serves (its own table, independent of the client's).
    pub fn method_names() -> Vec<&'static str> {
        table::NAMES.to_vec()
    }

    /// The security type of `method` in the simulator's table (`NONE`, `TRADE`,
    /// `USER_DATA`, `USER_STREAM`, `SIGNED`).
    pub fn method_security(method: &str) -> Option<&'static str> {
        table::rule(method).map(|r| r.sec.name())
    }

    /// `(request weight, unfilled orders)` the simulator charges for `method` with `params`.
    pub fn method_cost(method: &str, params: &Map<String, Value>) -> Option<(u64, u64)> {
        table::rule(method).map(|r| ((r.weight)(params), r.orders))
    }

    /// Sends a `balanceUpdate` to every subscription of `account` (API key).
    pub fn balance_update(&self, account: &str, asset: &str, delta: &str) {
        self.push_asset_event("balanceUpdate", account, asset, delta);
    }

    /// Sends an `externalLockUpdate` to every subscription of `account`.
    pub fn external_lock_update(&self, account: &str, asset: &str, delta: &str) {
        self.push_asset_event("externalLockUpdate", account, asset, delta);
    }

    fn push_asset_event(&self, kind: &str, account: &str, asset: &str, delta: &str) {
        let now = self.shared.lock().now();
        let ev = json!({"e": kind, "E": now, "a": asset, "d": delta, "T": now});
        let _ = self.shared.user_tx.send((account.to_owned(), ev));
    }

    /// Changes the `REQUEST_WEIGHT` limit per minute.
    pub fn set_request_weight_limit(&self, limit: u64) {
        self.shared.lock().cfg.request_weight_per_minute = limit;
    }

    /// Stops the server.
    pub async fn stop(&self) {
        self.drop_connections();
        self.handle.stop(false).await;
    }
}

async fn ws_route(
    req: HttpRequest,
    body: web::Payload,
    shared: web::Data<Shared>,
) -> actix_web::Result<HttpResponse> {
    let (resp, session, stream) = actix_ws::handle(&req, body)?;
    let shared = shared.into_inner();
    // Count the connection before the handshake response goes out, so the client never
    // sees a connection the stats do not show yet.
    let now = {
        let mut s = shared.lock();
        s.stats.connections += 1;
        let now = s.now();
        // Connecting costs 2 request weight.
        *s.weight.at(now, 60_000) += 2;
        now
    };
    // Subscribe before the handshake response goes out, so a drop right after the client
    // sees the connection is not missed.
    let mut drop_rx = shared.drop_tx.subscribe();
    drop_rx.borrow_and_update();
    let freeze_gen = *shared.freeze_tx.borrow();
    let mut shutdown_rx = shared.shutdown_tx.subscribe();
    shutdown_rx.borrow_and_update();
    let rx = (drop_rx, shutdown_rx);
    actix_web::rt::spawn(connection(shared, session, stream, rx, freeze_gen, now));
    Ok(resp)
}

async fn connection(
    shared: Arc<Shared>,
    mut session: actix_ws::Session,
    mut stream: actix_ws::MessageStream,
    (mut drop_rx, mut shutdown_rx): (watch::Receiver<u64>, watch::Receiver<u64>),
    freeze_gen: u64,
    now: u64,
) {
    // Checked synchronously on every event, so a request sent right after
    // `freeze_connections` is never answered.
    let frozen = || *shared.freeze_tx.borrow() != freeze_gen;
    let ping_every = shared.lock().cfg.ping_interval;
    let mut conn = Conn {
        connected_since: now,
        ..Conn::default()
    };
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let mut user_rx = shared.user_tx.subscribe();
    let mut held: Vec<String> = Vec::new();
    let mut ping = actix_web::rt::time::interval(ping_every);
    ping.tick().await;
    loop {
        tokio::select! {
            msg = stream.recv() => {
                let Some(Ok(msg)) = msg else { break };
                match msg {
                    _ if frozen() => {}
                    actix_ws::Message::Text(text) => {
                        let (out, delay, events, hold) = {
                            let mut s = shared.lock();
                            let (resp, method) = s.handle_request(&mut conn, &text);
                            let delay = method.as_deref().and_then(|m| s.knobs.delays.get(m).copied());
                            for ev in s.outbox.drain(..) {
                                let _ = shared.user_tx.send(ev);
                            }
                            let events = std::mem::take(&mut conn.direct);
                            let hold = if s.knobs.reorder > 0 { s.knobs.reorder } else { 0 };
                            (resp.to_string(), delay, events, hold)
                        };
                        if let Some(d) = delay {
                            let tx = out_tx.clone();
                            actix_web::rt::spawn(async move {
                                actix_web::rt::time::sleep(d).await;
                                let _ = tx.send(out);
                            });
                        } else if hold > 0 {
                            held.push(out);
                            if held.len() >= hold {
                                {
                                    let mut s = shared.lock();
                                    s.knobs.reorder = 0;
                                    s.stats.reordered += held.len() as u64;
                                }
                                for o in held.drain(..).rev() {
                                    if session.text(o).await.is_err() { return; }
                                }
                            }
                        } else if session.text(out).await.is_err() {
                            return;
                        }
                        for e in events {
                            if session.text(e.to_string()).await.is_err() { return; }
                        }
                    }
                    actix_ws::Message::Ping(p) => { let _ = session.pong(&p).await; }
                    actix_ws::Message::Pong(_) => shared.lock().stats.pongs += 1,
                    actix_ws::Message::Close(_) => break,
                    _ => {}
                }
            }
            Some(out) = out_rx.recv() => {
                if frozen() { continue; }
                if session.text(out).await.is_err() { return; }
            }
            ev = user_rx.recv() => {
                let Ok((account, event)) = ev else { continue };
                if frozen() { continue; }
                for (id, _, _) in conn.subs.iter().filter(|(_, a, _)| *a == account) {
                    let frame = json!({"subscriptionId": id, "event": event}).to_string();
                    if session.text(frame).await.is_err() { return; }
                }
            }
            _ = ping.tick() => {
                if !frozen() && session.ping(b"sim").await.is_err() { return; }
            }
            _ = shutdown_rx.changed() => {
                let now = shared.lock().now();
                let ev = json!({"event": {"e": "serverShutdown", "E": now}}).to_string();
                if session.text(ev).await.is_err() { return; }
            }
            _ = drop_rx.changed() => break,
        }
    }
    let _ = session.close(None).await;
}

fn err(id: &Value, status: u16, code: i64, msg: &str) -> Value {
    json!({"id": id, "status": status, "error": {"code": code, "msg": msg}})
}

/// Rebuilds the signature payload from received params (independent of the client's signer).
fn payload_of(params: &Map<String, Value>) -> String {
    let mut keys: Vec<&String> = params.keys().filter(|k| *k != "signature").collect();
    keys.sort();
    keys.iter()
        .map(|k| match &params[k.as_str()] {
            Value::String(s) => format!("{k}={s}"),
            v => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn verify(key: &SimKey, payload: &[u8], signature: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    match key {
        SimKey::Hmac(secret) => {
            let Ok(sig) = hex::decode(signature.to_ascii_lowercase()) else {
                return false;
            };
            let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
                return false;
            };
            mac.update(payload);
            mac.verify_slice(&sig).is_ok()
        }
        SimKey::Ed25519(public) => {
            let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(public) else {
                return false;
            };
            let Ok(sig) = b64.decode(signature) else {
                return false;
            };
            let Ok(sig) = ed25519_dalek::Signature::from_slice(&sig) else {
                return false;
            };
            vk.verify_strict(payload, &sig).is_ok()
        }
        SimKey::RsaPublicPem(pem) => {
            use rsa::pkcs8::DecodePublicKey;
            use rsa::signature::Verifier;
            let Ok(pk) = rsa::RsaPublicKey::from_public_key_pem(pem) else {
                return false;
            };
            let vk = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(pk);
            let Ok(sig) = b64.decode(signature) else {
                return false;
            };
            let Ok(sig) = rsa::pkcs1v15::Signature::try_from(sig.as_slice()) else {
                return false;
            };
            vk.verify(payload, &sig).is_ok()
        }
    }
}

const PRICES: &[(&str, &str)] = &[
    ("BTCUSDT", "52000.00000000"),
    ("ETHUSDT", "2800.00000000"),
    ("BNBBTC", "0.01361900"),
];

impl State {
    fn now(&self) -> u64 {
        (self.cfg.clock.now_ms() as i64 + self.knobs.offset_ms).max(0) as u64
    }

    fn rate_limits(&mut self, now: u64, orders: bool) -> Value {
        let w = *self.weight.at(now, 60_000);
        let mut v = vec![
            json!({"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,
            "limit": self.cfg.request_weight_per_minute,"count": w}),
        ];
        if orders {
            let o10 = *self.orders_10s.at(now, 10_000);
            let od = *self.orders_day.at(now, 86_400_000);
            v.push(
                json!({"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,
                "limit": self.cfg.orders_per_10s,"count": o10}),
            );
            v.push(
                json!({"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,
                "limit": self.cfg.orders_per_day,"count": od}),
            );
        }
        Value::Array(v)
    }

    fn limit_error(
        &mut self,
        id: &Value,
        status: u16,
        code: i64,
        msg: &str,
        until: u64,
        now: u64,
    ) -> Value {
        if status == 429 {
            self.stats.rejected_429 += 1;
        } else {
            self.stats.rejected_418 += 1;
        }
        let mut e = err(id, status, code, msg);
        e["error"]["data"] = json!({"serverTime": now, "retryAfter": until});
        e
    }

    /// Handles one request frame; returns the response and the method name.
    fn handle_request(&mut self, conn: &mut Conn, text: &str) -> (Value, Option<String>) {
        let now = self.now();
        self.stats.requests += 1;
        let Ok(req) = serde_json::from_str::<Value>(text) else {
            return (err(&Value::Null, 400, -1000, "Malformed request."), None);
        };
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        let Some(method) = req
            .get("method")
            .and_then(Value::as_str)
            .map(|m| m.trim_start_matches("v3/").to_owned())
        else {
            return (
                err(
                    &id,
                    400,
                    -1102,
                    "Mandatory parameter 'method' was not sent.",
                ),
                None,
            );
        };
        self.stats.methods.push(method.clone());
        let params = req
            .get("params")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();

        // Bans and limits.
        if now < self.banned_until {
            let until = self.banned_until;
            let msg = format!("Way too much request weight used; IP banned until {until}. Please use WebSocket Streams for live updates to avoid bans.");
            return (
                self.limit_error(&id, 418, -1003, &msg, until, now),
                Some(method),
            );
        }
        if now < self.limited_until {
            self.banned_until = now + self.cfg.ban_ms;
            let until = self.banned_until;
            let msg = format!("Way too much request weight used; IP banned until {until}. Please use WebSocket Streams for live updates to avoid bans.");
            return (
                self.limit_error(&id, 418, -1003, &msg, until, now),
                Some(method),
            );
        }
        if let Some(after) = self.knobs.force_429.take() {
            self.limited_until = now + after;
            let until = self.limited_until;
            let msg = "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.";
            return (
                self.limit_error(&id, 429, -1003, msg, until, now),
                Some(method),
            );
        }
        let Some(rule) = table::rule(&method) else {
            return (
                err(&id, 400, -1100, &format!("Unknown method '{method}'.")),
                Some(method),
            );
        };
        let (weight, orders) = ((rule.weight)(&params), rule.orders);
        let limit = self.cfg.request_weight_per_minute;
        let count = self.weight.at(now, 60_000);
        if *count + weight > limit {
            self.limited_until = now - now % 60_000 + 60_000;
            let until = self.limited_until;
            let msg = format!("Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.");
            return (
                self.limit_error(&id, 429, -1003, &msg, until, now),
                Some(method),
            );
        }
        *count += weight;
        self.stats.max_weight_count = self.stats.max_weight_count.max(*count);
        if orders > 0 {
            let o10 = *self.orders_10s.at(now, 10_000);
            let od = *self.orders_day.at(now, 86_400_000);
            if o10 + orders > self.cfg.orders_per_10s || od + orders > self.cfg.orders_per_day {
                let until = now - now % 10_000 + 10_000;
                let msg = format!(
                    "Too many new orders; current limit is {} orders per 10 SECOND.",
                    self.cfg.orders_per_10s
                );
                let mut e = self.limit_error(&id, 429, -1015, &msg, until, now);
                e["rateLimits"] = self.rate_limits(now, true);
                return (e, Some(method));
            }
        }

        let mut resp = match self.authenticate(conn, rule.sec, &method, &params, now) {
            Err((status, code, msg)) => err(&id, status, code, &msg),
            Ok(key) => match self.dispatch(conn, &method, &params, key, now) {
                Ok(result) => json!({"id": id, "status": 200, "result": result}),
                Err((status, code, msg)) => err(&id, status, code, &msg),
            },
        };
        if orders > 0 && resp["status"] == 200 {
            *self.orders_10s.at(now, 10_000) += orders;
            *self.orders_day.at(now, 86_400_000) += orders;
        }
        resp["rateLimits"] = self.rate_limits(now, orders > 0);
        (resp, Some(method))
    }

    /// Checks `timestamp` and the signature (or the session logon) of SIGNED methods.
    /// Returns the authenticated API key.
    #[allow(clippy::type_complexity)]
    fn authenticate(
        &mut self,
        conn: &Conn,
        sec: table::Sec,
        method: &str,
        p: &Map<String, Value>,
        now: u64,
    ) -> Result<Option<String>, (u16, i64, String)> {
        match sec {
            table::Sec::Public => return Ok(None),
            // `userDataStream.subscribe` rides on the logon; no parameters.
            table::Sec::UserStream if method == "userDataStream.subscribe" => {
                return match &conn.logged_on {
                    Some(k) => Ok(Some(k.clone())),
                    None => Err((
                        400,
                        -2015,
                        "Invalid API-key, IP, or permissions for action.".into(),
                    )),
                };
            }
            _ => {}
        }
        // SIGNED and signature subscriptions always carry their own key and signature.
        let needs_own_signature =
            method == "session.logon" || method == "userDataStream.subscribe.signature";
        let ts =
            match p.get("timestamp").and_then(Value::as_u64) {
                Some(ts) => ts,
                None => return Err((
                    400,
                    -1102,
                    "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
                        .into(),
                )),
            };
        let recv_window = p.get("recvWindow").and_then(Value::as_u64).unwrap_or(5000);
        if ts >= now + 1000 {
            return Err((
                400,
                -1021,
                "Timestamp for this request was 1000ms ahead of the server's time.".into(),
            ));
        }
        if now.saturating_sub(ts) > recv_window {
            return Err((
                400,
                -1021,
                "Timestamp for this request is outside of the recvWindow.".into(),
            ));
        }
        let api_key = p.get("apiKey").and_then(Value::as_str);
        let signature = p.get("signature").and_then(Value::as_str);
        match (api_key, signature) {
            (None, None) if !needs_own_signature => match &conn.logged_on {
                Some(k) => Ok(Some(k.clone())),
                None => Err((
                    400,
                    -1102,
                    "Mandatory parameter 'apiKey' was not sent, was empty/null, or malformed."
                        .into(),
                )),
            },
            (Some(k), Some(sig)) => {
                let Some((_, key)) = self.cfg.keys.iter().find(|(name, _)| name == k) else {
                    return Err((
                        401,
                        -2015,
                        "Invalid API-key, IP, or permissions for action.".into(),
                    ));
                };
                if verify(key, payload_of(p).as_bytes(), sig) {
                    self.stats.signatures_ok += 1;
                    Ok(Some(k.to_owned()))
                } else {
                    self.stats.signatures_bad += 1;
                    Err((
                        400,
                        -1022,
                        "Signature for this request is not valid.".into(),
                    ))
                }
            }
            _ => Err((
                400,
                -1102,
                "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
                    .into(),
            )),
        }
    }

    fn session_info(&self, conn: &Conn, now: u64) -> Value {
        json!({"apiKey": conn.logged_on, "authorizedSince": conn.authorized_since,
            "connectedSince": conn.connected_since, "returnRateLimits": true, "serverTime": now,
            "userDataStream": !conn.subs.is_empty()})
    }

    #[allow(clippy::type_complexity)]
    fn dispatch(
        &mut self,
        conn: &mut Conn,
        method: &str,
        p: &Map<String, Value>,
        key: Option<String>,
        now: u64,
    ) -> Result<Value, (u16, i64, String)> {
        let symbol = p.get("symbol").and_then(Value::as_str);
        let known = |s: Option<&str>| -> Result<&'static str, (u16, i64, String)> {
            let s = s.ok_or((
                400,
                -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
                    .to_owned(),
            ))?;
            PRICES
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(n, _)| *n)
                .ok_or((400, -1121, "Invalid symbol.".to_owned()))
        };
        let price_of = |s: &str| {
            PRICES
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, p)| *p)
                .unwrap_or("0")
        };
        match method {
            "ping" => Ok(json!({})),
            "time" => Ok(json!({"serverTime": now})),
            "exchangeInfo" => {
                let symbols: Vec<Value> = PRICES
                    .iter()
                    .filter(|(n, _)| symbol.is_none_or_eq(n))
                    .map(|(n, _)| {
                        let (base, quote) = n.split_at(n.len() - if n.ends_with("USDT") { 4 } else { 3 });
                        json!({"symbol": n, "status": "TRADING", "baseAsset": base, "baseAssetPrecision": 8,
                            "quoteAsset": quote, "quotePrecision": 8, "orderTypes": ["LIMIT","LIMIT_MAKER","MARKET"],
                            "isSpotTradingAllowed": true, "permissions": [], "filters": []})
                    })
                    .collect();
                Ok(json!({"timezone": "UTC", "serverTime": now,
                    "rateLimits": [
                        {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":self.cfg.request_weight_per_minute},
                        {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":self.cfg.orders_per_10s},
                        {"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":self.cfg.orders_per_day},
                        {"rateLimitType":"CONNECTIONS","interval":"MINUTE","intervalNum":5,"limit":300}],
                    "exchangeFilters": [], "symbols": symbols}))
            }
            "depth" => {
                let s = known(symbol)?;
                let mid: f64 = price_of(s).parse().unwrap_or(1.0);
                let limit = p
                    .get("limit")
                    .and_then(Value::as_u64)
                    .unwrap_or(100)
                    .min(20) as usize;
                let tick = mid / 10_000.0;
                let lvl = |i: usize, sign: f64| {
                    json!([
                        format!("{:.8}", mid + sign * tick * (i as f64 + 1.0)),
                        format!("{:.8}", 0.5 + i as f64)
                    ])
                };
                Ok(json!({"lastUpdateId": 1_027_024 + now / 1000,
                    "bids": (0..limit).map(|i| lvl(i, -1.0)).collect::<Vec<_>>(),
                    "asks": (0..limit).map(|i| lvl(i, 1.0)).collect::<Vec<_>>()}))
            }
            "ticker.price" => match symbol {
                Some(_) => {
                    let s = known(symbol)?;
                    Ok(json!({"symbol": s, "price": price_of(s)}))
                }
                None => Ok(Value::Array(
                    PRICES
                        .iter()
                        .map(|(n, p)| json!({"symbol": n, "price": p}))
                        .collect(),
                )),
            },
            "account.status" => Ok(json!({
                "makerCommission": 15, "takerCommission": 15, "buyerCommission": 0, "sellerCommission": 0,
                "canTrade": true, "canWithdraw": true, "canDeposit": true,
                "commissionRates": {"maker":"0.00150000","taker":"0.00150000","buyer":"0.00000000","seller":"0.00000000"},
                "brokered": false, "requireSelfTradePrevention": false, "preventSor": false,
                "updateTime": now, "accountType": "SPOT",
                "balances": [{"asset":"BTC","free":"1.00000000","locked":"0.00000000"},
                             {"asset":"USDT","free":"10000.00000000","locked":"0.00000000"}],
                "permissions": ["SPOT"], "uid": 354937868})),
            "order.test" | "order.place" => {
                let s = known(symbol)?;
                let get = |k: &str| p.get(k).and_then(Value::as_str);
                let side = get("side").filter(|v| *v == "BUY" || *v == "SELL");
                let typ = get("type");
                let (Some(side), Some(typ)) = (side, typ) else {
                    return Err((400, -1102, "Mandatory parameter 'side' or 'type' was not sent, was empty/null, or malformed.".into()));
                };
                let qty = get("quantity").unwrap_or("0");
                let price = match typ {
                    "LIMIT" | "LIMIT_MAKER" => {
                        if (typ == "LIMIT" && get("timeInForce").is_none())
                            || get("price").is_none()
                            || get("quantity").is_none()
                        {
                            return Err((400, -1102, "Mandatory parameter 'timeInForce', 'price' or 'quantity' was not sent.".into()));
                        }
                        get("price").unwrap_or("0")
                    }
                    "MARKET" => price_of(s),
                    _ => return Err((400, -1116, "Invalid orderType.".into())),
                };
                if qty.parse::<f64>().unwrap_or(0.0) > 1000.0 {
                    return Err((
                        400,
                        -2010,
                        "Account has insufficient balance for requested action.".into(),
                    ));
                }
                if method == "order.test" {
                    return Ok(Self::test_result(p));
                }
                let order_id = self.next_order_id;
                self.next_order_id += 1;
                let order = SimOrder {
                    account: key.clone().unwrap_or_default(),
                    order_list_id: -1,
                    symbol: s.into(),
                    order_id,
                    client_order_id: get("newClientOrderId")
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("sim{order_id:016}")),
                    price: price.into(),
                    orig_qty: qty.into(),
                    executed_qty: if typ == "MARKET" {
                        qty.into()
                    } else {
                        "0.00000000".into()
                    },
                    status: if typ == "MARKET" { "FILLED" } else { "NEW" },
                    order_type: typ.into(),
                    side: side.into(),
                    time_in_force: get("timeInForce").unwrap_or("GTC").into(),
                    time: now,
                };
                let mut v = order.to_json();
                v["transactTime"] = now.into();
                self.order_events(&order, "NEW", now);
                if order.status == "FILLED" {
                    self.record_fill(&order, now);
                    self.order_events(&order, "TRADE", now);
                }
                self.orders.push(order);
                Ok(v)
            }
            "order.status" | "order.cancel" => {
                let s = known(symbol)?;
                let oid = p.get("orderId").and_then(Value::as_u64);
                let cid = p.get("origClientOrderId").and_then(Value::as_str);
                let found = self.orders.iter_mut().find(|o| {
                    o.symbol == s
                        && (Some(o.order_id) == oid || Some(o.client_order_id.as_str()) == cid)
                });
                match (found, method) {
                    (None, "order.status") => Err((400, -2013, "Order does not exist.".into())),
                    (None, _) => Err((400, -2011, "Unknown order sent.".into())),
                    (Some(o), "order.status") => Ok(o.to_json()),
                    (Some(o), _) if o.status != "NEW" => {
                        Err((400, -2011, "Unknown order sent.".into()))
                    }
                    (Some(o), _) => {
                        o.status = "CANCELED";
                        let mut v = o.to_json();
                        v["origClientOrderId"] = v["clientOrderId"].clone();
                        v["transactTime"] = now.into();
                        let o = o.clone();
                        self.order_events(&o, "CANCELED", now);
                        Ok(v)
                    }
                }
            }
            "openOrders.status" => Ok(Value::Array(
                self.orders
                    .iter()
                    .filter(|o| o.status == "NEW" && symbol.is_none_or_eq(&o.symbol.as_str()))
                    .map(SimOrder::to_json)
                    .collect(),
            )),
            "session.logon" => {
                let key = key.unwrap_or_default();
                let is_ed = self
                    .cfg
                    .keys
                    .iter()
                    .any(|(n, k)| *n == key && matches!(k, SimKey::Ed25519(_)));
                if !is_ed {
                    return Err((
                        400,
                        -4002,
                        "Session logon requires an Ed25519 API key.".into(),
                    ));
                }
                conn.logged_on = Some(key);
                conn.authorized_since = Some(now);
                self.stats.logons += 1;
                Ok(self.session_info(conn, now))
            }
            "session.status" => Ok(self.session_info(conn, now)),
            "session.logout" => {
                conn.logged_on = None;
                conn.authorized_since = None;
                // Ends the logon's subscription only, not those made by signature.
                let ended: Vec<u64> = conn.subs.iter().filter(|s| s.2).map(|s| s.0).collect();
                conn.subs.retain(|s| !s.2);
                for id in ended {
                    conn.direct.push(json!({"subscriptionId": id,
                        "event": {"e": "eventStreamTerminated", "E": now}}));
                }
                Ok(self.session_info(conn, now))
            }
            "userDataStream.subscribe" | "userDataStream.subscribe.signature" => {
                let account = key.unwrap_or_default();
                if conn.subs.iter().any(|s| s.1 == account) {
                    return Err((
                        400,
                        -2035,
                        "User Data Stream subscription already active.".into(),
                    ));
                }
                let id = conn.next_sub;
                conn.next_sub += 1;
                conn.subs
                    .push((id, account, method == "userDataStream.subscribe"));
                Ok(json!({"subscriptionId": id}))
            }
            "userDataStream.unsubscribe" => {
                let which = p.get("subscriptionId").and_then(Value::as_u64);
                let ended: Vec<u64> = conn
                    .subs
                    .iter()
                    .map(|s| s.0)
                    .filter(|id| which.is_none_or(|w| w == *id))
                    .collect();
                if which.is_some() && ended.is_empty() {
                    return Err((
                        400,
                        -2036,
                        "User Data Stream subscription not active.".into(),
                    ));
                }
                conn.subs.retain(|s| !ended.contains(&s.0));
                for id in ended {
                    conn.direct.push(json!({"subscriptionId": id,
                        "event": {"e": "eventStreamTerminated", "E": now}}));
                }
                Ok(json!({}))
            }
            "session.subscriptions" => Ok(Value::Array(
                conn.subs
                    .iter()
                    .map(|s| json!({"subscriptionId": s.0}))
                    .collect(),
            )),
            _ => self.answer(conn, method, p, key, now),
        }
    }
}

trait OptEq {
    fn is_none_or_eq(&self, other: &&str) -> bool;
}

impl OptEq for Option<&str> {
    fn is_none_or_eq(&self, other: &&str) -> bool {
        match self {
            None => true,
            Some(s) => s == other,
        }
    }
}
