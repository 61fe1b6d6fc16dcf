//! Binance in the simulator (spot §1.1–§1.7, USD-M §1.9): the combined-stream session,
//! what a market step sends, and the REST depth snapshot. Spot and USD-M are registered
//! separately (`spot`, `usdm` below) and share everything else.

use crate::sim::market::TickLevel;
use crate::sim::server::SimConfig;
use crate::sim::session::query_param;
use crate::sim::state::{SimMarket, State, Tick};
use crate::sim::venues::{Paths, RestReply, Timer, WireStyle};
use crate::types::{Exchange, Symbol};
use serde_json::{json, Value};
use std::time::Duration;

/// Binance stream suffixes the simulator serves.
const BINANCE_SUFFIXES: [&str; 5] = ["depth@100ms", "depth", "bookTicker", "aggTrade", "trade"];

/// Both flavours: update ids, lower-case stream keys, 8 decimals.
const STYLE: WireStyle = WireStyle {
    update_ids: true,
    lower_case_key: true,
    fixed_decimals: Some(super::DECIMALS),
};

/// The frames one step of one Binance market produced (payloads, which the connection wraps
/// with the subscribed stream name).
#[derive(Clone, Debug)]
pub struct Frames {
    /// `depthUpdate` payloads (0, 1 or 2 copies, by the faults).
    pub depth: Vec<String>,
    /// `bookTicker` payload after the depth event.
    pub book_ticker: Option<String>,
    /// `aggTrade` payloads.
    pub agg_trades: Vec<String>,
    /// `trade` payloads.
    pub trades: Vec<String>,
}

/// One market step at `ms` (USD-M adds `pu`).
fn step(m: &mut SimMarket, ms: u64, usdm: bool) -> Frames {
    let step = m.market.step();
    m.version += 1;
    m.record_trades(&step);
    let mut depth = Vec::new();
    let mut book_ticker = None;
    let n = step.changes() as u64;
    if n > 0 {
        let prev = m.update_id;
        let first = m.update_id + 1;
        m.update_id += n;
        m.history.push(m.update_id, &step.bids, &step.asks);
        let data = super::depth_update_data(
            m.cfg(),
            &m.wire,
            ms,
            first,
            m.update_id,
            usdm.then_some(prev),
            &step,
        );
        depth = vec![data; m.copies()];
        if let (Some(b), Some(a)) = m.market.top() {
            book_ticker = Some(super::book_ticker_data(m.cfg(), &m.wire, m.update_id, b, a));
        }
    }
    let cfg = m.cfg();
    Frames {
        depth,
        book_ticker,
        agg_trades: (step.trades.iter())
            .map(|t| super::agg_trade_data(cfg, &m.wire, ms, t))
            .collect(),
        trades: (step.trades.iter())
            .map(|t| super::trade_data(cfg, &m.wire, ms, t))
            .collect(),
    }
}

/// A REST depth body of `m`: the current book, or (`stale`) the oldest kept one.
pub(crate) fn rest_body(m: &SimMarket, limit: usize, stale: bool) -> String {
    if stale {
        let id = m.history.oldest_id();
        if let Some((b, a)) = m.history.book_at(id) {
            let bids: Vec<TickLevel> = b.into_iter().rev().take(limit).collect();
            let asks: Vec<TickLevel> = a.into_iter().take(limit).collect();
            return super::rest_snapshot_levels(m.cfg(), id, &bids, &asks);
        }
    }
    super::rest_snapshot(&m.market, m.update_id, limit)
}

/// `GET /api/v3/depth?symbol=..&limit=..` (spot, §1.7) and `GET /fapi/v1/depth` (USD-M,
/// §1.9: `limit` one of 5, 10, 20, 50, 100, 500, 1000), with the REST faults and the
/// per-minute request weight.
fn depth(exchange: Exchange, usdm: bool, query: &str, st: &mut State, ms: u64) -> RestReply {
    let Some(symbol) = query_param(query, "symbol").filter(|s| !s.is_empty()) else {
        return RestReply::json(
            400,
            r#"{"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}"#,
        );
    };
    let limit = match query_param(query, "limit").map(|l| l.parse::<usize>()) {
        None if usdm => 500,
        None => 100,
        Some(Ok(l)) if usdm && [5, 10, 20, 50, 100, 500, 1000].contains(&l) => l,
        Some(Ok(_)) if usdm => {
            return RestReply::json(400, r#"{"code":-4021,"msg":"Invalid depth limit."}"#)
        }
        Some(Ok(l)) if l > 0 => l.min(5000),
        Some(_) => {
            return RestReply::json(
                400,
                r#"{"code":-1100,"msg":"Illegal characters found in parameter 'limit'."}"#,
            )
        }
    };
    let now = std::time::Instant::now();
    if st.throttle_rest > 0 {
        st.throttle_rest -= 1;
        st.rest_log.push((now, 429));
        let mut reply = RestReply::json(
            429,
            r#"{"code":-1003,"msg":"Too many requests; current limit is 6000 request weight per 1 MINUTE."}"#,
        );
        reply.headers.push(("Retry-After", "1".into()));
        return reply;
    }
    st.rest_log.push((now, 200));
    // REQUEST_WEIGHT of this call (sections 1.7 and 1.9), counted per calendar minute.
    let weight = match (usdm, limit) {
        (true, 0..=50) => 2,
        (true, 51..=100) => 5,
        (true, 101..=500) => 10,
        (true, _) => 20,
        (false, 0..=100) => 5,
        (false, 101..=500) => 25,
        (false, 501..=1000) => 50,
        (false, _) => 250,
    };
    let minute = ms / 60_000 * 60_000;
    let counter = st.rest_weight.entry(exchange).or_insert((minute, 0));
    if counter.0 != minute {
        *counter = (minute, 0);
    }
    counter.1 += weight;
    let used = counter.1;
    let stale = st.stale_rest > 0;
    let key = symbol.to_lowercase();
    let Some(m) = st.by_key(exchange, &key) else {
        return RestReply::json(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#);
    };
    let body = rest_body(m, limit, stale);
    if stale {
        st.stale_rest -= 1;
    }
    let body = st.poison_rest_body(body);
    RestReply {
        status: 200,
        headers: vec![("X-MBX-USED-WEIGHT-1M", used.to_string())],
        body,
        delay: st.rest_delay,
    }
}

/// Binance spot.
pub mod spot {
    use super::*;
    pub use super::{BinanceSession as Session, Frames};

    pub(crate) const STYLE: WireStyle = super::STYLE;
    pub(crate) const PATHS: Paths = Paths {
        prefix: "/binance",
        endpoint_ws: "",
        endpoint_rest: Some(""),
        ws: &["/stream"],
        rest: &["/api/v3/depth"],
    };

    pub(crate) fn step(m: &mut SimMarket, ms: u64) -> Frames {
        super::step(m, ms, false)
    }

    pub(crate) fn open(
        _path: &str,
        query: &str,
        _state: &mut State,
        config: &SimConfig,
    ) -> Result<(Session, Vec<String>), String> {
        let max = config.binance_max_streams_per_connection;
        Session::open(Exchange::Binance, BinanceRoute::All, query, max).map(|s| (s, Vec::new()))
    }

    pub(crate) fn rest(_path: &str, query: &str, state: &mut State, ms: u64) -> RestReply {
        super::depth(Exchange::Binance, false, query, state, ms)
    }

    pub(crate) fn markets(config: &SimConfig) -> &[Symbol] {
        &config.binance
    }

    pub(crate) fn markets_mut(config: &mut SimConfig) -> &mut Vec<Symbol> {
        &mut config.binance
    }

    pub(crate) fn timer(config: &SimConfig) -> (Timer, Duration) {
        (Timer::Ping, config.binance_ping_interval)
    }

    pub(crate) fn incoming_limit(config: &SimConfig) -> usize {
        config.binance_max_incoming_per_sec
    }
}

/// Binance USD-M futures: book data on `/public`, trades on `/market`, the legacy unrouted
/// path serving book data only (as the venue does since 2026-04).
pub mod usdm {
    use super::*;
    pub use super::{BinanceSession as Session, Frames};

    pub(crate) const STYLE: WireStyle = super::STYLE;
    pub(crate) const PATHS: Paths = Paths {
        prefix: "/binance-usdm",
        endpoint_ws: "",
        endpoint_rest: Some(""),
        ws: &["/stream", "/public/stream", "/market/stream"],
        rest: &["/fapi/v1/depth"],
    };

    pub(crate) fn step(m: &mut SimMarket, ms: u64) -> Frames {
        super::step(m, ms, true)
    }

    pub(crate) fn open(
        path: &str,
        query: &str,
        _state: &mut State,
        config: &SimConfig,
    ) -> Result<(Session, Vec<String>), String> {
        let route = match path {
            "/market/stream" => BinanceRoute::Market,
            _ => BinanceRoute::Public,
        };
        let max = config.binance_max_streams_per_connection;
        Session::open(Exchange::BinanceUsdM, route, query, max).map(|s| (s, Vec::new()))
    }

    pub(crate) fn rest(_path: &str, query: &str, state: &mut State, ms: u64) -> RestReply {
        super::depth(Exchange::BinanceUsdM, true, query, state, ms)
    }

    pub(crate) fn markets(config: &SimConfig) -> &[Symbol] {
        &config.binance_usdm
    }

    pub(crate) fn markets_mut(config: &mut SimConfig) -> &mut Vec<Symbol> {
        &mut config.binance_usdm
    }

    pub(crate) fn timer(config: &SimConfig) -> (Timer, Duration) {
        (Timer::Ping, config.binance_ping_interval)
    }

    pub(crate) fn incoming_limit(config: &SimConfig) -> usize {
        config.binance_usdm_max_incoming_per_sec
    }
}

/// Which streams a Binance connection delivers, by the path it was opened on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BinanceRoute {
    /// Spot: every stream.
    #[default]
    All,
    /// USD-M `/public` (and the legacy unrouted path): high-frequency book data only
    /// (`@depth…`, `@bookTicker`).
    Public,
    /// USD-M `/market`: regular market data (`@aggTrade`).
    Market,
}

impl BinanceRoute {
    /// Whether a stream with this suffix is delivered. As on the venue, a stream on the
    /// wrong path is accepted and silently never delivered.
    fn delivers(self, suffix: &str) -> bool {
        match self {
            BinanceRoute::All => true,
            BinanceRoute::Public => matches!(suffix, "depth@100ms" | "depth" | "bookTicker"),
            BinanceRoute::Market => suffix == "aggTrade",
        }
    }
}

/// A Binance combined-stream connection (§1.1, §1.5; USD-M §1.9).
#[derive(Debug)]
pub struct BinanceSession {
    streams: Vec<String>,
    /// Streams one connection may carry (Binance: 1024); 0 is no limit.
    max_streams: usize,
    /// Spot or USD-M.
    exchange: Exchange,
    /// Which streams the path it was opened on delivers.
    route: BinanceRoute,
}

/// A well-formed stream name. As on the real venue, a symbol that is not listed is accepted
/// and simply stays silent: only the REST snapshot says `-1121 Invalid symbol.`
fn binance_stream_ok(stream: &str) -> bool {
    match stream.split_once('@') {
        Some((sym, suffix)) => {
            BINANCE_SUFFIXES.contains(&suffix)
                && !sym.is_empty()
                && sym
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        None => false,
    }
}

impl BinanceSession {
    /// A connection to `/stream?<query>` of `exchange` (Binance or USD-M) on `route`; a
    /// malformed stream name is an error text.
    pub fn open(
        exchange: Exchange,
        route: BinanceRoute,
        query: &str,
        max_streams: usize,
    ) -> Result<Self, String> {
        let mut s = BinanceSession {
            streams: Vec::new(),
            max_streams,
            exchange,
            route,
        };
        let streams = query_param(query, "streams").unwrap_or_default();
        for name in streams.split('/').filter(|n| !n.is_empty()) {
            if !binance_stream_ok(name) {
                return Err(format!("Invalid stream name {name:?}"));
            }
            if !s.streams.iter().any(|x| x == name) {
                s.streams.push(name.to_string());
            }
        }
        if max_streams > 0 && s.streams.len() > max_streams {
            return Err(format!("more than {max_streams} streams"));
        }
        Ok(s)
    }

    /// Replies to a request (see [`reply`](Self::reply)).
    pub fn on_text(&mut self, text: &str, _state: &State, _ms: u64) -> Vec<String> {
        vec![self.reply(text)]
    }

    /// The simulator sends no maintenance notice on this venue.
    pub fn maintenance_notice(&self) -> Option<String> {
        None
    }

    /// True when the client subscribed to anything.
    pub fn has_subscriptions(&self) -> bool {
        !self.streams.is_empty()
    }

    /// Reply to `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` (§1.5).
    pub fn reply(&mut self, text: &str) -> String {
        let err = |code: i64, msg: String, id: &Value| {
            json!({"code": code, "msg": msg, "id": id}).to_string()
        };
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return err(3, format!("Invalid JSON: {e}"), &Value::Null),
        };
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        if !(id.is_null() || id.is_i64() || id.is_u64() || id.is_string()) {
            return err(
                2,
                "Invalid request: request ID must be an unsigned integer".into(),
                &Value::Null,
            );
        }
        let Some(method) = v.get("method").and_then(Value::as_str) else {
            return err(2, "Invalid request: missing field `method`".into(), &id);
        };
        let params: Vec<String> = match v.get("params") {
            None => Vec::new(),
            Some(Value::Array(a)) => {
                let names: Option<Vec<String>> =
                    a.iter().map(|p| p.as_str().map(str::to_string)).collect();
                match names {
                    Some(n) => n,
                    None => return err(2, "Invalid request: params must be strings".into(), &id),
                }
            }
            Some(_) => return err(2, "Invalid request: params must be an array".into(), &id),
        };
        match method {
            "SUBSCRIBE" => {
                if let Some(bad) = params.iter().find(|p| !binance_stream_ok(p)) {
                    return err(2, format!("Invalid request: unknown stream {bad:?}"), &id);
                }
                let new = params.iter().filter(|p| !self.streams.contains(p)).count();
                if self.max_streams > 0 && self.streams.len() + new > self.max_streams {
                    // Binance's exact wording for this case is not documented.
                    return err(
                        2,
                        format!("Invalid request: more than {} streams", self.max_streams),
                        &id,
                    );
                }
                for p in params {
                    if !self.streams.contains(&p) {
                        self.streams.push(p);
                    }
                }
                json!({"result": null, "id": id}).to_string()
            }
            "UNSUBSCRIBE" => {
                self.streams.retain(|s| !params.contains(s));
                json!({"result": null, "id": id}).to_string()
            }
            "LIST_SUBSCRIPTIONS" => json!({"result": self.streams, "id": id}).to_string(),
            other => err(
                2,
                format!("Invalid request: unknown variant `{other}`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`"),
                &id,
            ),
        }
    }

    /// The combined frames of `tick` for the subscribed streams: depth, then bookTicker,
    /// then aggTrade and trade.
    pub fn on_tick(&self, tick: &Tick, frames: &Frames) -> Vec<String> {
        let Frames {
            depth,
            book_ticker,
            agg_trades,
            trades,
        } = frames;
        if tick.exchange != self.exchange {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mine = |suffix: &str| {
            if !self.route.delivers(suffix) {
                return None;
            }
            self.streams.iter().find(|s| {
                s.split_once('@')
                    .is_some_and(|(sym, suf)| sym == tick.key && suf == suffix)
            })
        };
        for suffix in ["depth@100ms", "depth"] {
            if let Some(name) = mine(suffix) {
                out.extend(depth.iter().map(|d| super::combined(name, d)));
            }
        }
        if let (Some(name), Some(bt)) = (mine("bookTicker"), book_ticker) {
            out.push(super::combined(name, bt));
        }
        if let Some(name) = mine("aggTrade") {
            out.extend(agg_trades.iter().map(|d| super::combined(name, d)));
        }
        if let Some(name) = mine("trade") {
            out.extend(trades.iter().map(|d| super::combined(name, d)));
        }
        out
    }
}
