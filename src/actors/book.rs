//! The book actor: one per (exchange, symbol). Owns the [`BookTracker`]; everything it
//! decides comes from the pure tracker, the actor only does the I/O the decisions ask for.

use super::messages::*;
use super::snapshot::{Replies, SnapshotFetcher};
use crate::book::BookView;
use crate::exchange::{self, BookTracker, Outcome, SyncState, TrackerConfig};
use crate::runtime::events::{
    BestBidAsk, BookState, BookUpdate, FeedEvent, FeedStatus, StatusEvent, StreamKind,
};
use crate::runtime::hub::{Entry, Hub, Targets};
use crate::types::{BookDelta, BookSnapshot, Exchange, Level, Meta, SeqIds, Symbol, Timestamp};
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;

pub use super::messages::BookSettings;

/// Binance: how long a book whose connection is up waits for its first diff before it
/// fetches the snapshot anyway. A quiet market gets its book without waiting for a trade,
/// and a symbol Binance does not list (its streams are accepted but stay silent) is found
/// out through the snapshot's `-1121 Invalid symbol.`
const QUIET_SNAPSHOT_AFTER: Duration = Duration::from_secs(2);

/// One book.
pub struct BookActor {
    exchange: Exchange,
    symbol: Symbol,
    tracker: BookTracker,
    connection: ConnectionLink,
    hub: Arc<Hub>,
    targets: Targets,
    /// REST snapshots (Binance).
    fetcher: SnapshotFetcher,
    published_state: Option<BookState>,
    last_top: (Option<Level>, Option<Level>),
    last_received: Timestamp,
    /// Set when the venue does not list the symbol: (code, message). Terminal.
    rejected: Option<(Option<i64>, String)>,
    /// The connection failed for good (terminal); cleared when it comes up again.
    failed: Option<String>,
}

impl BookActor {
    /// A book actor for `symbol` on `exchange`, attached to `connection`.
    pub(crate) fn new(
        exchange: Exchange,
        symbol: Symbol,
        settings: BookSettings,
        connection: ConnectionLink,
        hub: Arc<Hub>,
    ) -> Self {
        let config = TrackerConfig {
            depth: settings.depth,
            checksum_precision: None,
            max_levels: settings.max_levels,
        };
        let seed = symbol
            .as_str()
            .bytes()
            .fold(exchange as u64, |a, b| a.wrapping_mul(31) ^ u64::from(b));
        BookActor {
            tracker: BookTracker::new(exchange, symbol.clone(), config),
            fetcher: SnapshotFetcher::new(exchange, symbol.clone(), settings, seed),
            exchange,
            symbol,
            connection,
            hub,
            targets: Targets::greeting(),
            published_state: None,
            last_top: (None, None),
            last_received: Timestamp::default(),
            rejected: None,
            failed: None,
        }
    }

    fn state(&self) -> BookState {
        if let Some((_, message)) = &self.rejected {
            return BookState::Rejected(message.clone());
        }
        if let Some(reason) = &self.failed {
            return BookState::Failed(reason.clone());
        }
        match self.tracker.state() {
            SyncState::Syncing => BookState::Syncing,
            SyncState::Live => BookState::Live,
            SyncState::Resyncing(r) => BookState::Resyncing(r.into()),
        }
    }

    /// The status event that reports `state`.
    fn status_of(&self, state: BookState) -> FeedStatus {
        match state {
            BookState::Syncing => FeedStatus::Syncing,
            BookState::Live => FeedStatus::Live,
            BookState::Resyncing(reason) => FeedStatus::Resyncing { reason },
            BookState::Rejected(message) => FeedStatus::Rejected {
                code: self.rejected.as_ref().and_then(|r| r.0),
                message,
            },
            BookState::Failed(reason) => FeedStatus::Failed { reason },
        }
    }

    /// Refreshes the cached feeds; a feed that appeared since the last refresh is sent the
    /// book's current state first (before any later change reaches it).
    fn refresh(&mut self) {
        self.targets
            .refresh(&self.hub, self.exchange, Some(&self.symbol));
        let fresh = self.targets.take_fresh();
        if !fresh.is_empty() {
            self.greet(&fresh);
        }
    }

    /// Sends new feeds the state last published (a later change follows as usual) and,
    /// when live, the current view, full snapshot and best bid/ask they asked for.
    fn greet(&self, feeds: &[Arc<Entry>]) {
        let state = self.published_state.clone().unwrap_or_else(|| self.state());
        let live = state == BookState::Live && matches!(self.tracker.state(), SyncState::Live);
        let status = FeedEvent::Status(Arc::new(StatusEvent {
            exchange: self.exchange,
            symbol: Some(self.symbol.clone()),
            status: self.status_of(state.clone()),
            at: Timestamp::now(),
        }));
        let (ex, sym) = (self.exchange, Some(&self.symbol));
        for e in feeds {
            tracing::debug!(exchange = %self.exchange, symbol = %self.symbol, feed = e.id, %state, "greeting a new feed");
            if e.wants(ex, sym, StreamKind::Status) {
                e.deliver(status.clone());
            }
            if !live {
                continue;
            }
            if e.wants(ex, sym, StreamKind::Book) {
                e.deliver(FeedEvent::Book(Arc::new(self.view(e.depth, state.clone()))));
            }
            if e.wants(ex, sym, StreamKind::Deltas) {
                e.deliver(FeedEvent::Snapshot(Arc::new(self.full_snapshot())));
            }
            if e.wants(ex, sym, StreamKind::BestBidAsk) {
                e.deliver(FeedEvent::BestBidAsk(Arc::new(self.best_bid_ask())));
            }
        }
    }

    fn view(&self, depth: usize, state: BookState) -> BookUpdate {
        BookUpdate {
            exchange: self.exchange,
            symbol: self.symbol.clone(),
            view: self.tracker.book().top(depth),
            last_update_id: self.tracker.last_update_id(),
            state,
            received_at: self.last_received,
            published_at: Timestamp::now(),
        }
    }

    fn best_bid_ask(&self) -> BestBidAsk {
        BestBidAsk {
            exchange: self.exchange,
            symbol: self.symbol.clone(),
            bid: self.tracker.book().best_bid(),
            ask: self.tracker.book().best_ask(),
            last_update_id: self.tracker.last_update_id(),
            received_at: self.last_received,
        }
    }

    fn status(&mut self, status: FeedStatus) {
        self.refresh();
        self.targets
            .send_status(&self.hub, self.exchange, Some(&self.symbol), status);
    }

    fn publish_state_change(&mut self) {
        let state = self.state();
        if self.published_state.as_ref() == Some(&state) {
            return;
        }
        // Feeds new since the last refresh get the state published before this change.
        self.refresh();
        self.published_state = Some(state.clone());
        let status = self.status_of(state);
        tracing::debug!(exchange = %self.exchange, symbol = %self.symbol, ?status, "book state");
        self.status(status);
    }

    /// Publishes the book after it changed.
    fn publish_book(&mut self, delta: Option<BookDelta>, snapshot: bool) {
        self.refresh();
        let t = &self.targets;
        if !t.deltas.is_empty() {
            let event = if snapshot {
                Some(FeedEvent::Snapshot(Arc::new(self.full_snapshot())))
            } else {
                delta.map(|d| FeedEvent::Delta(Arc::new(d)))
            };
            if let Some(event) = event {
                for e in &t.deltas {
                    e.deliver(event.clone());
                }
            }
        }
        let state = self.state();
        if !t.book.is_empty() {
            let max_depth = t.book.iter().map(|e| e.depth).max().unwrap_or(10);
            let full = Arc::new(self.view(max_depth, state));
            for e in &t.book {
                let update = if e.depth >= max_depth {
                    full.clone()
                } else {
                    let mut u = (*full).clone();
                    u.view.bids.truncate(e.depth);
                    u.view.asks.truncate(e.depth);
                    Arc::new(u)
                };
                e.deliver(FeedEvent::Book(update));
            }
        }
        if !t.bbo.is_empty() {
            let top = (
                self.tracker.book().best_bid(),
                self.tracker.book().best_ask(),
            );
            if top != self.last_top || snapshot {
                self.last_top = top;
                let event = FeedEvent::BestBidAsk(Arc::new(self.best_bid_ask()));
                for e in &t.bbo {
                    e.deliver(event.clone());
                }
            }
        }
    }

    fn full_snapshot(&self) -> BookSnapshot {
        let book = self.tracker.book();
        BookSnapshot {
            meta: Meta {
                exchange: self.exchange,
                symbol: self.symbol.clone(),
                exchange_time: None,
                received_at: self.last_received,
            },
            bids: book.bids().collect(),
            asks: book.asks().collect(),
            seq: SeqIds {
                first_id: None,
                last_id: self.tracker.last_update_id(),
                prev_id: None,
            },
            checksum: None,
        }
    }

    fn act_on(&mut self, outcomes: &[Outcome], delta: Option<BookDelta>, ctx: &mut Context<Self>) {
        let mut delta = delta;
        let mut snapshot_applied = false;
        let mut delta_applied = false;
        for outcome in outcomes {
            match outcome {
                Outcome::Applied { snapshot: true, .. } => snapshot_applied = true,
                Outcome::Applied {
                    snapshot: false, ..
                } => delta_applied = true,
                Outcome::FetchSnapshot => self.fetch_snapshot(ctx),
                Outcome::Resync(reason) => {
                    tracing::warn!(exchange = %self.exchange, symbol = %self.symbol, %reason, "resync");
                    self.publish_state_change();
                    if !self.exchange.spec().resync.is_rest_snapshot() {
                        self.connection.resubscribe(self.symbol.clone());
                    }
                }
                _ => {}
            }
        }
        if matches!(self.tracker.state(), SyncState::Live) && (snapshot_applied || delta_applied) {
            self.publish_state_change();
            if snapshot_applied {
                delta = None;
            }
            self.publish_book(delta, snapshot_applied);
        } else {
            self.publish_state_change();
        }
    }

    /// Runs one step of the pure tracker with a panic contained: a bug (or a frame nobody
    /// foresaw) must not take the arbiter thread, and every book on it, down silently. The
    /// tracker may be half-updated after a panic, so the book is invalidated and resynced like
    /// after any bad message, with the panic message as the `Resyncing` reason.
    fn guarded(&mut self, step: impl FnOnce(&mut BookTracker, &mut Vec<Outcome>)) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(4);
        let tracker = &mut self.tracker;
        let caught =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step(tracker, &mut out)));
        if let Err(payload) = caught {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            tracing::error!(exchange = %self.exchange, symbol = %self.symbol, panic = %what, "book tracker panicked; resyncing");
            out.clear();
            self.tracker.invalidate(
                crate::exchange::ResyncReason::Internal(format!("panic: {what}")),
                &mut out,
            );
        }
        out
    }

    /// The venue does not list the symbol: stop for good and say so once.
    fn reject(&mut self, code: Option<i64>, message: String) {
        if self.rejected.is_some() {
            return;
        }
        tracing::warn!(exchange = %self.exchange, symbol = %self.symbol, %message, "symbol rejected by the venue");
        self.rejected = Some((code, message));
        self.fetcher.forget();
        self.publish_state_change();
    }

    fn fetch_snapshot(&mut self, ctx: &mut Context<Self>) {
        if self.rejected.is_some() {
            return;
        }
        let replies = Replies {
            fetched: ctx.address().recipient(),
            throttled: ctx.address().recipient(),
        };
        self.fetcher.request(replies);
    }
}

impl Actor for BookActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Context<Self>) {
        self.publish_state_change();
    }
}

impl Handler<BookInput> for BookActor {
    type Result = ();

    fn handle(&mut self, msg: BookInput, ctx: &mut Context<Self>) {
        if self.rejected.is_some() {
            return;
        }
        match msg {
            BookInput::Snapshot(s) => {
                self.last_received = s.meta.received_at;
                let out = self.guarded(|t, out| t.on_snapshot(s, out));
                self.act_on(&out, None, ctx);
            }
            BookInput::Delta(d) => {
                self.last_received = d.meta.received_at;
                self.refresh();
                let copy = (!self.targets.deltas.is_empty()).then(|| d.clone());
                let out = self.guarded(|t, out| t.on_delta(d, out));
                self.act_on(&out, copy, ctx);
            }
        }
    }
}

impl Handler<SnapshotFetched> for BookActor {
    type Result = ();

    fn handle(&mut self, msg: SnapshotFetched, ctx: &mut Context<Self>) {
        self.fetcher.answered();
        if self.rejected.is_some() {
            return;
        }
        let result = match msg.result {
            Err(FetchError::Venue(e)) if e.is_unknown_symbol() => {
                self.reject(e.code, e.message);
                self.connection.drop_symbol(self.symbol.clone());
                return;
            }
            other => other.map_err(|e| e.to_string()),
        };
        let parsed = result.and_then(|body| {
            exchange::parse_snapshot(self.exchange, &body, &self.symbol, msg.received_at)
                .map_err(|e| e.to_string())
        });
        match parsed {
            Ok(snap) => {
                self.last_received = msg.received_at;
                let out = self.guarded(|t, out| t.on_snapshot(snap, out));
                // A snapshot the book refused (or one too old to bridge the buffer) is a
                // failed fetch too: the refetch it asks for backs off like any other retry
                // instead of hammering the venue until its weight budget runs dry.
                if matches!(self.tracker.state(), SyncState::Live) {
                    self.fetcher.succeeded();
                } else {
                    self.fetcher.failed();
                }
                self.act_on(&out, None, ctx);
            }
            Err(reason) => {
                self.fetcher.failed();
                tracing::warn!(exchange = %self.exchange, symbol = %self.symbol, %reason, "snapshot failed");
                self.status(FeedStatus::SnapshotFailed { reason });
                self.fetch_snapshot(ctx);
            }
        }
    }
}

impl Handler<ConnectionChange> for BookActor {
    type Result = ();

    fn handle(&mut self, msg: ConnectionChange, ctx: &mut Context<Self>) {
        if self.rejected.is_some() {
            return;
        }
        match msg {
            ConnectionChange::Down { reason, terminal } => {
                self.failed = terminal.then(|| reason.clone());
                self.tracker
                    .reset(crate::exchange::ResyncReason::Disconnected(reason));
                self.fetcher.forget();
                self.publish_state_change();
            }
            ConnectionChange::Up => {
                if self.failed.take().is_some() {
                    self.publish_state_change();
                }
                if self.exchange.spec().resync.is_rest_snapshot() {
                    ctx.run_later(QUIET_SNAPSHOT_AFTER, |act, ctx| {
                        // Still nothing: no diff arrived, so no fetch was asked for.
                        if !matches!(act.tracker.state(), SyncState::Live) {
                            act.fetch_snapshot(ctx);
                        }
                    });
                }
            }
        }
    }
}

impl Handler<SetPrecision> for BookActor {
    type Result = ();

    fn handle(&mut self, msg: SetPrecision, _ctx: &mut Context<Self>) {
        self.tracker.set_checksum_precision(msg.price, msg.qty);
    }
}

impl Handler<QueryBook> for BookActor {
    type Result = BookQuery;

    fn handle(&mut self, msg: QueryBook, _ctx: &mut Context<Self>) -> BookQuery {
        let state = self.state();
        let view = if state == BookState::Live {
            self.tracker.book().top(msg.depth)
        } else {
            BookView::default()
        };
        BookQuery {
            exchange: self.exchange,
            symbol: self.symbol.clone(),
            view,
            state,
            last_update_id: self.tracker.last_update_id(),
        }
    }
}

impl Handler<SnapshotThrottled> for BookActor {
    type Result = ();

    fn handle(&mut self, msg: SnapshotThrottled, _ctx: &mut Context<Self>) {
        tracing::info!(exchange = %self.exchange, symbol = %self.symbol, retry_in = ?msg.retry_in, "snapshot waits for the REST weight budget");
        self.status(FeedStatus::Throttled {
            retry_in: msg.retry_in,
        });
    }
}

impl Handler<Reject> for BookActor {
    type Result = ();

    fn handle(&mut self, msg: Reject, _ctx: &mut Context<Self>) {
        self.reject(msg.code, msg.message);
    }
}

impl Handler<Stop> for BookActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl Handler<NewFeeds> for BookActor {
    type Result = ();

    fn handle(&mut self, _: NewFeeds, _ctx: &mut Context<Self>) {
        self.refresh();
    }
}
