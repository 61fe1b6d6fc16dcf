//! Poloniex v3 public WebSocket frame encoders (`shared/docs/exchange-protocols.md` §4.1,
//! §4.2, §4.4). Pure: strings out.

pub(crate) mod venue;

use super::market::{fixed, MarketConfig, SynthTrade, TickLevel};
use serde_json::json;

/// Levels per side of `book_lv2` (§4.2).
pub const BOOK_DEPTH: usize = 20;

fn qty_text(cfg: &MarketConfig, lots: u64) -> String {
    if lots == 0 {
        "0".to_string()
    } else {
        fixed(lots as i64, cfg.qty_scale, cfg.qty_scale)
    }
}

fn levels(out: &mut String, levels: &[TickLevel], cfg: &MarketConfig) {
    out.push('[');
    for (i, (p, q)) in levels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("[\"");
        out.push_str(&fixed(*p, cfg.price_scale, cfg.price_scale));
        out.push_str("\",\"");
        out.push_str(&qty_text(cfg, *q));
        out.push_str("\"]");
    }
    out.push(']');
}

/// A `book_lv2` `snapshot` or `update` (§4.2) with `lastId` / `id`.
#[allow(clippy::too_many_arguments)]
pub fn book(
    cfg: &MarketConfig,
    wire_symbol: &str,
    snapshot: bool,
    bids: &[TickLevel],
    asks: &[TickLevel],
    last_id: u64,
    id: u64,
    ms: u64,
) -> String {
    let mut s = String::with_capacity(200 + 40 * (bids.len() + asks.len()));
    s.push_str("{\"channel\":\"book_lv2\",\"action\":\"");
    s.push_str(if snapshot { "snapshot" } else { "update" });
    s.push_str("\",\"data\":[{\"symbol\":\"");
    s.push_str(wire_symbol);
    s.push_str(&format!("\",\"createTime\":{ms},\"asks\":"));
    levels(&mut s, asks, cfg);
    s.push_str(",\"bids\":");
    levels(&mut s, bids, cfg);
    s.push_str(&format!(
        ",\"lastId\":{last_id},\"id\":{id},\"ts\":{ms}}}]}}"
    ));
    s
}

/// A `trades` message for one trade (§4.4): `quantity` is the base size, `amount` the exact
/// quote notional `price × quantity`.
pub fn trade(cfg: &MarketConfig, wire_symbol: &str, t: &SynthTrade, ms: u64) -> String {
    let (ps, qs) = (cfg.price_scale, cfg.qty_scale);
    let notional = i128::from(t.price) * i128::from(t.qty);
    let amount = i64::try_from(notional)
        .map(|n| fixed(n, ps + qs, ps + qs))
        .unwrap_or_else(|_| "0".to_string());
    format!(
        "{{\"channel\":\"trades\",\"data\":[{{\"symbol\":\"{wire_symbol}\",\"amount\":\"{amount}\",\"quantity\":\"{}\",\"takerSide\":\"{}\",\"createTime\":{ms},\"price\":\"{}\",\"id\":\"{}\",\"ts\":{ms}}}]}}",
        fixed(t.qty as i64, qs, qs),
        if t.taker_buy { "buy" } else { "sell" },
        fixed(t.price, ps, ps),
        t.id,
    )
}

/// A subscribe / unsubscribe acknowledgement (`channel` as a string) (§4.1).
pub fn ack(event: &str, channel: &str, symbols: &[String]) -> String {
    json!({"event": event, "channel": channel, "symbols": symbols}).to_string()
}

/// An error reply (§4.1).
pub fn error(message: &str) -> String {
    json!({"event": "error", "message": message}).to_string()
}

/// The reply to `{"event":"ping"}`.
pub const PONG: &str = "{\"event\":\"pong\"}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{parse, Message};
    use crate::types::{Exchange, MarketEvent, Timestamp};

    #[test]
    fn trade_amount_is_the_exact_notional() {
        let cfg = MarketConfig::default();
        let t = SynthTrade {
            id: 3,
            price: 2_161_459,
            qty: 1_149_000,
            taker_buy: false,
        };
        let f = trade(&cfg, "BTC_USDT", &t, 1);
        assert!(f.contains("\"amount\":\"248.3516391000\""), "{f}");
        let msgs = parse(Exchange::Poloniex, &f, Timestamp::from_unix_millis(1)).unwrap();
        let Message::Market(MarketEvent::Trade(tr)) = &msgs[0] else {
            panic!()
        };
        assert_eq!(tr.qty.to_string(), "0.01149000");
    }
}
