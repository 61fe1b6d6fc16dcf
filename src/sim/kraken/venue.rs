//! Kraken v2 in the simulator (§3.2–§3.7): the session, what a market step sends (a
//! `book` update per subscribable depth, with its checksum), snapshots, heartbeats.

use crate::sim::market::TickLevel;
use crate::sim::server::SimConfig;
use crate::sim::state::{SimMarket, State, Tick};
use crate::sim::venues::{Paths, RestReply, Timer, WireStyle};
use crate::sim::window::{top, window_diff};
use crate::types::{Exchange, Symbol};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const EXCHANGE: Exchange = Exchange::Kraken;

pub(crate) use KrakenSession as Session;

/// No update ids (the step number stands in); pairs as `BTC/USDT`; the market's scales.
pub(crate) const STYLE: WireStyle = WireStyle {
    update_ids: false,
    lower_case_key: false,
    fixed_decimals: None,
};

pub(crate) const PATHS: Paths = Paths {
    prefix: "/kraken",
    endpoint_ws: "/v2",
    endpoint_rest: None,
    ws: &["/v2"],
    rest: &[],
};

/// The frames one step of one Kraken market produced.
#[derive(Clone, Debug)]
pub struct Frames {
    /// `book` updates per subscribed depth, indexed like [`DEPTHS`](super::DEPTHS).
    pub books: [Vec<String>; 5],
    /// `trade` update.
    pub trade: Option<String>,
    /// `ticker` update (on trades).
    pub ticker: Option<String>,
}

/// One market step at `ms`: the window diff of every subscribable depth, the checksum of
/// the top 10 (a wrong one when the fault is armed), trades and ticker.
pub(crate) fn step(m: &mut SimMarket, ms: u64) -> Frames {
    let max = super::DEPTHS[super::DEPTHS.len() - 1];
    let before = (top(&m.market, true, max), top(&m.market, false, max));
    let step = m.market.step();
    m.version += 1;
    m.update_id = m.version;
    m.history.push(m.update_id, &step.bids, &step.asks);
    m.record_trades(&step);
    let after = (top(&m.market, true, max), top(&m.market, false, max));
    let cut = |v: &[TickLevel], d: usize| v[..d.min(v.len())].to_vec();
    let diffs: Vec<(Vec<TickLevel>, Vec<TickLevel>)> = super::DEPTHS
        .iter()
        .map(|&d| {
            let mk = &m.market;
            (
                window_diff(&cut(&before.0, d), &cut(&after.0, d), true, |p| {
                    mk.level(true, p).is_some()
                }),
                window_diff(&cut(&before.1, d), &cut(&after.1, d), false, |p| {
                    mk.level(false, p).is_some()
                }),
            )
        })
        .collect();
    let cfg = m.market.config().clone();
    let scales = (cfg.price_scale, cfg.qty_scale);
    let mut checksum = super::checksum(&after.1, &after.0, scales, super::precisions(&cfg));
    // Faults act on the next update that changes the top 10 (so that they show).
    let top10_changed = !diffs[0].0.is_empty() || !diffs[0].1.is_empty();
    let copies = if top10_changed {
        if std::mem::take(&mut m.pending.corrupt) {
            checksum = checksum.wrapping_add(1);
        }
        m.copies()
    } else {
        1
    };
    let mut books: [Vec<String>; 5] = Default::default();
    for (k, (b, a)) in diffs.iter().enumerate() {
        if b.is_empty() && a.is_empty() {
            continue;
        }
        let frame = super::book(&cfg, &m.wire, false, b, a, checksum, ms);
        books[k] = vec![frame; copies];
    }
    let (trade, ticker) = if step.trades.is_empty() {
        (None, None)
    } else {
        let (b, a) = m.market.top();
        (
            Some(super::trades(&cfg, &m.wire, &step.trades, ms)),
            b.zip(a)
                .map(|(b, a)| super::ticker(&cfg, &m.wire, false, b, a, m.last_price, ms)),
        )
    };
    Frames {
        books,
        trade,
        ticker,
    }
}

/// A `book` snapshot of the top `depth` of `m`.
pub(crate) fn snapshot(m: &SimMarket, depth: usize, ms: u64) -> String {
    let cfg = m.cfg();
    let bids = top(&m.market, true, depth);
    let asks = top(&m.market, false, depth);
    let sum = super::checksum(
        &asks,
        &bids,
        (cfg.price_scale, cfg.qty_scale),
        super::precisions(cfg),
    );
    super::book(cfg, &m.wire, true, &bids, &asks, sum, ms)
}

/// A `ticker` snapshot of `m`.
pub(crate) fn ticker_snapshot(m: &SimMarket, ms: u64) -> Option<String> {
    let (b, a) = m.market.top();
    let (b, a) = b.zip(a)?;
    Some(super::ticker(
        m.cfg(),
        &m.wire,
        true,
        b,
        a,
        m.last_price,
        ms,
    ))
}

/// A connection to `/v2`: it first gets the `status` message with its connection id.
pub(crate) fn open(
    _path: &str,
    _query: &str,
    state: &mut State,
    _config: &SimConfig,
) -> Result<(Session, Vec<String>), String> {
    state.next_connection += 1;
    Ok((
        Session::default(),
        vec![super::status(state.next_connection)],
    ))
}

/// Kraken's market data has no REST path here.
pub(crate) fn rest(path: &str, _query: &str, _state: &mut State, _ms: u64) -> RestReply {
    RestReply::json(404, format!("{{\"error\":\"not found: {path}\"}}"))
}

pub(crate) fn markets(config: &SimConfig) -> &[Symbol] {
    &config.kraken
}

pub(crate) fn markets_mut(config: &mut SimConfig) -> &mut Vec<Symbol> {
    &mut config.kraken
}

/// An application heartbeat on a quiet subscribed connection.
pub(crate) fn timer(config: &SimConfig) -> (Timer, Duration) {
    (
        Timer::Heartbeat(super::HEARTBEAT),
        config.kraken_heartbeat_interval,
    )
}

pub(crate) fn incoming_limit(_config: &SimConfig) -> usize {
    0
}

/// A Kraken v2 connection (§3.2–§3.7).
#[derive(Debug, Default)]
pub struct KrakenSession {
    /// Book subscriptions: pair → (index into [`super::DEPTHS`], market version of the
    /// snapshot).
    books: BTreeMap<String, (usize, u64)>,
    trades: BTreeSet<String>,
    tickers: BTreeSet<String>,
}

impl KrakenSession {
    /// The simulator sends no maintenance notice on this venue.
    pub fn maintenance_notice(&self) -> Option<String> {
        None
    }

    /// True when the client subscribed to anything (heartbeats start then).
    pub fn has_subscriptions(&self) -> bool {
        !self.books.is_empty() || !self.trades.is_empty() || !self.tickers.is_empty()
    }

    /// Replies to a request: acks (one per symbol), snapshots, pong, errors.
    pub fn on_text(&mut self, text: &str, state: &State, ms: u64) -> Vec<String> {
        let fail = |method: &str, error: &str, req_id: Option<i64>| {
            super::method_reply(method, None, Some(error), req_id, ms)
        };
        let v: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return vec![json!({"error": "Malformed request", "success": false,
                    "time_in": super::rfc3339(ms), "time_out": super::rfc3339(ms)})
                .to_string()]
            }
        };
        let req_id = v.get("req_id").and_then(Value::as_i64);
        let method = v.get("method").and_then(Value::as_str).unwrap_or("");
        match method {
            "ping" => {
                return vec![json!({"method": "pong", "req_id": req_id,
                "time_in": super::rfc3339(ms), "time_out": super::rfc3339(ms)})
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
            let ack = super::method_reply(
                method,
                Some(json!({"channel": "instrument", "snapshot": snapshot})),
                None,
                req_id,
                ms,
            );
            let mut out = vec![ack];
            if subscribe && snapshot {
                out.push(super::instruments(
                    state
                        .markets
                        .iter()
                        .filter(|m| m.exchange == EXCHANGE)
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
        let depth_index = super::DEPTHS.iter().position(|d| *d == depth);
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
                super::method_reply(method, Some(result.clone()), error, req_id, ms)
            };
            let Some(market) = state.by_key(EXCHANGE, &wire) else {
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
                        out.push(self::snapshot(market, depth, ms));
                    }
                }
                "trade" => {
                    self.trades.insert(wire);
                }
                _ => {
                    self.tickers.insert(wire);
                    if snapshot {
                        out.extend(ticker_snapshot(market, ms));
                    }
                }
            }
        }
        out
    }

    /// The subscribed frames of `tick` (book updates newer than the client's snapshot).
    pub fn on_tick(&self, tick: &Tick, frames: &Frames) -> Vec<String> {
        let Frames {
            books,
            trade,
            ticker,
        } = frames;
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
