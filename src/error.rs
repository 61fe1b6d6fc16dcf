//! Error types of each layer, re-exported in one place.

pub use crate::book::BookError;
pub use crate::exchange::{ParseError, ParseErrorKind};
pub use crate::types::num::NumError;
pub use crate::types::{SymbolError, UnknownExchange};
