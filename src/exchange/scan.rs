//! A byte cursor for the venues' hand-written one-pass readers (Binance diff depth,
//! Poloniex `book_lv2`): plain unescaped strings, plain non-negative integers, exact
//! decimals and `[["price","qty"],..]` levels, each read answering `None` on anything it does
//! not fully understand so that the caller takes its general serde reading (and its typed
//! errors). Pure; nothing indexes out of bounds.

use crate::types::num::parse_decimal;
use crate::types::Level;
use rust_decimal::Decimal;

/// A cursor over the frame's bytes. Every read returns `None` at the end or on a byte it
/// does not expect; nothing indexes out of bounds.
pub(crate) struct Cursor<'a> {
    text: &'a str,
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Cursor {
            text,
            b: text.as_bytes(),
            at: 0,
        }
    }

    /// True when every byte was read.
    pub(crate) fn at_end(&self) -> bool {
        self.at == self.b.len()
    }

    // The loops below work on local copies of the position and store it once: through
    // `self` the compiler keeps it in memory and pays a load and a store per byte.

    #[inline(always)]
    pub(crate) fn ws(&mut self) {
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
    pub(crate) fn next(&mut self) -> Option<u8> {
        self.ws();
        let c = *self.b.get(self.at)?;
        self.at += 1;
        Some(c)
    }

    /// The next byte after whitespace, not consumed.
    #[inline(always)]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.at).copied()
    }

    #[inline(always)]
    pub(crate) fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// A string with no escape and no control character (what serde borrows as `&str`),
    /// after whitespace; the cursor stands past its closing quote.
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Option<&'a str> {
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
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.ws();
        let (b, start) = (self.b, self.at);
        let mut at = start;
        let mut v: u64 = 0;
        // Eight digits at a time while there are (timestamps and update ids have 12 to 13),
        // then one by one. Wrapping arithmetic: up to 19 digits cannot overflow, and longer
        // runs are read again with checks below.
        while let Some(x) = b.get(at..at + 8).and_then(eight_digits) {
            v = v.wrapping_mul(100_000_000).wrapping_add(x);
            at += 8;
        }
        while let Some(&c) = b.get(at) {
            let d = c.wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            at += 1;
        }
        let len = at - start;
        if len == 0 || (len > 1 && b[start] == b'0') {
            return None;
        }
        if len > 19 {
            v = b[start..at].iter().try_fold(0u64, |v, &c| {
                v.checked_mul(10)?.checked_add(u64::from(c - b'0'))
            })?;
        }
        if matches!(b.get(at), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.at = at;
        Some(v)
    }

    /// `null`, consumed.
    #[inline(always)]
    pub(crate) fn null(&mut self) -> Option<()> {
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
    pub(crate) fn decimal(&mut self) -> Option<Decimal> {
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
    pub(crate) fn levels(&mut self, out: &mut Vec<Level>) -> Option<()> {
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

#[cfg(test)]
mod tests {
    use super::eight_digits;

    /// Integers read as `str::parse::<u64>` reads plain digit runs, with the eight-digit
    /// steps and the overflow recheck past 19 digits; leading zeros, fractions and exponents
    /// refused.
    #[test]
    fn u64_equals_str_parse() {
        use super::Cursor;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for i in 0..100_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = 1 + (i % 22) as usize;
            let mut text: String = (0..digits)
                .map(|k| char::from(b'0' + ((x >> (k % 60)) % 10) as u8))
                .collect();
            if i % 5 == 0 {
                text = u64::MAX.to_string();
                if i % 10 == 0 {
                    text.push('0');
                }
            }
            let want = text
                .parse::<u64>()
                .ok()
                .filter(|_| text.len() == 1 || !text.starts_with('0'));
            let got = Cursor::new(&format!("{text},")).u64();
            assert_eq!(got, want, "{text}");
        }
        for t in ["1.5,", "1e3,", "01,", "-1,", ","] {
            assert_eq!(Cursor::new(t).u64(), None, "{t}");
        }
        assert_eq!(Cursor::new("18446744073709551615}").u64(), Some(u64::MAX));
        assert_eq!(Cursor::new("18446744073709551616}").u64(), None);
    }

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
