//! Binance frame encoders for the simulator and benches (pure: strings out).

use super::market::{fixed, Step, SyntheticMarket};

/// Binance spot writes prices and quantities with 8 decimals.
pub const DECIMALS: u32 = 8;

fn levels(out: &mut String, levels: &[(i64, u64)], price_scale: u32, qty_scale: u32) {
    out.push('[');
    for (i, (p, q)) in levels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("[\"");
        out.push_str(&fixed(*p, price_scale, DECIMALS));
        out.push_str("\",\"");
        out.push_str(&fixed(*q as i64, qty_scale, DECIMALS));
        out.push_str("\"]");
    }
    out.push(']');
}

/// A combined-stream `depthUpdate` frame for `step`, with ids `U..=u`.
pub fn depth_update(
    market: &SyntheticMarket,
    wire_symbol: &str,
    event_ms: u64,
    first_id: u64,
    last_id: u64,
    step: &Step,
) -> String {
    let cfg = market.config();
    let mut s = String::with_capacity(64 + 40 * step.changes());
    s.push_str("{\"stream\":\"");
    s.push_str(&wire_symbol.to_lowercase());
    s.push_str("@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":");
    s.push_str(&event_ms.to_string());
    s.push_str(",\"s\":\"");
    s.push_str(wire_symbol);
    s.push_str(&format!("\",\"U\":{first_id},\"u\":{last_id},\"b\":"));
    levels(&mut s, &step.bids, cfg.price_scale, cfg.qty_scale);
    s.push_str(",\"a\":");
    levels(&mut s, &step.asks, cfg.price_scale, cfg.qty_scale);
    s.push_str("}}");
    s
}

/// A REST `GET /api/v3/depth` body of the market's current book.
pub fn rest_snapshot(market: &SyntheticMarket, last_update_id: u64, limit: usize) -> String {
    let cfg = market.config();
    let bids: Vec<(i64, u64)> = market.bids().take(limit).collect();
    let asks: Vec<(i64, u64)> = market.asks().take(limit).collect();
    let mut s = format!("{{\"lastUpdateId\":{last_update_id},\"bids\":");
    levels(&mut s, &bids, cfg.price_scale, cfg.qty_scale);
    s.push_str(",\"asks\":");
    levels(&mut s, &asks, cfg.price_scale, cfg.qty_scale);
    s.push('}');
    s
}
