//! Replays a recorded capture through parse → sequencer → book.
//!
//! Captures use the cryptofeed raw format (see `tests/fixtures/*/README.md`):
//!
//! * `wss://HOST/PATH <-> <ts>`: a connection opened (first line of a WebSocket file);
//! * `wss://HOST/PATH <- <ts>: <json>`: a message the client sent;
//! * `<ts>: <frame>`: a frame received at `<ts>` (seconds, with a fraction);
//! * `https://URL -> <ts>: <body>`: a REST response (Binance depth snapshots, OKX `GET /api/v5/market/books`).
//!
//! For Binance, REST snapshots are delivered to a book when its sequencer has asked for one
//! and the snapshot's receive time has been reached, exactly as a live client would see them.
//! Nothing here touches the network or the clock.

use crate::exchange::{
    self, BookTracker, Control, LevelBuffers, Message, Outcome, ResyncReason, TrackerConfig,
};
use crate::types::{Exchange, MarketEvent, Symbol, Timestamp};
use crate::ParseError;
use std::collections::{HashMap, VecDeque};
use std::fmt;

/// One line of a capture file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureLine<'a> {
    /// A connection opened to `url`.
    Open {
        /// Endpoint.
        url: &'a str,
    },
    /// A message sent by the recorder.
    Sent {
        /// Endpoint.
        url: &'a str,
        /// The message.
        body: &'a str,
    },
    /// A frame received at `ts`.
    Received {
        /// Receive time.
        ts: Timestamp,
        /// The frame text.
        frame: &'a str,
    },
    /// A REST response received at `ts`.
    Http {
        /// Request URL.
        url: &'a str,
        /// Receive time.
        ts: Timestamp,
        /// Body.
        body: &'a str,
    },
    /// Blank line.
    Blank,
}

/// A capture line that fits none of the known forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine(pub String);

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(120).collect();
        write!(f, "unrecognised capture line {shown:?}")
    }
}

impl std::error::Error for BadLine {}

/// Parses one capture line.
pub fn parse_capture_line(line: &str) -> Result<CaptureLine<'_>, BadLine> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(CaptureLine::Blank);
    }
    let bad = || BadLine(line.to_string());
    if line.starts_with("wss://") || line.starts_with("ws://") {
        if let Some((url, _)) = line.split_once(" <-> ") {
            return Ok(CaptureLine::Open { url });
        }
        if let Some((url, rest)) = line.split_once(" <- ") {
            let (_, body) = rest.split_once(": ").ok_or_else(bad)?;
            return Ok(CaptureLine::Sent { url, body });
        }
        return Err(bad());
    }
    if line.starts_with("https://") || line.starts_with("http://") {
        let (url, rest) = line.split_once(" -> ").ok_or_else(bad)?;
        let (ts, body) = rest.split_once(": ").ok_or_else(bad)?;
        let ts = Timestamp::parse_unix_seconds(ts).ok_or_else(bad)?;
        return Ok(CaptureLine::Http { url, ts, body });
    }
    let (ts, frame) = line.split_once(": ").ok_or_else(bad)?;
    let ts = Timestamp::parse_unix_seconds(ts).ok_or_else(bad)?;
    Ok(CaptureLine::Received { ts, frame })
}

/// Which venue a capture's endpoint belongs to.
pub fn venue_of_url(url: &str) -> Option<Exchange> {
    let host = url.split("://").nth(1)?.split(['/', ':', '?']).next()?;
    Exchange::ALL
        .into_iter()
        .find(|e| e.spec().serves_host(host))
}

/// Replay settings.
#[derive(Clone, Debug)]
pub struct ReplayOptions {
    /// The venue; detected from the capture's URL line when `None`.
    pub venue: Option<Exchange>,
    /// Book depth kept per side (Kraken: the subscribed depth). Detected from the
    /// capture's subscribe request when `None`, else the venue default.
    pub book_depth: Option<usize>,
}

/// Why a replay could not run.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// The capture names no supported venue and none was given.
    UnknownVenue(Option<String>),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::UnknownVenue(Some(url)) => {
                write!(f, "cannot tell the venue from {url:?}; pass --venue")
            }
            ReplayError::UnknownVenue(None) => {
                f.write_str("the capture has no connection line; pass --venue")
            }
        }
    }
}

impl std::error::Error for ReplayError {}

/// Counters of a replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Frames received (REST responses not included).
    pub frames: u64,
    /// Snapshots and updates applied to a book.
    pub book_updates: u64,
    /// Venue checksums that matched.
    pub checksums_ok: u64,
    /// Venue checksums that did not match.
    pub checksums_failed: u64,
    /// Sequence gaps detected.
    pub gaps: u64,
    /// Books invalidated and resynced (gaps, checksum mismatches, book errors).
    pub resyncs: u64,
    /// Frames (or capture lines) that could not be parsed.
    pub parse_errors: u64,
    /// Book messages dropped as already covered.
    pub stale: u64,
    /// Trades seen.
    pub trades: u64,
    /// Tickers seen.
    pub tickers: u64,
    /// Symbols whose book never became (or did not end) live.
    pub unsynced: Vec<String>,
}

impl Summary {
    /// The summary as one JSON line (keys in a fixed, documented order).
    pub fn to_json(&self) -> String {
        let unsynced = serde_json::to_string(&self.unsynced).unwrap_or_else(|_| "[]".into());
        format!(
            "{{\"summary\":{{\"frames\":{},\"book_updates\":{},\"checksums_ok\":{},\"checksums_failed\":{},\"gaps\":{},\"resyncs\":{},\"parse_errors\":{},\"stale\":{},\"trades\":{},\"tickers\":{},\"unsynced\":{unsynced}}}}}",
            self.frames,
            self.book_updates,
            self.checksums_ok,
            self.checksums_failed,
            self.gaps,
            self.resyncs,
            self.parse_errors,
            self.stale,
            self.trades,
            self.tickers,
        )
    }
}

/// What the replay reports to its caller as it goes.
#[derive(Debug)]
pub enum ReplayEvent<'a> {
    /// A tracker produced an outcome. For [`Outcome::Applied`], `tracker` shows the book
    /// right after the message; `seq` is the venue update id or, where the venue has none,
    /// the index of the frame in the capture.
    Outcome {
        /// The book.
        tracker: &'a BookTracker,
        /// What happened.
        outcome: &'a Outcome,
        /// Update id, or frame index.
        seq: u64,
    },
    /// A non-book market event (trade, ticker) as parsed.
    Market(&'a MarketEvent),
    /// A frame that failed to parse.
    ParseError(&'a ParseError),
    /// A capture line that is not in the capture format.
    BadLine(&'a BadLine),
}

/// Replays `ws` (and, for Binance, the REST snapshots in `http`), calling `sink` for
/// everything that happens. Returns the summary.
pub fn replay(
    ws: &str,
    http: Option<&str>,
    options: &ReplayOptions,
    mut sink: impl FnMut(&ReplayEvent<'_>),
) -> Result<Summary, ReplayError> {
    let mut r = Replayer::new(ws, options)?;
    if let Some(http) = http {
        r.load_snapshots(http, &mut sink);
    }
    for (index, line) in ws.lines().enumerate() {
        r.feed_line(index as u64, line, &mut sink);
    }
    Ok(r.finish(&mut sink))
}

/// The `depth` of a book subscription request, if the message is one.
fn subscribed_depth(body: &str) -> Option<usize> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let sub = v.get("subscription").or_else(|| v.get("params"))?;
    sub.get("depth")?.as_u64().map(|d| d as usize)
}

/// The books found by a linear scan before the symbol index is asked (see `Replayer`).
const LINEAR_LOOKUP: usize = 8;

/// A replay driven one capture line at a time (what [`replay`] does in a loop), for callers
/// that time or inspect each frame (`examples/capture_bench.rs`).
pub struct Replayer {
    exchange: Exchange,
    depth: Option<usize>,
    /// The books, in the order first seen; `index` finds one by symbol. A capture holds a
    /// few books, interleaved frame by frame: the first [`LINEAR_LOOKUP`] are found by
    /// comparing symbols in order, which is cheaper than hashing one.
    trackers: Vec<BookTracker>,
    index: HashMap<Symbol, usize>,
    precisions: HashMap<Symbol, (u32, u32)>,
    snapshots: HashMap<Symbol, VecDeque<(Timestamp, String)>>,
    wants_snapshot: HashMap<Symbol, bool>,
    /// How many values of `wants_snapshot` are true: every frame checks it.
    wanting: usize,
    summary: Summary,
    outcomes: Vec<Outcome>,
    /// The level vectors of the delta lane, reused frame after frame.
    spare: LevelBuffers,
}

impl Replayer {
    /// A replayer for the capture `ws` (its URL line names the venue unless
    /// `options.venue` does).
    pub fn new(ws: &str, options: &ReplayOptions) -> Result<Replayer, ReplayError> {
        let first_url = ws.lines().find_map(|l| match parse_capture_line(l) {
            Ok(CaptureLine::Open { url }) => Some(url),
            _ => None,
        });
        let exchange = match options.venue.or_else(|| first_url.and_then(venue_of_url)) {
            Some(e) => e,
            None => return Err(ReplayError::UnknownVenue(first_url.map(str::to_string))),
        };
        Ok(Replayer {
            exchange,
            depth: options.book_depth,
            trackers: Vec::new(),
            index: HashMap::new(),
            precisions: HashMap::new(),
            snapshots: HashMap::new(),
            wants_snapshot: HashMap::new(),
            wanting: 0,
            summary: Summary::default(),
            outcomes: Vec::new(),
            spare: LevelBuffers::new(),
        })
    }

    /// The venue replayed.
    pub fn exchange(&self) -> Exchange {
        self.exchange
    }

    /// Feeds line `index` of the capture: a received frame is parsed and applied (after any
    /// REST snapshot whose receive time it passed), a subscribe request sets the depth.
    pub fn feed_line(&mut self, index: u64, line: &str, sink: &mut impl FnMut(&ReplayEvent<'_>)) {
        match parse_capture_line(line) {
            Ok(CaptureLine::Received { ts, frame }) => self.feed_frame(index, ts, frame, sink),
            Ok(CaptureLine::Sent { body, .. }) if self.depth.is_none() => {
                self.depth = subscribed_depth(body);
            }
            Ok(_) => {}
            Err(e) => {
                self.summary.parse_errors += 1;
                sink(&ReplayEvent::BadLine(&e));
            }
        }
    }

    /// Feeds one received frame (line `index`, received at `ts`): due REST snapshots first.
    pub fn feed_frame(
        &mut self,
        index: u64,
        ts: Timestamp,
        frame: &str,
        sink: &mut impl FnMut(&ReplayEvent<'_>),
    ) {
        self.deliver_due_snapshots(ts, sink);
        self.summary.frames += 1;
        self.on_frame(index, ts, frame, sink);
    }

    /// Delivers the snapshots still wanted and returns the summary.
    pub fn finish(mut self, sink: &mut impl FnMut(&ReplayEvent<'_>)) -> Summary {
        self.deliver_due_snapshots(Timestamp::from_unix_nanos(u64::MAX), sink);
        let mut unsynced: Vec<String> = self
            .trackers
            .iter()
            .filter(|t| !matches!(t.state(), exchange::SyncState::Live))
            .map(|t| t.symbol().to_string())
            .collect();
        unsynced.sort();
        self.summary.unsynced = unsynced;
        self.summary
    }

    /// Loads the REST snapshots of an http capture (Binance, OKX), delivered when a book asks
    /// for one and their receive time is reached.
    pub fn load_snapshots(&mut self, http: &str, sink: &mut impl FnMut(&ReplayEvent<'_>)) {
        for line in http.lines() {
            match parse_capture_line(line) {
                Ok(CaptureLine::Http { url, ts, body }) => {
                    // Binance names the book `symbol=`, OKX `instId=`.
                    let Some(wire) =
                        query_param(url, "symbol").or_else(|| query_param(url, "instId"))
                    else {
                        continue;
                    };
                    match Symbol::from_venue(self.exchange, wire) {
                        Ok(sym) => self
                            .snapshots
                            .entry(sym)
                            .or_default()
                            .push_back((ts, body.to_string())),
                        Err(_) => self.summary.parse_errors += 1,
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    self.summary.parse_errors += 1;
                    sink(&ReplayEvent::BadLine(&e));
                }
            }
        }
    }

    /// The index of `symbol`'s tracker, created on first use.
    fn tracker(&mut self, symbol: &Symbol) -> usize {
        if let Some(at) = self.trackers[..self.trackers.len().min(LINEAR_LOOKUP)]
            .iter()
            .position(|t| t.symbol() == symbol)
        {
            return at;
        }
        match self.index.get(symbol) {
            Some(&at) => at,
            None => {
                let precision = self.precisions.get(symbol).copied();
                self.trackers.push(BookTracker::new(
                    self.exchange,
                    symbol.clone(),
                    TrackerConfig {
                        depth: self.depth,
                        checksum_precision: precision,
                        max_levels: None,
                    },
                ));
                let at = self.trackers.len() - 1;
                self.index.insert(symbol.clone(), at);
                at
            }
        }
    }

    /// Records whether `symbol`'s book wants a REST snapshot, keeping `wanting` true.
    fn set_wants_snapshot(&mut self, symbol: Symbol, wants: bool) {
        let was = self.wants_snapshot.insert(symbol, wants).unwrap_or(false);
        match (was, wants) {
            (false, true) => self.wanting += 1,
            (true, false) => self.wanting -= 1,
            _ => {}
        }
    }

    /// Delivers the wanted REST snapshots received at or before `now`.
    pub fn deliver_due_snapshots(
        &mut self,
        now: Timestamp,
        sink: &mut impl FnMut(&ReplayEvent<'_>),
    ) {
        if self.wanting == 0 {
            return;
        }
        let wanted: Vec<Symbol> = self
            .wants_snapshot
            .iter()
            .filter(|(_, w)| **w)
            .map(|(s, _)| s.clone())
            .collect();
        for symbol in wanted {
            let due = self
                .snapshots
                .get(&symbol)
                .and_then(|q| q.front())
                .is_some_and(|(ts, _)| *ts <= now);
            if !due {
                continue;
            }
            let Some((ts, body)) = self
                .snapshots
                .get_mut(&symbol)
                .and_then(VecDeque::pop_front)
            else {
                continue;
            };
            self.set_wants_snapshot(symbol.clone(), false);
            match exchange::parse_snapshot(self.exchange, &body, &symbol, ts) {
                Ok(snap) => {
                    let mut out = std::mem::take(&mut self.outcomes);
                    out.clear();
                    let at = self.tracker(&symbol);
                    self.trackers[at].on_snapshot(snap, &mut out);
                    self.report(at, &out, 0, sink);
                    self.outcomes = out;
                }
                Err(e) => {
                    self.summary.parse_errors += 1;
                    sink(&ReplayEvent::ParseError(&e));
                }
            }
        }
    }

    fn on_frame(
        &mut self,
        index: u64,
        ts: Timestamp,
        frame: &str,
        sink: &mut impl FnMut(&ReplayEvent<'_>),
    ) {
        // A book update the venue's delta lane reads: the same delta `parse` gives, in level
        // vectors reused from frame to frame.
        if let Some(delta) = exchange::parse_delta(self.exchange, frame, ts, &mut self.spare) {
            let mut out = std::mem::take(&mut self.outcomes);
            out.clear();
            let at = self.tracker(&delta.meta.symbol);
            self.trackers[at].on_delta_ref(&delta, &mut out);
            self.report(at, &out, index, sink);
            self.outcomes = out;
            self.spare.recycle(delta);
            return;
        }
        let messages = match exchange::parse(self.exchange, frame, ts) {
            Ok(m) => m,
            Err(e) => {
                self.summary.parse_errors += 1;
                sink(&ReplayEvent::ParseError(&e));
                return;
            }
        };
        for message in messages {
            let mut out = std::mem::take(&mut self.outcomes);
            out.clear();
            let at = match message {
                Message::Market(MarketEvent::Snapshot(s)) => {
                    let at = self.tracker(&s.meta.symbol);
                    self.trackers[at].on_snapshot(s, &mut out);
                    at
                }
                Message::Market(MarketEvent::Delta(d)) => {
                    let at = self.tracker(&d.meta.symbol);
                    self.trackers[at].on_delta(d, &mut out);
                    at
                }
                Message::Market(event) => {
                    match &event {
                        MarketEvent::Trade(_) => self.summary.trades += 1,
                        _ => self.summary.tickers += 1,
                    }
                    sink(&ReplayEvent::Market(&event));
                    self.outcomes = out;
                    continue;
                }
                Message::Control(Control::Instrument {
                    symbol,
                    price_precision,
                    qty_precision,
                }) => {
                    self.precisions
                        .insert(symbol.clone(), (price_precision, qty_precision));
                    if let Some(&at) = self.index.get(&symbol) {
                        self.trackers[at].set_checksum_precision(price_precision, qty_precision);
                    }
                    self.outcomes = out;
                    continue;
                }
                Message::Control(_) => {
                    self.outcomes = out;
                    continue;
                }
            };
            self.report(at, &out, index, sink);
            self.outcomes = out;
        }
    }

    /// Counts and reports the outcomes of the message that went to tracker `at`.
    fn report(
        &mut self,
        at: usize,
        out: &[Outcome],
        index: u64,
        sink: &mut impl FnMut(&ReplayEvent<'_>),
    ) {
        for outcome in out {
            match outcome {
                Outcome::Applied { .. } => self.summary.book_updates += 1,
                Outcome::ChecksumOk => self.summary.checksums_ok += 1,
                Outcome::Stale => self.summary.stale += 1,
                Outcome::FetchSnapshot => {
                    let symbol = self.trackers[at].symbol().clone();
                    self.set_wants_snapshot(symbol, true);
                }
                Outcome::Resync(reason) => {
                    self.summary.resyncs += 1;
                    match reason {
                        ResyncReason::Gap { .. } => self.summary.gaps += 1,
                        ResyncReason::ChecksumMismatch { .. } => self.summary.checksums_failed += 1,
                        _ => {}
                    }
                }
                _ => {}
            }
            if let Some(tracker) = self.trackers.get(at) {
                let seq = match outcome {
                    Outcome::Applied {
                        update_id: Some(id),
                        ..
                    } => *id,
                    _ => index,
                };
                sink(&ReplayEvent::Outcome {
                    tracker,
                    outcome,
                    seq,
                });
            }
        }
    }
}

fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// One NDJSON line for an applied book message: top `n` levels, exact decimal strings:
/// `{"exchange":"binance","symbol":"NKN-USDT","seq":499869754,"bids":[["0.3513","120.5"]],"asks":[]}`.
pub fn book_line(tracker: &BookTracker, seq: u64, n: usize) -> String {
    use std::fmt::Write;
    let view = tracker.book().top(n);
    let mut s = String::with_capacity(64 + 48 * (view.bids.len() + view.asks.len()));
    let side = |s: &mut String, levels: &[crate::types::Level]| {
        s.push('[');
        for (i, l) in levels.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            let _ = write!(s, "{comma}[\"{}\",\"{}\"]", l.price, l.qty);
        }
        s.push(']');
    };
    let symbol = serde_json::to_string(tracker.symbol().as_str()).unwrap_or_default();
    let _ = write!(
        s,
        "{{\"exchange\":\"{}\",\"symbol\":{symbol},\"seq\":{seq},\"bids\":",
        tracker.exchange().as_str()
    );
    side(&mut s, &view.bids);
    s.push_str(",\"asks\":");
    side(&mut s, &view.asks);
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_lines() {
        assert_eq!(
            parse_capture_line("wss://ws.kraken.com <-> 1618678132.3858151"),
            Ok(CaptureLine::Open {
                url: "wss://ws.kraken.com"
            })
        );
        assert_eq!(
            parse_capture_line(r#"wss://ws.kraken.com <- 1618678132.8253062: {"a": 1}"#),
            Ok(CaptureLine::Sent {
                url: "wss://ws.kraken.com",
                body: r#"{"a": 1}"#
            })
        );
        let CaptureLine::Received { ts, frame } =
            parse_capture_line(r#"1633998512.0633569: {"x": {"y": 1}}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (ts.as_unix_nanos(), frame),
            (1_633_998_512_063_356_900, r#"{"x": {"y": 1}}"#)
        );
        let CaptureLine::Http { url, .. } = parse_capture_line(
            "https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000 -> 1633998512.320639: {}",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(query_param(url, "symbol"), Some("NKNUSDT"));
        assert_eq!(parse_capture_line(""), Ok(CaptureLine::Blank));
        assert!(parse_capture_line("garbage line").is_err());
    }

    #[test]
    fn venues_from_urls() {
        let v = |u| venue_of_url(u);
        assert_eq!(
            v("wss://stream.binance.com:9443/stream?streams=a"),
            Some(Exchange::Binance)
        );
        assert_eq!(
            v("wss://fstream.binance.com/stream?streams=a"),
            Some(Exchange::BinanceUsdM)
        );
        assert_eq!(v("wss://ws.kraken.com"), Some(Exchange::Kraken));
        assert_eq!(
            v("wss://ws.poloniex.com/ws/public"),
            Some(Exchange::Poloniex)
        );
        assert_eq!(v("wss://dstream.binance.com/stream"), None);
    }

    #[test]
    fn depth_from_subscribe_requests() {
        let v1 = r#"{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":1000}}"#;
        assert_eq!(subscribed_depth(v1), Some(1000));
        let v2 =
            r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25}}"#;
        assert_eq!(subscribed_depth(v2), Some(25));
        assert_eq!(subscribed_depth(r#"{"event":"subscribe"}"#), None);
    }
}
