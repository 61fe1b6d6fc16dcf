//! The OKX legacy book checksum (deprecated: `0` on every frame since 2026-06-23 in
//! production, which means "absent").
//!
//! 1. Take the first 25 bids (price descending) and 25 asks (price ascending) of the book.
//! 2. Interleave them, `bid1price:bid1size:ask1price:ask1size:bid2price:...`; when one side
//!    is shorter, go on with the other side's remaining levels.
//! 3. CRC32 (IEEE) of that string, read as a **signed** 32-bit integer (stored here as its
//!    two's-complement bits, like [`Checksum`](crate::types::Checksum)).
//!
//! OKX uses the strings as sent. The book keeps exact decimals, not strings, so each price
//! and size is written back in its shortest form (no trailing zeros, no exponent). This
//! assumes that OKX writes its levels in shortest form; the recorded capture
//! (`tests/fixtures/okx/OKX.ws.1.0`, 290 snapshots and updates of spot, swap and future
//! books) verifies 290 of 290 checksums with it (`tests/okx_checksums.rs`).

use crate::book::OrderBook;
use crate::exchange::ChecksumMemo;
use crate::types::{Level, Side};
use rust_decimal::Decimal;
use std::fmt::Write;

/// Levels per side that the checksum covers.
pub const LEVELS: usize = 25;

fn push(s: &mut String, value: Decimal) {
    if !s.is_empty() {
        s.push(':');
    }
    // Writing to a String cannot fail.
    let _ = write!(s, "{}", value.normalize());
}

fn push_level(s: &mut String, level: Option<Level>) {
    if let Some(l) = level {
        push(s, l.price);
        push(s, l.qty);
    }
}

/// The checksum input string of `book`'s top 25 levels per side.
pub fn checksum_string(book: &OrderBook) -> String {
    let mut s = String::with_capacity(1200);
    let mut bids = book.bids().take(LEVELS);
    let mut asks = book.asks().take(LEVELS);
    loop {
        let (b, a) = (bids.next(), asks.next());
        if b.is_none() && a.is_none() {
            return s;
        }
        push_level(&mut s, b);
        push_level(&mut s, a);
    }
}

/// Hands `value` in shortest form to `put`, piece by piece, as `push` writes it, without
/// building a string: trailing zeros of the mantissa go, then the digits are split at the
/// scale.
#[inline(always)]
fn shortest(buf: &mut itoa::Buffer, value: Decimal, mut put: impl FnMut(&[u8])) {
    let mut m = value.mantissa();
    let mut scale = value.scale() as usize;
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    if m < 0 {
        put(b"-");
    }
    let digits = buf.format(m.unsigned_abs()).as_bytes();
    if scale == 0 {
        put(digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        put(int);
        put(b".");
        put(frac);
    } else {
        put(b"0.");
        for _ in digits.len()..scale {
            put(b"0");
        }
        put(digits);
    }
}

/// Feeds `value` in shortest form to `crc`.
fn feed(crc: &mut crc32fast::Hasher, buf: &mut itoa::Buffer, value: Decimal) {
    shortest(buf, value, |bytes| crc.update(bytes));
}

/// The OKX CRC32 of `book` as the bits of the signed value OKX sends: the CRC of
/// [`checksum_string`], streamed. The decimals are not used (OKX writes levels in shortest
/// form); the signature is the spec's [`ChecksumSpec::compute`](crate::exchange::ChecksumSpec).
pub fn checksum(book: &OrderBook, _price_decimals: u32, _qty_decimals: u32) -> Option<u32> {
    let mut crc = crc32fast::Hasher::new();
    let mut buf = itoa::Buffer::new();
    let mut first = true;
    let mut level = |crc: &mut crc32fast::Hasher, l: Option<Level>| {
        if let Some(l) = l {
            for v in [l.price, l.qty] {
                if !first {
                    crc.update(b":");
                }
                first = false;
                feed(crc, &mut buf, v);
            }
        }
    };
    let mut bids = book.raw_top(Side::Bid, LEVELS).map(|(_, l)| l);
    let mut asks = book.raw_top(Side::Ask, LEVELS).map(|(_, l)| l);
    loop {
        let (b, a) = (bids.next(), asks.next());
        if b.is_none() && a.is_none() {
            return Some(crc.finalize());
        }
        level(&mut crc, b);
        level(&mut crc, a);
    }
}

/// Appends `value` in shortest form, as `push` writes it (and `feed` hashes it).
fn write_shortest(out: &mut Vec<u8>, buf: &mut itoa::Buffer, value: Decimal) {
    shortest(buf, value, |bytes| out.extend_from_slice(bytes));
}

/// [`checksum`] with the text (`price:size`) of every level that `memo` saw unchanged at
/// the last call copied instead of written again (the same value: see [`ChecksumMemo`]).
pub(crate) fn checksum_memo(
    book: &OrderBook,
    price_decimals: u32,
    qty_decimals: u32,
    memo: &mut ChecksumMemo,
) -> Option<u32> {
    let (Some((bid_keys, bids)), Some((ask_keys, asks))) = (
        book.hot_top(Side::Bid, LEVELS),
        book.hot_top(Side::Ask, LEVELS),
    ) else {
        return checksum(book, price_decimals, qty_decimals);
    };
    // The text depends on the price's scale (the book's), never on the decimals.
    memo.set_format(book.price_scale(), 0, 0);
    let mut buf = itoa::Buffer::new();
    let mut render = |_: i64, level: &Level, out: &mut Vec<u8>| {
        write_shortest(out, &mut buf, level.price);
        out.push(b':');
        write_shortest(out, &mut buf, level.qty);
        Some(())
    };
    memo.bids.refresh(Side::Bid, bid_keys, bids, &mut render)?;
    memo.asks.refresh(Side::Ask, ask_keys, asks, &mut render)?;
    // bid1:ask1:bid2:ask2:..., the longer side going on alone.
    let joined = &mut memo.joined;
    joined.clear();
    for i in 0..bids.len().max(asks.len()) {
        for text in [memo.bids.text(i), memo.asks.text(i)].into_iter().flatten() {
            if !joined.is_empty() {
                joined.push(b':');
            }
            joined.extend_from_slice(text);
        }
    }
    Some(crc32fast::hash(joined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn book(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> OrderBook {
        let mut b = OrderBook::new();
        for (p, q) in bids {
            b.set(Side::Bid, d(p), d(q)).unwrap();
        }
        for (p, q) in asks {
            b.set(Side::Ask, d(p), d(q)).unwrap();
        }
        b
    }

    /// The protocol reference's worked examples (§7): the values are OKX's signed ints.
    #[test]
    fn worked_examples_of_the_protocol_reference() {
        let b = book(
            &[("3366.1", "7"), ("3366", "6")],
            &[("3366.8", "9"), ("3368", "8")],
        );
        assert_eq!(checksum_string(&b), "3366.1:7:3366.8:9:3366:6:3368:8");
        assert_eq!(checksum(&b, 0, 0).map(|v| v as i32), Some(-1_881_014_294));
        // One bid, three asks: the asks go on alone.
        let b = book(
            &[("3366.1", "7")],
            &[("3366.8", "9"), ("3368", "8"), ("3372", "8")],
        );
        assert_eq!(checksum_string(&b), "3366.1:7:3366.8:9:3368:8:3372:8");
        assert_eq!(checksum(&b, 0, 0).map(|v| v as i32), Some(831_078_360));
    }

    proptest::proptest! {
        /// The streamed CRC equals the CRC of the documented string, for books of mixed
        /// scales (trailing zeros, values below 1, many decimals) and sizes.
        #[test]
        fn streamed_crc_equals_the_crc_of_the_string(
            bids in proptest::collection::vec((1i64..5_000_000, 0u32..12, 1i64..i64::MAX, 0u32..18), 0..40),
            asks in proptest::collection::vec((5_000_001i64..9_000_000, 0u32..12, 1i64..i64::MAX, 0u32..18), 0..40),
        ) {
            let mut book = OrderBook::new();
            for (side, levels) in [(Side::Bid, &bids), (Side::Ask, &asks)] {
                for (p, ps, q, qs) in levels {
                    let _ = book.set(side, Decimal::new(*p * 100, *ps + 2), Decimal::new(*q, *qs));
                }
            }
            let expected = crc32fast::hash(checksum_string(&book).as_bytes());
            proptest::prop_assert_eq!(checksum(&book, 0, 0), Some(expected));
        }
    }

    proptest::proptest! {
        /// With one memo kept across random sequences of mutations (at the touch and past
        /// the 25 levels, deletes, finer prices that rescale the book, truncation, a second
        /// book read with the same memo), the memo checksum equals the streamed one from
        /// scratch after every step.
        #[test]
        fn memo_checksum_equals_the_one_from_scratch(
            ops in proptest::collection::vec((0u8..11, 0i64..80, 0u32..3, 0i64..5, proptest::bool::ANY), 1..200),
        ) {
            let other = book(&[("1.5", "2")], &[("3", "0.10")]);
            let mut book = OrderBook::new();
            let mut memo = ChecksumMemo::new();
            for (op, p, ps, q, bid) in ops {
                let side = if bid { Side::Bid } else { Side::Ask };
                let price = Decimal::new(if bid { 100 + p } else { 200 + p } * 10i64.pow(ps) + i64::from(ps), ps);
                match op {
                    0..=7 => { let _ = book.set(side, price, Decimal::new(q * 100 + p, 2)); }
                    8 => book.truncate((p % 30) as usize),
                    _ => {}
                }
                let b = if op == 10 { &other } else { &book };
                proptest::prop_assert_eq!(checksum_memo(b, 0, 0, &mut memo), checksum(b, 0, 0));
                proptest::prop_assert_eq!(checksum(b, 0, 0), Some(crc32fast::hash(checksum_string(b).as_bytes())));
            }
        }
    }

    #[test]
    fn levels_are_written_in_shortest_form_and_cut_at_25() {
        let bids: Vec<(String, String)> = (0..30)
            .map(|i| (format!("{}.10", 100 - i), "1.500".to_string()))
            .collect();
        let bids: Vec<(&str, &str)> = bids.iter().map(|(p, q)| (&p[..], &q[..])).collect();
        let b = book(&bids, &[]);
        let s = checksum_string(&b);
        assert!(s.starts_with("100.1:1.5:99.1:1.5:"), "{s}");
        assert_eq!(s.split(':').count(), 50);
        assert_eq!(checksum_string(&OrderBook::new()), "");
    }
}
