//! Binance spot and USD-M futures as the registry sees them: two flavours of one venue,
//! [`spot`] and [`usdm`], each with its `SPEC` and the items every venue exports
//! (`src/exchange/registry.rs`). The plan is shared and takes the [`Market`].

use super::subscription::{
    combined_stream_url, depth_snapshot_url, depth_weight, stream_name, subscribe_message,
    unsubscribe_message, Channel,
};
use super::{BinanceSync, Market, SnapshotDecision};
use crate::exchange::session::{ConnectPlan, Endpoint, Interest, PlanError};
use crate::exchange::{Decision, Sequence, SnapshotStep};
use crate::types::{BookDelta, Exchange, SeqIds, Symbol};

/// Streams named in a Binance connection URL; the rest are added with `SUBSCRIBE` requests
/// of at most this many streams each. Keeps the URL a few kB long however many symbols a
/// connection carries (Binance allows 1024 streams per connection).
pub const STREAMS_PER_REQUEST: usize = 100;

/// Binance spot quote assets, by which a concatenated wire symbol (`BTCUSDT`) is split.
/// Binance lists no plain `USD` quote, so `BTCTUSD` is unambiguous there.
pub const QUOTES: &[&str] = &[
    "USDT", "USDC", "FDUSD", "TUSD", "BUSD", "USDP", "DAI", "EUR", "GBP", "JPY", "TRY", "BRL",
    "AUD", "BTC", "ETH", "BNB", "XRP", "DOGE", "DOT", "TRX", "SOL", "PLN", "RON", "ARS", "MXN",
    "ZAR", "UAH", "IDR", "EURI", "BIDR", "RUB", "NGN", "COP", "CZK", "PAX", "VAI", "BVND",
];

impl Market {
    /// The venue this market is.
    pub fn exchange(self) -> Exchange {
        match self {
            Market::Spot => Exchange::Binance,
            Market::UsdM => Exchange::BinanceUsdM,
        }
    }
}

fn streams(market: Market, interest: &Interest) -> Vec<String> {
    // USD-M futures publish trades as `@aggTrade` only.
    let trade = match market {
        Market::UsdM => Channel::AggTrade,
        Market::Spot => Channel::Trade,
    };
    let mut streams = Vec::new();
    for s in &interest.books {
        streams.push(stream_name(s, Channel::Depth100ms));
        streams.push(stream_name(s, Channel::BookTicker));
    }
    for s in &interest.trades {
        streams.push(stream_name(s, trade));
    }
    streams
}

fn connect_plan(
    market: Market,
    endpoint: &Endpoint,
    interest: &Interest,
    next_id: &mut u64,
) -> Result<ConnectPlan, PlanError> {
    let exchange = market.exchange();
    if !interest.books.is_empty() && endpoint.rest.is_none() {
        return Err(PlanError::MissingRest(exchange));
    }
    let streams = streams(market, interest);
    let in_url = streams.len().min(STREAMS_PER_REQUEST);
    let base = format!(
        "{}{}",
        endpoint.ws.trim_end_matches('/'),
        exchange.spec().route(!interest.books.is_empty())
    );
    let url = combined_stream_url(&base, &streams[..in_url]);
    let messages = streams[in_url..]
        .chunks(STREAMS_PER_REQUEST)
        .map(|chunk| {
            *next_id += 1;
            subscribe_message(chunk, *next_id)
        })
        .collect();
    Ok(ConnectPlan { url, messages })
}

fn subscribe_more(
    market: Market,
    added: &Interest,
    next_id: &mut u64,
) -> Result<Vec<String>, PlanError> {
    Ok(streams(market, added)
        .chunks(STREAMS_PER_REQUEST)
        .map(|chunk| {
            *next_id += 1;
            subscribe_message(chunk, *next_id)
        })
        .collect())
}

/// Binance accepts streams of unknown symbols (they stay silent; only the REST snapshot
/// says `Invalid symbol`), so a refused symbol needs an unsubscribe.
fn drop_symbol(market: Market, symbol: &Symbol, next_id: &mut u64) -> Vec<String> {
    *next_id += 1;
    let one = std::slice::from_ref(symbol);
    let streams = streams(
        market,
        &Interest {
            books: one.to_vec(),
            trades: one.to_vec(),
            book_depth: 0,
        },
    );
    vec![unsubscribe_message(&streams, *next_id)]
}

fn unsubscribe_all(market: Market, interest: &Interest, next_id: &mut u64) -> Vec<String> {
    *next_id += 1;
    let streams = streams(market, interest);
    if streams.is_empty() {
        Vec::new()
    } else {
        vec![unsubscribe_message(&streams, *next_id)]
    }
}

impl Sequence for BinanceSync {
    fn decide(&mut self, seq: &SeqIds) -> Decision {
        BinanceSync::decide(self, seq)
    }

    fn on_snapshot(&mut self, last_id: Option<u64>) -> SnapshotStep {
        match BinanceSync::on_snapshot(self, last_id.unwrap_or(0)) {
            SnapshotDecision::Apply { replay, dropped } => SnapshotStep::Apply { replay, dropped },
            SnapshotDecision::Refetch { .. } => SnapshotStep::Refetch,
        }
    }

    fn buffer(&mut self, delta: BookDelta) {
        BinanceSync::buffer(self, delta)
    }

    fn mark_fetch_requested(&mut self) {
        BinanceSync::mark_fetch_requested(self)
    }

    fn reset(&mut self) {
        BinanceSync::reset(self)
    }
}

/// The items of one Binance flavour, around the shared plan.
macro_rules! flavour {
    ($market:expr) => {
        use super::*;
        use crate::exchange::{Message, ParseError};
        use crate::types::Timestamp;

        /// Parses one market-stream frame.
        pub fn parse(frame: &str, received_at: Timestamp) -> Result<Vec<Message>, ParseError> {
            super::super::parse($market.exchange(), frame, received_at)
        }

        /// The diff-depth lane (see [`crate::exchange::parse_delta`]).
        pub fn parse_delta(
            frame: &str,
            received_at: Timestamp,
            spare: &mut crate::exchange::LevelBuffers,
        ) -> Option<crate::types::BookDelta> {
            super::super::parse_delta($market.exchange(), frame, received_at, spare)
        }

        /// The combined-stream URL (at most [`STREAMS_PER_REQUEST`] streams in it), then
        /// `SUBSCRIBE` requests for the rest.
        pub fn connect_plan(
            endpoint: &Endpoint,
            interest: &Interest,
            next_id: &mut u64,
        ) -> Result<ConnectPlan, PlanError> {
            super::connect_plan($market, endpoint, interest, next_id)
        }

        /// `SUBSCRIBE` requests of at most [`STREAMS_PER_REQUEST`] streams.
        pub fn subscribe_more(
            added: &Interest,
            next_id: &mut u64,
        ) -> Result<Vec<String>, PlanError> {
            super::subscribe_more($market, added, next_id)
        }

        /// Binance resyncs over REST: no messages.
        pub fn resubscribe_book(_symbol: &Symbol, _depth: u32, _next_id: &mut u64) -> Vec<String> {
            Vec::new()
        }

        /// `UNSUBSCRIBE` of the symbol's streams.
        pub fn drop_symbol(symbol: &Symbol, next_id: &mut u64) -> Vec<String> {
            super::drop_symbol($market, symbol, next_id)
        }

        /// `UNSUBSCRIBE` of every stream.
        pub fn unsubscribe_all(interest: &Interest, next_id: &mut u64) -> Vec<String> {
            super::unsubscribe_all($market, interest, next_id)
        }

        /// `UNSUBSCRIBE` names exactly the streams of the interest it is given.
        pub fn unsubscribe(gone: &Interest, next_id: &mut u64) -> Vec<String> {
            super::unsubscribe_all($market, gone, next_id)
        }

        /// Binance pings from the server side (answered with pong frames).
        pub fn ping(_next_id: &mut u64) -> Option<String> {
            None
        }

        /// The REST depth snapshot URL.
        pub fn snapshot_url(rest: &str, symbol: &Symbol, depth: u32) -> Option<String> {
            Some(depth_snapshot_url(rest, $market, symbol, depth))
        }

        /// The REST depth snapshot body.
        pub fn parse_snapshot(
            body: &str,
            symbol: &Symbol,
            received_at: Timestamp,
        ) -> Result<crate::types::BookSnapshot, ParseError> {
            let exchange = $market.exchange();
            super::super::parse_depth_snapshot(
                exchange,
                &symbol.to_venue(exchange),
                body,
                received_at,
            )
        }

        /// The Binance diff-depth sequencer.
        pub type Sequencer = BinanceSync;

        /// A sequencer waiting for its first snapshot.
        pub fn sequencer() -> Sequencer {
            BinanceSync::new($market)
        }
    };
}

/// Binance spot.
pub mod spot {
    use crate::exchange::spec::{DepthMeaning, DepthSpec, Depths, Resync, VenueSpec};
    use crate::types::SymbolStyle;
    use std::time::Duration;

    flavour!(Market::Spot);

    /// Binance spot (`stream.binance.com`, REST `api.binance.com`).
    pub const SPEC: VenueSpec = VenueSpec {
        name: "binance",
        aliases: &["binance-spot"],
        hosts: &[
            "stream.binance.",
            "data-stream.binance.",
            "stream.testnet.binance.vision",
        ],
        ws_url: super::super::subscription::SPOT_WS,
        rest_url: Some(super::super::subscription::SPOT_REST),
        stream_cap: Some(1024),
        // A book is `@depth@100ms` + `@bookTicker`, trades are `@trade`.
        streams_per_book: 2,
        streams_per_trade: 1,
        book_route: "",
        trade_route: "",
        // Spot counts 5 incoming messages per second (pongs and `SUBSCRIBE` included) and
        // disconnects above it.
        send_limit: 4,
        connect_limit: None,
        keepalive: None,
        // The server pings every 20 s.
        idle_timeout: Duration::from_secs(60),
        resync: Resync::RestSnapshot {
            weight,
            // 80% of the per-IP 6000 per minute, leaving room for the application's own
            // requests from the same IP.
            budget_per_minute: 4800,
            // REQUEST_WEIGHT is counted per minute.
            throttle_window: std::time::Duration::from_secs(60),
        },
        // `GET /api/v3/depth` takes `limit` up to 5000 (protocol reference §1.7).
        depth: DepthSpec {
            meaning: DepthMeaning::Snapshot,
            allowed: Depths::Range { min: 1, max: 5000 },
            default: 1000,
        },
        checksum: None,
        symbol: SymbolStyle::Concatenated { quotes: QUOTES },
    };

    fn weight(depth: u32) -> u32 {
        depth_weight(Market::Spot, depth)
    }
}

/// Binance USD-M futures.
pub mod usdm {
    use crate::exchange::spec::{DepthMeaning, DepthSpec, Depths, Resync, VenueSpec};
    use crate::types::SymbolStyle;
    use std::time::Duration;

    flavour!(Market::UsdM);

    /// Binance USD-M futures (`fstream.binance.com`, REST `fapi.binance.com`).
    pub const SPEC: VenueSpec = VenueSpec {
        name: "binance-usdm",
        aliases: &["binance_futures", "binance-futures", "binanceusdm"],
        hosts: &["fstream."],
        ws_url: super::super::subscription::USDM_WS,
        rest_url: Some(super::super::subscription::USDM_REST),
        stream_cap: Some(1024),
        streams_per_book: 2,
        streams_per_trade: 1,
        // Book data is served on `/public` and trades on `/market` (since 2026-04; a stream
        // on the wrong path is accepted and silently never delivered), so books and trades
        // never share a connection.
        book_route: "/public",
        trade_route: "/market",
        // 10 incoming messages per second.
        send_limit: 8,
        connect_limit: None,
        keepalive: None,
        // The server pings every 3 minutes; a quiet `/market` connection may carry nothing
        // else.
        idle_timeout: Duration::from_secs(200),
        resync: Resync::RestSnapshot {
            weight,
            // 80% of the per-IP 2400 per minute.
            budget_per_minute: 1920,
            throttle_window: std::time::Duration::from_secs(60),
        },
        // `GET /fapi/v1/depth` takes `limit` ∈ 5, 10, 20, 50, 100, 500, 1000.
        depth: DepthSpec {
            meaning: DepthMeaning::Snapshot,
            allowed: Depths::OneOf(&[5, 10, 20, 50, 100, 500, 1000]),
            default: 1000,
        },
        checksum: None,
        symbol: SymbolStyle::Concatenated { quotes: QUOTES },
    };

    fn weight(depth: u32) -> u32 {
        depth_weight(Market::UsdM, depth)
    }
}
