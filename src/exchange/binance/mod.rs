//! Binance spot and USD-M futures market streams: diff depth synced with REST snapshots,
//! `trade`, `aggTrade`, `bookTicker`, partial depth.
//!
//! Protocol: `shared/docs/exchange-protocols.md` §1 (binance-spot-api-docs
//! `web-socket-streams.md`, "How to manage a local order book correctly" as revised
//! 2025-11-12; USD-M "Diff. Book Depth Streams").

mod parse;
mod scan;
pub mod subscription;
mod sync;
mod venue;
mod wire;

pub use parse::{parse, parse_delta, parse_depth_snapshot, RestError};
pub use sync::{BinanceSync, Market, SnapshotDecision, DEFAULT_MAX_BUFFER};
pub use venue::{spot, usdm, QUOTES, STREAMS_PER_REQUEST};
