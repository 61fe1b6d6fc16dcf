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
        // Compact JSON: the byte here is not whitespace (every JSON whitespace byte is at
        // most a space), so the whitespace loop is skipped.
        if let Some(&c) = self.b.get(self.at) {
            if c > b' ' {
                self.at += 1;
                return Some(c);
            }
        }
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
        let (b, start) = (self.b, self.at);
        // The closing quote, or what serde would not borrow as is: eight bytes at a time
        // while there are eight, then byte by byte.
        let mut end = start;
        loop {
            match b.get(end..end + 8) {
                Some(chunk) => {
                    let n = string_run(chunk);
                    end += n;
                    if n < 8 {
                        break;
                    }
                }
                None => {
                    let rest = b.get(end..)?;
                    end += rest
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
                    break;
                }
            }
        }
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
        // Eight bytes at a time while eight are left (`digit_run`), then byte by byte.
        let mut tail = true;
        while let Some(chunk) = b.get(at..at + 8) {
            let (n, x) = digit_run(chunk);
            v = v.wrapping_mul(POW10[n]).wrapping_add(x);
            at += n;
            if n < 8 {
                tail = false;
                break;
            }
        }
        while let Some(&c) = b.get(at).filter(|_| tail) {
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
        if let Some(d) = self.short_decimal() {
            return Some(d);
        }
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

    /// The common short decimal (the cursor past its opening quote): up to 8 digits, then
    /// optionally `.` and up to 8 digits, then the closing quote, read eight bytes at a time
    /// (`digit_run`). Builds exactly what the byte loop of [`Cursor::decimal`] builds from
    /// the same text (the mantissa of all the digits, the scale the number of digits after
    /// the dot). `None`, the cursor unmoved, for anything else, or where fewer than eight
    /// bytes are left to load: the byte loop then reads it.
    #[inline(always)]
    fn short_decimal(&mut self) -> Option<Decimal> {
        let (b, start) = (self.b, self.at);
        let (int_len, int) = digit_run(b.get(start..start + 8)?);
        let after_int = start + int_len;
        let (end, frac_len, m) = match *b.get(after_int)? {
            b'"' => (after_int, 0, int),
            b'.' => {
                let (frac_len, frac) = digit_run(b.get(after_int + 1..after_int + 9)?);
                let end = after_int + 1 + frac_len;
                if *b.get(end)? != b'"' {
                    return None;
                }
                (end, frac_len, int * POW10[frac_len] + frac)
            }
            _ => return None,
        };
        // At least one digit (`""` and `"."` are the general parser's to refuse).
        if int_len + frac_len == 0 {
            return None;
        }
        let scale = frac_len as u32;
        self.at = end + 1;
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

/// How many of eight bytes come before the first `"`, `\\` or control byte (8: none
/// there). SWAR: a byte equal to `x` is a zero byte of `v ^ x`, found with the usual
/// `(w - 0x01..) & !w & 0x80..` test, and a byte below 0x20 by the same test on `v - 0x20..`;
/// a borrow can only mark bytes above a true hit, so the lowest mark is the first hit.
#[inline(always)]
fn string_run(b: &[u8]) -> usize {
    let Ok(bytes) = <[u8; 8]>::try_from(b) else {
        return 0;
    };
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let v = u64::from_le_bytes(bytes);
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let quote = zero(v ^ (ONES * u64::from(b'"')));
    let backslash = zero(v ^ (ONES * u64::from(b'\\')));
    let control = v.wrapping_sub(ONES * 0x20) & !v & HIGH;
    ((quote | backslash | control).trailing_zeros() / 8) as usize
}

/// Powers of ten up to `10^8`.
const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The leading ASCII digits of eight bytes: how many (0 to 8) and their value (SWAR: the
/// first byte that is not a digit found with one mask, the digits before it shifted to
/// the top and combined as [`eight_digits`] combines).
#[inline(always)]
fn digit_run(b: &[u8]) -> (usize, u64) {
    let Ok(bytes) = <[u8; 8]>::try_from(b) else {
        return (0, 0);
    };
    // Digits become 0..=9; a byte is not a digit when its low seven bits reach 10 (adding
    // 0x76 sets the byte's high bit, with no carry into the next byte) or its high bit is
    // set.
    let t = u64::from_le_bytes(bytes) ^ 0x3030_3030_3030_3030;
    let not_digit =
        (((t & 0x7F7F_7F7F_7F7F_7F7F) + 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080;
    let len = (not_digit.trailing_zeros() / 8) as usize;
    if len == 0 {
        return (0, 0);
    }
    // The `len` digits to the top bytes, zeros (digit 0) below: the first digit lands at
    // weight 10^(len-1).
    let d = t << (8 * (8 - len));
    let d = (d * 10 + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let d = (d * 100 + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    (len, (d * 10_000 + (d >> 32)) & 0xFFFF_FFFF)
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

    /// The next state of a xorshift64 generator (the tests' random inputs, seeded).
    fn xorshift(x: &mut u64) {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
    }

    /// Integers read as `str::parse::<u64>` reads plain digit runs, with the eight-digit
    /// steps and the overflow recheck past 19 digits; leading zeros, fractions and exponents
    /// refused.
    #[test]
    fn u64_equals_str_parse() {
        use super::Cursor;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for i in 0..100_000u64 {
            xorshift(&mut x);
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

    /// A decimal string reads as `parse_decimal` reads its text (up to the first quote; no
    /// escape or control byte), and the cursor stands past that quote: short plain
    /// numbers (the eight-byte path), longer ones, dots, signs, exponents, empty texts,
    /// texts cut by the end of the frame, with and without bytes after the string.
    #[test]
    fn decimal_equals_parse_decimal() {
        use super::{parse_decimal, Cursor};
        let mut x: u64 = 0xD1B5_4A32_D192_ED03;
        let alphabet = b"0123456789012345678901234567890123456789....-e\\\"\x01 ";
        for i in 0..300_000u64 {
            xorshift(&mut x);
            let len = (x % 21) as usize;
            let mut text = String::from("\"");
            for k in 0..len {
                let r = (x >> (k % 50)) as usize ^ (k * 7);
                // Mostly digits and at most a dot or two; the rest now and then.
                let c = if i % 3 == 0 {
                    alphabet[r % alphabet.len()]
                } else {
                    alphabet[r % 44]
                };
                text.push(char::from(c));
            }
            if i % 7 != 0 {
                text.push('"');
            }
            text.push_str(&"],[\"1\",\"2\"]]}"[..(x >> 40) as usize % 14]);
            let inner = &text[1..];
            let want = inner.find('"').and_then(|q| {
                let content = &inner[..q];
                let plain = content.bytes().all(|c| c != b'\\' && c >= 0x20);
                plain
                    .then(|| parse_decimal(content).ok())
                    .flatten()
                    .map(|d| (d, q + 2))
            });
            let mut c = Cursor::new(&text);
            let got = c.decimal().map(|d| (d, c.at));
            assert_eq!(got, want, "{text:?}");
            if let Some((d, _)) = got {
                assert_eq!(d.scale(), want.unwrap().0.scale(), "{text:?}");
            }
        }
    }

    /// Strings end at the first quote as a byte loop finds it, and are refused at a
    /// backslash or control byte first, eight bytes at a time or at the frame's end; bytes
    /// of multi-byte characters (0x80 and up) are plain text.
    #[test]
    fn string_equals_the_byte_loop() {
        use super::Cursor;
        let pieces = [
            "a", "b", "@", "é", "€", "\"", "\\", "\u{1}", "\u{1f}", " ", "~", "\u{7f}",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200_000u64 {
            xorshift(&mut x);
            let mut text = String::from("\"");
            for k in 0..(x % 24) {
                let r = ((x >> (k % 48)) ^ k) as usize;
                // Mostly plain letters; the special bytes now and then.
                let p = if (r >> 4) % 4 == 0 {
                    r % pieces.len()
                } else {
                    r % 5
                };
                text.push_str(pieces[p]);
            }
            if i % 5 != 0 {
                text.push_str("\",\"b\":1}");
            }
            let inner = &text[1..];
            let stop = inner.find(|c: char| c == '"' || c == '\\' || c < ' ');
            let want = stop
                .filter(|&n| inner.as_bytes()[n] == b'"')
                .map(|n| (&inner[..n], n + 2));
            let mut c = Cursor::new(&text);
            let got = c.string().map(|s| (s, c.at));
            assert_eq!(got, want, "{text:?}");
        }
    }

    /// Eight digits at once read as the byte loop reads them; anything else refused.
    #[test]
    fn eight_digits_equals_the_byte_loop() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200_000u64 {
            xorshift(&mut x);
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

    /// The leading digits of eight bytes counted and valued as a byte loop does.
    #[test]
    fn digit_run_equals_the_byte_loop() {
        use super::digit_run;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for i in 0..200_000u64 {
            xorshift(&mut x);
            let mut b = [0u8; 8];
            for (k, c) in b.iter_mut().enumerate() {
                let r = (x >> (k * 8)) as u8;
                *c = match (i + k as u64 * 3) % 11 {
                    0 => r,
                    1 => [b'/', b':', b'.', b'"', 0xB0, 0xB9][usize::from(r) % 6],
                    _ => b'0' + r % 10,
                };
            }
            let len = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let value = b[..len]
                .iter()
                .fold(0u64, |m, &c| m * 10 + u64::from(c - b'0'));
            assert_eq!(digit_run(&b), (len, value), "{b:?}");
        }
        assert_eq!(digit_run(b"12345678"), (8, 12_345_678));
        assert_eq!(digit_run(b"\"2345678"), (0, 0));
        assert_eq!(digit_run(b"1234567"), (0, 0));
    }
}
