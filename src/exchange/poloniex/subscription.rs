//! Poloniex v3 public endpoint, channel names, and the `subscribe` / `unsubscribe` / `ping`
//! requests (`shared/docs/exchange-protocols.md` §4.1).

use crate::types::{Exchange, Symbol};
use serde::Serialize;

/// Public market-data endpoint (public channels only).
pub const PUBLIC_WS: &str = "wss://ws.poloniex.com/ws/public";

/// Wire name of the incremental 20-level book channel.
pub const BOOK_LV2: &str = "book_lv2";
/// Wire name of the trades channel.
pub const TRADES: &str = "trades";
/// Wire name of the 24 h ticker channel.
pub const TICKER: &str = "ticker";

/// A public channel this adapter parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `book_lv2`: snapshot then incremental updates of the top 20 levels.
    BookLv2,
    /// `trades`: public trades.
    Trades,
    /// `ticker`: 24 h rolling ticker.
    Ticker,
}

impl Channel {
    /// The wire name (`book_lv2`, `trades`, `ticker`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::BookLv2 => BOOK_LV2,
            Channel::Trades => TRADES,
            Channel::Ticker => TICKER,
        }
    }
}

/// Field order follows the docs' examples (serde keeps struct order).
#[derive(Serialize)]
struct Request<'a> {
    event: &'a str,
    channel: Vec<&'static str>,
    symbols: Vec<String>,
}

fn request(event: &str, channels: &[Channel], symbols: &[Symbol]) -> String {
    let req = Request {
        event,
        channel: channels.iter().map(|c| c.as_str()).collect(),
        symbols: symbols
            .iter()
            .map(|s| s.to_venue(Exchange::Poloniex))
            .collect(),
    };
    // Serializing strings and string lists into a `String` cannot fail.
    serde_json::to_string(&req).unwrap_or_default()
}

/// `{"event":"subscribe","channel":[..],"symbols":[..]}`.
pub fn subscribe(channels: &[Channel], symbols: &[Symbol]) -> String {
    request("subscribe", channels, symbols)
}

/// `{"event":"unsubscribe","channel":[..],"symbols":[..]}`.
pub fn unsubscribe(channels: &[Channel], symbols: &[Symbol]) -> String {
    request("unsubscribe", channels, symbols)
}

/// `{"event":"unsubscribe_all"}`.
pub fn unsubscribe_all() -> String {
    r#"{"event":"unsubscribe_all"}"#.to_string()
}

/// `{"event":"ping"}`: the server drops a session that sends nothing for 30 s.
pub fn ping() -> String {
    r#"{"event":"ping"}"#.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn requests_match_the_docs() {
        let both = [sym("BTC-USDT"), sym("ETH-USDT")];
        assert_eq!(
            subscribe(&[Channel::BookLv2], &both),
            r#"{"event":"subscribe","channel":["book_lv2"],"symbols":["BTC_USDT","ETH_USDT"]}"#
        );
        assert_eq!(
            unsubscribe(&[Channel::BookLv2], &both[..1]),
            r#"{"event":"unsubscribe","channel":["book_lv2"],"symbols":["BTC_USDT"]}"#
        );
        assert_eq!(unsubscribe_all(), r#"{"event":"unsubscribe_all"}"#);
        assert_eq!(ping(), r#"{"event":"ping"}"#);
        assert_eq!(PUBLIC_WS, "wss://ws.poloniex.com/ws/public");
    }

    #[test]
    fn the_capture_requests_are_reproduced() {
        let capture = include_str!("../../../tests/fixtures/poloniex/POLONIEX_v3.ws.1.0");
        let sent: Vec<&str> = capture
            .lines()
            .filter(|l| l.starts_with("wss://ws.poloniex.com/ws/public <- "))
            .filter_map(|l| l.split_once(": ").map(|(_, json)| json))
            .collect();
        let symbols: Vec<Symbol> = [
            "BCH-USDT",
            "EFI-USDT",
            "USDJ-USDT",
            "DYP-USDT",
            "SOL-USDT",
            "MDT-BTC",
            "GRT-USDT",
            "GF-USDT",
            "BCH-BTC",
            "ZEC-USDT",
            "BTC-USDT",
        ]
        .iter()
        .map(|s| sym(s))
        .collect();
        assert_eq!(
            sent,
            vec![
                subscribe(&[Channel::Trades], &symbols).as_str(),
                subscribe(&[Channel::BookLv2], &symbols).as_str(),
            ]
        );
    }
}
