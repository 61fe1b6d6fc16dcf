//! Binance stream names, combined-stream URLs, live `SUBSCRIBE` messages and REST snapshot
//! URLs.

use super::Market;
use crate::types::Symbol;

/// Production spot market-stream base.
pub const SPOT_WS: &str = "wss://stream.binance.com:9443";
/// Production spot REST base.
pub const SPOT_REST: &str = "https://api.binance.com";
/// Production USD-M stream host; connections add the routed path of what they carry
/// (`/public` for book data, `/market` for trades: see `exchange::session::route`).
pub const USDM_WS: &str = "wss://fstream.binance.com";
/// Production USD-M REST base.
pub const USDM_REST: &str = "https://fapi.binance.com";

/// A market-stream channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Diff depth every 100 ms (`@depth@100ms`).
    Depth100ms,
    /// Diff depth every 1000 ms (`@depth`).
    Depth,
    /// Best bid/ask (`@bookTicker`).
    BookTicker,
    /// Aggregate trades (`@aggTrade`).
    AggTrade,
    /// Raw trades (`@trade`).
    Trade,
}

/// The stream name, e.g. `btcusdt@depth@100ms`.
pub fn stream_name(symbol: &Symbol, channel: Channel) -> String {
    let suffix = match channel {
        Channel::Depth100ms => "depth@100ms",
        Channel::Depth => "depth",
        Channel::BookTicker => "bookTicker",
        Channel::AggTrade => "aggTrade",
        Channel::Trade => "trade",
    };
    format!("{}@{suffix}", stream_symbol(symbol))
}

/// The symbol as stream names write it, lower case: `btcusdt`.
pub fn stream_symbol(symbol: &Symbol) -> String {
    let mut s = format!("{}{}", symbol.base(), symbol.quote());
    s.make_ascii_lowercase();
    s
}

/// A combined-stream URL: `<base>/stream?streams=a/b/c`.
pub fn combined_stream_url(base: &str, streams: &[String]) -> String {
    format!(
        "{}/stream?streams={}",
        base.trim_end_matches('/'),
        streams.join("/")
    )
}

/// A live `SUBSCRIBE` request.
pub fn subscribe_message(streams: &[String], id: u64) -> String {
    serde_json::json!({"method": "SUBSCRIBE", "params": streams, "id": id}).to_string()
}

/// A live `UNSUBSCRIBE` request.
pub fn unsubscribe_message(streams: &[String], id: u64) -> String {
    serde_json::json!({"method": "UNSUBSCRIBE", "params": streams, "id": id}).to_string()
}

/// The REST depth-snapshot URL. Spot accepts `limit` up to 5000; USD-M only 5, 10, 20, 50,
/// 100, 500 or 1000, so the limit is rounded up to the next allowed value there.
pub fn depth_snapshot_url(rest_base: &str, market: Market, symbol: &Symbol, limit: u32) -> String {
    let base = rest_base.trim_end_matches('/');
    let wire = format!("{}{}", symbol.base(), symbol.quote());
    match market {
        Market::Spot => format!(
            "{base}/api/v3/depth?symbol={wire}&limit={}",
            limit.clamp(1, 5000)
        ),
        Market::UsdM => {
            let allowed = [5, 10, 20, 50, 100, 500, 1000];
            let l = allowed.into_iter().find(|a| *a >= limit).unwrap_or(1000);
            format!("{base}/fapi/v1/depth?symbol={wire}&limit={l}")
        }
    }
}

/// `REQUEST_WEIGHT` of a depth snapshot request with `limit` levels (protocol reference §1.7
/// for spot; USD-M: 2 up to 50 levels, 5 at 100, 10 at 500, 20 at 1000).
pub fn depth_weight(market: Market, limit: u32) -> u32 {
    match market {
        Market::Spot => match limit {
            0..=100 => 5,
            101..=500 => 25,
            501..=1000 => 50,
            _ => 250,
        },
        Market::UsdM => match limit {
            0..=50 => 2,
            51..=100 => 5,
            101..=500 => 10,
            _ => 20,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_names_urls_and_messages() {
        let s = Symbol::parse("BTC-USDT").unwrap();
        let streams = vec![
            stream_name(&s, Channel::Depth100ms),
            stream_name(&s, Channel::BookTicker),
        ];
        assert_eq!(
            combined_stream_url(SPOT_WS, &streams),
            "wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker"
        );
        assert_eq!(
            subscribe_message(&streams, 1),
            r#"{"id":1,"method":"SUBSCRIBE","params":["btcusdt@depth@100ms","btcusdt@bookTicker"]}"#
        );
        assert_eq!(
            depth_snapshot_url(SPOT_REST, Market::Spot, &s, 5000),
            "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=5000"
        );
        assert_eq!(
            depth_snapshot_url(USDM_REST, Market::UsdM, &s, 200),
            "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=500"
        );
    }
}
