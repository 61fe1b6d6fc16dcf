//! Serde structs mirroring OKX v5 JSON (okx.com `docs-v5`, WebSocket public channels and
//! REST market data). Strings borrow from the frame where they can.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Every OKX text frame that is JSON: an event (`subscribe`, `unsubscribe`, `error`,
/// `notice`, ...) or a push (`arg` + `data`, with `action` on `books`).
///
/// Docs: "WebSocket / Subscribe", "Notification of connection closure" (`64008`).
#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    #[serde(borrow, default)]
    pub event: Option<Cow<'a, str>>,
    /// Error and notice code, a string (`"60018"`).
    #[serde(borrow, default)]
    pub code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub msg: Option<Cow<'a, str>>,
    /// The request id echoed (a string).
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arg: Option<Arg<'a>>,
    /// `snapshot` or `update` (`books` only).
    #[serde(borrow, default)]
    pub action: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
}

/// A channel argument: `{"channel":"books","instId":"BTC-USDT"}`.
#[derive(Deserialize)]
pub(super) struct Arg<'a> {
    #[serde(borrow)]
    pub channel: Cow<'a, str>,
    #[serde(borrow, default, rename = "instId")]
    pub inst_id: Option<Cow<'a, str>>,
}

/// A book level: `[price, size, "0" (deprecated liquidated orders), order count]`; what
/// follows the size is skipped, however many elements there are.
pub(super) struct Level<'a>(pub Cow<'a, str>, pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Level<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Level<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a level [price, size, ...]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Level<'a>, A::Error> {
                let price: Borrowed<'a> = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(0, &self))?;
                let size: Borrowed<'a> = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(1, &self))?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Level(price.0, size.0))
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

/// A string that borrows from the frame when it has no escapes.
#[derive(Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

/// One element of a book push (`books`, `books5`, `bbo-tbt`) or of the REST
/// `GET /api/v5/market/books` answer's `data`.
///
/// Docs: "Order book channel" (`asks`, `bids`, `ts`, `checksum`, `prevSeqId`, `seqId`).
#[derive(Deserialize)]
pub(super) struct Book<'a> {
    #[serde(borrow)]
    pub asks: Vec<Level<'a>>,
    #[serde(borrow)]
    pub bids: Vec<Level<'a>>,
    /// Unix milliseconds, as a string.
    #[serde(borrow, default)]
    pub ts: Option<Cow<'a, str>>,
    /// Signed CRC32; `0` (since 2026-06-23) or missing means none.
    #[serde(default)]
    pub checksum: Option<i64>,
    /// `-1` on a snapshot; missing on data recorded before 2023.
    #[serde(default, rename = "prevSeqId")]
    pub prev_seq_id: Option<i64>,
    #[serde(default, rename = "seqId")]
    pub seq_id: Option<i64>,
    /// `books5` and `bbo-tbt` name the instrument in each element.
    #[serde(borrow, default, rename = "instId")]
    pub inst_id: Option<Cow<'a, str>>,
}

/// A book push read in one pass (the fast path of `parse`): the [`Envelope`] fields with
/// the same types, `arg` required, and `data` read straight into [`BookParsed`] elements
/// whose levels are parsed while the JSON is read (the general path keeps `data` raw and
/// reads it again). Any error falls back to the [`Envelope`] reading.
#[derive(Deserialize)]
pub(super) struct BookFrame<'a> {
    #[serde(borrow, default)]
    pub event: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(dead_code)]
    pub code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(dead_code)]
    pub msg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    #[allow(dead_code)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub arg: Arg<'a>,
    #[serde(borrow, default)]
    pub action: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub data: Vec<BookParsed<'a>>,
}

/// [`Book`] with its levels parsed during the JSON pass ([`ParsedLevels`]); the same
/// fields, names and types otherwise.
#[derive(Deserialize)]
pub(super) struct BookParsed<'a> {
    pub asks: ParsedLevels,
    pub bids: ParsedLevels,
    #[serde(borrow, default)]
    pub ts: Option<Cow<'a, str>>,
    #[serde(default)]
    pub checksum: Option<i64>,
    #[serde(default, rename = "prevSeqId")]
    pub prev_seq_id: Option<i64>,
    #[serde(default, rename = "seqId")]
    pub seq_id: Option<i64>,
    #[serde(borrow, default, rename = "instId")]
    pub inst_id: Option<Cow<'a, str>>,
}

/// `[[price, size, ...], ...]` levels parsed while the JSON is read: each level's first two
/// elements unescaped strings that `parse_decimal` accepts (what [`Level`] and the general
/// path's `dec` read; the elements after the size are skipped as there). Stricter than
/// [`Level`] and failing as a plain serde error: the caller falls back to the general
/// reading, which then gives the answer and its typed error.
pub(super) struct ParsedLevels(pub Vec<crate::types::Level>);

impl<'de> Deserialize<'de> for ParsedLevels {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, SeqAccess, Visitor};
        struct One(crate::types::Level);
        impl<'de> Deserialize<'de> for One {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = One;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a level [price, size, ...]")
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<One, A::Error> {
                        let mut next = || -> Result<rust_decimal::Decimal, A::Error> {
                            let text: &'de str = seq
                                .next_element()?
                                .ok_or_else(|| A::Error::custom("short level"))?;
                            crate::types::num::parse_decimal(text).map_err(A::Error::custom)
                        };
                        let (price, qty) = (next()?, next()?);
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(One(crate::types::Level::new(price, qty)))
                    }
                }
                d.deserialize_seq(V)
            }
        }
        struct Levels;
        impl<'de> Visitor<'de> for Levels {
            type Value = ParsedLevels;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of levels")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ParsedLevels, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).clamp(16, 4096));
                while let Some(One(level)) = seq.next_element()? {
                    out.push(level);
                }
                Ok(ParsedLevels(out))
            }
        }
        d.deserialize_seq(Levels)
    }
}

/// One public trade (`trades` channel).
#[derive(Deserialize)]
pub(super) struct Trade<'a> {
    #[serde(borrow, rename = "instId")]
    pub inst_id: Cow<'a, str>,
    #[serde(borrow, rename = "tradeId")]
    pub trade_id: Cow<'a, str>,
    #[serde(borrow)]
    pub px: Cow<'a, str>,
    #[serde(borrow)]
    pub sz: Cow<'a, str>,
    /// The taker's side, `buy` or `sell`.
    #[serde(borrow)]
    pub side: Cow<'a, str>,
    #[serde(borrow)]
    pub ts: Cow<'a, str>,
}

/// One ticker (`tickers` channel); empty strings where OKX has no value.
#[derive(Deserialize)]
pub(super) struct Ticker<'a> {
    #[serde(borrow, rename = "instId")]
    pub inst_id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub last: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "askPx")]
    pub ask_px: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "askSz")]
    pub ask_sz: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "bidPx")]
    pub bid_px: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "bidSz")]
    pub bid_sz: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub ts: Option<Cow<'a, str>>,
}

/// The REST answer `{"code":"0","msg":"","data":[{..book..}]}` (docs: "Get order book",
/// `GET /api/v5/market/books`).
#[derive(Deserialize)]
pub(super) struct RestBooks<'a> {
    #[serde(borrow)]
    pub code: Cow<'a, str>,
    #[serde(borrow, default)]
    pub msg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub data: Vec<Book<'a>>,
}
