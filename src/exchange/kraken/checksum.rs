//! Kraken book checksum (v1 and v2 share the algorithm; only the input precision differs).
//!
//! 1. Top 10 asks (price ascending), then top 10 bids (price descending).
//! 2. Each price and quantity rendered with a fixed number of decimals (v1: as the strings
//!    were received; v2: the instrument's `price_precision` / `qty_precision`), the `.`
//!    removed and leading zeros stripped: that is the decimal integer `value * 10^decimals`.
//! 3. Concatenate price then quantity for every level; CRC32 (IEEE) as an unsigned integer.

use crate::book::OrderBook;
use crate::types::num::{scaled_integer, scaled_parts};
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

/// Most bytes the checksum input can have: 20 levels, two integers each, at most 39
/// digits per `u128`.
const MAX_INPUT: usize = 20 * 2 * 39;

/// Appends the decimal digits of `v` (no sign, no leading zeros, `0` for zero), as
/// `{v}` formats it.
#[inline]
fn push_digits(buf: &mut [u8; MAX_INPUT], len: &mut usize, v: u128) {
    let mut tmp = itoa::Buffer::new();
    let digits = match u64::try_from(v) {
        Ok(small) => tmp.format(small),
        Err(_) => tmp.format(v),
    }
    .as_bytes();
    buf[*len..*len + digits.len()].copy_from_slice(digits);
    *len += digits.len();
}

/// The Kraken CRC32 checksum of `book`'s top 10 levels per side: the CRC of
/// [`checksum_string`], computed without building it. The levels are read as the book's
/// integer keys (no `Decimal` per price), the digits written into one stack buffer and
/// hashed in one call (the CRC's wide path; fed number by number it ran the byte-wise
/// one). Formatting into a `String` was most of the cost of a Kraken update.
pub fn checksum(book: &OrderBook, price_decimals: u32, qty_decimals: u32) -> Option<u32> {
    let mut buf = [0u8; MAX_INPUT];
    let mut len = 0;
    let key_scale = book.price_scale();
    for (key, qty) in book.raw_asks().take(10).chain(book.raw_bids().take(10)) {
        // Keys are never negative (the book refuses negative prices).
        let key = u128::try_from(key).ok()?;
        push_digits(
            &mut buf,
            &mut len,
            scaled_parts(key, key_scale, price_decimals)?,
        );
        push_digits(&mut buf, &mut len, scaled_integer(*qty, qty_decimals)?);
    }
    Some(crc32fast::hash(&buf[..len]))
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
