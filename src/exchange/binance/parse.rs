//! Binance frame parsing: one text frame → normalized [`Message`]s.

use super::scan;
use super::wire::{BookTicker, DepthSnapshot, DepthUpdate, DepthUpdateParsed, Peek, TradeEvent};
use crate::exchange::fields::{dec, json_err, levels, unix_millis};
use crate::exchange::{Control, LevelBuffers, Message, ParseError, ParseErrorKind};
use crate::types::{
    BookDelta, BookSnapshot, Exchange, Level, MarketEvent, Meta, SeqIds, TakerSide, Ticker,
    Timestamp, Trade,
};

/// What a stream name (`nknusdt@depth@100ms`) carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Diff,
    Partial,
    BookTicker,
    Trade,
    Unsupported,
    Shutdown,
}

fn kind_of(stream: &str) -> Kind {
    if stream == "!serverShutdown" {
        return Kind::Shutdown;
    }
    // Byte search (stream names are short ASCII): the text between the first and the
    // second `@`, or to the end.
    let b = stream.as_bytes();
    let base = match b.iter().position(|&c| c == b'@') {
        Some(at) => {
            let rest = &b[at + 1..];
            let end = rest.iter().position(|&c| c == b'@').unwrap_or(rest.len());
            &rest[..end]
        }
        None => b"",
    };
    match base {
        b"depth" => Kind::Diff,
        b"depth5" | b"depth10" | b"depth20" => Kind::Partial,
        b"bookTicker" => Kind::BookTicker,
        b"trade" | b"aggTrade" => Kind::Trade,
        _ => Kind::Unsupported,
    }
}

#[cfg(test)]
fn kind_of_by_split(stream: &str) -> Kind {
    if stream == "!serverShutdown" {
        return Kind::Shutdown;
    }
    let channel = stream.split_once('@').map_or("", |(_, c)| c);
    let base = channel.split('@').next().unwrap_or("");
    match base {
        "depth" => Kind::Diff,
        "depth5" | "depth10" | "depth20" => Kind::Partial,
        "bookTicker" => Kind::BookTicker,
        "trade" | "aggTrade" => Kind::Trade,
        _ => Kind::Unsupported,
    }
}

/// Parses one frame from a Binance market-stream connection (combined `/stream` or raw `/ws`),
/// received at `received_at`. `exchange` is [`Exchange::Binance`] or
/// [`Exchange::BinanceUsdM`]; it is stamped on the events.
///
/// Unsupported channels (klines, tickers) yield no messages.
pub fn parse(
    exchange: Exchange,
    frame: &str,
    received_at: Timestamp,
) -> Result<Vec<Message>, ParseError> {
    // Hot path: a diff-depth frame read in one hand-written pass (`scan`); anything it does
    // not fully understand goes the general way, which then answers (or gives its typed
    // error).
    if let Some(delta) = scan_diff(exchange, frame, received_at, &mut LevelBuffers::new()) {
        return Ok(vec![Message::Market(MarketEvent::Delta(delta))]);
    }
    parse_general(exchange, frame, received_at)
}

/// The delta lane ([`crate::exchange::parse_delta`]): the hot path of [`parse`] with the
/// caller's level vectors.
pub fn parse_delta(
    exchange: Exchange,
    frame: &str,
    received_at: Timestamp,
    spare: &mut LevelBuffers,
) -> Option<BookDelta> {
    scan_diff(exchange, frame, received_at, spare)
}

/// The hot path of [`parse`]: a diff-depth frame read by the hand-written scanner.
fn scan_diff(
    exchange: Exchange,
    frame: &str,
    received_at: Timestamp,
    spare: &mut LevelBuffers,
) -> Option<BookDelta> {
    scan::depth_update(exchange, frame, received_at, spare, |s| {
        kind_of(s) == Kind::Diff
    })
}

/// [`parse`] without the scanner: every frame shape, every typed error.
fn parse_general(
    exchange: Exchange,
    frame: &str,
    received_at: Timestamp,
) -> Result<Vec<Message>, ParseError> {
    let err = |kind| ParseError::new(exchange, kind, frame);
    // Fast path: `{"stream":"<name>","data":<payload>}` as Binance sends it, parsed in one pass.
    if let Some((stream, data)) = split_envelope(frame) {
        match parse_payload(exchange, kind_of(stream), Some(stream), data, received_at) {
            // An envelope with unusual layout: the full parse below decides.
            Err(ParseErrorKind::Json(_)) => {}
            result => return result.map_err(err),
        }
    }
    let peek: Peek<'_> =
        serde_json::from_str(frame).map_err(|e| err(ParseErrorKind::Json(e.to_string())))?;
    if let (Some(stream), Some(data)) = (peek.stream, peek.data) {
        return parse_payload(
            exchange,
            kind_of(stream),
            Some(stream),
            data.get(),
            received_at,
        )
        .map_err(err);
    }
    let kind = match peek.e {
        Some("depthUpdate") => Kind::Diff,
        Some("bookTicker") => Kind::BookTicker,
        Some("trade" | "aggTrade") => Kind::Trade,
        Some("serverShutdown") => Kind::Shutdown,
        Some(_) => Kind::Unsupported,
        None if peek.last_update_id.is_some() => Kind::Partial,
        None if peek.u.is_some() => Kind::BookTicker,
        None => {
            let id = peek.id.as_ref().and_then(serde_json::Value::as_i64);
            if let Some(code) = peek.code {
                let message = peek.msg.unwrap_or_default();
                return Ok(vec![Message::Control(Control::Error {
                    code: Some(code),
                    message,
                    id,
                })]);
            }
            if peek.id.is_some() || peek.result.is_some() {
                return Ok(vec![Message::Control(Control::Ack { id })]);
            }
            return Err(err(ParseErrorKind::UnknownMessage));
        }
    };
    parse_payload(exchange, kind, None, frame, received_at).map_err(err)
}

/// Splits `{"stream":"x","data":{...}}` without a JSON pass; `None` if the frame has another
/// shape (the slow path then handles it).
fn split_envelope(frame: &str) -> Option<(&str, &str)> {
    let rest = frame.strip_prefix("{\"stream\":\"")?;
    let end = rest.find('"')?;
    let stream = &rest[..end];
    let data = rest[end..].strip_prefix("\",\"data\":")?;
    let data = data.trim_end().strip_suffix('}')?;
    Some((stream, data))
}

/// A `depthUpdate` read with its levels parsed during the JSON pass ([`DepthUpdateParsed`]).
/// `None` on any error: the general reading then gives the answer and its typed error.
/// Where this succeeds the general reading gives the same delta (same derived fields, the
/// same decimal parser; tested on the captures).
fn diff_one_pass(exchange: Exchange, data: &str, received_at: Timestamp) -> Option<BookDelta> {
    let w: DepthUpdateParsed<'_> = serde_json::from_str(data).ok()?;
    Some(BookDelta {
        meta: meta(exchange, w.symbol, Some(w.event_time), received_at).ok()?,
        bids: w.bids.0,
        asks: w.asks.0,
        seq: SeqIds {
            first_id: Some(w.first_id),
            last_id: Some(w.last_id),
            prev_id: w.prev_id,
        },
        checksum: None,
    })
}

/// A `depthUpdate` read through [`DepthUpdate`]: every shape and typed error.
fn diff_general(
    exchange: Exchange,
    data: &str,
    received_at: Timestamp,
) -> Result<BookDelta, ParseErrorKind> {
    let w: DepthUpdate<'_> = serde_json::from_str(data).map_err(json_err)?;
    Ok(BookDelta {
        meta: meta(exchange, w.symbol, Some(w.event_time), received_at)?,
        bids: levels("b", &w.bids)?,
        asks: levels("a", &w.asks)?,
        seq: SeqIds {
            first_id: Some(w.first_id),
            last_id: Some(w.last_id),
            prev_id: w.prev_id,
        },
        checksum: None,
    })
}

fn parse_payload(
    exchange: Exchange,
    kind: Kind,
    stream: Option<&str>,
    data: &str,
    received_at: Timestamp,
) -> Result<Vec<Message>, ParseErrorKind> {
    let event = match kind {
        Kind::Diff => MarketEvent::Delta(match diff_one_pass(exchange, data, received_at) {
            Some(delta) => delta,
            None => diff_general(exchange, data, received_at)?,
        }),
        Kind::Partial => {
            // Partial depth has no symbol field; the stream name carries it.
            let name = stream.and_then(|s| s.split('@').next()).unwrap_or_default();
            let w: DepthSnapshot<'_> = serde_json::from_str(data).map_err(json_err)?;
            let upper = name.to_ascii_uppercase();
            MarketEvent::Snapshot(snapshot_from_wire(exchange, &upper, w, received_at)?)
        }
        Kind::BookTicker => {
            let w: BookTicker<'_> = serde_json::from_str(data).map_err(json_err)?;
            MarketEvent::Ticker(Ticker {
                meta: meta(exchange, w.symbol, w.event_time, received_at)?,
                bid: Some(Level::new(dec("b", w.bid)?, dec("B", w.bid_qty)?)),
                ask: Some(Level::new(dec("a", w.ask)?, dec("A", w.ask_qty)?)),
                last: None,
                update_id: Some(w.update_id),
            })
        }
        Kind::Trade => {
            let w: TradeEvent<'_> = serde_json::from_str(data).map_err(json_err)?;
            MarketEvent::Trade(Trade {
                meta: meta(exchange, w.symbol, Some(w.trade_time), received_at)?,
                id: w.agg_id.or(w.trade_id),
                price: dec("p", w.price)?,
                qty: dec("q", w.qty)?,
                taker_side: if w.buyer_is_maker {
                    TakerSide::Sell
                } else {
                    TakerSide::Buy
                },
            })
        }
        Kind::Shutdown => return Ok(vec![Message::Control(Control::ServerShutdown)]),
        Kind::Unsupported => {
            // Validate the JSON so a malformed frame is still reported.
            serde_json::from_str::<serde::de::IgnoredAny>(data).map_err(json_err)?;
            return Ok(Vec::new());
        }
    };
    Ok(vec![Message::Market(event)])
}

fn snapshot_from_wire(
    exchange: Exchange,
    wire_symbol: &str,
    w: DepthSnapshot<'_>,
    received_at: Timestamp,
) -> Result<BookSnapshot, ParseErrorKind> {
    Ok(BookSnapshot {
        meta: meta(exchange, wire_symbol, w.event_time, received_at)?,
        bids: levels("bids", &w.bids)?,
        asks: levels("asks", &w.asks)?,
        seq: SeqIds {
            first_id: None,
            last_id: Some(w.last_update_id),
            prev_id: None,
        },
        checksum: None,
    })
}

/// An error reply of Binance's REST API: the HTTP status and, when the body is Binance's
/// `{"code":-1121,"msg":"Invalid symbol."}` shape, its code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestError {
    /// HTTP status.
    pub status: u16,
    /// Binance's error code, when the body carries one.
    pub code: Option<i64>,
    /// Binance's message, or the start of the body.
    pub message: String,
}

impl RestError {
    /// Reads an error reply (never fails: an unexpected body is kept as the message).
    pub fn parse(status: u16, body: &str) -> RestError {
        #[derive(serde::Deserialize)]
        struct Wire<'a> {
            code: i64,
            #[serde(borrow)]
            msg: std::borrow::Cow<'a, str>,
        }
        match serde_json::from_str::<Wire<'_>>(body) {
            Ok(w) => RestError {
                status,
                code: Some(w.code),
                message: w.msg.into_owned(),
            },
            Err(_) => RestError {
                status,
                code: None,
                message: body.chars().take(200).collect(),
            },
        }
    }

    /// The symbol is not listed (`-1121 Invalid symbol.`): asking again gets the same answer.
    pub fn is_unknown_symbol(&self) -> bool {
        self.code == Some(-1121)
    }
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "HTTP {} (code {code}): {}", self.status, self.message),
            None => write!(f, "HTTP {}: {}", self.status, self.message),
        }
    }
}

impl std::error::Error for RestError {}

/// Parses a REST depth snapshot body (`GET /api/v3/depth`, `/fapi/v1/depth`) for
/// `symbol` (Binance form, e.g. `NKNUSDT`), received at `received_at`.
pub fn parse_depth_snapshot(
    exchange: Exchange,
    wire_symbol: &str,
    body: &str,
    received_at: Timestamp,
) -> Result<BookSnapshot, ParseError> {
    let err = |kind| ParseError::new(exchange, kind, body);
    let w: DepthSnapshot<'_> = serde_json::from_str(body).map_err(|e| err(json_err(e)))?;
    snapshot_from_wire(exchange, wire_symbol, w, received_at).map_err(err)
}

/// The event's metadata; `exchange_ms` is the venue's event time.
fn meta(
    exchange: Exchange,
    wire_symbol: &str,
    exchange_ms: Option<u64>,
    received_at: Timestamp,
) -> Result<Meta, ParseErrorKind> {
    crate::exchange::fields::meta(
        exchange,
        wire_symbol,
        unix_millis(exchange_ms)?,
        received_at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    const T: Timestamp = Timestamp::from_unix_millis(7);

    #[test]
    fn kind_of_reads_as_split_does() {
        for stream in [
            "btcusdt@depth",
            "btcusdt@depth@100ms",
            "btcusdt@depth5@100ms",
            "btcusdt@depth10",
            "btcusdt@depth20@1000ms",
            "btcusdt@bookTicker",
            "btcusdt@trade",
            "btcusdt@aggTrade",
            "btcusdt@kline_1m",
            "!serverShutdown",
            "depth",
            "@depth",
            "x@@depth",
            "x@depth@",
            "",
            "@",
            "x@trade@depth",
            "é@depth",
        ] {
            assert_eq!(kind_of(stream), kind_of_by_split(stream), "{stream}");
        }
    }

    /// The one-pass `depthUpdate` reading equals the general one on every diff frame of
    /// both Binance captures (spot and USD-M), and on cut or byte-changed copies of each
    /// (where it must give way, never answer differently); it is taken on every intact
    /// diff frame.
    #[test]
    fn diff_one_pass_equals_the_general_reading_on_the_captures() {
        let captures = [
            (
                Exchange::Binance,
                include_str!("../../../tests/fixtures/binance/BINANCE.ws.1.0"),
            ),
            (
                Exchange::BinanceUsdM,
                include_str!("../../../tests/fixtures/binance/BINANCE_FUTURES.ws.1.0"),
            ),
        ];
        let mut diffs = 0;
        for (exchange, capture) in captures {
            for line in capture.lines() {
                let Some((_, frame)) = line.split_once(": ") else {
                    continue;
                };
                let Some((stream, data)) = split_envelope(frame) else {
                    continue;
                };
                if kind_of(stream) != Kind::Diff {
                    continue;
                }
                diffs += 1;
                let fast = diff_one_pass(exchange, data, T).expect("intact frame: fast path");
                assert_eq!(Ok(fast), diff_general(exchange, data, T), "{data}");
                let b = data.as_bytes();
                for cut in [b.len() / 4, b.len() / 2, b.len() * 3 / 4, b.len() - 2] {
                    for with in [b'x', b'"', b'-', b'[', b'9', b'.', b'e'] {
                        let mut changed = b.to_vec();
                        changed[cut] = with;
                        let Ok(text) = std::str::from_utf8(&changed) else {
                            continue;
                        };
                        if let Some(fast) = diff_one_pass(exchange, text, T) {
                            assert_eq!(Ok(fast), diff_general(exchange, text, T), "{text}");
                        }
                    }
                    if let Some(fast) = std::str::from_utf8(&b[..cut])
                        .ok()
                        .and_then(|t| diff_one_pass(exchange, t, T))
                    {
                        panic!("a cut frame read as {fast:?}");
                    }
                }
            }
        }
        assert!(diffs > 100, "{diffs}");
    }

    fn one(frame: &str) -> MarketEvent {
        match parse(Exchange::Binance, frame, T).unwrap().pop() {
            Some(Message::Market(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn diff_depth_from_the_capture() {
        let f = r#"{"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998512568,"s":"NKNUSDT","U":499869753,"u":499869754,"b":[["0.35170000","4265.00000000"]],"a":[["0.35290000","10968.00000000"]]}}"#;
        let MarketEvent::Delta(d) = one(f) else {
            panic!()
        };
        assert_eq!(d.meta.symbol.as_str(), "NKN-USDT");
        assert_eq!(d.meta.received_at, T);
        assert_eq!(
            d.meta.exchange_time,
            Some(Timestamp::from_unix_millis(1633998512568))
        );
        assert_eq!(
            d.seq,
            SeqIds {
                first_id: Some(499869753),
                last_id: Some(499869754),
                prev_id: None
            }
        );
        assert_eq!(
            d.bids,
            vec![Level::new(
                Decimal::from_str("0.3517").unwrap(),
                Decimal::from(4265)
            )]
        );
        assert_eq!(d.asks[0].price.to_string(), "0.35290000");
    }

    #[test]
    fn book_ticker_trade_and_controls() {
        let f = r#"{"stream":"nknusdt@bookTicker","data":{"u":499869754,"s":"NKNUSDT","b":"0.35170000","B":"4265.00000000","a":"0.35290000","A":"10968.00000000"}}"#;
        let MarketEvent::Ticker(t) = one(f) else {
            panic!()
        };
        assert_eq!(t.update_id, Some(499869754));
        assert_eq!(t.ask.unwrap().qty, Decimal::from(10968));
        let f = r#"{"e":"aggTrade","E":1,"s":"BTCUSDT","a":5,"p":"1.5","q":"2","f":1,"l":2,"T":3,"m":true,"M":true}"#;
        let MarketEvent::Trade(tr) = one(f) else {
            panic!()
        };
        assert_eq!((tr.id, tr.taker_side), (Some(5), TakerSide::Sell));
        let msgs = parse(Exchange::Binance, r#"{"result":null,"id":1}"#, T).unwrap();
        assert_eq!(msgs, vec![Message::Control(Control::Ack { id: Some(1) })]);
        let msgs = parse(
            Exchange::Binance,
            r#"{"code":2,"msg":"Invalid request","id":7}"#,
            T,
        )
        .unwrap();
        assert!(matches!(
            &msgs[0],
            Message::Control(Control::Error {
                code: Some(2),
                id: Some(7),
                ..
            })
        ));
        let msgs = parse(
            Exchange::Binance,
            r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}"#,
            T,
        )
        .unwrap();
        assert_eq!(msgs, vec![Message::Control(Control::ServerShutdown)]);
    }

    #[test]
    fn malformed_frames_are_typed_errors_that_keep_the_frame() {
        let bad = r#"{"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":1,"u":2,"b":[["0.3x","1"]],"a":[]}}"#;
        let e = parse(Exchange::Binance, bad, T).unwrap_err();
        assert!(
            matches!(e.kind, ParseErrorKind::Number { field: "b", .. }),
            "{e}"
        );
        assert_eq!(&*e.frame, bad);
        assert!(!e.is_terminal());
        let e = parse(Exchange::Binance, "{not json", T).unwrap_err();
        assert!(matches!(e.kind, ParseErrorKind::Json(_)));
        let e = parse(
            Exchange::Binance,
            r#"{"stream":"nknusdt@depth","data":{"e":"depthUpdate"}}"#,
            T,
        )
        .unwrap_err();
        assert!(matches!(e.kind, ParseErrorKind::Json(_)));
        let e = parse(Exchange::Binance, r#"{"hello":1}"#, T).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::UnknownMessage);
    }

    #[test]
    fn partial_depth_takes_the_symbol_from_the_stream() {
        let f = r#"{"stream":"btcusdt@depth5@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}}"#;
        let MarketEvent::Snapshot(s) = one(f) else {
            panic!()
        };
        assert_eq!(s.meta.symbol.as_str(), "BTC-USDT");
        assert_eq!(s.seq.last_id, Some(160));
    }

    #[test]
    fn rest_errors_are_read_and_unknown_symbols_recognised() {
        let e = RestError::parse(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#);
        assert_eq!(
            (e.status, e.code, e.message.as_str()),
            (400, Some(-1121), "Invalid symbol.")
        );
        assert!(e.is_unknown_symbol());
        assert_eq!(e.to_string(), "HTTP 400 (code -1121): Invalid symbol.");
        let e = RestError::parse(429, r#"{"code":-1003,"msg":"Too many requests."}"#);
        assert!(!e.is_unknown_symbol());
        let e = RestError::parse(502, "<html>Bad Gateway</html>");
        assert_eq!(
            (e.code, e.message.as_str()),
            (None, "<html>Bad Gateway</html>")
        );
        assert!(!e.is_unknown_symbol());
    }

    /// The scanner's answer, checked: where it answers, the general reading gives the same
    /// delta (one message), and so does the delta lane on level vectors reused from the
    /// frames before (`LANE`'s, recycled after each). Returns whether it answered.
    fn scan_agrees(exchange: Exchange, frame: &str) -> bool {
        thread_local! {
            static LANE: std::cell::RefCell<LevelBuffers> = Default::default();
        }
        let lane = LANE.with(|spare| {
            let mut spare = spare.borrow_mut();
            let delta = parse_delta(exchange, frame, T, &mut spare);
            let copy = delta.clone();
            if let Some(d) = delta {
                spare.recycle(d);
            }
            copy
        });
        let Some(fast) = scan_diff(exchange, frame, T, &mut LevelBuffers::new()) else {
            assert_eq!(lane, None, "{frame}");
            return false;
        };
        assert_eq!(lane.as_ref(), Some(&fast), "{frame}");
        let general = parse_general(exchange, frame, T);
        assert_eq!(
            general,
            Ok(vec![Message::Market(MarketEvent::Delta(fast))]),
            "{frame}"
        );
        true
    }

    fn capture_frames(capture: &str) -> impl Iterator<Item = &str> {
        capture
            .lines()
            .filter(|l| !l.starts_with("wss://"))
            .filter_map(|l| l.split_once(": ").map(|(_, f)| f))
    }

    const SPOT: &str = include_str!("../../../tests/fixtures/binance/BINANCE.ws.1.0");
    const USDM: &str = include_str!("../../../tests/fixtures/binance/BINANCE_FUTURES.ws.1.0");

    /// The scanner answers every diff frame of both captures (spot and USD-M) as the
    /// general reading does, and no other frame.
    #[test]
    fn scan_equals_the_general_reading_on_the_captures() {
        for (exchange, capture) in [(Exchange::Binance, SPOT), (Exchange::BinanceUsdM, USDM)] {
            let (mut diffs, mut scanned) = (0, 0);
            for frame in capture_frames(capture) {
                let is_diff = frame.contains("@depth@");
                diffs += usize::from(is_diff);
                let answered = scan_agrees(exchange, frame);
                assert_eq!(answered, is_diff, "{frame}");
                scanned += usize::from(answered);
            }
            assert!(diffs > 100 && scanned == diffs, "{diffs} {scanned}");
        }
    }

    /// The synthetic bench streams (`bench/results/data`, written by `bench/barter`'s
    /// `gen`; git-ignored, so this test is run on request, `cargo test -- --ignored`):
    /// every frame scanned, as the general reading reads it.
    #[test]
    #[ignore = "needs the synthetic streams: bench/compare.py (or bench/barter's gen) writes them to bench/results/data; run with --ignored"]
    fn scan_equals_the_general_reading_on_the_synthetic_streams() {
        for n in [140, 1300, 3500] {
            let path = format!(
                "{}/bench/results/data/synth-{n}.ws.1.0",
                env!("CARGO_MANIFEST_DIR")
            );
            let capture = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e} (generate it with bench/compare.py)"));
            let mut scanned = 0;
            for frame in capture_frames(&capture) {
                assert!(scan_agrees(Exchange::Binance, frame), "{frame}");
                scanned += 1;
            }
            assert!(scanned >= 3000, "{scanned}");
        }
    }

    /// Cut and byte-changed copies of capture frames: the scanner answers as the general
    /// reading does, or gives way to it. Every prefix of a few frames, and seeded random
    /// byte changes (one to three bytes, from JSON-significant characters and random
    /// bytes) on every diff frame.
    #[test]
    fn scan_on_cut_and_changed_frames_equals_the_general_reading_or_gives_way() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        const BYTES: &[u8] = b"x\"-[]{},:.0159eE \\nu";
        for (exchange, capture) in [(Exchange::Binance, SPOT), (Exchange::BinanceUsdM, USDM)] {
            let diffs: Vec<&str> = capture_frames(capture)
                .filter(|f| f.contains("@depth@"))
                .collect();
            for frame in diffs.iter().step_by(diffs.len() / 4) {
                for cut in 0..frame.len() {
                    if let Some(prefix) = frame.get(..cut) {
                        assert!(!scan_agrees(exchange, prefix), "{prefix}");
                    }
                }
            }
            for frame in &diffs {
                for _ in 0..40 {
                    let mut b = frame.as_bytes().to_vec();
                    for _ in 0..rng.gen_range(1..=3) {
                        let at = rng.gen_range(0..b.len());
                        b[at] = if rng.gen_bool(0.8) {
                            BYTES[rng.gen_range(0..BYTES.len())]
                        } else {
                            rng.gen()
                        };
                    }
                    if let Ok(text) = std::str::from_utf8(&b) {
                        scan_agrees(exchange, text);
                    }
                }
            }
        }
    }

    mod scan_prop {
        use super::*;
        use proptest::prelude::*;

        /// JSON whitespace, mostly none.
        fn ws() -> impl Strategy<Value = String> {
            prop_oneof![
                6 => Just(String::new()),
                1 => proptest::collection::vec(prop::sample::select(vec![' ', '\n', '\t', '\r']), 1..3)
                    .prop_map(|v| v.into_iter().collect()),
            ]
        }

        /// Decimal texts: plain (various scales, zeros, long), and now and then a form the
        /// decimal parser treats otherwise (exponent, sign, empty, too long).
        fn decimal() -> impl Strategy<Value = String> {
            prop_oneof![
                8 => (0u64..10_000_000, 0usize..9).prop_map(|(m, s)| {
                    let t = format!("{m:0>w$}", w = s + 1);
                    if s == 0 { t } else { format!("{}.{}", &t[..t.len() - s], &t[t.len() - s..]) }
                }),
                1 => prop::sample::select(vec![
                    "0", "0.00000000", "1e3", "-1", "", "1.", ".5", "12345678901234567890",
                    "99999999999999999999999999999", "1.2.3", "+2",
                ]).prop_map(str::to_string),
            ]
        }

        /// Integer fields: plain, and now and then a form `u64` reading refuses.
        fn integer() -> impl Strategy<Value = String> {
            prop_oneof![
                8 => any::<u64>().prop_map(|v| v.to_string()),
                2 => (0u64..1000).prop_map(|v| v.to_string()),
                1 => prop::sample::select(vec![
                    "01", "-1", "1.0", "1e3", "18446744073709551616", "0", "null", "\"1\"",
                ]).prop_map(str::to_string),
            ]
        }

        fn levels() -> impl Strategy<Value = String> {
            proptest::collection::vec((ws(), decimal(), ws(), decimal(), ws()), 0..6).prop_map(
                |v| {
                    let inner: Vec<String> = v
                        .into_iter()
                        .map(|(w1, p, w2, q, w3)| format!("[{w1}\"{p}\"{w2},\"{q}\"{w3}]"))
                        .collect();
                    format!("[{}]", inner.join(", "))
                },
            )
        }

        prop_compose! {
            /// A diff frame: the event's fields in random order (USD-M's `T` and `pu`
            /// present or not), random whitespace, the envelope's keys in either order or a
            /// bare event.
            fn frame()(
                e in integer(), t in integer(), big_u in integer(), u in integer(), pu in integer(),
                with_usdm in any::<bool>(), with_e in any::<bool>(),
                bids in levels(), asks in levels(),
                order in Just((0..9).collect::<Vec<usize>>()).prop_shuffle(),
                w in proptest::collection::vec(ws(), 12),
                shape in 0..3u8,
            ) -> (String, bool) {
                let fields = [
                    with_e.then(|| "\"e\":\"depthUpdate\"".to_string()),
                    Some(format!("\"E\"{}:{}{e}", w[0], w[1])),
                    Some("\"s\":\"BTCUSDT\"".to_string()),
                    Some(format!("\"U\":{}{big_u}", w[2])),
                    Some(format!("\"u\":{u}{}", w[3])),
                    with_usdm.then(|| format!("\"pu\":{pu}")),
                    with_usdm.then(|| format!("\"T\":{t}")),
                    Some(format!("\"b\":{}{bids}", w[4])),
                    Some(format!("\"a\":{asks}{}", w[5])),
                ];
                let body: Vec<String> = order.iter().filter_map(|&i| fields[i].clone()).collect();
                let data = format!("{{{}{}{}}}", w[6], body.join(&format!("{},", w[7])), w[8]);
                // The general reading ignores `T` whatever it holds; the scanner takes a
                // plain integer only.
                let t_plain = !with_usdm || (t.parse::<u64>().is_ok() && (t == "0" || !t.starts_with('0')));
                let text = match shape {
                    0 => format!("{{\"stream\":\"btcusdt@depth@100ms\",\"data\":{data}}}"),
                    1 => format!("{{{}\"data\"{}:{data},\"stream\":{}\"btcusdt@depth\"}}{}", w[9], w[10], w[11], w[9]),
                    _ => data,
                };
                (text, t_plain)
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]
            /// Random diff frames: the scanner answers as the general reading does, and
            /// answers every frame that the general reading reads as a delta (unless its
            /// `T` is not a plain integer).
            #[test]
            fn scan_equals_the_general_reading_on_random_frames((f, t_plain) in frame()) {
                let answered = scan_agrees(Exchange::BinanceUsdM, &f);
                let general = parse_general(Exchange::BinanceUsdM, &f, T);
                let delta = matches!(
                    general.as_deref(),
                    Ok([Message::Market(MarketEvent::Delta(_))])
                );
                prop_assert!(answered || !(delta && t_plain), "refused {}", f);
            }
        }
    }
}
