//! A seeded mutation fuzzer on stable Rust, shared by `tests/fuzz_mutation.rs` (a short,
//! fixed run in every `cargo test`) and `examples/fuzz.rs` (long runs).
//!
//! Inputs are the real captured frames of `tests/fixtures/`, mutated (bytes flipped,
//! inserted, deleted, spliced; numbers replaced by edge values; fields removed). Targets:
//!
//! * `parse-binance`, `parse-kraken`, `parse-poloniex`, `parse-okx`, `parse-binance-rest`: the venue's
//!   pure `parse` must never panic, and what it accepts holds no negative price or size.
//! * `tracker-binance`, `tracker-kraken`, `tracker-poloniex`, `tracker-okx`: the captures are replayed into
//!   per-symbol [`BookTracker`]s (Binance gets the captured REST snapshots when it asks),
//!   checkpointed at live positions; each execution feeds mutated frames to a copy of a
//!   checkpoint. Invariants: no panic; a frame the tracker does not take (stale, ignored,
//!   buffered) changes nothing; a live book is never crossed, holds only positive sizes and
//!   stays within its depth and level cap; every applied Kraken change is checksum-verified
//!   (followed by `ChecksumOk` or a resync).
#![allow(dead_code)]

use marketfeed::exchange::binance::parse_depth_snapshot;
use marketfeed::exchange::{
    parse, BookTracker, Message, Outcome, SyncState, TrackerConfig, DEFAULT_MAX_LEVELS,
};
use marketfeed::types::{Exchange, MarketEvent, Symbol, Timestamp};
use marketfeed::SplitMix64;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

const BINANCE_WS: &str = include_str!("../fixtures/binance/BINANCE.ws.1.0");
const BINANCE_HTTP: &str = include_str!("../fixtures/binance/BINANCE.http.0.0");
const USDM_WS: &str = include_str!("../fixtures/binance/BINANCE_FUTURES.ws.1.0");
const USDM_HTTP: &str = include_str!("../fixtures/binance/BINANCE_FUTURES.http.0.0");
const KRAKEN_WS: &str = include_str!("../fixtures/kraken/KRAKEN.ws.50.0");
const POLONIEX_WS: &str = include_str!("../fixtures/poloniex/POLONIEX_v3.ws.1.0");
const OKX_WS: &str = include_str!("../fixtures/okx/OKX.ws.1.0");

/// Every target, by name.
pub const TARGETS: &[&str] = &[
    "parse-binance",
    "parse-binance-rest",
    "parse-kraken",
    "parse-poloniex",
    "tracker-binance",
    "tracker-kraken",
    "tracker-poloniex",
    "parse-okx",
    "tracker-okx",
];

/// Received frames of a capture (`<ts>: <frame>` lines).
fn frames(capture: &'static str) -> Vec<(Timestamp, &'static str)> {
    capture
        .lines()
        .filter(|l| !l.starts_with("wss://") && !l.starts_with("https://") && !l.trim().is_empty())
        .filter_map(|l| {
            let (ts, f) = l.split_once(": ")?;
            Some((Timestamp::parse_unix_seconds(ts)?, f))
        })
        .collect()
}

/// REST bodies of a capture: `(wire symbol, receive time, body)`.
fn rest_bodies(capture: &'static str) -> Vec<(&'static str, Timestamp, &'static str)> {
    capture
        .lines()
        .filter_map(|l| {
            let (url, rest) = l.split_once(" -> ")?;
            let (ts, body) = rest.split_once(": ")?;
            let sym = url.split("symbol=").nth(1)?.split('&').next()?;
            Some((sym, Timestamp::parse_unix_seconds(ts)?, body))
        })
        .collect()
}

/// Edge values a number token is replaced with.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1",
    "0.000000000000000001",
    "0.0000000000000000000000000001",
    "1e-30",
    "1e400",
    "1E+18",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "79228162514264337593543950335",
    "99999999999999999999999999999999",
    "4294967295",
    "4294967296",
    "0.10000000",
    "1.",
    ".5",
    "\"1\"",
    "null",
    "[]",
    "{}",
    "2600-01-01T00:00:00Z",
    "\"9999-12-31T23:59:59.999999999Z\"",
];

/// Applies 1 to 4 random mutations to `input`; `others` feed splices.
pub fn mutate(rng: &mut SplitMix64, input: &str, others: &[&str]) -> String {
    let mut b: Vec<u8> = input.as_bytes().to_vec();
    let n = 1 + rng.next_u64() % 4;
    for _ in 0..n {
        let len = b.len().max(1);
        let at = (rng.next_u64() as usize) % len;
        match rng.next_u64() % 10 {
            0 => {
                if !b.is_empty() {
                    let i = at.min(b.len() - 1);
                    b[i] = rng.next_u64() as u8;
                }
            }
            1 => b.insert(
                at.min(b.len()),
                b"{}[]\",:.-0123456789eE"[(rng.next_u64() % 21) as usize],
            ),
            2 => {
                if !b.is_empty() {
                    let end = (at + 1 + (rng.next_u64() as usize) % 16).min(b.len());
                    b.drain(at.min(b.len() - 1)..end);
                }
            }
            3..=5 => {
                // Replace the number token (or quoted number) around `at` with an edge value.
                let is_num = |c: u8| c.is_ascii_digit() || b".-+eE".contains(&c);
                if let Some(start) = (at..b.len()).find(|&i| b[i].is_ascii_digit()) {
                    let mut s = start;
                    while s > 0 && is_num(b[s - 1]) {
                        s -= 1;
                    }
                    let mut e = start;
                    while e < b.len() && is_num(b[e]) {
                        e += 1;
                    }
                    let v = NUMBERS[(rng.next_u64() as usize) % NUMBERS.len()];
                    b.splice(s..e, v.bytes());
                }
            }
            6 => {
                // Remove a `"key":value` member (a checksum, an id, a side).
                if let Some(q) = (at..b.len()).find(|&i| b[i] == b'"') {
                    let end = (q + 1..b.len())
                        .find(|&i| b[i] == b',' || b[i] == b'}')
                        .unwrap_or(b.len());
                    let end = if end < b.len() && b[end] == b',' {
                        end + 1
                    } else {
                        end
                    };
                    b.drain(q..end);
                }
            }
            7 => {
                // Splice a piece of another frame.
                if !others.is_empty() {
                    let o = others[(rng.next_u64() as usize) % others.len()].as_bytes();
                    let s = (rng.next_u64() as usize) % o.len().max(1);
                    let e = (s + 1 + (rng.next_u64() as usize) % 64).min(o.len());
                    b.splice(at.min(b.len())..at.min(b.len()), o[s..e].iter().copied());
                }
            }
            8 => {
                // Duplicate a slice (repeated levels, repeated payloads).
                let e = (at + 1 + (rng.next_u64() as usize) % 80).min(b.len());
                let piece: Vec<u8> = b[at.min(b.len())..e].to_vec();
                b.splice(e..e, piece);
            }
            _ => b.truncate(at),
        }
    }
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

type Trackers = HashMap<Symbol, BookTracker>;

/// One fuzz target, ready to run.
pub struct Target {
    name: &'static str,
    venue: Exchange,
    /// `(venue, frame)`: Binance spot and USD-M share the Binance targets.
    inputs: Vec<(Exchange, &'static str)>,
    /// Tracker targets: trackers at live positions.
    checkpoints: Vec<Trackers>,
    texts: Vec<&'static str>,
}

/// Counters of a run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Executions.
    pub execs: u64,
    /// Mutated frames the parser accepted.
    pub accepted: u64,
    /// Book events fed to trackers.
    pub fed: u64,
    /// Invariant violations and panics, with the input (at most 20 kept).
    pub failures: Vec<String>,
    /// Number of failures seen.
    pub failed: u64,
}

fn config(venue: Exchange) -> TrackerConfig {
    TrackerConfig {
        depth: (venue == Exchange::Kraken).then_some(1000),
        checksum_precision: None,
        max_levels: None,
    }
}

fn feed_event(t: &mut BookTracker, e: MarketEvent, out: &mut Vec<Outcome>) {
    match e {
        MarketEvent::Snapshot(s) => t.on_snapshot(s, out),
        MarketEvent::Delta(d) => t.on_delta(d, out),
        _ => {}
    }
}

/// Replays `capture` (and Binance's REST snapshots) into trackers, keeping a copy every so
/// many frames once at least one book is live.
fn checkpoints(venue: Exchange, ws: &'static str, http: Option<&'static str>) -> Vec<Trackers> {
    let fr = frames(ws);
    let mut rest: Vec<_> = http.map(rest_bodies).unwrap_or_default();
    let mut trackers: Trackers = HashMap::new();
    let mut wants: Vec<Symbol> = Vec::new();
    let mut out = Vec::new();
    let mut keep = Vec::new();
    let every = (fr.len() / 24).max(1);
    for (i, (ts, f)) in fr.iter().enumerate() {
        // Deliver due REST snapshots to books that asked.
        rest.retain(|(wire, rts, body)| {
            if rts > ts {
                return true;
            }
            let Ok(sym) = Symbol::from_venue(venue, wire) else {
                return false;
            };
            if let Some(pos) = wants.iter().position(|s| *s == sym) {
                if let (Some(t), Ok(snap)) = (
                    trackers.get_mut(&sym),
                    parse_depth_snapshot(venue, wire, body, *rts),
                ) {
                    wants.remove(pos);
                    out.clear();
                    t.on_snapshot(snap, &mut out);
                    if out.contains(&Outcome::FetchSnapshot) {
                        wants.push(sym);
                    }
                }
            }
            false
        });
        if let Ok(msgs) = parse(venue, f, *ts) {
            for m in msgs {
                let Message::Market(e) = m else { continue };
                let sym = match &e {
                    MarketEvent::Snapshot(s) => s.meta.symbol.clone(),
                    MarketEvent::Delta(d) => d.meta.symbol.clone(),
                    _ => continue,
                };
                let t = trackers
                    .entry(sym.clone())
                    .or_insert_with(|| BookTracker::new(venue, sym.clone(), config(venue)));
                out.clear();
                feed_event(t, e, &mut out);
                if out.contains(&Outcome::FetchSnapshot) && !wants.contains(&sym) {
                    wants.push(sym);
                }
            }
        }
        let live = trackers.values().any(|t| *t.state() == SyncState::Live);
        if live && i % every == 0 {
            keep.push(trackers.clone());
        }
    }
    keep.push(trackers);
    keep
}

impl Target {
    /// Builds target `name` (see [`TARGETS`]); `None` for an unknown name.
    pub fn new(name: &str) -> Option<Target> {
        let name: &'static str = TARGETS.iter().copied().find(|t| *t == name)?;
        let binance = || {
            let mut v: Vec<_> = frames(BINANCE_WS)
                .into_iter()
                .map(|(_, f)| (Exchange::Binance, f))
                .collect();
            v.extend(
                frames(USDM_WS)
                    .into_iter()
                    .map(|(_, f)| (Exchange::BinanceUsdM, f)),
            );
            v
        };
        let of = |venue: Exchange, ws: &'static str| -> Vec<(Exchange, &'static str)> {
            frames(ws).into_iter().map(|(_, f)| (venue, f)).collect()
        };
        let (venue, inputs, checkpoints) = match name {
            "parse-binance" => (Exchange::Binance, binance(), Vec::new()),
            "parse-binance-rest" => {
                let mut v: Vec<_> = rest_bodies(BINANCE_HTTP)
                    .into_iter()
                    .map(|(_, _, b)| (Exchange::Binance, b))
                    .collect();
                v.extend(
                    rest_bodies(USDM_HTTP)
                        .into_iter()
                        .map(|(_, _, b)| (Exchange::BinanceUsdM, b)),
                );
                (Exchange::Binance, v, Vec::new())
            }
            "parse-kraken" => (
                Exchange::Kraken,
                of(Exchange::Kraken, KRAKEN_WS),
                Vec::new(),
            ),
            "parse-poloniex" => (
                Exchange::Poloniex,
                of(Exchange::Poloniex, POLONIEX_WS),
                Vec::new(),
            ),
            "tracker-binance" => (
                Exchange::Binance,
                of(Exchange::Binance, BINANCE_WS),
                checkpoints(Exchange::Binance, BINANCE_WS, Some(BINANCE_HTTP)),
            ),
            "tracker-kraken" => (
                Exchange::Kraken,
                of(Exchange::Kraken, KRAKEN_WS),
                checkpoints(Exchange::Kraken, KRAKEN_WS, None),
            ),
            "parse-okx" => (Exchange::Okx, of(Exchange::Okx, OKX_WS), Vec::new()),
            "tracker-okx" => (
                Exchange::Okx,
                of(Exchange::Okx, OKX_WS),
                checkpoints(Exchange::Okx, OKX_WS, None),
            ),
            _ => (
                Exchange::Poloniex,
                of(Exchange::Poloniex, POLONIEX_WS),
                checkpoints(Exchange::Poloniex, POLONIEX_WS, None),
            ),
        };
        let mut inputs = inputs;
        if !checkpoints.is_empty() {
            // Tracker targets mutate book frames (the others never reach a tracker).
            inputs.retain(|(v, f)| {
                parse(*v, f, Timestamp::default()).is_ok_and(|m| {
                    m.iter().any(|m| {
                        matches!(
                            m,
                            Message::Market(MarketEvent::Snapshot(_) | MarketEvent::Delta(_))
                        )
                    })
                })
            });
        }
        let texts = inputs.iter().map(|(_, f)| *f).collect();
        Some(Target {
            name,
            venue,
            inputs,
            checkpoints,
            texts,
        })
    }

    /// The target's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Live checkpoints (tracker targets).
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Runs one execution drawn from `rng`, counting into `stats`.
    pub fn exec(&self, rng: &mut SplitMix64, stats: &mut Stats) {
        stats.execs += 1;
        let (venue, input) = self.inputs[(rng.next_u64() as usize) % self.inputs.len()];
        let frames: Vec<String> = (0..1 + rng.next_u64() % 3)
            .map(|_| {
                let base = if rng.next_u64() % 4 == 0 {
                    self.texts[(rng.next_u64() as usize) % self.texts.len()]
                } else {
                    input
                };
                mutate(rng, base, &self.texts)
            })
            .collect();
        let cp = (!self.checkpoints.is_empty())
            .then(|| (rng.next_u64() as usize) % self.checkpoints.len());
        let result = catch_unwind(AssertUnwindSafe(|| {
            if let Some(cp) = cp {
                self.run_tracker(cp, &frames, stats)
            } else if self.name == "parse-binance-rest" {
                if parse_depth_snapshot(venue, "BTCUSDT", &frames[0], Timestamp::default()).is_ok()
                {
                    stats.accepted += 1;
                }
                Ok(())
            } else {
                check_parse(venue, &frames[0], stats)
            }
        }));
        let failure = match result {
            Ok(Ok(())) => return,
            Ok(Err(why)) => why,
            Err(p) => format!(
                "panic: {}",
                p.downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            ),
        };
        stats.failed += 1;
        if stats.failures.len() < 20 {
            stats
                .failures
                .push(format!("{}: {failure}\n  frames: {frames:?}", self.name));
        }
    }

    /// Runs one raw input (a `cargo fuzz` input, see `fuzz/README.md`) through the target's
    /// invariants. Panics are not caught: libFuzzer reports them. The input, lossily UTF-8:
    ///
    /// * parse targets: one frame (REST body for `parse-binance-rest`); the Binance targets
    ///   parse it both as spot and as USD-M.
    /// * tracker targets: the first byte picks a live checkpoint (modulo their number), the
    ///   rest is frames, one per line, fed in order to copies of that checkpoint's trackers.
    pub fn exec_bytes(&self, data: &[u8], stats: &mut Stats) -> Result<(), String> {
        stats.execs += 1;
        if !self.checkpoints.is_empty() {
            let Some((&pick, rest)) = data.split_first() else {
                return Ok(());
            };
            let cp = pick as usize % self.checkpoints.len();
            let text = String::from_utf8_lossy(rest);
            let frames: Vec<String> = text.split('\n').map(str::to_owned).collect();
            return self.run_tracker(cp, &frames, stats);
        }
        let frame = String::from_utf8_lossy(data);
        let venues: &[Exchange] = match self.venue {
            Exchange::Binance => &[Exchange::Binance, Exchange::BinanceUsdM],
            Exchange::Kraken => &[Exchange::Kraken],
            Exchange::Okx => &[Exchange::Okx],
            _ => &[Exchange::Poloniex],
        };
        for &venue in venues {
            if self.name == "parse-binance-rest" {
                if parse_depth_snapshot(venue, "BTCUSDT", &frame, Timestamp::default()).is_ok() {
                    stats.accepted += 1;
                }
            } else {
                check_parse(venue, &frame, stats)?;
            }
        }
        Ok(())
    }

    fn run_tracker(&self, cp: usize, frames: &[String], stats: &mut Stats) -> Result<(), String> {
        let mut local: Trackers = HashMap::new();
        let mut out = Vec::new();
        for f in frames {
            let Ok(msgs) = parse(self.venue, f, Timestamp::default()) else {
                // Rejected by the parser: no tracker sees it, nothing changes.
                continue;
            };
            stats.accepted += 1;
            for m in msgs {
                let Message::Market(e) = m else { continue };
                let sym = match &e {
                    MarketEvent::Snapshot(s) => s.meta.symbol.clone(),
                    MarketEvent::Delta(d) => d.meta.symbol.clone(),
                    _ => continue,
                };
                let t = match local.entry(sym.clone()) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        match self.checkpoints[cp].get(&sym) {
                            Some(t) => v.insert(t.clone()),
                            None => v.insert(BookTracker::new(
                                self.venue,
                                sym.clone(),
                                config(self.venue),
                            )),
                        }
                    }
                };
                stats.fed += 1;
                let before = fingerprint(t);
                out.clear();
                feed_event(t, e, &mut out);
                check_tracker(t, &out, &before)?;
            }
        }
        Ok(())
    }
}

/// A cheap summary of a tracker's observable state.
fn fingerprint(t: &BookTracker) -> (SyncState, Option<u64>, usize, usize, String) {
    let b = t.book();
    let top = b.top(50);
    (
        t.state().clone(),
        t.last_update_id(),
        b.len(marketfeed::types::Side::Bid),
        b.len(marketfeed::types::Side::Ask),
        format!("{:?}", (top.bids, top.asks)),
    )
}

fn check_parse(venue: Exchange, frame: &str, stats: &mut Stats) -> Result<(), String> {
    let Ok(msgs) = parse(venue, frame, Timestamp::default()) else {
        return Ok(());
    };
    stats.accepted += 1;
    for m in msgs {
        let levels = match &m {
            Message::Market(MarketEvent::Snapshot(s)) => s.bids.iter().chain(&s.asks),
            Message::Market(MarketEvent::Delta(d)) => d.bids.iter().chain(&d.asks),
            _ => continue,
        };
        for l in levels {
            if l.price.is_sign_negative() && !l.price.is_zero()
                || l.qty.is_sign_negative() && !l.qty.is_zero()
            {
                return Err(format!("negative level accepted: {l:?}"));
            }
        }
    }
    Ok(())
}

fn check_tracker(
    t: &BookTracker,
    out: &[Outcome],
    before: &(SyncState, Option<u64>, usize, usize, String),
) -> Result<(), String> {
    let changed = out.iter().any(|o| {
        matches!(
            o,
            Outcome::Applied { .. } | Outcome::Resync(_) | Outcome::FetchSnapshot
        )
    });
    if !changed && fingerprint(t) != *before {
        return Err(format!("a frame not taken changed the book: {out:?}"));
    }
    if t.exchange() == Exchange::Kraken {
        for (i, o) in out.iter().enumerate() {
            // v1 snapshots carry no checksum (v2's are verified like updates).
            if matches!(
                o,
                Outcome::Applied {
                    snapshot: false,
                    ..
                }
            ) && !matches!(
                out.get(i + 1),
                Some(Outcome::ChecksumOk) | Some(Outcome::Resync(_))
            ) {
                return Err(format!("Kraken change applied unverified: {out:?}"));
            }
        }
    }
    if *t.state() != SyncState::Live {
        return Ok(());
    }
    let b = t.book();
    if let (Some(bid), Some(ask)) = (b.best_bid(), b.best_ask()) {
        if bid.price >= ask.price {
            return Err(format!(
                "live book crossed: {bid:?} >= {ask:?} after {out:?}"
            ));
        }
    }
    if let Some(l) = b
        .bids()
        .chain(b.asks())
        .find(|l| l.qty <= rust_decimal::Decimal::ZERO)
    {
        return Err(format!("live book holds a non-positive size: {l:?}"));
    }
    let cap = b.depth().unwrap_or(usize::MAX).min(DEFAULT_MAX_LEVELS);
    for side in [marketfeed::types::Side::Bid, marketfeed::types::Side::Ask] {
        if b.len(side) > cap {
            return Err(format!(
                "live book beyond its depth: {} > {cap}",
                b.len(side)
            ));
        }
    }
    Ok(())
}
