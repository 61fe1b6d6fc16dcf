//! Kraken spot: WebSocket v2 (`book`, `trade`, `ticker`, `instrument`) and v1 for recorded
//! data (positional arrays, string checksums).
//!
//! Protocol: `shared/docs/exchange-protocols.md` §3 (docs.kraken.com `spot-websocket-v2/book`,
//! `guides/websockets/book-checksum-v2` and `book-checksum-v1`).

mod checksum;
mod parse;
pub mod subscription;
mod symbol;
mod sync;
mod venue;
mod wire;

/// No delta lane: every frame goes through `parse`.
pub(crate) use crate::exchange::no_delta_lane as parse_delta;
pub(crate) use checksum::checksum_memo;
pub use checksum::{checksum, checksum_string};
pub use parse::parse;
pub use symbol::to_v1;
pub use sync::KrakenSync;
pub use venue::{
    connect_plan, drop_symbol, parse_snapshot, ping, resubscribe_book, sequencer, snapshot_url,
    subscribe_more, unsubscribe, unsubscribe_all, Sequencer, SPEC,
};
