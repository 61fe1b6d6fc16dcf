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
