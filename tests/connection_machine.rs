//! The pure connection state machine (`marketfeed::conn`) driven against the simulator's
//! venue sessions in memory (`marketfeed::sim::memory`) on simulated time: no sockets, no
//! tasks, no sleeps. A minute of venue time takes microseconds, so idle timeouts, keepalives
//! and reconnects are checked to the millisecond.
//!
//! [`Pair`] plays the actor and the supervisor: it opens the memory venue when the machine
//! asks, moves what each side sends to the other, answers a lost connection with a reconnect
//! after [`RECONNECT_DELAY`], and jumps the clock to the next thing either side has to do
//! (as quinn-proto's `tests/util.rs` `Pair` does).

use marketfeed::conn::{ConnEvent, Connection, Frame, Outgoing, Phase};
use marketfeed::exchange::{BookTracker, Outcome, ResyncReason, SyncState, TrackerConfig};
use marketfeed::sim::memory::{MemoryVenue, ServerFrame};
use marketfeed::sim::{SimConfig, TruthBook};
use marketfeed::types::{Exchange, MarketEvent, Symbol, Timestamp};
use marketfeed::FeedStatus;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The delay the stand-in supervisor schedules after a lost connection.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);
/// Wall-clock time (ms since the epoch) of simulated time 0.
const EPOCH_MS: u64 = 1_700_000_000_000;

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// One machine and one in-memory venue on a shared simulated clock.
struct Pair {
    conn: Connection,
    venue: MemoryVenue,
    t0: Instant,
    /// Simulated time in ms since `t0`.
    ms: u64,
    /// The generation of the socket open in memory.
    socket: Option<u64>,
    /// Every event the machine emitted, with its time (ms).
    events: Vec<(u64, ConnEvent)>,
    /// Every message the machine transmitted, with its time (ms).
    sent: Vec<(u64, Outgoing)>,
    /// Books fed with the market events, as the book actors would be.
    trackers: HashMap<Symbol, BookTracker>,
    outcomes: Vec<Outcome>,
}

impl Pair {
    fn new(exchange: Exchange, config: SimConfig) -> Pair {
        let endpoint = MemoryVenue::endpoint(exchange);
        Pair {
            conn: Connection::new(exchange, endpoint, 10),
            venue: MemoryVenue::new(exchange, config, 0),
            // Only the origin of the simulated clock is read; nothing waits on it.
            t0: Instant::now(),
            ms: 0,
            socket: None,
            events: Vec::new(),
            sent: Vec::new(),
            trackers: HashMap::new(),
            outcomes: Vec::new(),
        }
    }

    fn now(&self) -> Instant {
        self.t0 + Duration::from_millis(self.ms)
    }

    fn ms_of(&self, t: Instant) -> u64 {
        // Rounded up: a deadline is never handled before it is due.
        let ns = t.saturating_duration_since(self.t0).as_nanos();
        ns.div_ceil(1_000_000) as u64
    }

    fn books(&mut self, symbols: &[&str]) {
        let symbols: Vec<Symbol> = symbols.iter().map(|s| sym(s)).collect();
        for s in &symbols {
            let cfg = TrackerConfig::default();
            self.trackers.insert(
                s.clone(),
                BookTracker::new(self.conn.exchange(), s.clone(), cfg),
            );
        }
        let now = self.now();
        self.conn.add_interest(symbols, Vec::new(), now);
        self.pump();
    }

    /// Moves everything either side has to say now, until both are quiet.
    fn pump(&mut self) {
        loop {
            let mut progress = false;
            let now = self.now();
            while let Some(e) = self.conn.poll_event() {
                progress = true;
                self.on_event(&e);
                self.events.push((self.ms, e));
            }
            while let Some(out) = self.conn.poll_transmit(now) {
                progress = true;
                match &out {
                    Outgoing::Text(t) => self.venue.on_text(t),
                    Outgoing::Pong(p) => self.venue.on_pong(p),
                    Outgoing::Close => {
                        self.venue.on_close();
                        self.socket = None;
                    }
                }
                self.sent.push((self.ms, out));
            }
            while let Some(frame) = self.venue.poll_frame() {
                progress = true;
                let Some(g) = self.socket else { continue };
                let at = Timestamp::from_unix_millis(EPOCH_MS + self.ms);
                match &frame {
                    ServerFrame::Text(t) => {
                        self.conn
                            .handle_frame(g, Frame::Text(t.as_bytes()), now, at)
                    }
                    ServerFrame::Ping(p) => self.conn.handle_frame(g, Frame::Ping(p), now, at),
                    ServerFrame::Pong(_) => self.conn.handle_frame(g, Frame::Pong, now, at),
                    ServerFrame::First(b) => self.conn.handle_frame(g, Frame::First(b), now, at),
                    ServerFrame::Continue(b) => {
                        self.conn.handle_frame(g, Frame::Continue(b), now, at)
                    }
                    ServerFrame::Last(b) => self.conn.handle_frame(g, Frame::Last(b), now, at),
                    ServerFrame::Close(r) => {
                        self.conn.handle_frame(g, Frame::Close(r), now, at);
                        self.conn
                            .handle_closed(g, marketfeed::conn::Closed::Eof, now);
                    }
                }
            }
            if !progress {
                break;
            }
        }
    }

    fn on_event(&mut self, e: &ConnEvent) {
        let now = self.now();
        match e {
            ConnEvent::Open { url, generation } => match self.venue.open(url) {
                Ok(()) => {
                    assert!(self.conn.handle_connected(*generation, now));
                    self.socket = Some(*generation);
                }
                Err(reason) => self
                    .conn
                    .handle_connect_failed(*generation, reason, false, now),
            },
            ConnEvent::Lost { terminal, .. } => {
                self.venue.on_close();
                self.socket = None;
                for t in self.trackers.values_mut() {
                    t.reset(ResyncReason::Disconnected("lost".into()));
                }
                if !terminal {
                    // This loss is not in `events` yet.
                    let attempts = self.lost() as u32 + 1;
                    self.conn.reconnect_after(RECONNECT_DELAY, attempts, now);
                }
            }
            ConnEvent::Market(MarketEvent::Snapshot(s)) => {
                if let Some(t) = self.trackers.get_mut(&s.meta.symbol) {
                    t.on_snapshot(s.clone(), &mut self.outcomes);
                }
            }
            ConnEvent::Precision { symbol, price, qty } => {
                if let Some(t) = self.trackers.get_mut(symbol) {
                    t.set_checksum_precision(*price, *qty);
                }
            }
            ConnEvent::Market(MarketEvent::Delta(d)) => {
                if let Some(t) = self.trackers.get_mut(&d.meta.symbol) {
                    t.on_delta(d.clone(), &mut self.outcomes);
                }
            }
            _ => {}
        }
    }

    /// Runs the simulated clock to `ms`, stopping at every deadline of either side.
    /// Panics when the machine keeps asking for a wake-up in the past that it does not act
    /// on (the actor would spin on it).
    fn run_until(&mut self, target: u64) {
        let mut stalled = 0;
        loop {
            self.pump();
            let conn_next = self.conn.poll_timeout().map(|t| self.ms_of(t));
            let next = conn_next
                .unwrap_or(u64::MAX)
                .min(self.venue.next_wakeup_ms())
                .max(self.ms);
            if next > target {
                break;
            }
            stalled = if next == self.ms { stalled + 1 } else { 0 };
            assert!(
                stalled < 10_000,
                "stuck at {next} ms: {:?}",
                self.conn.poll_timeout()
            );
            self.ms = next;
            self.venue.advance(next);
            let now = self.now();
            self.conn.handle_timeout(now);
        }
        self.ms = target;
        self.venue.advance(target);
        let now = self.now();
        self.conn.handle_timeout(now);
        self.pump();
    }

    fn run_for(&mut self, d: Duration) {
        self.run_until(self.ms + d.as_millis() as u64);
    }

    fn lost(&self) -> usize {
        self.events
            .iter()
            .filter(|(_, e)| matches!(e, ConnEvent::Lost { .. }))
            .count()
    }

    fn lost_reasons(&self) -> Vec<(u64, String)> {
        self.events
            .iter()
            .filter_map(|(ms, e)| match e {
                ConnEvent::Lost { reason, .. } => Some((*ms, reason.clone())),
                _ => None,
            })
            .collect()
    }

    fn texts_sent(&self, needle: &str) -> Vec<u64> {
        self.sent
            .iter()
            .filter_map(|(ms, o)| match o {
                Outgoing::Text(t) if t.contains(needle) => Some(*ms),
                _ => None,
            })
            .collect()
    }

    fn book(&self, s: &str) -> (SyncState, TruthBook) {
        let t = &self.trackers[&sym(s)];
        let book = TruthBook {
            bids: t.book().bids().map(|l| (l.price, l.qty)).collect(),
            asks: t.book().asks().map(|l| (l.price, l.qty)).collect(),
            update_id: None,
        };
        (t.state().clone(), book)
    }

    fn truth(&self, s: &str, depth: usize) -> TruthBook {
        let mut t = self.venue.truth(&sym(s)).unwrap().top(depth);
        t.update_id = None;
        t
    }
}

fn config() -> SimConfig {
    SimConfig {
        kraken: vec![sym("BTC-USDT"), sym("ETH-USDT")],
        poloniex: vec![sym("BTC-USDT"), sym("ETH-USDT")],
        // Binance accepts streams of symbols it does not list (they stay silent).
        binance: vec![sym("C0-USDT")],
        ..SimConfig::default()
    }
}

/// Connect and subscribe: the machine opens the socket, sends the venue's subscribe plan
/// (Kraken: instruments first, then the book), reports it, and the books it routes follow
/// the venue's book exactly.
#[test]
fn connect_subscribe_and_stream_books() {
    let mut p = Pair::new(Exchange::Kraken, config());
    p.books(&["BTC-USDT", "ETH-USDT"]);
    let kinds: Vec<&str> = p
        .events
        .iter()
        .map(|(_, e)| match e {
            ConnEvent::Status(FeedStatus::Connecting) => "connecting",
            ConnEvent::Open { .. } => "open",
            ConnEvent::Status(FeedStatus::Connected) => "connected",
            ConnEvent::Up => "up",
            ConnEvent::Healthy => "healthy",
            _ => "other",
        })
        .take(5)
        .collect();
    assert_eq!(kinds, ["connecting", "open", "connected", "up", "healthy"]);
    assert_eq!(p.conn.phase(), Phase::Open);
    let received = p.venue.received();
    assert!(received[0].contains("\"instrument\""), "{received:?}");
    assert!(received[1].contains("\"book\"") && received[1].contains("BTC/USDT"));
    p.run_for(Duration::from_secs(3));
    assert!(
        p.outcomes
            .iter()
            .filter(|o| **o == Outcome::ChecksumOk)
            .count()
            > 20
    );
    for s in ["BTC-USDT", "ETH-USDT"] {
        assert_eq!(p.book(s), (SyncState::Live, p.truth(s, 10)), "{s}");
    }
    assert_eq!(p.lost(), 0);
}

/// A gap: the venue skips one update; the book sees it, the machine resubscribes the symbol
/// (as the book actor asks) and the fresh snapshot makes the book equal the venue's again.
#[test]
fn gap_is_repaired_by_resubscribing_the_book() {
    let mut p = Pair::new(Exchange::Poloniex, config());
    p.books(&["BTC-USDT"]);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.book("BTC-USDT").0, SyncState::Live);
    p.venue.skip_update(&sym("BTC-USDT"));
    p.run_for(Duration::from_millis(500));
    assert!(
        matches!(p.book("BTC-USDT").0, SyncState::Resyncing(_)),
        "the gap is seen: {:?}",
        p.book("BTC-USDT").0
    );
    let subscribes = p.texts_sent("\"subscribe\"").len();
    let now = p.now();
    p.conn.resubscribe(&sym("BTC-USDT"), now);
    p.run_for(Duration::from_millis(500));
    assert_eq!(p.texts_sent("\"subscribe\"").len(), subscribes + 1);
    assert_eq!(
        p.book("BTC-USDT"),
        (SyncState::Live, p.truth("BTC-USDT", 20))
    );
    assert_eq!(p.lost(), 0, "a gap is not a reconnect");
}

/// Idle: a venue that goes silent (no data, no heartbeats) is given up exactly the venue's
/// idle timeout after its last frame (Kraken: 15 s), and reconnected.
#[test]
fn silent_venue_is_dropped_after_the_idle_timeout() {
    let mut p = Pair::new(
        Exchange::Kraken,
        SimConfig {
            kraken_heartbeat_interval: Duration::from_secs(3600),
            ..config()
        },
    );
    p.books(&["BTC-USDT"]);
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.lost(), 0);
    p.venue.pause(true);
    let silent_from = p.ms;
    p.run_for(Duration::from_secs(20));
    let lost = p.lost_reasons();
    assert_eq!(lost.len(), 1, "{lost:?}");
    let (at, reason) = &lost[0];
    assert_eq!(reason, "no data for 15s");
    // The last frame came with the last market step before the pause (within one step).
    assert!(
        (silent_from + 15_000 - 200..=silent_from + 15_000).contains(at),
        "lost at {at} ms, silent from {silent_from} ms"
    );
    p.venue.pause(false);
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.venue.connections_opened(), 2, "reconnected");
    assert_eq!(
        p.book("BTC-USDT"),
        (SyncState::Live, p.truth("BTC-USDT", 10))
    );
}

/// Keepalive: Poloniex sends nothing on a quiet market but answers pings; the machine pings
/// every 15 s, so a quiet connection outlives the 40 s idle timeout many times over.
#[test]
fn keepalive_pings_hold_a_quiet_connection() {
    let mut p = Pair::new(Exchange::Poloniex, config());
    p.books(&["BTC-USDT"]);
    p.venue.pause(true);
    let from = p.ms;
    p.run_for(Duration::from_secs(300));
    assert_eq!(p.lost_reasons(), [], "kept alive");
    let pings = p.texts_sent("\"ping\"");
    assert_eq!(pings.len(), 20, "one every 15 s: {pings:?}");
    assert_eq!(pings[0], from + 15_000);
    for w in pings.windows(2) {
        assert_eq!(w[1] - w[0], 15_000);
    }
}

/// Keepalive, server side: Binance pings every 20 s and closes a client that leaves three
/// unanswered; the machine answers each, and the pings keep the line within its idle
/// timeout (60 s) while no data flows.
#[test]
fn server_pings_are_answered_with_pongs() {
    let mut p = Pair::new(Exchange::Binance, config());
    p.books(&["C0-USDT"]);
    p.venue.pause(true);
    p.run_for(Duration::from_secs(300));
    assert_eq!(p.lost_reasons(), [], "kept alive");
    assert_eq!(p.venue.pongs().len(), 15, "one pong per ping");
    assert!(p.venue.pongs().iter().all(|p| p == b"marketfeed-sim"));
}

/// Reconnect: the venue closes the connection; the machine reports it lost with the venue's
/// reason, opens again when the reconnect is due (not before), resubscribes every book and
/// the books are live again.
#[test]
fn reconnect_resubscribes_every_book() {
    let mut p = Pair::new(Exchange::Kraken, config());
    p.books(&["BTC-USDT", "ETH-USDT"]);
    p.run_for(Duration::from_secs(1));
    let closed_at = p.ms;
    p.venue.close("maintenance");
    p.pump();
    let lost = p.lost_reasons();
    assert_eq!(lost.len(), 1);
    assert!(
        lost[0].1.contains("closed by the venue: maintenance"),
        "{lost:?}"
    );
    let disconnected = p.events.iter().any(|(_, e)| {
        matches!(e, ConnEvent::Status(FeedStatus::Disconnected { reason, retry_in: Some(d), attempt: 1 })
            if reason.contains("maintenance") && *d == RECONNECT_DELAY)
    });
    assert!(disconnected, "the schedule is reported");
    p.run_for(RECONNECT_DELAY - Duration::from_millis(1));
    assert_eq!(p.venue.connections_opened(), 1, "not before the delay");
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.venue.connections_opened(), 2);
    let opens: Vec<u64> = p
        .events
        .iter()
        .filter_map(|(ms, e)| matches!(e, ConnEvent::Open { .. }).then_some(*ms))
        .collect();
    assert_eq!(opens[1], closed_at + RECONNECT_DELAY.as_millis() as u64);
    let book_subs: Vec<&String> = p
        .venue
        .received()
        .iter()
        .filter(|t| t.contains("\"book\"") && t.contains("\"subscribe\""))
        .collect();
    assert_eq!(book_subs.len(), 2, "subscribed on each connection");
    assert!(book_subs[1].contains("BTC/USDT") && book_subs[1].contains("ETH/USDT"));
    for s in ["BTC-USDT", "ETH-USDT"] {
        assert_eq!(p.book(s), (SyncState::Live, p.truth(s, 10)), "{s}");
    }
}

/// A rejected symbol: the venue does not list it; the machine says so once, the other book
/// is untouched, and no later (re)subscription names it again.
#[test]
fn rejected_symbol_is_left_out_of_every_resubscription() {
    let mut p = Pair::new(Exchange::Kraken, config());
    p.books(&["BTC-USDT", "FOO-USDT"]);
    p.run_for(Duration::from_secs(1));
    let rejected: Vec<&Symbol> = p
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            ConnEvent::Rejected {
                symbol, message, ..
            } => {
                assert!(message.contains("not supported"), "{message}");
                Some(symbol)
            }
            _ => None,
        })
        .collect();
    assert_eq!(rejected, [&sym("FOO-USDT")]);
    assert!(!p.conn.interest().books.contains(&sym("FOO-USDT")));
    p.venue.close("maintenance");
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.venue.connections_opened(), 2);
    let last_sub = p
        .venue
        .received()
        .iter()
        .rev()
        .find(|t| t.contains("\"book\""))
        .unwrap();
    assert!(
        last_sub.contains("BTC/USDT") && !last_sub.contains("FOO"),
        "{last_sub}"
    );
    assert_eq!(
        p.book("BTC-USDT"),
        (SyncState::Live, p.truth("BTC-USDT", 10))
    );
    let rejections = p
        .events
        .iter()
        .filter(|(_, e)| matches!(e, ConnEvent::Rejected { .. }))
        .count();
    assert_eq!(rejections, 1, "said once");
}

/// A ping flood: only the latest ping is answered, the pongs stay under the venue's message
/// limit (the venue would close the connection above 5 per second), and a SUBSCRIBE asked
/// for during the flood goes out within the second.
#[test]
fn ping_flood_is_answered_with_only_the_latest_pong() {
    let mut p = Pair::new(Exchange::Binance, config());
    p.books(&["C0-USDT"]);
    p.run_for(Duration::from_millis(100));
    const FLOOD: u32 = 100_000;
    for i in 0..FLOOD {
        p.venue.push(ServerFrame::Ping(i.to_be_bytes().to_vec()));
    }
    p.pump();
    assert!(
        p.conn.queued() <= 1,
        "one pong owed, not {}",
        p.conn.queued()
    );
    let now = p.now();
    let asked = p.ms;
    p.conn.add_interest(vec![sym("C1-USDT")], Vec::new(), now);
    p.run_for(Duration::from_secs(3));
    let subscribe = p.texts_sent("c1usdt@depth");
    assert_eq!(subscribe.len(), 1);
    assert!(
        subscribe[0] - asked <= 1000,
        "SUBSCRIBE after {} ms",
        subscribe[0] - asked
    );
    let pongs = p.venue.pongs();
    assert!(pongs.len() <= 3, "{} pongs for {FLOOD} pings", pongs.len());
    assert_eq!(pongs.last().unwrap(), &(FLOOD - 1).to_be_bytes().to_vec());
    assert_eq!(p.lost_reasons(), [], "under the venue's message limit");
}

/// Send pacing: 30 books added one by one to an open Binance connection are 30 SUBSCRIBE
/// requests, sent at most 4 per second, so the venue (which closes above 5) keeps the
/// connection and every one of them arrives.
#[test]
fn subscribes_are_paced_under_the_venue_message_limit() {
    let mut p = Pair::new(Exchange::Binance, config());
    p.books(&["C0-USDT"]);
    let now = p.now();
    for i in 1..=30 {
        p.conn
            .add_interest(vec![sym(&format!("C{i}-USDT"))], Vec::new(), now);
    }
    p.run_for(Duration::from_secs(10));
    assert_eq!(p.lost_reasons(), []);
    let subs = p.texts_sent("SUBSCRIBE");
    assert_eq!(subs.len(), 30);
    for (i, t) in subs.iter().enumerate() {
        let within = subs[i..].iter().take_while(|u| **u < t + 1000).count();
        assert!(within <= 4, "{within} requests in the second after {t} ms");
    }
    let replies = p.venue.received().len();
    assert_eq!(replies, 30, "every request reached the venue");
}

/// An oversized message, whole or in continuation frames: reported with its size, never
/// buffered past the cap; the connection is reset and the books resubscribed.
#[test]
fn oversized_message_resets_the_connection() {
    let limit = marketfeed::DEFAULT_MAX_MESSAGE_SIZE;
    let mut p = Pair::new(Exchange::Kraken, config());
    p.books(&["BTC-USDT"]);
    p.run_for(Duration::from_millis(200));
    p.venue.push(ServerFrame::First(b"{".to_vec()));
    let chunk = vec![b' '; 64 << 10];
    let mut pushed = 1;
    while pushed <= limit + chunk.len() {
        p.venue.push(ServerFrame::Continue(chunk.clone()));
        pushed += chunk.len();
    }
    p.venue.push(ServerFrame::Last(b"}".to_vec()));
    p.pump();
    let too_large: Vec<(usize, usize)> = p
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            ConnEvent::Status(FeedStatus::MessageTooLarge { size, limit }) => Some((*size, *limit)),
            _ => None,
        })
        .collect();
    assert_eq!(too_large.len(), 1, "{too_large:?}");
    let (size, l) = too_large[0];
    assert_eq!(l, limit);
    assert!(size > limit && size <= limit + chunk.len(), "{size}");
    let lost = p.lost_reasons();
    assert_eq!(lost.len(), 1);
    assert!(lost[0].1.contains("too large"), "{lost:?}");
    // One whole text over the cap (a codec without a frame limit) is refused the same way.
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.venue.connections_opened(), 2);
    p.venue.push(ServerFrame::Text(" ".repeat(limit + 1)));
    p.pump();
    assert_eq!(p.lost(), 2);
    assert!(p.events.iter().any(|(_, e)| matches!(e,
        ConnEvent::Status(FeedStatus::MessageTooLarge { size, .. }) if *size == limit + 1)));
    p.run_for(Duration::from_secs(1));
    assert_eq!(
        p.book("BTC-USDT"),
        (SyncState::Live, p.truth("BTC-USDT", 10))
    );
}

/// Shutdown: the unsubscribes go out, then the closing frame, and nothing after it; the
/// machine is closed and asks for no reconnect.
#[test]
fn shutdown_unsubscribes_then_closes() {
    let mut p = Pair::new(Exchange::Kraken, config());
    p.books(&["BTC-USDT"]);
    p.run_for(Duration::from_millis(200));
    let now = p.now();
    p.conn.shutdown(now);
    p.run_for(Duration::from_secs(5));
    let tail: Vec<&Outgoing> = p.sent.iter().rev().take(2).map(|(_, o)| o).collect();
    assert_eq!(tail[0], &Outgoing::Close);
    assert!(
        matches!(tail[1], Outgoing::Text(t) if t.contains("unsubscribe")),
        "{tail:?}"
    );
    assert_eq!(p.conn.phase(), Phase::Closed);
    assert_eq!(p.lost(), 0);
    assert_eq!(p.conn.poll_timeout(), None);
}
