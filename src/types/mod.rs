//! Plain data shared by every layer: venues, symbols, markets, exact numbers, time and events.

mod event;
mod exchange;
mod market;
pub mod num;
mod symbol;
mod time;

pub use event::{
    BookDelta, BookSnapshot, Checksum, Level, MarketEvent, Meta, SeqIds, Side, TakerSide, Ticker,
    Trade,
};
pub use exchange::{Exchange, UnknownExchange};
pub use market::{Market, MarketError};
pub use symbol::{InstrumentKind, Symbol, SymbolError, SymbolStyle};
pub use time::Timestamp;
