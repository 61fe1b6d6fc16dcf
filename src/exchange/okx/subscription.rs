//! OKX v5 production URLs and the requests a connection sends (okx.com `docs-v5`,
//! "WebSocket / Subscribe" and "Unsubscribe"; protocol reference §7).
//!
//! Subscribe requests are counted by OKX (480 `subscribe`/`unsubscribe`/`login` requests per
//! hour per connection), not their arguments, so a connection names all its channels in as
//! few requests as fit: one request carries many `args`, each request stays under OKX's
//! 64 KB limit ([`MAX_REQUEST_BYTES`]).

use crate::types::{Exchange, Symbol};

/// The production public WebSocket.
pub const WS_PUBLIC: &str = "wss://ws.okx.com:8443/ws/v5/public";
/// The production REST base (order-book snapshots).
pub const REST: &str = "https://www.okx.com";
/// The most bytes one request may have (OKX: 64 KB), with room to spare.
pub const MAX_REQUEST_BYTES: usize = 60 * 1024;
/// The book depths OKX serves and the channel of each: `bbo-tbt` (1 level), `books5`,
/// `books` (400 levels, snapshot + updates).
pub const BOOK_DEPTHS: [u32; 3] = [1, 5, 400];

/// The book channel of a depth, if OKX has one.
pub fn book_channel(depth: u32) -> Option<&'static str> {
    match depth {
        1 => Some("bbo-tbt"),
        5 => Some("books5"),
        400 => Some("books"),
        _ => None,
    }
}

/// One `{"channel":..,"instId":..}` argument.
pub fn arg(channel: &str, symbol: &Symbol) -> String {
    serde_json::json!({ "channel": channel, "instId": symbol.to_venue(Exchange::Okx) }).to_string()
}

/// `op` requests (`subscribe`, `unsubscribe`) naming `args`, as few as fit under
/// [`MAX_REQUEST_BYTES`] each; ids from `next_id`.
pub fn requests(op: &str, args: &[String], next_id: &mut u64) -> Vec<String> {
    let mut out = Vec::new();
    let mut batch: Vec<&str> = Vec::new();
    let mut len = 0;
    let mut flush = |batch: &mut Vec<&str>, out: &mut Vec<String>| {
        if batch.is_empty() {
            return;
        }
        *next_id += 1;
        out.push(format!(
            r#"{{"id":"{}","op":"{op}","args":[{}]}}"#,
            *next_id,
            batch.join(",")
        ));
        batch.clear();
    };
    for a in args {
        // 64 bytes for the envelope around the args.
        if len + a.len() + 1 + 64 > MAX_REQUEST_BYTES {
            flush(&mut batch, &mut out);
            len = 0;
        }
        len += a.len() + 1;
        batch.push(a);
    }
    flush(&mut batch, &mut out);
    out
}

/// The literal keepalive text (not JSON); OKX answers `pong`.
pub const PING: &str = "ping";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_batch_args_and_stay_under_64_kb() {
        let btc = Symbol::parse("BTC-USDT-SWAP").unwrap();
        assert_eq!(
            arg("books", &btc),
            r#"{"channel":"books","instId":"BTC-USDT-SWAP"}"#
        );
        let mut id = 0;
        let one = requests(
            "subscribe",
            &[arg("books", &btc), arg("trades", &btc)],
            &mut id,
        );
        assert_eq!(
            one,
            vec![
                r#"{"id":"1","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT-SWAP"},{"channel":"trades","instId":"BTC-USDT-SWAP"}]}"#
            ]
        );
        let many: Vec<String> = (0..3000)
            .map(|i| arg("trades", &Symbol::new(&format!("A{i}"), "USDT").unwrap()))
            .collect();
        let reqs = requests("subscribe", &many, &mut id);
        assert!(reqs.len() >= 2, "{}", reqs.len());
        assert!(reqs.iter().all(|r| r.len() <= 64 * 1024));
        let named: usize = reqs
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_str(r).unwrap();
                v["args"].as_array().unwrap().len()
            })
            .sum();
        assert_eq!(named, 3000);
        assert!(requests("subscribe", &[], &mut id).is_empty());
    }
}
