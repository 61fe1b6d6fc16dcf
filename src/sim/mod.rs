//! The embedded exchange simulator (feature `sim`): seeded synthetic markets, encoders that
//! speak each venue's real protocol, and loopback servers ([`Simulator`]) for Binance spot,
//! Kraken v2 and Poloniex v3 with fault knobs, and (with feature `wsapi`) a Binance WebSocket
//! API server (`WsApiSim`). Tests, benches and users' own tests run against it offline.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use marketfeed::sim::{SimConfig, Simulator};
//! use marketfeed::Exchange;
//! let sim = Simulator::start(SimConfig::default()).await?;
//! let url = format!("{}/stream?streams=btcusdt@depth@100ms", sim.ws_base(Exchange::Binance));
//! # let _ = url;
//! sim.stop();
//! # Ok(()) }
//! ```

pub mod binance;
pub mod history;
pub mod kraken;
mod limit;
pub mod market;
pub mod memory;
pub mod okx;
pub mod poloniex;
mod server;
mod session;
mod state;
mod tls;
pub mod venues;
pub mod window;
#[cfg(feature = "wsapi")]
mod wsapi;

pub use market::MarketConfig;
pub use server::{start_replay, Faults, SimConfig, SimTrade, Simulator, TruthBook};
pub use tls::{production_hosts, production_resolves, SimTls};
#[cfg(feature = "wsapi")]
pub use wsapi::*;
