//! Wire structs mirroring Binance's JSON. Field names follow the docs
//! (binance-spot-api-docs `web-socket-streams.md` §"Diff. Depth Stream", "Trade Streams",
//! "Aggregate Trade Streams", "Individual Symbol Book Ticker Streams", "Partial Book Depth
//! Streams"; `rest-api.md` §"Order book").
//!
//! Prices and quantities are borrowed `&str` slices of the frame (Binance never escapes them)
//! and parsed exactly later; nothing here allocates per level.

use serde::Deserialize;

/// A `[price, qty]` pair as sent.
pub type WireLevel<'a> = [&'a str; 2];

/// `depthUpdate` (spot; USD-M adds `T` and `pu`).
#[derive(Debug, Deserialize)]
pub struct DepthUpdate<'a> {
    /// Event time (ms).
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Symbol, upper case.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// First update id in the event.
    #[serde(rename = "U")]
    pub first_id: u64,
    /// Final update id in the event.
    #[serde(rename = "u")]
    pub last_id: u64,
    /// USD-M: final update id of the previous event.
    #[serde(rename = "pu", default)]
    pub prev_id: Option<u64>,
    /// Bids.
    #[serde(rename = "b", borrow)]
    pub bids: Vec<WireLevel<'a>>,
    /// Asks.
    #[serde(rename = "a", borrow)]
    pub asks: Vec<WireLevel<'a>>,
}

/// [`DepthUpdate`] with its levels parsed while the JSON is read (the fast path of
/// `parse`; any error there falls back to [`DepthUpdate`]). Same fields and names.
#[derive(Debug, Deserialize)]
pub(crate) struct DepthUpdateParsed<'a> {
    #[serde(rename = "E")]
    pub event_time: u64,
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    #[serde(rename = "U")]
    pub first_id: u64,
    #[serde(rename = "u")]
    pub last_id: u64,
    #[serde(rename = "pu", default)]
    pub prev_id: Option<u64>,
    #[serde(rename = "b")]
    pub bids: crate::exchange::fields::ParsedLevels,
    #[serde(rename = "a")]
    pub asks: crate::exchange::fields::ParsedLevels,
}

/// REST `GET /api/v3/depth` (and `/fapi/v1/depth`) body, and the partial-depth stream payload.
#[derive(Debug, Deserialize)]
pub struct DepthSnapshot<'a> {
    /// The book's update id.
    #[serde(rename = "lastUpdateId")]
    pub last_update_id: u64,
    /// USD-M: message output time.
    #[serde(rename = "E", default)]
    pub event_time: Option<u64>,
    /// Bids, best first.
    #[serde(borrow)]
    pub bids: Vec<WireLevel<'a>>,
    /// Asks, best first.
    #[serde(borrow)]
    pub asks: Vec<WireLevel<'a>>,
}

/// `bookTicker` (spot has no `e`/`E`; USD-M adds `e`, `E`, `T`).
#[derive(Debug, Deserialize)]
pub struct BookTicker<'a> {
    /// Book update id.
    #[serde(rename = "u")]
    pub update_id: u64,
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// Best bid price.
    #[serde(rename = "b", borrow)]
    pub bid: &'a str,
    /// Best bid qty.
    #[serde(rename = "B", borrow)]
    pub bid_qty: &'a str,
    /// Best ask price.
    #[serde(rename = "a", borrow)]
    pub ask: &'a str,
    /// Best ask qty.
    #[serde(rename = "A", borrow)]
    pub ask_qty: &'a str,
    /// USD-M event time.
    #[serde(rename = "E", default)]
    pub event_time: Option<u64>,
}

/// `trade` and `aggTrade` (the id field differs: `t` vs `a`).
#[derive(Debug, Deserialize)]
pub struct TradeEvent<'a> {
    /// Symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: &'a str,
    /// Trade id (`trade`).
    #[serde(rename = "t", default)]
    pub trade_id: Option<u64>,
    /// Aggregate trade id (`aggTrade`).
    #[serde(rename = "a", default)]
    pub agg_id: Option<u64>,
    /// Price.
    #[serde(rename = "p", borrow)]
    pub price: &'a str,
    /// Quantity.
    #[serde(rename = "q", borrow)]
    pub qty: &'a str,
    /// Trade time (ms).
    #[serde(rename = "T")]
    pub trade_time: u64,
    /// Buyer is the maker (so the taker sold).
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// Anything without the combined-stream envelope: a raw-stream payload or a control reply.
/// Only the fields needed to tell them apart.
#[derive(Debug, Deserialize)]
pub struct Peek<'a> {
    /// Event type, where sent.
    #[serde(borrow, default)]
    pub e: Option<&'a str>,
    /// Book-ticker update id (spot bookTicker has no `e`).
    #[serde(default)]
    pub u: Option<u64>,
    /// Partial depth.
    #[serde(rename = "lastUpdateId", default)]
    pub last_update_id: Option<u64>,
    /// Request id of a control reply.
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    /// `result` of a control reply (`null` for success).
    #[serde(default, borrow)]
    pub result: Option<&'a serde_json::value::RawValue>,
    /// Error code of a control reply.
    #[serde(default)]
    pub code: Option<i64>,
    /// Error message of a control reply.
    #[serde(default)]
    pub msg: Option<String>,
    /// Combined-stream name (when the envelope's keys came in an unusual order).
    #[serde(default, borrow)]
    pub stream: Option<&'a str>,
    /// Combined-stream payload.
    #[serde(default, borrow)]
    pub data: Option<&'a serde_json::value::RawValue>,
}
