//! A hand-written one-pass reader for Binance diff-depth frames, the hot path of
//! [`parse`](super::parse::parse).
//!
//! It walks the frame's bytes once: the combined-stream envelope
//! `{"stream":"btcusdt@depth@100ms","data":{..}}` (keys in either order) or a bare raw-stream
//! event, the `depthUpdate` fields in any order (`e`, `E`, `s`, `U`, `u`, `pu`, `T`, `b`, `a`)
//! and the `[["price","qty"],..]` arrays straight into [`Level`]s. No `Vec` of strings, no
//! serde value. It answers only frames it fully understands: plain unescaped strings, plain
//! non-negative integers (no sign, fraction, exponent or leading zero; within `u64`),
//! levels of exactly two strings that [`parse_decimal`] accepts, each field at most once,
//! nothing after the closing brace but JSON whitespace. On anything else (escapes, exponents,
//! unknown keys, other event types, a cut frame, a symbol or time the metadata rejects) it
//! returns `None` and the caller takes the general serde reading, which then gives the
//! answer and its typed error. Where it answers, the general reading gives the same delta
//! (tested on every frame of the captures, on cut and byte-changed copies, and on random
//! valid frames).

use crate::exchange::fields::meta;
use crate::types::num::parse_decimal;
use crate::types::{BookDelta, Exchange, Level, SeqIds, Timestamp};
use rust_decimal::Decimal;

/// A cursor over the frame's bytes. Every read returns `None` at the end or on a byte it
/// does not expect; nothing indexes out of bounds.
struct Cursor<'a> {
    text: &'a str,
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    // The loops below work on local copies of the position and store it once: through
    // `self` the compiler keeps it in memory and pays a load and a store per byte.

    #[inline(always)]
    fn ws(&mut self) {
        let (b, mut at) = (self.b, self.at);
        while let Some(&c) = b.get(at) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            at += 1;
        }
        self.at = at;
    }

    /// The next byte after whitespace, consumed.
    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        self.ws();
        let c = *self.b.get(self.at)?;
        self.at += 1;
        Some(c)
    }

    /// The next byte after whitespace, not consumed.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.at).copied()
    }

    #[inline(always)]
    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// A string with no escape and no control character (what serde borrows as `&str`),
    /// after whitespace; the cursor stands past its closing quote.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let len = self.b.get(start..)?.iter().position(|&c| {
            // The closing quote, or what serde would not borrow as is.
            c == b'"' || c == b'\\' || c < 0x20
        })?;
        let end = start + len;
        if self.b[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        self.text.get(start..end)
    }

    /// A plain non-negative integer that fits a `u64`: `0`, or a non-zero digit and more
    /// digits. A fraction or exponent after it, or an overflow, is refused.
    #[inline(always)]
    fn u64(&mut self) -> Option<u64> {
        self.ws();
        let (b, start) = (self.b, self.at);
        let mut at = start;
        let mut v: u64 = 0;
        while let Some(&c) = b.get(at) {
            let d = c.wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(d))?;
            at += 1;
        }
        let len = at - start;
        if len == 0 || (len > 1 && b[start] == b'0') {
            return None;
        }
        if matches!(b.get(at), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.at = at;
        Some(v)
    }

    /// `null`, consumed.
    #[inline(always)]
    fn null(&mut self) -> Option<()> {
        self.ws();
        let end = self.at.checked_add(4)?;
        (self.b.get(self.at..end)? == b"null").then(|| self.at = end)
    }

    /// A decimal string, after whitespace. A plain text (ASCII digits, at most one `.`, 1 to
    /// 19 digits, at most 20 bytes) is read into its mantissa while the closing quote is
    /// looked for, giving exactly what [`parse_decimal`]'s plain path builds; any other
    /// string goes through [`parse_decimal`] whole. `None` if that fails (the general
    /// reading then reports the typed error).
    #[inline(always)]
    fn decimal(&mut self) -> Option<Decimal> {
        self.expect(b'"')?;
        let (b, start) = (self.b, self.at);
        let mut at = start;
        let mut m: u64 = 0;
        let mut dot = usize::MAX;
        loop {
            let c = *b.get(at)?;
            let d = c.wrapping_sub(b'0');
            if d < 10 {
                m = m.wrapping_mul(10).wrapping_add(u64::from(d));
            } else if c == b'.' && dot == usize::MAX {
                dot = at;
                // Binance writes 8 decimals (spot) or a few (USD-M): eight digits at once
                // where they are there, the same mantissa as eight steps of the loop.
                if let Some(v) = b.get(at + 1..at + 9).and_then(eight_digits) {
                    m = m.wrapping_mul(100_000_000).wrapping_add(v);
                    at += 8;
                }
            } else if c == b'"' {
                break;
            } else {
                // Not plain: the whole string through the general parser.
                self.at = start - 1;
                return parse_decimal(self.string()?).ok();
            }
            at += 1;
        }
        self.at = at + 1;
        let len = at - start;
        let digits = if dot == usize::MAX { len } else { len - 1 };
        if digits == 0 || digits > 19 || len > 20 {
            return parse_decimal(self.text.get(start..at)?).ok();
        }
        let scale = if dot == usize::MAX {
            0
        } else {
            (start + len - 1 - dot) as u32
        };
        Some(Decimal::from_parts(
            m as u32,
            (m >> 32) as u32,
            0,
            false,
            scale,
        ))
    }

    /// `[["price","qty"],..]` into `out`.
    fn levels(&mut self, out: &mut Vec<Level>) -> Option<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.expect(b'[')?;
            let price = self.decimal()?;
            self.expect(b',')?;
            let qty = self.decimal()?;
            self.expect(b']')?;
            out.push(Level::new(price, qty));
            match self.next()? {
                b',' => {}
                b']' => return Some(()),
                _ => return None,
            }
        }
    }
}

/// Eight ASCII digits as their value (SWAR: one 64-bit load, a digit check and three
/// multiplies); `None` if any byte is not a digit.
#[inline]
fn eight_digits(b: &[u8]) -> Option<u64> {
    let v = u64::from_le_bytes(b.try_into().ok()?);
    // Each byte 0x30..=0x39: high nibble 3, and adding 6 keeps it 3.
    let high = v & 0xF0F0_F0F0_F0F0_F0F0;
    let carry = (v.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4;
    if high | carry != 0x3333_3333_3333_3333 {
        return None;
    }
    // Pairs, then quadruples, then the whole (first byte most significant).
    let d = v - 0x3030_3030_3030_3030;
    let d = (d * 10 + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let d = (d * 100 + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((d * 10_000 + (d >> 32)) & 0xFFFF_FFFF)
}

/// The fields of one `depthUpdate` event as read.
#[derive(Default)]
struct Event<'a> {
    seen_e: bool,
    event_time: Option<u64>,
    symbol: Option<&'a str>,
    first_id: Option<u64>,
    last_id: Option<u64>,
    /// `Some(None)`: `"pu":null`.
    prev_id: Option<Option<u64>>,
    seen_t: bool,
    bids: Option<Vec<Level>>,
    asks: Option<Vec<Level>>,
}

/// Puts `value` into an empty `slot`; `None` if the field came twice.
#[inline]
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// Where a level array goes: a fresh `Vec`, sized for a typical Binance diff.
#[inline]
fn side(c: &mut Cursor<'_>, slot: &mut Option<Vec<Level>>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    let mut v = Vec::with_capacity(16);
    c.levels(&mut v)?;
    *slot = Some(v);
    Some(())
}

impl<'a> Event<'a> {
    /// Reads one event field named `key` (the cursor past its `:`).
    fn field(&mut self, key: &str, c: &mut Cursor<'a>) -> Option<()> {
        match key {
            "e" => {
                if self.seen_e || c.string()? != "depthUpdate" {
                    return None;
                }
                self.seen_e = true;
            }
            "E" => once(&mut self.event_time, c.u64()?)?,
            "s" => once(&mut self.symbol, c.string()?)?,
            "U" => once(&mut self.first_id, c.u64()?)?,
            "u" => once(&mut self.last_id, c.u64()?)?,
            "pu" => {
                let v = if c.peek()? == b'n' {
                    c.null()?;
                    None
                } else {
                    Some(c.u64()?)
                };
                once(&mut self.prev_id, v)?;
            }
            // USD-M transaction time: not kept (the general reading ignores it), but only a
            // plain integer is accepted here.
            "T" => {
                if self.seen_t {
                    return None;
                }
                c.u64()?;
                self.seen_t = true;
            }
            "b" => side(c, &mut self.bids)?,
            "a" => side(c, &mut self.asks)?,
            _ => return None,
        }
        Some(())
    }

    /// The rest of an object whose `{` and first key (`first`, the cursor past its `:`) are
    /// read: every field, then the closing `}`.
    fn object(&mut self, first: &'a str, c: &mut Cursor<'a>) -> Option<()> {
        let mut key = first;
        loop {
            self.field(key, c)?;
            match c.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
            key = c.string()?;
            c.expect(b':')?;
        }
    }

    fn into_delta(
        self,
        exchange: Exchange,
        received_at: Timestamp,
        bare: bool,
    ) -> Option<BookDelta> {
        // A bare frame is a diff only by its `e` (as the general reading tells it).
        if bare && !self.seen_e {
            return None;
        }
        let time = crate::exchange::fields::unix_millis(Some(self.event_time?)).ok()?;
        Some(BookDelta {
            meta: meta(exchange, self.symbol?, time, received_at).ok()?,
            bids: self.bids?,
            asks: self.asks?,
            seq: SeqIds {
                first_id: Some(self.first_id?),
                last_id: Some(self.last_id?),
                prev_id: self.prev_id.flatten(),
            },
            checksum: None,
        })
    }
}

/// Reads a whole frame as a diff-depth event: a combined-stream envelope whose stream is a
/// diff-depth stream (`is_diff_stream`), or a bare `depthUpdate`. `None` on anything else
/// (see the module docs): the general reading decides then.
pub(super) fn depth_update(
    exchange: Exchange,
    frame: &str,
    received_at: Timestamp,
    is_diff_stream: impl Fn(&str) -> bool,
) -> Option<BookDelta> {
    let mut c = Cursor {
        text: frame,
        b: frame.as_bytes(),
        at: 0,
    };
    c.expect(b'{')?;
    let key = c.string()?;
    c.expect(b':')?;
    let mut event = Event::default();
    let bare = match key {
        "stream" => {
            if !is_diff_stream(c.string()?) {
                return None;
            }
            c.expect(b',')?;
            if c.string()? != "data" {
                return None;
            }
            c.expect(b':')?;
            data(&mut event, &mut c)?;
            c.expect(b'}')?;
            false
        }
        "data" => {
            data(&mut event, &mut c)?;
            c.expect(b',')?;
            if c.string()? != "stream" {
                return None;
            }
            c.expect(b':')?;
            if !is_diff_stream(c.string()?) {
                return None;
            }
            c.expect(b'}')?;
            false
        }
        _ => {
            event.object(key, &mut c)?;
            true
        }
    };
    c.ws();
    if c.at != c.b.len() {
        return None;
    }
    event.into_delta(exchange, received_at, bare)
}

/// The `data` object (the cursor past `"data":`).
fn data<'a>(event: &mut Event<'a>, c: &mut Cursor<'a>) -> Option<()> {
    c.expect(b'{')?;
    // An empty object lacks the required fields.
    let first = c.string()?;
    c.expect(b':')?;
    event.object(first, c)
}

#[cfg(test)]
mod tests {
    use super::eight_digits;

    /// Eight digits at once read as the byte loop reads them; anything else refused.
    #[test]
    fn eight_digits_equals_the_byte_loop() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut b = [0u8; 8];
            for (k, c) in b.iter_mut().enumerate() {
                let r = (x >> (k * 8)) as u8;
                // Mostly digits, sometimes a neighbour of the digit range or any byte.
                *c = match (i + k as u64) % 23 {
                    0 => r,
                    1 => b'/' + (r & 1) * 11,
                    _ => b'0' + r % 10,
                };
            }
            let by_loop = b.iter().try_fold(0u64, |m, &c| {
                c.is_ascii_digit().then(|| m * 10 + u64::from(c - b'0'))
            });
            assert_eq!(eight_digits(&b), by_loop, "{b:?}");
        }
        assert_eq!(eight_digits(b"00000000"), Some(0));
        assert_eq!(eight_digits(b"99999999"), Some(99_999_999));
        assert_eq!(eight_digits(b"12345678"), Some(12_345_678));
        assert_eq!(eight_digits(b"1234567"), None);
    }
}
