//! Per-connection protocol state of each venue: what a client subscribed to, the replies to
//! its requests and which broadcast frames it gets. Pure over a locked [`State`]: the
//! connection loop in `server.rs` only moves text.

use super::kraken;
use super::poloniex;
use super::state::{Frames, State, Tick};
use crate::types::Exchange;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Binance stream suffixes the simulator serves.
const BINANCE_SUFFIXES: [&str; 5] = ["depth@100ms", "depth", "bookTicker", "aggTrade", "trade"];

/// The protocol side of one connection.
#[derive(Debug)]
pub enum VenueSession {
    /// Binance combined streams.
    Binance(BinanceSession),
    /// Kraken v2.
    Kraken(KrakenSession),
    /// Poloniex v3.
    Poloniex(PoloniexSession),
}

impl VenueSession {
    /// The venue.
    pub fn exchange(&self) -> Exchange {
        match self {
            VenueSession::Binance(s) => s.exchange,
            VenueSession::Kraken(_) => Exchange::Kraken,
            VenueSession::Poloniex(_) => Exchange::Poloniex,
        }
    }

    /// Replies to a client text frame.
    pub fn on_text(&mut self, text: &str, state: &State, ms: u64) -> Vec<String> {
        match self {
            VenueSession::Binance(s) => vec![s.on_text(text)],
            VenueSession::Kraken(s) => s.on_text(text, state, ms),
            VenueSession::Poloniex(s) => s.on_text(text, state, ms),
        }
    }

    /// The frames of a market step this client subscribed to.
    pub fn on_tick(&self, tick: &Tick) -> Vec<String> {
        match self {
            VenueSession::Binance(s) => s.on_tick(tick),
            VenueSession::Kraken(s) => s.on_tick(tick),
            VenueSession::Poloniex(s) => s.on_tick(tick),
        }
    }

    /// True when the client subscribed to anything (Kraken heartbeats start then).
    pub fn has_subscriptions(&self) -> bool {
        match self {
            VenueSession::Binance(s) => !s.streams.is_empty(),
            VenueSession::Kraken(s) => {
                !s.books.is_empty() || !s.trades.is_empty() || !s.tickers.is_empty()
            }
            VenueSession::Poloniex(s) => !s.books.is_empty() || !s.trades.is_empty(),
        }
    }
}

/// Decodes `%XX` escapes (stream names may be URL-encoded).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of `name` in a query string.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
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

impl Default for BinanceSession {
    fn default() -> Self {
        BinanceSession {
            streams: Vec::new(),
            max_streams: 0,
            exchange: Exchange::Binance,
            route: BinanceRoute::All,
        }
    }
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

    /// Reply to `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` (§1.5).
    pub fn on_text(&mut self, text: &str) -> String {
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
    pub fn on_tick(&self, tick: &Tick) -> Vec<String> {
        let Frames::Binance {
            depth,
            book_ticker,
            agg_trades,
            trades,
        } = &tick.frames
        else {
            return Vec::new();
        };
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
                out.extend(depth.iter().map(|d| super::binance::combined(name, d)));
            }
        }
        if let (Some(name), Some(bt)) = (mine("bookTicker"), book_ticker) {
            out.push(super::binance::combined(name, bt));
        }
        if let Some(name) = mine("aggTrade") {
            out.extend(agg_trades.iter().map(|d| super::binance::combined(name, d)));
        }
        if let Some(name) = mine("trade") {
            out.extend(trades.iter().map(|d| super::binance::combined(name, d)));
        }
        out
    }
}

/// A Kraken v2 connection (§3.2–§3.7).
#[derive(Debug, Default)]
pub struct KrakenSession {
    /// Book subscriptions: pair → (index into [`kraken::DEPTHS`], market version of the
    /// snapshot).
    books: BTreeMap<String, (usize, u64)>,
    trades: BTreeSet<String>,
    tickers: BTreeSet<String>,
}

impl KrakenSession {
    /// Replies to a request: acks (one per symbol), snapshots, pong, errors.
    pub fn on_text(&mut self, text: &str, state: &State, ms: u64) -> Vec<String> {
        let fail = |method: &str, error: &str, req_id: Option<i64>| {
            kraken::method_reply(method, None, Some(error), req_id, ms)
        };
        let v: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return vec![json!({"error": "Malformed request", "success": false,
                    "time_in": kraken::rfc3339(ms), "time_out": kraken::rfc3339(ms)})
                .to_string()]
            }
        };
        let req_id = v.get("req_id").and_then(Value::as_i64);
        let method = v.get("method").and_then(Value::as_str).unwrap_or("");
        match method {
            "ping" => {
                return vec![json!({"method": "pong", "req_id": req_id,
                "time_in": kraken::rfc3339(ms), "time_out": kraken::rfc3339(ms)})
                .to_string()]
            }
            "subscribe" | "unsubscribe" => {}
            "" => return vec![fail("", "Method field missing", req_id)],
            other => return vec![fail(other, "Method not found", req_id)],
        }
        let subscribe = method == "subscribe";
        let params = v.get("params").cloned().unwrap_or(Value::Null);
        let channel = params.get("channel").and_then(Value::as_str).unwrap_or("");
        let snapshot = params
            .get("snapshot")
            .and_then(Value::as_bool)
            .unwrap_or(channel != "trade");
        if channel == "instrument" {
            let ack = kraken::method_reply(
                method,
                Some(json!({"channel": "instrument", "snapshot": snapshot})),
                None,
                req_id,
                ms,
            );
            let mut out = vec![ack];
            if subscribe && snapshot {
                out.push(kraken::instruments(
                    state
                        .markets
                        .iter()
                        .filter(|m| m.exchange == Exchange::Kraken)
                        .map(|m| (m.wire.as_str(), m.market.config())),
                ));
            }
            return out;
        }
        if !["book", "trade", "ticker"].contains(&channel) {
            return vec![fail(method, "Channel not found", req_id)];
        }
        let Some(symbols) = params.get("symbol").and_then(Value::as_array) else {
            return vec![fail(method, "Missing symbol", req_id)];
        };
        let depth = params.get("depth").and_then(Value::as_u64).unwrap_or(10) as usize;
        let depth_index = kraken::DEPTHS.iter().position(|d| *d == depth);
        let mut out = Vec::new();
        for sym in symbols {
            let wire = sym.as_str().unwrap_or("").to_string();
            let mut result = json!({"channel": channel, "symbol": wire});
            if channel == "book" {
                result["depth"] = json!(depth);
            }
            if channel != "trade" || subscribe {
                result["snapshot"] = json!(snapshot);
            }
            let reply = |error: Option<&str>| {
                kraken::method_reply(method, Some(result.clone()), error, req_id, ms)
            };
            let Some(market) = state.by_key(Exchange::Kraken, &wire) else {
                out.push(reply(Some(&format!("Currency pair not supported {wire}"))));
                continue;
            };
            let Some(depth_index) = depth_index
                .filter(|_| channel == "book")
                .or((channel != "book").then_some(0))
            else {
                out.push(reply(Some("Invalid depth")));
                continue;
            };
            if !subscribe {
                let had = match channel {
                    "book" => self.books.remove(&wire).is_some(),
                    "trade" => self.trades.remove(&wire),
                    _ => self.tickers.remove(&wire),
                };
                out.push(reply((!had).then_some("Subscription Not Found")));
                continue;
            }
            out.push(reply(None));
            match channel {
                "book" => {
                    // A resubscribe replaces the window and starts over from a snapshot.
                    self.books
                        .insert(wire.clone(), (depth_index, market.version));
                    if snapshot {
                        out.push(market.kraken_snapshot(depth, ms));
                    }
                }
                "trade" => {
                    self.trades.insert(wire);
                }
                _ => {
                    self.tickers.insert(wire);
                    if snapshot {
                        out.extend(market.kraken_ticker(ms));
                    }
                }
            }
        }
        out
    }

    /// The subscribed frames of `tick` (book updates newer than the client's snapshot).
    pub fn on_tick(&self, tick: &Tick) -> Vec<String> {
        let Frames::Kraken {
            books,
            trade,
            ticker,
        } = &tick.frames
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some((k, version)) = self.books.get(&tick.key) {
            if tick.version > *version {
                out.extend(books[*k].iter().cloned());
            }
        }
        if self.trades.contains(&tick.key) {
            out.extend(trade.iter().cloned());
        }
        if self.tickers.contains(&tick.key) {
            out.extend(ticker.iter().cloned());
        }
        out
    }
}

/// A Poloniex v3 public connection (§4.1–§4.4).
#[derive(Debug, Default)]
pub struct PoloniexSession {
    /// `book_lv2` subscriptions: symbol → market version of the snapshot.
    books: BTreeMap<String, u64>,
    trades: BTreeSet<String>,
}

impl PoloniexSession {
    /// Replies to a request: acks, snapshots, pong, errors.
    pub fn on_text(&mut self, text: &str, state: &State, ms: u64) -> Vec<String> {
        let v: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return vec![poloniex::error("Invalid request: not a JSON object")],
        };
        let event = v.get("event").and_then(Value::as_str).unwrap_or("");
        match event {
            "ping" => return vec![poloniex::PONG.to_string()],
            "unsubscribe_all" => {
                self.books.clear();
                self.trades.clear();
                return vec![
                    json!({"event": "unsubscribe_all", "channel": "all", "symbols": ["all"]})
                        .to_string(),
                ];
            }
            "subscribe" | "unsubscribe" => {}
            other => return vec![poloniex::error(&format!("Invalid event value [{other:?}]"))],
        }
        let channels: Vec<String> = match v.get("channel") {
            Some(Value::String(c)) => vec![c.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let symbols: Vec<String> = v
            .get("symbols")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if channels.is_empty() {
            return vec![poloniex::error("Invalid channel value []")];
        }
        let mut out = Vec::new();
        if let Some(bad) = symbols
            .iter()
            .find(|s| state.by_key(Exchange::Poloniex, s).is_none())
        {
            return vec![poloniex::error(&format!("Invalid symbols value [{bad:?}]"))];
        }
        for channel in channels {
            if channel != poloniex_channel::BOOK_LV2 && channel != poloniex_channel::TRADES {
                out.push(poloniex::error(&format!(
                    "Invalid channel value [{channel:?}]"
                )));
                continue;
            }
            out.push(poloniex::ack(event, &channel, &symbols));
            for s in &symbols {
                let Some(market) = state.by_key(Exchange::Poloniex, s) else {
                    continue;
                };
                match (event == "subscribe", channel.as_str()) {
                    (true, poloniex_channel::BOOK_LV2) => {
                        self.books.insert(s.clone(), market.version);
                        out.push(market.poloniex_snapshot(ms));
                    }
                    (true, _) => {
                        self.trades.insert(s.clone());
                    }
                    (false, poloniex_channel::BOOK_LV2) => {
                        self.books.remove(s);
                    }
                    (false, _) => {
                        self.trades.remove(s);
                    }
                }
            }
        }
        out
    }

    /// The subscribed frames of `tick`.
    pub fn on_tick(&self, tick: &Tick) -> Vec<String> {
        let Frames::Poloniex { book, trades } = &tick.frames else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(version) = self.books.get(&tick.key) {
            if tick.version > *version {
                out.extend(book.iter().cloned());
            }
        }
        if self.trades.contains(&tick.key) {
            out.extend(trades.iter().cloned());
        }
        out
    }
}

mod poloniex_channel {
    pub const BOOK_LV2: &str = "book_lv2";
    pub const TRADES: &str = "trades";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param("streams=btcusdt%40depth%2Fbtcusdt@trade&x=1", "streams").as_deref(),
            Some("btcusdt@depth/btcusdt@trade")
        );
        assert_eq!(query_param("a=1", "streams"), None);
    }
}
