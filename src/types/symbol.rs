//! Normalized symbols (`BTC-USDT`) and their venue-specific forms.
//!
//! A [`Symbol`] is `BASE-QUOTE` in upper case with canonical asset codes (Kraken's
//! legacy `XBT` is `BTC`, `XDG` is `DOGE`), optionally followed by an instrument-kind suffix
//! for venues that serve several kinds of instrument on one endpoint (OKX): perpetual swaps
//! `BTC-USDT-SWAP`, dated futures `BTC-USD-220527` ([`InstrumentKind`]). A plain
//! `BASE-QUOTE` is the venue's default kind: spot on spot venues, and the perpetual on a
//! venue whose [`Exchange`] variant already names the market (`Exchange::BinanceUsdM` +
//! `BTC-USDT`). User input is accepted in the usual forms; a
//! concatenated form (`btcusdt`) is split only with a known quote list, and input that
//! matches no quote or more than one is an error, never a guess.

use super::Exchange;
use smol_str::SmolStr;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Quote assets recognised when splitting a concatenated symbol from user input or
/// from venues without separators. Longer codes that end with a shorter one
/// (`TUSD`/`USD`) make the input ambiguous, which is reported as such.
const GENERAL_QUOTES: &[&str] = &[
    "USDT", "USDC", "FDUSD", "TUSD", "BUSD", "USDP", "DAI", "USD", "EUR", "GBP", "JPY", "TRY",
    "BRL", "AUD", "CHF", "CAD", "BTC", "ETH", "BNB", "XRP", "DOGE", "DOT", "TRX", "SOL", "PLN",
    "RON", "ARS", "MXN", "ZAR", "UAH", "IDR", "EURI",
];

/// How a venue writes a symbol on the wire. Each venue's spec names its style
/// (`VenueSpec::symbol`); [`Symbol::to_venue`] and [`Symbol::from_venue`] follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SymbolStyle {
    /// Base and quote joined without a separator (`BTCUSDT`); read back by splitting off
    /// one of these quote assets (none or several fitting is an error, never a guess).
    Concatenated {
        /// The venue's quote assets.
        quotes: &'static [&'static str],
    },
    /// Base and quote around a separator (`BTC/USD`, `BTC_USDT`).
    Separated(char),
    /// Base and quote around a separator, followed by the instrument kind's suffix where
    /// it is not spot (OKX `BTC-USDT`, `BTC-USDT-SWAP`, `BTC-USD-220527`).
    Instrument(char),
}

impl SymbolStyle {
    /// `symbol` written in this style.
    pub fn write(self, symbol: &Symbol) -> String {
        match self {
            SymbolStyle::Concatenated { .. } => format!("{}{}", symbol.base(), symbol.quote()),
            SymbolStyle::Separated(sep) => format!("{}{sep}{}", symbol.base(), symbol.quote()),
            SymbolStyle::Instrument(sep) => match symbol.kind_suffix() {
                "" => format!("{}{sep}{}", symbol.base(), symbol.quote()),
                kind => format!("{}{sep}{}{sep}{kind}", symbol.base(), symbol.quote()),
            },
        }
    }

    /// True when this style can write `kind` (only [`SymbolStyle::Instrument`] writes a
    /// kind other than the venue's default).
    pub fn writes_kind(self, kind: InstrumentKind) -> bool {
        matches!(self, SymbolStyle::Instrument(_)) || kind == InstrumentKind::Spot
    }

    /// Reads a symbol written in this style.
    pub fn read(self, wire: &str) -> Result<Symbol, SymbolError> {
        match self {
            SymbolStyle::Concatenated { quotes } => split_concatenated(wire, quotes),
            SymbolStyle::Separated(sep) => match wire.split_once(sep) {
                Some((b, q)) => Symbol::new(b, q),
                None => Err(SymbolError::UnknownQuote(wire.to_string())),
            },
            SymbolStyle::Instrument(sep) => {
                let mut parts = wire.split(sep);
                match (parts.next(), parts.next(), parts.next(), parts.next()) {
                    (Some(b), Some(q), None, _) => Symbol::new(b, q),
                    (Some(b), Some(q), Some(kind), None) => {
                        Symbol::with_kind(b, q, InstrumentKind::from_suffix(kind, wire)?)
                    }
                    (_, None, ..) => Err(SymbolError::UnknownQuote(wire.to_string())),
                    _ => Err(SymbolError::UnknownKind(wire.to_string())),
                }
            }
        }
    }
}

/// What kind of instrument a symbol names, where one endpoint serves several (OKX). Written
/// as the symbol's suffix: none for spot, `SWAP` for a perpetual swap, the expiry `YYMMDD`
/// for a dated future.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum InstrumentKind {
    /// Spot, or the venue's only kind (no suffix).
    Spot,
    /// Perpetual swap (`-SWAP`; `-PERP` is read as the same).
    Perpetual,
    /// Dated future expiring on `yymmdd` (`-220527`: 2022-05-27).
    Future {
        /// The expiry as the six digits `YYMMDD`.
        yymmdd: u32,
    },
}

impl InstrumentKind {
    /// Reads a kind suffix (`SWAP`, `PERP`, six digits); options and anything else are
    /// [`SymbolError::UnknownKind`] of `input`.
    fn from_suffix(suffix: &str, input: &str) -> Result<InstrumentKind, SymbolError> {
        if suffix.eq_ignore_ascii_case("SWAP") || suffix.eq_ignore_ascii_case("PERP") {
            return Ok(InstrumentKind::Perpetual);
        }
        let expiry = suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_digit());
        match suffix.parse::<u32>() {
            Ok(yymmdd) if expiry => Ok(InstrumentKind::Future { yymmdd }),
            _ => Err(SymbolError::UnknownKind(input.to_string())),
        }
    }
}

/// Why a symbol text could not be understood.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SymbolError {
    /// Empty input, or an empty base or quote.
    Empty,
    /// A character that no venue uses in asset codes.
    InvalidChar {
        /// The input.
        input: String,
        /// The offending character.
        ch: char,
    },
    /// A concatenated symbol whose quote is not in the known quote list.
    UnknownQuote(String),
    /// An instrument-kind suffix that is not `SWAP`/`PERP` or a `YYMMDD` expiry (options
    /// such as `BTC-USD-260925-60000-C` are not supported).
    UnknownKind(String),
    /// A concatenated symbol that splits in more than one way with the known quotes.
    Ambiguous {
        /// The input.
        input: String,
        /// The possible `BASE-QUOTE` readings.
        candidates: Vec<String>,
    },
}

impl fmt::Display for SymbolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SymbolError::Empty => f.write_str("empty symbol or empty base/quote"),
            SymbolError::InvalidChar { input, ch } => {
                write!(f, "invalid character {ch:?} in symbol {input:?}")
            }
            SymbolError::UnknownQuote(s) => write!(
                f,
                "cannot split {s:?}: no known quote asset; write it as BASE-QUOTE (e.g. BTC-USDT)"
            ),
            SymbolError::UnknownKind(s) => write!(
                f,
                "{s:?}: unknown instrument kind; expected BASE-QUOTE, BASE-QUOTE-SWAP or BASE-QUOTE-YYMMDD"
            ),
            SymbolError::Ambiguous { input, candidates } => write!(
                f,
                "symbol {input:?} is ambiguous ({}); write it as BASE-QUOTE",
                candidates.join(" or ")
            ),
        }
    }
}

impl std::error::Error for SymbolError {}

/// A normalized trading pair, `BASE-QUOTE` in upper case, with the instrument kind's suffix
/// where it is not spot (`BTC-USDT-SWAP`, `BTC-USD-220527`). Cheap to clone (inline storage).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol {
    text: SmolStr,
    dash: u8,
    /// Where the quote ends: `text.len()` for spot, else the `-` before the kind suffix.
    quote_end: u8,
}

fn canonical_asset(code: &str) -> &str {
    match code {
        "XBT" => "BTC",
        "XDG" => "DOGE",
        other => other,
    }
}

/// Upper-cases only when needed (wire symbols usually are upper case already).
fn upper(code: &str) -> Cow<'_, str> {
    if code.bytes().any(|b| b.is_ascii_lowercase()) || !code.is_ascii() {
        Cow::Owned(code.to_uppercase())
    } else {
        Cow::Borrowed(code)
    }
}

fn check_asset(code: &str) -> Result<(), SymbolError> {
    if code.is_empty() {
        return Err(SymbolError::Empty);
    }
    if let Some(ch) = code.chars().find(|c| !c.is_alphanumeric()) {
        return Err(SymbolError::InvalidChar {
            input: String::new(),
            ch,
        });
    }
    Ok(())
}

impl SymbolError {
    fn with_input(self, text: String) -> SymbolError {
        match self {
            SymbolError::InvalidChar { ch, .. } => SymbolError::InvalidChar { input: text, ch },
            other => other,
        }
    }
}

impl Symbol {
    /// Builds `BASE-QUOTE` from two asset codes (any case; `XBT`/`XDG` are canonicalised).
    pub fn new(base: &str, quote: &str) -> Result<Symbol, SymbolError> {
        let input = || format!("{base}-{quote}");
        check_asset(base).map_err(|e| e.with_input(input()))?;
        check_asset(quote).map_err(|e| e.with_input(input()))?;
        if base.len() > 200 || quote.len() > 200 {
            return Err(SymbolError::InvalidChar {
                input: input(),
                ch: '…',
            });
        }
        let (base, quote) = (upper(base), upper(quote));
        Ok(Symbol::from_upper(
            canonical_asset(&base),
            canonical_asset(&quote),
        ))
    }

    /// Builds `BASE-QUOTE` of instrument `kind` (`BTC-USDT-SWAP` for a perpetual).
    pub fn with_kind(base: &str, quote: &str, kind: InstrumentKind) -> Result<Symbol, SymbolError> {
        let plain = Symbol::new(base, quote)?;
        let text = match kind {
            InstrumentKind::Spot => return Ok(plain),
            InstrumentKind::Perpetual => smol_str::format_smolstr!("{plain}-SWAP"),
            InstrumentKind::Future { yymmdd } if yymmdd <= 999_999 => {
                smol_str::format_smolstr!("{plain}-{yymmdd:06}")
            }
            InstrumentKind::Future { .. } => {
                return Err(SymbolError::UnknownKind(format!("{plain}-{kind:?}")))
            }
        };
        Ok(Symbol {
            quote_end: plain.text.len() as u8,
            dash: plain.dash,
            text,
        })
    }

    /// Joins codes that are already upper case and canonical (no heap allocation for
    /// symbols of up to 23 bytes).
    fn from_upper(base: &str, quote: &str) -> Symbol {
        Symbol {
            dash: base.len() as u8,
            quote_end: (base.len() + 1 + quote.len()) as u8,
            text: smol_str::format_smolstr!("{base}-{quote}"),
        }
    }

    /// Parses user input: `BTC-USDT`, `BTC/USDT`, `BTC_USDT`, `btcusdt`, `XBT/USD` (→ `BTC-USD`),
    /// and with an instrument kind `BTC-USDT-SWAP`, `BTC-USD-220527`.
    pub fn parse(input: &str) -> Result<Symbol, SymbolError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(SymbolError::Empty);
        }
        if let Some(pos) = trimmed.find(['-', '/', '_']) {
            let (base, rest) = trimmed.split_at(pos);
            let rest = &rest[1..];
            return match rest.split_once(['-', '/', '_']) {
                None => Symbol::new(base, rest),
                Some((quote, kind)) => {
                    Symbol::with_kind(base, quote, InstrumentKind::from_suffix(kind, trimmed)?)
                }
            };
        }
        split_concatenated(trimmed, GENERAL_QUOTES)
    }

    /// The normalized text, `BTC-USDT`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The base asset, `BTC`.
    pub fn base(&self) -> &str {
        &self.text[..self.dash as usize]
    }

    /// The quote asset, `USDT`.
    pub fn quote(&self) -> &str {
        &self.text[self.dash as usize + 1..self.quote_end as usize]
    }

    /// The instrument kind: [`InstrumentKind::Spot`] for a plain `BASE-QUOTE`.
    pub fn kind(&self) -> InstrumentKind {
        match self.kind_suffix() {
            "" => InstrumentKind::Spot,
            "SWAP" => InstrumentKind::Perpetual,
            digits => InstrumentKind::Future {
                // Only `with_kind` writes a suffix: six digits.
                yymmdd: digits.parse().unwrap_or_default(),
            },
        }
    }

    /// The kind suffix as written (`SWAP`, `220527`; empty for spot).
    fn kind_suffix(&self) -> &str {
        self.text
            .get(self.quote_end as usize + 1..)
            .unwrap_or_default()
    }

    /// The venue's own form, in the venue's [`SymbolStyle`]: Binance `BTCUSDT`, Kraken v2
    /// `BTC/USD`, Poloniex `BTC_USDT`.
    pub fn to_venue(&self, exchange: Exchange) -> String {
        exchange.spec().symbol.write(self)
    }

    /// Reads a venue's own form back into a normalized symbol.
    pub fn from_venue(exchange: Exchange, wire: &str) -> Result<Symbol, SymbolError> {
        // A feed names the same few symbols frame after frame: the last few read on this
        // thread are kept (wire text inline, no allocation), and a hit skips the upper-
        // casing, validation and quote search. Only successes are kept, so errors are always
        // computed afresh; a hit returns exactly what the read gave for the same input.
        const WAYS: usize = 4;
        type Entry = Option<(Exchange, SmolStr, Symbol)>;
        thread_local! {
            static RECENT: std::cell::RefCell<([Entry; WAYS], usize)> =
                const { std::cell::RefCell::new(([const { None }; WAYS], 0)) };
        }
        let hit = RECENT.with(|recent| {
            recent.borrow().0.iter().find_map(|entry| match entry {
                Some((e, w, sym)) if *e == exchange && w.as_str() == wire => Some(sym.clone()),
                _ => None,
            })
        });
        if let Some(sym) = hit {
            return Ok(sym);
        }
        let read = exchange.spec().symbol.read(wire)?;
        if wire.len() <= 23 {
            RECENT.with(|recent| {
                let (entries, next) = &mut *recent.borrow_mut();
                entries[*next] = Some((exchange, SmolStr::new(wire), read.clone()));
                *next = (*next + 1) % WAYS;
            });
        }
        Ok(read)
    }
}

fn split_concatenated(input: &str, quotes: &[&str]) -> Result<Symbol, SymbolError> {
    let upper = upper(input);
    check_asset(&upper).map_err(|e| e.with_input(input.to_string()))?;
    let fits = |q: &&&str| upper.len() > q.len() && upper.ends_with(**q);
    let mut matches = quotes.iter().filter(fits);
    match (matches.next(), matches.next()) {
        (None, _) => Err(SymbolError::UnknownQuote(input.to_string())),
        (Some(q), None) => {
            let base = &upper[..upper.len() - q.len()];
            Ok(Symbol::from_upper(
                canonical_asset(base),
                canonical_asset(q),
            ))
        }
        _ => Err(SymbolError::Ambiguous {
            input: input.to_string(),
            candidates: quotes
                .iter()
                .filter(fits)
                .map(|q| format!("{}-{q}", &upper[..upper.len() - q.len()]))
                .collect(),
        }),
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.text)
    }
}

impl FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Symbol::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-thread last-symbol cache never changes an answer: the same wire text on
    /// another venue, alternating texts, and errors right after a hit all read as the
    /// uncached style does.
    #[test]
    fn from_venue_cache_answers_as_the_style_reads() {
        let cases = [
            (Exchange::Binance, "BTCUSDT"),
            (Exchange::Binance, "BTCUSDT"),
            (Exchange::Poloniex, "BTCUSDT"),
            (Exchange::Binance, "ethusdt"),
            (Exchange::Binance, "BTCXYZ"),
            (Exchange::Kraken, "XBT/USD"),
            (Exchange::Kraken, "XBT/USD"),
            (Exchange::Binance, "XBT/USD"),
            (Exchange::Poloniex, "BTC_USDT"),
            (Exchange::Poloniex, "BTC_USDT"),
            (Exchange::Kraken, "BTC_USDT"),
            (Exchange::Binance, "SOLUSDT"),
            (Exchange::Binance, "XRPUSDT"),
            (Exchange::Binance, "DOGEUSDT"),
            (Exchange::Binance, "ADAUSDT"),
            (Exchange::Binance, "BTCUSDT"),
        ];
        for _ in 0..2 {
            for (e, wire) in cases {
                assert_eq!(
                    Symbol::from_venue(e, wire),
                    e.spec().symbol.read(wire),
                    "{e}: {wire}"
                );
            }
        }
    }

    fn s(x: &str) -> Symbol {
        Symbol::parse(x).unwrap()
    }

    #[test]
    fn accepts_the_usual_forms() {
        for input in [
            "BTC-USDT",
            "btcusdt",
            "BTC/USDT",
            "BTC_USDT",
            "btc-usdt",
            " BTCUSDT ",
        ] {
            assert_eq!(s(input).as_str(), "BTC-USDT", "{input}");
        }
        assert_eq!(s("XBT/USD").as_str(), "BTC-USD");
        assert_eq!(s("XDG/USD").as_str(), "DOGE-USD");
        assert_eq!(s("ethbtc").as_str(), "ETH-BTC");
        assert_eq!(s("BTC-USDT").base(), "BTC");
        assert_eq!(s("BTC-USDT").quote(), "USDT");
        assert_eq!(s("BTC-USDT").kind(), InstrumentKind::Spot);
    }

    #[test]
    fn keeps_the_instrument_kind() {
        let swap = s("btc-usdt-swap");
        assert_eq!(swap.as_str(), "BTC-USDT-SWAP");
        assert_eq!((swap.base(), swap.quote()), ("BTC", "USDT"));
        assert_eq!(swap.kind(), InstrumentKind::Perpetual);
        assert_eq!(s("BTC/USDT/PERP"), swap);
        let fut = s("BTC-USD-220527");
        assert_eq!(fut.quote(), "USD");
        assert_eq!(fut.kind(), InstrumentKind::Future { yymmdd: 220_527 });
        assert_eq!(
            Symbol::with_kind("btc", "usd", InstrumentKind::Future { yymmdd: 220_527 }),
            Ok(fut.clone())
        );
        assert_ne!(fut, s("BTC-USD"));
        let okx = SymbolStyle::Instrument('-');
        for wire in ["BTC-USDT", "BTC-USDT-SWAP", "BTC-USD-220527"] {
            let sym = okx.read(wire).unwrap();
            assert_eq!(sym.as_str(), wire);
            assert_eq!(okx.write(&sym), wire);
        }
        for bad in ["BTC-USD-260925-60000-C", "BTC-USD-2205", "BTC-USD-SWAPX"] {
            assert!(
                matches!(okx.read(bad), Err(SymbolError::UnknownKind(_))),
                "{bad}"
            );
            assert!(Symbol::parse(bad).is_err(), "{bad}");
        }
        assert!(okx.writes_kind(InstrumentKind::Perpetual));
        assert!(!SymbolStyle::Separated('/').writes_kind(InstrumentKind::Perpetual));
        assert!(SymbolStyle::Separated('/').writes_kind(InstrumentKind::Spot));
    }

    #[test]
    fn maps_to_each_venue() {
        let btc = s("BTC-USDT");
        assert_eq!(btc.to_venue(Exchange::Binance), "BTCUSDT");
        assert_eq!(
            crate::exchange::binance::subscription::stream_symbol(&btc),
            "btcusdt"
        );
        assert_eq!(btc.to_venue(Exchange::Poloniex), "BTC_USDT");
        assert_eq!(s("BTC-USD").to_venue(Exchange::Kraken), "BTC/USD");
        assert_eq!(crate::exchange::kraken::to_v1(&s("BTC-USD")), "XBT/USD");
        assert_eq!(
            Symbol::from_venue(Exchange::Kraken, "XBT/CHF")
                .unwrap()
                .as_str(),
            "BTC-CHF"
        );
        assert_eq!(
            Symbol::from_venue(Exchange::Binance, "NKNUSDT")
                .unwrap()
                .as_str(),
            "NKN-USDT"
        );
        assert_eq!(
            Symbol::from_venue(Exchange::Binance, "BTCTUSD")
                .unwrap()
                .as_str(),
            "BTC-TUSD"
        );
        assert_eq!(
            Symbol::from_venue(Exchange::Poloniex, "BTC_USDT").unwrap(),
            btc
        );
    }

    #[test]
    fn ambiguous_and_unknown_are_errors() {
        assert!(matches!(
            Symbol::parse("btctusd"),
            Err(SymbolError::Ambiguous { .. })
        ));
        assert!(matches!(
            Symbol::parse("foobar"),
            Err(SymbolError::UnknownQuote(_))
        ));
        assert!(matches!(
            Symbol::parse("USDT"),
            Err(SymbolError::UnknownQuote(_))
        ));
        assert_eq!(Symbol::parse(""), Err(SymbolError::Empty));
        assert_eq!(Symbol::parse("BTC-"), Err(SymbolError::Empty));
        assert!(matches!(
            Symbol::parse("BT C-USD"),
            Err(SymbolError::InvalidChar { .. })
        ));
    }
}
