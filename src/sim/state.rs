//! The simulator's state behind the servers: one [`SimMarket`] per (venue, symbol), the step
//! that turns a market step into the frames each venue sends (with the pending faults
//! applied), truth books and the bounded histories. No I/O: the server only locks, calls
//! and forwards.

use super::history::History;
use super::market::{MarketConfig, Step, SyntheticMarket, TickLevel};
use super::server::{SimConfig, SimTrade, TruthBook};
use crate::types::{Exchange, Symbol, TakerSide};
use rust_decimal::Decimal;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::broadcast;

/// Level changes kept per market for `truth_at` (about 1,000 steps of the default market,
/// 20 s at the default 20 ms step; 320 KB).
pub const HISTORY_LEVELS: usize = 20_000;
/// Trades kept per market for `trades_sent` (about 20 minutes of the default market; 1 MB).
pub const TRADE_HISTORY: usize = 20_000;
/// Steps taken before the server opens, so the oldest kept book is older than anything a
/// client can have seen (what a stale REST snapshot serves).
pub const WARM_UP_STEPS: usize = 64;
/// First update id of Binance and Poloniex books.
pub const FIRST_UPDATE_ID: u64 = 1_000;

/// Faults armed for the next update of one market.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending {
    /// Do not send the next book update.
    pub skip: bool,
    /// Send the next book update twice.
    pub repeat: bool,
    /// The next update carries a wrong checksum (venues that send checksums).
    pub corrupt: bool,
}

/// One market step as broadcast to the connections.
#[derive(Clone, Debug)]
pub struct Tick {
    /// Venue.
    pub exchange: Exchange,
    /// Venue wire key: Binance lower-case stream prefix, Kraken `BTC/USDT`, Poloniex
    /// `BTC_USDT`.
    pub key: String,
    /// The market's step counter after this step.
    pub version: u64,
    /// What to send.
    pub frames: super::venues::Frames,
}

/// What the connections are told.
#[derive(Clone, Debug)]
pub enum Event {
    /// A market stepped.
    Tick(Arc<Tick>),
    /// Send one garbage frame on every connection of the venue.
    Malformed(Exchange),
    /// Close every connection of the venue.
    Drop(Exchange),
    /// The venue's maintenance notice on every connection of the venue, each closed the
    /// grace period later.
    Maintenance(Exchange, Duration),
    /// The simulator stops.
    Stop,
}

/// One simulated (venue, symbol) market.
#[derive(Debug)]
pub struct SimMarket {
    /// Venue.
    pub exchange: Exchange,
    /// Normalized symbol.
    pub symbol: Symbol,
    /// Venue symbol (`BTCUSDT`, `BTC/USDT`, `BTC_USDT`).
    pub wire: String,
    /// Wire key used in [`Tick::key`].
    pub key: String,
    /// The book and flow.
    pub market: SyntheticMarket,
    /// Steps taken.
    pub version: u64,
    /// The last update id sent (Binance `u`, Poloniex `id`); the step number on venues
    /// without ids.
    pub update_id: u64,
    /// Past books.
    pub history: History,
    /// Trades generated, oldest first (bounded).
    pub trades: VecDeque<SimTrade>,
    /// Armed faults.
    pub pending: Pending,
    /// Price of the last trade (ticks).
    pub last_price: i64,
}

fn side_map(levels: impl Iterator<Item = TickLevel>) -> std::collections::BTreeMap<i64, u64> {
    levels.collect()
}

impl SimMarket {
    /// A market for `symbol` on `exchange`.
    pub fn new(exchange: Exchange, symbol: Symbol, cfg: MarketConfig) -> Self {
        let market = SyntheticMarket::new(cfg);
        let wire_style = super::venues::style(exchange);
        let update_id = if wire_style.update_ids {
            FIRST_UPDATE_ID
        } else {
            0
        };
        let history = History::new(
            update_id,
            side_map(market.bids()),
            side_map(market.asks()),
            HISTORY_LEVELS,
        );
        let wire = symbol.to_venue(exchange);
        let key = wire_style.key(&wire);
        SimMarket {
            exchange,
            symbol,
            wire,
            key,
            last_price: market.config().mid,
            market,
            version: 0,
            update_id,
            history,
            trades: VecDeque::new(),
            pending: Pending::default(),
        }
    }

    pub(crate) fn cfg(&self) -> &MarketConfig {
        self.market.config()
    }

    /// How many copies of a book update to send, consuming the armed skip/repeat.
    pub(crate) fn copies(&mut self) -> usize {
        if std::mem::take(&mut self.pending.skip) {
            0
        } else if std::mem::take(&mut self.pending.repeat) {
            2
        } else {
            1
        }
    }

    pub(crate) fn record_trades(&mut self, step: &Step) {
        let cfg = self.market.config().clone();
        for t in &step.trades {
            if self.trades.len() == TRADE_HISTORY {
                self.trades.pop_front();
            }
            self.last_price = t.price;
            self.trades.push_back(SimTrade {
                id: t.id,
                price: self.price(&cfg, t.price),
                qty: self.qty(&cfg, t.qty),
                taker_side: if t.taker_buy {
                    TakerSide::Buy
                } else {
                    TakerSide::Sell
                },
            });
        }
    }

    fn price(&self, cfg: &MarketConfig, ticks: i64) -> Decimal {
        let mut d = Decimal::new(ticks, cfg.price_scale);
        if let Some(decimals) = super::venues::style(self.exchange).fixed_decimals {
            d.rescale(decimals);
        }
        d
    }

    fn qty(&self, cfg: &MarketConfig, lots: u64) -> Decimal {
        let mut d = Decimal::new(lots as i64, cfg.qty_scale);
        if let Some(decimals) = super::venues::style(self.exchange).fixed_decimals {
            d.rescale(decimals);
        }
        d
    }

    /// Advances the market one step at `ms` and returns the frames to broadcast.
    /// `None` for a venue the simulator does not serve (it has no markets).
    pub fn step(&mut self, ms: u64) -> Option<Tick> {
        let frames = super::venues::step(self, ms)?;
        Some(Tick {
            exchange: self.exchange,
            key: self.key.clone(),
            version: self.version,
            frames,
        })
    }

    fn truth_of(
        &self,
        bids: impl Iterator<Item = TickLevel>,
        asks: impl Iterator<Item = TickLevel>,
        id: u64,
    ) -> TruthBook {
        let cfg = self.cfg();
        let level = |(p, q): TickLevel| (self.price(cfg, p), self.qty(cfg, q));
        TruthBook {
            bids: bids.map(level).collect(),
            asks: asks.map(level).collect(),
            update_id: super::venues::style(self.exchange).update_ids.then_some(id),
        }
    }

    /// The whole current book.
    pub fn truth(&self) -> TruthBook {
        self.truth_of(self.market.bids(), self.market.asks(), self.update_id)
    }

    /// The whole book as it was at `id`.
    pub fn truth_at(&self, id: u64) -> Option<TruthBook> {
        let (b, a) = self.history.book_at(id)?;
        Some(self.truth_of(b.into_iter().rev(), a.into_iter(), id))
    }
}

/// Everything the servers share, behind one lock.
#[derive(Debug)]
pub struct State {
    /// The markets.
    pub markets: Vec<SimMarket>,
    /// No steps while paused.
    pub paused: bool,
    /// Set by `stop`.
    pub stopped: bool,
    /// Binance REST answers after this delay.
    pub rest_delay: Duration,
    /// The next so many Binance REST answers are stale.
    pub stale_rest: u32,
    /// The next so many Binance REST depth requests are answered 429 with `Retry-After: 1`.
    pub throttle_rest: u32,
    /// The next so many Binance REST depth answers have their bids replaced by one bid at
    /// this price (a level a book cannot key beside the real asks).
    pub poison_rest: Option<(u32, String)>,
    /// Every Binance REST depth request: when, and the HTTP status answered.
    pub rest_log: Vec<(std::time::Instant, u16)>,
    /// REQUEST_WEIGHT used in the current minute per venue (spot and USD-M count
    /// separately): (minute start in ms, weight).
    pub rest_weight: std::collections::HashMap<Exchange, (u64, u64)>,
    /// Kraken `connection_id`s.
    pub next_connection: u64,
    /// Replay mode: the venue, the frames every connection gets, one per pace.
    pub replay: Option<(Exchange, Arc<Vec<String>>, Duration)>,
    /// When the last new WebSocket connections of each venue were accepted (connection
    /// rate limits, OKX's 3 a second).
    pub connects: std::collections::HashMap<Exchange, VecDeque<std::time::Instant>>,
    /// WebSocket sessions open now, per venue.
    pub open_sessions: std::collections::HashMap<Exchange, usize>,
    /// The last [`CLIENT_LOG_CAP`] text messages clients sent, with their venue.
    pub client_log: std::collections::VecDeque<(Exchange, String)>,
}

/// Client messages the simulator keeps (see [`State::client_log`]).
pub const CLIENT_LOG_CAP: usize = 10_000;

impl State {
    /// Applies the armed REST poison (if any) to a depth `body`, counting it down.
    pub fn poison_rest_body(&mut self, body: String) -> String {
        let Some((times, price)) = self.poison_rest.take() else {
            return body;
        };
        if times > 1 {
            self.poison_rest = Some((times - 1, price.clone()));
        }
        match (body.find("\"bids\":"), body.find(",\"asks\":")) {
            (Some(b), Some(a)) => format!(
                "{}\"bids\":[[\"{price}\",\"1.00000000\"]]{}",
                &body[..b],
                &body[a..]
            ),
            _ => body,
        }
    }

    /// The market of `symbol` on `exchange`.
    pub fn market(&self, exchange: Exchange, symbol: &Symbol) -> Option<&SimMarket> {
        self.markets
            .iter()
            .find(|m| m.exchange == exchange && &m.symbol == symbol)
    }

    /// The market of `symbol` on `exchange`, mutable.
    pub fn market_mut(&mut self, exchange: Exchange, symbol: &Symbol) -> Option<&mut SimMarket> {
        self.markets
            .iter_mut()
            .find(|m| m.exchange == exchange && &m.symbol == symbol)
    }

    /// The market with venue key `key` (see [`Tick::key`]).
    pub fn by_key(&self, exchange: Exchange, key: &str) -> Option<&SimMarket> {
        self.markets
            .iter()
            .find(|m| m.exchange == exchange && m.key == key)
    }
}

/// State plus the broadcast channel and the configuration.
#[derive(Debug)]
pub struct Shared {
    /// The state.
    pub state: Mutex<State>,
    /// Steps and faults for the connections.
    pub tx: broadcast::Sender<Event>,
    /// The configuration.
    pub config: SimConfig,
}

/// The market configuration of the `index`-th symbol of a venue: seed and mid varied.
pub fn market_config(template: &MarketConfig, seed: u64, venue: u64, index: u64) -> MarketConfig {
    let mut rng = super::market::SplitMix64::new(seed ^ (venue << 32) ^ index);
    MarketConfig {
        seed: rng.next_u64(),
        mid: template.mid + (index as i64) * (template.mid / 7),
        ..template.clone()
    }
}

impl Shared {
    /// Builds the markets of `config` and warms them up.
    pub fn new(config: SimConfig) -> Self {
        let mut markets = Vec::new();
        for (v, exchange) in super::venues::SEED_ORDER.into_iter().enumerate() {
            for (i, symbol) in config.markets(exchange).iter().enumerate() {
                let cfg = market_config(&config.market, config.seed, v as u64, i as u64);
                let mut m = SimMarket::new(exchange, symbol.clone(), cfg);
                for _ in 0..WARM_UP_STEPS {
                    m.step(0);
                }
                markets.push(m);
            }
        }
        let (tx, _) = broadcast::channel(8192);
        Shared {
            state: Mutex::new(State {
                markets,
                paused: false,
                stopped: false,
                rest_delay: Duration::ZERO,
                stale_rest: 0,
                throttle_rest: 0,
                poison_rest: None,
                rest_log: Vec::new(),
                rest_weight: Default::default(),
                next_connection: 1,
                replay: None,
                connects: Default::default(),
                open_sessions: Default::default(),
                client_log: Default::default(),
            }),
            tx,
            config,
        }
    }

    /// The state, even if a panicking thread poisoned the lock.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Steps every market once (unless paused) and broadcasts the frames, under the lock so
    /// that a snapshot taken under it sits at a known place in the stream. False once
    /// stopped.
    pub fn step_all(&self, ms: u64) -> bool {
        let mut st = self.lock();
        if st.stopped {
            return false;
        }
        if st.paused {
            return true;
        }
        for m in &mut st.markets {
            if let Some(tick) = m.step(ms) {
                let _ = self.tx.send(Event::Tick(Arc::new(tick)));
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{parse, BookTracker, Message, Outcome, TrackerConfig};
    use crate::sim::kraken;
    use crate::types::{MarketEvent, Timestamp};

    fn small() -> MarketConfig {
        MarketConfig {
            depth: 1200,
            seed: 9,
            ..MarketConfig::default()
        }
    }

    fn feed(t: &mut BookTracker, exchange: Exchange, frame: &str, out: &mut Vec<Outcome>) {
        for m in parse(exchange, frame, Timestamp::from_unix_millis(1)).unwrap() {
            match m {
                Message::Market(MarketEvent::Snapshot(s)) => t.on_snapshot(s, out),
                Message::Market(MarketEvent::Delta(d)) => t.on_delta(d, out),
                _ => {}
            }
        }
    }

    fn book(t: &BookTracker) -> TruthBook {
        TruthBook {
            bids: t.book().bids().map(|l| (l.price, l.qty)).collect(),
            asks: t.book().asks().map(|l| (l.price, l.qty)).collect(),
            update_id: None,
        }
    }

    /// Every subscribable depth: the engine's own checksum agrees with the simulator's on
    /// every update, and the window equals the truth's top.
    #[test]
    fn kraken_windows_of_every_depth_check_out_with_the_engine() {
        let sym = Symbol::parse("BTC-USDT").unwrap();
        let mut m = SimMarket::new(Exchange::Kraken, sym.clone(), small());
        let mut trackers: Vec<BookTracker> = kraken::DEPTHS
            .iter()
            .map(|&d| {
                let cfg = TrackerConfig {
                    depth: Some(d),
                    checksum_precision: Some((2, 8)),
                    max_levels: None,
                };
                BookTracker::new(Exchange::Kraken, sym.clone(), cfg)
            })
            .collect();
        let mut out = Vec::new();
        for (k, t) in trackers.iter_mut().enumerate() {
            feed(
                t,
                Exchange::Kraken,
                &crate::sim::kraken::venue::snapshot(&m, kraken::DEPTHS[k], 1),
                &mut out,
            );
        }
        for _ in 0..300 {
            let Some(Tick {
                frames: super::super::venues::Frames::Kraken(frames),
                ..
            }) = m.step(1)
            else {
                panic!()
            };
            let books = frames.books;
            for (k, t) in trackers.iter_mut().enumerate() {
                for f in &books[k] {
                    feed(t, Exchange::Kraken, f, &mut out);
                }
            }
        }
        assert!(!out.iter().any(|o| matches!(o, Outcome::Resync(_))));
        assert!(out.iter().filter(|o| **o == Outcome::ChecksumOk).count() > 1000);
        for (k, t) in trackers.iter().enumerate() {
            let mut want = m.truth().top(kraken::DEPTHS[k]);
            want.update_id = None;
            assert_eq!(book(t), want, "depth {}", kraken::DEPTHS[k]);
        }
    }

    /// Issue 10 item 10: the simulator's RSS grew to about 270 MB in 200 s of a 60-book soak:
    /// every market kept 10,000 steps of level changes (about 4 MB each). The history is
    /// bounded in level changes now (what its memory is made of), and still rebuilds every
    /// recent book exactly.
    #[test]
    fn sim_history_memory_is_bounded() {
        let sym = Symbol::parse("BTC-USDT").unwrap();
        for exchange in [Exchange::Binance, Exchange::Kraken, Exchange::Poloniex] {
            let mut m = SimMarket::new(exchange, sym.clone(), small());
            // The book at an id is the state after the last step with that id (a Poloniex
            // step that leaves the window alone keeps its id).
            let mut recent = std::collections::BTreeMap::new();
            for _ in 0..12_000 {
                m.step(1);
                let t = m.truth();
                recent.insert(t.update_id, t);
                if recent.len() > 50 {
                    recent.pop_first();
                }
            }
            assert!(
                m.history.kept_levels() <= HISTORY_LEVELS,
                "{exchange}: {} level changes kept",
                m.history.kept_levels()
            );
            assert!(m.trades.len() <= TRADE_HISTORY);
            if exchange != Exchange::Kraken {
                for t in recent.values() {
                    assert!(m.truth_at(t.update_id.unwrap()).as_ref() == Some(t));
                }
            }
        }
    }

    #[test]
    fn history_gives_every_past_binance_book() {
        let sym = Symbol::parse("BTC-USDT").unwrap();
        let mut m = SimMarket::new(Exchange::Binance, sym, small());
        let mut past = Vec::new();
        for _ in 0..200 {
            m.step(1);
            past.push(m.truth());
        }
        for t in &past {
            assert_eq!(m.truth_at(t.update_id.unwrap()).as_ref(), Some(t));
        }
        let stale = crate::sim::binance::venue::rest_body(&m, 5, true);
        assert!(stale.starts_with(&format!("{{\"lastUpdateId\":{FIRST_UPDATE_ID},")));
    }
}
