//! Wire structs mirroring Kraken's JSON (`shared/docs/exchange-protocols.md` §3).
//!
//! * v2 (§3.2–§3.7, docs.kraken.com `spot-websocket-v2/*`): objects with `channel`/`type`/`data`
//!   or `method`. Prices and quantities are JSON **numbers**; they are kept as borrowed
//!   [`RawValue`] tokens and parsed exactly from their text, never through `f64`.
//! * v1 (§3.8, docs.kraken.com `websockets`): data messages are positional arrays
//!   `[channelID, payload…, channelName, pair]`; control messages are objects with `event`.
//!   Prices and volumes are strings with fixed decimals, borrowed from the frame.
//!
//! Texts that may legitimately contain JSON escapes (error messages, symbols) are `Cow`s
//! that borrow whenever the frame allows it.

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Any JSON object frame, v1 or v2: only the fields needed to tell the kinds apart and to
/// read the control messages (§3.2 heartbeat/ping/status, §3.3 subscribe acks, §3.8 v1
/// `event` messages). The `data`/`result` payloads are parsed later by kind.
#[derive(Debug, Default, Deserialize)]
pub struct Envelope<'a> {
    /// v2 channel (`book`, `trade`, `ticker`, `instrument`, `heartbeat`, `status`).
    #[serde(borrow, default)]
    pub channel: Option<&'a str>,
    /// v2 message type (`snapshot` / `update`).
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<&'a str>,
    /// v2 channel payload.
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
    /// v2 method reply (`subscribe`, `unsubscribe`, `pong`).
    #[serde(borrow, default)]
    pub method: Option<&'a str>,
    /// v2 method result.
    #[serde(borrow, default)]
    pub result: Option<&'a RawValue>,
    /// v2 method success flag.
    #[serde(default)]
    pub success: Option<bool>,
    /// v2 error text (`success: false`).
    #[serde(borrow, default)]
    pub error: Option<Cow<'a, str>>,
    /// v2 symbol a failed request refers to (raw: requests carry a list here).
    #[serde(borrow, default)]
    pub symbol: Option<&'a RawValue>,
    /// v2 request id.
    #[serde(default)]
    pub req_id: Option<i64>,
    /// v1 event (`heartbeat`, `systemStatus`, `subscriptionStatus`, `pong`, `error`).
    #[serde(borrow, default)]
    pub event: Option<&'a str>,
    /// v1 status (`online`, `subscribed`, `unsubscribed`, `error`, ...).
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    /// v1 pair of a `subscriptionStatus` (raw: `subscribe` requests carry a list here).
    #[serde(borrow, default)]
    pub pair: Option<&'a RawValue>,
    /// v1 channel name of a `subscriptionStatus` (`book-1000`, `trade`).
    #[serde(rename = "channelName", borrow, default)]
    pub channel_name: Option<Cow<'a, str>>,
    /// v1 subscription description of a `subscriptionStatus`.
    #[serde(borrow, default)]
    pub subscription: Option<V1Subscription<'a>>,
    /// v1 error text.
    #[serde(rename = "errorMessage", borrow, default)]
    pub error_message: Option<Cow<'a, str>>,
    /// v1 request id.
    #[serde(default)]
    pub reqid: Option<i64>,
}

/// v1 `subscription` object inside `subscriptionStatus` (§3.8).
#[derive(Debug, Default, Deserialize)]
pub struct V1Subscription<'a> {
    /// Channel name without depth (`book`, `trade`, `ticker`).
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
}

/// A v2 `{price, qty}` level (§3.4), numbers kept as raw tokens.
#[derive(Debug, Deserialize)]
pub struct V2Level<'a> {
    /// Price token.
    #[serde(borrow)]
    pub price: &'a RawValue,
    /// Quantity token (`0` deletes).
    #[serde(borrow)]
    pub qty: &'a RawValue,
}

/// One element of v2 `book` `data` (§3.4).
#[derive(Debug, Deserialize)]
pub struct V2Book<'a> {
    /// Pair, `BTC/USD`.
    #[serde(borrow)]
    pub symbol: Cow<'a, str>,
    /// Bid levels.
    #[serde(borrow, default)]
    pub bids: Vec<V2Level<'a>>,
    /// Ask levels.
    #[serde(borrow, default)]
    pub asks: Vec<V2Level<'a>>,
    /// CRC32 of the top 10 levels after applying this message (§3.5).
    pub checksum: u32,
    /// RFC 3339 time.
    #[serde(borrow, default)]
    pub timestamp: Option<&'a str>,
}

/// One element of v2 `trade` `data` (§3.6).
#[derive(Debug, Deserialize)]
pub struct V2Trade<'a> {
    /// Pair.
    #[serde(borrow)]
    pub symbol: Cow<'a, str>,
    /// Taker side, `buy` or `sell`.
    #[serde(borrow)]
    pub side: &'a str,
    /// Price token.
    #[serde(borrow)]
    pub price: &'a RawValue,
    /// Quantity token.
    #[serde(borrow)]
    pub qty: &'a RawValue,
    /// Sequential trade id per pair.
    pub trade_id: u64,
    /// RFC 3339 time.
    #[serde(borrow)]
    pub timestamp: &'a str,
}

/// One element of v2 `ticker` `data` (§3.6). Volume/vwap/high/low/change are not used.
#[derive(Debug, Deserialize)]
pub struct V2Ticker<'a> {
    /// Pair.
    #[serde(borrow)]
    pub symbol: Cow<'a, str>,
    /// Best bid price token.
    #[serde(borrow)]
    pub bid: &'a RawValue,
    /// Best bid quantity token.
    #[serde(borrow)]
    pub bid_qty: &'a RawValue,
    /// Best ask price token.
    #[serde(borrow)]
    pub ask: &'a RawValue,
    /// Best ask quantity token.
    #[serde(borrow)]
    pub ask_qty: &'a RawValue,
    /// Last trade price token.
    #[serde(borrow)]
    pub last: &'a RawValue,
    /// RFC 3339 time (recent versions only).
    #[serde(borrow, default)]
    pub timestamp: Option<&'a str>,
}

/// v2 `instrument` `data` (§3.7): assets are ignored.
#[derive(Debug, Deserialize)]
pub struct V2Instruments<'a> {
    /// Tradable pairs.
    #[serde(borrow, default)]
    pub pairs: Vec<V2Pair<'a>>,
}

/// One pair of the v2 `instrument` channel (§3.7).
#[derive(Debug, Deserialize)]
pub struct V2Pair<'a> {
    /// Pair.
    #[serde(borrow)]
    pub symbol: Cow<'a, str>,
    /// Decimals of prices (checksum input precision).
    pub price_precision: u32,
    /// Decimals of quantities (checksum input precision).
    pub qty_precision: u32,
}

/// One element of v2 `status` `data` (§3.2).
#[derive(Debug, Deserialize)]
pub struct V2Status<'a> {
    /// Engine state: `online`, `maintenance`, `cancel_only`, `post_only`.
    #[serde(borrow)]
    pub system: Cow<'a, str>,
}

/// The `result` of a v2 subscribe/unsubscribe acknowledgement (§3.3).
#[derive(Debug, Deserialize)]
pub struct V2SubscribeResult<'a> {
    /// Channel.
    #[serde(borrow)]
    pub channel: Cow<'a, str>,
    /// Pair (absent for `instrument`).
    #[serde(borrow, default)]
    pub symbol: Option<Cow<'a, str>>,
}

/// A v1 book level `[price, volume, timestamp]` with an optional 4th element `"r"`
/// (republish), all strings (§3.8).
#[derive(Debug, PartialEq, Eq)]
pub struct V1Level<'a> {
    /// Price with the pair's fixed decimals.
    pub price: &'a str,
    /// Volume with the pair's fixed decimals (`0.00000000` deletes).
    pub volume: &'a str,
    /// Epoch seconds with microseconds.
    pub time: &'a str,
}

impl<'de: 'a, 'a> Deserialize<'de> for V1Level<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LevelVisitor;

        impl<'de> Visitor<'de> for LevelVisitor {
            type Value = V1Level<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kraken v1 level [price, volume, timestamp(, \"r\")]")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let price = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let volume = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                let time = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(2, &self))?;
                // The republish flag carries no data for an absolute-quantity book.
                if let Some(flag) = seq.next_element::<&str>()? {
                    if flag != "r" {
                        return Err(de::Error::invalid_value(
                            de::Unexpected::Str(flag),
                            &"\"r\"",
                        ));
                    }
                }
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(5, &self));
                }
                Ok(V1Level {
                    price,
                    volume,
                    time,
                })
            }
        }

        deserializer.deserialize_seq(LevelVisitor)
    }
}

/// One payload dict of a v1 book message (§3.8): `as`/`bs` in a snapshot, `a`/`b`/`c` in an
/// update (an update touching both sides comes as two dicts, `c` in the last).
#[derive(Debug, Default, Deserialize)]
pub struct V1BookPayload<'a> {
    /// Snapshot asks.
    #[serde(rename = "as", borrow, default)]
    pub snapshot_asks: Option<Vec<V1Level<'a>>>,
    /// Snapshot bids.
    #[serde(rename = "bs", borrow, default)]
    pub snapshot_bids: Option<Vec<V1Level<'a>>>,
    /// Updated asks.
    #[serde(rename = "a", borrow, default)]
    pub asks: Option<Vec<V1Level<'a>>>,
    /// Updated bids.
    #[serde(rename = "b", borrow, default)]
    pub bids: Option<Vec<V1Level<'a>>>,
    /// CRC32 checksum as a decimal string.
    #[serde(rename = "c", borrow, default)]
    pub checksum: Option<&'a str>,
}

/// A v1 trade `[price, volume, time, side, orderType, misc]` (§3.8), side `b`/`s`; the order
/// type and misc fields are not used.
pub type V1Trade<'a> = (&'a str, &'a str, &'a str, &'a str, IgnoredAny, IgnoredAny);

/// A v1 ticker best ask/bid `[price, wholeLotVolume, lotVolume]` (docs.kraken.com
/// `websockets` §ticker). `wholeLotVolume` is sent as an integer or a string; it is unused.
pub type V1BestPrice<'a> = (&'a str, IgnoredAny, &'a str);

/// The v1 ticker payload (only the fields used).
#[derive(Debug, Deserialize)]
pub struct V1Ticker<'a> {
    /// Best ask.
    #[serde(rename = "a", borrow)]
    pub ask: V1BestPrice<'a>,
    /// Best bid.
    #[serde(rename = "b", borrow)]
    pub bid: V1BestPrice<'a>,
    /// Last trade `[price, lotVolume]`.
    #[serde(rename = "c", borrow)]
    pub last: (&'a str, &'a str),
}
