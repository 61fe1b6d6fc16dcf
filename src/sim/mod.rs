//! The embedded exchange simulator (feature `sim`): a seeded synthetic market and encoders
//! that speak each venue's real protocol, and a loopback Binance WebSocket API server
//! ([`WsApiSim`]). Tests, benches and users' own tests run against it offline.

pub mod binance;
pub mod market;
mod wsapi;
pub use wsapi::*;
