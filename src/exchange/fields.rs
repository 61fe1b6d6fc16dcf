//! Field conversions every venue's `parse` shares: serde errors, exact decimals, `[price,
//! size]` levels and the normalized [`Meta`] of an event. Written once so that a fix (an
//! overflow check, a better message) reaches every venue.

use super::ParseErrorKind;
use crate::types::num::parse_decimal;
use crate::types::{Exchange, Level, Meta, Symbol, Timestamp};
use rust_decimal::Decimal;

/// A serde error as a parse error kind.
pub(crate) fn json_err(e: serde_json::Error) -> ParseErrorKind {
    ParseErrorKind::Json(e.to_string())
}

/// An exact non-negative decimal from the wire text of `field`.
pub(crate) fn dec(field: &'static str, text: &str) -> Result<Decimal, ParseErrorKind> {
    parse_decimal(text).map_err(|error| ParseErrorKind::Number { field, error })
}

/// `[["price", "size"], ...]` levels parsed while the JSON is read: no intermediate
/// `Vec` of string pairs. Stricter than [`levels`] over `[&str; 2]` (each level exactly two
/// unescaped strings, each a valid decimal) and fails as a plain serde error: callers use it
/// on a fast path and fall back to the general reading on any error, so where it succeeds
/// the levels are exactly what [`levels`] gives.
#[derive(Debug, Default)]
pub(crate) struct ParsedLevels(pub Vec<Level>);

impl<'de> serde::Deserialize<'de> for ParsedLevels {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IgnoredAny, SeqAccess, Visitor};

        struct OneLevel(Level);
        impl<'de> serde::Deserialize<'de> for OneLevel {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct LevelVisitor;
                impl<'de> Visitor<'de> for LevelVisitor {
                    type Value = OneLevel;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("[price, size] as two strings")
                    }
                    fn visit_seq<A: SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> Result<OneLevel, A::Error> {
                        let mut next = || -> Result<Decimal, A::Error> {
                            let text: &'de str = seq
                                .next_element()?
                                .ok_or_else(|| A::Error::custom("short level"))?;
                            parse_decimal(text).map_err(A::Error::custom)
                        };
                        let (price, qty) = (next()?, next()?);
                        if seq.next_element::<IgnoredAny>()?.is_some() {
                            return Err(A::Error::custom("long level"));
                        }
                        Ok(OneLevel(Level::new(price, qty)))
                    }
                }
                d.deserialize_tuple(2, LevelVisitor)
            }
        }

        struct LevelsVisitor;
        impl<'de> Visitor<'de> for LevelsVisitor {
            type Value = ParsedLevels;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of [price, size] levels")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ParsedLevels, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).clamp(16, 4096));
                while let Some(OneLevel(level)) = seq.next_element()? {
                    out.push(level);
                }
                Ok(ParsedLevels(out))
            }
        }
        deserializer.deserialize_seq(LevelsVisitor)
    }
}

/// `[["price", "size"], ...]` levels (Binance, Poloniex).
pub(crate) fn levels(
    field: &'static str,
    wire: &[[&str; 2]],
) -> Result<Vec<Level>, ParseErrorKind> {
    wire.iter()
        .map(|[p, q]| Ok(Level::new(dec(field, p)?, dec(field, q)?)))
        .collect()
}

/// A venue timestamp in Unix milliseconds, checked (a time past the representable range is a
/// bad field, never an overflow).
pub(crate) fn unix_millis(ms: Option<u64>) -> Result<Option<Timestamp>, ParseErrorKind> {
    ms.map(|ms| Timestamp::checked_from_unix_millis(ms).ok_or(ParseErrorKind::Field("time")))
        .transpose()
}

/// The normalized metadata of an event on `exchange` for the venue's `wire_symbol`.
pub(crate) fn meta(
    exchange: Exchange,
    wire_symbol: &str,
    exchange_time: Option<Timestamp>,
    received_at: Timestamp,
) -> Result<Meta, ParseErrorKind> {
    Ok(Meta {
        exchange,
        symbol: Symbol::from_venue(exchange, wire_symbol).map_err(ParseErrorKind::Symbol)?,
        exchange_time,
        received_at,
    })
}
