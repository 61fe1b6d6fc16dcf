//! Poloniex v3 frame parsing: one text frame → normalized [`Message`]s.

use super::subscription::{BOOK_LV2, TICKER, TRADES};
use super::wire::{BookEntry, BookFrame, Envelope, OneOrMany, TickerEntry, TradeEntry};
use crate::exchange::fields::{dec, json_err, levels, unix_millis};
use crate::exchange::{Control, Message, ParseError, ParseErrorKind};
use crate::types::{
    BookDelta, BookSnapshot, Exchange, Level, MarketEvent, Meta, SeqIds, Symbol, TakerSide, Ticker,
    Timestamp, Trade,
};

/// Parses one frame from `wss://ws.poloniex.com/ws/public`, received at `received_at`.
///
/// * `book_lv2` `snapshot` / `update` → one [`MarketEvent::Snapshot`] / [`MarketEvent::Delta`]
///   per element of `data`, with `seq = { first_id: id, last_id: id, prev_id: lastId }` and
///   the exchange time from `ts` (else `createTime`).
/// * `trades` → [`MarketEvent::Trade`] with `qty = quantity` (the base size; `amount` is the
///   quote notional).
/// * `ticker` → [`MarketEvent::Ticker`] with `last = close`, bid/ask where sent.
/// * Control: subscribe / unsubscribe acknowledgements (one per channel and symbol; symbol
///   `None` for `all` or when none is named), `error`, `pong`.
///
/// Malformed frames are [`ParseError`]s that keep the frame; valid JSON of a kind this adapter
/// does not know is [`ParseErrorKind::UnknownMessage`].
pub fn parse(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseError> {
    if let Some(messages) = book_one_pass(frame, received_at) {
        return Ok(messages);
    }
    parse_general(frame, received_at)
}

/// Every frame through [`Envelope`]: every shape and typed error.
fn parse_general(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseError> {
    let err = |kind| ParseError::new(Exchange::Poloniex, kind, frame);
    let env: Envelope<'_> = serde_json::from_str(frame).map_err(|e| err(json_err(e)))?;
    parse_envelope(env, received_at).map_err(err)
}

fn parse_envelope(
    env: Envelope<'_>,
    received_at: Timestamp,
) -> Result<Vec<Message>, ParseErrorKind> {
    if let Some(event) = env.event {
        return parse_control(event, &env);
    }
    let (Some(OneOrMany::One(channel)), Some(data)) = (&env.channel, env.data) else {
        return Err(ParseErrorKind::UnknownMessage);
    };
    let data = data.get();
    let events = match *channel {
        BOOK_LV2 => {
            let snapshot = match env.action {
                Some("snapshot") => true,
                Some("update") => false,
                Some(_) => return Err(ParseErrorKind::UnknownMessage),
                None => return Err(ParseErrorKind::Field("action")),
            };
            let entries: Vec<BookEntry<'_>> = serde_json::from_str(data).map_err(json_err)?;
            entries
                .into_iter()
                .map(|e| book_event(e, snapshot, received_at))
                .collect::<Result<Vec<_>, _>>()?
        }
        TRADES => {
            let entries: Vec<TradeEntry<'_>> = serde_json::from_str(data).map_err(json_err)?;
            entries
                .into_iter()
                .map(|e| trade_event(e, received_at))
                .collect::<Result<Vec<_>, _>>()?
        }
        TICKER => {
            let entries: Vec<TickerEntry<'_>> = serde_json::from_str(data).map_err(json_err)?;
            entries
                .into_iter()
                .map(|e| ticker_event(e, received_at))
                .collect::<Result<Vec<_>, _>>()?
        }
        _ => return Err(ParseErrorKind::UnknownMessage),
    };
    Ok(events.into_iter().map(Message::Market).collect())
}

/// The symbol named by an `Invalid symbols value [...]` error, when it names exactly one
/// well-formed symbol. Poloniex errors carry no request id, so the message is all there is.
fn refused_symbol(message: &str) -> Option<Symbol> {
    let rest = message.strip_prefix("Invalid symbols value")?.trim_start();
    let inner = rest.strip_prefix('[')?.strip_suffix(']')?;
    let mut names = inner
        .split(',')
        .map(|n| n.trim().trim_matches('"'))
        .filter(|n| !n.is_empty());
    let name = names.next()?;
    if names.next().is_some() {
        return None;
    }
    Symbol::parse(name).ok()
}

fn parse_control(event: &str, env: &Envelope<'_>) -> Result<Vec<Message>, ParseErrorKind> {
    let subscribed = match event {
        "pong" => return Ok(vec![Message::Control(Control::Pong { id: None })]),
        "error" => {
            let message = env
                .message
                .as_deref()
                .ok_or(ParseErrorKind::Field("message"))?;
            let error = match refused_symbol(message) {
                Some(symbol) => Control::Rejected {
                    symbol,
                    message: message.to_string(),
                },
                None => Control::Error {
                    code: None,
                    message: message.to_string(),
                    id: None,
                },
            };
            return Ok(vec![Message::Control(error)]);
        }
        "subscribe" => true,
        "unsubscribe" | "unsubscribe_all" => false,
        _ => return Err(ParseErrorKind::UnknownMessage),
    };
    let channels: Vec<&str> = match &env.channel {
        Some(OneOrMany::One(c)) => vec![c],
        Some(OneOrMany::Many(cs)) => cs.clone(),
        // `unsubscribe_all` may be acknowledged without naming a channel.
        None if !subscribed => vec!["all"],
        None => return Err(ParseErrorKind::Field("channel")),
    };
    let mut symbols: Vec<Option<Symbol>> = Vec::new();
    for s in env.symbols.iter().flatten() {
        if s.eq_ignore_ascii_case("all") {
            symbols.push(None);
        } else {
            let symbol =
                Symbol::from_venue(Exchange::Poloniex, s).map_err(ParseErrorKind::Symbol)?;
            symbols.push(Some(symbol));
        }
    }
    if symbols.is_empty() {
        symbols.push(None);
    }
    let mut out = Vec::with_capacity(channels.len() * symbols.len());
    for channel in channels {
        for symbol in &symbols {
            let (channel, symbol) = (channel.to_string(), symbol.clone());
            out.push(Message::Control(if subscribed {
                Control::Subscribed { channel, symbol }
            } else {
                Control::Unsubscribed { channel, symbol }
            }));
        }
    }
    Ok(out)
}

fn book_event(
    e: BookEntry<'_>,
    snapshot: bool,
    received_at: Timestamp,
) -> Result<MarketEvent, ParseErrorKind> {
    let meta = meta(e.symbol, e.ts.or(e.create_time), received_at)?;
    let bids = levels("bids", &e.bids)?;
    let asks = levels("asks", &e.asks)?;
    book_message(meta, bids, asks, e.id, e.last_id, snapshot)
}

/// A `book_lv2` frame read in one pass: by the hand-written [`scan`](super::scan) where it
/// answers, else through [`BookFrame`]; `None` on any error or any other
/// kind of frame, and the general reading then gives the answer and its typed error. Where
/// this succeeds the general reading gives the same messages: the same derived fields, the
/// same decimal parser and the same [`book_message`] (tested on the capture).
fn book_one_pass(frame: &str, received_at: Timestamp) -> Option<Vec<Message>> {
    if let Some((snapshot, entries)) = super::scan::book_frame(frame) {
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let meta = meta(e.symbol, e.ts.or(e.create_time), received_at).ok()?;
            let event = book_message(meta, e.bids, e.asks, e.id, e.last_id, snapshot).ok()?;
            out.push(Message::Market(event));
        }
        return Some(out);
    }
    let f: BookFrame<'_> = serde_json::from_str(frame).ok()?;
    if f.event.is_some() || f.channel != BOOK_LV2 {
        return None;
    }
    let snapshot = match f.action? {
        "snapshot" => true,
        "update" => false,
        _ => return None,
    };
    let mut out = Vec::with_capacity(f.data.len());
    for e in f.data {
        let meta = meta(e.symbol, e.ts.or(e.create_time), received_at).ok()?;
        let event = book_message(meta, e.bids.0, e.asks.0, e.id, e.last_id, snapshot).ok()?;
        out.push(Message::Market(event));
    }
    Some(out)
}

fn book_message(
    meta: Meta,
    bids: Vec<Level>,
    asks: Vec<Level>,
    id: u64,
    last_id: Option<u64>,
    snapshot: bool,
) -> Result<MarketEvent, ParseErrorKind> {
    if snapshot {
        let seq = SeqIds {
            first_id: Some(id),
            last_id: Some(id),
            prev_id: last_id,
        };
        Ok(MarketEvent::Snapshot(BookSnapshot {
            meta,
            bids,
            asks,
            seq,
            checksum: None,
        }))
    } else {
        // Without `lastId` an update cannot be chained: reject it rather than guess.
        let prev = last_id.ok_or(ParseErrorKind::Field("lastId"))?;
        let seq = SeqIds {
            first_id: Some(id),
            last_id: Some(id),
            prev_id: Some(prev),
        };
        Ok(MarketEvent::Delta(BookDelta {
            meta,
            bids,
            asks,
            seq,
            checksum: None,
        }))
    }
}

fn trade_event(e: TradeEntry<'_>, received_at: Timestamp) -> Result<MarketEvent, ParseErrorKind> {
    let taker_side = match e.taker_side {
        "buy" => TakerSide::Buy,
        "sell" => TakerSide::Sell,
        _ => return Err(ParseErrorKind::Field("takerSide")),
    };
    // Digits only: `str::parse` would also take a leading `+`.
    let id = match e.id.bytes().all(|b| b.is_ascii_digit()) {
        true => {
            e.id.parse::<u64>()
                .map_err(|_| ParseErrorKind::Field("id"))?
        }
        false => return Err(ParseErrorKind::Field("id")),
    };
    Ok(MarketEvent::Trade(Trade {
        meta: meta(e.symbol, Some(e.create_time), received_at)?,
        id: Some(id),
        price: dec("price", e.price)?,
        qty: dec("quantity", e.quantity)?,
        taker_side,
    }))
}

fn ticker_event(e: TickerEntry<'_>, received_at: Timestamp) -> Result<MarketEvent, ParseErrorKind> {
    let level =
        |p: Option<&str>, pf, q: Option<&str>, qf| -> Result<Option<Level>, ParseErrorKind> {
            match (p, q) {
                (Some(p), Some(q)) => Ok(Some(Level::new(dec(pf, p)?, dec(qf, q)?))),
                _ => Ok(None),
            }
        };
    Ok(MarketEvent::Ticker(Ticker {
        meta: meta(e.symbol, e.ts, received_at)?,
        bid: level(e.bid, "bid", e.bid_quantity, "bidQuantity")?,
        ask: level(e.ask, "ask", e.ask_quantity, "askQuantity")?,
        last: e.close.map(|c| dec("close", c)).transpose()?,
        update_id: None,
    }))
}

/// The event's metadata; `exchange_ms` is the venue's event time.
fn meta(
    wire_symbol: &str,
    exchange_ms: Option<u64>,
    received_at: Timestamp,
) -> Result<Meta, ParseErrorKind> {
    crate::exchange::fields::meta(
        Exchange::Poloniex,
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

    /// The one-pass `book_lv2` reading equals the general one on every frame of the capture
    /// and on cut or byte-changed copies of each (where it must give way, never answer
    /// differently); it is taken on every intact book frame.
    #[test]
    fn book_one_pass_equals_the_general_reading_on_the_capture() {
        let capture = include_str!("../../../tests/fixtures/poloniex/POLONIEX_v3.ws.1.0");
        let (mut books, mut taken) = (0, 0);
        for line in capture.lines() {
            let Some((_, frame)) = line.split_once(": ") else {
                continue;
            };
            if frame.contains("\"book_lv2\"") && frame.contains("\"data\"") {
                books += 1;
            }
            if let Some(fast) = book_one_pass(frame, T) {
                taken += 1;
                assert_eq!(Ok(fast), parse_general(frame, T), "{frame}");
            }
            let b = frame.as_bytes();
            for cut in [b.len() / 4, b.len() / 2, b.len() * 3 / 4, b.len() - 2] {
                for with in [b'x', b'"', b'-', b'[', b'9', b'.', b'e', b'{'] {
                    let mut changed = b.to_vec();
                    changed[cut] = with;
                    if let Ok(text) = std::str::from_utf8(&changed) {
                        assert_eq!(parse(text, T), parse_general(text, T), "{text}");
                    }
                }
                if let Ok(text) = std::str::from_utf8(&b[..cut]) {
                    assert_eq!(parse(text, T), parse_general(text, T), "{text}");
                }
            }
        }
        assert!(books > 50, "{books}");
        assert_eq!(taken, books);
    }

    /// The hand-written scanner answers every book frame of the capture, also with its keys
    /// in another order (serde_json's sorted maps) and pretty-printed, and what it reads is
    /// the general reading's answer; a frame with an unknown key or a duplicate field goes
    /// to the serde readings.
    #[test]
    fn the_scanner_reads_every_book_frame_in_any_key_order() {
        let capture = include_str!("../../../tests/fixtures/poloniex/POLONIEX_v3.ws.1.0");
        let mut scanned = 0;
        for line in capture.lines() {
            let Some((_, frame)) = line.split_once(": ") else {
                continue;
            };
            if !(frame.contains("\"book_lv2\"") && frame.contains("\"data\"")) {
                assert!(super::super::scan::book_frame(frame).is_none(), "{frame}");
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(frame).unwrap();
            for text in [
                frame.to_string(),
                v.to_string(),
                serde_json::to_string_pretty(&v).unwrap(),
            ] {
                assert!(super::super::scan::book_frame(&text).is_some(), "{text}");
                assert_eq!(parse(&text, T), parse_general(&text, T), "{text}");
            }
            scanned += 1;
            let extra = frame.replacen("\"symbol\":", "\"x\":1,\"symbol\":", 1);
            assert!(super::super::scan::book_frame(&extra).is_none(), "{extra}");
            assert_eq!(parse(&extra, T), parse_general(&extra, T));
            let twice = frame.replacen("\"id\":", "\"id\":1,\"id\":", 1);
            assert!(super::super::scan::book_frame(&twice).is_none(), "{twice}");
            assert_eq!(parse(&twice, T), parse_general(&twice, T));
        }
        assert!(scanned > 50, "{scanned}");
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
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

    fn only(frame: &str) -> MarketEvent {
        let mut events = market(frame);
        assert_eq!(events.len(), 1, "{events:?}");
        events.remove(0)
    }

    fn control(frame: &str) -> Vec<Control> {
        parse(frame, T)
            .unwrap()
            .into_iter()
            .map(|m| match m {
                Message::Control(c) => c,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn kind(frame: &str) -> ParseErrorKind {
        let e = parse(frame, T).unwrap_err();
        assert_eq!(&*e.frame, frame);
        assert_eq!(e.exchange, Exchange::Poloniex);
        assert!(!e.is_terminal());
        e.kind
    }

    /// Line 8 of the capture (thin market: 20 asks, 11 bids; `action` after `data`).
    const SNAPSHOT: &str = r#"{"channel":"book_lv2","data":[{"symbol":"DYP_USDT","createTime":1661110273720,"asks":[["0.2999","30.01"],["0.3999","22.5056"],["0.4749","271.5515"],["0.475","624.4681"],["0.4997","98.0588"],["0.4999","2039.8434"],["0.5","993.8490"],["0.581","559.3632"],["0.71","2031.4451"],["0.8","57.5"],["0.9","1.4073"],["0.9786","16.9776"],["0.9999","2.3592"],["1.4342","1.4436"],["1.9999","3"],["2.488","1.3138"],["2.9401","0.3436"],["3.9999","1"],["4","57.5"],["5","18.5445"]],"bids":[["0.2002","140.8591"],["0.2001","134.9325"],["0.2","23.0019"],["0.19","200"],["0.16","300"],["0.0201","199.0049"],["0.02","250"],["0.0005","47077.2"],["0.0004","5000"],["0.0003","166666.6666"],["0.0001","10000"]],"lastId":8553,"id":8554,"ts":1661123517823}],"action":"snapshot"}"#;

    #[test]
    fn snapshot_from_the_capture() {
        let MarketEvent::Snapshot(s) = only(SNAPSHOT) else {
            panic!()
        };
        assert_eq!(s.meta.symbol.as_str(), "DYP-USDT");
        assert_eq!(s.meta.exchange, Exchange::Poloniex);
        assert_eq!(s.meta.received_at, T);
        assert_eq!(
            s.meta.exchange_time,
            Some(Timestamp::from_unix_millis(1661123517823))
        );
        assert_eq!(
            s.seq,
            SeqIds {
                first_id: Some(8554),
                last_id: Some(8554),
                prev_id: Some(8553)
            }
        );
        assert_eq!((s.asks.len(), s.bids.len()), (20, 11));
        assert_eq!(s.asks[0], Level::new(d("0.2999"), d("30.01")));
        assert_eq!(s.bids[10], Level::new(d("0.0001"), d("10000")));
        assert_eq!(s.asks[6].qty.to_string(), "993.8490", "scale as written");
        assert_eq!(s.checksum, None);
    }

    #[test]
    fn doc_examples_for_book_lv2() {
        let snap = r#"{"channel":"book_lv2","action":"snapshot","data":[{"symbol":"BTC_USDT","createTime":1677368876253,"asks":[["5.65","0.02"]],"bids":[["6.16","0.6"]],"lastId":164148724,"id":164148725,"ts":1677368876316}]}"#;
        let MarketEvent::Snapshot(s) = only(snap) else {
            panic!()
        };
        assert_eq!(s.meta.symbol.as_str(), "BTC-USDT");
        assert_eq!(s.seq.last_id, Some(164148725));
        let upd = r#"{"channel":"book_lv2","action":"update","data":[{"symbol":"BTC_USDT","createTime":1677368876882,"asks":[["6.35","3"]],"bids":[["5.65","0.02"]],"lastId":164148725,"id":164148726,"ts":1677368876890}]}"#;
        let MarketEvent::Delta(u) = only(upd) else {
            panic!()
        };
        let seq = SeqIds {
            first_id: Some(164148726),
            last_id: Some(164148726),
            prev_id: Some(164148725),
        };
        assert_eq!(u.seq, seq);
        assert_eq!(u.asks, vec![Level::new(d("6.35"), d("3"))]);
        assert_eq!(u.bids, vec![Level::new(d("5.65"), d("0.02"))]);
        assert_eq!(
            u.meta.exchange_time,
            Some(Timestamp::from_unix_millis(1677368876890))
        );
    }

    #[test]
    fn update_from_the_capture_with_a_deletion() {
        // Line 22 of the capture.
        let f = r#"{"channel":"book_lv2","data":[{"symbol":"BTC_USDT","createTime":1661123517877,"asks":[["21651.41","0"],["21657.91","0.34"]],"bids":[],"lastId":4485678,"id":4485679,"ts":1661123517882}],"action":"update"}"#;
        let MarketEvent::Delta(u) = only(f) else {
            panic!()
        };
        assert_eq!(
            u.asks,
            vec![
                Level::new(d("21651.41"), Decimal::ZERO),
                Level::new(d("21657.91"), d("0.34"))
            ]
        );
        assert!(u.bids.is_empty());
        assert_eq!(
            u.seq,
            SeqIds {
                first_id: Some(4485679),
                last_id: Some(4485679),
                prev_id: Some(4485678)
            }
        );
        // Without `ts` the matching-engine time stands in.
        let no_ts = f.replace(r#","ts":1661123517882"#, "");
        let MarketEvent::Delta(u) = only(&no_ts) else {
            panic!()
        };
        assert_eq!(
            u.meta.exchange_time,
            Some(Timestamp::from_unix_millis(1661123517877))
        );
    }

    #[test]
    fn one_event_per_data_element() {
        let f = r#"{"channel":"book_lv2","action":"update","data":[{"symbol":"BTC_USDT","asks":[],"bids":[["1","1"]],"lastId":1,"id":2,"ts":5},{"symbol":"ETH_USDT","asks":[["2","1"]],"bids":[],"lastId":7,"id":8,"ts":6}]}"#;
        let events = market(f);
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].meta().symbol.as_str(), "ETH-USDT");
        assert!(market(r#"{"channel":"book_lv2","action":"update","data":[]}"#).is_empty());
    }

    #[test]
    fn trade_takes_quantity_not_amount() {
        // Line 51 of the capture; amount 248.3516391 = 0.01149 × 21614.59.
        let f = r#"{"channel":"trades","data":[{"symbol":"BTC_USDT","amount":"248.3516391","quantity":"0.01149","takerSide":"sell","createTime":1661123520381,"price":"21614.59","id":"60184114","ts":1661123520386}]}"#;
        let MarketEvent::Trade(t) = only(f) else {
            panic!()
        };
        assert_eq!(t.meta.symbol.as_str(), "BTC-USDT");
        assert_eq!(t.qty, d("0.01149"));
        assert_eq!(t.price, d("21614.59"));
        assert_eq!(t.price * t.qty, d("248.3516391"));
        assert_eq!(t.id, Some(60184114));
        assert_eq!(t.taker_side, TakerSide::Sell);
        assert_eq!(
            t.meta.exchange_time,
            Some(Timestamp::from_unix_millis(1661123520381))
        );
        let buy = f.replace(r#""sell""#, r#""buy""#);
        let MarketEvent::Trade(t) = only(&buy) else {
            panic!()
        };
        assert_eq!(t.taker_side, TakerSide::Buy);
    }

    #[test]
    fn ticker_last_is_close_and_bid_ask_only_when_sent() {
        let f = r#"{"channel":"ticker","data":[{"symbol":"ETH_USDT","startTime":1652770800000,"open":"2154.22","high":"2178.52","low":"2037.1","close":"2064.53","quantity":"43.43","amount":"89521.5","tradeCount":29,"dailyChange":"-0.0416","markPrice":"2063.39","closeTime":1652857219999,"ts":1652857220023}]}"#;
        let MarketEvent::Ticker(t) = only(f) else {
            panic!()
        };
        assert_eq!(t.meta.symbol.as_str(), "ETH-USDT");
        assert_eq!(t.last, Some(d("2064.53")));
        assert_eq!((t.bid, t.ask, t.update_id), (None, None, None));
        assert_eq!(
            t.meta.exchange_time,
            Some(Timestamp::from_unix_millis(1652857220023))
        );
        let f = r#"{"channel":"ticker","data":[{"symbol":"ETH_USDT","close":"2","bid":"1.9","bidQuantity":"3","ask":"2.1","askQuantity":"4","ts":1}]}"#;
        let MarketEvent::Ticker(t) = only(f) else {
            panic!()
        };
        assert_eq!(t.bid, Some(Level::new(d("1.9"), d("3"))));
        assert_eq!(t.ask, Some(Level::new(d("2.1"), d("4"))));
    }

    #[test]
    fn control_messages() {
        // Line 4 of the capture (symbols shortened).
        let acks = control(
            r#"{"event":"subscribe","channel":"trades","symbols":["BCH_USDT","BTC_USDT"]}"#,
        );
        assert_eq!(
            acks,
            vec![
                Control::Subscribed {
                    channel: "trades".into(),
                    symbol: Some(Symbol::parse("BCH-USDT").unwrap())
                },
                Control::Subscribed {
                    channel: "trades".into(),
                    symbol: Some(Symbol::parse("BTC-USDT").unwrap())
                },
            ]
        );
        let acks = control(r#"{"event":"unsubscribe","channel":["book_lv2"],"symbols":["all"]}"#);
        assert_eq!(
            acks,
            vec![Control::Unsubscribed {
                channel: "book_lv2".into(),
                symbol: None
            }]
        );
        let acks = control(r#"{"event":"unsubscribe_all"}"#);
        assert_eq!(
            acks,
            vec![Control::Unsubscribed {
                channel: "all".into(),
                symbol: None
            }]
        );
        assert_eq!(
            control(r#"{"event":"pong"}"#),
            vec![Control::Pong { id: None }]
        );
        let err = control(r#"{"event":"error","message":"Invalid channel value [\"ordersss\"]"}"#);
        assert_eq!(
            err,
            vec![Control::Error {
                code: None,
                message: r#"Invalid channel value ["ordersss"]"#.into(),
                id: None
            }]
        );
        // An unknown symbol is refused by name (the same shape as the channel error).
        let err = control(r#"{"event":"error","message":"Invalid symbols value [\"FOO_USDT\"]"}"#);
        assert_eq!(
            err,
            vec![Control::Rejected {
                symbol: Symbol::parse("FOO-USDT").unwrap(),
                message: r#"Invalid symbols value ["FOO_USDT"]"#.into(),
            }]
        );
        // Naming several (or none) leaves it a plain error: no guessing which one.
        for message in [
            r#"Invalid symbols value [\"FOO_USDT\",\"BAR_USDT\"]"#,
            r#"Invalid symbols value []"#,
        ] {
            let frame = format!(r#"{{"event":"error","message":"{message}"}}"#);
            assert!(
                matches!(control(&frame)[..], [Control::Error { .. }]),
                "{frame}"
            );
        }
    }

    #[test]
    fn malformed_frames_are_typed_errors_that_keep_the_frame() {
        assert!(matches!(kind("{not json"), ParseErrorKind::Json(_)));
        assert!(matches!(kind(""), ParseErrorKind::Json(_)));
        assert!(matches!(kind("[1,2]"), ParseErrorKind::Json(_)));
        // Truncated frame.
        assert!(matches!(
            kind(&SNAPSHOT[..SNAPSHOT.len() - 5]),
            ParseErrorKind::Json(_)
        ));
        // A level with a bad price.
        let bad = SNAPSHOT.replace(r#"["0.2999","30.01"]"#, r#"["0.29x9","30.01"]"#);
        assert!(matches!(
            kind(&bad),
            ParseErrorKind::Number { field: "asks", .. }
        ));
        // A level with three elements, an id that is a string, a missing `id`.
        let bad = SNAPSHOT.replace(r#"["0.2999","30.01"]"#, r#"["0.2999","30.01","x"]"#);
        assert!(matches!(kind(&bad), ParseErrorKind::Json(_)));
        assert!(matches!(
            kind(&SNAPSHOT.replace(r#""id":8554"#, r#""id":"8554""#)),
            ParseErrorKind::Json(_)
        ));
        assert!(matches!(
            kind(&SNAPSHOT.replace(r#","id":8554"#, "")),
            ParseErrorKind::Json(_)
        ));
        // No action, or an update without `lastId`.
        assert_eq!(
            kind(&SNAPSHOT.replace(r#","action":"snapshot""#, "")),
            ParseErrorKind::Field("action")
        );
        let upd = SNAPSHOT
            .replace(r#""snapshot""#, r#""update""#)
            .replace(r#""lastId":8553,"#, "");
        assert_eq!(kind(&upd), ParseErrorKind::Field("lastId"));
        // Unnormalizable symbol.
        assert!(matches!(
            kind(&SNAPSHOT.replace("DYP_USDT", "DYPUSDT")),
            ParseErrorKind::Symbol(_)
        ));
        // Trades: non-numeric id, bad side, negative quantity.
        let trade = r#"{"channel":"trades","data":[{"symbol":"BTC_USDT","amount":"1","quantity":"0.5","takerSide":"sell","createTime":1,"price":"2","id":"601","ts":2}]}"#;
        assert_eq!(
            kind(&trade.replace(r#""601""#, r#""60a1""#)),
            ParseErrorKind::Field("id")
        );
        assert_eq!(
            kind(&trade.replace(r#""601""#, r#""+601""#)),
            ParseErrorKind::Field("id")
        );
        assert_eq!(
            kind(&trade.replace(r#""601""#, r#""""#)),
            ParseErrorKind::Field("id")
        );
        assert_eq!(
            kind(&trade.replace(r#""601""#, r#""99999999999999999999""#)),
            ParseErrorKind::Field("id")
        );
        assert_eq!(
            kind(&trade.replace("sell", "short")),
            ParseErrorKind::Field("takerSide")
        );
        assert!(matches!(
            kind(&trade.replace(r#""0.5""#, r#""-0.5""#)),
            ParseErrorKind::Number {
                field: "quantity",
                ..
            }
        ));
        assert!(matches!(
            kind(&trade.replace(r#""quantity":"0.5","#, "")),
            ParseErrorKind::Json(_)
        ));
        // Error event without a message.
        assert_eq!(
            kind(r#"{"event":"error"}"#),
            ParseErrorKind::Field("message")
        );
    }

    #[test]
    fn valid_but_unknown_messages() {
        for f in [
            r#"{"hello":1}"#,
            r#"{"event":"welcome"}"#,
            r#"{"subscriptions":["book_lv2"]}"#,
            r#"{"channel":"candles_minute_1","data":[]}"#,
            r#"{"channel":"book_lv2","action":"reset","data":[]}"#,
        ] {
            assert_eq!(kind(f), ParseErrorKind::UnknownMessage, "{f}");
        }
    }
}
