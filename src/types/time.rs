//! Time as plain data: nanoseconds since the Unix epoch.
//!
//! The core never reads the clock. Actors read it once per frame and pass it down, so the
//! pure code and its tests are deterministic.

use std::fmt;

/// A point in time, in nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// From nanoseconds since the epoch.
    pub const fn from_unix_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    /// From microseconds since the epoch (saturating).
    pub const fn from_unix_micros(micros: u64) -> Self {
        Timestamp(micros.saturating_mul(1_000))
    }

    /// From milliseconds since the epoch (saturating).
    pub const fn from_unix_millis(millis: u64) -> Self {
        Timestamp(millis.saturating_mul(1_000_000))
    }

    /// From milliseconds since the epoch; `None` past the last nanosecond a `u64` holds
    /// (2554-07-21), so a venue's absurd time is a parse error rather than a silent clamp.
    pub const fn checked_from_unix_millis(millis: u64) -> Option<Self> {
        match millis.checked_mul(1_000_000) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// Nanoseconds since the epoch.
    pub const fn as_unix_nanos(self) -> u64 {
        self.0
    }

    /// Milliseconds since the epoch (truncated).
    pub const fn as_unix_millis(self) -> u64 {
        self.0 / 1_000_000
    }

    /// The current wall-clock time. Only actors and examples call this; the core takes
    /// time as an argument.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    /// Parses decimal seconds such as `1633998512.0633569` exactly (no floating point).
    /// Digits past the ninth decimal are truncated. Returns `None` on malformed input.
    pub fn parse_unix_seconds(text: &str) -> Option<Self> {
        // One pass: whole seconds (checked: an overflowing integer part is malformed),
        // then up to nine decimals; later decimals only need to be digits.
        let b = text.as_bytes();
        let mut i = 0;
        let mut secs: u64 = 0;
        while i < b.len() && b[i] != b'.' {
            let d = b[i].wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            secs = secs.checked_mul(10)?.checked_add(u64::from(d))?;
            i += 1;
        }
        if i == 0 {
            return None;
        }
        let mut nanos: u64 = 0;
        let mut place = 0;
        for &c in b.get(i + 1..).unwrap_or(&[]) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            if place < 9 {
                nanos = nanos * 10 + u64::from(d);
                place += 1;
            }
        }
        while place < 9 {
            nanos *= 10;
            place += 1;
        }
        Some(Timestamp(
            secs.checked_mul(1_000_000_000)?.checked_add(nanos)?,
        ))
    }

    /// Parses an RFC 3339 UTC timestamp as Kraken v2 sends it (`2023-10-06T17:35:55.440295Z`).
    /// Only the `Z` (UTC) form is accepted; returns `None` otherwise, and for times before
    /// 1970 or after the last nanosecond a `u64` holds (2554-07-21).
    pub fn parse_rfc3339_utc(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
            return None;
        }
        if b[16] != b':' || *b.last()? != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u64> { text.get(r)?.parse().ok() };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let mut nanos = 0u64;
        let rest = &text[19..text.len() - 1];
        if let Some(frac) = rest.strip_prefix('.') {
            if frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            for i in 0..9 {
                let digit = frac.as_bytes().get(i).map_or(0, |c| u64::from(c - b'0'));
                nanos = nanos * 10 + digit;
            }
        } else if !rest.is_empty() {
            return None;
        }
        // Checked all the way: a venue may send any year up to 9999, and u64 nanoseconds end
        // in 2554 (an unchecked multiply panicked in debug builds and wrapped in release).
        let days = u64::try_from(days_from_civil(y as i64, mo as u32, d as u32)).ok()?;
        let secs = days
            .checked_mul(86_400)?
            .checked_add(h * 3600 + mi * 60 + s)?;
        Some(Timestamp(
            secs.checked_mul(1_000_000_000)?.checked_add(nanos)?,
        ))
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_capture_seconds_exactly() {
        let t = Timestamp::parse_unix_seconds("1633998512.0633569").unwrap();
        assert_eq!(t.as_unix_nanos(), 1_633_998_512_063_356_900);
        assert_eq!(
            Timestamp::parse_unix_seconds("1633998512")
                .unwrap()
                .as_unix_nanos(),
            1_633_998_512_000_000_000
        );
        assert!(Timestamp::parse_unix_seconds("12a.5").is_none());
        assert!(Timestamp::parse_unix_seconds("").is_none());
        for bad in [
            ".5",
            "1.2.3",
            "-1.5",
            "+1",
            "18446744073709551616.0",
            "1.5e3",
        ] {
            assert!(Timestamp::parse_unix_seconds(bad).is_none(), "{bad}");
        }
        assert_eq!(
            Timestamp::parse_unix_seconds("7.").map(|t| t.as_unix_nanos()),
            Some(7_000_000_000)
        );
        // Digits past the ninth decimal are truncated, not rounded.
        assert_eq!(
            Timestamp::parse_unix_seconds("1.1234567899").map(|t| t.as_unix_nanos()),
            Some(1_123_456_789)
        );
    }

    /// The split-and-parse reading of the format (the previous implementation): the
    /// one-pass parser must agree with it on any text.
    fn by_split(text: &str) -> Option<u64> {
        let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
        if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let secs: u64 = secs.parse().ok()?;
        let mut nanos = 0u64;
        for i in 0..9 {
            nanos = nanos * 10 + frac.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
        }
        secs.checked_mul(1_000_000_000)?.checked_add(nanos)
    }

    proptest::proptest! {
        #[test]
        fn one_pass_seconds_equal_split_and_parse(text in "[0-9]{0,21}(\\.[0-9.a]{0,12})?|[0-9.+-]{0,8}") {
            proptest::prop_assert_eq!(
                Timestamp::parse_unix_seconds(&text).map(|t| t.as_unix_nanos()),
                by_split(&text)
            );
        }
    }

    #[test]
    fn parses_rfc3339() {
        // 2023-10-06T17:35:55Z is 1696613755 (date -u -d ... +%s).
        let t = Timestamp::parse_rfc3339_utc("2023-10-06T17:35:55.440295Z").unwrap();
        assert_eq!(t.as_unix_nanos(), 1_696_613_755_440_295_000);
        assert_eq!(
            Timestamp::parse_rfc3339_utc("1970-01-01T00:00:00Z")
                .unwrap()
                .as_unix_nanos(),
            0
        );
        assert!(Timestamp::parse_rfc3339_utc("2023-10-06 17:35:55Z").is_none());
        assert!(Timestamp::parse_rfc3339_utc("2023-13-06T17:35:55Z").is_none());
    }
}
