//! Kraken book checksum (v1 and v2 share the algorithm; only the input precision differs).
//!
//! 1. Top 10 asks (price ascending), then top 10 bids (price descending).
//! 2. Each price and quantity rendered with a fixed number of decimals (v1: as the strings
//!    were received; v2: the instrument's `price_precision` / `qty_precision`), the `.`
//!    removed and leading zeros stripped: that is the decimal integer `value * 10^decimals`.
//! 3. Concatenate price then quantity for every level; CRC32 (IEEE) as an unsigned integer.

use crate::book::OrderBook;
use crate::exchange::ChecksumMemo;
use crate::types::num::{scaled_integer, scaled_parts};
use crate::types::{Level, Side};
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
    let top = book
        .raw_top(Side::Ask, 10)
        .chain(book.raw_top(Side::Bid, 10));
    for (key, level) in top {
        let qty = &level.qty;
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

/// [`checksum`] with the digits of every level that `memo` saw unchanged at the last call
/// copied instead of written again (the same value: see [`ChecksumMemo`]).
pub(crate) fn checksum_memo(
    book: &OrderBook,
    price_decimals: u32,
    qty_decimals: u32,
    memo: &mut ChecksumMemo,
) -> Option<u32> {
    let (Some((ask_keys, asks)), Some((bid_keys, bids))) =
        (book.hot_top(Side::Ask, 10), book.hot_top(Side::Bid, 10))
    else {
        return checksum(book, price_decimals, qty_decimals);
    };
    let key_scale = book.price_scale();
    memo.set_format(key_scale, price_decimals, qty_decimals);
    let render = |key: i64, level: &Level, out: &mut Vec<u8>| {
        // Keys are never negative (the book refuses negative prices).
        let key = u128::try_from(key).ok()?;
        let mut tmp = itoa::Buffer::new();
        for v in [
            scaled_parts(key, key_scale, price_decimals)?,
            scaled_integer(level.qty, qty_decimals)?,
        ] {
            let digits = match u64::try_from(v) {
                Ok(small) => tmp.format(small),
                Err(_) => tmp.format(v),
            };
            out.extend_from_slice(digits.as_bytes());
        }
        Some(())
    };
    memo.asks.refresh(Side::Ask, ask_keys, asks, render)?;
    memo.bids.refresh(Side::Bid, bid_keys, bids, render)?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(memo.asks.bytes());
    crc.update(memo.bids.bytes());
    Some(crc.finalize())
}

#[cfg(test)]
mod streaming_tests {
    use super::*;
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

        /// With one memo kept across random sequences of mutations (sets and deletes at the
        /// touch and deeper, finer prices that rescale the book, depth truncation, a
        /// snapshot, a second book read with the same memo) and changing decimals, the
        /// memo checksum equals the one computed from scratch after every step, including
        /// `None` for decimals too coarse for a level.
        #[test]
        fn memo_checksum_equals_the_one_from_scratch(
            ops in proptest::collection::vec((0u8..12, 0i64..60, 0u32..3, 0i64..5, proptest::bool::ANY), 1..200),
        ) {
            let mut book = OrderBook::with_depth(30);
            let mut other = OrderBook::new();
            let _ = other.set(Side::Bid, Decimal::new(5, 0), Decimal::new(7, 1));
            let mut memo = ChecksumMemo::new();
            for (op, p, ps, q, bid) in ops {
                let side = if bid { Side::Bid } else { Side::Ask };
                let price = Decimal::new(if bid { 100 + p } else { 200 + p } * 10i64.pow(ps) + i64::from(ps), ps);
                match op {
                    0..=7 => { let _ = book.set(side, price, Decimal::new(q * 1000 + p, 3)); }
                    8 => book.truncate((p % 15) as usize),
                    9 => { let _ = book.apply_snapshot(&[crate::types::Level::new(price, Decimal::ONE)], &[]); }
                    _ => {}
                }
                let b = if op == 10 { &other } else { &book };
                let (pd, qd) = if op == 11 { (1, 2) } else { (2 + p as u32 % 2, 3) };
                prop_assert_eq!(checksum_memo(b, pd, qd, &mut memo), checksum(b, pd, qd));
            }
        }
    }
}
