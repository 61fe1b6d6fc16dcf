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
