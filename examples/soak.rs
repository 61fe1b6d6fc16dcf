//! Soak: the engine against the simulator (Binance, Kraken, Poloniex, OKX; `--symbols N` each)
//! while every fault the simulator can inject is injected at random, one at a time.
//!
//! ```text
//! cargo run --release --example soak -- --seconds 60 --seed 1 [--symbols 5]
//! ```
//!
//! After each fault settles (every book live again), the simulator is paused and every book
//! must equal the simulator's truth, update id included where the venue has ids. At the end
//! every trade received is checked against what the simulator sent, and every trade id
//! missing from a feed must fall across a disconnect of that venue. Prints faults by kind,
//! recovery p50/p99/max per kind (injection to the last affected book live again, over the
//! faults that disturbed a book), books wrong, panics, trades lost outside disconnects, RSS at
//! start and end, and threads before start and after shutdown. Exits non-zero on any wrong or
//! unsettled book, panic, lost or wrong trade.

use marketfeed::sim::{MarketConfig, SimConfig, SimTrade, Simulator};
use marketfeed::Engine;
use marketfeed::{Backoff, SplitMix64};
use marketfeed::{BookState, FeedEvent, FeedStatus, StreamKind, Subscription};
use marketfeed::{Exchange, Level, Symbol};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const VENUES: [Exchange; 4] = [
    Exchange::Binance,
    Exchange::Kraken,
    Exchange::Poloniex,
    Exchange::Okx,
];
const BASES: [&str; 12] = [
    "BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "LTC", "AVAX", "LINK", "ATOM", "XLM",
];
/// Levels per side compared with the truth (Kraken books are 10 deep).
const DEPTH: usize = 10;
/// Longest a fault may take to settle before its books count as unsettled.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

mod support;

use clap::Parser;

/// Soak the engine: every simulator fault at random, every book checked against the truth.
#[derive(Parser)]
#[command(about)]
struct Args {
    /// How long to inject faults.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Seed of the simulator and of the fault schedule (a run is repeatable per seed).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Symbols per venue.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=BASES.len() as u64))]
    symbols: u64,
}

/// Every kind of fault the simulator can inject (REST faults are armed, then a Binance or OKX gap
/// makes a book fetch a snapshot through them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    DropConnections,
    SkipUpdate,
    RepeatUpdate,
    CorruptChecksum,
    MalformedFrame,
    DelayRestSnapshot,
    StaleRestSnapshot,
    ThrottleRest,
    SlowConsumer,
    Maintenance,
}

const KINDS: [Kind; 10] = [
    Kind::DropConnections,
    Kind::SkipUpdate,
    Kind::RepeatUpdate,
    Kind::CorruptChecksum,
    Kind::MalformedFrame,
    Kind::DelayRestSnapshot,
    Kind::StaleRestSnapshot,
    Kind::ThrottleRest,
    Kind::SlowConsumer,
    Kind::Maintenance,
];

type Market = (Exchange, Symbol);

/// What the status feed reported, in order.
#[derive(Default)]
struct Log {
    statuses: Vec<(Instant, Exchange, Option<Symbol>, FeedStatus)>,
    trades: HashMap<Market, Vec<(Instant, Option<u64>, marketfeed::Trade)>>,
    trades_lost_by_feed: u64,
}

fn proc_status(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn rss_mib() -> f64 {
    proc_status("VmRSS:").map_or(f64::NAN, |kb| kb as f64 / 1024.0)
}

fn threads() -> u64 {
    proc_status("Threads:").unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn levels(truth: &[(rust_decimal::Decimal, rust_decimal::Decimal)]) -> Vec<Level> {
    truth.iter().map(|(p, q)| Level::new(*p, *q)).collect()
}

/// With the simulator paused: polls the book (up to 5 s) until it equals the current truth,
/// update id included where the venue has ids. Err says how it differs.
async fn check_book(
    engine: &Engine,
    sim: &Simulator,
    (exchange, symbol): &Market,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = String::new();
    while Instant::now() < deadline {
        let q = engine
            .book(*exchange, symbol, DEPTH)
            .await
            .map_err(|e| e.to_string())?;
        let t = sim
            .truth(*exchange, symbol)
            .ok_or("no such market")?
            .top(DEPTH);
        let ids = *exchange == Exchange::Kraken || q.last_update_id == t.update_id;
        if q.state == BookState::Live
            && ids
            && !q.view.bids.is_empty()
            && q.view.bids == levels(&t.bids)
            && q.view.asks == levels(&t.asks)
        {
            return Ok(());
        }
        last = format!(
            "state {}, id {:?} vs truth {:?}, best bid {:?} vs {:?}",
            q.state,
            q.last_update_id,
            t.update_id,
            q.view.best_bid(),
            t.bids.first()
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    Err(last)
}

/// Polls until every book is live (true) or `SETTLE_TIMEOUT` passes (false).
async fn all_live(engine: &Engine, markets: &[Market]) -> bool {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    'poll: while Instant::now() < deadline {
        for (e, s) in markets {
            match engine.book(*e, s, 1).await {
                Ok(q) if q.state == BookState::Live => {}
                _ => {
                    actix_rt::time::sleep(Duration::from_millis(10)).await;
                    continue 'poll;
                }
            }
        }
        return true;
    }
    false
}

/// Injection to the last `Live` of a book that left `Live` after `since` (None: no book did).
fn recovery(log: &Log, since: Instant) -> Option<Duration> {
    let mut disturbed: HashMap<(Exchange, Symbol), Option<Instant>> = HashMap::new();
    for (at, e, s, status) in log.statuses.iter().filter(|x| x.0 >= since) {
        let Some(s) = s else { continue };
        match status {
            FeedStatus::Live => {
                if let Some(live) = disturbed.get_mut(&(*e, s.clone())) {
                    *live = Some(*at);
                }
            }
            FeedStatus::Syncing | FeedStatus::Resyncing { .. } => {
                disturbed.insert((*e, s.clone()), None);
            }
            _ => {}
        }
    }
    disturbed
        .values()
        .map(|live| live.map(|t| t.saturating_duration_since(since)))
        .try_fold(None, |max: Option<Duration>, d| {
            d.map(|d| Some(max.map_or(d, |m| m.max(d))))
        })
        .flatten()
}

#[derive(Default)]
struct TradeReport {
    received: usize,
    lost: u64,
    wrong: usize,
    explained_gaps: usize,
}

/// Every received trade must be one the simulator sent, in order; a missing id must fall
/// across a disconnect of the venue (then it is expected).
fn check_trades(log: &Log, sim: &Simulator, markets: &[Market]) -> TradeReport {
    let mut r = TradeReport {
        lost: log.trades_lost_by_feed,
        ..TradeReport::default()
    };
    let disconnects: HashMap<Exchange, Vec<Instant>> =
        log.statuses
            .iter()
            .fold(HashMap::new(), |mut m, (at, e, s, status)| {
                if s.is_none() && matches!(status, FeedStatus::Disconnected { .. }) {
                    m.entry(*e).or_insert_with(Vec::new).push(*at);
                }
                m
            });
    for market in markets {
        let got = log.trades.get(market).map_or(&[][..], Vec::as_slice);
        r.received += got.len();
        let sent: BTreeMap<u64, SimTrade> = sim
            .trades_sent(market.0, &market.1)
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let cuts = disconnects.get(&market.0).map_or(&[][..], Vec::as_slice);
        let across = |a: Instant, b: Instant| cuts.iter().any(|c| *c >= a && *c <= b);
        for (i, (at, id, t)) in got.iter().enumerate() {
            let Some(id) = id else {
                r.wrong += 1;
                continue;
            };
            match sent.get(id) {
                Some(s) if (s.price, s.qty, s.taker_side) == (t.price, t.qty, t.taker_side) => {}
                _ => r.wrong += 1,
            }
            if let Some((prev_at, Some(prev), _)) = i.checked_sub(1).map(|j| &got[j]) {
                if id <= prev {
                    r.wrong += 1;
                } else if *id > prev + 1 {
                    if across(*prev_at, *at) {
                        r.explained_gaps += 1;
                    } else {
                        eprintln!(
                            "{}:{}: trades {}..{} lost",
                            market.0,
                            market.1,
                            prev + 1,
                            id - 1
                        );
                        r.lost += id - prev - 1;
                    }
                }
            }
        }
        // The tail: trades sent after the last one received (the feed was drained).
        if let Some((last_at, Some(last), _)) = got.last() {
            let after = sent.range(last + 1..).count() as u64;
            if after > 0 && !cuts.iter().any(|c| c >= last_at) {
                eprintln!(
                    "{}:{}: {after} trades after id {last} lost",
                    market.0, market.1
                );
                r.lost += after;
            }
        }
    }
    r
}

#[actix_rt::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    support::init_logs();
    let panics = Arc::new(AtomicUsize::new(0));
    {
        let panics = panics.clone();
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            panics.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    }
    let threads_start = threads();
    let rss_start = rss_mib();
    let symbols: Vec<Symbol> = BASES[..args.symbols as usize]
        .iter()
        .map(|b| Symbol::new(b, "USDT").expect("valid symbol"))
        .collect();
    let markets: Vec<Market> = VENUES
        .iter()
        .flat_map(|e| symbols.iter().map(move |s| (*e, s.clone())))
        .collect();
    let sim = Simulator::start(SimConfig {
        seed: args.seed,
        binance: symbols.clone(),
        kraken: symbols.clone(),
        poloniex: symbols.clone(),
        okx: symbols.clone(),
        // The CRC32 on, so that corrupt-checksum faults show on OKX too.
        okx_legacy_checksum: true,
        step_interval: Duration::from_millis(10),
        market: MarketConfig {
            depth: 200,
            ..MarketConfig::default()
        },
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let engine = Engine::builder()
        .endpoints(sim.endpoints())
        .backoff(Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_secs(1),
        })
        .seed(args.seed)
        .start()
        .expect("engine starts");
    let log = Rc::new(RefCell::new(Log::default()));
    let mut status = engine
        .subscribe(
            Subscription::new()
                .markets(markets.clone())
                .kind(StreamKind::Status),
        )
        .await
        .expect("subscribe status");
    let mut trades = engine
        .subscribe(
            Subscription::new()
                .markets(markets.clone())
                .kind(StreamKind::Trades)
                .capacity(1 << 16),
        )
        .await
        .expect("subscribe trades");
    let l = log.clone();
    let status_task = actix_rt::spawn(async move {
        while let Some(e) = status.recv().await {
            if let FeedEvent::Status(s) = e {
                l.borrow_mut().statuses.push((
                    Instant::now(),
                    s.exchange,
                    s.symbol.clone(),
                    s.status.clone(),
                ));
            }
        }
    });
    let l = log.clone();
    let trade_task = actix_rt::spawn(async move {
        while let Some(e) = trades.recv().await {
            match e {
                FeedEvent::Trade(t) => {
                    let key = (t.exchange(), t.symbol().clone());
                    l.borrow_mut().trades.entry(key).or_default().push((
                        Instant::now(),
                        t.id,
                        (*t).clone(),
                    ));
                }
                FeedEvent::Lost { count, .. } => l.borrow_mut().trades_lost_by_feed += count,
                _ => {}
            }
        }
    });

    let mut unsettled = 0usize;
    let mut wrong_books = 0usize;
    let mut checks = 0usize;
    if !all_live(&engine, &markets).await {
        eprintln!("books never went live at start");
        unsettled += 1;
    }
    let mut rng = SplitMix64::new(args.seed);
    let mut injected: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut recoveries: BTreeMap<Kind, Vec<Duration>> = BTreeMap::new();
    let end = Instant::now() + Duration::from_secs(args.seconds);
    let faults = sim.faults();
    let binance: Vec<&Symbol> = symbols.iter().collect();
    while Instant::now() < end {
        let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
        let venue = VENUES[rng.below(VENUES.len() as u64) as usize];
        let symbol = binance[rng.below(binance.len() as u64) as usize].clone();
        // REST faults are armed, then a gap on a venue that resyncs over REST fetches
        // through them.
        let rest_venue = [Exchange::Binance, Exchange::Okx][rng.below(2) as usize];
        let t0 = Instant::now();
        let mut slow = None;
        match kind {
            Kind::DropConnections => faults.drop_connections(venue),
            Kind::SkipUpdate => faults.skip_update(venue, &symbol),
            Kind::RepeatUpdate => faults.repeat_update(venue, &symbol),
            Kind::CorruptChecksum => faults.corrupt_checksum(venue, &symbol),
            Kind::MalformedFrame => faults.malformed_frame(venue),
            // OKX's `64008`, the close 2 s later (no notice on the other venues).
            Kind::Maintenance => faults.announce_maintenance(venue, Duration::from_secs(2)),
            Kind::DelayRestSnapshot => {
                faults.delay_rest_snapshot(Duration::from_millis(500 + rng.below(2000)));
                faults.skip_update(rest_venue, &symbol);
            }
            Kind::StaleRestSnapshot => {
                faults.stale_rest_snapshot(1 + rng.below(3) as u32);
                faults.skip_update(rest_venue, &symbol);
            }
            Kind::ThrottleRest => {
                faults.throttle_rest(1 + rng.below(3) as u32);
                faults.skip_update(rest_venue, &symbol);
            }
            Kind::SlowConsumer => {
                // A feed of everything that is not read for a while, then dropped.
                slow = engine
                    .subscribe(
                        Subscription::new()
                            .markets(markets.clone())
                            .kinds([StreamKind::Book, StreamKind::Deltas, StreamKind::Trades])
                            .capacity(64),
                    )
                    .await
                    .ok();
                actix_rt::time::sleep(Duration::from_millis(1000 + rng.below(2000))).await;
            }
        }
        *injected.entry(kind).or_default() += 1;
        // Let the fault take effect (a skip is armed for the next update), then settle.
        actix_rt::time::sleep(Duration::from_millis(300)).await;
        if !all_live(&engine, &markets).await {
            eprintln!("{kind:?} on {venue}:{symbol}: books not live after {SETTLE_TIMEOUT:?}");
            unsettled += 1;
        }
        if let Some(feed) = slow.take() {
            let stats = feed.stats();
            if stats.queued_bytes > 64 << 20 {
                eprintln!("slow consumer feed holds {stats:?}");
                wrong_books += 1;
            }
        }
        faults.delay_rest_snapshot(Duration::ZERO);
        sim.pause();
        for m in &markets {
            checks += 1;
            if let Err(why) = check_book(&engine, &sim, m).await {
                eprintln!("after {kind:?}: {}:{} wrong: {why}", m.0, m.1);
                wrong_books += 1;
            }
        }
        sim.resume();
        if let Some(d) = recovery(&log.borrow(), t0) {
            recoveries.entry(kind).or_default().push(d);
        }
        actix_rt::time::sleep(Duration::from_millis(rng.below(300))).await;
    }

    // Drain in-flight trades with the market paused, then check them.
    sim.pause();
    let mut seen = usize::MAX;
    for _ in 0..50 {
        actix_rt::time::sleep(Duration::from_millis(200)).await;
        let now: usize = log.borrow().trades.values().map(Vec::len).sum();
        if now == seen {
            break;
        }
        seen = now;
    }
    let trades_report = check_trades(&log.borrow(), &sim, &markets);
    let rss_end = rss_mib();
    engine.shutdown().await;
    let _ = status_task.await;
    let _ = trade_task.await;
    sim.stop();
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    let threads_end = threads();

    let total: usize = injected.values().sum();
    println!(
        "soak: {} s, seed {}, {} symbols x {} venues, {total} faults",
        args.seconds,
        args.seed,
        args.symbols,
        VENUES.len()
    );
    println!(
        "{:<20} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "fault", "count", "disturbed", "p50 ms", "p99 ms", "max ms"
    );
    for (kind, n) in &injected {
        let mut r = recoveries.get(kind).cloned().unwrap_or_default();
        r.sort();
        println!(
            "{:<20} {:>6} {:>9} {:>9} {:>9} {:>9}",
            format!("{kind:?}"),
            n,
            r.len(),
            percentile(&r, 0.5).as_millis(),
            percentile(&r, 0.99).as_millis(),
            r.last().copied().unwrap_or_default().as_millis()
        );
    }
    let panics = panics.load(Ordering::SeqCst);
    println!("book checks: {checks}, wrong: {wrong_books}, unsettled: {unsettled}");
    println!(
        "trades: {} received, {} lost outside disconnects, {} wrong, {} gaps across disconnects",
        trades_report.received,
        trades_report.lost,
        trades_report.wrong,
        trades_report.explained_gaps
    );
    println!("panics: {panics}");
    println!("RSS: {rss_start:.1} MiB at start, {rss_end:.1} MiB at end");
    println!("threads: {threads_start} before start, {threads_end} after shutdown");
    let ok = wrong_books == 0
        && unsettled == 0
        && panics == 0
        && trades_report.lost == 0
        && trades_report.wrong == 0
        && trades_report.received > 0;
    println!("{}", if ok { "PASS" } else { "FAIL" });
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
