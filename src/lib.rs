//! # marketfeed
//!
//! Correct, live crypto-exchange order books and trade streams.
//!
//! The crate is layered; dependencies point one way: `types` ← `book` ← `exchange`.
//!
//! * [`types`]: venues, normalized symbols (`BTC-USDT`), exact decimals, time, events.
//! * [`book`]: the [`OrderBook`] (a `BTreeMap` per side with exact integer price keys).
//! * [`exchange`]: per-venue, sans-IO adapters: `parse(frame, received_at)`, subscription
//!   builders and sequencers, composed by [`BookTracker`].
//! * [`replay`]: runs a recorded capture through parse → sequencer → book.
//! * [`wsapi`]: Binance WebSocket API session: signed requests, rate-limit control,
//!   keepalive and reconnect (see `docs/wsapi.md`).
//!
//! ```
//! use marketfeed::prelude::*;
//!
//! let frame = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":101,"u":102,"b":[["100.5","2"]],"a":[]}}"#;
//! let msgs = marketfeed::exchange::parse(Exchange::Binance, frame, Timestamp::from_unix_millis(1)).unwrap();
//! let Message::Market(MarketEvent::Delta(delta)) = &msgs[0] else { panic!() };
//! assert_eq!(delta.meta.symbol.as_str(), "BTC-USDT");
//! assert_eq!(delta.seq.last_id, Some(102));
//! ```

pub mod actors;
pub mod book;
pub mod conn;
pub mod engine;
pub mod error;
pub mod exchange;
pub mod net;
pub mod replay;
pub mod runtime;
#[cfg(feature = "sim")]
pub mod sim;
pub mod types;
pub mod wsapi;

pub use book::{BookError, BookView, OrderBook};
pub use exchange::{BookTracker, Message, Outcome, ParseError, SyncState, TrackerConfig};
pub use net::{NetError, NetOptions};
pub use types::{
    BookDelta, BookSnapshot, Exchange, Level, MarketEvent, Side, Symbol, TakerSide, Ticker,
    Timestamp, Trade,
};

/// The most used types in one import.
pub mod prelude {
    pub use crate::book::{BookView, OrderBook};
    pub use crate::exchange::{BookTracker, Control, Message, Outcome, TrackerConfig};
    pub use crate::types::{
        BookDelta, BookSnapshot, Exchange, Level, MarketEvent, Side, Symbol, TakerSide, Ticker,
        Timestamp, Trade,
    };
    pub use rust_decimal::Decimal;
}
