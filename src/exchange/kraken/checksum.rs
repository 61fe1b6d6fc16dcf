//! Kraken book checksum (v1 and v2 share the algorithm; only the input precision differs).
//!
//! 1. Top 10 asks (price ascending), then top 10 bids (price descending).
//! 2. Each price and quantity rendered with a fixed number of decimals (v1: as the strings
//!    were received; v2: the instrument's `price_precision` / `qty_precision`), the `.`
//!    removed and leading zeros stripped: that is the decimal integer `value * 10^decimals`.
//! 3. Concatenate price then quantity for every level; CRC32 (IEEE) as an unsigned integer.

use crate::book::OrderBook;
use crate::types::num::scaled_integer;
use std::fmt::Write;

/// The checksum input string, or `None` if a level has more decimals than the format allows
/// (it cannot be rendered without rounding, so the book cannot match).
pub fn checksum_string(book: &OrderBook, price_decimals: u32, qty_decimals: u32) -> Option<String> {
    let mut s = String::with_capacity(400);
    for level in book.asks().take(10).chain(book.bids().take(10)) {
        let p = scaled_integer(level.price, price_decimals)?;
        let q = scaled_integer(level.qty, qty_decimals)?;
        // Writing to a String cannot fail.
        let _ = write!(s, "{p}{q}");
    }
    Some(s)
}

/// The Kraken CRC32 checksum of `book`'s top 10 levels per side.
pub fn checksum(book: &OrderBook, price_decimals: u32, qty_decimals: u32) -> Option<u32> {
    checksum_string(book, price_decimals, qty_decimals).map(|s| crc32fast::hash(s.as_bytes()))
}
