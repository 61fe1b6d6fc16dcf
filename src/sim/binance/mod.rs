//! Binance spot frame encoders for the simulator and benches (pure: strings out), per
//! `shared/docs/exchange-protocols.md` §1.5–§1.7.

pub(crate) mod venue;

use super::market::{fixed, MarketConfig, Step, SynthTrade, SyntheticMarket, TickLevel};

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

/// Wraps a payload as a combined-stream frame `{"stream":..,"data":..}` (§1.1).
pub fn combined(stream: &str, data: &str) -> String {
    let mut s = String::with_capacity(24 + stream.len() + data.len());
    s.push_str("{\"stream\":\"");
    s.push_str(stream);
    s.push_str("\",\"data\":");
    s.push_str(data);
    s.push('}');
    s
}

/// The `depthUpdate` payload (no wrapper) for `step`, with ids `U..=u` (§1.6); USD-M
/// (`prev_id`: the previous event's `u`) adds `T` and `pu` (§1.9).
pub fn depth_update_data(
    cfg: &MarketConfig,
    wire_symbol: &str,
    event_ms: u64,
    first_id: u64,
    last_id: u64,
    prev_id: Option<u64>,
    step: &Step,
) -> String {
    let mut s = String::with_capacity(64 + 40 * step.changes());
    s.push_str("{\"e\":\"depthUpdate\",\"E\":");
    s.push_str(&event_ms.to_string());
    if prev_id.is_some() {
        s.push_str(&format!(",\"T\":{event_ms}"));
    }
    s.push_str(",\"s\":\"");
    s.push_str(wire_symbol);
    s.push_str(&format!("\",\"U\":{first_id},\"u\":{last_id},"));
    if let Some(pu) = prev_id {
        s.push_str(&format!("\"pu\":{pu},"));
    }
    s.push_str("\"b\":");
    levels(&mut s, &step.bids, cfg.price_scale, cfg.qty_scale);
    s.push_str(",\"a\":");
    levels(&mut s, &step.asks, cfg.price_scale, cfg.qty_scale);
    s.push('}');
    s
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
    let data = depth_update_data(
        market.config(),
        wire_symbol,
        event_ms,
        first_id,
        last_id,
        None,
        step,
    );
    combined(
        &format!("{}@depth@100ms", wire_symbol.to_lowercase()),
        &data,
    )
}

/// A `bookTicker` payload (spot: no `e`/`E`), `u` in the depth id space (§1.6).
pub fn book_ticker_data(
    cfg: &MarketConfig,
    wire_symbol: &str,
    update_id: u64,
    bid: TickLevel,
    ask: TickLevel,
) -> String {
    let (ps, qs) = (cfg.price_scale, cfg.qty_scale);
    format!(
        "{{\"u\":{update_id},\"s\":\"{wire_symbol}\",\"b\":\"{}\",\"B\":\"{}\",\"a\":\"{}\",\"A\":\"{}\"}}",
        fixed(bid.0, ps, DECIMALS),
        fixed(bid.1 as i64, qs, DECIMALS),
        fixed(ask.0, ps, DECIMALS),
        fixed(ask.1 as i64, qs, DECIMALS),
    )
}

/// An `aggTrade` payload (one aggregate = one synthetic trade, `f = l = a`) (§1.6).
pub fn agg_trade_data(cfg: &MarketConfig, wire_symbol: &str, ms: u64, t: &SynthTrade) -> String {
    format!(
        "{{\"e\":\"aggTrade\",\"E\":{ms},\"s\":\"{wire_symbol}\",\"a\":{id},\"p\":\"{}\",\"q\":\"{}\",\"f\":{id},\"l\":{id},\"T\":{ms},\"m\":{},\"M\":true}}",
        fixed(t.price, cfg.price_scale, DECIMALS),
        fixed(t.qty as i64, cfg.qty_scale, DECIMALS),
        !t.taker_buy,
        id = t.id,
    )
}

/// A `trade` payload (`m` = buyer is maker, i.e. the taker sold) (§1.6).
pub fn trade_data(cfg: &MarketConfig, wire_symbol: &str, ms: u64, t: &SynthTrade) -> String {
    format!(
        "{{\"e\":\"trade\",\"E\":{ms},\"s\":\"{wire_symbol}\",\"t\":{},\"p\":\"{}\",\"q\":\"{}\",\"T\":{ms},\"m\":{},\"M\":true}}",
        t.id,
        fixed(t.price, cfg.price_scale, DECIMALS),
        fixed(t.qty as i64, cfg.qty_scale, DECIMALS),
        !t.taker_buy,
    )
}

/// A REST `GET /api/v3/depth` body of the given sides (best first) (§1.7).
pub fn rest_snapshot_levels(
    cfg: &MarketConfig,
    last_update_id: u64,
    bids: &[TickLevel],
    asks: &[TickLevel],
) -> String {
    let mut s = format!("{{\"lastUpdateId\":{last_update_id},\"bids\":");
    levels(&mut s, bids, cfg.price_scale, cfg.qty_scale);
    s.push_str(",\"asks\":");
    levels(&mut s, asks, cfg.price_scale, cfg.qty_scale);
    s.push('}');
    s
}

/// A REST `GET /api/v3/depth` body of the market's current book.
pub fn rest_snapshot(market: &SyntheticMarket, last_update_id: u64, limit: usize) -> String {
    let bids: Vec<(i64, u64)> = market.bids().take(limit).collect();
    let asks: Vec<(i64, u64)> = market.asks().take(limit).collect();
    rest_snapshot_levels(market.config(), last_update_id, &bids, &asks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{parse, Message};
    use crate::types::{Exchange, MarketEvent, TakerSide, Timestamp};

    const T: Timestamp = Timestamp::from_unix_millis(1);

    fn one(frame: &str) -> MarketEvent {
        match parse(Exchange::Binance, frame, T).unwrap().pop() {
            Some(Message::Market(e)) => e,
            other => panic!("{other:?} from {frame}"),
        }
    }

    #[test]
    fn payloads_parse_with_the_engine() {
        let cfg = MarketConfig::default();
        let t = SynthTrade {
            id: 7,
            price: 6_000_001,
            qty: 150_000_000,
            taker_buy: false,
        };
        let MarketEvent::Trade(tr) = one(&combined(
            "btcusdt@aggTrade",
            &agg_trade_data(&cfg, "BTCUSDT", 5, &t),
        )) else {
            panic!()
        };
        assert_eq!(tr.id, Some(7));
        assert_eq!(tr.price.to_string(), "60000.01000000");
        assert_eq!(tr.qty.to_string(), "1.50000000");
        assert_eq!(tr.taker_side, TakerSide::Sell);
        let MarketEvent::Trade(tr) = one(&combined(
            "btcusdt@trade",
            &trade_data(&cfg, "BTCUSDT", 5, &t),
        )) else {
            panic!()
        };
        assert_eq!(tr.id, Some(7));
        let MarketEvent::Ticker(tk) = one(&combined(
            "btcusdt@bookTicker",
            &book_ticker_data(&cfg, "BTCUSDT", 42, (5_999_999, 1), (6_000_001, 2)),
        )) else {
            panic!()
        };
        assert_eq!(tk.update_id, Some(42));
    }
}
