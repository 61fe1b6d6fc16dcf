//! Exact decimal parsing for wire prices and quantities.
//!
//! Prices and sizes arrive as decimal strings (`"0.35130000"`) or, on Kraken v2, as JSON number
//! tokens (`45283.5`, possibly `1e-8`). Both are parsed digit by digit into a
//! [`rust_decimal::Decimal`] that keeps the scale as written (trailing zeros preserved), so
//! nothing ever passes through `f64`.

use rust_decimal::Decimal;
use std::fmt;

/// Largest scale a [`Decimal`] can carry.
pub const MAX_SCALE: u32 = 28;

/// Why a decimal text could not be parsed exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NumError {
    /// Empty text.
    Empty,
    /// A character that is not part of a decimal number.
    InvalidChar(char),
    /// More significant digits, or a larger scale, than a `Decimal` holds exactly.
    OutOfRange,
    /// A negative value where only non-negative values make sense (prices, sizes).
    Negative,
}

impl fmt::Display for NumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumError::Empty => f.write_str("empty number"),
            NumError::InvalidChar(c) => write!(f, "invalid character {c:?} in number"),
            NumError::OutOfRange => f.write_str("number out of exact decimal range"),
            NumError::Negative => f.write_str("negative value"),
        }
    }
}

impl std::error::Error for NumError {}

const MAX_MANTISSA: u128 = (1u128 << 96) - 1;

/// Parses a non-negative decimal such as `"0.35130000"`, `"45283.5"`, `"1e-8"` or `"20108"`
/// exactly. The scale of the result is the number of decimals written (after applying an
/// exponent), so `"0.10000000"` keeps scale 8.
pub fn parse_decimal(text: &str) -> Result<Decimal, NumError> {
    if let Some((m, scale)) = parse_plain(text.as_bytes()) {
        return Ok(Decimal::from_parts(
            m as u32,
            (m >> 32) as u32,
            0,
            false,
            scale,
        ));
    }
    let (mantissa, scale) = parse_parts_general(text)?;
    Ok(Decimal::from_i128_with_scale(mantissa as i128, scale))
}

/// Parses into `(mantissa, scale)` with `value = mantissa / 10^scale` (what
/// [`parse_decimal`] builds its `Decimal` from; the tests compare the paths through it).
#[cfg(test)]
fn parse_parts(text: &str) -> Result<(u128, u32), NumError> {
    match parse_plain(text.as_bytes()) {
        Some((m, scale)) => Ok((u128::from(m), scale)),
        None => parse_parts_general(text),
    }
}

/// The common case on the hot path: only ASCII digits and at most one `.`, at most 19
/// digits (so the mantissa fits a `u64` without any overflow check). `None` for anything
/// else (sign, exponent, more digits, a bad character, no digit), which
/// [`parse_parts_general`] then parses or rejects with its typed error; on the texts this
/// accepts both give the same `(mantissa, scale)` (tested).
#[inline]
fn parse_plain(bytes: &[u8]) -> Option<(u64, u32)> {
    // 19 digits, plus one dot.
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    let mut m: u64 = 0;
    let mut dot = usize::MAX;
    for (i, &c) in bytes.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if c == b'.' && dot == usize::MAX {
            dot = i;
        } else {
            return None;
        }
    }
    let digits = if dot == usize::MAX {
        bytes.len()
    } else {
        bytes.len() - 1
    };
    if digits == 0 || digits > 19 {
        return None;
    }
    let scale = if dot == usize::MAX {
        0
    } else {
        (bytes.len() - 1 - dot) as u32
    };
    Some((m, scale))
}

/// The full parser: signs, exponents, up to 96-bit mantissas, typed errors.
fn parse_parts_general(text: &str) -> Result<(u128, u32), NumError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(NumError::Empty);
    }
    let mut i = 0;
    if bytes[0] == b'-' {
        // "-0" and "-0.0" are harmless; any other negative is refused by the caller's rules.
        i = 1;
    } else if bytes[0] == b'+' {
        i = 1;
    }
    let negative = bytes[0] == b'-';
    let mut mantissa: u128 = 0;
    let mut scale: i64 = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'0'..=b'9' => {
                seen_digit = true;
                mantissa = mantissa * 10 + u128::from(b - b'0');
                if mantissa > MAX_MANTISSA {
                    return Err(NumError::OutOfRange);
                }
                if seen_dot {
                    scale += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => {
                if !seen_digit {
                    return Err(NumError::InvalidChar(b as char));
                }
                let exp = parse_exponent(&text[i + 1..])?;
                scale -= exp;
                i = bytes.len();
                break;
            }
            _ => {
                return Err(NumError::InvalidChar(
                    text[i..].chars().next().unwrap_or('?'),
                ))
            }
        }
        i += 1;
    }
    debug_assert_eq!(i, bytes.len());
    if !seen_digit {
        return Err(NumError::Empty);
    }
    while scale < 0 {
        mantissa = mantissa.checked_mul(10).ok_or(NumError::OutOfRange)?;
        if mantissa > MAX_MANTISSA {
            return Err(NumError::OutOfRange);
        }
        scale += 1;
    }
    if scale > i64::from(MAX_SCALE) {
        // Drop trailing zeros that only inflate the scale (e.g. "1.000...0" with 30 decimals).
        while scale > i64::from(MAX_SCALE) && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        if scale > i64::from(MAX_SCALE) {
            return Err(NumError::OutOfRange);
        }
    }
    if negative && mantissa != 0 {
        return Err(NumError::Negative);
    }
    Ok((mantissa, scale as u32))
}

fn parse_exponent(text: &str) -> Result<i64, NumError> {
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 3 {
        return Err(if digits.is_empty() {
            NumError::Empty
        } else {
            NumError::OutOfRange
        });
    }
    let mut v: i64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return Err(NumError::InvalidChar(c as char));
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Ok(if neg { -v } else { v })
}

/// Renders `value` with exactly `scale` decimals when that is exact (padding zeros or removing
/// only zeros); `None` if it would need rounding.
pub fn format_fixed(value: Decimal, scale: u32) -> Option<String> {
    let mut v = value;
    if v.scale() > scale {
        let mut trimmed = v.normalize();
        if trimmed.scale() > scale {
            return None;
        }
        trimmed.rescale(scale);
        v = trimmed;
    } else {
        v.rescale(scale);
    }
    Some(v.to_string())
}

/// `10^0 ..= 10^19`, every power of ten a `u64` holds.
const POW10_U64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The integer `value * 10^scale` when exact, used by checksums that concatenate digits.
pub fn scaled_integer(value: Decimal, scale: u32) -> Option<u128> {
    let m = value.mantissa();
    if m < 0 {
        return None;
    }
    scaled_parts(m as u128, value.scale(), scale)
}

/// `mantissa / 10^from` written as an integer at `to` decimals, when exact: the mantissa
/// itself when the scales agree (the common case: the venue's fixed decimals), otherwise
/// multiplied or divided by the power of ten (`None` if that would drop a nonzero digit or
/// overflow).
#[inline]
pub(crate) fn scaled_parts(mantissa: u128, from: u32, to: u32) -> Option<u128> {
    if from == to {
        return Some(mantissa);
    }
    if let (Ok(m), Some(&pow)) = (
        u64::try_from(mantissa),
        POW10_U64.get(from.abs_diff(to) as usize),
    ) {
        // Both fit 64 bits: no 128-bit multiply or division.
        return if from < to {
            match m.checked_mul(pow) {
                Some(v) => Some(u128::from(v)),
                None => Some(u128::from(m) * u128::from(pow)),
            }
        } else {
            (m % pow == 0).then(|| u128::from(m / pow))
        };
    }
    if from < to {
        mantissa.checked_mul(10u128.checked_pow(to - from)?)
    } else {
        let div = 10u128.checked_pow(from - to)?;
        (mantissa % div == 0).then(|| mantissa / div)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn keeps_the_written_scale() {
        let v = parse_decimal("0.10000000").unwrap();
        assert_eq!(v.scale(), 8);
        assert_eq!(v, d("0.1"));
        assert_eq!(parse_decimal("45283.5").unwrap(), d("45283.5"));
        assert_eq!(parse_decimal("20108").unwrap(), d("20108"));
        assert_eq!(parse_decimal("0").unwrap(), Decimal::ZERO);
        assert_eq!(parse_decimal("-0.0").unwrap(), Decimal::ZERO);
    }

    #[test]
    fn exponents_are_exact() {
        assert_eq!(parse_decimal("1e-8").unwrap(), d("0.00000001"));
        assert_eq!(parse_decimal("1.5E+3").unwrap(), d("1500"));
        assert_eq!(parse_decimal("2.5e0").unwrap(), d("2.5"));
    }

    #[test]
    fn rejects_bad_text() {
        assert_eq!(parse_decimal(""), Err(NumError::Empty));
        assert_eq!(parse_decimal("."), Err(NumError::Empty));
        assert_eq!(parse_decimal("1.2.3"), Err(NumError::InvalidChar('.')));
        assert_eq!(parse_decimal("12a"), Err(NumError::InvalidChar('a')));
        assert_eq!(parse_decimal("-1"), Err(NumError::Negative));
        assert_eq!(parse_decimal("1e"), Err(NumError::Empty));
        assert_eq!(
            parse_decimal("99999999999999999999999999999999"),
            Err(NumError::OutOfRange)
        );
        assert_eq!(parse_decimal("1e400"), Err(NumError::OutOfRange));
    }

    proptest::proptest! {
        /// The plain fast path agrees with the general parser on every text it accepts,
        /// and `parse_decimal` equals the general parse on any text.
        #[test]
        fn plain_fast_path_equals_the_general_parser(text in "[-+]?[0-9]{0,22}(\\.[0-9]{0,22})?([eE][-+]?[0-9]{1,2})?|[0-9.a]{0,24}") {
            if let Some((m, s)) = parse_plain(text.as_bytes()) {
                proptest::prop_assert_eq!(parse_parts_general(&text), Ok((u128::from(m), s)));
            }
            let general = parse_parts_general(&text)
                .map(|(m, s)| Decimal::from_i128_with_scale(m as i128, s));
            let fast = parse_decimal(&text);
            proptest::prop_assert_eq!(&fast, &general);
            if let (Ok(a), Ok(b)) = (fast, general) {
                proptest::prop_assert_eq!(a.scale(), b.scale());
            }
        }
    }

    proptest::proptest! {
        /// The 64-bit shortcut of `scaled_parts` equals plain 128-bit arithmetic.
        #[test]
        fn scaled_parts_equals_u128_arithmetic(m in proptest::prelude::any::<u64>(), wide in 0u128..(1u128 << 96), from in 0u32..30, to in 0u32..30) {
            for mantissa in [u128::from(m), wide, u128::from(m % 1000)] {
                let expected = if from <= to {
                    10u128.checked_pow(to - from).and_then(|p| mantissa.checked_mul(p))
                } else {
                    10u128.checked_pow(from - to).and_then(|p| (mantissa % p == 0).then(|| mantissa / p))
                };
                proptest::prop_assert_eq!(scaled_parts(mantissa, from, to), expected);
            }
        }
    }

    #[test]
    fn fast_path_edges() {
        for t in [
            "9999999999999999999",
            "0.000000000000000001",
            "5.",
            ".5",
            "0",
            "00.10",
        ] {
            assert!(parse_plain(t.as_bytes()).is_some(), "{t}");
            assert_eq!(parse_parts(t), parse_parts_general(t), "{t}");
        }
        // 20 digits: left to the general parser (still exact).
        assert_eq!(parse_plain(b"18446744073709551616"), None);
        assert_eq!(
            parse_parts("18446744073709551616"),
            Ok((18446744073709551616u128, 0))
        );
        assert_eq!(parse_plain(b"."), None);
        assert_eq!(parse_decimal("."), Err(NumError::Empty));
    }

    #[test]
    fn fixed_formatting_never_rounds() {
        assert_eq!(format_fixed(d("45281"), 1).as_deref(), Some("45281.0"));
        assert_eq!(format_fixed(d("0.1"), 8).as_deref(), Some("0.10000000"));
        assert_eq!(format_fixed(d("0.12300"), 3).as_deref(), Some("0.123"));
        assert_eq!(format_fixed(d("0.1234"), 3), None);
        assert_eq!(scaled_integer(d("45285.2"), 1), Some(452852));
        assert_eq!(scaled_integer(d("0.001"), 8), Some(100000));
        assert_eq!(scaled_integer(d("0.0011"), 3), None);
    }
}
