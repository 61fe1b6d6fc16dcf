//! Kraken spot WebSocket v2 frame encoders and the book checksum, computed from the
//! simulator's own integer book (`shared/docs/exchange-protocols.md` §3). Pure: strings out.
//!
//! The checksum here is written independently of the engine's
//! `exchange::kraken::checksum`: the tests compare the two.

pub(crate) mod venue;

use super::market::{fixed, MarketConfig, SynthTrade, TickLevel};
use serde_json::json;

/// Book depths a client may subscribe to (§3.4).
pub const DEPTHS: [usize; 5] = [10, 25, 100, 500, 1000];

/// Decimals of prices and quantities of a simulated pair (`instrument` channel, §3.7): the
/// market's own scales.
pub fn precisions(cfg: &MarketConfig) -> (u32, u32) {
    (cfg.price_scale, cfg.qty_scale)
}

/// `value / 10^scale` as the checksum wants it: `precision` decimals, no `.`, no leading
/// zeros (§3.5 step 2).
fn checksum_digits(out: &mut String, value: i64, scale: u32, precision: u32) {
    let text = fixed(value, scale, precision);
    let digits: String = text.chars().filter(|c| *c != '.').collect();
    out.push_str(digits.trim_start_matches('0'));
}

/// The §3.5 checksum input: the top 10 asks (best first) then the top 10 bids, each level
/// price then quantity.
pub fn checksum_string(
    asks: &[TickLevel],
    bids: &[TickLevel],
    scales: (u32, u32),
    precisions: (u32, u32),
) -> String {
    let mut s = String::with_capacity(20 * 24);
    for (p, q) in asks.iter().take(10).chain(bids.iter().take(10)) {
        checksum_digits(&mut s, *p, scales.0, precisions.0);
        checksum_digits(&mut s, *q as i64, scales.1, precisions.1);
    }
    s
}

/// CRC32 (IEEE) of [`checksum_string`].
pub fn checksum(
    asks: &[TickLevel],
    bids: &[TickLevel],
    scales: (u32, u32),
    precisions: (u32, u32),
) -> u32 {
    crc32fast::hash(checksum_string(asks, bids, scales, precisions).as_bytes())
}

/// RFC 3339 UTC with microseconds, from unix milliseconds.
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil from days (H. Hinnant's algorithm), days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        (ms % 1000) * 1000
    )
}

fn levels(out: &mut String, levels: &[TickLevel], cfg: &MarketConfig) {
    let (pp, qp) = precisions(cfg);
    out.push('[');
    for (i, (p, q)) in levels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"price\":");
        out.push_str(&fixed(*p, cfg.price_scale, pp));
        out.push_str(",\"qty\":");
        out.push_str(&fixed(*q as i64, cfg.qty_scale, qp));
        out.push('}');
    }
    out.push(']');
}

/// A `book` `snapshot` or `update` message (§3.4): prices and quantities as JSON numbers
/// with the pair's precisions.
pub fn book(
    cfg: &MarketConfig,
    wire_symbol: &str,
    snapshot: bool,
    bids: &[TickLevel],
    asks: &[TickLevel],
    checksum: u32,
    ms: u64,
) -> String {
    let mut s = String::with_capacity(160 + 48 * (bids.len() + asks.len()));
    s.push_str("{\"channel\":\"book\",\"type\":\"");
    s.push_str(if snapshot { "snapshot" } else { "update" });
    s.push_str("\",\"data\":[{\"symbol\":\"");
    s.push_str(wire_symbol);
    s.push_str("\",\"bids\":");
    levels(&mut s, bids, cfg);
    s.push_str(",\"asks\":");
    levels(&mut s, asks, cfg);
    s.push_str(&format!(
        ",\"checksum\":{checksum},\"timestamp\":\"{}\"}}]}}",
        rfc3339(ms)
    ));
    s
}

/// A `trade` `update` with the step's trades (§3.6).
pub fn trades(cfg: &MarketConfig, wire_symbol: &str, trades: &[SynthTrade], ms: u64) -> String {
    let (pp, qp) = precisions(cfg);
    let data: Vec<String> = trades
        .iter()
        .map(|t| {
            format!(
                "{{\"symbol\":\"{wire_symbol}\",\"side\":\"{}\",\"price\":{},\"qty\":{},\"ord_type\":\"market\",\"trade_id\":{},\"timestamp\":\"{}\"}}",
                if t.taker_buy { "buy" } else { "sell" },
                fixed(t.price, cfg.price_scale, pp),
                fixed(t.qty as i64, cfg.qty_scale, qp),
                t.id,
                rfc3339(ms),
            )
        })
        .collect();
    format!(
        "{{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{}]}}",
        data.join(",")
    )
}

/// A `ticker` message (§3.6) from the touch and the last trade price.
pub fn ticker(
    cfg: &MarketConfig,
    wire_symbol: &str,
    snapshot: bool,
    bid: TickLevel,
    ask: TickLevel,
    last: i64,
    ms: u64,
) -> String {
    let (pp, qp) = precisions(cfg);
    let price = |v: i64| fixed(v, cfg.price_scale, pp);
    let qty = |v: u64| fixed(v as i64, cfg.qty_scale, qp);
    format!(
        "{{\"channel\":\"ticker\",\"type\":\"{}\",\"data\":[{{\"symbol\":\"{wire_symbol}\",\"bid\":{},\"bid_qty\":{},\"ask\":{},\"ask_qty\":{},\"last\":{},\"volume\":0,\"vwap\":{},\"low\":{},\"high\":{},\"change\":0,\"change_pct\":0,\"timestamp\":\"{}\"}}]}}",
        if snapshot { "snapshot" } else { "update" },
        price(bid.0),
        qty(bid.1),
        price(ask.0),
        qty(ask.1),
        price(last),
        price(last),
        price(last),
        price(last),
        rfc3339(ms),
    )
}

/// The `instrument` snapshot listing the simulated pairs (§3.7).
pub fn instruments<'a>(pairs: impl Iterator<Item = (&'a str, &'a MarketConfig)>) -> String {
    let pairs: Vec<serde_json::Value> = pairs
        .map(|(wire, cfg)| {
            let (pp, qp) = precisions(cfg);
            let (base, quote) = wire.split_once('/').unwrap_or((wire, ""));
            json!({
                "symbol": wire, "base": base, "quote": quote, "status": "online",
                "price_precision": pp, "qty_precision": qp,
                "price_increment": fixed(1, cfg.price_scale, pp).parse::<f64>().unwrap_or(0.0),
                "qty_increment": fixed(1, cfg.qty_scale, qp).parse::<f64>().unwrap_or(0.0),
                "qty_min": 0.0001, "marginable": false, "has_index": false,
            })
        })
        .collect();
    json!({"channel": "instrument", "type": "snapshot", "data": {"assets": [], "pairs": pairs}})
        .to_string()
}

/// The `status` message sent on connect (§3.2).
pub fn status(connection_id: u64) -> String {
    json!({"channel": "status", "type": "update", "data": [{
        "api_version": "v2", "connection_id": connection_id, "system": "online", "version": "2.0.10"
    }]})
    .to_string()
}

/// The idle `heartbeat` (§3.2).
pub const HEARTBEAT: &str = "{\"channel\":\"heartbeat\"}";

/// A method reply (`subscribe`/`unsubscribe` ack, or failure with `error`) (§3.3).
pub fn method_reply(
    method: &str,
    result: Option<serde_json::Value>,
    error: Option<&str>,
    req_id: Option<i64>,
    ms: u64,
) -> String {
    let mut v = json!({"method": method, "success": error.is_none(),
        "time_in": rfc3339(ms), "time_out": rfc3339(ms)});
    if let Some(r) = result {
        if error.is_some() {
            if let Some(sym) = r.get("symbol") {
                v["symbol"] = sym.clone();
            }
        } else {
            v["result"] = r;
        }
    }
    if let Some(e) = error {
        v["error"] = json!(e);
    }
    if let Some(id) = req_id {
        v["req_id"] = json!(id);
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_level(p: &str, q: &str) -> TickLevel {
        let digits = |s: &str| s.replace('.', "").parse::<i64>().unwrap();
        (digits(p), digits(q) as u64)
    }

    /// §3.5 worked example: the official BTC/USD snapshot gives 3310070434.
    #[test]
    fn doc_worked_example() {
        let asks = "45285.2/0.00100000 45286.4/1.54571953 45286.6/1.54571109 45289.6/1.54560911 45290.2/0.15890660 45291.8/1.54553491 45294.7/0.04454749 45296.1/0.35380000 45297.5/0.09945542 45299.5/0.18772827";
        let bids = "45283.5/0.10000000 45283.4/1.54582015 45282.1/0.10000000 45281.0/0.10000000 45280.3/1.54592586 45279.0/0.07990000 45277.6/0.03310103 45277.5/0.30000000 45277.3/1.54602737 45276.6/0.15445238";
        let side = |s: &str| -> Vec<TickLevel> {
            s.split(' ')
                .map(|l| {
                    let (p, q) = l.split_once('/').unwrap();
                    parse_level(p, q)
                })
                .collect()
        };
        let (a, b) = (side(asks), side(bids));
        let s = checksum_string(&a, &b, (1, 8), (1, 8));
        assert!(s.starts_with("452852100000452864154571953452866154571109"));
        assert!(s.contains("45283510000000452834154582015"));
        assert_eq!(checksum(&a, &b, (1, 8), (1, 8)), 3310070434);
    }

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(1_696_613_755_440), "2023-10-06T17:35:55.440000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000000Z");
    }
}
