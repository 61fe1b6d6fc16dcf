//! A market: one venue and one normalized symbol, written `exchange:SYMBOL`.

use super::{Exchange, Symbol, SymbolError, UnknownExchange};
use std::fmt;
use std::str::FromStr;

/// One market: a venue and a normalized symbol. Parsed from `exchange:SYMBOL`
/// (`binance:BTC-USDT`, `kraken:BTC/USD`, `poloniex:BTC_USDT`); displayed as
/// `binance:BTC-USDT`, which parses back to the same market.
///
/// ```
/// use marketfeed::{Exchange, Market};
///
/// let m: Market = "kraken:xbt/usd".parse()?;
/// assert_eq!(m.exchange, Exchange::Kraken);
/// assert_eq!(m.symbol.as_str(), "BTC-USD");
/// assert_eq!(m.to_string(), "kraken:BTC-USD");
/// assert_eq!(m.to_string().parse::<Market>()?, m);
/// assert!("binance".parse::<Market>().is_err());
/// # Ok::<(), marketfeed::MarketError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Market {
    /// The venue.
    pub exchange: Exchange,
    /// The normalized symbol.
    pub symbol: Symbol,
}

impl Market {
    /// A market from its parts.
    pub fn new(exchange: Exchange, symbol: Symbol) -> Self {
        Market { exchange, symbol }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.exchange, self.symbol)
    }
}

/// Why a text is not an `exchange:SYMBOL` market.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MarketError {
    /// No `:` between the venue and the symbol.
    MissingColon(String),
    /// The part before the `:` names no venue marketfeed knows.
    Exchange(UnknownExchange),
    /// The part after the `:` is not a symbol.
    Symbol(SymbolError),
}

impl fmt::Display for MarketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MarketError::MissingColon(text) => {
                write!(
                    f,
                    "{text:?}: expected exchange:SYMBOL (e.g. binance:BTC-USDT)"
                )
            }
            MarketError::Exchange(e) => write!(f, "{e}"),
            MarketError::Symbol(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MarketError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MarketError::MissingColon(_) => None,
            MarketError::Exchange(e) => Some(e),
            MarketError::Symbol(e) => Some(e),
        }
    }
}

impl FromStr for Market {
    type Err = MarketError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (e, s) = text
            .split_once(':')
            .ok_or_else(|| MarketError::MissingColon(text.to_string()))?;
        let exchange = e.parse().map_err(MarketError::Exchange)?;
        let symbol = Symbol::parse(s).map_err(MarketError::Symbol)?;
        Ok(Market { exchange, symbol })
    }
}

impl From<(Exchange, Symbol)> for Market {
    fn from((exchange, symbol): (Exchange, Symbol)) -> Self {
        Market { exchange, symbol }
    }
}

impl From<Market> for (Exchange, Symbol) {
    fn from(m: Market) -> Self {
        (m.exchange, m.symbol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_venue_and_round_trips() {
        for (text, exchange, symbol) in [
            ("binance:BTC-USDT", Exchange::Binance, "BTC-USDT"),
            ("binance-usdm:btcusdt", Exchange::BinanceUsdM, "BTC-USDT"),
            ("kraken:XBT/USD", Exchange::Kraken, "BTC-USD"),
            ("poloniex:BTC_USDT", Exchange::Poloniex, "BTC-USDT"),
        ] {
            let m: Market = text.parse().unwrap();
            assert_eq!(
                (m.exchange, m.symbol.as_str()),
                (exchange, symbol),
                "{text}"
            );
            assert_eq!(m.to_string().parse::<Market>().unwrap(), m);
        }
    }

    #[test]
    fn says_which_part_is_wrong() {
        assert_eq!(
            "BTC-USDT".parse::<Market>(),
            Err(MarketError::MissingColon("BTC-USDT".into()))
        );
        assert!(matches!(
            "nyse:BTC-USDT".parse::<Market>(),
            Err(MarketError::Exchange(UnknownExchange(e))) if e == "nyse"
        ));
        assert!(matches!(
            "binance:".parse::<Market>(),
            Err(MarketError::Symbol(SymbolError::Empty))
        ));
        let e = "kraken BTC/USD".parse::<Market>().unwrap_err();
        assert!(e.to_string().contains("exchange:SYMBOL"), "{e}");
    }
}
