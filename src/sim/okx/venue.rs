//! OKX v5 in the simulator (§7): the public session, what a market step sends (`books`
//! updates chained by `seqId`/`prevSeqId`, `books5`, `bbo-tbt`, `trades`, `tickers`), the
//! REST order book, the limits and the idle close.
//!
//! Two behaviours of the venue are configuration (`SimConfig`): `okx_legacy_checksum` (the
//! CRC32 `checksum` on every `books` message, as before 2026-06-23; otherwise `0`, as OKX
//! sends now) and `okx_ws_snapshot` (the `books` snapshot after a subscribe; without it
//! the client must fetch `GET /api/v5/market/books`, the 2026 procedure).

use super::{Seq, BOOK_DEPTH};
use crate::sim::server::SimConfig;
use crate::sim::session::query_param;
use crate::sim::state::{SimMarket, State, Tick};
use crate::sim::venues::{Paths, RestReply, Timer, WireStyle};
use crate::sim::window::{top, window_diff};
use crate::types::{Exchange, Symbol};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

const EXCHANGE: Exchange = Exchange::Okx;

pub(crate) use OkxSession as Session;

/// `seqId` on every book message; instruments as `BTC-USDT`, `BTC-USDT-SWAP`; shortest
/// decimals.
pub(crate) const STYLE: WireStyle = WireStyle {
    update_ids: true,
    lower_case_key: false,
    fixed_decimals: None,
};

pub(crate) const PATHS: Paths = Paths {
    prefix: "/okx",
    endpoint_ws: "/ws/v5/public",
    endpoint_rest: Some(""),
    ws: &["/ws/v5/public"],
    rest: &["/api/v5/market/books"],
};

/// The channels of the public endpoint the simulator serves.
const CHANNELS: [&str; 5] = ["books", "books5", "bbo-tbt", "trades", "tickers"];

/// The frames one step of one OKX market produced.
#[derive(Clone, Debug)]
pub struct Frames {
    /// `books` updates with the legacy checksum (the corrupt fault applied).
    pub books: Vec<String>,
    /// The same updates with `checksum` `0`, as OKX sends since 2026-06-23.
    pub books_zero: Vec<String>,
    /// `books5` when the top 5 changed.
    pub books5: Option<String>,
    /// `bbo-tbt` when the best bid or ask changed.
    pub bbo: Option<String>,
    /// `trades` messages.
    pub trades: Vec<String>,
    /// `tickers` message (on trades).
    pub ticker: Option<String>,
}

/// One market step at `ms`: the diff of the 400-level window, `seqId` advanced by the
/// number of level changes (OKX's ids jump), `prevSeqId` the last `seqId`; an unchanged
/// window sends the keep-alive update (`prevSeqId == seqId`, no levels). The armed faults
/// act on the update: skip (the chain breaks), repeat, corrupt checksum.
pub(crate) fn step(m: &mut SimMarket, ms: u64) -> Frames {
    let d = BOOK_DEPTH;
    let before = (top(&m.market, true, d), top(&m.market, false, d));
    let step = m.market.step();
    m.version += 1;
    m.record_trades(&step);
    let after = (top(&m.market, true, d), top(&m.market, false, d));
    let mk = &m.market;
    let bids = window_diff(&before.0, &after.0, true, |p| mk.level(true, p).is_some());
    let asks = window_diff(&before.1, &after.1, false, |p| mk.level(false, p).is_some());
    let prev = m.update_id as i64;
    let changes = bids.len() + asks.len();
    m.update_id += changes as u64;
    m.history.push(m.update_id, &step.bids, &step.asks);
    let cfg = m.market.config().clone();
    let seq = Seq {
        prev,
        seq: m.update_id as i64,
    };
    let (mut books, mut books_zero) = (Vec::new(), Vec::new());
    if changes == 0 {
        let keep = super::books(&cfg, &m.wire, false, &[], &[], 0, seq, ms);
        books.push(keep.clone());
        books_zero.push(keep);
    } else {
        let mut sum = super::checksum(&cfg, &after.0, &after.1);
        if std::mem::take(&mut m.pending.corrupt) {
            sum = sum.wrapping_add(1);
        }
        let copies = m.copies();
        let frame = super::books(&cfg, &m.wire, false, &bids, &asks, sum, seq, ms);
        let zero = super::books(&cfg, &m.wire, false, &bids, &asks, 0, seq, ms);
        books = vec![frame; copies];
        books_zero = vec![zero; copies];
    }
    let n5 = super::BOOKS5_DEPTH;
    let cut = |v: &[(i64, u64)], n: usize| v[..n.min(v.len())].to_vec();
    let books5 = (cut(&before.0, n5) != cut(&after.0, n5)
        || cut(&before.1, n5) != cut(&after.1, n5))
    .then(|| {
        super::top_levels(
            &cfg,
            "books5",
            &m.wire,
            &cut(&after.0, n5),
            &cut(&after.1, n5),
            seq.seq,
            ms,
        )
    });
    let bbo =
        (before.0.first() != after.0.first() || before.1.first() != after.1.first()).then(|| {
            super::top_levels(
                &cfg,
                "bbo-tbt",
                &m.wire,
                &cut(&after.0, 1),
                &cut(&after.1, 1),
                seq.seq,
                ms,
            )
        });
    let trades: Vec<String> = (step.trades.iter())
        .map(|t| super::trade(&cfg, &m.wire, t, ms))
        .collect();
    let ticker = if trades.is_empty() {
        None
    } else {
        ticker_of(m, ms)
    };
    Frames {
        books,
        books_zero,
        books5,
        bbo,
        trades,
        ticker,
    }
}

fn ticker_of(m: &SimMarket, ms: u64) -> Option<String> {
    let (b, a) = m.market.top();
    let (b, a) = b.zip(a)?;
    Some(super::ticker(m.cfg(), &m.wire, b, a, m.last_price, ms))
}

/// A `books` snapshot of the top 400 of `m` (`prevSeqId` -1, `seqId` the last sent).
pub(crate) fn snapshot(m: &SimMarket, legacy_checksum: bool, ms: u64) -> String {
    let (bids, asks) = (
        top(&m.market, true, BOOK_DEPTH),
        top(&m.market, false, BOOK_DEPTH),
    );
    let sum = if legacy_checksum {
        super::checksum(m.cfg(), &bids, &asks)
    } else {
        0
    };
    let seq = Seq {
        prev: -1,
        seq: m.update_id as i64,
    };
    super::books(m.cfg(), &m.wire, true, &bids, &asks, sum, seq, ms)
}

/// A connection to `/ws/v5/public`, refused with 429 beyond 3 new connections a second
/// (§7: per IP; every client of the simulator is one IP).
pub(crate) fn open(
    _path: &str,
    _query: &str,
    state: &mut State,
    config: &SimConfig,
) -> Result<(Session, Vec<String>), String> {
    let now = Instant::now();
    let log = state.connects.entry(EXCHANGE).or_default();
    while log
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        log.pop_front();
    }
    if config.okx_connection_limit && log.len() >= super::CONNECTIONS_PER_SECOND {
        return Err("429 Too Many Requests: connection limit 3 per second".to_string());
    }
    log.push_back(now);
    state.next_connection += 1;
    Ok((
        OkxSession {
            conn_id: format!("{:08x}", 0x0c0f_fee0_u64 + state.next_connection),
            legacy_checksum: config.okx_legacy_checksum,
            ws_snapshot: config.okx_ws_snapshot,
            ..OkxSession::default()
        },
        Vec::new(),
    ))
}

/// `GET /api/v5/market/books?instId=..&sz=..` (§7, the 2026 sync procedure): the top `sz`
/// levels (1 by default, at most 400) with the `seqId` of the book, and the REST faults
/// (throttled: 429 `50011`; stale: the oldest kept book; delayed).
pub(crate) fn rest(_path: &str, query: &str, st: &mut State, ms: u64) -> RestReply {
    let Some(inst) = query_param(query, "instId").filter(|s| !s.is_empty()) else {
        return RestReply::json(
            400,
            super::rest_error("50014", "Parameter instId can not be empty."),
        );
    };
    let sz = match query_param(query, "sz").map(|s| s.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if (1..=BOOK_DEPTH).contains(&n) => n,
        Some(_) => {
            return RestReply::json(400, super::rest_error("51000", "Parameter sz error"));
        }
    };
    let now = Instant::now();
    if st.throttle_rest > 0 {
        st.throttle_rest -= 1;
        st.rest_log.push((now, 429));
        return RestReply::json(429, super::rest_error("50011", "Too Many Requests"));
    }
    let stale = if st.stale_rest > 0 {
        st.stale_rest -= 1;
        true
    } else {
        false
    };
    let delay = st.rest_delay;
    let Some(m) = st.by_key(EXCHANGE, &inst) else {
        st.rest_log.push((now, 200));
        return RestReply::json(
            200,
            super::rest_error("51001", "Instrument ID does not exist"),
        );
    };
    let body = if stale {
        let id = m.history.oldest_id();
        m.history.book_at(id).map(|(b, a)| {
            let bids: Vec<_> = b.into_iter().rev().take(sz).collect();
            let asks: Vec<_> = a.into_iter().take(sz).collect();
            super::rest_books(m.cfg(), &bids, &asks, id as i64, ms)
        })
    } else {
        None
    };
    let body = body.unwrap_or_else(|| {
        let (bids, asks) = (top(&m.market, true, sz), top(&m.market, false, sz));
        super::rest_books(m.cfg(), &bids, &asks, m.update_id as i64, ms)
    });
    st.rest_log.push((now, 200));
    let mut reply = RestReply::json(200, body);
    reply.delay = delay;
    reply
}

pub(crate) fn markets(config: &SimConfig) -> &[Symbol] {
    &config.okx
}

pub(crate) fn markets_mut(config: &mut SimConfig) -> &mut Vec<Symbol> {
    &mut config.okx
}

/// The venue closes a connection that nothing was pushed on for 30 s (§7).
pub(crate) fn timer(config: &SimConfig) -> (Timer, Duration) {
    (Timer::CloseWhenQuiet, config.okx_idle_timeout)
}

pub(crate) fn incoming_limit(_config: &SimConfig) -> usize {
    0
}

/// An OKX v5 public connection (§7).
#[derive(Debug, Default)]
pub struct OkxSession {
    conn_id: String,
    /// Send the legacy checksum (else `0`).
    legacy_checksum: bool,
    /// Send the `books` snapshot after a subscribe.
    ws_snapshot: bool,
    /// `books` subscriptions: instId → market version when subscribed.
    books: BTreeMap<String, u64>,
    books5: BTreeSet<String>,
    bbo: BTreeSet<String>,
    trades: BTreeSet<String>,
    tickers: BTreeSet<String>,
    /// When (ms) the subscribe / unsubscribe requests of the last hour arrived.
    requests: VecDeque<u64>,
}

impl OkxSession {
    /// True when the client subscribed to anything.
    pub fn has_subscriptions(&self) -> bool {
        !self.books.is_empty()
            || !self.books5.is_empty()
            || !self.bbo.is_empty()
            || !self.trades.is_empty()
            || !self.tickers.is_empty()
    }

    /// The `64008` notice (the connection is closed a grace period later).
    pub fn maintenance_notice(&self) -> Option<String> {
        Some(super::maintenance_notice(&self.conn_id))
    }

    fn set(&mut self, channel: &str) -> Option<&mut BTreeSet<String>> {
        match channel {
            "books5" => Some(&mut self.books5),
            "bbo-tbt" => Some(&mut self.bbo),
            "trades" => Some(&mut self.trades),
            "tickers" => Some(&mut self.tickers),
            _ => None,
        }
    }

    /// Replies to a request: `pong`, one ack or error per argument, snapshots, errors.
    pub fn on_text(&mut self, text: &str, state: &State, ms: u64) -> Vec<String> {
        let conn = self.conn_id.clone();
        if text == "ping" {
            return vec![super::PONG.to_string()];
        }
        if text.len() > super::MAX_REQUEST_BYTES {
            return vec![super::error(
                None,
                "60012",
                "Invalid request: the request exceeds 64 KB",
                &conn,
            )];
        }
        let invalid = |id: Option<&str>| {
            let shown: String = text.chars().take(200).collect();
            vec![super::error(
                id,
                "60012",
                &format!("Invalid request: {shown}"),
                &conn,
            )]
        };
        let v: Value = match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return invalid(None),
        };
        let id = v.get("id").and_then(Value::as_str).map(str::to_string);
        let id = id.as_deref();
        let op = v.get("op").and_then(Value::as_str).unwrap_or("");
        if op != "subscribe" && op != "unsubscribe" {
            return invalid(id);
        }
        while self
            .requests
            .front()
            .is_some_and(|t| ms.saturating_sub(*t) >= 3_600_000)
        {
            self.requests.pop_front();
        }
        if self.requests.len() >= super::REQUESTS_PER_HOUR {
            return vec![super::error(id, "60014", "Requests too frequent.", &conn)];
        }
        self.requests.push_back(ms);
        let Some(args) = v
            .get("args")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
        else {
            return invalid(id);
        };
        let subscribe = op == "subscribe";
        let mut out = Vec::new();
        for a in args {
            let channel = a.get("channel").and_then(Value::as_str).unwrap_or("");
            let inst = a.get("instId").and_then(Value::as_str).unwrap_or("");
            let market = state.by_key(EXCHANGE, inst);
            let Some(market) = market.filter(|_| CHANNELS.contains(&channel)) else {
                out.push(super::unknown_channel(id, channel, inst, &conn));
                continue;
            };
            out.push(super::ack(id, op, channel, inst, &conn));
            match (subscribe, channel) {
                (true, "books") => {
                    // A subscribe of a subscribed book starts it over from a snapshot.
                    self.books.insert(inst.to_string(), market.version);
                    if self.ws_snapshot {
                        out.push(snapshot(market, self.legacy_checksum, ms));
                    }
                }
                (false, "books") => {
                    self.books.remove(inst);
                }
                (true, ch) => {
                    if let Some(s) = self.set(ch) {
                        s.insert(inst.to_string());
                    }
                    if ch == "tickers" {
                        out.extend(ticker_of(market, ms));
                    }
                }
                (false, ch) => {
                    if let Some(s) = self.set(ch) {
                        s.remove(inst);
                    }
                }
            }
        }
        out
    }

    /// The subscribed frames of `tick`, in OKX's push order (bbo-tbt, books, books5).
    pub fn on_tick(&self, tick: &Tick, frames: &Frames) -> Vec<String> {
        let key = &tick.key;
        let mut out = Vec::new();
        if self.bbo.contains(key) {
            out.extend(frames.bbo.iter().cloned());
        }
        if let Some(version) = self.books.get(key) {
            if tick.version > *version {
                let books = if self.legacy_checksum {
                    &frames.books
                } else {
                    &frames.books_zero
                };
                out.extend(books.iter().cloned());
            }
        }
        if self.books5.contains(key) {
            out.extend(frames.books5.iter().cloned());
        }
        if self.trades.contains(key) {
            out.extend(frames.trades.iter().cloned());
        }
        if self.tickers.contains(key) {
            out.extend(frames.ticker.iter().cloned());
        }
        out
    }
}
