//! The book actor: one per (exchange, symbol). Owns the [`BookTracker`]; everything it
//! decides comes from the pure tracker, the actor only does the I/O the decisions ask for.

use super::connection::ConnectionActor;
use super::messages::*;
use crate::backoff::{unit_jitter, Backoff, SplitMix64};
use crate::book::BookView;
use crate::exchange::session::{self, Endpoint};
use crate::exchange::{binance, BookTracker, Outcome, ResyncReason, SyncState, TrackerConfig};
use crate::runtime::events::{BestBidAsk, BookState, BookUpdate, FeedEvent, FeedStatus};
use crate::runtime::hub::{Hub, Targets};
use crate::runtime::rest_budget::RestBudget;
use crate::types::{BookDelta, BookSnapshot, Exchange, Level, Meta, SeqIds, Symbol, Timestamp};
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// Binance: how long a book whose connection is up waits for its first diff before it
/// fetches the snapshot anyway. A quiet market gets its book without waiting for a trade,
/// and a symbol Binance does not list (its streams are accepted but stay silent) is found
/// out through the snapshot's `-1121 Invalid symbol.`
const QUIET_SNAPSHOT_AFTER: Duration = Duration::from_secs(2);

/// Settings a book actor needs.
#[derive(Clone, Debug)]
pub struct BookSettings {
    /// Venue endpoint (REST snapshots for Binance).
    pub endpoint: Endpoint,
    /// Levels kept per side (Kraken: the subscribed depth).
    pub depth: Option<usize>,
    /// Snapshot retry schedule.
    pub backoff: Backoff,
    /// Levels asked for in a REST snapshot (Binance).
    pub snapshot_depth: u32,
    /// The venue's REST weight budget, shared by its books (Binance).
    pub rest_budget: Option<Arc<RestBudget>>,
    /// The TLS client configuration and host overrides.
    pub(crate) transport: crate::net::Transport,
    /// Deadline of one whole REST snapshot request, headers and body (Binance). A venue
    /// that drips the body is cut off, reported as `SnapshotFailed` and asked again.
    pub snapshot_timeout: Duration,
    /// Per-side level cap (`None`: [`crate::exchange::DEFAULT_MAX_LEVELS`]).
    pub max_levels: Option<usize>,
}

/// One book.
pub struct BookActor {
    exchange: Exchange,
    symbol: Symbol,
    tracker: BookTracker,
    settings: BookSettings,
    connection: Addr<ConnectionActor>,
    hub: Arc<Hub>,
    targets: Targets,
    client: Option<awc::Client>,
    fetching: bool,
    fetch_failures: u32,
    published_state: Option<BookState>,
    last_top: (Option<Level>, Option<Level>),
    rng: SplitMix64,
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
        connection: Addr<ConnectionActor>,
        hub: Arc<Hub>,
    ) -> Self {
        let config = TrackerConfig {
            depth: settings.depth,
            kraken_precision: None,
            max_levels: settings.max_levels,
        };
        let seed = symbol
            .as_str()
            .bytes()
            .fold(exchange as u64, |a, b| a.wrapping_mul(31) ^ u64::from(b));
        BookActor {
            tracker: BookTracker::new(exchange, symbol.clone(), config),
            exchange,
            symbol,
            settings,
            connection,
            hub,
            targets: Targets::default(),
            client: None,
            fetching: false,
            fetch_failures: 0,
            published_state: None,
            last_top: (None, None),
            rng: SplitMix64::new(seed),
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
            SyncState::Resyncing(r) => BookState::Resyncing(r.to_string()),
        }
    }

    fn status(&mut self, status: FeedStatus) {
        self.targets
            .send_status(&self.hub, self.exchange, Some(&self.symbol), status);
    }

    fn publish_state_change(&mut self) {
        let state = self.state();
        if self.published_state.as_ref() == Some(&state) {
            return;
        }
        self.published_state = Some(state.clone());
        let status = match state {
            BookState::Syncing => FeedStatus::Syncing,
            BookState::Live => FeedStatus::Live,
            BookState::Resyncing(reason) => FeedStatus::Resyncing { reason },
            BookState::Rejected(message) => FeedStatus::Rejected {
                code: self.rejected.as_ref().and_then(|r| r.0),
                message,
            },
            BookState::Failed(reason) => FeedStatus::Failed { reason },
        };
        tracing::debug!(exchange = %self.exchange, symbol = %self.symbol, ?status, "book state");
        self.status(status);
    }

    /// Publishes the book after it changed.
    fn publish_book(&mut self, delta: Option<BookDelta>, snapshot: bool) {
        self.targets
            .refresh(&self.hub, self.exchange, Some(&self.symbol));
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
            let full = Arc::new(BookUpdate {
                exchange: self.exchange,
                symbol: self.symbol.clone(),
                view: self.tracker.book().top(max_depth),
                last_update_id: self.tracker.last_update_id(),
                state: state.clone(),
                received_at: self.last_received,
                published_at: Timestamp::now(),
            });
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
                let event = FeedEvent::BestBidAsk(Arc::new(BestBidAsk {
                    exchange: self.exchange,
                    symbol: self.symbol.clone(),
                    bid: top.0,
                    ask: top.1,
                    last_update_id: self.tracker.last_update_id(),
                    received_at: self.last_received,
                }));
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
                    if !matches!(self.exchange, Exchange::Binance | Exchange::BinanceUsdM) {
                        self.connection.do_send(Resubscribe {
                            symbol: self.symbol.clone(),
                        });
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
            self.tracker
                .invalidate(ResyncReason::Internal(format!("panic: {what}")), &mut out);
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
        self.fetching = false;
        self.publish_state_change();
    }

    fn fetch_snapshot(&mut self, ctx: &mut Context<Self>) {
        if self.fetching || self.rejected.is_some() {
            return;
        }
        let depth = self.settings.snapshot_depth;
        let Some(url) =
            session::snapshot_url(self.exchange, &self.settings.endpoint, &self.symbol, depth)
        else {
            return;
        };
        let weight = session::snapshot_weight(self.exchange, depth);
        let timeout = self.settings.snapshot_timeout;
        let budget = self.settings.rest_budget.clone();
        self.fetching = true;
        let delay = if self.fetch_failures == 0 {
            Duration::ZERO
        } else {
            self.settings
                .backoff
                .delay(self.fetch_failures, unit_jitter(self.rng.next_u64()))
        };
        let client = self
            .client
            .get_or_insert_with(|| self.settings.transport.client(Duration::from_secs(10)))
            .clone();
        let addr = ctx.address();
        tracing::debug!(exchange = %self.exchange, symbol = %self.symbol, %url, ?delay, "fetching snapshot");
        let span =
            tracing::info_span!("snapshot", exchange = %self.exchange, symbol = %self.symbol);
        actix_rt::spawn(tracing::Instrument::instrument(
            async move {
                if !delay.is_zero() {
                    actix_rt::time::sleep(delay).await;
                }
                // Wait for the venue's weight budget (shared by its books: the weight is
                // counted per IP) rather than risk a 429 and then a ban.
                let mut sent_ms = Timestamp::now().as_unix_millis();
                if let Some(b) = &budget {
                    while let Err(until) = b.acquire(weight, sent_ms) {
                        let retry_in = Duration::from_millis(until.saturating_sub(sent_ms));
                        addr.do_send(SnapshotThrottled { retry_in });
                        actix_rt::time::sleep(retry_in).await;
                        sent_ms = Timestamp::now().as_unix_millis();
                    }
                }
                let request = async {
                    let transport = |e: String| FetchError::Transport(e);
                    let mut resp = client
                        .get(&url)
                        .send()
                        .await
                        .map_err(|e| transport(e.to_string()))?;
                    if let Some(b) = &budget {
                        take_in_limits(b, &resp, sent_ms);
                    }
                    let body = resp
                        .body()
                        .limit(32 * 1024 * 1024)
                        .await
                        .map_err(|e| transport(e.to_string()))?;
                    let text =
                        String::from_utf8(body.to_vec()).map_err(|e| transport(e.to_string()))?;
                    if resp.status().is_success() {
                        Ok(text)
                    } else {
                        Err(FetchError::Venue(binance::RestError::parse(
                            resp.status().as_u16(),
                            &text,
                        )))
                    }
                };
                let result = actix_rt::time::timeout(timeout, request)
                    .await
                    .unwrap_or_else(|_| {
                        Err(FetchError::Transport(format!(
                            "snapshot request timed out after {timeout:?}"
                        )))
                    });
                addr.do_send(SnapshotFetched {
                    result,
                    received_at: Timestamp::now(),
                });
            },
            span,
        ));
    }
}

/// Feeds a REST answer's weight headers to the venue's budget: the server's count of the
/// minute, and the `Retry-After` of a 429 (slow down) or 418 (IP banned).
fn take_in_limits(budget: &RestBudget, resp: &awc::ClientResponse<impl Sized>, sent_ms: u64) {
    let now_ms = Timestamp::now().as_unix_millis();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(used) = header("X-MBX-USED-WEIGHT-1M") {
        budget.observe_used(used, sent_ms, now_ms);
    }
    // Without a Retry-After, hold for a minute (the weight window).
    let until = now_ms + header("Retry-After").map_or(60_000, |s| s.saturating_mul(1_000));
    match resp.status().as_u16() {
        429 => budget.on_too_many_requests(until),
        418 => budget.on_banned(until),
        _ => {}
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
                self.targets
                    .refresh(&self.hub, self.exchange, Some(&self.symbol));
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
        self.fetching = false;
        if self.rejected.is_some() {
            return;
        }
        let result = match msg.result {
            Err(FetchError::Venue(e)) if e.is_unknown_symbol() => {
                self.reject(e.code, e.message);
                self.connection.do_send(DropSymbol {
                    symbol: self.symbol.clone(),
                });
                return;
            }
            other => other.map_err(|e| e.to_string()),
        };
        let wire = self.symbol.to_venue(self.exchange);
        let parsed = result.and_then(|body| {
            binance::parse_depth_snapshot(self.exchange, &wire, &body, msg.received_at)
                .map_err(|e| e.to_string())
        });
        match parsed {
            Ok(snap) => {
                self.last_received = msg.received_at;
                let out = self.guarded(|t, out| t.on_snapshot(snap, out));
                // A snapshot the book refused (or one too old to bridge the buffer) is a
                // failed fetch too: the refetch it asks for backs off like any other retry
                // instead of hammering the venue until its weight budget runs dry.
                self.fetch_failures = if matches!(self.tracker.state(), SyncState::Live) {
                    0
                } else {
                    self.fetch_failures.saturating_add(1)
                };
                self.act_on(&out, None, ctx);
            }
            Err(reason) => {
                self.fetch_failures = self.fetch_failures.saturating_add(1);
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
                self.tracker.reset(ResyncReason::Disconnected(reason));
                self.fetching = false;
                self.publish_state_change();
            }
            ConnectionChange::Up => {
                if self.failed.take().is_some() {
                    self.publish_state_change();
                }
                if matches!(self.exchange, Exchange::Binance | Exchange::BinanceUsdM) {
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
        self.tracker.set_kraken_precision(msg.price, msg.qty);
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
