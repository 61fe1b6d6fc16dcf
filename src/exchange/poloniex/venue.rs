//! Poloniex spot as the registry sees it: its [`SPEC`], the connection plan and the
//! sequencer contract (`src/exchange/registry.rs` lists the items every venue exports).

use super::subscription::{self, subscribe, Channel};
use super::{PoloniexSync, BOOK_DEPTH};
use crate::exchange::session::{ConnectPlan, Endpoint, Interest, PlanError};
use crate::exchange::spec::{DepthMeaning, DepthSpec, Depths, Resync, VenueSpec};
use crate::exchange::{Decision, Sequence, SnapshotStep};
use crate::types::{SeqIds, Symbol, SymbolStyle};
use std::time::Duration;

/// Poloniex spot (WebSocket v3).
pub const SPEC: VenueSpec = VenueSpec {
    name: "poloniex",
    aliases: &[],
    hosts: &["ws.poloniex.com"],
    ws_url: subscription::PUBLIC_WS,
    rest_url: None,
    stream_cap: None,
    streams_per_book: 0,
    streams_per_trade: 0,
    book_route: "",
    trade_route: "",
    // Poloniex allows 500 requests per second.
    send_limit: 400,
    connect_limit: None,
    keepalive: Some(Duration::from_secs(15)),
    // Poloniex answers our 15 s pings.
    idle_timeout: Duration::from_secs(40),
    resync: Resync::Resubscribe,
    depth: DepthSpec {
        meaning: DepthMeaning::Window,
        allowed: Depths::OneOf(&[BOOK_DEPTH as u32]),
        default: BOOK_DEPTH as u32,
    },
    checksum: None,
    symbol: SymbolStyle::Separated('_'),
};

/// One symbol per request: Poloniex refuses a whole request when one symbol in it is
/// unknown, so a bad symbol must not take the good ones down with it. (500 requests per
/// second per connection leaves ample room.)
pub fn connect_plan(
    endpoint: &Endpoint,
    interest: &Interest,
    _next_id: &mut u64,
) -> Result<ConnectPlan, PlanError> {
    let books = interest.books.iter().map(|s| (Channel::BookLv2, s));
    let trades = interest.trades.iter().map(|s| (Channel::Trades, s));
    let messages = books
        .chain(trades)
        .map(|(channel, s)| subscribe(&[channel], std::slice::from_ref(s)))
        .collect();
    Ok(ConnectPlan {
        url: endpoint.ws.clone(),
        messages,
    })
}

/// The same messages as a connection plan.
pub fn subscribe_more(added: &Interest, next_id: &mut u64) -> Result<Vec<String>, PlanError> {
    crate::exchange::session::plan_messages(connect_plan, added, next_id)
}

/// Unsubscribe, then subscribe `book_lv2`: a fresh snapshot follows.
pub fn resubscribe_book(symbol: &Symbol, _depth: u32, _next_id: &mut u64) -> Vec<String> {
    let one = std::slice::from_ref(symbol);
    vec![
        subscription::unsubscribe(&[Channel::BookLv2], one),
        subscribe(&[Channel::BookLv2], one),
    ]
}

/// Poloniex refused the subscription in the first place: nothing to end.
pub fn drop_symbol(_symbol: &Symbol, _next_id: &mut u64) -> Vec<String> {
    Vec::new()
}

/// `unsubscribe_all`.
pub fn unsubscribe_all(_interest: &Interest, next_id: &mut u64) -> Vec<String> {
    *next_id += 1;
    vec![subscription::unsubscribe_all()]
}

/// One `unsubscribe` per released stream (`unsubscribe_all` would end the others too).
pub fn unsubscribe(gone: &Interest, next_id: &mut u64) -> Vec<String> {
    *next_id += 1;
    let books = gone.books.iter().map(|s| (Channel::BookLv2, s));
    let trades = gone.trades.iter().map(|s| (Channel::Trades, s));
    books
        .chain(trades)
        .map(|(channel, s)| subscription::unsubscribe(&[channel], std::slice::from_ref(s)))
        .collect()
}

/// `{"event":"ping"}`.
pub fn ping(_next_id: &mut u64) -> Option<String> {
    Some(subscription::ping())
}

/// Poloniex snapshots in-stream.
pub fn snapshot_url(_rest: &str, _symbol: &Symbol, _depth: u32) -> Option<String> {
    None
}

/// Poloniex snapshots in-stream: there is no REST snapshot body to parse.
pub fn parse_snapshot(
    body: &str,
    _symbol: &Symbol,
    _received_at: crate::types::Timestamp,
) -> Result<crate::types::BookSnapshot, crate::exchange::ParseError> {
    Err(crate::exchange::ParseError::new(
        crate::types::Exchange::Poloniex,
        crate::exchange::ParseErrorKind::UnknownMessage,
        body,
    ))
}
/// The Poloniex sequencer.
pub type Sequencer = PoloniexSync;

/// A Poloniex sequencer waiting for a snapshot.
pub fn sequencer() -> Sequencer {
    PoloniexSync::new()
}

impl Sequence for PoloniexSync {
    fn decide(&mut self, seq: &SeqIds) -> Decision {
        PoloniexSync::decide(self, seq)
    }

    fn on_snapshot(&mut self, last_id: Option<u64>) -> SnapshotStep {
        PoloniexSync::on_snapshot(self, last_id.unwrap_or(0));
        SnapshotStep::Apply {
            replay: Vec::new(),
            dropped: 0,
        }
    }

    fn reset(&mut self) {
        PoloniexSync::reset(self)
    }
}
