//! The registry of subscriptions that books and connections publish into directly (no actor
//! hop on the hot path). Publishers cache the entries they need and refresh the cache when
//! the registry's generation changes.

use super::events::{FeedEvent, FeedStatus, Predicate, StatusEvent, StreamKind};
use super::queue::Queue;
use crate::types::{Exchange, Symbol, Timestamp};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// One registered subscription.
pub(crate) struct Entry {
    pub(crate) id: u64,
    markets: Vec<(Exchange, Symbol)>,
    kinds: Vec<StreamKind>,
    pub(crate) depth: usize,
    filter: Option<Predicate>,
    pub(crate) queue: Arc<Queue>,
    /// Throttled views wait here until the subscriber actor flushes them.
    pub(crate) throttle_slot: Option<Mutex<HashMap<(Exchange, Symbol), FeedEvent>>>,
}

impl Entry {
    pub(crate) fn new(
        id: u64,
        markets: Vec<(Exchange, Symbol)>,
        kinds: Vec<StreamKind>,
        depth: usize,
        filter: Option<Predicate>,
        queue: Arc<Queue>,
        throttled: bool,
    ) -> Entry {
        Entry {
            id,
            markets,
            kinds,
            depth,
            filter,
            queue,
            throttle_slot: throttled.then(|| Mutex::new(HashMap::new())),
        }
    }

    /// Wants `kind` for this market (an empty market list means every market; status of
    /// connections, `symbol == None`, goes to every subscriber of that exchange).
    pub(crate) fn wants(
        &self,
        exchange: Exchange,
        symbol: Option<&Symbol>,
        kind: StreamKind,
    ) -> bool {
        if !self.kinds.contains(&kind) {
            return false;
        }
        if self.markets.is_empty() {
            return true;
        }
        match symbol {
            Some(s) => self.markets.iter().any(|(e, m)| *e == exchange && m == s),
            None => self.markets.iter().any(|(e, _)| *e == exchange),
        }
    }

    /// Delivers an event (applying the filter and throttling).
    pub(crate) fn deliver(&self, event: FeedEvent) {
        if let Some(f) = &self.filter {
            if !f(&event) {
                return;
            }
        }
        if let (Some(slot), FeedEvent::Book(b)) = (&self.throttle_slot, &event) {
            let key = (b.exchange, b.symbol.clone());
            slot.lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, event);
            return;
        }
        self.queue.push(event);
    }

    /// Moves throttled views into the queue.
    pub(crate) fn flush_throttled(&self) {
        if let Some(slot) = &self.throttle_slot {
            let ready: Vec<FeedEvent> = slot
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain()
                .map(|(_, e)| e)
                .collect();
            for e in ready {
                self.queue.push(e);
            }
        }
    }
}

/// The registry.
#[derive(Default)]
pub(crate) struct Hub {
    entries: RwLock<Vec<Arc<Entry>>>,
    generation: AtomicU64,
}

impl Hub {
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn add(&self, entry: Arc<Entry>) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn remove(&self, id: u64) -> Option<Arc<Entry>> {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let pos = entries.iter().position(|e| e.id == id)?;
        let entry = entries.remove(pos);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Some(entry)
    }

    /// Entries wanting `kind` for the market.
    pub(crate) fn matching(
        &self,
        exchange: Exchange,
        symbol: Option<&Symbol>,
        kind: StreamKind,
    ) -> Vec<Arc<Entry>> {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|e| e.wants(exchange, symbol, kind))
            .cloned()
            .collect()
    }

    /// Closes every queue (engine shutdown).
    pub(crate) fn close_all(&self) {
        let entries = std::mem::take(&mut *self.entries.write().unwrap_or_else(|e| e.into_inner()));
        self.generation.fetch_add(1, Ordering::AcqRel);
        for e in entries {
            e.flush_throttled();
            e.queue.close();
        }
    }
}

/// A publisher's cached view of the entries it delivers to.
#[derive(Default)]
pub(crate) struct Targets {
    generation: Option<u64>,
    pub(crate) book: Vec<Arc<Entry>>,
    pub(crate) deltas: Vec<Arc<Entry>>,
    pub(crate) trades: Vec<Arc<Entry>>,
    pub(crate) bbo: Vec<Arc<Entry>>,
    pub(crate) status: Vec<Arc<Entry>>,
    /// Set for a publisher that greets feeds added after it started (see
    /// [`Targets::greeting`]).
    greeter: Option<Greeter>,
}

/// The feeds a publisher has served, to tell which ones are new.
#[derive(Default)]
struct Greeter {
    seen: HashSet<u64>,
    fresh: Vec<Arc<Entry>>,
    primed: bool,
}

impl Targets {
    /// A cache that also notes the feeds that appear after its first refresh: a book takes
    /// them with [`take_fresh`](Self::take_fresh) and sends each its current state first.
    /// Feeds present at the first refresh are not fresh: they follow the book from its start.
    pub(crate) fn greeting() -> Self {
        Targets {
            greeter: Some(Greeter::default()),
            ..Targets::default()
        }
    }

    /// The feeds that appeared since the last call (empty unless [`greeting`](Self::greeting)).
    pub(crate) fn take_fresh(&mut self) -> Vec<Arc<Entry>> {
        self.greeter
            .as_mut()
            .map(|g| std::mem::take(&mut g.fresh))
            .unwrap_or_default()
    }

    /// Refreshes the cache if the registry changed.
    pub(crate) fn refresh(&mut self, hub: &Hub, exchange: Exchange, symbol: Option<&Symbol>) {
        let generation = hub.generation();
        if self.generation == Some(generation) {
            return;
        }
        self.book = hub.matching(exchange, symbol, StreamKind::Book);
        self.deltas = hub.matching(exchange, symbol, StreamKind::Deltas);
        self.trades = hub.matching(exchange, symbol, StreamKind::Trades);
        self.bbo = hub.matching(exchange, symbol, StreamKind::BestBidAsk);
        self.status = hub.matching(exchange, symbol, StreamKind::Status);
        self.generation = Some(generation);
        if let Some(g) = &mut self.greeter {
            let all = [&self.book, &self.deltas, &self.bbo, &self.status];
            let now: HashSet<u64> = all.iter().flat_map(|l| l.iter().map(|e| e.id)).collect();
            for e in all.into_iter().flatten() {
                if g.seen.insert(e.id) && g.primed {
                    g.fresh.push(e.clone());
                }
            }
            g.seen.retain(|id| now.contains(id));
            g.fresh.retain(|e| now.contains(&e.id));
            g.primed = true;
        }
    }

    /// Publishes a status change of a connection (`symbol: None`) or a book to the feeds
    /// that asked for status, stamped with the engine clock.
    pub(crate) fn send_status(
        &mut self,
        hub: &Hub,
        exchange: Exchange,
        symbol: Option<&Symbol>,
        status: FeedStatus,
    ) {
        self.refresh(hub, exchange, symbol);
        if self.status.is_empty() {
            return;
        }
        let event = FeedEvent::Status(Arc::new(StatusEvent {
            exchange,
            symbol: symbol.cloned(),
            status,
            at: Timestamp::now(),
        }));
        for t in &self.status {
            t.deliver(event.clone());
        }
    }
}
