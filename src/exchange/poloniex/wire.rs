//! Wire structs mirroring Poloniex's spot WebSocket v3 JSON
//! (`shared/docs/exchange-protocols.md` §4.1 control messages, §4.2 `book_lv2`, §4.4 `trades`;
//! api-docs.poloniex.com, spot websocket, public channels, `ticker`).
//!
//! Every frame is one JSON object. Key order is not relied on: recorded frames put `action`
//! after `data`, so the envelope keeps `data` raw and the payload is read once the channel and
//! action are known. Prices and sizes are borrowed `&str` slices of the frame (Poloniex never
//! escapes them); nothing here allocates per level beyond the `Vec`.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A `[price, qty]` pair as sent.
pub type WireLevel<'a> = [&'a str; 2];

/// The outer object of every frame: a control event (`event`) or channel data
/// (`channel` + `data`, and `action` for `book_lv2`). Only what is needed to dispatch.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// Control event: `subscribe`, `unsubscribe`, `unsubscribe_all`, `error`, `pong`.
    #[serde(borrow, default)]
    pub event: Option<&'a str>,
    /// Channel: a string on data frames and acks, a list in requests.
    #[serde(borrow, default)]
    pub channel: Option<OneOrMany<'a>>,
    /// `book_lv2`: `snapshot` or `update`.
    #[serde(borrow, default)]
    pub action: Option<&'a str>,
    /// Channel payload: a list of entries.
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
    /// Symbols named by a subscribe / unsubscribe acknowledgement (`BTC_USDT`, or `all`).
    #[serde(borrow, default)]
    pub symbols: Option<Vec<&'a str>>,
    /// Error text of `{"event":"error","message":..}` (may contain escaped quotes).
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
}

/// A JSON string or a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<'a> {
    /// A single string.
    #[serde(borrow)]
    One(&'a str),
    /// A list of strings.
    #[serde(borrow)]
    Many(Vec<&'a str>),
}

/// One element of a `book_lv2` `snapshot` or `update` (§4.2); both actions share the shape.
#[derive(Debug, Deserialize)]
pub struct BookEntry<'a> {
    /// `BASE_QUOTE`.
    #[serde(borrow)]
    pub symbol: &'a str,
    /// Matching-engine time (ms).
    #[serde(rename = "createTime", default)]
    pub create_time: Option<u64>,
    /// Changed (update) or top-20 (snapshot) asks; qty `"0"` deletes.
    #[serde(borrow)]
    pub asks: Vec<WireLevel<'a>>,
    /// Changed (update) or top-20 (snapshot) bids; qty `"0"` deletes.
    #[serde(borrow)]
    pub bids: Vec<WireLevel<'a>>,
    /// Version id of the previous message for this symbol.
    #[serde(rename = "lastId", default)]
    pub last_id: Option<u64>,
    /// Version id of this message.
    pub id: u64,
    /// Push time (ms).
    #[serde(default)]
    pub ts: Option<u64>,
}

/// A `book_lv2` frame read in one pass (the fast path of `parse`): the [`Envelope`] fields
/// with the same types where the general path reads them (`symbols`, `message`), the channel
/// a plain string and `data` read straight into entries whose levels are parsed during the
/// JSON pass. Any error (another channel, another shape) falls back to [`Envelope`].
#[derive(Debug, Deserialize)]
pub(crate) struct BookFrame<'a> {
    #[serde(borrow, default)]
    pub event: Option<&'a str>,
    #[serde(borrow)]
    pub channel: &'a str,
    #[serde(borrow, default)]
    pub action: Option<&'a str>,
    #[serde(borrow)]
    pub data: Vec<BookEntryParsed<'a>>,
    #[serde(borrow, default)]
    #[allow(dead_code)]
    pub symbols: Option<Vec<&'a str>>,
    #[serde(borrow, default)]
    #[allow(dead_code)]
    pub message: Option<Cow<'a, str>>,
}

/// [`BookEntry`] with its levels parsed while the JSON is read. Same fields and names.
#[derive(Debug, Deserialize)]
pub(crate) struct BookEntryParsed<'a> {
    #[serde(borrow)]
    pub symbol: &'a str,
    #[serde(rename = "createTime", default)]
    pub create_time: Option<u64>,
    pub asks: crate::exchange::fields::ParsedLevels,
    pub bids: crate::exchange::fields::ParsedLevels,
    #[serde(rename = "lastId", default)]
    pub last_id: Option<u64>,
    pub id: u64,
    #[serde(default)]
    pub ts: Option<u64>,
}

/// One element of a `trades` message (§4.4). `amount` (the quote notional) is deliberately
/// not read: the base size is `quantity`.
#[derive(Debug, Deserialize)]
pub struct TradeEntry<'a> {
    /// `BASE_QUOTE`.
    #[serde(borrow)]
    pub symbol: &'a str,
    /// Price.
    #[serde(borrow)]
    pub price: &'a str,
    /// Base-asset size.
    #[serde(borrow)]
    pub quantity: &'a str,
    /// `buy` or `sell`.
    #[serde(rename = "takerSide", borrow)]
    pub taker_side: &'a str,
    /// Trade id, a decimal string.
    #[serde(borrow)]
    pub id: &'a str,
    /// Trade time (ms).
    #[serde(rename = "createTime")]
    pub create_time: u64,
}

/// One element of a `ticker` message (24 h rolling window). Only the fields the normalized
/// ticker uses; best bid/ask are read where the payload carries them.
#[derive(Debug, Deserialize)]
pub struct TickerEntry<'a> {
    /// `BASE_QUOTE`.
    #[serde(borrow)]
    pub symbol: &'a str,
    /// Last trade price of the window.
    #[serde(borrow, default)]
    pub close: Option<&'a str>,
    /// Best bid price, where sent.
    #[serde(borrow, default)]
    pub bid: Option<&'a str>,
    /// Best bid size, where sent.
    #[serde(rename = "bidQuantity", borrow, default)]
    pub bid_quantity: Option<&'a str>,
    /// Best ask price, where sent.
    #[serde(borrow, default)]
    pub ask: Option<&'a str>,
    /// Best ask size, where sent.
    #[serde(rename = "askQuantity", borrow, default)]
    pub ask_quantity: Option<&'a str>,
    /// Push time (ms).
    #[serde(default)]
    pub ts: Option<u64>,
}
