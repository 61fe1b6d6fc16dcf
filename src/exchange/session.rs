//! What a connection sends, per venue: the URL to open, the subscribe messages, how to resync
//! one book, and the application keepalive. Pure functions that ask the venue's spec or
//! dispatch through the venue registry (`registry.rs`), so the connection actor stays a thin
//! shell.

use super::registry;
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

/// The messages of a connection plan without its URL: `subscribe_more` of a venue whose live
/// subscription is the same as its connect plan (Kraken, Poloniex).
pub(crate) fn plan_messages(
    connect_plan: fn(&Endpoint, &Interest, &mut u64) -> Result<ConnectPlan, PlanError>,
    added: &Interest,
    next_id: &mut u64,
) -> Result<Vec<String>, PlanError> {
    let nowhere = Endpoint {
        ws: String::new(),
        rest: None,
    };
    Ok(connect_plan(&nowhere, added, next_id)?.messages)
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

    /// The production endpoint of `exchange` (its spec's URLs).
    pub fn production(exchange: Exchange) -> Endpoint {
        let spec = exchange.spec();
        Endpoint {
            ws: spec.ws_url.into(),
            rest: spec.rest_url.map(Into::into),
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
    /// Book depth per side to request where the venue takes one in its subscription.
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
    /// A book depth the venue does not accept in a subscription.
    InvalidDepth(u32),
    /// Binance needs a REST endpoint for snapshots.
    MissingRest(Exchange),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::InvalidDepth(d) => write!(f, "book depth {d} is not accepted"),
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

/// The path a venue routes a connection's streams to, appended to the endpoint's `ws`
/// ([`VenueSpec::route`](super::VenueSpec::route)): Binance USD-M serves book data on
/// `/public` and trades on `/market`, so its books and its trades never share a connection.
/// Empty for most venues.
pub fn route(exchange: Exchange, book: bool) -> &'static str {
    exchange.spec().route(book)
}

/// Streams named in a Binance connection URL; the rest are added with `SUBSCRIBE` requests
/// of at most this many streams each.
pub const BINANCE_STREAMS_PER_REQUEST: usize = super::binance::STREAMS_PER_REQUEST;

/// The most streams one connection may carry, where the venue sets a limit (Binance: 1024).
pub fn stream_cap(exchange: Exchange) -> Option<usize> {
    exchange.spec().stream_cap
}

/// Streams one book, or one trade subscription, takes on a connection (what [`stream_cap`]
/// counts): a Binance book is `@depth@100ms` + `@bookTicker`, trades are `@trade`.
pub fn streams_per(exchange: Exchange, book: bool) -> usize {
    exchange.spec().streams_per(book)
}

/// The plan for a (re)connection carrying `interest`. `next_id` numbers requests.
pub fn connect_plan(
    exchange: Exchange,
    endpoint: &Endpoint,
    interest: &Interest,
    next_id: &mut u64,
) -> Result<ConnectPlan, PlanError> {
    registry::connect_plan(exchange, endpoint, interest, next_id)
}

/// Messages that add `added` to an open connection (live subscription).
pub fn subscribe_more(
    exchange: Exchange,
    added: &Interest,
    next_id: &mut u64,
) -> Result<Vec<String>, PlanError> {
    registry::subscribe_more(exchange, added, next_id)
}

/// Messages that make the venue send a fresh snapshot of one book (unsubscribe, then
/// subscribe). Venues that resync over REST have none.
pub fn resubscribe_book(
    exchange: Exchange,
    symbol: &Symbol,
    depth: u32,
    next_id: &mut u64,
) -> Vec<String> {
    registry::resubscribe_book(exchange, symbol, depth, next_id)
}

/// Messages that end the subscriptions of one symbol the venue does not know (see
/// [`crate::exchange::Control::Rejected`]). Binance accepts streams of unknown symbols (they
/// stay silent; only the REST snapshot says `Invalid symbol`), so it needs an unsubscribe;
/// Kraken and Poloniex refused the subscription in the first place.
pub fn drop_symbol(exchange: Exchange, symbol: &Symbol, next_id: &mut u64) -> Vec<String> {
    registry::drop_symbol(exchange, symbol, next_id)
}

/// Messages that end every subscription of a connection before it is closed.
pub fn unsubscribe_all(exchange: Exchange, interest: &Interest, next_id: &mut u64) -> Vec<String> {
    registry::unsubscribe_all(exchange, interest, next_id)
}

/// Messages that end exactly the streams of `gone` while the connection's others stay.
pub fn unsubscribe(exchange: Exchange, gone: &Interest, next_id: &mut u64) -> Vec<String> {
    registry::unsubscribe(exchange, gone, next_id)
}

/// How many messages a client may send on one connection per window, kept under the venue's
/// limit ([`VenueSpec::send_limit`](super::VenueSpec::send_limit) per second): Binance spot
/// counts 5 incoming messages per second (pongs and `SUBSCRIBE` included) and disconnects
/// above it, USD-M 10; Poloniex allows 500 requests per second; Kraken's limit is not
/// published (`Exceeded msg rate`), so bursts are kept small.
///
/// The window is a second plus [`SEND_WINDOW_MARGIN`]: the gate stamps a message when it is
/// handed to the socket, the venue counts it when it arrives, and two bursts exactly a
/// second apart arrive closer than that whenever the first was delayed more than the second
/// (a busy writer, the network).
pub fn send_limit(exchange: Exchange) -> (usize, Duration) {
    (
        exchange.spec().send_limit,
        Duration::from_secs(1) + SEND_WINDOW_MARGIN,
    )
}

/// How much longer than the venue's second the send gate's window is: room for bursts to
/// arrive up to this much closer together than they were sent.
pub const SEND_WINDOW_MARGIN: Duration = Duration::from_millis(250);

/// The send gate is the shared one (`crate::limit::SendGate`); its venue limit is here.
pub(crate) use crate::limit::SendGate;

impl SendGate {
    /// The gate for `exchange` ([`send_limit`]).
    pub(crate) fn for_exchange(exchange: Exchange) -> Self {
        let (limit, window) = send_limit(exchange);
        SendGate::new(limit, window)
    }
}

/// The application-level ping a client must send, and how often
/// ([`VenueSpec::keepalive`](super::VenueSpec::keepalive)). Binance pings from the server
/// side (answered with pong frames), so it has none.
pub fn keepalive(exchange: Exchange, next_id: &mut u64) -> Option<(String, Duration)> {
    let every = exchange.spec().keepalive?;
    Some((registry::ping(exchange, next_id)?, every))
}

/// How long a connection may stay silent before it is considered dead
/// ([`VenueSpec::idle_timeout`](super::VenueSpec::idle_timeout)): Binance spot pings every
/// 20 s, USD-M every 3 minutes (a quiet `/market` trade connection may carry nothing else),
/// Kraken sends heartbeats every second, Poloniex answers our 15 s pings.
pub fn idle_timeout(exchange: Exchange) -> Duration {
    exchange.spec().idle_timeout
}

/// The REST snapshot URL for a book (`None` for venues that snapshot in-stream).
pub fn snapshot_url(
    exchange: Exchange,
    endpoint: &Endpoint,
    symbol: &Symbol,
    depth: u32,
) -> Option<String> {
    let rest = endpoint.rest.as_deref()?;
    registry::snapshot_url(exchange, rest, symbol, depth)
}

/// `REQUEST_WEIGHT` of one REST snapshot of `depth` levels (0 where the venue has none).
pub fn snapshot_weight(exchange: Exchange, depth: u32) -> u32 {
    exchange
        .spec()
        .resync
        .rest_weight()
        .map_or(0, |(weight, _)| weight(depth))
}

/// The `REQUEST_WEIGHT` per minute marketfeed allows itself for REST snapshots: 80% of the
/// venue's per-IP limit (spot 6000, USD-M 2400), leaving room for the application's own
/// requests from the same IP (OKX: 40, the per-IP limit of 2 s). The server's
/// `X-MBX-USED-WEIGHT-1M` count is taken in too (Binance).
pub fn snapshot_weight_budget(exchange: Exchange) -> Option<u32> {
    exchange
        .spec()
        .resync
        .rest_weight()
        .map(|(_, budget)| budget)
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

    /// Regression (flaky `engine_limits`): bursts gated exactly one second apart reached the
    /// venue closer than a second when the first was delayed more, and Binance (5 per
    /// second, counted on arrival) closed the connection.
    #[test]
    fn paced_bursts_stay_under_binance_limit_with_uneven_delivery() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut gate = SendGate::for_exchange(Exchange::Binance);
        // Twelve SUBSCRIBEs as fast as the gate lets them out, in bursts; every other burst
        // reaches the venue 200 ms late (the writer or the network was busy), the others at once.
        let mut arrivals = Vec::new();
        let mut now = t0;
        let mut bursts = 0u32;
        let mut last = None;
        while arrivals.len() < 12 {
            match gate.try_send(now) {
                Ok(()) => {
                    if last != Some(now) {
                        bursts += 1;
                        last = Some(now);
                    }
                    let delay = if bursts % 2 == 1 { ms(200) } else { ms(0) };
                    arrivals.push(now + delay);
                }
                Err(wait) => now += wait,
            }
        }
        arrivals.sort();
        // The venue's count: messages arrived within any one second.
        for (i, a) in arrivals.iter().enumerate() {
            let within = arrivals[i..]
                .iter()
                .take_while(|x| **x < *a + ms(1000))
                .count();
            assert!(
                within <= 5,
                "{within} arrived in the second after {a:?}: {arrivals:?}"
            );
        }
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
