//! Poloniex spot WebSocket v3 (`wss://ws.poloniex.com/ws/public`): `book_lv2`, `trades`,
//! `ticker`.
//!
//! Protocol: `shared/docs/exchange-protocols.md` §4.

mod parse;
mod scan;
pub mod subscription;
mod sync;
mod venue;
mod wire;

/// No delta lane: every frame goes through `parse`.
pub(crate) use crate::exchange::no_delta_lane as parse_delta;
pub use parse::parse;
pub use sync::PoloniexSync;
pub use venue::{
    connect_plan, drop_symbol, parse_snapshot, ping, resubscribe_book, sequencer, snapshot_url,
    subscribe_more, unsubscribe, unsubscribe_all, Sequencer, SPEC,
};

/// Levels per side that `book_lv2` maintains.
pub const BOOK_DEPTH: usize = 20;
