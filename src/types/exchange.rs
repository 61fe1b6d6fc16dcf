//! The venues marketfeed speaks to.

use std::fmt;
use std::str::FromStr;

/// A venue (exchange and market type). Venues are dispatched by `match`, never by trait
/// objects, so adding one means adding a variant and following the compiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Exchange {
    /// Binance spot (`stream.binance.com`, REST `api.binance.com`).
    Binance,
    /// Binance USD-M futures (`fstream.binance.com`, REST `fapi.binance.com`).
    BinanceUsdM,
    /// Kraken spot (WebSocket v2; v1 for recorded data).
    Kraken,
    /// Poloniex spot (WebSocket v3).
    Poloniex,
}

impl Exchange {
    /// Every supported venue.
    pub const ALL: [Exchange; 4] = [
        Exchange::Binance,
        Exchange::BinanceUsdM,
        Exchange::Kraken,
        Exchange::Poloniex,
    ];

    /// The lower-case name used in output and configuration (`"binance"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Exchange::Binance => "binance",
            Exchange::BinanceUsdM => "binance-usdm",
            Exchange::Kraken => "kraken",
            Exchange::Poloniex => "poloniex",
        }
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exchange name that marketfeed does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownExchange(pub String);

impl fmt::Display for UnknownExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown exchange {:?} (known: binance, binance-usdm, kraken, poloniex)",
            self.0
        )
    }
}

impl std::error::Error for UnknownExchange {}

impl FromStr for Exchange {
    type Err = UnknownExchange;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "binance" | "binance-spot" => Ok(Exchange::Binance),
            "binance-usdm" | "binance_futures" | "binance-futures" | "binanceusdm" => {
                Ok(Exchange::BinanceUsdM)
            }
            "kraken" => Ok(Exchange::Kraken),
            "poloniex" => Ok(Exchange::Poloniex),
            _ => Err(UnknownExchange(s.to_string())),
        }
    }
}
