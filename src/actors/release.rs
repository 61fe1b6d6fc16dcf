//! The messages that end the subscriptions of books and trade streams no feed wants any
//! more, on a connection that keeps its other streams (issue 8 item 6).
//!
//! This is subscription-plan knowledge and belongs beside `session::unsubscribe_all` in the
//! venue registry (issue 8 item 1); it sits here until the registry takes it, built only from
//! the venue modules' own message builders.

use crate::exchange::poloniex;
use crate::exchange::session::{self, Interest};
use crate::types::Exchange;
use serde_json::json;

/// Messages that unsubscribe exactly `gone` (its books and its trade streams).
pub(crate) fn unsubscribe(exchange: Exchange, gone: &Interest, next_id: &mut u64) -> Vec<String> {
    if gone.is_empty() {
        return Vec::new();
    }
    match exchange {
        Exchange::Poloniex => {
            use poloniex::subscription::{unsubscribe, Channel};
            let books = gone.books.iter().map(|s| (Channel::BookLv2, s));
            let trades = gone.trades.iter().map(|s| (Channel::Trades, s));
            books
                .chain(trades)
                .map(|(channel, s)| unsubscribe(&[channel], std::slice::from_ref(s)))
                .collect()
        }
        Exchange::Kraken => {
            let books = Interest {
                books: gone.books.clone(),
                trades: Vec::new(),
                book_depth: gone.book_depth,
            };
            let mut messages = session::unsubscribe_all(exchange, &books, next_id);
            if !gone.trades.is_empty() {
                *next_id += 1;
                let symbols: Vec<String> =
                    gone.trades.iter().map(|s| s.to_venue(exchange)).collect();
                let params = json!({"channel": "trade", "symbol": symbols});
                messages.push(
                    json!({"method": "unsubscribe", "params": params, "req_id": *next_id})
                        .to_string(),
                );
            }
            messages
        }
        // Binance: `unsubscribe_all` names exactly the streams of the interest it is given.
        _ => session::unsubscribe_all(exchange, gone, next_id),
    }
}
