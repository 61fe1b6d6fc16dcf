//! barter-data 0.13's own Binance spot L2 path on a recorded (or synthetic) capture:
//! `serde_json` into its `BinanceSpotOrderBookL2Update` (its Decimal levels, its
//! `SubscriptionId`), its `BinanceSpotOrderBooksL2Transformer` (instrument lookup and
//! `BinanceSpotOrderBookL2Sequencer::validate_sequence`, then the `MarketEvent` with an
//! `OrderBookEvent::Update`), and `OrderBook::update` (its sorted-Vec upsert), then the
//! top-10 view (or best bid/ask) copied out like marketfeed's `top_into`.
//!
//! The transformer is built by its own `ExchangeTransformer::init` from `MarketEvent`s made
//! from the recorded REST bodies by barter's own `BinanceOrderBookL2Snapshot` conversion
//! (off the clock, once per pass, like marketfeed's snapshot frames).
//! The only adaptation: the captures are Binance *combined* streams
//! (`{"stream":..,"data":{..}}`) while barter subscribes on the raw `/ws` endpoint, so the
//! update is deserialized as the `data` field of a two-field envelope in the same serde pass.
//!
//! `barter_bench --ws F --http F --name N --seconds S [--view top10|bbo]` prints one JSON line.

use barter_data::books::{Level, OrderBook};
use barter_data::event::MarketEvent;
use barter_data::exchange::binance::book::l2::BinanceOrderBookL2Snapshot;
use barter_data::exchange::binance::channel::BinanceChannel;
use barter_data::exchange::binance::spot::l2::{
    BinanceSpotOrderBookL2Update, BinanceSpotOrderBooksL2Transformer,
};
use barter_data::exchange::binance::spot::BinanceSpot;
use barter_data::exchange::subscription::ExchangeSub;
use barter_data::subscription::book::{OrderBookEvent, OrderBooksL2};
use barter_data::subscription::Map;
use barter_data::transformer::ExchangeTransformer;
use barter_data::Identifier;
use barter_instrument::exchange::ExchangeId;
use barter_integration::Transformer;
use mf_peer_bench::{book_line, Capture, Counts, Engine};
use serde::Deserialize;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[derive(Deserialize)]
struct Combined {
    #[allow(dead_code)]
    stream: serde::de::IgnoredAny,
    data: BinanceSpotOrderBookL2Update,
}

/// `init` awaits nothing (the snapshots are given), so one poll finishes it.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

struct Barter {
    symbols: Vec<String>,
    transformer: Option<BinanceSpotOrderBooksL2Transformer<usize>>,
    books: Vec<OrderBook>,
    top10: bool,
    view: Vec<Level>,
}

impl Engine for Barter {
    fn reset(&mut self, cap: &Capture) -> Result<(), String> {
        let mut snaps = Vec::new();
        self.symbols.clear();
        self.books.clear();
        for (i, (sym, body)) in cap.snapshots.iter().enumerate() {
            let s: BinanceOrderBookL2Snapshot =
                serde_json::from_str(body).map_err(|e| format!("snapshot {sym}: {e}"))?;
            let ev: MarketEvent<usize, OrderBookEvent> =
                MarketEvent::from((ExchangeId::BinanceSpot, i, s));
            let mut book = OrderBook::default();
            book.update(&ev.kind);
            self.books.push(book);
            snaps.push(ev);
            self.symbols.push(sym.clone());
        }
        let map: Map<usize> = self
            .symbols
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    ExchangeSub::from((BinanceChannel::ORDER_BOOK_L2, s.as_str())).id(),
                    i,
                )
            })
            .collect();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let t = block_on(
            <BinanceSpotOrderBooksL2Transformer<usize> as ExchangeTransformer<
                BinanceSpot,
                usize,
                OrderBooksL2,
            >>::init(map, &snaps, tx),
        )
        .map_err(|e| format!("init: {e}"))?;
        self.transformer = Some(t);
        Ok(())
    }

    fn frame(&mut self, frame: &str, counts: &mut Counts) -> bool {
        // Frames of other channels (bookTicker, aggTrade, kline) are not depth updates.
        let Ok(msg) = serde_json::from_str::<Combined>(frame) else {
            return false;
        };
        let Some(t) = self.transformer.as_mut() else {
            return false;
        };
        let mut applied = false;
        for out in t.transform(msg.data) {
            match out {
                Ok(ev) => {
                    let book = &mut self.books[ev.instrument];
                    book.update(&ev.kind);
                    if self.top10 {
                        self.view.clear();
                        self.view
                            .extend(book.bids().levels().iter().take(10).copied());
                        self.view
                            .extend(book.asks().levels().iter().take(10).copied());
                        black_box(&self.view);
                    } else {
                        black_box((book.bids().best(), book.asks().best()));
                    }
                    applied = true;
                }
                Err(_) => counts.errors += 1,
            }
        }
        if !applied {
            counts.dropped_frames += 1;
        }
        applied
    }

    fn final_books(&self) -> Vec<String> {
        self.symbols
            .iter()
            .zip(&self.books)
            .map(|(s, b)| {
                book_line(
                    s,
                    b.bids().best().map(|l| l.price.to_string()),
                    b.asks().best().map(|l| l.price.to_string()),
                    b.bids().levels().len(),
                    b.asks().levels().len(),
                )
            })
            .collect()
    }
}

fn main() -> std::process::ExitCode {
    let a = match mf_peer_bench::Args::parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut e = Barter {
        symbols: Vec::new(),
        transformer: None,
        books: Vec::new(),
        top10: a.top10,
        view: Vec::with_capacity(20),
    };
    match mf_peer_bench::run("barter-data 0.13.0", &mut e, &a) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spot_sequence_rules_and_book() {
        mf_peer_bench::check_test_pass(&mut Barter {
            symbols: Vec::new(),
            transformer: None,
            books: Vec::new(),
            top10: true,
            view: Vec::new(),
        });
    }
}
