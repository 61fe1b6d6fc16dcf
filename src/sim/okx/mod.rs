//! OKX v5 public WebSocket and REST frame encoders (`shared/docs/exchange-protocols.md` §7)
//! and the legacy book checksum, computed from the simulator's own integer book. Pure:
//! strings out.
//!
//! OKX writes prices and sizes as the shortest decimal (`"30261"`, `"0.0002"`), and its
//! checksum is over those strings; both are written here independently of the engine's
//! `exchange::okx`, and the tests compare the two.

pub(crate) mod venue;

use super::market::{fixed, MarketConfig, SynthTrade, TickLevel};

/// Levels per side of the `books` channel (§7).
pub const BOOK_DEPTH: usize = 400;
/// Levels per side of the `books5` channel.
pub const BOOKS5_DEPTH: usize = 5;
/// Levels per side the legacy checksum covers.
pub const CHECKSUM_LEVELS: usize = 25;
/// The largest request the venue accepts (§7: 64 KB per subscribe request).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Subscribe / unsubscribe requests one connection may send per hour (§7).
pub const REQUESTS_PER_HOUR: usize = 480;
/// New connections per second per IP (§7).
pub const CONNECTIONS_PER_SECOND: usize = 3;
/// The reply to the literal `ping` text.
pub const PONG: &str = "pong";

/// `value / 10^scale` as OKX writes it: the shortest decimal, no trailing zeros, no `.`
/// for whole numbers.
pub fn decimal(value: i64, scale: u32) -> String {
    let text = fixed(value, scale, scale);
    if !text.contains('.') {
        return text;
    }
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

fn price(cfg: &MarketConfig, ticks: i64) -> String {
    decimal(ticks, cfg.price_scale)
}

fn size(cfg: &MarketConfig, lots: u64) -> String {
    decimal(lots as i64, cfg.qty_scale)
}

/// The legacy checksum input (§7): the first 25 bids and asks (best first), interleaved
/// `bid:size:ask:size`, continuing with the longer side's levels.
pub fn checksum_string(cfg: &MarketConfig, bids: &[TickLevel], asks: &[TickLevel]) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(4 * CHECKSUM_LEVELS);
    for i in 0..CHECKSUM_LEVELS {
        if let Some((p, q)) = bids.get(i) {
            parts.push(price(cfg, *p));
            parts.push(size(cfg, *q));
        }
        if let Some((p, q)) = asks.get(i) {
            parts.push(price(cfg, *p));
            parts.push(size(cfg, *q));
        }
    }
    parts.join(":")
}

/// CRC32 (IEEE) of [`checksum_string`], as the signed 32-bit integer OKX sends.
pub fn checksum(cfg: &MarketConfig, bids: &[TickLevel], asks: &[TickLevel]) -> i32 {
    checksum_of(&checksum_string(cfg, bids, asks))
}

/// The signed CRC32 of a checksum string.
pub fn checksum_of(text: &str) -> i32 {
    crc32fast::hash(text.as_bytes()) as i32
}

fn levels(out: &mut String, levels: &[TickLevel], cfg: &MarketConfig) {
    out.push('[');
    for (i, (p, q)) in levels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // [price, size, "0" (deprecated liquidated orders), order count]
        let orders = if *q == 0 { 0 } else { 1 + (*p as u64 + q) % 9 };
        out.push_str(&format!(
            "[\"{}\",\"{}\",\"0\",\"{orders}\"]",
            price(cfg, *p),
            size(cfg, *q)
        ));
    }
    out.push(']');
}

fn arg(channel: &str, inst_id: &str) -> String {
    format!("{{\"channel\":\"{channel}\",\"instId\":\"{inst_id}\"}}")
}

/// Sequence fields of a book message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seq {
    /// `prevSeqId` (`-1` on a snapshot).
    pub prev: i64,
    /// `seqId`.
    pub seq: i64,
}

/// A `books` `snapshot` or `update` message (§7). `checksum` `0` is what OKX sends since the
/// checksum was deprecated (2026-06-23).
#[allow(clippy::too_many_arguments)]
pub fn books(
    cfg: &MarketConfig,
    inst_id: &str,
    snapshot: bool,
    bids: &[TickLevel],
    asks: &[TickLevel],
    checksum: i32,
    seq: Seq,
    ms: u64,
) -> String {
    let mut s = String::with_capacity(200 + 40 * (bids.len() + asks.len()));
    s.push_str("{\"arg\":");
    s.push_str(&arg("books", inst_id));
    s.push_str(",\"action\":\"");
    s.push_str(if snapshot { "snapshot" } else { "update" });
    s.push_str("\",\"data\":[{\"asks\":");
    levels(&mut s, asks, cfg);
    s.push_str(",\"bids\":");
    levels(&mut s, bids, cfg);
    s.push_str(&format!(
        ",\"ts\":\"{ms}\",\"checksum\":{checksum},\"prevSeqId\":{},\"seqId\":{}}}]}}",
        seq.prev, seq.seq
    ));
    s
}

/// A `books5` or `bbo-tbt` message: the top levels as a whole (no action, no checksum).
pub fn top_levels(
    cfg: &MarketConfig,
    channel: &str,
    inst_id: &str,
    bids: &[TickLevel],
    asks: &[TickLevel],
    seq_id: i64,
    ms: u64,
) -> String {
    let mut s = String::with_capacity(200 + 40 * (bids.len() + asks.len()));
    s.push_str("{\"arg\":");
    s.push_str(&arg(channel, inst_id));
    s.push_str(",\"data\":[{\"asks\":");
    levels(&mut s, asks, cfg);
    s.push_str(",\"bids\":");
    levels(&mut s, bids, cfg);
    if channel == "books5" {
        s.push_str(&format!(",\"instId\":\"{inst_id}\""));
    }
    s.push_str(&format!(",\"ts\":\"{ms}\",\"seqId\":{seq_id}}}]}}"));
    s
}

/// A `trades` message for one trade: `side` is the taker's.
pub fn trade(cfg: &MarketConfig, inst_id: &str, t: &SynthTrade, ms: u64) -> String {
    format!(
        "{{\"arg\":{},\"data\":[{{\"instId\":\"{inst_id}\",\"tradeId\":\"{}\",\"px\":\"{}\",\"sz\":\"{}\",\"side\":\"{}\",\"ts\":\"{ms}\",\"count\":\"1\"}}]}}",
        arg("trades", inst_id),
        t.id,
        price(cfg, t.price),
        size(cfg, t.qty),
        if t.taker_buy { "buy" } else { "sell" },
    )
}

/// The `instType` of an instrument id: `SWAP` and dated `FUTURES` by their suffix.
pub fn inst_type(inst_id: &str) -> &'static str {
    let parts: Vec<&str> = inst_id.split('-').collect();
    match parts.as_slice() {
        [_, _, "SWAP"] => "SWAP",
        [_, _, d] if d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit()) => "FUTURES",
        _ => "SPOT",
    }
}

/// A `tickers` message.
pub fn ticker(
    cfg: &MarketConfig,
    inst_id: &str,
    bid: TickLevel,
    ask: TickLevel,
    last: i64,
    ms: u64,
) -> String {
    format!(
        "{{\"arg\":{},\"data\":[{{\"instType\":\"{}\",\"instId\":\"{inst_id}\",\"last\":\"{}\",\"lastSz\":\"{}\",\"askPx\":\"{}\",\"askSz\":\"{}\",\"bidPx\":\"{}\",\"bidSz\":\"{}\",\"ts\":\"{ms}\"}}]}}",
        arg("tickers", inst_id),
        inst_type(inst_id),
        price(cfg, last),
        size(cfg, 1),
        price(cfg, ask.0),
        size(cfg, ask.1),
        price(cfg, bid.0),
        size(cfg, bid.1),
    )
}

/// A subscribe / unsubscribe acknowledgement of one argument.
pub fn ack(id: Option<&str>, event: &str, channel: &str, inst_id: &str, conn_id: &str) -> String {
    let id = id.map(|i| format!("\"id\":\"{i}\",")).unwrap_or_default();
    format!(
        "{{{id}\"event\":\"{event}\",\"arg\":{},\"connId\":\"{conn_id}\"}}",
        arg(channel, inst_id)
    )
}

/// An error event.
pub fn error(id: Option<&str>, code: &str, msg: &str, conn_id: &str) -> String {
    let id = id.map(|i| format!("\"id\":\"{i}\",")).unwrap_or_default();
    let msg = serde_json::Value::String(msg.to_string());
    format!(
        "{{{id}\"event\":\"error\",\"code\":\"{code}\",\"msg\":{msg},\"connId\":\"{conn_id}\"}}"
    )
}

/// The `60018` error for a channel or instrument that does not exist.
pub fn unknown_channel(id: Option<&str>, channel: &str, inst_id: &str, conn_id: &str) -> String {
    error(
        id,
        "60018",
        &format!("Wrong URL or channel:{channel},instId:{inst_id} doesn't exist. Please use the correct URL, channel and parameters referring to API document."),
        conn_id,
    )
}

/// The `64008` notice sent 60 s before a service upgrade closes the connection.
pub fn maintenance_notice(conn_id: &str) -> String {
    format!("{{\"event\":\"notice\",\"code\":\"64008\",\"msg\":\"The connection will soon be closed for a service upgrade. Please reconnect.\",\"connId\":\"{conn_id}\"}}")
}

/// The REST order book `GET /api/v5/market/books` answer (top `sz` levels, `seqId`).
pub fn rest_books(
    cfg: &MarketConfig,
    bids: &[TickLevel],
    asks: &[TickLevel],
    seq_id: i64,
    ms: u64,
) -> String {
    let mut s = String::with_capacity(120 + 40 * (bids.len() + asks.len()));
    s.push_str("{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"asks\":");
    levels(&mut s, asks, cfg);
    s.push_str(",\"bids\":");
    levels(&mut s, bids, cfg);
    s.push_str(&format!(",\"ts\":\"{ms}\",\"seqId\":{seq_id}}}]}}"));
    s
}

/// A REST error answer.
pub fn rest_error(code: &str, msg: &str) -> String {
    let msg = serde_json::Value::String(msg.to_string());
    format!("{{\"code\":\"{code}\",\"msg\":{msg},\"data\":[]}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The protocol reference's worked examples (§7), computed by hand from the CRC32.
    #[test]
    fn checksum_matches_the_reference_examples() {
        assert_eq!(checksum_of("3366.1:7:3366.8:9:3366:6:3368:8"), -1881014294);
        assert_eq!(checksum_of("3366.1:7:3366.8:9:3368:8:3372:8"), 831078360);
        let cfg = MarketConfig {
            price_scale: 1,
            qty_scale: 0,
            ..MarketConfig::default()
        };
        // bids 3366.1 x7, 3366 x6; asks 3366.8 x9, 3368 x8.
        let s = checksum_string(&cfg, &[(33661, 7), (33660, 6)], &[(33668, 9), (33680, 8)]);
        assert_eq!(s, "3366.1:7:3366.8:9:3366:6:3368:8");
        // One side shorter: the other side's levels continue.
        let s = checksum_string(&cfg, &[(33661, 7)], &[(33668, 9), (33680, 8), (33720, 8)]);
        assert_eq!(s, "3366.1:7:3366.8:9:3368:8:3372:8");
    }

    #[test]
    fn shortest_decimals() {
        assert_eq!(decimal(3026100, 2), "30261");
        assert_eq!(decimal(2, 4), "0.0002");
        assert_eq!(decimal(302494, 1), "30249.4");
        assert_eq!(decimal(0, 8), "0");
        assert_eq!(inst_type("BTC-USDT"), "SPOT");
        assert_eq!(inst_type("UNI-USD-SWAP"), "SWAP");
        assert_eq!(inst_type("BTC-USD-220527"), "FUTURES");
    }
}
