//! Kraken endpoint URLs and subscribe / unsubscribe / ping messages, v2 and v1
//! (`shared/docs/exchange-protocols.md` §3.1, §3.2, §3.3, §3.8).

use crate::types::{Exchange, Symbol};
use serde_json::json;
use std::fmt;

/// Public spot WebSocket v2 endpoint.
pub const WS_V2: &str = "wss://ws.kraken.com/v2";
/// Public spot WebSocket v1 endpoint (legacy).
pub const WS_V1: &str = "wss://ws.kraken.com";
/// The book depths Kraken accepts (v2 and v1).
pub const BOOK_DEPTHS: [u32; 5] = [10, 25, 100, 500, 1000];

/// A subscription request that Kraken would reject.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// A book depth outside [`BOOK_DEPTHS`].
    InvalidDepth(u32),
}

impl fmt::Display for SubscriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubscriptionError::InvalidDepth(d) => {
                write!(
                    f,
                    "Kraken book depth {d} is not one of 10, 25, 100, 500, 1000"
                )
            }
        }
    }
}

impl std::error::Error for SubscriptionError {}

fn check_depth(depth: u32) -> Result<u32, SubscriptionError> {
    if BOOK_DEPTHS.contains(&depth) {
        Ok(depth)
    } else {
        Err(SubscriptionError::InvalidDepth(depth))
    }
}

fn v2_symbols(symbols: &[Symbol]) -> Vec<String> {
    symbols
        .iter()
        .map(|s| s.to_venue(Exchange::Kraken))
        .collect()
}

fn v1_pairs(symbols: &[Symbol]) -> Vec<String> {
    symbols.iter().map(super::to_v1).collect()
}

/// v2 `book` subscription with a snapshot first (§3.3, §3.4).
pub fn subscribe_book(
    symbols: &[Symbol],
    depth: u32,
    req_id: u64,
) -> Result<String, SubscriptionError> {
    book_v2("subscribe", symbols, depth, req_id)
}

/// v2 `book` unsubscription; pass the subscribed depth (§3.3).
pub fn unsubscribe_book(
    symbols: &[Symbol],
    depth: u32,
    req_id: u64,
) -> Result<String, SubscriptionError> {
    book_v2("unsubscribe", symbols, depth, req_id)
}

fn book_v2(
    method: &str,
    symbols: &[Symbol],
    depth: u32,
    req_id: u64,
) -> Result<String, SubscriptionError> {
    let params = json!({
        "channel": "book",
        "symbol": v2_symbols(symbols),
        "depth": check_depth(depth)?,
        "snapshot": true,
    });
    Ok(json!({"method": method, "params": params, "req_id": req_id}).to_string())
}

/// v2 `trade` subscription, without the recent-trades snapshot (§3.6).
pub fn subscribe_trades(symbols: &[Symbol], req_id: u64) -> String {
    let params = json!({"channel": "trade", "symbol": v2_symbols(symbols), "snapshot": false});
    json!({"method": "subscribe", "params": params, "req_id": req_id}).to_string()
}

/// v2 `trade` unsubscription (§3.6).
pub fn unsubscribe_trades(symbols: &[Symbol], req_id: u64) -> String {
    let params = json!({"channel": "trade", "symbol": v2_symbols(symbols)});
    json!({"method": "unsubscribe", "params": params, "req_id": req_id}).to_string()
}

/// v2 `ticker` subscription (default trigger: trades) (§3.6).
pub fn subscribe_ticker(symbols: &[Symbol], req_id: u64) -> String {
    let params = json!({"channel": "ticker", "symbol": v2_symbols(symbols)});
    json!({"method": "subscribe", "params": params, "req_id": req_id}).to_string()
}

/// v2 `instrument` subscription: pair precisions for the book checksum (§3.7).
pub fn subscribe_instrument(req_id: u64) -> String {
    json!({"method": "subscribe", "params": {"channel": "instrument"}, "req_id": req_id})
        .to_string()
}

/// v2 application ping; answered by `pong` with the same `req_id` (§3.2).
pub fn ping(req_id: u64) -> String {
    json!({"method": "ping", "req_id": req_id}).to_string()
}

/// v1 `book` subscription, pairs in v1 form (`XBT/USD`) (§3.8).
pub fn subscribe_book_v1(pairs: &[Symbol], depth: u32) -> Result<String, SubscriptionError> {
    let subscription = json!({"name": "book", "depth": check_depth(depth)?});
    Ok(
        json!({"event": "subscribe", "pair": v1_pairs(pairs), "subscription": subscription})
            .to_string(),
    )
}

/// v1 `book` unsubscription (§3.8).
pub fn unsubscribe_book_v1(pairs: &[Symbol], depth: u32) -> Result<String, SubscriptionError> {
    let subscription = json!({"name": "book", "depth": check_depth(depth)?});
    Ok(
        json!({"event": "unsubscribe", "pair": v1_pairs(pairs), "subscription": subscription})
            .to_string(),
    )
}

/// v1 `trade` subscription (§3.8).
pub fn subscribe_trades_v1(pairs: &[Symbol]) -> String {
    json!({"event": "subscribe", "pair": v1_pairs(pairs), "subscription": {"name": "trade"}})
        .to_string()
}

/// v1 `ticker` subscription (§3.8).
pub fn subscribe_ticker_v1(pairs: &[Symbol]) -> String {
    json!({"event": "subscribe", "pair": v1_pairs(pairs), "subscription": {"name": "ticker"}})
        .to_string()
}

/// v1 application ping; answered by `pong` with the same `reqid` (§3.8).
pub fn ping_v1(reqid: u64) -> String {
    json!({"event": "ping", "reqid": reqid}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn v(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    fn syms(list: &[&str]) -> Vec<Symbol> {
        list.iter().map(|s| Symbol::parse(s).unwrap()).collect()
    }

    #[test]
    fn v2_messages_match_the_doc_examples() {
        // §3.3, verbatim.
        let doc = r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD","ETH/USD"],"depth":10,"snapshot":true},"req_id":1234}"#;
        let ours = subscribe_book(&syms(&["BTC-USD", "ETH-USD"]), 10, 1234).unwrap();
        assert_eq!(v(&ours), v(doc));
        let ours = unsubscribe_book(&syms(&["BTC-USD"]), 1000, 7).unwrap();
        assert_eq!(
            v(&ours),
            v(
                r#"{"method":"unsubscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":1000,"snapshot":true},"req_id":7}"#
            )
        );
        // §3.2.
        assert_eq!(v(&ping(101)), v(r#"{"method":"ping","req_id":101}"#));
        // §3.7.
        assert_eq!(
            v(&subscribe_instrument(3)),
            v(r#"{"method":"subscribe","params":{"channel":"instrument"},"req_id":3}"#)
        );
        assert_eq!(
            v(&subscribe_trades(&syms(&["DOGE-USD"]), 4)),
            v(
                r#"{"method":"subscribe","params":{"channel":"trade","symbol":["DOGE/USD"],"snapshot":false},"req_id":4}"#
            )
        );
        assert_eq!(
            v(&subscribe_ticker(&syms(&["BTC-USD"]), 5)),
            v(
                r#"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"]},"req_id":5}"#
            )
        );
    }

    #[test]
    fn book_depth_is_validated() {
        for d in BOOK_DEPTHS {
            assert!(subscribe_book(&syms(&["BTC-USD"]), d, 1).is_ok(), "{d}");
        }
        for d in [0, 5, 20, 50, 1001] {
            assert_eq!(
                subscribe_book(&syms(&["BTC-USD"]), d, 1),
                Err(SubscriptionError::InvalidDepth(d))
            );
            assert_eq!(
                subscribe_book_v1(&syms(&["BTC-USD"]), d),
                Err(SubscriptionError::InvalidDepth(d))
            );
        }
        assert_eq!(
            SubscriptionError::InvalidDepth(20).to_string(),
            "Kraken book depth 20 is not one of 10, 25, 100, 500, 1000"
        );
    }

    #[test]
    fn v1_messages_match_the_doc_and_capture() {
        // §3.8 and the `<-` line of KRAKEN.ws.50.0.
        assert_eq!(
            v(&subscribe_book_v1(&syms(&["BTC-USD"]), 1000).unwrap()),
            v(
                r#"{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"book","depth":1000}}"#
            )
        );
        let pairs = syms(&[
            "WAVES/EUR",
            "XMR/USD",
            "KSM/XBT",
            "GRT/ETH",
            "SC/EUR",
            "ETH/CHF",
            "OCEAN/XBT",
            "OMG/USD",
            "XBT/CHF",
            "ADA/XBT",
        ]);
        let captured = r#"{"event":"subscribe","pair":["WAVES/EUR","XMR/USD","KSM/XBT","GRT/ETH","SC/EUR","ETH/CHF","OCEAN/XBT","OMG/USD","XBT/CHF","ADA/XBT"],"subscription":{"name":"book","depth":1000}}"#;
        assert_eq!(v(&subscribe_book_v1(&pairs, 1000).unwrap()), v(captured));
        let captured = r#"{"event":"subscribe","pair":["WAVES/EUR","XMR/USD","KSM/XBT","GRT/ETH","SC/EUR","ETH/CHF","OCEAN/XBT","OMG/USD","XBT/CHF","ADA/XBT"],"subscription":{"name":"trade"}}"#;
        assert_eq!(v(&subscribe_trades_v1(&pairs)), v(captured));
        let captured = r#"{"event":"subscribe","pair":["WAVES/EUR","XMR/USD","KSM/XBT","GRT/ETH","SC/EUR","ETH/CHF","OCEAN/XBT","OMG/USD","XBT/CHF","ADA/XBT"],"subscription":{"name":"ticker"}}"#;
        assert_eq!(v(&subscribe_ticker_v1(&pairs)), v(captured));
        assert_eq!(
            v(&unsubscribe_book_v1(&syms(&["DOGE-USD"]), 10).unwrap()),
            v(
                r#"{"event":"unsubscribe","pair":["XDG/USD"],"subscription":{"name":"book","depth":10}}"#
            )
        );
        assert_eq!(v(&ping_v1(42)), v(r#"{"event":"ping","reqid":42}"#));
        assert_eq!(
            (WS_V2, WS_V1),
            ("wss://ws.kraken.com/v2", "wss://ws.kraken.com")
        );
    }
}
