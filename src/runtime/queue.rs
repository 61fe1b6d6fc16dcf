//! The bounded, coalescing queue between the engine and one consumer, and the consumer's
//! [`Feed`].
//!
//! A slow consumer never blocks a book: book views and best bid/ask are coalesced per market
//! (latest wins), trades and deltas beyond the capacity are dropped and counted, and the
//! count is delivered as [`FeedEvent::Lost`] before anything else. Status events are kept
//! (up to [`CONTROL_CAPACITY`] events and [`CONTROL_BYTES`]; past that the oldest go). Every
//! part of the queue is bounded in bytes as well as in events ([`FeedEvent::approx_bytes`]),
//! so a consumer that stops reading holds a bounded amount of memory.

use super::events::{FeedEvent, StreamKind};
use crate::types::{Exchange, Symbol};
use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

type Key = (Exchange, Symbol, StreamKind);

#[derive(Default)]
struct State {
    control: VecDeque<FeedEvent>,
    fifo: VecDeque<FeedEvent>,
    latest: HashMap<Key, FeedEvent>,
    dirty: VecDeque<Key>,
    lost_trades: u64,
    lost_deltas: u64,
    total_lost: u64,
    coalesced: u64,
    /// Bytes held by `control`, `fifo` and `latest` ([`FeedEvent::approx_bytes`]).
    control_bytes: usize,
    fifo_bytes: usize,
    latest_bytes: usize,
    closed: bool,
    consumer_gone: bool,
    waker: Option<Waker>,
    /// Threads blocked in `recv_blocking` (the condvar is only signalled when there are some:
    /// a futex wake is a system call).
    blocked: usize,
}

/// Limit of queued status events; past it the oldest go (and are counted as lost).
pub const CONTROL_CAPACITY: usize = 65_536;

/// Limit of the bytes queued status events hold; past it the oldest go (counted as lost).
pub const CONTROL_BYTES: usize = 4 << 20;

/// The shared queue.
pub(crate) struct Queue {
    state: Mutex<State>,
    cond: Condvar,
    capacity: usize,
    max_bytes: usize,
}

impl Queue {
    /// A queue holding at most `capacity` trades/deltas/snapshots and `max_bytes` of them.
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Arc<Queue> {
        Arc::new(Queue {
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data that is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an event (never blocks). Returns false if the consumer is gone.
    pub(crate) fn push(&self, event: FeedEvent) -> bool {
        let mut s = self.lock();
        if s.consumer_gone || s.closed {
            return false;
        }
        let bytes = event.approx_bytes();
        match &event {
            FeedEvent::Book(_) | FeedEvent::BestBidAsk(_) => {
                let Some((exchange, symbol)) = event.market() else {
                    return true;
                };
                let key = (exchange, symbol.clone(), event.kind());
                s.latest_bytes += bytes;
                if let Some(old) = s.latest.insert(key.clone(), event) {
                    s.latest_bytes -= old.approx_bytes();
                    s.coalesced += 1;
                } else {
                    s.dirty.push_back(key);
                }
            }
            FeedEvent::Trade(_) | FeedEvent::Delta(_) | FeedEvent::Snapshot(_) => {
                // An item larger than the whole byte limit still goes into an empty queue,
                // so a big snapshot is never lost for being big alone.
                let over_bytes = !s.fifo.is_empty() && s.fifo_bytes + bytes > self.max_bytes;
                if s.fifo.len() >= self.capacity || over_bytes {
                    if matches!(event, FeedEvent::Trade(_)) {
                        s.lost_trades += 1;
                    } else {
                        s.lost_deltas += 1;
                    }
                    s.total_lost += 1;
                } else {
                    s.fifo_bytes += bytes;
                    s.fifo.push_back(event);
                }
            }
            FeedEvent::Status(_) | FeedEvent::Lost { .. } => {
                while !s.control.is_empty()
                    && (s.control.len() >= CONTROL_CAPACITY
                        || s.control_bytes + bytes > CONTROL_BYTES)
                {
                    if let Some(old) = s.control.pop_front() {
                        s.control_bytes -= old.approx_bytes();
                    }
                    s.total_lost += 1;
                }
                s.control_bytes += bytes;
                s.control.push_back(event);
            }
        }
        let waker = s.waker.take();
        let blocked = s.blocked > 0;
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
        if blocked {
            self.cond.notify_one();
        }
        true
    }

    fn pop_locked(s: &mut State) -> Option<FeedEvent> {
        if s.lost_trades > 0 {
            let count = std::mem::take(&mut s.lost_trades);
            return Some(FeedEvent::Lost {
                kind: StreamKind::Trades,
                count,
            });
        }
        if s.lost_deltas > 0 {
            let count = std::mem::take(&mut s.lost_deltas);
            return Some(FeedEvent::Lost {
                kind: StreamKind::Deltas,
                count,
            });
        }
        if let Some(e) = s.control.pop_front() {
            s.control_bytes -= e.approx_bytes();
            return Some(e);
        }
        if let Some(e) = s.fifo.pop_front() {
            s.fifo_bytes -= e.approx_bytes();
            return Some(e);
        }
        while let Some(key) = s.dirty.pop_front() {
            if let Some(e) = s.latest.remove(&key) {
                s.latest_bytes -= e.approx_bytes();
                return Some(e);
            }
        }
        None
    }

    pub(crate) fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        let waker = s.waker.take();
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
        self.cond.notify_all();
    }

    pub(crate) fn consumer_gone(&self) -> bool {
        self.lock().consumer_gone
    }

    fn set_consumer_gone(&self) {
        let mut s = self.lock();
        s.consumer_gone = true;
        s.control.clear();
        s.fifo.clear();
        s.latest.clear();
        s.dirty.clear();
        s.control_bytes = 0;
        s.fifo_bytes = 0;
        s.latest_bytes = 0;
    }

    fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Option<FeedEvent>> {
        let mut s = self.lock();
        if let Some(e) = Self::pop_locked(&mut s) {
            return Poll::Ready(Some(e));
        }
        if s.closed {
            return Poll::Ready(None);
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    fn pop_blocking(&self, deadline: Option<Instant>) -> Result<FeedEvent, RecvError> {
        let mut s = self.lock();
        loop {
            if let Some(e) = Self::pop_locked(&mut s) {
                return Ok(e);
            }
            if s.closed {
                return Err(RecvError::Closed);
            }
            // Counted while waiting: `push` signals the condvar only when someone waits.
            s.blocked += 1;
            match deadline {
                None => s = self.cond.wait(s).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        s.blocked -= 1;
                        return Err(RecvError::Timeout);
                    }
                    s = self
                        .cond
                        .wait_timeout(s, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
            s.blocked -= 1;
        }
    }

    fn stats(&self) -> FeedStats {
        let s = self.lock();
        FeedStats {
            lost: s.total_lost,
            coalesced: s.coalesced,
            queued: s.fifo.len() + s.control.len() + s.dirty.len(),
            queued_bytes: s.control_bytes + s.fifo_bytes + s.latest_bytes,
        }
    }
}

/// Why a blocking receive returned without an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// The feed is closed (unsubscribed or the engine shut down).
    Closed,
    /// The timeout passed.
    Timeout,
}

impl std::fmt::Display for RecvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RecvError::Closed => "feed closed",
            RecvError::Timeout => "timed out",
        })
    }
}

impl std::error::Error for RecvError {}

/// Counters of one feed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Items dropped because the consumer was too slow (all kinds, since the start).
    pub lost: u64,
    /// Views replaced by a newer one before the consumer read them.
    pub coalesced: u64,
    /// Items waiting.
    pub queued: usize,
    /// About how many bytes the waiting items hold ([`FeedEvent::approx_bytes`]).
    pub queued_bytes: usize,
}

/// The consumer side of a subscription: an async [`Stream`](futures_core::Stream), a blocking
/// receiver, or a crossbeam `Receiver` via [`Feed::into_crossbeam`]. Dropping it unsubscribes.
pub struct Feed {
    queue: Arc<Queue>,
    id: u64,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("id", &self.id)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Feed {
    pub(crate) fn new(queue: Arc<Queue>, id: u64) -> Feed {
        Feed { queue, id }
    }

    /// The subscription id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The next event; `None` once the feed is closed.
    pub async fn recv(&mut self) -> Option<FeedEvent> {
        std::future::poll_fn(|cx| self.queue.poll_pop(cx)).await
    }

    /// Blocks until the next event (for sync code).
    pub fn recv_blocking(&self) -> Result<FeedEvent, RecvError> {
        self.queue.pop_blocking(None)
    }

    /// Blocks at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<FeedEvent, RecvError> {
        self.queue.pop_blocking(Some(Instant::now() + timeout))
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<FeedEvent> {
        Queue::pop_locked(&mut self.queue.lock())
    }

    /// Loss and coalescing counters.
    pub fn stats(&self) -> FeedStats {
        self.queue.stats()
    }

    /// Turns the feed into a crossbeam receiver fed by a small forwarding thread. Coalescing
    /// and loss counting still happen before the channel; the thread ends when the feed
    /// closes or the receiver is dropped.
    pub fn into_crossbeam(self) -> crossbeam_channel::Receiver<FeedEvent> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        std::thread::Builder::new()
            .name(format!("marketfeed-feed-{}", self.id))
            .spawn(move || {
                while let Ok(event) = self.recv_blocking() {
                    if tx.send(event).is_err() {
                        break;
                    }
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the feed forwarding thread: {e}"));
        rx
    }
}

impl futures_core::Stream for Feed {
    type Item = FeedEvent;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FeedEvent>> {
        self.queue.poll_pop(cx)
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.queue.set_consumer_gone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::BookView;
    use crate::runtime::events::{BookState, BookUpdate};
    use crate::types::{Meta, TakerSide, Timestamp, Trade};
    use rust_decimal::Decimal;

    fn view(seq: u64) -> FeedEvent {
        FeedEvent::Book(Arc::new(BookUpdate {
            exchange: Exchange::Binance,
            symbol: Symbol::parse("BTC-USDT").unwrap(),
            view: BookView::default(),
            last_update_id: Some(seq),
            state: BookState::Live,
            received_at: Timestamp::default(),
            published_at: Timestamp::default(),
        }))
    }

    fn trade(id: u64) -> FeedEvent {
        FeedEvent::Trade(Arc::new(Trade {
            meta: Meta {
                exchange: Exchange::Binance,
                symbol: Symbol::parse("BTC-USDT").unwrap(),
                exchange_time: None,
                received_at: Timestamp::default(),
            },
            id: Some(id),
            price: Decimal::ONE,
            qty: Decimal::ONE,
            taker_side: TakerSide::Buy,
        }))
    }

    #[test]
    fn views_coalesce_trades_drop_with_a_count() {
        let q = Queue::new(2, 1 << 20);
        for i in 0..5 {
            q.push(view(i));
            q.push(trade(i));
        }
        let feed = Feed::new(q.clone(), 1);
        assert_eq!(
            feed.try_recv(),
            Some(FeedEvent::Lost {
                kind: StreamKind::Trades,
                count: 3
            })
        );
        assert_eq!(feed.try_recv(), Some(trade(0)));
        assert_eq!(feed.try_recv(), Some(trade(1)));
        assert_eq!(feed.try_recv(), Some(view(4)), "latest view wins");
        assert_eq!(feed.try_recv(), None);
        assert_eq!(
            feed.stats(),
            FeedStats {
                lost: 3,
                coalesced: 4,
                queued: 0,
                queued_bytes: 0
            }
        );
        q.close();
        assert_eq!(
            feed.recv_timeout(Duration::from_millis(10)),
            Err(RecvError::Closed)
        );
    }

    fn snapshot(levels: usize) -> FeedEvent {
        use crate::types::{BookSnapshot, Level, SeqIds};
        let level = Level::new(Decimal::ONE, Decimal::ONE);
        FeedEvent::Snapshot(Arc::new(BookSnapshot {
            meta: Meta {
                exchange: Exchange::Binance,
                symbol: Symbol::parse("BTC-USDT").unwrap(),
                exchange_time: None,
                received_at: Timestamp::default(),
            },
            bids: vec![level; levels],
            asks: vec![level; levels],
            seq: SeqIds::default(),
            checksum: None,
        }))
    }

    fn bad_frame(bytes: usize) -> FeedEvent {
        use crate::exchange::{ParseError, ParseErrorKind};
        use crate::runtime::events::{FeedStatus, StatusEvent};
        let frame = "x".repeat(bytes);
        FeedEvent::Status(Arc::new(StatusEvent {
            exchange: Exchange::Binance,
            symbol: None,
            status: FeedStatus::BadFrame(Arc::new(ParseError::new(
                Exchange::Binance,
                ParseErrorKind::UnknownMessage,
                &frame,
            ))),
            at: Timestamp::default(),
        }))
    }

    #[test]
    fn fifo_is_bounded_in_bytes_as_well_as_in_events() {
        let one = snapshot(5000).approx_bytes();
        let q = Queue::new(4096, 10 * one);
        for _ in 0..100 {
            q.push(snapshot(5000));
        }
        let feed = Feed::new(q.clone(), 1);
        let stats = feed.stats();
        assert_eq!(stats.queued, 10, "{stats:?}");
        assert_eq!(stats.queued_bytes, 10 * one);
        assert_eq!(stats.lost, 90);
        assert_eq!(
            feed.try_recv(),
            Some(FeedEvent::Lost {
                kind: StreamKind::Deltas,
                count: 90
            })
        );
        while feed.try_recv().is_some() {}
        assert_eq!(feed.stats().queued_bytes, 0, "popping gives the bytes back");
        // One item larger than the whole limit still goes into an empty queue.
        let q = Queue::new(4096, 1);
        q.push(snapshot(10));
        assert_eq!(Feed::new(q, 2).stats().queued, 1);
    }

    #[test]
    fn status_events_are_bounded_in_bytes_oldest_go() {
        let q = Queue::new(8, 1 << 20);
        // Bad frames keep an excerpt, so each event is small whatever the frame's size.
        let each = bad_frame(1 << 20).approx_bytes();
        assert!(each < 2 * crate::exchange::FRAME_EXCERPT_BYTES, "{each}");
        let n = CONTROL_BYTES / each + 1000;
        for _ in 0..n {
            q.push(bad_frame(1 << 20));
        }
        let feed = Feed::new(q, 1);
        let stats = feed.stats();
        assert!(stats.queued_bytes <= CONTROL_BYTES, "{stats:?}");
        assert_eq!(stats.queued, CONTROL_BYTES / each);
        assert_eq!(stats.lost as usize, n - stats.queued);
    }

    #[test]
    fn dropping_the_feed_stops_delivery() {
        let q = Queue::new(8, 1 << 20);
        let feed = Feed::new(q.clone(), 1);
        assert!(q.push(trade(1)));
        drop(feed);
        assert!(q.consumer_gone());
        assert!(!q.push(trade(2)));
    }

    #[test]
    fn a_blocked_consumer_is_woken_by_a_push() {
        let q = Queue::new(8, 1 << 20);
        let feed = Feed::new(q.clone(), 1);
        let pusher = {
            let q = q.clone();
            std::thread::spawn(move || {
                // Wait until the consumer is blocked, so the wake-up is what delivers it.
                while q.lock().blocked == 0 {
                    std::thread::yield_now();
                }
                q.push(trade(1));
            })
        };
        let start = Instant::now();
        assert_eq!(feed.recv_timeout(Duration::from_secs(5)), Ok(trade(1)));
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "woken, not timed out"
        );
        pusher.join().unwrap();
        assert_eq!(q.lock().blocked, 0);
    }

    #[test]
    fn crossbeam_receiver_gets_events_and_disconnects_on_close() {
        let q = Queue::new(8, 1 << 20);
        let rx = Feed::new(q.clone(), 1).into_crossbeam();
        q.push(trade(1));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(trade(1)));
        q.close();
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_err());
    }
}
