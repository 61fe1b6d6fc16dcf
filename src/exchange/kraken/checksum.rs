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

/// The Kraken CRC32 checksum of `book`'s top 10 levels per side: the CRC of
/// [`checksum_string`], computed without building it (each integer is written into a stack
/// buffer and fed to the hasher; formatting into a `String` was most of the cost of a Kraken
/// update).
pub fn checksum(book: &OrderBook, price_decimals: u32, qty_decimals: u32) -> Option<u32> {
    let mut crc = crc32fast::Hasher::new();
    let mut buf = itoa::Buffer::new();
    let mut feed = |v: u128| match u64::try_from(v) {
        Ok(small) => crc.update(buf.format(small).as_bytes()),
        Err(_) => crc.update(buf.format(v).as_bytes()),
    };
    for level in book.asks().take(10).chain(book.bids().take(10)) {
        feed(scaled_integer(level.price, price_decimals)?);
        feed(scaled_integer(level.qty, qty_decimals)?);
    }
    Some(crc.finalize())
}

#[cfg(test)]
mod streaming_tests {
    use super::*;
    use crate::types::Side;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        /// The streamed CRC equals the CRC of the documented string, for books of mixed
        /// scales and sizes (including quantities past u64 once scaled), and
        /// a precision too coarse for a level gives `None` in both.
        #[test]
        fn streamed_crc_equals_the_crc_of_the_string(
            bids in proptest::collection::vec((1i64..5_000_000, 0u32..6, 1i64..i64::MAX, 0u32..9), 0..15),
            asks in proptest::collection::vec((5_000_001i64..9_000_000, 0u32..6, 1i64..i64::MAX, 0u32..9), 0..15),
            pd in 7u32..10,
            qd in 8u32..12,
        ) {
            let mut book = OrderBook::new();
            for (side, levels) in [(Side::Bid, &bids), (Side::Ask, &asks)] {
                for (p, ps, q, qs) in levels {
                    let _ = book.set(side, Decimal::new(*p, *ps + 2), Decimal::new(*q, *qs));
                }
            }
            let expected = checksum_string(&book, pd, qd).map(|s| crc32fast::hash(s.as_bytes()));
            prop_assert!(expected.is_some(), "every level renders at these precisions");
            prop_assert_eq!(checksum(&book, pd, qd), expected);
            if !book.is_empty() {
                prop_assert_eq!(checksum(&book, 1, 0), checksum_string(&book, 1, 0).map(|s| crc32fast::hash(s.as_bytes())));
            }
        }
    }
}
