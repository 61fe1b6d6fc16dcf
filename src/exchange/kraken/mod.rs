//! Kraken spot: WebSocket v2 (`book`, `trade`, `ticker`, `instrument`) and v1 for recorded
//! data (positional arrays, string checksums).
//!
//! Protocol: `shared/docs/exchange-protocols.md` §3 (docs.kraken.com `spot-websocket-v2/book`,
//! `guides/websockets/book-checksum-v2` and `book-checksum-v1`).

mod checksum;
mod parse;
pub mod subscription;
mod sync;
mod wire;

pub use checksum::{checksum, checksum_string};
pub use parse::parse;
pub use sync::KrakenSync;
