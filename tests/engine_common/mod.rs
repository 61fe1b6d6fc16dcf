//! Shared setup for the engine tests: a simulator on loopback and an engine pointed at it.
#![allow(dead_code)]

use marketfeed::sim::{MarketConfig, SimConfig, Simulator, TruthBook};
use marketfeed::Backoff;
use marketfeed::BookInfo;
use marketfeed::BookState;
use marketfeed::Feed;
use marketfeed::{Engine, EngineBuilder};
use marketfeed::{Exchange, Level, Symbol};
use marketfeed::{FeedEvent, FeedStatus};
use std::time::{Duration, Instant};

pub fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// The markets a test simulator serves: venue and symbol names. Venues not named serve
/// nothing.
pub type Markets<'a> = &'a [(Exchange, &'a [&'a str])];

/// A simulator with `names` on `exchange` only.
pub async fn simulator_for(exchange: Exchange, names: &[&str]) -> Simulator {
    simulator(&[(exchange, names)]).await
}

/// The same symbols on each of `venues`.
pub fn on_each<'a>(venues: &[Exchange], names: &'a [&'a str]) -> Vec<(Exchange, &'a [&'a str])> {
    venues.iter().map(|&e| (e, names)).collect()
}

/// A simulator stepping every 5 ms with books of 200 levels, serving `markets`.
pub async fn simulator(markets: Markets<'_>) -> Simulator {
    Simulator::start(sim_config(markets))
        .await
        .expect("simulator starts")
}

/// The configuration behind [`simulator`], for tests that change one knob.
pub fn sim_config(markets: Markets<'_>) -> SimConfig {
    let mut config = SimConfig {
        seed: 42,
        step_interval: Duration::from_millis(5),
        market: MarketConfig {
            depth: 200,
            ..MarketConfig::default()
        },
        ..SimConfig::default()
    };
    for e in Exchange::ALL {
        if let Some(m) = config.markets_mut(e) {
            m.clear();
        }
    }
    for (e, names) in markets {
        config
            .markets_mut(*e)
            .unwrap_or_else(|| panic!("the simulator does not serve {e}"))
            .extend(names.iter().map(|s| sym(s)));
    }
    config
}

pub fn engine(sim: &Simulator) -> Engine {
    engine_builder(sim).start().expect("engine starts")
}

/// The builder behind [`engine`] (simulator endpoints, fast backoff, two arbiters).
pub fn engine_builder(sim: &Simulator) -> EngineBuilder {
    Engine::builder()
        .endpoints(sim.endpoints())
        .backoff(Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(500),
        })
        .arbiters(2)
}

/// Receives until `pred` matches (returns that event) or the timeout passes (panics).
pub async fn wait_for(
    feed: &mut Feed,
    timeout: Duration,
    what: &str,
    mut pred: impl FnMut(&FeedEvent) -> bool,
) -> FeedEvent {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match actix_rt::time::timeout(left, feed.recv()).await {
            Ok(Some(e)) if pred(&e) => return e,
            Ok(Some(_)) => {}
            Ok(None) => panic!("feed closed while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

pub fn is_status(
    e: &FeedEvent,
    exchange: Exchange,
    symbol: Option<&Symbol>,
    pred: impl Fn(&FeedStatus) -> bool,
) -> bool {
    matches!(e, FeedEvent::Status(s) if s.exchange == exchange && s.symbol.as_ref() == symbol && pred(&s.status))
}

pub fn levels(truth: &[(rust_decimal::Decimal, rust_decimal::Decimal)]) -> Vec<Level> {
    truth.iter().map(|(p, q)| Level::new(*p, *q)).collect()
}

/// Polls the engine's book (every 20 ms, for at most 10 s) until `check` finds it equal to
/// the truth it picks; `check` returns `Err(description)` while they differ.
async fn poll_book(
    engine: &Engine,
    exchange: Exchange,
    symbol: &Symbol,
    depth: usize,
    what: &str,
    mut check: impl FnMut(&BookInfo) -> Result<(), String>,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::new();
    while Instant::now() < deadline {
        let q = engine
            .book(exchange, symbol, depth)
            .await
            .expect("book exists");
        match check(&q) {
            Ok(()) => return,
            Err(why) => last = why,
        }
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{exchange} {symbol}: {what}: {last}");
}

/// True when the engine's top levels equal the truth's (and are not empty).
fn same_levels(q: &BookInfo, t: &TruthBook) -> bool {
    q.view.bids == levels(&t.bids) && q.view.asks == levels(&t.asks) && !q.view.bids.is_empty()
}

/// Polls until the engine's book equals the simulator's truth at the engine's last update id
/// (Binance, Poloniex) or, for Kraken (no ids), the current truth while the simulator is paused.
pub async fn assert_book_matches_truth(
    engine: &Engine,
    sim: &Simulator,
    exchange: Exchange,
    symbol: &Symbol,
    depth: usize,
) {
    poll_book(
        engine,
        exchange,
        symbol,
        depth,
        "book never matched the truth",
        |q| {
            if q.state != BookState::Live {
                return Err(format!("state {}", q.state));
            }
            let truth = match q.last_update_id {
                Some(id) => sim.truth_at(exchange, symbol, id),
                None => sim.truth(exchange, symbol),
            };
            let Some(t) = truth.map(|t| t.top(depth)) else {
                return Err(format!("no truth at {:?}", q.last_update_id));
            };
            if same_levels(q, &t) {
                Ok(())
            } else {
                Err(format!(
                    "engine {:?} vs truth {:?}",
                    q.view.best_bid(),
                    t.bids.first()
                ))
            }
        },
    )
    .await;
}

/// After `sim.pause()`: polls until in-flight frames are applied, then the engine's book must
/// equal the simulator's current truth, update id included where the venue has ids.
pub async fn assert_settled_book(
    engine: &Engine,
    sim: &Simulator,
    exchange: Exchange,
    symbol: &Symbol,
    depth: usize,
) {
    poll_book(
        engine,
        exchange,
        symbol,
        depth,
        "settled book never equalled the truth",
        |q| {
            let t = sim
                .truth(exchange, symbol)
                .expect("simulated market")
                .top(depth);
            let ids_agree = exchange == Exchange::Kraken || q.last_update_id == t.update_id;
            if ids_agree && same_levels(q, &t) {
                Ok(())
            } else {
                Err(format!(
                    "engine id {:?} vs truth id {:?}",
                    q.last_update_id, t.update_id
                ))
            }
        },
    )
    .await;
}

/// Receives until every market in `markets` has reported `Live` (in any order; a venue may
/// finish its snapshots in any order), or panics after `timeout`.
pub async fn wait_all_live(feed: &mut Feed, timeout: Duration, markets: &[(Exchange, Symbol)]) {
    let deadline = Instant::now() + timeout;
    let mut pending: Vec<&(Exchange, Symbol)> = markets.iter().collect();
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let e = match actix_rt::time::timeout(left, feed.recv()).await {
            Ok(Some(e)) => e,
            Ok(None) => panic!("feed closed while waiting for {pending:?} to be live"),
            Err(_) => panic!("timed out waiting for {pending:?} to be live"),
        };
        if let FeedEvent::Status(s) = &e {
            if s.status == FeedStatus::Live {
                pending.retain(|(x, sym)| !(*x == s.exchange && s.symbol.as_ref() == Some(sym)));
            }
        }
    }
}
