//! # marketfeed
//!
//! Correct, live crypto-exchange order books and trade streams: Binance spot and USD-M,
//! Kraken, Poloniex and OKX WebSocket feeds turned into exact order books by an actor engine, with
//! an embedded exchange simulator (feature `sim`) and a Binance WebSocket API session
//! (feature `wsapi`).
//!
//! A program needs one import. Here the engine runs against the embedded simulator (offline)
//! and waits until the Binance BTC-USDT book is live:
//!
#![cfg_attr(feature = "sim", doc = "```")]
#![cfg_attr(not(feature = "sim"), doc = "```ignore")]
//! use marketfeed::prelude::*;
//! use marketfeed::sim::{SimConfig, Simulator};
//! use std::time::Duration;
//!
//! #[actix_rt::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // Production endpoints by default; here those of the simulator.
//!     let sim = Simulator::start(SimConfig::default()).await?;
//!     let engine = Engine::builder().endpoints(sim.endpoints()).start()?;
//!
//!     let market: Market = "binance:BTC-USDT".parse()?;
//!     let subscription = Subscription::new()
//!         .markets([market.clone()])
//!         .kinds([StreamKind::Book, StreamKind::Trades, StreamKind::Status])
//!         .depth(5);
//!     let mut feed = engine.subscribe(subscription).await?;
//!
//!     let live = actix_rt::time::timeout(Duration::from_secs(30), async {
//!         while let Some(event) = feed.recv().await {
//!             match event {
//!                 FeedEvent::Book(b) if b.state == BookState::Live => return Some(b),
//!                 FeedEvent::Trade(t) => println!("{} trade {} @ {}", t.market(), t.qty, t.price),
//!                 _ => {}
//!             }
//!         }
//!         None
//!     })
//!     .await?
//!     .ok_or("the feed closed")?;
//!     assert_eq!(live.market(), market);
//!     let (bid, ask) = (live.view.best_bid().unwrap(), live.view.best_ask().unwrap());
//!     assert!(bid.price < ask.price);
//!     println!("{}: {} / {}", live.market(), bid.price, ask.price);
//!
//!     // A book can also be asked for at any time.
//!     let info: BookInfo = engine.book(market.exchange, &market.symbol, 1).await?;
//!     assert_eq!(info.state, BookState::Live);
//!
//!     engine.shutdown().await;
//!     sim.stop();
//!     Ok(())
//! }
//! ```
//!
//! ## The map
//!
//! Everything a user of the engine names is at the crate root and in the [`prelude`]:
//! [`Engine`] and [`EngineBuilder`], a [`Subscription`] of [`Market`]s ×
//! [`StreamKind`]s, the [`Feed`] it returns, its [`FeedEvent`]s ([`BookUpdate`],
//! [`Trade`], [`BestBidAsk`], [`StatusEvent`] with its [`FeedStatus`]), and the errors
//! ([`EngineError`], [`MarketError`], ... all in [`error`]). Every event names its market
//! the same way: `event.exchange()`, `event.symbol()`, `event.market()`.
//!
//! The layers below the engine are public for those who build their own pipeline;
//! dependencies point one way, `types` ← `book` ← `exchange` ← engine:
//!
//! * [`types`]: venues, normalized symbols (`BTC-USDT`), markets, exact decimals, time,
//!   events.
//! * [`book`]: the [`OrderBook`] (a `BTreeMap` per side with exact integer price keys).
//! * [`exchange`]: per-venue, sans-IO adapters: `parse(frame, received_at)`, subscription
//!   builders and sequencers, composed by [`BookTracker`]:
//!
//! ```
//! use marketfeed::prelude::*;
//!
//! let frame = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":101,"u":102,"b":[["100.5","2"]],"a":[]}}"#;
//! let msgs = marketfeed::exchange::parse(Exchange::Binance, frame, Timestamp::from_unix_millis(1)).unwrap();
//! let Message::Market(MarketEvent::Delta(delta)) = &msgs[0] else { panic!() };
//! assert_eq!(delta.symbol().as_str(), "BTC-USDT");
//! assert_eq!(delta.seq.last_id, Some(102));
//! ```
//!
//! * [`replay`]: runs a recorded capture through parse → sequencer → book.
//! * [`limit`]: the calendar-window rate limiter (Binance `REQUEST_WEIGHT` / `ORDERS`) behind
//!   the REST snapshot budget and the WS API, with its own [`LimitError`](limit::LimitError).
//! * `sim` (feature `sim`, default): the embedded exchange simulator.
//! * `wsapi` (feature `wsapi`, default): Binance WebSocket API session: signed requests,
//!   rate-limit control, keepalive and reconnect (see `docs/wsapi.md`).
//!
//! ## Features
//!
//! * `sim` (default): the embedded exchange simulator (loopback servers for every venue;
//!   with `wsapi`, the Binance WS API server too).
//! * `wsapi` (default): the Binance WebSocket API client and its signing crates.
//!
//! `default-features = false` leaves the market-data engine alone.

mod actors;
mod backoff;
pub mod book;
pub mod conn;
mod engine;
pub mod error;
pub mod exchange;
pub mod limit;
mod net;
pub mod replay;
mod runtime;
#[cfg(feature = "sim")]
pub mod sim;
pub mod types;
#[cfg(feature = "wsapi")]
pub mod wsapi;

pub use backoff::Backoff;
pub use book::{BookError, BookView, OrderBook};
pub use engine::{
    BookInfo, Engine, EngineBuilder, EngineThread, DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_SNAPSHOT_TIMEOUT,
};
pub use exchange::session::Endpoint;
pub use exchange::{BookTracker, Message, Outcome, ParseError, SyncState, TrackerConfig};
pub use net::{NetError, NetOptions};
pub use runtime::events::{
    BestBidAsk, BookState, BookUpdate, FeedEvent, FeedStatus, Predicate, ResyncReason, StatusEvent,
    StreamKind, Subscription, DEFAULT_MAX_BYTES,
};
pub use runtime::queue::{Feed, FeedStats, RecvError, CONTROL_BYTES, CONTROL_CAPACITY};
pub use runtime::EngineError;
pub use types::{
    BookDelta, BookSnapshot, Exchange, InstrumentKind, Level, Market, MarketError, MarketEvent,
    Side, Symbol, TakerSide, Ticker, Timestamp, Trade,
};

/// The seeded generator behind the reconnect jitter and the simulator's market; public for
/// the crate's own fuzz tests and examples, not part of the API.
#[doc(hidden)]
pub use backoff::SplitMix64;

/// Everything a program using the engine needs, in one import:
/// `use marketfeed::prelude::*;`.
pub mod prelude {
    pub use crate::book::{BookView, OrderBook};
    pub use crate::engine::{BookInfo, Engine, EngineBuilder};
    pub use crate::error::{BookError, EngineError, MarketError, ParseError, SymbolError};
    pub use crate::exchange::{BookTracker, Control, Message, Outcome, TrackerConfig};
    pub use crate::runtime::events::{
        BestBidAsk, BookState, BookUpdate, FeedEvent, FeedStatus, ResyncReason, StatusEvent,
        StreamKind, Subscription,
    };
    pub use crate::runtime::queue::Feed;
    pub use crate::types::{
        BookDelta, BookSnapshot, Exchange, Level, Market, MarketEvent, Side, Symbol, TakerSide,
        Ticker, Timestamp, Trade,
    };
    pub use rust_decimal::Decimal;
}
