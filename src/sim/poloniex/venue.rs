//! Poloniex v3 in the simulator (§4.1–§4.4): the public session, what a market step
//! sends (`book_lv2` with `id`/`lastId`, `trades`), snapshots.

use crate::sim::server::SimConfig;
use crate::sim::state::{SimMarket, State, Tick};
use crate::sim::venues::{Paths, RestReply, Timer, WireStyle};
use crate::sim::window::{top, window_diff};
use crate::types::{Exchange, Symbol};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const EXCHANGE: Exchange = Exchange::Poloniex;

pub(crate) use PoloniexSession as Session;

/// `id`/`lastId` on every book message; symbols as `BTC_USDT`; the market's scales.
pub(crate) const STYLE: WireStyle = WireStyle {
    update_ids: true,
    lower_case_key: false,
    fixed_decimals: None,
};

pub(crate) const PATHS: Paths = Paths {
    prefix: "/poloniex",
    endpoint_ws: "/ws/public",
    endpoint_rest: None,
    ws: &["/ws/public"],
    rest: &[],
};

/// The frames one step of one Poloniex market produced.
#[derive(Clone, Debug)]
pub struct Frames {
    /// `book_lv2` updates.
    pub book: Vec<String>,
    /// `trades` messages.
    pub trades: Vec<String>,
}

/// One market step at `ms`: the top-20 window diff (a new `id` only when it changed) and
/// trades.
pub(crate) fn step(m: &mut SimMarket, ms: u64) -> Frames {
    let d = super::BOOK_DEPTH;
    let before = (top(&m.market, true, d), top(&m.market, false, d));
    let step = m.market.step();
    m.version += 1;
    m.record_trades(&step);
    let after = (top(&m.market, true, d), top(&m.market, false, d));
    let mk = &m.market;
    let bids = window_diff(&before.0, &after.0, true, |p| mk.level(true, p).is_some());
    let asks = window_diff(&before.1, &after.1, false, |p| mk.level(false, p).is_some());
    let mut book = Vec::new();
    if !bids.is_empty() || !asks.is_empty() {
        m.update_id += 1;
        let frame = super::book(
            m.market.config(),
            &m.wire,
            false,
            &bids,
            &asks,
            m.update_id - 1,
            m.update_id,
            ms,
        );
        book = vec![frame; m.copies()];
    }
    m.history.push(m.update_id, &step.bids, &step.asks);
    let cfg = m.market.config();
    Frames {
        book,
        trades: (step.trades.iter())
            .map(|t| super::trade(cfg, &m.wire, t, ms))
            .collect(),
    }
}

/// A `book_lv2` snapshot of the top 20 of `m`.
pub(crate) fn snapshot(m: &SimMarket, ms: u64) -> String {
    let d = super::BOOK_DEPTH;
    let (bids, asks) = (top(&m.market, true, d), top(&m.market, false, d));
    super::book(
        m.cfg(),
        &m.wire,
        true,
        &bids,
        &asks,
        m.update_id.saturating_sub(1),
        m.update_id,
        ms,
    )
}

/// A connection to `/ws/public`.
pub(crate) fn open(
    _path: &str,
    _query: &str,
    _state: &mut State,
    _config: &SimConfig,
) -> Result<(Session, Vec<String>), String> {
    Ok((Session::default(), Vec::new()))
}

/// Poloniex's market data has no REST path here.
pub(crate) fn rest(path: &str, _query: &str, _state: &mut State, _ms: u64) -> RestReply {
    RestReply::json(404, format!("{{\"error\":\"not found: {path}\"}}"))
}

pub(crate) fn markets(config: &SimConfig) -> &[Symbol] {
    &config.poloniex
}

pub(crate) fn markets_mut(config: &mut SimConfig) -> &mut Vec<Symbol> {
    &mut config.poloniex
}

/// Nothing: the client pings.
pub(crate) fn timer(_config: &SimConfig) -> (Timer, Duration) {
    (Timer::Quiet, Duration::from_secs(3600))
}

pub(crate) fn incoming_limit(_config: &SimConfig) -> usize {
    0
}

/// A Poloniex v3 public connection (§4.1–§4.4).
#[derive(Debug, Default)]
pub struct PoloniexSession {
    /// `book_lv2` subscriptions: symbol → market version of the snapshot.
    books: BTreeMap<String, u64>,
    trades: BTreeSet<String>,
}

impl PoloniexSession {
    /// The simulator sends no maintenance notice on this venue.
    pub fn maintenance_notice(&self) -> Option<String> {
        None
    }

    /// True when the client subscribed to anything.
    pub fn has_subscriptions(&self) -> bool {
        !self.books.is_empty() || !self.trades.is_empty()
    }

    /// Replies to a request: acks, snapshots, pong, errors.
    pub fn on_text(&mut self, text: &str, state: &State, ms: u64) -> Vec<String> {
        let v: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return vec![super::error("Invalid request: not a JSON object")],
        };
        let event = v.get("event").and_then(Value::as_str).unwrap_or("");
        match event {
            "ping" => return vec![super::PONG.to_string()],
            "unsubscribe_all" => {
                self.books.clear();
                self.trades.clear();
                return vec![
                    json!({"event": "unsubscribe_all", "channel": "all", "symbols": ["all"]})
                        .to_string(),
                ];
            }
            "subscribe" | "unsubscribe" => {}
            other => return vec![super::error(&format!("Invalid event value [{other:?}]"))],
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
            return vec![super::error("Invalid channel value []")];
        }
        let mut out = Vec::new();
        if let Some(bad) = symbols.iter().find(|s| state.by_key(EXCHANGE, s).is_none()) {
            return vec![super::error(&format!("Invalid symbols value [{bad:?}]"))];
        }
        for channel in channels {
            if channel != poloniex_channel::BOOK_LV2 && channel != poloniex_channel::TRADES {
                out.push(super::error(&format!(
                    "Invalid channel value [{channel:?}]"
                )));
                continue;
            }
            out.push(super::ack(event, &channel, &symbols));
            for s in &symbols {
                let Some(market) = state.by_key(EXCHANGE, s) else {
                    continue;
                };
                match (event == "subscribe", channel.as_str()) {
                    (true, poloniex_channel::BOOK_LV2) => {
                        self.books.insert(s.clone(), market.version);
                        out.push(snapshot(market, ms));
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
    pub fn on_tick(&self, tick: &Tick, frames: &Frames) -> Vec<String> {
        let Frames { book, trades } = frames;
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
