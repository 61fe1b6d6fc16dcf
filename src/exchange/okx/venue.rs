//! OKX as the registry sees it: its [`SPEC`], the connection plan and the sequencer
//! contract (`src/exchange/registry.rs` lists the items every venue exports).

use super::subscription::{self, book_channel, requests, BOOK_DEPTHS};
use super::{checksum, checksum_memo, OkxSync};
use crate::exchange::session::{ConnectPlan, Endpoint, Interest, PlanError};
use crate::exchange::spec::{ChecksumSpec, DepthMeaning, DepthSpec, Depths, Resync, VenueSpec};
use crate::exchange::{Decision, ParseError, Sequence, SnapshotStep};
use crate::types::{BookDelta, BookSnapshot, SeqIds, Symbol, SymbolStyle, Timestamp};
use std::time::Duration;

/// OKX v5 public (spot, perpetual swaps, dated futures on one endpoint).
pub const SPEC: VenueSpec = VenueSpec {
    name: "okx",
    aliases: &["okex"],
    hosts: &[
        "ws.okx.com",
        "wsaws.okx.com",
        "wspap.okx.com",
        "wseea.okx.com",
        "wseeapap.okx.com",
    ],
    ws_url: subscription::WS_PUBLIC,
    rest_url: Some(subscription::REST),
    // "< 30" 50/400-level book channels per connection: more books open more connections.
    stream_cap: Some(29),
    streams_per_book: 1,
    // Trade channels do not count against the book-channel limit.
    streams_per_trade: 0,
    book_route: "",
    trade_route: "",
    // OKX counts 480 subscribe/unsubscribe requests per hour per connection; requests are
    // batched (many args each), and bursts stay small.
    send_limit: 3,
    // "Connection limit: 3 requests per second (based on IP)".
    connect_limit: Some(3),
    // "Set a timer of N < 30 s; send `ping` when nothing came for N seconds".
    keepalive: Some(Duration::from_secs(25)),
    // OKX closes a connection that has nothing pushed for 30 s.
    idle_timeout: Duration::from_secs(30),
    resync: Resync::RestSnapshot {
        weight: rest_weight,
        // OKX allows 40 requests per 2 s per IP on `GET /api/v5/market/books`; a minute's
        // budget of 40 cannot exceed that even if spent in one burst.
        budget_per_minute: 40,
        // "40 requests per 2 seconds": a 429 (`50011`, no `Retry-After`) holds that long.
        throttle_window: Duration::from_secs(2),
    },
    depth: DepthSpec {
        meaning: DepthMeaning::Window,
        allowed: Depths::OneOf(&BOOK_DEPTHS),
        default: 400,
    },
    checksum: Some(ChecksumSpec {
        compute: checksum,
        compute_memo: checksum_memo,
        // `0` (absent) on every frame since 2026-06-23.
        required: false,
    }),
    symbol: SymbolStyle::Instrument('-'),
};

/// Every OKX REST snapshot counts as one request.
fn rest_weight(_depth: u32) -> u32 {
    1
}

fn book_args(books: &[Symbol], depth: u32) -> Result<Vec<String>, PlanError> {
    let channel = book_channel(depth).ok_or(PlanError::InvalidDepth(depth))?;
    Ok(books
        .iter()
        .map(|s| subscription::arg(channel, s))
        .collect())
}

fn trade_args(trades: &[Symbol]) -> Vec<String> {
    trades
        .iter()
        .map(|s| subscription::arg("trades", s))
        .collect()
}

/// One `subscribe` naming every book and trade channel (more only past 64 KB).
pub fn connect_plan(
    endpoint: &Endpoint,
    interest: &Interest,
    next_id: &mut u64,
) -> Result<ConnectPlan, PlanError> {
    let mut args = if interest.books.is_empty() {
        Vec::new()
    } else {
        book_args(&interest.books, interest.book_depth)?
    };
    args.extend(trade_args(&interest.trades));
    Ok(ConnectPlan {
        url: endpoint.ws.clone(),
        messages: requests("subscribe", &args, next_id),
    })
}

/// The same messages as a connection plan.
pub fn subscribe_more(added: &Interest, next_id: &mut u64) -> Result<Vec<String>, PlanError> {
    crate::exchange::session::plan_messages(connect_plan, added, next_id)
}

/// OKX resyncs a book over REST (`GET /api/v5/market/books`) while its stream goes on, the
/// buffered updates bridged onto the snapshot by `seqId`: no messages, and none of the 480
/// subscribe requests an hour spent.
pub fn resubscribe_book(_symbol: &Symbol, _depth: u32, _next_id: &mut u64) -> Vec<String> {
    Vec::new()
}

/// OKX refused the subscription in the first place (`60018`): nothing to end.
pub fn drop_symbol(_symbol: &Symbol, _next_id: &mut u64) -> Vec<String> {
    Vec::new()
}

/// Unsubscribes every book and trade channel.
pub fn unsubscribe_all(interest: &Interest, next_id: &mut u64) -> Vec<String> {
    unsubscribe(interest, next_id)
}

/// `unsubscribe` of exactly `gone`'s channels.
pub fn unsubscribe(gone: &Interest, next_id: &mut u64) -> Vec<String> {
    let mut args = book_args(&gone.books, gone.book_depth).unwrap_or_default();
    args.extend(trade_args(&gone.trades));
    requests("unsubscribe", &args, next_id)
}

/// The literal text `ping`.
pub fn ping(_next_id: &mut u64) -> Option<String> {
    Some(subscription::PING.to_owned())
}

/// `GET /api/v5/market/books?instId=..&sz=..&source=0` (at most 400 levels).
pub fn snapshot_url(rest: &str, symbol: &Symbol, depth: u32) -> Option<String> {
    Some(format!(
        "{}/api/v5/market/books?instId={}&sz={}&source=0",
        rest.trim_end_matches('/'),
        symbol.to_venue(crate::types::Exchange::Okx),
        depth.clamp(1, 400)
    ))
}

/// The REST snapshot body (`{"code":"0","data":[{asks, bids, ts, seqId}]}`).
pub fn parse_snapshot(
    body: &str,
    symbol: &Symbol,
    received_at: Timestamp,
) -> Result<BookSnapshot, ParseError> {
    super::parse_book_snapshot(body, symbol, received_at)
}

/// The OKX sequencer.
pub type Sequencer = OkxSync;

/// An OKX sequencer waiting for a snapshot.
pub fn sequencer() -> Sequencer {
    OkxSync::new()
}

impl Sequence for OkxSync {
    fn decide(&mut self, seq: &SeqIds) -> Decision {
        OkxSync::decide(self, seq)
    }

    fn on_snapshot(&mut self, last_id: Option<u64>) -> SnapshotStep {
        OkxSync::on_snapshot(self, last_id)
    }

    fn buffer(&mut self, delta: BookDelta) {
        OkxSync::buffer(self, delta)
    }

    fn mark_fetch_requested(&mut self) {
        OkxSync::mark_fetch_requested(self)
    }

    fn reset(&mut self) {
        OkxSync::reset(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn plan_resubscribe_ping_and_snapshot_url() {
        let interest = Interest {
            books: vec![sym("BTC-USDT"), sym("BTC-USDT-SWAP")],
            trades: vec![sym("BTC-USD-220527")],
            book_depth: 400,
        };
        let endpoint = Endpoint::production(crate::types::Exchange::Okx);
        let mut id = 0;
        let plan = connect_plan(&endpoint, &interest, &mut id).unwrap();
        assert_eq!(plan.url, "wss://ws.okx.com:8443/ws/v5/public");
        assert_eq!(
            plan.messages,
            vec![
                r#"{"id":"1","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"books","instId":"BTC-USDT-SWAP"},{"channel":"trades","instId":"BTC-USD-220527"}]}"#
            ]
        );
        let five = Interest {
            book_depth: 5,
            ..interest.clone()
        };
        assert!(connect_plan(&endpoint, &five, &mut id).unwrap().messages[0]
            .contains(r#""channel":"books5""#));
        let bad = Interest {
            book_depth: 50,
            ..interest
        };
        assert_eq!(
            connect_plan(&endpoint, &bad, &mut id),
            Err(PlanError::InvalidDepth(50))
        );
        assert!(resubscribe_book(&sym("BTC-USDT"), 400, &mut id).is_empty());
        assert_eq!(ping(&mut id).as_deref(), Some("ping"));
        assert_eq!(
            snapshot_url("https://www.okx.com", &sym("BTC-USDT-SWAP"), 400).as_deref(),
            Some("https://www.okx.com/api/v5/market/books?instId=BTC-USDT-SWAP&sz=400&source=0")
        );
        assert_eq!(
            SPEC.resync.rest_weight().map(|(w, b)| (w(400), b)),
            Some((1, 40))
        );
        assert!(SPEC.resync.is_rest_snapshot());
    }
}
