//! Frame parsing (to be written).

use crate::exchange::{Message, ParseError, ParseErrorKind};
use crate::types::{Exchange, Timestamp};

/// Parses one text frame received at `received_at`.
pub fn parse(frame: &str, _received_at: Timestamp) -> Result<Vec<Message>, ParseError> {
    Err(ParseError::new(
        Exchange::Kraken,
        ParseErrorKind::UnknownMessage,
        frame,
    ))
}
