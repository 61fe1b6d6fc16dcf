//! The venue registry: the one place that lists the venues. Every per-venue `match` of the
//! crate is generated here from one line per venue, so adding a venue is its folder, its
//! simulator module and one line in `venues!` below.
//!
//! A registered module (`kraken`, `binance::spot`, ...) exports the same items:
//!
//! | item | what it is |
//! | --- | --- |
//! | `SPEC: VenueSpec` | names, hosts, URLs, limits, timers, resync style, depths, checksum, symbol style |
//! | `parse(frame, received_at)` | one text frame → normalized `Message`s (pure) |
//! | `parse_delta(frame, received_at, spare)` | the delta lane: a book-update frame read into reused level vectors, or `None` (`parse` decides); a venue without one answers `None` |
//! | `connect_plan(endpoint, interest, next_id)` | the URL and the messages of a (re)connection |
//! | `subscribe_more(added, next_id)` | live subscription on an open connection |
//! | `resubscribe_book(symbol, depth, next_id)` | messages that bring a fresh in-stream snapshot |
//! | `drop_symbol(symbol, next_id)` | messages that end a refused symbol's streams |
//! | `unsubscribe_all(interest, next_id)` | messages sent before a connection is closed |
//! | `unsubscribe(gone, next_id)` | messages that end exactly `gone`'s streams; the others stay |
//! | `ping(next_id)` | the application keepalive (every `SPEC.keepalive`) |
//! | `snapshot_url(rest, symbol, depth)` | the REST snapshot URL (venues with REST snapshots) |
//! | `parse_snapshot(body, symbol, received_at)` | the REST snapshot body → `BookSnapshot` |
//! | `Sequencer`, `sequencer()` | the venue's sync rules, a `Sequence` |
//!
//! The checksum, where a venue has one, is part of its spec ([`ChecksumSpec`]).
//!
//! [`ChecksumSpec`]: super::spec::ChecksumSpec

use super::session::{ConnectPlan, Endpoint, Interest, PlanError};
use super::spec::VenueSpec;
use super::{Decision, Message, ParseError, Sequence, SnapshotStep};
use crate::types::{BookDelta, BookSnapshot, SeqIds, Symbol, Timestamp};

macro_rules! venues {
    ($( $(#[$doc:meta])* $variant:ident => $($venue:ident)::+ ),+ $(,)?) => {
        /// A venue (exchange and market type). The list is the registry
        /// (`src/exchange/registry.rs`); what a venue is lives in its [`VenueSpec`]
        /// ([`Exchange::spec`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Exchange {
            $( $(#[$doc])* $variant, )+
        }

        impl Exchange {
            /// Every supported venue, in registration order.
            pub const ALL: [Exchange; venues!(@count $($variant)+)] = [$(Exchange::$variant),+];

            /// What the venue is: names, endpoints, limits, sync style.
            pub const fn spec(self) -> &'static VenueSpec {
                match self {
                    $( Exchange::$variant => &super::$($venue)::+::SPEC, )+
                }
            }
        }

        /// Parses one text frame from `exchange`.
        pub(crate) fn parse(
            exchange: Exchange,
            frame: &str,
            received_at: Timestamp,
        ) -> Result<Vec<Message>, ParseError> {
            match exchange {
                $( Exchange::$variant => super::$($venue)::+::parse(frame, received_at), )+
            }
        }

        /// The venue's delta lane (see [`crate::exchange::parse_delta`]).
        pub(crate) fn parse_delta(
            exchange: Exchange,
            frame: &str,
            received_at: Timestamp,
            spare: &mut super::LevelBuffers,
        ) -> Option<BookDelta> {
            match exchange {
                $( Exchange::$variant =>
                    super::$($venue)::+::parse_delta(frame, received_at, spare), )+
            }
        }

        /// The plan for a (re)connection carrying `interest`.
        pub(crate) fn connect_plan(
            exchange: Exchange,
            endpoint: &Endpoint,
            interest: &Interest,
            next_id: &mut u64,
        ) -> Result<ConnectPlan, PlanError> {
            match exchange {
                $( Exchange::$variant =>
                    super::$($venue)::+::connect_plan(endpoint, interest, next_id), )+
            }
        }

        /// Messages that add `added` to an open connection.
        pub(crate) fn subscribe_more(
            exchange: Exchange,
            added: &Interest,
            next_id: &mut u64,
        ) -> Result<Vec<String>, PlanError> {
            match exchange {
                $( Exchange::$variant => super::$($venue)::+::subscribe_more(added, next_id), )+
            }
        }

        /// Messages that make the venue send a fresh snapshot of one book.
        pub(crate) fn resubscribe_book(
            exchange: Exchange,
            symbol: &Symbol,
            depth: u32,
            next_id: &mut u64,
        ) -> Vec<String> {
            match exchange {
                $( Exchange::$variant =>
                    super::$($venue)::+::resubscribe_book(symbol, depth, next_id), )+
            }
        }

        /// Messages that end the subscriptions of a symbol the venue refused.
        pub(crate) fn drop_symbol(
            exchange: Exchange,
            symbol: &Symbol,
            next_id: &mut u64,
        ) -> Vec<String> {
            match exchange {
                $( Exchange::$variant => super::$($venue)::+::drop_symbol(symbol, next_id), )+
            }
        }

        /// Messages that end every subscription of a connection.
        pub(crate) fn unsubscribe_all(
            exchange: Exchange,
            interest: &Interest,
            next_id: &mut u64,
        ) -> Vec<String> {
            match exchange {
                $( Exchange::$variant =>
                    super::$($venue)::+::unsubscribe_all(interest, next_id), )+
            }
        }

        /// Messages that end exactly the streams of `gone` (books no feed wants any more);
        /// the connection's other streams stay.
        pub(crate) fn unsubscribe(
            exchange: Exchange,
            gone: &Interest,
            next_id: &mut u64,
        ) -> Vec<String> {
            if gone.is_empty() {
                return Vec::new();
            }
            match exchange {
                $( Exchange::$variant => super::$($venue)::+::unsubscribe(gone, next_id), )+
            }
        }

        /// The application-level ping, where the venue wants one.
        pub(crate) fn ping(exchange: Exchange, next_id: &mut u64) -> Option<String> {
            match exchange {
                $( Exchange::$variant => super::$($venue)::+::ping(next_id), )+
            }
        }

        /// The REST snapshot URL of one book, where the venue snapshots over REST.
        pub(crate) fn snapshot_url(
            exchange: Exchange,
            rest: &str,
            symbol: &Symbol,
            depth: u32,
        ) -> Option<String> {
            match exchange {
                $( Exchange::$variant =>
                    super::$($venue)::+::snapshot_url(rest, symbol, depth), )+
            }
        }

        /// Parses a REST snapshot body, where the venue snapshots over REST.
        pub(crate) fn parse_snapshot(
            exchange: Exchange,
            body: &str,
            symbol: &Symbol,
            received_at: Timestamp,
        ) -> Result<BookSnapshot, ParseError> {
            match exchange {
                $( Exchange::$variant =>
                    super::$($venue)::+::parse_snapshot(body, symbol, received_at), )+
            }
        }

        /// One book's venue sequencer.
        #[derive(Clone, Debug)]
        pub(crate) enum Sequencer {
            $( $variant(super::$($venue)::+::Sequencer), )+
        }

        impl Sequencer {
            /// A fresh sequencer for `exchange`, waiting for a snapshot.
            pub(crate) fn new(exchange: Exchange) -> Sequencer {
                match exchange {
                    $( Exchange::$variant => Sequencer::$variant(super::$($venue)::+::sequencer()), )+
                }
            }

            /// Decision for one book update.
            pub(crate) fn decide(&mut self, seq: &SeqIds) -> Decision {
                match self {
                    $( Sequencer::$variant(s) => Sequence::decide(s, seq), )+
                }
            }

            /// Takes a snapshot with the venue's id `last_id`.
            pub(crate) fn on_snapshot(&mut self, last_id: Option<u64>) -> SnapshotStep {
                match self {
                    $( Sequencer::$variant(s) => Sequence::on_snapshot(s, last_id), )+
                }
            }

            /// Keeps a delta until the snapshot arrives (venues that buffer).
            pub(crate) fn buffer(&mut self, delta: BookDelta) {
                match self {
                    $( Sequencer::$variant(s) => Sequence::buffer(s, delta), )+
                }
            }

            /// Records that a snapshot request is under way.
            pub(crate) fn mark_fetch_requested(&mut self) {
                match self {
                    $( Sequencer::$variant(s) => Sequence::mark_fetch_requested(s), )+
                }
            }

            /// Back to waiting for a snapshot.
            pub(crate) fn reset(&mut self) {
                match self {
                    $( Sequencer::$variant(s) => Sequence::reset(s), )+
                }
            }
        }
    };
    (@count) => { 0usize };
    (@count $head:ident $($tail:ident)*) => { 1usize + venues!(@count $($tail)*) };
}

venues! {
    /// Binance spot (`stream.binance.com`, REST `api.binance.com`).
    Binance => binance::spot,
    /// Binance USD-M futures (`fstream.binance.com`, REST `fapi.binance.com`).
    BinanceUsdM => binance::usdm,
    /// Kraken spot (WebSocket v2; v1 for recorded data).
    Kraken => kraken,
    /// Poloniex spot (WebSocket v3).
    Poloniex => poloniex,
    /// OKX v5 public: spot, perpetual swaps and dated futures (`ws.okx.com`, REST
    /// `www.okx.com`).
    Okx => okx,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one venue's spec says agrees with what its registered module does.
    #[test]
    fn every_spec_agrees_with_its_module() {
        let btc = Symbol::parse("BTC-USDT").unwrap();
        for e in Exchange::ALL {
            let spec = e.spec();
            assert_eq!(spec.name.parse::<Exchange>(), Ok(e));
            assert_eq!(spec.name.to_uppercase().parse::<Exchange>(), Ok(e));
            for alias in spec.aliases {
                assert_eq!(alias.parse::<Exchange>(), Ok(e), "{alias}");
            }
            assert!(
                spec.depth.allowed.contains(spec.depth.default),
                "{e}: default depth"
            );
            assert_eq!(spec.keepalive.is_some(), ping(e, &mut 0).is_some(), "{e}");
            let rest = spec.resync.is_rest_snapshot();
            assert_eq!(rest, spec.rest_url.is_some(), "{e}: REST base");
            assert_eq!(
                rest,
                snapshot_url(e, "https://rest.example", &btc, spec.depth.default).is_some(),
                "{e}: snapshot URL"
            );
            assert_eq!(
                crate::replay::venue_of_url(spec.ws_url),
                Some(e),
                "{e}: its own host"
            );
            let wire = btc.to_venue(e);
            assert_eq!(Symbol::from_venue(e, &wire), Ok(btc.clone()), "{e}: {wire}");
        }
        assert!("ftx".parse::<Exchange>().is_err());
    }

    /// TC0..TC7: depths each venue can and cannot serve (`EngineBuilder::book_depth`).
    #[test]
    fn depths_are_checked_against_the_spec() {
        let ok = |e: Exchange, d: u32| e.spec().depth.check(e, d).is_ok();
        assert!(ok(Exchange::Kraken, 25), "TC0");
        assert!(!ok(Exchange::Kraken, 7), "TC1");
        assert!(ok(Exchange::Binance, 5000), "TC2");
        assert!(
            !ok(Exchange::Binance, 0) && !ok(Exchange::Binance, 5001),
            "TC3"
        );
        assert!(ok(Exchange::BinanceUsdM, 500), "TC4");
        assert!(
            !ok(Exchange::BinanceUsdM, 5000),
            "TC5: USD-M serves at most 1000"
        );
        assert!(
            ok(Exchange::Poloniex, 20) && !ok(Exchange::Poloniex, 10),
            "TC6"
        );
        let e = Exchange::Kraken.spec().depth.check(Exchange::Kraken, 7);
        assert_eq!(
            e.unwrap_err().to_string(),
            "kraken: book depth 7 is not one of 10, 25, 100, 500, 1000",
            "TC7"
        );
        // The tracker keeps the venue's window, or everything on REST-snapshot venues.
        assert_eq!(Exchange::Kraken.spec().depth.window(25), Some(25));
        assert_eq!(Exchange::Binance.spec().depth.window(1000), None);
    }
}
