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
//! sync is resubscribed (OKX answers with a snapshot in-stream); where the stream sends
//! no snapshot, the sequencer asks for the REST snapshot (`GET /api/v5/market/books`) and
//! bridges the buffered updates onto it.

mod checksum;
mod parse;
pub mod subscription;
mod sync;
mod venue;
mod wire;

pub use checksum::{checksum, checksum_string};
pub use parse::{parse, parse_book_snapshot};
pub use sync::{OkxSync, MAX_BUFFER};
pub use venue::{
    connect_plan, drop_symbol, parse_snapshot, ping, resubscribe_book, sequencer, snapshot_url,
    subscribe_more, unsubscribe, unsubscribe_all, Sequencer, SPEC,
};
