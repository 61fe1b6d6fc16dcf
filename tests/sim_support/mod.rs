//! Helpers shared by the `sim_*` integration tests: a WebSocket client on `awc`, and a book
//! tracker driven by the crate's own parsers.
#![allow(dead_code)]

use awc::error::WsProtocolError;
use awc::ws::{Frame, Message as WsMessage};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use marketfeed::exchange::{
    parse, BookTracker, Message, Outcome, ParseError, SyncState, TrackerConfig,
};
use marketfeed::prelude::*;
use marketfeed::sim::TruthBook;
use std::time::Duration;

/// What the `awc` client is.
pub trait Ws:
    Stream<Item = Result<Frame, WsProtocolError>> + Sink<WsMessage, Error = WsProtocolError> + Unpin
{
}

impl<T> Ws for T where
    T: Stream<Item = Result<Frame, WsProtocolError>>
        + Sink<WsMessage, Error = WsProtocolError>
        + Unpin
{
}

/// Long enough for anything on loopback.
pub const WAIT: Duration = Duration::from_secs(5);

pub fn btc() -> Symbol {
    Symbol::parse("BTC-USDT").unwrap()
}

pub async fn connect(url: &str) -> impl Ws {
    let (_, ws) = awc::Client::new()
        .ws(url)
        .max_frame_size(1 << 22)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    ws
}

/// One thing from the socket.
#[derive(Debug)]
pub enum Got {
    Text(String),
    Ping,
    Closed,
    Timeout,
}

/// The next text, ping or close (pongs and binary frames skipped). Pings are not answered.
pub async fn next(ws: &mut impl Ws, wait: Duration) -> Got {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Err(_) => return Got::Timeout,
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Frame::Close(_)))) => return Got::Closed,
            Ok(Some(Ok(Frame::Text(b)))) => {
                return Got::Text(String::from_utf8(b.to_vec()).expect("utf-8"))
            }
            Ok(Some(Ok(Frame::Ping(_)))) => return Got::Ping,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// The next text frame, answering pings; panics on close or timeout.
pub async fn text(ws: &mut impl Ws) -> String {
    loop {
        match next(ws, WAIT).await {
            Got::Text(t) => return t,
            Got::Ping => ws.send(WsMessage::Pong(Default::default())).await.unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

pub async fn send(ws: &mut impl Ws, text: &str) {
    ws.send(WsMessage::Text(text.to_string().into()))
        .await
        .unwrap();
}

/// True once the socket closes within `wait` (other frames are skipped).
pub async fn closes(ws: &mut impl Ws, wait: Duration) -> bool {
    let end = tokio::time::Instant::now() + wait;
    loop {
        let left = end.saturating_duration_since(tokio::time::Instant::now());
        match next(ws, left).await {
            Got::Closed => return true,
            Got::Timeout => return false,
            _ => {}
        }
    }
}

pub fn now() -> Timestamp {
    Timestamp::now()
}

/// Parses a frame with the crate's own parser.
pub fn parse_frame(exchange: Exchange, frame: &str) -> Result<Vec<Message>, ParseError> {
    parse(exchange, frame, now())
}

/// A tracked book and everything it said.
pub struct Tracked {
    pub tracker: BookTracker,
    pub outcomes: Vec<Outcome>,
}

impl Tracked {
    pub fn new(exchange: Exchange, config: TrackerConfig) -> Self {
        Tracked {
            tracker: BookTracker::new(exchange, btc(), config),
            outcomes: Vec::new(),
        }
    }

    /// Feeds one market event; returns the outcomes it produced.
    pub fn feed(&mut self, event: MarketEvent) -> Vec<Outcome> {
        let mut out = Vec::new();
        match event {
            MarketEvent::Snapshot(s) => self.tracker.on_snapshot(s, &mut out),
            MarketEvent::Delta(d) => self.tracker.on_delta(d, &mut out),
            _ => {}
        }
        self.outcomes.extend(out.iter().cloned());
        out
    }

    pub fn live(&self) -> bool {
        matches!(self.tracker.state(), SyncState::Live)
    }

    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(o)).count()
    }

    pub fn resyncs(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Resync(_)))
    }

    /// The tracker's book as `(bids, asks)` best first.
    pub fn book(&self) -> TruthBook {
        book_of(self.tracker.book(), self.tracker.last_update_id())
    }
}

pub fn book_of(book: &OrderBook, update_id: Option<u64>) -> TruthBook {
    TruthBook {
        bids: book.bids().map(|l| (l.price, l.qty)).collect(),
        asks: book.asks().map(|l| (l.price, l.qty)).collect(),
        update_id,
    }
}

/// Compares books level by level (decimals compare by value), ignoring `update_id`.
pub fn assert_same_book(ours: &TruthBook, truth: &TruthBook) {
    assert_eq!(ours.bids.len(), truth.bids.len(), "bid levels");
    assert_eq!(ours.asks.len(), truth.asks.len(), "ask levels");
    assert_eq!(ours.bids, truth.bids, "bids");
    assert_eq!(ours.asks, truth.asks, "asks");
}
