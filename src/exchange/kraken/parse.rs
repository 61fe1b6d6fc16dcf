//! Kraken frame parsing: one text frame → normalized [`Message`]s, for both protocol
//! versions (auto-detected per frame: v1 data messages are JSON arrays, everything else is
//! an object told apart by `channel` / `method` (v2) or `event` (v1)).

use super::wire::{
    Envelope, V1BookPayload, V1Level, V1Ticker, V1Trade, V2Book, V2Instruments, V2Level, V2Status,
    V2SubscribeResult, V2Ticker, V2Trade,
};
use crate::exchange::fields::{dec, json_err};
use crate::exchange::{Control, Message, ParseError, ParseErrorKind};
use crate::types::{
    BookDelta, BookSnapshot, Checksum, Exchange, Level, MarketEvent, Meta, SeqIds, Symbol,
    TakerSide, Ticker, Timestamp, Trade,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Parses one text frame from a Kraken spot WebSocket (v2 `wss://ws.kraken.com/v2` or v1
/// `wss://ws.kraken.com`), received at `received_at`.
///
/// v2 `book`/`trade`/`ticker` messages yield one event per `data` element; a v1 data array
/// yields one book event, one event per trade, or one ticker. Valid JSON of a kind this
/// adapter does not know (other channels, other methods) is
/// [`ParseErrorKind::UnknownMessage`].
pub fn parse(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseError> {
    let result = match frame.trim_start().as_bytes().first() {
        Some(b'[') => parse_v1_array(frame, received_at),
        Some(b'{') => parse_object(frame, received_at),
        _ => match serde_json::from_str::<serde::de::IgnoredAny>(frame) {
            Ok(_) => Err(ParseErrorKind::UnknownMessage),
            Err(e) => Err(json_err(e)),
        },
    };
    result.map_err(|kind| ParseError::new(Exchange::Kraken, kind, frame))
}

fn from_json<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T, ParseErrorKind> {
    serde_json::from_str(text).map_err(json_err)
}

fn symbol(wire: &str) -> Result<Symbol, ParseErrorKind> {
    Symbol::from_venue(Exchange::Kraken, wire).map_err(ParseErrorKind::Symbol)
}

fn meta(
    wire_symbol: &str,
    exchange_time: Option<Timestamp>,
    received_at: Timestamp,
) -> Result<Meta, ParseErrorKind> {
    crate::exchange::fields::meta(Exchange::Kraken, wire_symbol, exchange_time, received_at)
}

/// A v2 JSON number, parsed exactly from its token text.
fn num(field: &'static str, raw: &RawValue) -> Result<Decimal, ParseErrorKind> {
    dec(field, raw.get())
}

fn rfc3339(text: &str) -> Result<Timestamp, ParseErrorKind> {
    Timestamp::parse_rfc3339_utc(text).ok_or(ParseErrorKind::Field("timestamp"))
}

fn unix_seconds(field: &'static str, text: &str) -> Result<Timestamp, ParseErrorKind> {
    Timestamp::parse_unix_seconds(text).ok_or(ParseErrorKind::Field(field))
}

fn one(message: Message) -> Result<Vec<Message>, ParseErrorKind> {
    Ok(vec![message])
}

// ---------------------------------------------------------------------------------------
// Objects: v2 channels and methods, v1 events.
// ---------------------------------------------------------------------------------------

fn parse_object(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseErrorKind> {
    let env: Envelope<'_> = from_json(frame)?;
    if let Some(channel) = env.channel {
        return parse_v2_channel(channel, &env, received_at);
    }
    if let Some(method) = env.method {
        return parse_v2_method(method, env);
    }
    if let Some(event) = env.event {
        return parse_v1_event(event, env);
    }
    if env.success == Some(false) {
        return one(Message::Control(Control::Error {
            code: None,
            message: env.error.map(Cow::into_owned).unwrap_or_default(),
            id: env.req_id,
        }));
    }
    Err(ParseErrorKind::UnknownMessage)
}

fn parse_v2_channel(
    channel: &str,
    env: &Envelope<'_>,
    received_at: Timestamp,
) -> Result<Vec<Message>, ParseErrorKind> {
    let data = || {
        env.data
            .map(RawValue::get)
            .ok_or(ParseErrorKind::Field("data"))
    };
    match channel {
        "book" => {
            let snapshot = match env.kind {
                Some("snapshot") => true,
                Some("update") => false,
                _ => return Err(ParseErrorKind::Field("type")),
            };
            let items: Vec<V2Book<'_>> = from_json(data()?)?;
            items
                .into_iter()
                .map(|b| v2_book(b, snapshot, received_at))
                .collect()
        }
        "trade" => {
            let items: Vec<V2Trade<'_>> = from_json(data()?)?;
            items
                .into_iter()
                .map(|t| v2_trade(t, received_at))
                .collect()
        }
        "ticker" => {
            let items: Vec<V2Ticker<'_>> = from_json(data()?)?;
            items
                .into_iter()
                .map(|t| v2_ticker(t, received_at))
                .collect()
        }
        "instrument" => {
            let w: V2Instruments<'_> = from_json(data()?)?;
            w.pairs
                .into_iter()
                .map(|p| {
                    Ok(Message::Control(Control::Instrument {
                        symbol: symbol(&p.symbol)?,
                        price_precision: p.price_precision,
                        qty_precision: p.qty_precision,
                    }))
                })
                .collect()
        }
        "heartbeat" => one(Message::Control(Control::Heartbeat)),
        "status" => {
            let items: Vec<V2Status<'_>> = from_json(data()?)?;
            Ok(items
                .into_iter()
                .map(|s| {
                    Message::Control(Control::SystemStatus {
                        online: s.system == "online",
                        status: s.system.into_owned(),
                    })
                })
                .collect())
        }
        _ => Err(ParseErrorKind::UnknownMessage),
    }
}

fn v2_levels(field: &'static str, wire: &[V2Level<'_>]) -> Result<Vec<Level>, ParseErrorKind> {
    wire.iter()
        .map(|l| Ok(Level::new(num(field, l.price)?, num(field, l.qty)?)))
        .collect()
}

fn v2_book(
    w: V2Book<'_>,
    snapshot: bool,
    received_at: Timestamp,
) -> Result<Message, ParseErrorKind> {
    let exchange_time = w.timestamp.map(rfc3339).transpose()?;
    let meta = meta(&w.symbol, exchange_time, received_at)?;
    let bids = v2_levels("bids", &w.bids)?;
    let asks = v2_levels("asks", &w.asks)?;
    let checksum = Some(Checksum(w.checksum));
    let seq = SeqIds::default();
    Ok(Message::Market(if snapshot {
        MarketEvent::Snapshot(BookSnapshot {
            meta,
            bids,
            asks,
            seq,
            checksum,
        })
    } else {
        MarketEvent::Delta(BookDelta {
            meta,
            bids,
            asks,
            seq,
            checksum,
        })
    }))
}

fn v2_trade(w: V2Trade<'_>, received_at: Timestamp) -> Result<Message, ParseErrorKind> {
    let taker_side = match w.side {
        "buy" => TakerSide::Buy,
        "sell" => TakerSide::Sell,
        _ => return Err(ParseErrorKind::Field("side")),
    };
    Ok(Message::Market(MarketEvent::Trade(Trade {
        meta: meta(&w.symbol, Some(rfc3339(w.timestamp)?), received_at)?,
        id: Some(w.trade_id),
        price: num("price", w.price)?,
        qty: num("qty", w.qty)?,
        taker_side,
    })))
}

fn v2_ticker(w: V2Ticker<'_>, received_at: Timestamp) -> Result<Message, ParseErrorKind> {
    let exchange_time = w.timestamp.map(rfc3339).transpose()?;
    Ok(Message::Market(MarketEvent::Ticker(Ticker {
        meta: meta(&w.symbol, exchange_time, received_at)?,
        bid: Some(Level::new(num("bid", w.bid)?, num("bid_qty", w.bid_qty)?)),
        ask: Some(Level::new(num("ask", w.ask)?, num("ask_qty", w.ask_qty)?)),
        last: Some(num("last", w.last)?),
        update_id: None,
    })))
}

fn parse_v2_method(method: &str, env: Envelope<'_>) -> Result<Vec<Message>, ParseErrorKind> {
    let failed = env.success == Some(false);
    let error = |env: Envelope<'_>| {
        let mut message = env.error.map(Cow::into_owned).unwrap_or_default();
        // Each symbol of a request succeeds or fails on its own: say which one failed.
        let symbol = env.symbol.and_then(|raw| json_str(raw).ok());
        // A pair the venue does not list: that symbol is refused for good.
        if message.contains("not supported") {
            if let Some(refused) = symbol.as_deref().and_then(|s| Symbol::parse(s).ok()) {
                return one(Message::Control(Control::Rejected {
                    symbol: refused,
                    message,
                }));
            }
        }
        if let Some(s) = symbol.filter(|s| !message.contains(&**s)) {
            message = format!("{message} ({s})");
        }
        one(Message::Control(Control::Error {
            code: None,
            message,
            id: env.req_id,
        }))
    };
    match method {
        "subscribe" | "unsubscribe" => {
            if failed {
                return error(env);
            }
            if env.success != Some(true) {
                return Err(ParseErrorKind::Field("success"));
            }
            let raw = env.result.ok_or(ParseErrorKind::Field("result"))?;
            let result: V2SubscribeResult<'_> = from_json(raw.get())?;
            let channel = result.channel.into_owned();
            let symbol = result.symbol.as_deref().map(symbol).transpose()?;
            one(Message::Control(if method == "subscribe" {
                Control::Subscribed { channel, symbol }
            } else {
                Control::Unsubscribed { channel, symbol }
            }))
        }
        "pong" => one(Message::Control(Control::Pong { id: env.req_id })),
        _ if failed => error(env),
        _ => Err(ParseErrorKind::UnknownMessage),
    }
}

fn parse_v1_event(event: &str, env: Envelope<'_>) -> Result<Vec<Message>, ParseErrorKind> {
    let error = |env: Envelope<'_>| {
        one(Message::Control(Control::Error {
            code: None,
            message: env.error_message.map(Cow::into_owned).unwrap_or_default(),
            id: env.reqid,
        }))
    };
    match event {
        "heartbeat" => one(Message::Control(Control::Heartbeat)),
        "pong" => one(Message::Control(Control::Pong { id: env.reqid })),
        "systemStatus" => {
            let status = env.status.ok_or(ParseErrorKind::Field("status"))?;
            one(Message::Control(Control::SystemStatus {
                online: status == "online",
                status: status.into_owned(),
            }))
        }
        "subscriptionStatus" => {
            let status = env
                .status
                .as_deref()
                .ok_or(ParseErrorKind::Field("status"))?;
            if status == "error" {
                return error(env);
            }
            let channel = env
                .subscription
                .and_then(|s| s.name)
                .or(env.channel_name)
                .ok_or(ParseErrorKind::Field("subscription"))?
                .into_owned();
            let pair = env.pair.map(json_str).transpose()?;
            let symbol = pair.as_deref().map(symbol).transpose()?;
            match status {
                "subscribed" => one(Message::Control(Control::Subscribed { channel, symbol })),
                "unsubscribed" => one(Message::Control(Control::Unsubscribed { channel, symbol })),
                _ => Err(ParseErrorKind::Field("status")),
            }
        }
        "error" => error(env),
        _ => Err(ParseErrorKind::UnknownMessage),
    }
}

// ---------------------------------------------------------------------------------------
// v1 data arrays: [channelID, payload…, channelName, pair].
// ---------------------------------------------------------------------------------------

/// A JSON string borrowed from the frame, or unescaped when it has escapes.
fn json_str(raw: &RawValue) -> Result<Cow<'_, str>, ParseErrorKind> {
    match serde_json::from_str::<&str>(raw.get()) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) => Ok(Cow::Owned(from_json::<String>(raw.get())?)),
    }
}

/// One element of a v1 data array read in a single pass: the channel id, a book payload
/// dict, or a string (channel name, pair). Anything else (a trade's arrays, an escaped
/// string, a negative or fractional id) fails, and the frame is read by the general path.
enum V1Element<'a> {
    Id,
    Book(V1BookPayload<'a>),
    Str(&'a str),
}

impl<'de> serde::Deserialize<'de> for V1Element<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ElementVisitor;

        impl<'de> serde::de::Visitor<'de> for ElementVisitor {
            type Value = V1Element<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a channel id, a book payload or an unescaped string")
            }

            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(V1Element::Id)
            }

            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(V1Element::Str(v))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(V1Element::Book)
            }
        }

        deserializer.deserialize_any(ElementVisitor)
    }
}

/// The v1 book frame read in one pass (the general path scans each payload twice: once as
/// a raw value, once as the payload). `None` unless the frame is exactly
/// `[id, payload dict…, "book…", pair]` with unescaped strings and the book reads without
/// error; the general path then gives the answer (and the typed error). Where this
/// succeeds, the general path reads the same payloads with the same derived struct and
/// converts them with the same `V1Book`, so the result is the same (the
/// capture tests replay every frame through both).
fn v1_book_one_pass(frame: &str, received_at: Timestamp) -> Option<Message> {
    let mut items: Vec<V1Element<'_>> = serde_json::from_str(frame).ok()?;
    let (Some(V1Element::Str(pair)), Some(V1Element::Str(channel_name))) =
        (items.pop(), items.pop())
    else {
        return None;
    };
    if !channel_name.starts_with("book") {
        return None;
    }
    let mut items = items.into_iter();
    if !matches!(items.next(), Some(V1Element::Id)) || items.len() == 0 {
        return None;
    }
    let payloads = items.map(|item| match item {
        V1Element::Book(p) => Some(p),
        _ => None,
    });
    let mut book = V1Book::default();
    for p in payloads {
        book.add(p?).ok()?;
    }
    book.finish(pair, received_at).ok()
}

fn parse_v1_array(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseErrorKind> {
    if let Some(message) = v1_book_one_pass(frame, received_at) {
        return Ok(vec![message]);
    }
    parse_v1_array_general(frame, received_at)
}

fn parse_v1_array_general(
    frame: &str,
    received_at: Timestamp,
) -> Result<Vec<Message>, ParseErrorKind> {
    let items: Vec<&RawValue> = from_json(frame)?;
    let [channel_id, payloads @ .., channel_name, pair] = items.as_slice() else {
        return Err(ParseErrorKind::Json(
            "a Kraken v1 data message is [channelID, payload…, channelName, pair]".into(),
        ));
    };
    if payloads.is_empty() {
        return Err(ParseErrorKind::Field("payload"));
    }
    from_json::<u64>(channel_id.get()).map_err(|_| ParseErrorKind::Field("channelID"))?;
    let channel_name = json_str(channel_name)?;
    let pair = json_str(pair)?;
    if channel_name.starts_with("book") {
        return v1_book(payloads, &pair, received_at).map(|m| vec![m]);
    }
    match &*channel_name {
        "trade" => v1_trades(payloads, &pair, received_at),
        "ticker" => v1_ticker(payloads, &pair, received_at).map(|m| vec![m]),
        _ => Err(ParseErrorKind::UnknownMessage),
    }
}

/// Appends `wire` levels to `out` and returns the latest level time.
fn v1_levels(
    field: &'static str,
    wire: &[V1Level<'_>],
    out: &mut Vec<Level>,
    latest: &mut Option<Timestamp>,
) -> Result<(), ParseErrorKind> {
    out.reserve(wire.len());
    for l in wire {
        out.push(Level::new(dec(field, l.price)?, dec(field, l.volume)?));
        let t = unix_seconds(field, l.time)?;
        *latest = Some(latest.map_or(t, |x| x.max(t)));
    }
    Ok(())
}

/// A v1 book snapshot (`as`/`bs`) or update (`a`/`b`, one or two dicts, checksum `c`).
/// The event time is the latest level timestamp. Every payload must be an object, and an
/// update must carry its checksum ([`ParseErrorKind::Field`] `"payload"` / `"c"`).
fn v1_book(
    payloads: &[&RawValue],
    pair: &str,
    received_at: Timestamp,
) -> Result<Message, ParseErrorKind> {
    let mut book = V1Book::default();
    for raw in payloads {
        // A payload is a JSON object; serde would also read a struct from an array
        // (`[[]]` as an empty snapshot), which no Kraken frame is.
        if !raw.get().trim_start().starts_with('{') {
            return Err(ParseErrorKind::Field("payload"));
        }
        book.add(from_json(raw.get())?)?;
    }
    book.finish(pair, received_at)
}

/// A v1 book message being read payload by payload (shared by the one-pass and the
/// general path).
#[derive(Default)]
struct V1Book {
    bids: Vec<Level>,
    asks: Vec<Level>,
    latest: Option<Timestamp>,
    checksum: Option<u32>,
    snapshot: Option<bool>,
}

impl V1Book {
    fn add(&mut self, p: V1BookPayload<'_>) -> Result<(), ParseErrorKind> {
        let is_snapshot = p.snapshot_asks.is_some() || p.snapshot_bids.is_some();
        let is_update = p.asks.is_some() || p.bids.is_some() || p.checksum.is_some();
        if is_snapshot == is_update || self.snapshot.is_some_and(|s| s != is_snapshot) {
            // Empty dict, or snapshot and update keys mixed.
            return Err(ParseErrorKind::Field(if is_snapshot { "as" } else { "a" }));
        }
        self.snapshot = Some(is_snapshot);
        if let Some(a) = p.snapshot_asks.as_deref() {
            v1_levels("as", a, &mut self.asks, &mut self.latest)?;
        }
        if let Some(b) = p.snapshot_bids.as_deref() {
            v1_levels("bs", b, &mut self.bids, &mut self.latest)?;
        }
        if let Some(a) = p.asks.as_deref() {
            v1_levels("a", a, &mut self.asks, &mut self.latest)?;
        }
        if let Some(b) = p.bids.as_deref() {
            v1_levels("b", b, &mut self.bids, &mut self.latest)?;
        }
        if let Some(c) = p.checksum {
            self.checksum = Some(c.parse::<u32>().map_err(|_| ParseErrorKind::Field("c"))?);
        }
        Ok(())
    }

    fn finish(self, pair: &str, received_at: Timestamp) -> Result<Message, ParseErrorKind> {
        let V1Book {
            bids,
            asks,
            latest,
            checksum,
            snapshot,
        } = self;
        let meta = meta(pair, latest, received_at)?;
        let seq = SeqIds::default();
        Ok(Message::Market(if snapshot == Some(true) {
            MarketEvent::Snapshot(BookSnapshot {
                meta,
                bids,
                asks,
                seq,
                checksum: None,
            })
        } else {
            // Checksums are always on: an update without one could change a live book
            // unverified, so it is a bad frame.
            let checksum = Some(Checksum(checksum.ok_or(ParseErrorKind::Field("c"))?));
            MarketEvent::Delta(BookDelta {
                meta,
                bids,
                asks,
                seq,
                checksum,
            })
        }))
    }
}

fn v1_trades(
    payloads: &[&RawValue],
    pair: &str,
    received_at: Timestamp,
) -> Result<Vec<Message>, ParseErrorKind> {
    let [raw] = payloads else {
        return Err(ParseErrorKind::Field("payload"));
    };
    let trades: Vec<V1Trade<'_>> = from_json(raw.get())?;
    let symbol = symbol(pair)?;
    trades
        .into_iter()
        .map(|(price, volume, time, side, _, _)| {
            let taker_side = match side {
                "b" => TakerSide::Buy,
                "s" => TakerSide::Sell,
                _ => return Err(ParseErrorKind::Field("side")),
            };
            let meta = Meta {
                exchange: Exchange::Kraken,
                symbol: symbol.clone(),
                exchange_time: Some(unix_seconds("time", time)?),
                received_at,
            };
            Ok(Message::Market(MarketEvent::Trade(Trade {
                meta,
                id: None,
                price: dec("price", price)?,
                qty: dec("volume", volume)?,
                taker_side,
            })))
        })
        .collect()
}

fn v1_ticker(
    payloads: &[&RawValue],
    pair: &str,
    received_at: Timestamp,
) -> Result<Message, ParseErrorKind> {
    let [raw] = payloads else {
        return Err(ParseErrorKind::Field("payload"));
    };
    let w: V1Ticker<'_> = from_json(raw.get())?;
    Ok(Message::Market(MarketEvent::Ticker(Ticker {
        meta: meta(pair, None, received_at)?,
        bid: Some(Level::new(dec("b", w.bid.0)?, dec("b", w.bid.2)?)),
        ask: Some(Level::new(dec("a", w.ask.0)?, dec("a", w.ask.2)?)),
        last: Some(dec("c", w.last.0)?),
        update_id: None,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::num::NumError;
    use std::str::FromStr;

    const T: Timestamp = Timestamp::from_unix_millis(7);
    const BOOK_CAPTURE: &str = include_str!("../../../tests/fixtures/kraken/KRAKEN.ws.50.0");

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn lvl(p: &str, q: &str) -> Level {
        Level::new(d(p), d(q))
    }

    fn market(frame: &str) -> Vec<MarketEvent> {
        parse(frame, T)
            .unwrap()
            .into_iter()
            .map(|m| match m {
                Message::Market(e) => e,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn control(frame: &str) -> Control {
        match parse(frame, T).unwrap().as_slice() {
            [Message::Control(c)] => c.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn kind(frame: &str) -> ParseErrorKind {
        let e = parse(frame, T).unwrap_err();
        assert_eq!(&*e.frame, frame);
        assert_eq!(e.exchange, Exchange::Kraken);
        e.kind
    }

    /// The received frame of the capture line that starts with `prefix`.
    fn capture_line(prefix: &str) -> &'static str {
        BOOK_CAPTURE
            .lines()
            .filter_map(|l| l.split_once(": ").map(|(_, f)| f))
            .find(|f| f.starts_with(prefix))
            .unwrap()
    }

    // ----- v1, frames from the captures -----

    /// The one-pass v1 book reading equals the general path on every frame of the three
    /// Kraken captures, and on each frame cut short or with a byte changed (where the
    /// one-pass path must give way, never answer differently); it is taken on every book
    /// frame of the captures.
    #[test]
    fn v1_one_pass_equals_the_general_path_on_the_captures() {
        let captures = [
            include_str!("../../../tests/fixtures/kraken/KRAKEN.ws.48.0"),
            include_str!("../../../tests/fixtures/kraken/KRAKEN.ws.49.0"),
            BOOK_CAPTURE,
        ];
        let mut taken = 0;
        let mut books = 0;
        for capture in captures {
            let frames = capture
                .lines()
                .filter_map(|l| l.split_once(": ").map(|(_, f)| f))
                .filter(|f| f.starts_with('['));
            for frame in frames {
                let general = parse_v1_array_general(frame, T);
                if let Some(fast) = v1_book_one_pass(frame, T) {
                    taken += 1;
                    assert_eq!(Ok(vec![fast]), general, "{frame}");
                }
                if frame.contains("\"book-") {
                    books += 1;
                }
                // Damaged copies: cut at a few places, one byte replaced.
                let b = frame.as_bytes();
                for cut in [b.len() / 3, b.len() / 2, b.len() - 1] {
                    if let Ok(text) = std::str::from_utf8(&b[..cut]) {
                        assert_eq!(parse_v1_array(text, T), parse_v1_array_general(text, T));
                    }
                    for with in [b'x', b'"', b'-', b'[', b'9'] {
                        let mut changed = b.to_vec();
                        changed[cut] = with;
                        if let Ok(text) = std::str::from_utf8(&changed) {
                            assert_eq!(
                                parse_v1_array(text, T),
                                parse_v1_array_general(text, T),
                                "{text}"
                            );
                        }
                    }
                }
            }
        }
        assert!(books > 100, "{books}");
        assert_eq!(taken, books);
    }

    #[test]
    fn v1_snapshot_from_the_capture() {
        let [MarketEvent::Snapshot(s)] = &market(capture_line("[464,{\"as\":"))[..] else {
            panic!()
        };
        assert_eq!(s.meta.symbol.as_str(), "BTC-CHF");
        assert_eq!(s.meta.received_at, T);
        assert_eq!(
            (s.asks.len(), s.bids.len()),
            (316, 502),
            "all levels of the capture line"
        );
        assert_eq!(s.asks[0], lvl("56218.30000", "0.15000000"));
        assert_eq!(s.asks[0].price.scale(), 5, "fixed decimals are kept");
        assert_eq!(s.bids[0], lvl("56119.00000", "0.14375128"));
        assert_eq!(s.checksum, None, "v1 snapshots carry no checksum");
        assert_eq!(s.seq, SeqIds::default());
        assert!(s.meta.exchange_time.is_some());
    }

    #[test]
    fn v1_update_with_two_payload_dicts() {
        let f = r#"[1920,{"a":[["0.042990","364630.28272081","1618678145.920470"]]},{"b":[["0.042990","0.00000000","1618678145.920708"]],"c":"4105471083"},"book-1000","SC/EUR"]"#;
        let [MarketEvent::Delta(u)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!(u.meta.symbol.as_str(), "SC-EUR");
        assert_eq!(u.asks, vec![lvl("0.042990", "364630.28272081")]);
        assert_eq!(u.bids, vec![lvl("0.042990", "0")]);
        assert_eq!(u.checksum, Some(Checksum(4105471083)));
        // The latest level time.
        assert_eq!(
            u.meta.exchange_time,
            Timestamp::parse_unix_seconds("1618678145.920708")
        );
    }

    #[test]
    fn v1_update_one_dict_and_republish_flag() {
        let f = r#"[464,{"a":[["56872.70000","0.01000000","1618678133.924027"]],"c":"2628179034"},"book-1000","XBT/CHF"]"#;
        let [MarketEvent::Delta(u)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!((u.asks.len(), u.bids.len()), (1, 0));
        assert_eq!(u.checksum, Some(Checksum(2628179034)));
        // §3.8: a 4th element "r" marks a republished level; it is applied like any other.
        let f = r#"[464,{"b":[["56000.00000","0.50000000","1618678133.924027","r"],["55999.00000","0.00000000","1618678133.924028"]],"c":"1"},"book-10","XBT/CHF"]"#;
        let [MarketEvent::Delta(u)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!(
            u.bids,
            vec![lvl("56000", "0.5"), lvl("55999", "0")],
            "order kept"
        );
    }

    #[test]
    fn v1_trades_from_the_capture() {
        let f = r#"[993,[["354.04000000","0.28245396","1618678150.826417","s","m",""],["353.81000000","1.71754604","1618678150.827816","s","m",""]],"trade","XMR/USD"]"#;
        let trades = market(f);
        assert_eq!(trades.len(), 2);
        let MarketEvent::Trade(t) = &trades[1] else {
            panic!()
        };
        assert_eq!(t.meta.symbol.as_str(), "XMR-USD");
        assert_eq!((t.id, t.taker_side), (None, TakerSide::Sell));
        assert_eq!((t.price, t.qty), (d("353.81"), d("1.71754604")));
        assert_eq!(
            t.meta.exchange_time,
            Timestamp::parse_unix_seconds("1618678150.827816")
        );
        let f = r#"[1921,[["0.043030","1081.72663000","1618678157.908269","b","l",""]],"trade","SC/EUR"]"#;
        let [MarketEvent::Trade(t)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!(t.taker_side, TakerSide::Buy);
    }

    #[test]
    fn v1_ticker_from_the_capture() {
        let f = r#"[468,{"a":["56218.30000",0,"0.13690578"],"b":["56119.10000",0,"0.03333108"],"c":["56218.30000","0.01309422"],"v":["27.65107371","37.46739855"],"p":["56739.22516","56819.12875"],"t":[1300,1955],"l":["55636.00000","55636.00000"],"h":["57623.00000","57623.00000"],"o":["56737.90000","57093.00000"]},"ticker","XBT/CHF"]"#;
        let [MarketEvent::Ticker(t)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!(t.meta.symbol.as_str(), "BTC-CHF");
        assert_eq!(t.ask, Some(lvl("56218.30000", "0.13690578")));
        assert_eq!(t.bid, Some(lvl("56119.10000", "0.03333108")));
        assert_eq!(t.last, Some(d("56218.3")));
        assert_eq!((t.update_id, t.meta.exchange_time), (None, None));
    }

    #[test]
    fn v1_controls_from_the_capture() {
        assert_eq!(control(r#"{"event":"heartbeat"}"#), Control::Heartbeat);
        assert_eq!(
            control(
                r#"{"connectionID":17843232920108168701,"event":"systemStatus","status":"online","version":"1.8.3"}"#
            ),
            Control::SystemStatus {
                online: true,
                status: "online".into()
            }
        );
        assert_eq!(
            control(
                r#"{"channelID":992,"channelName":"book-1000","event":"subscriptionStatus","pair":"XMR/USD","status":"subscribed","subscription":{"depth":1000,"name":"book"}}"#
            ),
            Control::Subscribed {
                channel: "book".into(),
                symbol: Some(Symbol::parse("XMR-USD").unwrap())
            }
        );
        // §3.8 and docs.kraken.com `websockets` (unsubscribe / error / pong).
        assert_eq!(
            control(
                r#"{"channelID":465,"channelName":"trade","event":"subscriptionStatus","pair":"XBT/CHF","status":"unsubscribed","subscription":{"name":"trade"}}"#
            ),
            Control::Unsubscribed {
                channel: "trade".into(),
                symbol: Some(Symbol::parse("BTC-CHF").unwrap())
            }
        );
        assert_eq!(
            control(
                r#"{"errorMessage":"Currency pair not in ISO 4217-A3 format XBTUSD","event":"subscriptionStatus","pair":"XBTUSD","status":"error","subscription":{"name":"ticker"},"reqid":3}"#
            ),
            Control::Error {
                code: None,
                message: "Currency pair not in ISO 4217-A3 format XBTUSD".into(),
                id: Some(3)
            }
        );
        assert_eq!(
            control(r#"{"event":"pong","reqid":42}"#),
            Control::Pong { id: Some(42) }
        );
    }

    // ----- v2, the doc's examples (§3.2–§3.7) -----

    #[test]
    fn v2_book_snapshot_and_update() {
        let f = r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":45283.5,"qty":0.10000000},{"price":45281.0,"qty":0.10000000}],"asks":[{"price":45285.2,"qty":0.00100000}],"checksum":3310070434,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#;
        let [MarketEvent::Snapshot(s)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!(s.meta.symbol.as_str(), "BTC-USD");
        assert_eq!(s.bids, vec![lvl("45283.5", "0.1"), lvl("45281", "0.1")]);
        assert_eq!(
            s.bids[1].price.to_string(),
            "45281.0",
            "the token text, not a float"
        );
        assert_eq!(s.bids[0].qty.to_string(), "0.10000000");
        assert_eq!(s.asks, vec![lvl("45285.2", "0.001")]);
        assert_eq!(s.checksum, Some(Checksum(3310070434)));
        assert_eq!(
            s.meta.exchange_time,
            Timestamp::parse_rfc3339_utc("2023-10-06T17:35:55.440295Z")
        );
        let f = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":105944.20,"qty":0.250}],"asks":[],"checksum":2114181697,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#;
        let [MarketEvent::Delta(u)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!(u.bids, vec![lvl("105944.2", "0.25")]);
        assert!(u.asks.is_empty());
        assert_eq!(u.checksum, Some(Checksum(2114181697)));
        // Exponent tokens and deletes are exact too.
        let f = r#"{"channel":"book","type":"update","data":[{"symbol":"DOGE/USD","bids":[{"price":1e-1,"qty":0}],"asks":[],"checksum":1}]}"#;
        let [MarketEvent::Delta(u)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!(u.meta.symbol.as_str(), "DOGE-USD");
        assert_eq!(u.bids, vec![lvl("0.1", "0")]);
        assert_eq!(u.meta.exchange_time, None);
    }

    #[test]
    fn v2_trade_and_ticker() {
        let f = r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":105944.20,"qty":0.00027625,"ord_type":"limit","trade_id":10218208,"timestamp":"2023-10-06T17:35:55.440295Z"},{"symbol":"BTC/USD","side":"sell","price":105944.1,"qty":1,"ord_type":"market","trade_id":10218209,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#;
        let trades = market(f);
        let [MarketEvent::Trade(a), MarketEvent::Trade(b)] = &trades[..] else {
            panic!()
        };
        assert_eq!(
            (a.id, a.taker_side, a.price, a.qty),
            (
                Some(10218208),
                TakerSide::Buy,
                d("105944.2"),
                d("0.00027625")
            )
        );
        assert_eq!((b.id, b.taker_side), (Some(10218209), TakerSide::Sell));
        assert_eq!(
            a.meta.exchange_time,
            Timestamp::parse_rfc3339_utc("2023-10-06T17:35:55.440295Z")
        );
        let f = r#"{"channel":"ticker","type":"snapshot","data":[{"symbol":"BTC/USD","bid":45283.5,"bid_qty":0.1,"ask":45285.2,"ask_qty":0.001,"last":45284.0,"volume":1234.5,"vwap":45000.1,"low":44000.0,"high":46000.0,"change":100.0,"change_pct":0.22}]}"#;
        let [MarketEvent::Ticker(t)] = &market(f)[..] else {
            panic!()
        };
        assert_eq!(t.bid, Some(lvl("45283.5", "0.1")));
        assert_eq!(t.ask, Some(lvl("45285.2", "0.001")));
        assert_eq!(t.last, Some(d("45284")));
        assert_eq!(t.meta.exchange_time, None);
    }

    #[test]
    fn v2_controls() {
        let ack = r#"{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,"symbol":"BTC/USD"},"success":true,"time_in":"2023-09-25T09:04:31.742599Z","time_out":"2023-09-25T09:04:31.742648Z","req_id":1234}"#;
        let btc = Symbol::parse("BTC-USD").unwrap();
        assert_eq!(
            control(ack),
            Control::Subscribed {
                channel: "book".into(),
                symbol: Some(btc.clone())
            }
        );
        let ack = ack.replace("\"subscribe\"", "\"unsubscribe\"");
        assert_eq!(
            control(&ack),
            Control::Unsubscribed {
                channel: "book".into(),
                symbol: Some(btc)
            }
        );
        let ack = r#"{"method":"subscribe","result":{"channel":"instrument","snapshot":true},"success":true,"req_id":3}"#;
        assert_eq!(
            control(ack),
            Control::Subscribed {
                channel: "instrument".into(),
                symbol: None
            }
        );
        let nack = r#"{"error":"Currency pair not supported","method":"subscribe","success":false,"symbol":"BTC/USDX","time_in":"2023-09-25T09:04:31.742599Z","time_out":"2023-09-25T09:04:31.742648Z","req_id":9}"#;
        assert_eq!(
            control(nack),
            Control::Rejected {
                symbol: Symbol::parse("BTC-USDX").unwrap(),
                message: "Currency pair not supported".into(),
            }
        );
        // Other refusals of a symbol are errors, not a verdict on the symbol.
        let busy = r#"{"error":"Already subscribed","method":"subscribe","success":false,"symbol":"BTC/USD","req_id":10}"#;
        assert_eq!(
            control(busy),
            Control::Error {
                code: None,
                message: "Already subscribed (BTC/USD)".into(),
                id: Some(10)
            }
        );
        let pong = r#"{"method":"pong","req_id":101,"time_in":"2022-12-25T09:30:59.123456Z","time_out":"2022-12-25T09:30:59.143456Z"}"#;
        assert_eq!(control(pong), Control::Pong { id: Some(101) });
        assert_eq!(control(r#"{"channel":"heartbeat"}"#), Control::Heartbeat);
        let status = r#"{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":12393906104898154338,"system":"maintenance","version":"2.0.0"}]}"#;
        assert_eq!(
            control(status),
            Control::SystemStatus {
                online: false,
                status: "maintenance".into()
            }
        );
    }

    #[test]
    fn v2_instrument_gives_pair_precisions() {
        let f = r#"{"channel":"instrument","type":"snapshot","data":{"assets":[{"id":"BTC","status":"enabled","precision":10,"precision_display":5,"borrowable":true,"collateral_value":1.0,"margin_rate":0.01}],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":0.00000001,"price_precision":1,"cost_precision":5,"marginable":true,"has_index":true,"cost_min":0.5,"tick_size":0.1,"price_increment":0.1,"qty_min":0.0001},{"symbol":"ETH/USD","qty_precision":8,"price_precision":2}]}}"#;
        let msgs = parse(f, T).unwrap();
        assert_eq!(
            msgs[0],
            Message::Control(Control::Instrument {
                symbol: Symbol::parse("BTC-USD").unwrap(),
                price_precision: 1,
                qty_precision: 8
            })
        );
        assert_eq!(msgs.len(), 2);
    }

    // ----- malformed and unknown -----

    #[test]
    fn malformed_frames_are_typed_errors_that_keep_the_frame() {
        assert!(matches!(kind("{not json"), ParseErrorKind::Json(_)));
        assert!(matches!(kind(""), ParseErrorKind::Json(_)));
        assert!(matches!(kind("[464,{\"a\":[]}"), ParseErrorKind::Json(_)));
        // v1 shapes.
        assert_eq!(
            kind(r#"[464,"book-10","XBT/CHF"]"#),
            ParseErrorKind::Field("payload")
        );
        assert!(matches!(
            kind(r#"[464,"XBT/CHF"]"#),
            ParseErrorKind::Json(_)
        ));
        assert_eq!(
            kind(r#"["x",{"a":[]},"book-10","XBT/CHF"]"#),
            ParseErrorKind::Field("channelID")
        );
        assert!(matches!(
            kind(r#"[464,{"a":[["56872.70000","0.01000000"]],"c":"1"},"book-10","XBT/CHF"]"#),
            ParseErrorKind::Json(_)
        ));
        assert!(matches!(
            kind(r#"[464,{"a":[["1","2","3","x"]],"c":"1"},"book-10","XBT/CHF"]"#),
            ParseErrorKind::Json(_)
        ));
        assert_eq!(
            kind(r#"[464,{"a":[["5x","0.1","1618678133.924027"]],"c":"1"},"book-10","XBT/CHF"]"#),
            ParseErrorKind::Number {
                field: "a",
                error: NumError::InvalidChar('x')
            }
        );
        assert_eq!(
            kind(r#"[464,{"a":[["1","0.1","1618678133.924027"]],"c":"-1"},"book-10","XBT/CHF"]"#),
            ParseErrorKind::Field("c")
        );
        assert_eq!(
            kind(r#"[464,{"a":[["1","0.1","yesterday"]],"c":"1"},"book-10","XBT/CHF"]"#),
            ParseErrorKind::Field("a")
        );
        assert_eq!(
            kind(r#"[464,{"as":[]},{"b":[],"c":"1"},"book-10","XBT/CHF"]"#),
            ParseErrorKind::Field("a")
        );
        assert_eq!(
            kind(r#"[464,{},"book-10","XBT/CHF"]"#),
            ParseErrorKind::Field("a")
        );
        assert!(matches!(
            kind(r#"[464,{"a":[],"c":"1"},"book-10","XBTCHF"]"#),
            ParseErrorKind::Symbol(_)
        ));
        assert_eq!(
            kind(r#"[993,[["354.1","0.8","1618678142.557535","x","l",""]],"trade","XMR/USD"]"#),
            ParseErrorKind::Field("side")
        );
        // v2 shapes.
        assert_eq!(
            kind(
                r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":"45283.5","qty":1}],"asks":[],"checksum":1}]}"#
            ),
            ParseErrorKind::Number {
                field: "bids",
                error: NumError::InvalidChar('"')
            }
        );
        assert_eq!(
            kind(
                r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":-1,"qty":1}],"asks":[],"checksum":1}]}"#
            ),
            ParseErrorKind::Number {
                field: "bids",
                error: NumError::Negative
            }
        );
        assert!(matches!(
            kind(
                r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":4294967296}]}"#
            ),
            ParseErrorKind::Json(_)
        ));
        assert_eq!(
            kind(r#"{"channel":"book","type":"other","data":[]}"#),
            ParseErrorKind::Field("type")
        );
        assert_eq!(
            kind(r#"{"channel":"book","type":"update"}"#),
            ParseErrorKind::Field("data")
        );
        assert_eq!(
            kind(
                r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":1,"timestamp":"2023-10-06 17:35:55Z"}]}"#
            ),
            ParseErrorKind::Field("timestamp")
        );
        assert_eq!(
            kind(r#"{"method":"subscribe","result":{"channel":"book"}}"#),
            ParseErrorKind::Field("success")
        );
    }

    #[test]
    fn unknown_but_valid_messages() {
        for f in [
            r#"{"hello":1}"#,
            r#"{"channel":"ohlc","type":"update","data":[]}"#,
            r#"{"method":"add_order","success":true,"req_id":1}"#,
            r#"{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book"}}"#,
            r#"[42,["5541.2","5541.3","1534614098.345543","6.1","9.0"],"spread","XBT/USD"]"#,
            "42",
        ] {
            assert_eq!(kind(f), ParseErrorKind::UnknownMessage, "{f}");
        }
    }
}
