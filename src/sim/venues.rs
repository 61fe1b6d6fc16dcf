//! The simulator's venue registry: every place the simulator picks behaviour by venue
//! asks here. What each venue's wire looks like lives in its own module (`binance.rs`,
//! `kraken.rs`, `poloniex.rs`) and its sessions (`session.rs`); this file maps a venue to
//! them. Adding a venue to the simulator is its module plus its arms here.

use super::server::{SimConfig, Simulator};
use crate::exchange::session::Endpoint;
use crate::types::{Exchange, Symbol};
use std::time::Duration;

/// The simulated venues, in the order their markets are seeded (the order is part of every
/// market's seed, so it never changes: new venues go at the end).
pub const SEED_ORDER: [Exchange; 4] = [
    Exchange::Binance,
    Exchange::Kraken,
    Exchange::Poloniex,
    Exchange::BinanceUsdM,
];

/// How a venue's market produces its frames each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    /// Binance diff depth + `bookTicker` + trades (`spot` and USD-M, with `pu`).
    Binance {
        /// USD-M futures (`pu` in depth updates, `/public` and `/market` routes).
        usdm: bool,
    },
    /// Kraken v2 `book` with checksums, `trade`.
    Kraken,
    /// Poloniex v3 `book_lv2` with `id`/`lastId`, `trades`.
    Poloniex,
}

/// The wire a venue's simulated market speaks.
pub(crate) fn wire(exchange: Exchange) -> Wire {
    match exchange {
        Exchange::Binance => Wire::Binance { usdm: false },
        Exchange::BinanceUsdM => Wire::Binance { usdm: true },
        Exchange::Kraken => Wire::Kraken,
        Exchange::Poloniex => Wire::Poloniex,
    }
}

impl Wire {
    /// The update id a fresh market starts from (Kraken books carry none).
    pub(crate) fn first_update_id(self, binance_first: u64) -> u64 {
        match self {
            Wire::Kraken => 0,
            _ => binance_first,
        }
    }

    /// True when the venue's book messages carry update ids.
    pub(crate) fn has_update_ids(self) -> bool {
        !matches!(self, Wire::Kraken)
    }

    /// The key a market is looked up by on the wire (Binance stream names are lower case).
    pub(crate) fn key(self, wire_symbol: &str) -> String {
        match self {
            Wire::Binance { .. } => wire_symbol.to_lowercase(),
            _ => wire_symbol.to_string(),
        }
    }

    /// Decimals every price and quantity is written with, where the venue pads them.
    pub(crate) fn fixed_decimals(self) -> Option<u32> {
        match self {
            Wire::Binance { .. } => Some(super::binance::DECIMALS),
            _ => None,
        }
    }
}

/// The symbols `config` serves on `exchange`.
pub fn markets(config: &SimConfig, exchange: Exchange) -> &[Symbol] {
    match exchange {
        Exchange::Binance => &config.binance,
        Exchange::BinanceUsdM => &config.binance_usdm,
        Exchange::Kraken => &config.kraken,
        Exchange::Poloniex => &config.poloniex,
    }
}

/// The symbols `config` serves on `exchange`, to change.
pub fn markets_mut(config: &mut SimConfig, exchange: Exchange) -> &mut Vec<Symbol> {
    match exchange {
        Exchange::Binance => &mut config.binance,
        Exchange::BinanceUsdM => &mut config.binance_usdm,
        Exchange::Kraken => &mut config.kraken,
        Exchange::Poloniex => &mut config.poloniex,
    }
}

/// The engine endpoint of `exchange` on `sim`.
pub(crate) fn endpoint(sim: &Simulator, exchange: Exchange) -> Endpoint {
    match exchange {
        Exchange::Binance => Endpoint {
            ws: sim.binance_ws_base(),
            rest: Some(sim.binance_rest_base()),
        },
        Exchange::BinanceUsdM => Endpoint {
            ws: sim.binance_usdm_ws_base(),
            rest: Some(sim.binance_usdm_rest_base()),
        },
        Exchange::Kraken => Endpoint {
            ws: sim.kraken_ws_url(),
            rest: None,
        },
        Exchange::Poloniex => Endpoint {
            ws: sim.poloniex_ws_url(),
            rest: None,
        },
    }
}

/// What a venue's server does on its timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// A WebSocket ping every period; no pong within three periods disconnects (Binance).
    Ping,
    /// An application `heartbeat` when nothing else was sent in the period (Kraken).
    Heartbeat,
    /// Nothing (Poloniex: the client pings).
    Quiet,
}

/// The server timer of `exchange` and its period under `config`.
pub(crate) fn timer(config: &SimConfig, exchange: Exchange) -> (Timer, Duration) {
    match exchange {
        Exchange::Kraken => (Timer::Heartbeat, config.kraken_heartbeat_interval),
        Exchange::Poloniex => (Timer::Quiet, Duration::from_secs(3600)),
        Exchange::Binance | Exchange::BinanceUsdM => (Timer::Ping, config.binance_ping_interval),
    }
}

/// Client messages per second above which the server closes the connection (0: no limit).
pub(crate) fn incoming_limit(config: &SimConfig, exchange: Exchange) -> usize {
    match exchange {
        Exchange::Binance => config.binance_max_incoming_per_sec,
        Exchange::BinanceUsdM => config.binance_usdm_max_incoming_per_sec,
        Exchange::Kraken | Exchange::Poloniex => 0,
    }
}

/// Which Binance flavour and route a production host's unrouted `/stream` serves: the
/// legacy USD-M path (book data only, as the venue serves it since 2026-04) on
/// `fstream.binance.com`, spot everywhere else.
pub(crate) fn binance_by_host(host: &str) -> (Exchange, super::session::BinanceRoute) {
    use super::session::BinanceRoute;
    if host.starts_with("fstream.") {
        (Exchange::BinanceUsdM, BinanceRoute::Public)
    } else {
        (Exchange::Binance, BinanceRoute::All)
    }
}

/// The venue whose books carry checksums the simulator can corrupt
/// ([`Faults::corrupt_checksum`](super::Faults::corrupt_checksum)).
pub(crate) const CHECKSUM_VENUE: Exchange = Exchange::Kraken;
