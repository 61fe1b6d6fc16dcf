//! The session actor (a thin shell owning the socket, timers and mailbox) and the cloneable
//! [`WsApiClient`] handle.
//!
//! The actor calls the pure parts: [`sign`](super::sign) for payloads,
//! [`RateLimiter`] for limits, [`PendingTable`] for correlation and the crate's one
//! [`Backoff`] for the reconnect schedule. Time for timestamps and rate-limit windows comes from the injected
//! [`Clock`](super::Clock); request timeouts and heartbeats use the runtime's timers.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::io::{SinkWrite, WriteHandler};
use actix::prelude::*;
use awc::error::WsProtocolError;
use awc::ws::{Frame, Message as WsMessage};
use futures_util::{Sink, Stream, StreamExt as _};
use serde_json::Value;
use tokio::sync::{broadcast, oneshot, watch};

use super::calls::Method;
use super::clock::{SharedClock, SystemClock};
use super::credentials::{redact, Credentials};
use super::error::{CredentialsError, WsApiError};
use super::events::{UserDataEvent, UserEvent};
use super::limits::{Cost, LimitUsage, RateLimitKind, RateLimiter};
use super::methods::{method_info, method_spec, Security};
use super::protocol::{parse_incoming, IdGenerator, Incoming, PendingTable, Request, Response};
use super::sign::{sign_params, Auth, KeyType, Params};
use crate::backoff::{unit_jitter, Backoff, SplitMix64};

/// Production endpoint.
pub const PRODUCTION_URL: &str = "wss://ws-api.binance.com:443/ws-api/v3";
/// Testnet endpoint.
pub const TESTNET_URL: &str = "wss://ws-api.testnet.binance.vision/ws-api/v3";

/// Session settings.
#[derive(Clone)]
pub struct WsApiConfig {
    /// Endpoint URL (`ws://` or `wss://`).
    pub url: String,
    /// Credentials for SIGNED methods; `None` allows public methods only.
    pub credentials: Option<Credentials>,
    /// How long a request may wait for its response (including while reconnecting).
    pub request_timeout: Duration,
    /// `recvWindow` added to signed requests (`None`: server default 5000 ms).
    pub recv_window_ms: Option<u64>,
    /// Wall clock for timestamps and rate-limit windows.
    pub clock: SharedClock,
    /// First reconnect delay.
    pub reconnect_base: Duration,
    /// Largest reconnect delay.
    pub reconnect_cap: Duration,
    /// Reconnect when the server sent nothing (not even a ping) for this long.
    pub idle_timeout: Duration,
    /// Log on with `session.logon` after every (re)connect when the key is Ed25519.
    pub logon: bool,
    /// Timeout of the WebSocket handshake.
    pub connect_timeout: Duration,
    /// After each connect, call `time` and correct request timestamps (and rate-limit
    /// windows) by the measured server clock offset, avoiding `-1021` with a skewed local
    /// clock. Costs weight 1 and one round trip per connect. Off by default.
    pub sync_time: bool,
    /// Extra trust anchors and host overrides (see [`WsApiConfig::root_certificate`] and
    /// [`WsApiConfig::resolve`]), shared with the market-data engine's TLS client.
    pub net: crate::net::NetOptions,
}

impl std::fmt::Debug for WsApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsApiConfig")
            .field("url", &self.url)
            .field("credentials", &self.credentials)
            .field("request_timeout", &self.request_timeout)
            .field("recv_window_ms", &self.recv_window_ms)
            .field("logon", &self.logon)
            .field("sync_time", &self.sync_time)
            .field("net", &self.net)
            .finish_non_exhaustive()
    }
}

impl WsApiConfig {
    /// Settings for `url` with defaults: 10 s request timeout, system clock, backoff
    /// 250 ms..30 s, 60 s idle timeout, logon for Ed25519 keys.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            credentials: None,
            request_timeout: Duration::from_secs(10),
            recv_window_ms: None,
            clock: Arc::new(SystemClock),
            reconnect_base: Duration::from_millis(250),
            reconnect_cap: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            logon: true,
            connect_timeout: Duration::from_secs(10),
            sync_time: false,
            net: crate::net::NetOptions::default(),
        }
    }

    /// Trusts the certificates in `pem` in addition to the webpki roots (a test CA, a
    /// TLS-inspecting proxy). A PEM without a usable certificate fails `connect`.
    pub fn root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.net.add_root_pem_later(pem);
        self
    }

    /// Connects to `addr` whenever the URL names `host:port` (curl's `--resolve`); the URL,
    /// SNI, certificate check and Host header are unchanged.
    pub fn resolve(mut self, host: &str, port: u16, addr: std::net::SocketAddr) -> Self {
        self.net.resolve_later(host, port, addr);
        self
    }

    /// The production endpoint.
    pub fn production() -> Self {
        Self::new(PRODUCTION_URL)
    }

    /// The testnet endpoint.
    pub fn testnet() -> Self {
        Self::new(TESTNET_URL)
    }

    /// With credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// With a clock.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// With a request timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
}

/// Operational status of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionStatus {
    /// Stopped; no requests accepted.
    Stopped,
    /// Connecting or logging on; requests wait (up to their timeout).
    Connecting,
    /// Connected and accepting requests.
    Ready,
    /// Connected, but a limit is exhausted or the server imposed a 429/418 period: requests
    /// are refused locally until `until` (epoch ms, session clock).
    OutOfService {
        /// End of the period.
        until: u64,
    },
}

/// A snapshot of the session's state, as a value ([`WsApiClient::state`]) or a stream
/// ([`WsApiClient::state_stream`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    /// Operational status.
    pub status: ConnectionStatus,
    /// Whether an order could be placed now (ready, credentials present, within `ORDERS` and
    /// `REQUEST_WEIGHT` limits).
    pub orders_allowed: bool,
    /// Whether the connection is logged on (`session.logon`).
    pub logged_on: bool,
    /// Rate-limit usage as last known.
    pub usage: Vec<LimitUsage>,
    /// Number of reconnects so far.
    pub reconnects: u64,
}

impl SessionState {
    fn initial() -> Self {
        Self {
            status: ConnectionStatus::Connecting,
            orders_allowed: false,
            logged_on: false,
            usage: Vec::new(),
            reconnects: 0,
        }
    }

    /// Usage of `kind` with the shortest window, if known.
    pub fn usage_of(&self, kind: RateLimitKind) -> Option<&LimitUsage> {
        self.usage
            .iter()
            .filter(|u| u.kind == kind)
            .min_by_key(|u| u.window_ms)
    }
}

type Reply = oneshot::Sender<Result<Value, WsApiError>>;

/// Actor message: perform one request.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Call {
    /// Method name.
    pub method: String,
    /// Parameters.
    pub params: Option<Params>,
    /// Security and cost (from the method table unless given).
    pub info: Option<(Security, Cost)>,
    /// Sign with these credentials instead of the session's (`apiKey` + `signature` in the
    /// request), e.g. `userDataStream.subscribe.signature` for another account.
    pub credentials: Option<Credentials>,
    /// Where the outcome goes.
    pub reply: Reply,
}

/// Actor message: stop the session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Stop;

enum WaiterKind {
    User(Reply),
    Logon,
    TimeSync,
    /// Resubscription of the account's stream (its API key) after a reconnect.
    Resubscribe(String),
}

struct Waiter {
    kind: WaiterKind,
    method: String,
    sent_ms: u64,
    /// What a successful user call changes in the subscription registry.
    effect: SubEffect,
}

/// How a user call changes the user data subscriptions the session keeps.
enum SubEffect {
    None,
    /// `userDataStream.subscribe` (logged-on account) or `.signature` with these credentials.
    Subscribe(Option<Credentials>),
    /// `userDataStream.unsubscribe` of one id, or of all.
    Unsubscribe(Option<u64>),
    /// `session.logout`: ends the logged-on account's subscription.
    Logout,
}

/// A user data subscription the session renews after every reconnect.
struct UserSub {
    /// API key of the account.
    account: String,
    /// `None`: through the logged-on session; `Some`: by signature with these credentials.
    creds: Option<Credentials>,
    /// The server's id on the current connection.
    id: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Syncing,
    LoggingOn,
    Ready,
    Stopped,
}

enum WsEvent {
    Frame(u64, Result<Frame, WsProtocolError>),
    Closed(u64),
}

type WsSink = Pin<Box<dyn Sink<WsMessage, Error = WsProtocolError>>>;

/// The session actor. Use it through [`WsApiClient`]; the `Addr` is available via
/// [`WsApiClient::addr`] for embedding.
pub struct SessionActor {
    cfg: WsApiConfig,
    /// The TLS client configuration (built once from `cfg.net`).
    transport: crate::net::Transport,
    ids: IdGenerator,
    limiter: RateLimiter,
    pending: PendingTable<Waiter>,
    queue: VecDeque<(u64, Call)>,
    sink: Option<SinkWrite<WsMessage, WsSink>>,
    gen: u64,
    phase: Phase,
    attempt: u32,
    reconnects: u64,
    jitter: SplitMix64,
    logged_on: bool,
    /// The server announced `serverShutdown`: new requests wait, and once the in-flight ones
    /// are answered the session moves to a new connection.
    draining: bool,
    /// Server clock minus local clock, measured by the time sync.
    time_offset_ms: i64,
    started: Instant,
    last_frame: Instant,
    first_ready: Option<oneshot::Sender<Result<(), WsApiError>>>,
    state_tx: watch::Sender<SessionState>,
    events_tx: broadcast::Sender<Value>,
    typed_tx: broadcast::Sender<UserEvent>,
    subs: Vec<UserSub>,
}

impl SessionActor {
    fn mono_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Session time: the clock corrected by the measured server offset (0 unless
    /// [`WsApiConfig::sync_time`]).
    fn now_ms(&self) -> u64 {
        (self.cfg.clock.now_ms() as i64 + self.time_offset_ms).max(0) as u64
    }

    fn wants_logon(&self) -> bool {
        self.cfg.logon
            && self
                .cfg
                .credentials
                .as_ref()
                .is_some_and(|c| c.key_type() == KeyType::Ed25519)
    }

    fn publish(&self) {
        let now = self.now_ms();
        let status = match self.phase {
            Phase::Stopped => ConnectionStatus::Stopped,
            Phase::Connecting | Phase::Syncing | Phase::LoggingOn => ConnectionStatus::Connecting,
            Phase::Ready => match self.limiter.blocked(now) {
                Some(b) => ConnectionStatus::OutOfService { until: b.until() },
                None => ConnectionStatus::Ready,
            },
        };
        let state = SessionState {
            status,
            orders_allowed: self.phase == Phase::Ready
                && self.cfg.credentials.is_some()
                && self.limiter.orders_allowed(now),
            logged_on: self.logged_on,
            usage: self.limiter.usage(now),
            reconnects: self.reconnects,
        };
        self.state_tx.send_if_modified(|s| {
            if *s != state {
                *s = state;
                true
            } else {
                false
            }
        });
    }

    fn connect(&mut self, ctx: &mut Context<Self>) {
        self.phase = Phase::Connecting;
        self.gen += 1;
        let gen = self.gen;
        let url = self.cfg.url.clone();
        let timeout = self.cfg.connect_timeout;
        let transport = self.transport.clone();
        tracing::debug!(%url, gen, "wsapi: connecting");
        let fut = async move {
            let client = transport.client(timeout);
            client
                .ws(url.as_str())
                .max_frame_size(16 << 20)
                .connect()
                .await
                .map_err(|e| crate::net::classify_ws_error(&url, &e))
        };
        ctx.spawn(fut.into_actor(self).map(move |res, act, ctx| {
            if gen != act.gen || act.phase == Phase::Stopped {
                return;
            }
            match res {
                Ok((_resp, framed)) => act.on_connected(gen, framed, ctx),
                Err(e) => {
                    tracing::warn!(error = %e.reason, terminal = e.terminal, "wsapi: connect failed");
                    let err = if e.terminal {
                        WsApiError::Config(e.reason)
                    } else {
                        WsApiError::Protocol(e.reason)
                    };
                    if let Some(tx) = act.first_ready.take() {
                        let _ = tx.send(Err(err));
                        act.shutdown(ctx);
                    } else {
                        act.schedule_reconnect(ctx);
                    }
                }
            }
        }));
        self.publish();
    }

    fn on_connected<F>(&mut self, gen: u64, framed: F, ctx: &mut Context<Self>)
    where
        F: Sink<WsMessage, Error = WsProtocolError>
            + Stream<Item = Result<Frame, WsProtocolError>>
            + 'static,
    {
        let (sink, stream) = framed.split();
        let sink: WsSink = Box::pin(sink);
        self.sink = Some(SinkWrite::new(sink, ctx));
        ctx.add_stream(stream.map(move |f| WsEvent::Frame(gen, f)).chain(
            futures_util::stream::once(async move { WsEvent::Closed(gen) }),
        ));
        self.last_frame = Instant::now();
        // Connecting costs 2 request weight (section 2.1).
        self.limiter.record(
            Cost {
                weight: 2,
                orders: 0,
            },
            self.now_ms(),
        );
        tracing::info!(url = %self.cfg.url, "wsapi: connected");
        if self.cfg.sync_time {
            self.phase = Phase::Syncing;
            self.send_internal("time", Params::new(), WaiterKind::TimeSync, 1);
        } else {
            self.logon_or_ready(ctx);
        }
        self.publish();
    }

    fn logon_or_ready(&mut self, ctx: &mut Context<Self>) {
        if self.wants_logon() {
            self.phase = Phase::LoggingOn;
            self.send_logon();
        } else {
            self.on_ready(ctx);
        }
    }

    /// `time` answered (or failed): estimate the server clock offset from the midpoint of
    /// the round trip, then continue with logon.
    fn on_time_sync(
        &mut self,
        outcome: Result<Value, WsApiError>,
        sent_ms: u64,
        ctx: &mut Context<Self>,
    ) {
        match outcome.map(|v| v.get("serverTime").and_then(Value::as_u64)) {
            Ok(Some(server_time)) => {
                let mid = (sent_ms + self.now_ms()) / 2;
                self.time_offset_ms += server_time as i64 - mid as i64;
                tracing::info!(
                    offset_ms = self.time_offset_ms,
                    "wsapi: server clock offset"
                );
            }
            Ok(None) => tracing::warn!("wsapi: time result without serverTime"),
            Err(e) => tracing::warn!(error = %e, "wsapi: time sync failed"),
        }
        if self.phase == Phase::Syncing {
            self.logon_or_ready(ctx);
        }
    }

    fn on_ready(&mut self, ctx: &mut Context<Self>) {
        self.phase = Phase::Ready;
        self.attempt = 0;
        self.resubscribe();
        if let Some(tx) = self.first_ready.take() {
            let _ = tx.send(Ok(()));
        }
        while let Some((_, call)) = self.queue.pop_front() {
            self.dispatch(call, ctx);
        }
        self.publish();
    }

    fn send_logon(&mut self) {
        let Some(creds) = self.cfg.credentials.clone() else {
            return;
        };
        let now = self.now_ms();
        let mut params = Params::new();
        tracing::debug!(api_key = %redact(creds.api_key()), "wsapi: session.logon");
        sign_params(
            &mut params,
            Auth::Signed {
                api_key: creds.api_key(),
                key: creds.key(),
            },
            now,
            self.cfg.recv_window_ms,
        );
        self.send_internal("session.logon", params, WaiterKind::Logon, 2);
    }

    /// A user call succeeded: record or drop the subscriptions it made or ended.
    fn apply_effect(&mut self, effect: SubEffect, result: &Value) {
        match effect {
            SubEffect::None => {}
            SubEffect::Subscribe(creds) => {
                let id = result.get("subscriptionId").and_then(Value::as_u64);
                let account = match &creds {
                    Some(c) => c.api_key().to_owned(),
                    None => self
                        .cfg
                        .credentials
                        .as_ref()
                        .map(|c| c.api_key().to_owned())
                        .unwrap_or_default(),
                };
                // One subscription per account and connection: a repeat replaces it.
                self.subs.retain(|s| s.account != account);
                self.subs.push(UserSub { account, creds, id });
            }
            SubEffect::Unsubscribe(Some(id)) => self.subs.retain(|s| s.id != Some(id)),
            SubEffect::Unsubscribe(None) => self.subs.clear(),
            SubEffect::Logout => self.subs.retain(|s| s.creds.is_some()),
        }
    }

    /// After a (re)connect: subscribe again every user data stream the caller had.
    fn resubscribe(&mut self) {
        let now = self.now_ms();
        for index in 0..self.subs.len() {
            if self.subs[index].id.is_some() {
                continue;
            }
            let mut params = Params::new();
            let method = match self.subs[index].creds.clone() {
                None if self.logged_on => "userDataStream.subscribe",
                None => {
                    tracing::warn!("wsapi: cannot resubscribe the user data stream: not logged on");
                    continue;
                }
                Some(creds) => {
                    sign_params(
                        &mut params,
                        Auth::Signed {
                            api_key: creds.api_key(),
                            key: creds.key(),
                        },
                        now,
                        self.cfg.recv_window_ms,
                    );
                    "userDataStream.subscribe.signature"
                }
            };
            let account = self.subs[index].account.clone();
            self.send_internal(method, params, WaiterKind::Resubscribe(account), 2);
        }
    }

    /// Sends a request the session makes for itself (logon, time sync).
    fn send_internal(&mut self, method: &str, params: Params, kind: WaiterKind, weight: u32) {
        let now = self.now_ms();
        let id = self.ids.next_id();
        self.limiter.record(Cost { weight, orders: 0 }, now);
        let params = (!params.is_empty()).then_some(params);
        if let Err(e) = self.write(&id, method, params.as_ref()) {
            tracing::warn!(error = %e, method, "wsapi: cannot send");
            return;
        }
        let deadline = self.mono_ms() + self.cfg.request_timeout.as_millis() as u64;
        let waiter = Waiter {
            kind,
            method: method.to_owned(),
            sent_ms: now,
            effect: SubEffect::None,
        };
        self.pending.insert(id, deadline, waiter);
    }

    fn write(&mut self, id: &str, method: &str, params: Option<&Params>) -> Result<(), WsApiError> {
        let text = Request { id, method, params }.to_text();
        let sink = self.sink.as_mut().ok_or(WsApiError::Disconnected)?;
        sink.write(WsMessage::Text(text.into()))
            .map_err(|_| WsApiError::Disconnected)
    }

    fn handle_call(&mut self, call: Call, ctx: &mut Context<Self>) {
        match self.phase {
            Phase::Stopped => {
                let _ = call.reply.send(Err(WsApiError::Stopped));
            }
            Phase::Ready if !self.draining => self.dispatch(call, ctx),
            Phase::Ready | Phase::Connecting | Phase::Syncing | Phase::LoggingOn => {
                let info = match call.info {
                    Some(i) => Ok(i),
                    None => method_info(&call.method, call.params.as_ref()),
                };
                let checked = info.and_then(|(_, cost)| {
                    self.limiter
                        .check(cost, self.now_ms())
                        .map_err(WsApiError::from)
                });
                if let Err(e) = checked {
                    let _ = call.reply.send(Err(e));
                    return;
                }
                let deadline = self.mono_ms() + self.cfg.request_timeout.as_millis() as u64;
                self.queue.push_back((deadline, call));
            }
        }
    }

    fn dispatch(&mut self, call: Call, _ctx: &mut Context<Self>) {
        let Call {
            method,
            params,
            info,
            credentials,
            reply,
        } = call;
        let (security, cost) = match info {
            Some(i) => i,
            None => match method_info(&method, params.as_ref()) {
                Ok(i) => i,
                Err(e) => {
                    let _ = reply.send(Err(e));
                    return;
                }
            },
        };
        let now = self.now_ms();
        let mut params = params;
        let bare = method.strip_prefix("v3/").unwrap_or(&method).to_owned();
        let explicit =
            credentials.is_some() || method_spec(&bare).is_some_and(|m| m.explicit_key());
        if security != Security::None {
            let Some(creds) = credentials.as_ref().or(self.cfg.credentials.as_ref()) else {
                let _ = reply.send(Err(CredentialsError::NotConfigured.into()));
                return;
            };
            let is_logon = bare == "session.logon";
            if (security == Security::LoggedOn || is_logon) && creds.key_type() != KeyType::Ed25519
            {
                let _ = reply.send(Err(
                    CredentialsError::WrongKeyType { needed: "Ed25519" }.into()
                ));
                return;
            }
            if security == Security::LoggedOn && !self.logged_on {
                let _ = reply.send(Err(WsApiError::Protocol(format!(
                    "`{method}` needs a logged-on session (session.logon)"
                ))));
                return;
            }
            if security == Security::Signed {
                let p = params.get_or_insert_with(Params::new);
                let auth = if self.logged_on && !explicit && !p.contains_key("apiKey") {
                    Auth::LoggedOn
                } else {
                    Auth::Signed {
                        api_key: creds.api_key(),
                        key: creds.key(),
                    }
                };
                sign_params(p, auth, now, self.cfg.recv_window_ms);
            }
        }
        if let Err(e) = self.limiter.try_acquire(cost, now) {
            let _ = reply.send(Err(e.into()));
            self.publish();
            return;
        }
        let id = self.ids.next_id();
        if let Err(e) = self.write(&id, &method, params.as_ref()) {
            let _ = reply.send(Err(e));
            return;
        }
        let effect = match bare.as_str() {
            "userDataStream.subscribe" => SubEffect::Subscribe(None),
            "userDataStream.subscribe.signature" => {
                SubEffect::Subscribe(credentials.or_else(|| self.cfg.credentials.clone()))
            }
            "userDataStream.unsubscribe" => SubEffect::Unsubscribe(
                params
                    .as_ref()
                    .and_then(|p| p.get("subscriptionId"))
                    .and_then(Value::as_u64),
            ),
            "session.logout" => SubEffect::Logout,
            _ => SubEffect::None,
        };
        let deadline = self.mono_ms() + self.cfg.request_timeout.as_millis() as u64;
        self.pending.insert(
            id,
            deadline,
            Waiter {
                kind: WaiterKind::User(reply),
                method,
                sent_ms: now,
                effect,
            },
        );
        self.publish();
    }

    fn outcome(&mut self, r: Response, now: u64) -> Result<Value, WsApiError> {
        if r.status == 200 {
            return Ok(r.result.unwrap_or(Value::Null));
        }
        let (code, msg, data) = match r.error {
            Some(e) => (e.code, e.msg, e.data),
            None => (0, String::new(), None),
        };
        let retry_after = data.and_then(|d| d.retry_after);
        match r.status {
            429 => {
                let limit = if code == -1015 {
                    RateLimitKind::Orders
                } else {
                    RateLimitKind::RequestWeight
                };
                let until = retry_after.unwrap_or(now + 1_000);
                tracing::warn!(until, code, "wsapi: 429 rate limited by server");
                self.limiter.on_rate_limited(limit, until);
                Err(WsApiError::RateLimited {
                    retry_after: until,
                    limit,
                })
            }
            418 => {
                let until = retry_after.unwrap_or(now + 120_000);
                tracing::error!(until, "wsapi: 418 IP banned by server");
                self.limiter.on_banned(until);
                Err(WsApiError::Banned { until })
            }
            status => Err(WsApiError::Api { status, code, msg }),
        }
    }

    fn on_text(&mut self, text: &str, ctx: &mut Context<Self>) {
        match parse_incoming(text) {
            Ok(Incoming::Response(r)) => {
                let now = self.now_ms();
                let waiter = r.id_key().and_then(|id| self.pending.take(&id));
                if let Some(limits) = &r.rate_limits {
                    let sent = waiter.as_ref().map_or(now, |w| w.sent_ms);
                    self.limiter.observe(limits, sent, now);
                }
                if r.id_key().is_none() && r.status == 401 {
                    tracing::warn!("wsapi: session revoked by the server");
                    self.logged_on = false;
                }
                let outcome = self.outcome(r, now);
                match waiter {
                    Some(Waiter {
                        kind: WaiterKind::User(reply),
                        method,
                        effect,
                        ..
                    }) => {
                        if let Ok(result) = &outcome {
                            match method.strip_prefix("v3/").unwrap_or(&method) {
                                "session.logon" => self.logged_on = true,
                                "session.logout" => self.logged_on = false,
                                _ => {}
                            }
                            self.apply_effect(effect, result);
                        }
                        let _ = reply.send(outcome);
                    }
                    Some(Waiter {
                        kind: WaiterKind::Resubscribe(account),
                        ..
                    }) => match outcome {
                        Ok(result) => {
                            let id = result.get("subscriptionId").and_then(Value::as_u64);
                            if let Some(sub) = self.subs.iter_mut().find(|s| s.account == account) {
                                sub.id = id;
                            }
                            tracing::info!(account = %redact(&account), ?id, "wsapi: user data stream resubscribed");
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, account = %redact(&account), "wsapi: resubscribe failed")
                        }
                    },
                    Some(Waiter {
                        kind: WaiterKind::Logon,
                        ..
                    }) => self.on_logon(outcome, ctx),
                    Some(Waiter {
                        kind: WaiterKind::TimeSync,
                        sent_ms,
                        ..
                    }) => self.on_time_sync(outcome, sent_ms, ctx),
                    None => tracing::debug!("wsapi: response for unknown or expired request"),
                }
            }
            Ok(Incoming::UserData {
                subscription_id,
                event,
            }) => {
                let account = subscription_id.and_then(|id| {
                    self.subs
                        .iter()
                        .find(|s| s.id == Some(id))
                        .map(|s| s.account.clone())
                });
                let typed = UserEvent {
                    subscription_id,
                    account,
                    event: UserDataEvent::parse(&event),
                };
                let _ = self.typed_tx.send(typed);
                let _ = self.events_tx.send(event);
            }
            Ok(Incoming::ServerShutdown { time }) => {
                tracing::info!(
                    time,
                    in_flight = self.pending.len(),
                    "wsapi: server announced shutdown; moving to a new connection"
                );
                self.draining = true;
            }
            Err(e) => tracing::warn!(error = %e, "wsapi: unparsable frame"),
        }
        self.maybe_switch(ctx);
        self.publish();
    }

    /// After `serverShutdown`, once nothing is in flight: close this connection and connect
    /// again at once (not counted as a failure for the backoff).
    fn maybe_switch(&mut self, ctx: &mut Context<Self>) {
        if !self.draining || !self.pending.is_empty() || self.phase != Phase::Ready {
            return;
        }
        tracing::info!("wsapi: switching connection after serverShutdown");
        self.draining = false;
        if let Some(mut sink) = self.sink.take() {
            sink.close();
        }
        self.logged_on = false;
        for sub in &mut self.subs {
            sub.id = None;
        }
        self.reconnects += 1;
        self.attempt = 0;
        self.connect(ctx);
    }

    fn on_logon(&mut self, outcome: Result<Value, WsApiError>, ctx: &mut Context<Self>) {
        match outcome {
            Ok(_) => {
                tracing::info!("wsapi: logged on");
                self.logged_on = true;
                self.on_ready(ctx);
            }
            Err(e) => {
                tracing::warn!(error = %e, "wsapi: session.logon failed");
                if let Some(tx) = self.first_ready.take() {
                    let _ = tx.send(Err(e));
                    self.shutdown(ctx);
                } else {
                    // Keep serving: signed requests then carry apiKey + signature.
                    self.on_ready(ctx);
                }
            }
        }
    }

    fn on_disconnect(&mut self, ctx: &mut Context<Self>, why: &str) {
        if self.phase == Phase::Stopped {
            return;
        }
        tracing::warn!(
            why,
            in_flight = self.pending.len(),
            "wsapi: connection lost"
        );
        if let Some(mut sink) = self.sink.take() {
            sink.close();
        }
        self.gen += 1; // ignore anything still arriving from the old connection
        self.logged_on = false;
        for sub in &mut self.subs {
            sub.id = None;
        }
        self.draining = false;
        for w in self.pending.drain() {
            if let WaiterKind::User(reply) = w.kind {
                let _ = reply.send(Err(WsApiError::Disconnected));
            }
        }
        self.reconnects += 1;
        self.schedule_reconnect(ctx);
    }

    fn schedule_reconnect(&mut self, ctx: &mut Context<Self>) {
        self.phase = Phase::Connecting;
        // `attempt` counts from 0 here; the first retry waits about `reconnect_base`.
        let schedule = Backoff {
            base: self.cfg.reconnect_base,
            max: self.cfg.reconnect_cap,
        };
        let delay = schedule
            .delay(
                self.attempt.saturating_add(1),
                unit_jitter(self.jitter.next_u64()),
            )
            .as_millis() as u64;
        self.attempt = self.attempt.saturating_add(1);
        tracing::info!(
            delay_ms = delay,
            attempt = self.attempt,
            "wsapi: reconnecting"
        );
        let gen = self.gen;
        ctx.run_later(Duration::from_millis(delay), move |act, ctx| {
            if act.gen == gen && act.phase == Phase::Connecting {
                act.connect(ctx);
            }
        });
        self.publish();
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        let mono = self.mono_ms();
        for w in self.pending.expire(mono) {
            match w.kind {
                WaiterKind::User(reply) => {
                    let _ = reply.send(Err(WsApiError::Timeout));
                }
                WaiterKind::Logon => {
                    let err = WsApiError::Timeout;
                    self.on_logon(Err(err), ctx);
                }
                WaiterKind::TimeSync => self.on_time_sync(Err(WsApiError::Timeout), 0, ctx),
                WaiterKind::Resubscribe(account) => {
                    tracing::warn!(account = %redact(&account), "wsapi: resubscribe timed out");
                }
            }
        }
        while self.queue.front().is_some_and(|(d, _)| *d <= mono) {
            if let Some((_, call)) = self.queue.pop_front() {
                let _ = call.reply.send(Err(WsApiError::Timeout));
            }
        }
        if self.sink.is_some() && self.last_frame.elapsed() > self.cfg.idle_timeout {
            self.on_disconnect(ctx, "idle timeout (no frame from the server)");
        }
        self.publish();
    }

    fn shutdown(&mut self, ctx: &mut Context<Self>) {
        self.phase = Phase::Stopped;
        if let Some(mut sink) = self.sink.take() {
            sink.close();
        }
        for w in self.pending.drain() {
            if let WaiterKind::User(reply) = w.kind {
                let _ = reply.send(Err(WsApiError::Stopped));
            }
        }
        for (_, call) in self.queue.drain(..) {
            let _ = call.reply.send(Err(WsApiError::Stopped));
        }
        self.publish();
        ctx.stop();
    }
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(4096);
        ctx.run_interval(Duration::from_millis(50), |act, ctx| act.tick(ctx));
        self.connect(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.phase = Phase::Stopped;
        self.publish();
    }
}

impl WriteHandler<WsProtocolError> for SessionActor {
    fn error(&mut self, err: WsProtocolError, _ctx: &mut Self::Context) -> Running {
        tracing::warn!(error = %err, "wsapi: write failed");
        Running::Continue
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {}
}

impl StreamHandler<WsEvent> for SessionActor {
    fn handle(&mut self, ev: WsEvent, ctx: &mut Self::Context) {
        match ev {
            WsEvent::Frame(gen, _) | WsEvent::Closed(gen) if gen != self.gen => {}
            WsEvent::Frame(_, Ok(frame)) => {
                self.last_frame = Instant::now();
                match frame {
                    Frame::Text(bytes) => match std::str::from_utf8(&bytes) {
                        Ok(text) => self.on_text(text, ctx),
                        Err(_) => tracing::warn!("wsapi: non-UTF-8 text frame"),
                    },
                    Frame::Ping(payload) => {
                        if let Some(sink) = self.sink.as_mut() {
                            let _ = sink.write(WsMessage::Pong(payload));
                        }
                    }
                    Frame::Close(reason) => {
                        tracing::info!(?reason, "wsapi: server closed the connection");
                        self.on_disconnect(ctx, "close frame");
                    }
                    Frame::Pong(_) | Frame::Binary(_) | Frame::Continuation(_) => {}
                }
            }
            WsEvent::Frame(_, Err(e)) => {
                tracing::warn!(error = %e, "wsapi: protocol error");
                self.on_disconnect(ctx, "protocol error");
            }
            WsEvent::Closed(_) => self.on_disconnect(ctx, "stream ended"),
        }
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {
        // One stream per connection; the actor outlives them.
    }
}

impl Handler<Call> for SessionActor {
    type Result = ();

    fn handle(&mut self, call: Call, ctx: &mut Self::Context) {
        self.handle_call(call, ctx);
    }
}

impl Handler<Stop> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Self::Context) {
        self.shutdown(ctx);
    }
}

/// Cloneable handle to a WS API session.
///
/// Must be created inside an actix system (e.g. `#[actix_rt::main]`).
#[derive(Clone)]
pub struct WsApiClient {
    addr: Addr<SessionActor>,
    state: watch::Receiver<SessionState>,
    events: broadcast::Sender<Value>,
    typed: broadcast::Sender<UserEvent>,
    request_timeout: Duration,
}

impl std::fmt::Debug for WsApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsApiClient")
            .field("state", &*self.state.borrow())
            .finish()
    }
}

impl WsApiClient {
    /// Starts the session and waits until it is ready (connected, and logged on for Ed25519
    /// keys). A connect failure or a rejected logon is returned here, at start.
    pub async fn connect(cfg: WsApiConfig) -> Result<Self, WsApiError> {
        let transport = cfg
            .net
            .transport()
            .map_err(|e| WsApiError::Config(e.to_string()))?;
        url::Url::parse(&cfg.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "ws" | "wss") && u.host_str().is_some())
            .ok_or_else(|| WsApiError::Config(format!("bad WS API URL {:?}", cfg.url)))?;
        let (client, ready) = Self::spawn(cfg, transport);
        match ready.await {
            Ok(Ok(())) => Ok(client),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(WsApiError::Stopped),
        }
    }

    fn spawn(
        cfg: WsApiConfig,
        transport: crate::net::Transport,
    ) -> (Self, oneshot::Receiver<Result<(), WsApiError>>) {
        let (ready_tx, ready_rx) = oneshot::channel();
        let (state_tx, state_rx) = watch::channel(SessionState::initial());
        let (events_tx, _) = broadcast::channel(1024);
        let (typed_tx, _) = broadcast::channel(1024);
        let request_timeout = cfg.request_timeout;
        let seed = cfg.clock.now_ms() ^ (std::process::id() as u64) << 32;
        let actor = SessionActor {
            ids: IdGenerator::new(&format!("mf{:x}", seed & 0xff_ffff)),
            limiter: RateLimiter::binance_defaults(),
            pending: PendingTable::default(),
            queue: VecDeque::new(),
            sink: None,
            gen: 0,
            phase: Phase::Connecting,
            attempt: 0,
            reconnects: 0,
            jitter: SplitMix64::new(seed),
            logged_on: false,
            draining: false,
            time_offset_ms: 0,
            started: Instant::now(),
            last_frame: Instant::now(),
            first_ready: Some(ready_tx),
            state_tx,
            events_tx: events_tx.clone(),
            typed_tx: typed_tx.clone(),
            subs: Vec::new(),
            cfg,
            transport,
        };
        let addr = actor.start();
        (
            Self {
                addr,
                state: state_rx,
                events: events_tx,
                typed: typed_tx,
                request_timeout,
            },
            ready_rx,
        )
    }

    /// Sends `method` with `params`; security (public / signed / logged-on) and weight come
    /// from the method table ([`method_info`]). Signed methods get `timestamp`, `recvWindow`,
    /// `apiKey` and `signature` added. Returns the `result` on status 200. A method the
    /// table does not know fails with [`WsApiError::UnknownMethod`] without being sent.
    pub async fn request(&self, method: &str, params: Option<Params>) -> Result<Value, WsApiError> {
        self.send_call(method, params, None, None).await
    }

    /// Sends a typed call ([`calls`](super::calls)) and decodes its typed result.
    pub async fn call<M: Method>(&self, call: &M) -> Result<M::Output, WsApiError> {
        let v = self
            .send_call(M::NAME, call.to_params(), None, None)
            .await?;
        decode(M::NAME, v)
    }

    /// Like [`call`](Self::call), signed with `credentials` (`apiKey` + `signature` in the
    /// request) instead of the session's: e.g. `userDataStream.subscribe.signature` for
    /// another account on this connection.
    pub async fn call_as<M: Method>(
        &self,
        call: &M,
        credentials: &Credentials,
    ) -> Result<M::Output, WsApiError> {
        let v = self
            .send_call(M::NAME, call.to_params(), None, Some(credentials.clone()))
            .await?;
        decode(M::NAME, v)
    }

    /// Like [`request`](Self::request) with explicit security and cost (for methods the
    /// table does not know).
    pub async fn request_with(
        &self,
        method: &str,
        params: Option<Params>,
        security: Security,
        cost: Cost,
    ) -> Result<Value, WsApiError> {
        self.send_call(method, params, Some((security, cost)), None)
            .await
    }

    async fn send_call(
        &self,
        method: &str,
        params: Option<Params>,
        info: Option<(Security, Cost)>,
        credentials: Option<Credentials>,
    ) -> Result<Value, WsApiError> {
        let (reply, rx) = oneshot::channel();
        let call = Call {
            method: method.to_owned(),
            params,
            info,
            credentials,
            reply,
        };
        self.addr
            .send(call)
            .await
            .map_err(|_| WsApiError::Stopped)?;
        // The actor enforces the timeout; this guard only protects against a stuck actor.
        match tokio::time::timeout(self.request_timeout * 2 + Duration::from_secs(1), rx).await {
            Ok(Ok(res)) => res,
            Ok(Err(_)) => Err(WsApiError::Stopped),
            Err(_) => Err(WsApiError::Timeout),
        }
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        self.state.borrow().clone()
    }

    /// A stream of state changes (starting with the current state).
    pub fn state_stream(&self) -> impl Stream<Item = SessionState> + Unpin + 'static {
        let rx = self.state.clone();
        Box::pin(futures_util::stream::unfold(
            (rx, true),
            |(mut rx, first)| async move {
                if !first && rx.changed().await.is_err() {
                    return None;
                }
                let s = rx.borrow_and_update().clone();
                Some((s, (rx, false)))
            },
        ))
    }

    /// Waits until `pred` holds for the state (or the session stops).
    pub async fn wait_for(&self, pred: impl Fn(&SessionState) -> bool) -> SessionState {
        let mut rx = self.state.clone();
        loop {
            {
                let s = rx.borrow_and_update();
                if pred(&s) || s.status == ConnectionStatus::Stopped {
                    return s.clone();
                }
            }
            if rx.changed().await.is_err() {
                return rx.borrow().clone();
            }
        }
    }

    /// User-data events (`{"e":"executionReport",…}`) of every subscription, as JSON.
    pub fn user_events(&self) -> broadcast::Receiver<Value> {
        self.events.subscribe()
    }

    /// Typed user-data events of every subscription, with the subscription and the account
    /// they belong to. The session renews its subscriptions after a reconnect.
    pub fn user_data_events(&self) -> broadcast::Receiver<UserEvent> {
        self.typed.subscribe()
    }

    /// Stops the session: in-flight requests fail with [`WsApiError::Stopped`].
    pub async fn stop(&self) {
        let _ = self.addr.send(Stop).await;
    }

    /// The actor's address, for embedding into an actor system.
    pub fn addr(&self) -> &Addr<SessionActor> {
        &self.addr
    }
}

fn decode<T: serde::de::DeserializeOwned>(method: &str, v: Value) -> Result<T, WsApiError> {
    serde_json::from_value(v).map_err(|e| WsApiError::Decode {
        method: method.to_owned(),
        reason: e.to_string(),
    })
}
