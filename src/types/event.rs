//! Normalized events: what every venue module produces and the rest of the crate consumes.

use super::{Exchange, Market, Symbol, Timestamp};
use rust_decimal::Decimal;

/// Book side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Bids (buy orders).
    Bid,
    /// Asks (sell orders).
    Ask,
}

/// The side of the taker (aggressor) of a trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TakerSide {
    /// The taker bought (lifted an ask).
    Buy,
    /// The taker sold (hit a bid).
    Sell,
}

/// One price level: an exact price and the absolute quantity resting there (`0` deletes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Level {
    /// Price.
    pub price: Decimal,
    /// Absolute quantity at that price; zero means "remove the level".
    pub qty: Decimal,
}

impl Level {
    /// A level from price and quantity.
    pub const fn new(price: Decimal, qty: Decimal) -> Self {
        Level { price, qty }
    }
}

/// The venue's sequence information attached to a book message. Which fields are set
/// depends on the venue:
///
/// | venue | `first_id` | `last_id` | `prev_id` |
/// | --- | --- | --- | --- |
/// | Binance spot diff | `U` | `u` | – |
/// | Binance USD-M diff | `U` | `u` | `pu` |
/// | Binance REST snapshot | – | `lastUpdateId` | – |
/// | Poloniex v3 `book_lv2` | `id` | `id` | `lastId` |
/// | Kraken | – | – | – (checksum only) |
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqIds {
    /// First update id contained in the message.
    pub first_id: Option<u64>,
    /// Last (final) update id contained in the message.
    pub last_id: Option<u64>,
    /// The last id of the previous message, where the venue chains messages.
    pub prev_id: Option<u64>,
}

/// A checksum the venue sent with a book message.
///
/// The value is the venue's 32-bit CRC as unsigned bits (a venue that sends a signed
/// integer is stored as its two's-complement bits); how the book's checksum is computed is
/// the venue's own rule, named by its spec (`VenueSpec::checksum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Checksum(pub u32);

impl Checksum {
    /// The value the venue sent.
    pub fn value(self) -> u32 {
        self.0
    }
}

/// Common header of every market event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Meta {
    /// Venue.
    pub exchange: Exchange,
    /// Normalized symbol.
    pub symbol: Symbol,
    /// The venue's event time, if it sent one.
    pub exchange_time: Option<Timestamp>,
    /// When the frame was received (passed in by the caller).
    pub received_at: Timestamp,
}

/// A full book image: replaces whatever was there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookSnapshot {
    /// Header.
    pub meta: Meta,
    /// Bids, best first.
    pub bids: Vec<Level>,
    /// Asks, best first.
    pub asks: Vec<Level>,
    /// Sequence ids (`last_id` = the snapshot's update id where the venue has one).
    pub seq: SeqIds,
    /// Checksum of the book after applying this snapshot, if the venue sent one.
    pub checksum: Option<Checksum>,
}

/// An incremental book update with absolute quantities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookDelta {
    /// Header.
    pub meta: Meta,
    /// Changed bid levels, in the order received.
    pub bids: Vec<Level>,
    /// Changed ask levels, in the order received.
    pub asks: Vec<Level>,
    /// Sequence ids.
    pub seq: SeqIds,
    /// Checksum of the book after applying this update, if the venue sent one.
    pub checksum: Option<Checksum>,
}

/// A public trade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trade {
    /// Header.
    pub meta: Meta,
    /// The venue's trade id (aggregate id for Binance `aggTrade`), if it has a numeric one.
    pub id: Option<u64>,
    /// Price.
    pub price: Decimal,
    /// Quantity in the base asset.
    pub qty: Decimal,
    /// Who took liquidity.
    pub taker_side: TakerSide,
}

/// Best bid/ask and last price, where the venue sends them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticker {
    /// Header.
    pub meta: Meta,
    /// Best bid, if sent.
    pub bid: Option<Level>,
    /// Best ask, if sent.
    pub ask: Option<Level>,
    /// Last trade price, if sent.
    pub last: Option<Decimal>,
    /// Book update id this ticker corresponds to (Binance `bookTicker` `u`).
    pub update_id: Option<u64>,
}

/// Every event names its market the same way: `event.exchange()` and `event.symbol()` (and
/// `event.market()`), whether it carries a [`Meta`] header (trades, snapshots, deltas,
/// tickers) or is one of the engine's own views (`BookUpdate`, `BestBidAsk`).
macro_rules! market_accessors {
    ($($t:ty),*) => {$(
        impl $t {
            /// The venue.
            pub fn exchange(&self) -> Exchange {
                self.meta.exchange
            }

            /// The normalized symbol.
            pub fn symbol(&self) -> &Symbol {
                &self.meta.symbol
            }

            /// The market (venue and symbol).
            pub fn market(&self) -> Market {
                Market::new(self.meta.exchange, self.meta.symbol.clone())
            }
        }
    )*};
}

market_accessors!(Trade, Ticker, BookSnapshot, BookDelta);

/// A normalized market-data event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MarketEvent {
    /// Full book image.
    Snapshot(BookSnapshot),
    /// Incremental book update.
    Delta(BookDelta),
    /// Public trade.
    Trade(Trade),
    /// Best bid/ask / ticker.
    Ticker(Ticker),
}

impl MarketEvent {
    /// The event header.
    pub fn meta(&self) -> &Meta {
        match self {
            MarketEvent::Snapshot(e) => &e.meta,
            MarketEvent::Delta(e) => &e.meta,
            MarketEvent::Trade(e) => &e.meta,
            MarketEvent::Ticker(e) => &e.meta,
        }
    }
}
