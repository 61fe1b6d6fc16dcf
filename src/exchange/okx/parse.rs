//! OKX frame parsing: one text frame → normalized [`Message`]s. The literal `pong` (the
//! answer to the text `ping`) is a [`Control::Pong`]; JSON frames are events (`subscribe`,
//! `unsubscribe`, `error`, `notice`) or pushes (`arg` + `data`).

use super::wire::{
    Book, BookFrame, Envelope, Level as WireLevel, RestBooks, Ticker as WireTicker,
    Trade as WireTrade,
};
use crate::exchange::fields::{dec, json_err, unix_millis};
use crate::exchange::{Control, Message, ParseError, ParseErrorKind};
use crate::types::{
    BookDelta, BookSnapshot, Checksum, Exchange, Level, MarketEvent, Meta, SeqIds, Symbol,
    TakerSide, Ticker, Timestamp, Trade,
};

/// OKX's error code for a channel or instrument that does not exist.
pub const UNKNOWN_INSTRUMENT: &str = "60018";
/// OKX's notice that the connection will be closed for a service upgrade (60 s ahead).
pub const SERVICE_UPGRADE: &str = "64008";

/// Parses one text frame from the OKX v5 public WebSocket, received at `received_at`.
///
/// A `books` push yields a snapshot or a delta per `data` element; `books5` and `bbo-tbt`
/// (full images of their levels) yield snapshots; `trades` one trade per element;
/// `tickers` one ticker per element. Other channels are [`ParseErrorKind::UnknownMessage`].
pub fn parse(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseError> {
    if frame.trim() == "pong" {
        return Ok(vec![Message::Control(Control::Pong { id: None })]);
    }
    if let Some(messages) = book_one_pass(frame, received_at) {
        return Ok(messages);
    }
    parse_general(frame, received_at)
}

/// Every JSON frame through [`Envelope`]: every shape and typed error.
fn parse_general(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseError> {
    parse_json(frame, received_at).map_err(|kind| ParseError::new(Exchange::Okx, kind, frame))
}

/// A book push read in one pass ([`BookFrame`]); `None` on any error or any other kind of
/// frame, and the general reading then gives the answer and its typed error. Where this
/// succeeds the general reading gives the same messages: the same fields, the same decimal
/// parser, the same channel and action rules and the same [`book_message`] (tested on the
/// capture).
fn book_one_pass(frame: &str, received_at: Timestamp) -> Option<Vec<Message>> {
    let f: BookFrame<'_> = serde_json::from_str(frame).ok()?;
    if f.event.is_some() {
        return None;
    }
    let snapshot = match (&*f.arg.channel, f.action.as_deref()) {
        ("books5" | "bbo-tbt", _) => true,
        ("books" | "books-l2-tbt" | "books50-l2-tbt", Some("snapshot")) => true,
        ("books" | "books-l2-tbt" | "books50-l2-tbt", Some("update")) => false,
        _ => return None,
    };
    let inst = f.arg.inst_id.as_deref();
    let mut out = Vec::with_capacity(f.data.len());
    for b in f.data {
        let wire = b.inst_id.as_deref().or(inst)?;
        let meta = Meta {
            exchange: Exchange::Okx,
            symbol: symbol(wire).ok()?,
            exchange_time: millis(b.ts.as_deref()).ok()?,
            received_at,
        };
        let event = book_message(
            meta,
            (b.seq_id, b.prev_seq_id, b.checksum),
            b.bids.0,
            b.asks.0,
            snapshot,
        )
        .ok()?;
        out.push(Message::Market(event));
    }
    Some(out)
}

/// Parses the REST answer of `GET /api/v5/market/books?instId=..` for `symbol`. An answer
/// with a `code` other than `"0"` is a [`ParseErrorKind::Field`] error naming `code`.
pub fn parse_book_snapshot(
    body: &str,
    symbol: &Symbol,
    received_at: Timestamp,
) -> Result<BookSnapshot, ParseError> {
    let err = |kind| ParseError::new(Exchange::Okx, kind, body);
    let w: RestBooks<'_> = serde_json::from_str(body).map_err(|e| err(json_err(e)))?;
    if w.code != "0" {
        let _ = w.msg;
        return Err(err(ParseErrorKind::Field("code")));
    }
    let book = w
        .data
        .into_iter()
        .next()
        .ok_or(err(ParseErrorKind::Field("data")))?;
    let meta = Meta {
        exchange: Exchange::Okx,
        symbol: symbol.clone(),
        exchange_time: millis(book.ts.as_deref()).map_err(err)?,
        received_at,
    };
    match book_event(meta, book, true).map_err(err)? {
        MarketEvent::Snapshot(s) => Ok(s),
        _ => Err(err(ParseErrorKind::Field("data"))),
    }
}

fn from_json<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T, ParseErrorKind> {
    serde_json::from_str(text).map_err(json_err)
}

fn symbol(wire: &str) -> Result<Symbol, ParseErrorKind> {
    Symbol::from_venue(Exchange::Okx, wire).map_err(ParseErrorKind::Symbol)
}

fn millis(text: Option<&str>) -> Result<Option<Timestamp>, ParseErrorKind> {
    let ms = match text {
        None | Some("") => None,
        Some(t) => Some(t.parse::<u64>().map_err(|_| ParseErrorKind::Field("ts"))?),
    };
    unix_millis(ms)
}

fn levels(field: &'static str, wire: &[WireLevel<'_>]) -> Result<Vec<Level>, ParseErrorKind> {
    wire.iter()
        .map(|WireLevel(p, q)| Ok(Level::new(dec(field, p)?, dec(field, q)?)))
        .collect()
}

fn parse_json(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseErrorKind> {
    let env: Envelope<'_> = from_json(frame)?;
    if let Some(event) = env.event.as_deref() {
        return parse_event(event, &env);
    }
    let (Some(arg), Some(data)) = (&env.arg, env.data) else {
        return Err(ParseErrorKind::UnknownMessage);
    };
    let inst = arg.inst_id.as_deref();
    match &*arg.channel {
        "books" | "books5" | "bbo-tbt" | "books-l2-tbt" | "books50-l2-tbt" => {
            let snapshot = match (&*arg.channel, env.action.as_deref()) {
                ("books5" | "bbo-tbt", _) => true,
                (_, Some("snapshot")) => true,
                (_, Some("update")) => false,
                _ => return Err(ParseErrorKind::Field("action")),
            };
            let items: Vec<Book<'_>> = from_json(data.get())?;
            items
                .into_iter()
                .map(|b| {
                    let wire = b
                        .inst_id
                        .as_deref()
                        .or(inst)
                        .ok_or(ParseErrorKind::Field("instId"))?;
                    let meta = Meta {
                        exchange: Exchange::Okx,
                        symbol: symbol(wire)?,
                        exchange_time: millis(b.ts.as_deref())?,
                        received_at,
                    };
                    Ok(Message::Market(book_event(meta, b, snapshot)?))
                })
                .collect()
        }
        "trades" => {
            let items: Vec<WireTrade<'_>> = from_json(data.get())?;
            items.into_iter().map(|t| trade(t, received_at)).collect()
        }
        "tickers" => {
            let items: Vec<WireTicker<'_>> = from_json(data.get())?;
            items.into_iter().map(|t| ticker(t, received_at)).collect()
        }
        _ => Err(ParseErrorKind::UnknownMessage),
    }
}

/// The `seqId`/`prevSeqId` pair; `prevSeqId = -1` (a snapshot) is none.
fn seq_ids(seq_id: Option<i64>, prev_seq_id: Option<i64>) -> Result<SeqIds, ParseErrorKind> {
    let last_id = seq_id
        .map(|s| u64::try_from(s).map_err(|_| ParseErrorKind::Field("seqId")))
        .transpose()?;
    let prev_id = match prev_seq_id {
        None | Some(-1) => None,
        Some(p) => Some(u64::try_from(p).map_err(|_| ParseErrorKind::Field("prevSeqId"))?),
    };
    Ok(SeqIds {
        first_id: None,
        last_id,
        prev_id,
    })
}

/// The signed CRC32 as its bits; `0` means "no checksum" (deprecated, always 0 since
/// 2026-06-23).
fn checksum(value: Option<i64>) -> Result<Option<Checksum>, ParseErrorKind> {
    match value {
        None | Some(0) => Ok(None),
        Some(v) => i32::try_from(v)
            .map(|v| Some(Checksum(v as u32)))
            .map_err(|_| ParseErrorKind::Field("checksum")),
    }
}

fn book_event(meta: Meta, b: Book<'_>, snapshot: bool) -> Result<MarketEvent, ParseErrorKind> {
    let ids = (b.seq_id, b.prev_seq_id, b.checksum);
    let bids = levels("bids", &b.bids)?;
    let asks = levels("asks", &b.asks)?;
    book_message(meta, ids, bids, asks, snapshot)
}

/// The event of one book element, from its `(seqId, prevSeqId, checksum)` and levels.
fn book_message(
    meta: Meta,
    (seq_id, prev_seq_id, sum): (Option<i64>, Option<i64>, Option<i64>),
    bids: Vec<Level>,
    asks: Vec<Level>,
    snapshot: bool,
) -> Result<MarketEvent, ParseErrorKind> {
    let seq = seq_ids(seq_id, prev_seq_id)?;
    let checksum = checksum(sum)?;
    Ok(if snapshot {
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
    })
}

fn trade(t: WireTrade<'_>, received_at: Timestamp) -> Result<Message, ParseErrorKind> {
    let taker_side = match &*t.side {
        "buy" => TakerSide::Buy,
        "sell" => TakerSide::Sell,
        _ => return Err(ParseErrorKind::Field("side")),
    };
    Ok(Message::Market(MarketEvent::Trade(Trade {
        meta: Meta {
            exchange: Exchange::Okx,
            symbol: symbol(&t.inst_id)?,
            exchange_time: millis(Some(&t.ts))?,
            received_at,
        },
        id: t.trade_id.parse().ok(),
        price: dec("px", &t.px)?,
        qty: dec("sz", &t.sz)?,
        taker_side,
    })))
}

fn ticker(t: WireTicker<'_>, received_at: Timestamp) -> Result<Message, ParseErrorKind> {
    let opt = |field: &'static str, v: &Option<std::borrow::Cow<'_, str>>| match v.as_deref() {
        None | Some("") => Ok(None),
        Some(text) => dec(field, text).map(Some),
    };
    let side =
        |pf, p: &Option<std::borrow::Cow<'_, str>>, qf, q: &Option<std::borrow::Cow<'_, str>>| {
            Ok::<_, ParseErrorKind>(match (opt(pf, p)?, opt(qf, q)?) {
                (Some(price), Some(qty)) => Some(Level::new(price, qty)),
                _ => None,
            })
        };
    Ok(Message::Market(MarketEvent::Ticker(Ticker {
        meta: Meta {
            exchange: Exchange::Okx,
            symbol: symbol(&t.inst_id)?,
            exchange_time: millis(t.ts.as_deref())?,
            received_at,
        },
        bid: side("bidPx", &t.bid_px, "bidSz", &t.bid_sz)?,
        ask: side("askPx", &t.ask_px, "askSz", &t.ask_sz)?,
        last: opt("last", &t.last)?,
        update_id: None,
    })))
}

/// The instrument an OKX error message names (`... channel:books,instId:FOO-BAR doesn't
/// exist ...`), where it names one.
fn named_instrument(msg: &str) -> Option<&str> {
    let rest = &msg[msg.find("instId:")? + "instId:".len()..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '}')
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|s| !s.is_empty())
}

fn parse_event(event: &str, env: &Envelope<'_>) -> Result<Vec<Message>, ParseErrorKind> {
    let channel = || {
        env.arg
            .as_ref()
            .map(|a| a.channel.to_string())
            .unwrap_or_default()
    };
    let arg_symbol = || {
        env.arg
            .as_ref()
            .and_then(|a| a.inst_id.as_deref())
            .map(symbol)
            .transpose()
    };
    let id = env.id.as_deref().and_then(|i| i.parse::<i64>().ok());
    let code = env.code.as_deref();
    let msg = env.msg.as_deref().unwrap_or_default();
    let control = |c| Ok(vec![Message::Control(c)]);
    match event {
        "subscribe" => control(Control::Subscribed {
            channel: channel(),
            symbol: arg_symbol()?,
        }),
        "unsubscribe" => control(Control::Unsubscribed {
            channel: channel(),
            symbol: arg_symbol()?,
        }),
        "error" => {
            if code == Some(UNKNOWN_INSTRUMENT) {
                let named = named_instrument(msg).and_then(|w| symbol(w).ok());
                if let Some(symbol) = named.or(arg_symbol().ok().flatten()) {
                    return control(Control::Rejected {
                        symbol,
                        message: msg.to_string(),
                    });
                }
            }
            control(Control::Error {
                code: code.and_then(|c| c.parse().ok()),
                message: msg.to_string(),
                id,
            })
        }
        "notice" if code == Some(SERVICE_UPGRADE) => Ok(vec![
            Message::Control(Control::SystemStatus {
                online: false,
                status: msg.to_string(),
            }),
            Message::Control(Control::ServerShutdown),
        ]),
        "notice" => control(Control::SystemStatus {
            online: true,
            status: msg.to_string(),
        }),
        "channel-conn-count" | "login" => control(Control::Ack { id }),
        _ => Err(ParseErrorKind::UnknownMessage),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    const T: Timestamp = Timestamp::from_unix_millis(7);

    /// The one-pass book reading equals the general one on every frame of the capture and
    /// on cut or byte-changed copies of each (where it must give way, never answer
    /// differently); it is taken on every intact book push.
    #[test]
    fn book_one_pass_equals_the_general_reading_on_the_capture() {
        let capture = include_str!("../../../tests/fixtures/okx/OKX.ws.1.0");
        let (mut books, mut taken) = (0, 0);
        for line in capture.lines() {
            let Some((_, frame)) = line.split_once(": ") else {
                continue;
            };
            if frame.contains("\"channel\":\"books\"") && frame.contains("\"data\"") {
                books += 1;
            }
            if let Some(fast) = book_one_pass(frame, T) {
                taken += 1;
                assert_eq!(Ok(fast), parse_general(frame, T), "{frame}");
            }
            let b = frame.as_bytes();
            for cut in [b.len() / 5, b.len() / 2, b.len() * 4 / 5, b.len() - 2] {
                for with in [b'x', b'"', b'-', b'[', b'9', b'.', b'e', b'{', b']'] {
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
        assert!(books > 250, "{books}");
        assert_eq!(taken, books);
    }

    fn one(frame: &str) -> Message {
        let mut v = parse(frame, T).unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        v.pop().unwrap()
    }

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn pong_acks_and_errors() {
        assert_eq!(one("pong"), Message::Control(Control::Pong { id: None }));
        assert_eq!(
            one(
                r#"{"id":"1512","event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"connId":"a4d3ae55"}"#
            ),
            Message::Control(Control::Subscribed {
                channel: "books".into(),
                symbol: Some(sym("BTC-USDT-SWAP"))
            })
        );
        assert_eq!(
            one(r#"{"event":"error","msg":"Wrong URL or channel:books,instId:FOO-USDT doesn't exist. Please use the correct URL, channel and parameters referring to API document.","code":"60018","connId":"2b5dc6ac"}"#),
            Message::Control(Control::Rejected {
                symbol: sym("FOO-USDT"),
                message: "Wrong URL or channel:books,instId:FOO-USDT doesn't exist. Please use the correct URL, channel and parameters referring to API document.".into()
            })
        );
        assert_eq!(
            one(
                r#"{"id":"1512","event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a4d3ae55"}"#
            ),
            Message::Control(Control::Error {
                code: Some(60012),
                message: "Invalid request: {\"op\": \"subscribe\"}".into(),
                id: Some(1512)
            })
        );
        // An options instId cannot be a symbol: the 60018 stays a typed error.
        assert!(matches!(
            one(
                r#"{"event":"error","msg":"channel:books,instId:BTC-USD-260925-60000-C doesn't exist","code":"60018"}"#
            ),
            Message::Control(Control::Error {
                code: Some(60018),
                ..
            })
        ));
    }

    #[test]
    fn maintenance_notice_is_a_status_then_a_shutdown() {
        let v = parse(r#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}"#, T).unwrap();
        assert!(matches!(
            &v[0],
            Message::Control(Control::SystemStatus { online: false, .. })
        ));
        assert_eq!(v[1], Message::Control(Control::ServerShutdown));
    }

    #[test]
    fn books_with_ids_checksum_zero_and_negative_prev() {
        let snap = one(
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":-855196043,"prevSeqId":-1,"seqId":123456}]}"#,
        );
        let Message::Market(MarketEvent::Snapshot(s)) = snap else {
            panic!("{snap:?}")
        };
        assert_eq!(
            s.seq,
            SeqIds {
                first_id: None,
                last_id: Some(123_456),
                prev_id: None
            }
        );
        assert_eq!(s.checksum, Some(Checksum(-855_196_043i32 as u32)));
        assert_eq!(
            s.asks,
            vec![Level::new(
                Decimal::from_str("8476.98").unwrap(),
                Decimal::from(415)
            )]
        );
        let upd = one(
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1597026383085","checksum":0,"prevSeqId":123456,"seqId":123456}]}"#,
        );
        let Message::Market(MarketEvent::Delta(d)) = upd else {
            panic!("{upd:?}")
        };
        assert_eq!(d.checksum, None, "0 is absent");
        assert_eq!(d.seq.prev_id, Some(123_456));
    }

    #[test]
    fn books5_and_bbo_are_snapshots_and_bad_input_is_typed() {
        let m = one(
            r#"{"arg":{"channel":"bbo-tbt","instId":"BTC-USD-220527"},"data":[{"asks":[["30220.1","3","0","1"]],"bids":[["30210.4","2","0","1"]],"ts":"1652459225506","seqId":5}]}"#,
        );
        assert!(
            matches!(m, Message::Market(MarketEvent::Snapshot(ref s)) if s.meta.symbol == sym("BTC-USD-220527"))
        );
        let e = parse(
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"data":[]}"#,
            T,
        )
        .unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Field("action"));
        let e = parse(r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["x","1"]],"bids":[]}]}"#, T).unwrap_err();
        assert!(matches!(
            e.kind,
            ParseErrorKind::Number { field: "asks", .. }
        ));
        let e = parse(r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"checksum":4294967295}]}"#, T).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Field("checksum"));
        assert_eq!(
            parse(
                r#"{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[]}"#,
                T
            )
            .unwrap_err()
            .kind,
            ParseErrorKind::UnknownMessage
        );
        assert!(matches!(
            parse("ping", T).unwrap_err().kind,
            ParseErrorKind::Json(_)
        ));
    }

    #[test]
    fn rest_snapshot_body() {
        let body = r#"{"code":"0","msg":"","data":[{"asks":[["41006.8","0.60038921","0","1"]],"bids":[["41006.3","0.30178218","0","2"]],"ts":"1629966436396","seqId":3}]}"#;
        let s = parse_book_snapshot(body, &sym("BTC-USDT"), T).unwrap();
        assert_eq!(s.seq.last_id, Some(3));
        assert_eq!(s.bids.len(), 1);
        assert_eq!(
            s.meta.exchange_time,
            Some(Timestamp::from_unix_millis(1_629_966_436_396))
        );
        let e = parse_book_snapshot(
            r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#,
            &sym("FOO-USDT"),
            T,
        )
        .unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Field("code"));
    }
}
