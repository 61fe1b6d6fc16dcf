//! OKX v5 public WebSocket: `books` (400 levels, snapshot + updates), `books5`, `bbo-tbt`,
//! `trades` and `tickers`, for spot (`BTC-USDT`), perpetual swaps (`BTC-USDT-SWAP`) and
//! dated futures (`BTC-USD-220527`).
//!
//! Protocol: `shared/docs/exchange-protocols.md` §7 (okx.com `docs-v5`: WebSocket
//! "Order book channel", "Trades channel", "Tickers channel", REST "Get order book" and
//! the 2026-02-12 / 2026-05-21 changelog entries on the book snapshot and checksum).
//!
//! Books are kept in sync by the `seqId`/`prevSeqId` chain ([`OkxSync`]) and, while OKX
//! still sends it non-zero, the legacy CRC32 `checksum` ([`checksum`]). A book that lost
//! sync is fetched again from the REST order book (`GET /api/v5/market/books`) while its
//! stream goes on, and the buffered updates are bridged onto it by `seqId` (the 2026
//! procedure; no resubscribe, so none of the 480 subscribe requests an hour is spent). A
//! subscribe takes OKX's in-stream snapshot where it still sends one, and the REST order
//! book where it does not.

mod checksum;
mod parse;
pub mod subscription;
mod sync;
mod venue;
mod wire;

/// No delta lane: every frame goes through `parse`.
pub(crate) use crate::exchange::no_delta_lane as parse_delta;
pub(crate) use checksum::checksum_memo;
pub use checksum::{checksum, checksum_string};
pub use parse::{parse, parse_book_snapshot};
pub use sync::{OkxSync, FETCH_AFTER, MAX_BUFFER};
pub use venue::{
    connect_plan, drop_symbol, parse_snapshot, ping, resubscribe_book, sequencer, snapshot_url,
    subscribe_more, unsubscribe, unsubscribe_all, Sequencer, SPEC,
};
