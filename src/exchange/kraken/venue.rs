//! Kraken spot as the registry sees it: its [`SPEC`], the connection plan and the sequencer
//! contract (`src/exchange/registry.rs` lists the items every venue exports).

use super::subscription::{self, BOOK_DEPTHS};
use super::{checksum, checksum_memo, KrakenSync};
use crate::exchange::session::{ConnectPlan, Endpoint, Interest, PlanError};
use crate::exchange::spec::{ChecksumSpec, DepthMeaning, DepthSpec, Depths, Resync, VenueSpec};
use crate::exchange::{Decision, Sequence, SnapshotStep};
use crate::types::{SeqIds, Symbol, SymbolStyle};
use std::time::Duration;

/// Kraken spot (WebSocket v2; v1 for recorded data).
pub const SPEC: VenueSpec = VenueSpec {
    name: "kraken",
    aliases: &[],
    hosts: &["ws.kraken.com", "beta-ws.kraken.com"],
    ws_url: subscription::WS_V2,
    rest_url: None,
    stream_cap: None,
    streams_per_book: 0,
    streams_per_trade: 0,
    book_route: "",
    trade_route: "",
    // Kraken's limit is not published (`Exceeded msg rate`), so bursts are kept small.
    send_limit: 20,
    connect_limit: None,
    keepalive: Some(Duration::from_secs(20)),
    // Kraken sends heartbeats every second.
    idle_timeout: Duration::from_secs(15),
    resync: Resync::Resubscribe,
    depth: DepthSpec {
        meaning: DepthMeaning::Window,
        allowed: Depths::OneOf(&BOOK_DEPTHS),
        default: 10,
    },
    checksum: Some(ChecksumSpec {
        compute: checksum,
        compute_memo: checksum_memo,
        required: true,
    }),
    symbol: SymbolStyle::Separated('/'),
};

/// Subscribes instruments first (the book checksum needs their precisions), then books,
/// then trades.
pub fn connect_plan(
    endpoint: &Endpoint,
    interest: &Interest,
    next_id: &mut u64,
) -> Result<ConnectPlan, PlanError> {
    let mut id = || {
        *next_id += 1;
        *next_id
    };
    let mut messages = Vec::new();
    if !interest.books.is_empty() {
        messages.push(subscription::subscribe_instrument(id()));
        messages.push(
            subscription::subscribe_book(&interest.books, interest.book_depth, id())
                .map_err(|_| PlanError::InvalidDepth(interest.book_depth))?,
        );
    }
    if !interest.trades.is_empty() {
        messages.push(subscription::subscribe_trades(&interest.trades, id()));
    }
    Ok(ConnectPlan {
        url: endpoint.ws.clone(),
        messages,
    })
}

/// The same messages as a connection plan.
pub fn subscribe_more(added: &Interest, next_id: &mut u64) -> Result<Vec<String>, PlanError> {
    crate::exchange::session::plan_messages(connect_plan, added, next_id)
}

/// Unsubscribe, then subscribe the book: Kraken answers with a fresh snapshot.
pub fn resubscribe_book(symbol: &Symbol, depth: u32, next_id: &mut u64) -> Vec<String> {
    let one = std::slice::from_ref(symbol);
    *next_id += 2;
    let un = subscription::unsubscribe_book(one, depth, *next_id - 1);
    let sub = subscription::subscribe_book(one, depth, *next_id);
    un.into_iter().chain(sub).collect()
}

/// Kraken refused the subscription in the first place: nothing to end.
pub fn drop_symbol(_symbol: &Symbol, _next_id: &mut u64) -> Vec<String> {
    Vec::new()
}

/// Unsubscribes the books.
pub fn unsubscribe_all(interest: &Interest, next_id: &mut u64) -> Vec<String> {
    *next_id += 1;
    if interest.books.is_empty() {
        return Vec::new();
    }
    subscription::unsubscribe_book(&interest.books, interest.book_depth, *next_id)
        .into_iter()
        .collect()
}

/// v2 `unsubscribe` of exactly `gone`'s books (at the subscribed depth) and trade streams.
pub fn unsubscribe(gone: &Interest, next_id: &mut u64) -> Vec<String> {
    let mut messages = Vec::new();
    if !gone.books.is_empty() {
        *next_id += 1;
        messages.extend(subscription::unsubscribe_book(
            &gone.books,
            gone.book_depth,
            *next_id,
        ));
    }
    if !gone.trades.is_empty() {
        *next_id += 1;
        messages.push(subscription::unsubscribe_trades(&gone.trades, *next_id));
    }
    messages
}

/// The v2 `ping` request.
pub fn ping(next_id: &mut u64) -> Option<String> {
    *next_id += 1;
    Some(subscription::ping(*next_id))
}

/// Kraken snapshots in-stream.
pub fn snapshot_url(_rest: &str, _symbol: &Symbol, _depth: u32) -> Option<String> {
    None
}

/// Kraken snapshots in-stream: there is no REST snapshot body to parse.
pub fn parse_snapshot(
    body: &str,
    _symbol: &Symbol,
    _received_at: crate::types::Timestamp,
) -> Result<crate::types::BookSnapshot, crate::exchange::ParseError> {
    Err(crate::exchange::ParseError::new(
        crate::types::Exchange::Kraken,
        crate::exchange::ParseErrorKind::UnknownMessage,
        body,
    ))
}
/// The Kraken sequencer.
pub type Sequencer = KrakenSync;

/// A Kraken sequencer waiting for a snapshot.
pub fn sequencer() -> Sequencer {
    KrakenSync::new()
}

impl Sequence for KrakenSync {
    fn decide(&mut self, _seq: &SeqIds) -> Decision {
        KrakenSync::decide(self)
    }

    fn on_snapshot(&mut self, _last_id: Option<u64>) -> SnapshotStep {
        KrakenSync::on_snapshot(self);
        SnapshotStep::Apply {
            replay: Vec::new(),
            dropped: 0,
        }
    }

    fn reset(&mut self) {
        KrakenSync::reset(self)
    }
}
