//! What a connection sends, per venue: the URL to open, the subscribe messages, how to resync
//! one book, and the application keepalive. Pure functions over the venue subscription
//! builders, so the connection actor stays a thin shell.

use super::{binance, kraken, poloniex};
use crate::types::{Exchange, Symbol};
use std::fmt;
use std::time::Duration;

/// Where a venue is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// WebSocket URL (Binance: the stream base, e.g. `wss://stream.binance.com:9443`; the
    /// combined-stream path is appended).
    pub ws: String,
    /// REST base for snapshots (Binance only), e.g. `https://api.binance.com`.
    pub rest: Option<String>,
}

impl Endpoint {
    /// Checks the URLs with a real URL parser: `ws`/`wss` with a host (and a valid port) for
    /// the WebSocket, `http`/`https` with a host for REST, which venues that snapshot over
    /// REST must have. The error says what is wrong.
    pub fn validate(&self, exchange: Exchange) -> Result<(), String> {
        fn check(what: &str, raw: &str, schemes: [&str; 2]) -> Result<(), String> {
            let u = url::Url::parse(raw).map_err(|e| format!("{what} URL {raw:?}: {e}"))?;
            if !schemes.contains(&u.scheme()) {
                return Err(format!(
                    "{what} URL {raw:?}: scheme must be {} or {}",
                    schemes[0], schemes[1]
                ));
            }
            if u.host_str().is_none_or(str::is_empty) {
                return Err(format!("{what} URL {raw:?} has no host"));
            }
            if u.query().is_some() || u.fragment().is_some() {
                return Err(format!("{what} URL {raw:?}: no query or fragment allowed"));
            }
            Ok(())
        }
        check("WebSocket", &self.ws, ["ws", "wss"])?;
        match &self.rest {
            Some(rest) => check("REST", rest, ["http", "https"]),
            None if Endpoint::production(exchange).rest.is_some() => {
                Err("a REST endpoint is required (order-book snapshots)".into())
            }
            None => Ok(()),
        }
    }

    /// The production endpoint of `exchange`.
    pub fn production(exchange: Exchange) -> Endpoint {
        match exchange {
            Exchange::Binance => Endpoint {
                ws: binance::subscription::SPOT_WS.into(),
                rest: Some(binance::subscription::SPOT_REST.into()),
            },
            Exchange::BinanceUsdM => Endpoint {
                ws: binance::subscription::USDM_WS.into(),
                rest: Some(binance::subscription::USDM_REST.into()),
            },
            Exchange::Kraken => Endpoint {
                ws: kraken::subscription::WS_V2.into(),
                rest: None,
            },
            Exchange::Poloniex => Endpoint {
                ws: poloniex::subscription::PUBLIC_WS.into(),
                rest: None,
            },
        }
    }
}

/// What one connection carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interest {
    /// Symbols whose order book is maintained.
    pub books: Vec<Symbol>,
    /// Symbols whose trades are streamed.
    pub trades: Vec<Symbol>,
    /// Book depth per side to request where the venue takes one (Kraken).
    pub book_depth: u32,
}

impl Interest {
    /// True when nothing is subscribed.
    pub fn is_empty(&self) -> bool {
        self.books.is_empty() && self.trades.is_empty()
    }
}

/// A configuration the venue would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanError {
    /// Kraken accepts only book depths 10, 25, 100, 500, 1000.
    InvalidDepth(u32),
    /// Binance needs a REST endpoint for snapshots.
    MissingRest(Exchange),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::InvalidDepth(d) => {
                write!(
                    f,
                    "book depth {d} is not accepted (Kraken: 10, 25, 100, 500, 1000)"
                )
            }
            PlanError::MissingRest(e) => write!(f, "{e} needs a REST endpoint for snapshots"),
        }
    }
}

impl std::error::Error for PlanError {}

/// The URL to open and the messages to send once connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectPlan {
    /// WebSocket URL.
    pub url: String,
    /// Text messages to send right after the handshake, in order.
    pub messages: Vec<String>,
}

fn binance_streams(exchange: Exchange, interest: &Interest) -> Vec<String> {
    use binance::subscription::{stream_name, Channel};
    // USD-M futures publish trades as `@aggTrade` only.
    let trade = match exchange {
        Exchange::BinanceUsdM => Channel::AggTrade,
        _ => Channel::Trade,
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

/// The path a venue routes a connection's streams to, appended to the endpoint's `ws`:
/// Binance USD-M serves book data on `/public` and trades on `/market` (since 2026-04; a
/// stream on the wrong path is accepted and silently never delivered), so its books and its
/// trades never share a connection. Empty for every other venue.
pub fn route(exchange: Exchange, book: bool) -> &'static str {
    match (exchange, book) {
        (Exchange::BinanceUsdM, true) => "/public",
        (Exchange::BinanceUsdM, false) => "/market",
        _ => "",
    }
}

/// Streams named in a Binance connection URL; the rest are added with `SUBSCRIBE` requests
/// of at most this many streams each. Keeps the URL a few kB long however many symbols a
/// connection carries (Binance allows 1024 streams per connection).
pub const BINANCE_STREAMS_PER_REQUEST: usize = 100;

/// The most streams one connection may carry, where the venue sets a limit (Binance: 1024).
pub fn stream_cap(exchange: Exchange) -> Option<usize> {
    match exchange {
        Exchange::Binance | Exchange::BinanceUsdM => Some(1024),
        Exchange::Kraken | Exchange::Poloniex => None,
    }
}

/// Streams one book, or one trade subscription, takes on a connection (what [`stream_cap`]
/// counts): a Binance book is `@depth@100ms` + `@bookTicker`, trades are `@trade`.
pub fn streams_per(exchange: Exchange, book: bool) -> usize {
    match (exchange, book) {
        (Exchange::Binance | Exchange::BinanceUsdM, true) => 2,
        (Exchange::Binance | Exchange::BinanceUsdM, false) => 1,
        _ => 0,
    }
}

/// The plan for a (re)connection carrying `interest`. `next_id` numbers requests.
pub fn connect_plan(
    exchange: Exchange,
    endpoint: &Endpoint,
    interest: &Interest,
    next_id: &mut u64,
) -> Result<ConnectPlan, PlanError> {
    let mut id = || {
        *next_id += 1;
        *next_id
    };
    match exchange {
        Exchange::Binance | Exchange::BinanceUsdM => {
            if !interest.books.is_empty() && endpoint.rest.is_none() {
                return Err(PlanError::MissingRest(exchange));
            }
            let streams = binance_streams(exchange, interest);
            let in_url = streams.len().min(BINANCE_STREAMS_PER_REQUEST);
            let base = format!(
                "{}{}",
                endpoint.ws.trim_end_matches('/'),
                route(exchange, !interest.books.is_empty())
            );
            let url = binance::subscription::combined_stream_url(&base, &streams[..in_url]);
            let messages = streams[in_url..]
                .chunks(BINANCE_STREAMS_PER_REQUEST)
                .map(|chunk| binance::subscription::subscribe_message(chunk, id()))
                .collect();
            Ok(ConnectPlan { url, messages })
        }
        Exchange::Kraken => {
            let mut messages = Vec::new();
            if !interest.books.is_empty() {
                // Instruments first: the book checksum needs their precisions.
                messages.push(kraken::subscription::subscribe_instrument(id()));
                messages.push(
                    kraken::subscription::subscribe_book(
                        &interest.books,
                        interest.book_depth,
                        id(),
                    )
                    .map_err(|_| PlanError::InvalidDepth(interest.book_depth))?,
                );
            }
            if !interest.trades.is_empty() {
                messages.push(kraken::subscription::subscribe_trades(
                    &interest.trades,
                    id(),
                ));
            }
            Ok(ConnectPlan {
                url: endpoint.ws.clone(),
                messages,
            })
        }
        Exchange::Poloniex => {
            use poloniex::subscription::{subscribe, Channel};
            // One symbol per request: Poloniex refuses a whole request when one symbol in it
            // is unknown, so a bad symbol must not take the good ones down with it. (500
            // requests per second per connection leaves ample room.)
            let books = interest.books.iter().map(|s| (Channel::BookLv2, s));
            let trades = interest.trades.iter().map(|s| (Channel::Trades, s));
            let messages = books
                .chain(trades)
                .map(|(channel, s)| subscribe(&[channel], std::slice::from_ref(s)))
                .collect();
            Ok(ConnectPlan {
                url: endpoint.ws.clone(),
                messages,
            })
        }
    }
}

/// Messages that add `added` to an open connection (live subscription).
pub fn subscribe_more(
    exchange: Exchange,
    added: &Interest,
    next_id: &mut u64,
) -> Result<Vec<String>, PlanError> {
    match exchange {
        Exchange::Binance | Exchange::BinanceUsdM => {
            let streams = binance_streams(exchange, added);
            Ok(streams
                .chunks(BINANCE_STREAMS_PER_REQUEST)
                .map(|chunk| {
                    *next_id += 1;
                    binance::subscription::subscribe_message(chunk, *next_id)
                })
                .collect())
        }
        Exchange::Kraken | Exchange::Poloniex => {
            let endpoint = Endpoint {
                ws: String::new(),
                rest: None,
            };
            Ok(connect_plan(exchange, &endpoint, added, next_id)?.messages)
        }
    }
}

/// Messages that make the venue send a fresh snapshot of one book (unsubscribe, then
/// subscribe). Binance resyncs over REST instead, so it has none.
pub fn resubscribe_book(
    exchange: Exchange,
    symbol: &Symbol,
    depth: u32,
    next_id: &mut u64,
) -> Vec<String> {
    let one = std::slice::from_ref(symbol);
    match exchange {
        Exchange::Binance | Exchange::BinanceUsdM => Vec::new(),
        Exchange::Kraken => {
            *next_id += 2;
            let un = kraken::subscription::unsubscribe_book(one, depth, *next_id - 1);
            let sub = kraken::subscription::subscribe_book(one, depth, *next_id);
            un.into_iter().chain(sub).collect()
        }
        Exchange::Poloniex => {
            use poloniex::subscription::{subscribe, unsubscribe, Channel};
            vec![
                unsubscribe(&[Channel::BookLv2], one),
                subscribe(&[Channel::BookLv2], one),
            ]
        }
    }
}

/// Messages that end the subscriptions of one symbol the venue does not know (see
/// [`crate::exchange::Control::Rejected`]). Binance accepts streams of unknown symbols (they
/// stay silent; only the REST snapshot says `Invalid symbol`), so it needs an unsubscribe;
/// Kraken and Poloniex refused the subscription in the first place.
pub fn drop_symbol(exchange: Exchange, symbol: &Symbol, next_id: &mut u64) -> Vec<String> {
    match exchange {
        Exchange::Binance | Exchange::BinanceUsdM => {
            *next_id += 1;
            let one = std::slice::from_ref(symbol);
            let streams = binance_streams(
                exchange,
                &Interest {
                    books: one.to_vec(),
                    trades: one.to_vec(),
                    book_depth: 0,
                },
            );
            vec![binance::subscription::unsubscribe_message(
                &streams, *next_id,
            )]
        }
        Exchange::Kraken | Exchange::Poloniex => Vec::new(),
    }
}

/// Messages that end every subscription of a connection before it is closed.
pub fn unsubscribe_all(exchange: Exchange, interest: &Interest, next_id: &mut u64) -> Vec<String> {
    *next_id += 1;
    match exchange {
        Exchange::Binance | Exchange::BinanceUsdM => {
            let streams = binance_streams(exchange, interest);
            if streams.is_empty() {
                Vec::new()
            } else {
                vec![binance::subscription::unsubscribe_message(
                    &streams, *next_id,
                )]
            }
        }
        Exchange::Kraken => {
            if interest.books.is_empty() {
                return Vec::new();
            }
            kraken::subscription::unsubscribe_book(&interest.books, interest.book_depth, *next_id)
                .into_iter()
                .collect()
        }
        Exchange::Poloniex => vec![poloniex::subscription::unsubscribe_all()],
    }
}

/// How many messages a client may send on one connection per window, kept under the venue's
/// limit: Binance spot counts 5 incoming messages per second (pongs and `SUBSCRIBE` included)
/// and disconnects above it, USD-M 10; Poloniex allows 500 requests per second; Kraken's
/// limit is not published (`Exceeded msg rate`), so bursts are kept small.
pub fn send_limit(exchange: Exchange) -> (usize, Duration) {
    let second = Duration::from_secs(1);
    match exchange {
        Exchange::Binance => (4, second),
        Exchange::BinanceUsdM => (8, second),
        Exchange::Kraken => (20, second),
        Exchange::Poloniex => (400, second),
    }
}

/// The send gate is the shared one (`crate::limit::SendGate`); its venue limit is here.
pub(crate) use crate::limit::SendGate;

impl SendGate {
    /// The gate for `exchange` ([`send_limit`]).
    pub(crate) fn for_exchange(exchange: Exchange) -> Self {
        let (limit, window) = send_limit(exchange);
        SendGate::new(limit, window)
    }
}

/// The application-level ping a client must send, and how often. Binance pings from the
/// server side (answered with pong frames), so it has none.
pub fn keepalive(exchange: Exchange, next_id: &mut u64) -> Option<(String, Duration)> {
    match exchange {
        Exchange::Binance | Exchange::BinanceUsdM => None,
        Exchange::Kraken => {
            *next_id += 1;
            Some((
                kraken::subscription::ping(*next_id),
                Duration::from_secs(20),
            ))
        }
        Exchange::Poloniex => Some((poloniex::subscription::ping(), Duration::from_secs(15))),
    }
}

/// How long a connection may stay silent before it is considered dead: Binance spot pings
/// every 20 s, USD-M every 3 minutes (a quiet `/market` trade connection may carry nothing
/// else), Kraken sends heartbeats every second, Poloniex answers our 15 s pings.
pub fn idle_timeout(exchange: Exchange) -> Duration {
    match exchange {
        Exchange::Binance => Duration::from_secs(60),
        Exchange::BinanceUsdM => Duration::from_secs(200),
        Exchange::Kraken => Duration::from_secs(15),
        Exchange::Poloniex => Duration::from_secs(40),
    }
}

/// The REST snapshot URL for a Binance book (`None` for venues that snapshot in-stream).
pub fn snapshot_url(
    exchange: Exchange,
    endpoint: &Endpoint,
    symbol: &Symbol,
    depth: u32,
) -> Option<String> {
    let rest = endpoint.rest.as_deref()?;
    let market = binance_market(exchange)?;
    Some(binance::subscription::depth_snapshot_url(
        rest, market, symbol, depth,
    ))
}

/// The Binance market a venue is, if it is one.
fn binance_market(exchange: Exchange) -> Option<binance::Market> {
    match exchange {
        Exchange::Binance => Some(binance::Market::Spot),
        Exchange::BinanceUsdM => Some(binance::Market::UsdM),
        _ => None,
    }
}

/// `REQUEST_WEIGHT` of one REST snapshot of `depth` levels (0 where the venue has none).
pub fn snapshot_weight(exchange: Exchange, depth: u32) -> u32 {
    binance_market(exchange).map_or(0, |m| binance::subscription::depth_weight(m, depth))
}

/// The `REQUEST_WEIGHT` per minute marketfeed allows itself for REST snapshots: 80% of the
/// venue's per-IP limit (spot 6000, USD-M 2400), leaving room for the application's own
/// requests from the same IP. The server's `X-MBX-USED-WEIGHT-1M` count is taken in too.
pub fn snapshot_weight_budget(exchange: Exchange) -> Option<u32> {
    match exchange {
        Exchange::Binance => Some(4800),
        Exchange::BinanceUsdM => Some(1920),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn binance_plan_is_a_combined_url() {
        let interest = Interest {
            books: vec![sym("BTC-USDT")],
            trades: vec![sym("ETH-USDT")],
            book_depth: 10,
        };
        let mut id = 0;
        let ep = Endpoint::production(Exchange::Binance);
        let plan = connect_plan(Exchange::Binance, &ep, &interest, &mut id).unwrap();
        assert_eq!(
            plan.url,
            "wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/ethusdt@trade"
        );
        assert!(plan.messages.is_empty());
        let more = subscribe_more(Exchange::Binance, &interest, &mut id).unwrap();
        assert!(more[0].contains("\"SUBSCRIBE\""));
        assert_eq!(
            snapshot_url(Exchange::Binance, &ep, &sym("BTC-USDT"), 1000).unwrap(),
            "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000"
        );
        assert_eq!(snapshot_weight(Exchange::Binance, 1000), 50);
        assert_eq!(snapshot_weight(Exchange::Binance, 5000), 250);
        assert_eq!(snapshot_weight(Exchange::BinanceUsdM, 1000), 20);
        assert_eq!(snapshot_weight(Exchange::Kraken, 1000), 0);
        assert!(snapshot_url(Exchange::Kraken, &ep, &sym("BTC-USDT"), 10).is_none());
        let no_rest = Endpoint {
            ws: "ws://x".into(),
            rest: None,
        };
        assert_eq!(
            connect_plan(Exchange::Binance, &no_rest, &interest, &mut id),
            Err(PlanError::MissingRest(Exchange::Binance))
        );
    }

    #[test]
    fn kraken_plan_subscribes_instruments_first_and_checks_depth() {
        let mut interest = Interest {
            books: vec![sym("BTC-USD")],
            trades: vec![],
            book_depth: 10,
        };
        let mut id = 0;
        let ep = Endpoint::production(Exchange::Kraken);
        let plan = connect_plan(Exchange::Kraken, &ep, &interest, &mut id).unwrap();
        assert_eq!(plan.url, "wss://ws.kraken.com/v2");
        assert!(plan.messages[0].contains("\"instrument\""));
        assert!(plan.messages[1].contains("\"book\"") && plan.messages[1].contains("BTC/USD"));
        let resub = resubscribe_book(Exchange::Kraken, &sym("BTC-USD"), 10, &mut id);
        assert!(resub[0].contains("unsubscribe") && resub[1].contains("\"subscribe\""));
        interest.book_depth = 7;
        assert_eq!(
            connect_plan(Exchange::Kraken, &ep, &interest, &mut id),
            Err(PlanError::InvalidDepth(7))
        );
    }

    #[test]
    fn poloniex_plan_and_keepalive() {
        let interest = Interest {
            books: vec![sym("BTC-USDT")],
            trades: vec![sym("BTC-USDT")],
            book_depth: 20,
        };
        let mut id = 0;
        let ep = Endpoint::production(Exchange::Poloniex);
        let plan = connect_plan(Exchange::Poloniex, &ep, &interest, &mut id).unwrap();
        assert_eq!(plan.messages.len(), 2);
        assert!(plan.messages[0].contains("book_lv2") && plan.messages[0].contains("BTC_USDT"));
        assert!(plan.messages[1].contains("trades") && plan.messages[1].contains("BTC_USDT"));
        assert_eq!(
            keepalive(Exchange::Poloniex, &mut id).unwrap().0,
            r#"{"event":"ping"}"#
        );
        assert!(keepalive(Exchange::Binance, &mut id).is_none());
    }

    #[test]
    fn binance_send_limit_stays_under_its_5_per_second() {
        assert!(
            send_limit(Exchange::Binance).0 < 5,
            "under Binance's 5 per second"
        );
        assert!(SendGate::for_exchange(Exchange::Binance)
            .try_send(Instant::now())
            .is_ok());
    }

    #[test]
    fn binance_url_carries_a_bounded_number_of_streams() {
        let books: Vec<Symbol> = (0..120).map(|i| sym(&format!("C{i}-USDT"))).collect();
        let interest = Interest {
            books,
            trades: Vec::new(),
            book_depth: 0,
        };
        let ep = Endpoint::production(Exchange::Binance);
        let mut id = 0;
        let plan = connect_plan(Exchange::Binance, &ep, &interest, &mut id).unwrap();
        // 240 streams: 100 in the URL, then requests of 100 and 40.
        let in_url = plan
            .url
            .split("streams=")
            .nth(1)
            .unwrap()
            .split('/')
            .count();
        assert_eq!(in_url, BINANCE_STREAMS_PER_REQUEST);
        let sizes: Vec<usize> = plan
            .messages
            .iter()
            .map(|m| {
                let v: serde_json::Value = serde_json::from_str(m).unwrap();
                assert_eq!(v["method"], "SUBSCRIBE");
                v["params"].as_array().unwrap().len()
            })
            .collect();
        assert_eq!(sizes, [100, 40]);
        let ids: Vec<u64> = plan
            .messages
            .iter()
            .map(|m| {
                serde_json::from_str::<serde_json::Value>(m).unwrap()["id"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(ids, [1, 2], "distinct request ids");
        // Adding as many on an open connection also goes in bounded requests.
        let more = subscribe_more(Exchange::Binance, &interest, &mut id).unwrap();
        assert_eq!(more.len(), 3);
    }

    #[test]
    fn poloniex_subscribes_one_symbol_per_request() {
        let interest = Interest {
            books: vec![sym("BTC-USDT"), sym("FOO-USDT")],
            trades: vec![sym("ETH-USDT")],
            book_depth: 20,
        };
        let ep = Endpoint::production(Exchange::Poloniex);
        let plan = connect_plan(Exchange::Poloniex, &ep, &interest, &mut 0).unwrap();
        let requests: Vec<serde_json::Value> = plan
            .messages
            .iter()
            .map(|m| serde_json::from_str(m).unwrap())
            .collect();
        let pairs: Vec<(&str, &str)> = requests
            .iter()
            .map(|r| {
                assert_eq!(r["symbols"].as_array().unwrap().len(), 1, "{r}");
                (
                    r["channel"][0].as_str().unwrap(),
                    r["symbols"][0].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("book_lv2", "BTC_USDT"),
                ("book_lv2", "FOO_USDT"),
                ("trades", "ETH_USDT")
            ]
        );
    }

    #[test]
    fn dropping_an_unknown_symbol_unsubscribes_only_on_binance() {
        let mut id = 7;
        let msgs = drop_symbol(Exchange::Binance, &sym("FOO-USDT"), &mut id);
        let v: serde_json::Value = serde_json::from_str(&msgs[0]).unwrap();
        assert_eq!(v["method"], "UNSUBSCRIBE");
        assert_eq!(v["id"], 8);
        let streams: Vec<&str> = v["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(
            streams,
            ["foousdt@depth@100ms", "foousdt@bookTicker", "foousdt@trade"]
        );
        assert!(drop_symbol(Exchange::Kraken, &sym("FOO-USDT"), &mut id).is_empty());
        assert!(drop_symbol(Exchange::Poloniex, &sym("FOO-USDT"), &mut id).is_empty());
    }
}
