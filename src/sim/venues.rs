//! The simulator's venue registry: the one list of simulated venues. Every place the
//! simulator picks behaviour by venue (which frames a market step makes, which session
//! answers a connection, which paths a venue serves, its timers and limits) is generated
//! here from one line per venue, as `src/exchange/registry.rs` does for the engine.
//!
//! A registered module (`kraken::venue`, `binance::venue::spot`, ...) exports:
//!
//! | item | what it is |
//! | --- | --- |
//! | `STYLE: WireStyle` | update ids or none, how markets are keyed on the wire, fixed decimals |
//! | `PATHS: Paths` | the simulator prefix, the endpoint it gives the engine, the WebSocket and REST paths it serves |
//! | `type Frames`, `step(&mut SimMarket, ms)` | what one market step sends (faults applied) |
//! | `type Session`, `open(path, query, &mut State, &SimConfig)` | one connection's protocol state and its first frames |
//! | `Session::{on_text, on_tick, has_subscriptions, maintenance_notice}` | replies to a request; the frames of a step it subscribed to; the notice before a maintenance close (or `None`) |
//! | `rest(path, query, &mut State, ms)` | a REST answer (paths in `PATHS.rest`) |
//! | `markets(&SimConfig)`, `markets_mut` | the symbols a configuration serves on the venue |
//! | `timer(&SimConfig)`, `incoming_limit(&SimConfig)` | what the server does on its timer; the client message limit it enforces |
//!
//! The order of the lines is the order markets are seeded in (part of every market's seed):
//! new venues go at the end. A venue of the engine's registry that is not listed here is
//! not simulated: it has no markets, and its endpoint is a path that answers 404, so an
//! engine built from [`Simulator::endpoints`] still never reaches the real venue.

use super::server::{SimConfig, Simulator};
use super::state::{SimMarket, State, Tick};
use crate::exchange::session::Endpoint;
use crate::types::{Exchange, Symbol};
use std::time::Duration;

/// How a venue's market looks on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WireStyle {
    /// Book messages carry update ids (Binance `u`, Poloniex `id`), starting at
    /// [`FIRST_UPDATE_ID`](super::state::FIRST_UPDATE_ID); without them the market's step
    /// number stands in.
    pub update_ids: bool,
    /// Markets are keyed by the lower-case wire symbol (Binance stream names).
    pub lower_case_key: bool,
    /// Decimals every price and quantity is written with, where the venue pads them.
    pub fixed_decimals: Option<u32>,
}

impl WireStyle {
    /// The key a market is looked up by on the wire.
    pub(crate) fn key(self, wire_symbol: &str) -> String {
        if self.lower_case_key {
            wire_symbol.to_lowercase()
        } else {
            wire_symbol.to_string()
        }
    }
}

/// Where a venue lives on the simulator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Paths {
    /// The simulator's own prefix of the venue (`/kraken`): every path below is served under
    /// it, and without it on the venue's production hosts.
    pub prefix: &'static str,
    /// The engine endpoint's WebSocket path below the prefix (the engine appends its route).
    pub endpoint_ws: &'static str,
    /// The engine endpoint's REST path below the prefix, for REST-snapshot venues.
    pub endpoint_rest: Option<&'static str>,
    /// WebSocket paths served below the prefix.
    pub ws: &'static [&'static str],
    /// REST paths served below the prefix.
    pub rest: &'static [&'static str],
}

/// What a venue's server does on its timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// A WebSocket ping every period; no pong within three periods disconnects (Binance).
    Ping,
    /// This application heartbeat when nothing else was sent in the period on a subscribed
    /// connection (Kraken).
    Heartbeat(&'static str),
    /// Nothing (the client pings).
    Quiet,
    /// Close the connection when nothing was sent on it for a whole period (OKX: 30 s
    /// without a push; the client's `ping` gets a `pong`, which counts).
    CloseWhenQuiet,
}

/// A REST answer.
#[derive(Clone, Debug)]
pub(crate) struct RestReply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body.
    pub body: String,
    /// Answer after this delay (a fault).
    pub delay: Duration,
}

impl RestReply {
    /// An answer without extra headers or delay.
    pub(crate) fn json(status: u16, body: impl Into<String>) -> Self {
        RestReply {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
}

/// Which kind of path a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathKind {
    /// A WebSocket upgrade.
    Ws,
    /// A REST request.
    Rest,
}

macro_rules! sim_venues {
    ($( $variant:ident => $($m:ident)::+ ),+ $(,)?) => {
        /// The simulated venues, in the order their markets are seeded (the order is part of
        /// every market's seed, so it never changes: new venues go at the end).
        pub const SEED_ORDER: [Exchange; sim_venues!(@count $($variant)+)] =
            [$(Exchange::$variant),+];

        /// The frames one step of one market produced, in its venue's shape.
        #[derive(Clone, Debug)]
        pub(crate) enum Frames {
            $( $variant(super::$($m)::+::Frames), )+
        }

        /// The protocol side of one connection.
        #[derive(Debug)]
        pub(crate) enum VenueSession {
            $( $variant(super::$($m)::+::Session), )+
        }

        impl VenueSession {
            /// The venue.
            pub(crate) fn exchange(&self) -> Exchange {
                match self {
                    $( VenueSession::$variant(_) => Exchange::$variant, )+
                }
            }

            /// Replies to a client text frame.
            pub(crate) fn on_text(&mut self, text: &str, state: &State, ms: u64) -> Vec<String> {
                match self {
                    $( VenueSession::$variant(s) => s.on_text(text, state, ms), )+
                }
            }

            /// The frames of a market step this client subscribed to.
            pub(crate) fn on_tick(&self, tick: &Tick) -> Vec<String> {
                #[allow(unreachable_patterns)]
                match (self, &tick.frames) {
                    $( (VenueSession::$variant(s), Frames::$variant(f)) => s.on_tick(tick, f), )+
                    _ => Vec::new(),
                }
            }

            /// True when the client subscribed to anything (heartbeats start then).
            pub(crate) fn has_subscriptions(&self) -> bool {
                match self {
                    $( VenueSession::$variant(s) => s.has_subscriptions(), )+
                }
            }

            /// The venue's notice of a coming maintenance close (OKX `64008`), if it has one.
            pub(crate) fn maintenance_notice(&self) -> Option<String> {
                match self {
                    $( VenueSession::$variant(s) => s.maintenance_notice(), )+
                }
            }
        }

        /// Advances `market` one step at `ms`; its frames in the venue's shape. `None` for
        /// a venue the simulator does not serve (it has no markets).
        pub(crate) fn step(market: &mut SimMarket, ms: u64) -> Option<Frames> {
            #[allow(unreachable_patterns)]
            match market.exchange {
                $( Exchange::$variant =>
                    Some(Frames::$variant(super::$($m)::+::step(market, ms))), )+
                _ => None,
            }
        }

        /// The wire style of `exchange`.
        pub(crate) fn style(exchange: Exchange) -> WireStyle {
            #[allow(unreachable_patterns)]
            match exchange {
                $( Exchange::$variant => super::$($m)::+::STYLE, )+
                _ => WireStyle { update_ids: false, lower_case_key: false, fixed_decimals: None },
            }
        }

        /// Where `exchange` lives on the simulator (`None`: not simulated).
        pub(crate) fn paths(exchange: Exchange) -> Option<Paths> {
            #[allow(unreachable_patterns)]
            match exchange {
                $( Exchange::$variant => Some(super::$($m)::+::PATHS), )+
                _ => None,
            }
        }

        /// The symbols `config` serves on `exchange`.
        pub fn markets(config: &SimConfig, exchange: Exchange) -> &[Symbol] {
            #[allow(unreachable_patterns)]
            match exchange {
                $( Exchange::$variant => super::$($m)::+::markets(config), )+
                _ => &[],
            }
        }

        /// The symbols `config` serves on `exchange`, to change; `None` for a venue the
        /// simulator does not serve.
        pub fn markets_mut(config: &mut SimConfig, exchange: Exchange) -> Option<&mut Vec<Symbol>> {
            #[allow(unreachable_patterns)]
            match exchange {
                $( Exchange::$variant => Some(super::$($m)::+::markets_mut(config)), )+
                _ => None,
            }
        }

        /// The server timer of `exchange` and its period under `config`.
        pub(crate) fn timer(config: &SimConfig, exchange: Exchange) -> (Timer, Duration) {
            #[allow(unreachable_patterns)]
            match exchange {
                $( Exchange::$variant => super::$($m)::+::timer(config), )+
                _ => (Timer::Quiet, Duration::from_secs(3600)),
            }
        }

        /// Client messages per second above which the server closes the connection (0: no
        /// limit).
        pub(crate) fn incoming_limit(config: &SimConfig, exchange: Exchange) -> usize {
            #[allow(unreachable_patterns)]
            match exchange {
                $( Exchange::$variant => super::$($m)::+::incoming_limit(config), )+
                _ => 0,
            }
        }

        /// Opens `exchange`'s session for a WebSocket to `path` (below the venue's prefix):
        /// the session and the frames it sends first; the error is the handshake's refusal.
        pub(crate) fn open(
            exchange: Exchange,
            path: &str,
            query: &str,
            state: &mut State,
            config: &SimConfig,
        ) -> Result<(VenueSession, Vec<String>), String> {
            #[allow(unreachable_patterns)]
            match exchange {
                $( Exchange::$variant => super::$($m)::+::open(path, query, state, config)
                    .map(|(s, first)| (VenueSession::$variant(s), first)), )+
                _ => Err(format!("404 Not Found: {path}")),
            }
        }

        /// The REST answer of `exchange` to `path` (below the venue's prefix).
        pub(crate) fn rest(
            exchange: Exchange,
            path: &str,
            query: &str,
            state: &mut State,
            ms: u64,
        ) -> RestReply {
            #[allow(unreachable_patterns)]
            match exchange {
                $( Exchange::$variant => super::$($m)::+::rest(path, query, state, ms), )+
                _ => RestReply::json(404, "{}"),
            }
        }
    };
    (@count) => { 0 };
    (@count $head:ident $($tail:ident)*) => { 1 + sim_venues!(@count $($tail)*) };
}

sim_venues! {
    Binance => binance::venue::spot,
    Kraken => kraken::venue,
    Poloniex => poloniex::venue,
    BinanceUsdM => binance::venue::usdm,
    Okx => okx::venue,
}

/// The venue serving a request for `path` on `host` and the path below its prefix: the
/// simulator's own prefix first (`/kraken/v2`), then a venue whose production hosts include
/// `host` (`wss://ws.kraken.com/v2` resolved here), then the first venue in [`SEED_ORDER`]
/// that serves the bare path (`/stream` on an unknown host is Binance spot).
pub(crate) fn resolve(host: &str, path: &str, kind: PathKind) -> Option<(Exchange, String)> {
    let serves = |p: &Paths, rel: &str| match kind {
        PathKind::Ws => p.ws.contains(&rel),
        PathKind::Rest => p.rest.contains(&rel),
    };
    let venues = || SEED_ORDER.into_iter().filter_map(|e| Some((e, paths(e)?)));
    venues()
        .find_map(|(e, p)| {
            let rel = path.strip_prefix(p.prefix)?;
            serves(&p, rel).then(|| (e, rel.to_string()))
        })
        .or_else(|| {
            venues()
                .find(|(e, p)| e.spec().serves_host(host) && serves(p, path))
                .map(|(e, _)| (e, path.to_string()))
        })
        .or_else(|| {
            venues()
                .find(|(_, p)| serves(p, path))
                .map(|(e, _)| (e, path.to_string()))
        })
}

/// The engine endpoint of `exchange` below `ws_base` and `http_base` (scheme and
/// authority). A venue the simulator does not serve gets a path that answers 404.
pub(crate) fn endpoint_at(exchange: Exchange, ws_base: &str, http_base: &str) -> Endpoint {
    match paths(exchange) {
        Some(p) => Endpoint {
            ws: format!("{ws_base}{}{}", p.prefix, p.endpoint_ws),
            rest: p
                .endpoint_rest
                .map(|r| format!("{http_base}{}{r}", p.prefix)),
        },
        None => Endpoint {
            ws: format!("{ws_base}/not-simulated/{exchange}"),
            rest: exchange
                .spec()
                .rest_url
                .map(|_| format!("{http_base}/not-simulated/{exchange}")),
        },
    }
}

/// The engine endpoint of `exchange` on `sim`.
pub(crate) fn endpoint(sim: &Simulator, exchange: Exchange) -> Endpoint {
    endpoint_at(exchange, &sim.base_url(true), &sim.base_url(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path the engine is given, or dials in production, reaches the venue it names.
    #[test]
    fn every_endpoint_and_production_url_resolves_to_its_venue() {
        for e in SEED_ORDER {
            let ep = endpoint_at(e, "ws://h", "http://h");
            let ws_path = ep.ws.strip_prefix("ws://h").unwrap();
            let p = paths(e).unwrap();
            for rel in p.ws {
                // The engine appends its route and `/stream` (Binance) to the base.
                let full = format!("{}{rel}", p.prefix);
                assert!(full.starts_with(ws_path), "{e}: {full} below {ws_path}");
                assert_eq!(
                    resolve("127.0.0.1", &full, PathKind::Ws),
                    Some((e, rel.to_string()))
                );
            }
            for rel in p.rest {
                let full = format!("{}{rel}", p.prefix);
                assert_eq!(
                    resolve("127.0.0.1", &full, PathKind::Rest),
                    Some((e, rel.to_string()))
                );
            }
            // The production URL, resolved to the simulator, reaches the same venue.
            let prod = e.spec().ws_url;
            let host = prod
                .split("://")
                .nth(1)
                .unwrap()
                .split(['/', ':'])
                .next()
                .unwrap();
            let path = &prod[prod.find(host).unwrap() + host.len()..];
            let path = path.trim_start_matches(|c: char| c == ':' || c.is_ascii_digit());
            let route = e.spec().book_route;
            let probe =
                p.ws.iter()
                    .find(|rel| rel.starts_with(&format!("{path}{route}")))
                    .unwrap_or_else(|| panic!("{e}: no path below {path}{route}"));
            assert_eq!(
                resolve(host, probe, PathKind::Ws).map(|(v, _)| v),
                Some(e),
                "{e} {host}{probe}"
            );
        }
    }
}
