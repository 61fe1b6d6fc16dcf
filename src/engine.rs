//! The public face of the runtime: [`Engine::builder`] and the cloneable [`Engine`] handle.
//!
//! ```no_run
//! use marketfeed::prelude::*;
//!
//! #[actix_rt::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let engine = Engine::builder().start()?;
//!     let mut feed = engine
//!         .subscribe(
//!             Subscription::new()
//!                 .markets(["binance:BTC-USDT".parse::<Market>()?])
//!                 .kinds([StreamKind::Book, StreamKind::Trades, StreamKind::Status])
//!                 .depth(5),
//!         )
//!         .await?;
//!     while let Some(event) = feed.recv().await {
//!         if let FeedEvent::Book(b) = event {
//!             println!("{} {:?} {:?}", b.market(), b.view.best_bid(), b.view.best_ask());
//!         }
//!     }
//!     engine.shutdown().await;
//!     Ok(())
//! }
//! ```

use crate::actors::messages::{BookQuery, Stop};
use crate::actors::supervisor::{
    EngineConfig, Query, Subscribe, SubscribeRecipient, Supervisor, Unsubscribe,
};
use crate::backoff::Backoff;
use crate::book::BookView;
use crate::exchange::session::Endpoint;
use crate::runtime::events::{BookState, FeedEvent, Subscription};
use crate::runtime::hub::Hub;
use crate::runtime::queue::Feed;
use crate::runtime::EngineError;
use crate::types::{Exchange, Symbol};
use actix::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// Default deadline of a whole REST snapshot request ([`EngineBuilder::snapshot_timeout`]).
pub const DEFAULT_SNAPSHOT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Default cap of one WebSocket message ([`EngineBuilder::max_message_size`]): 16 MiB, far
/// above any venue's largest real message (a Kraken 1000-level snapshot is about 100 kB).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

/// Configures and starts an [`Engine`].
#[derive(Clone, Debug)]
pub struct EngineBuilder {
    config: EngineConfig,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        let arbiters = std::thread::available_parallelism().map_or(2, |n| n.get());
        EngineBuilder {
            config: EngineConfig {
                endpoints: HashMap::new(),
                book_depths: HashMap::new(),
                backoff: Backoff::default(),
                arbiters,
                seed: 0x5eed,
                max_streams_per_connection: None,
                net: crate::net::NetOptions::default(),
                snapshot_timeout: DEFAULT_SNAPSHOT_TIMEOUT,
                max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
                max_book_levels: None,
            },
        }
    }
}

impl EngineBuilder {
    /// Connects `exchange` to `endpoint` instead of production (simulator, testnet).
    pub fn endpoint(mut self, exchange: Exchange, endpoint: Endpoint) -> Self {
        self.config.endpoints.insert(exchange, endpoint);
        self
    }

    /// Sets several endpoints at once (e.g. `Simulator::endpoints()`).
    pub fn endpoints(mut self, endpoints: impl IntoIterator<Item = (Exchange, Endpoint)>) -> Self {
        self.config.endpoints.extend(endpoints);
        self
    }

    /// Trusts the certificates in `pem` (PEM text, one or more `BEGIN CERTIFICATE` blocks)
    /// for wss:// and https://, in addition to the webpki roots: the simulator's test CA,
    /// or the CA of a TLS-inspecting proxy. A PEM without a usable certificate is an
    /// [`EngineError::InvalidConfig`] at start.
    pub fn root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.config.net.add_root_pem_later(pem);
        self
    }

    /// Connects to `addr` whenever an endpoint names `host:port`, as curl's `--resolve`
    /// does: the URL, the TLS server name (SNI), the certificate check, the Host header and
    /// the path stay those of the endpoint. With the simulator's CA trusted, this runs the
    /// production endpoints against a simulator (`Simulator::production_resolves`).
    pub fn resolve(mut self, host: &str, port: u16, addr: std::net::SocketAddr) -> Self {
        self.config.net.resolve_later(host, port, addr);
        self
    }

    /// At most `levels` price levels per book side (default 10 000, twice the deepest
    /// Binance snapshot). Past it the levels farthest from the touch are dropped; the book
    /// stays exact for every price better than the best dropped one
    /// ([`OrderBook::window_edge`](crate::book::OrderBook::window_edge)) until the next
    /// snapshot. A bound against a peer that sends millions of levels.
    pub fn max_book_levels(mut self, levels: usize) -> Self {
        self.config.max_book_levels = Some(levels);
        self
    }

    /// Book depth on `exchange`, checked against the venue's spec at
    /// [`start`](EngineBuilder::start): a depth the venue cannot serve is an
    /// [`EngineError::BookDepth`], never a silent cap. What the depth means is the venue's
    /// ([`VenueSpec::depth`](crate::exchange::VenueSpec::depth)):
    ///
    /// * Kraken: levels per side of the subscribed book, 10 (default), 25, 100, 500 or 1000.
    /// * Poloniex: `book_lv2` is 20 levels, the only value.
    /// * Binance spot: levels of each REST snapshot, 1 to 5000, default 1000 (request weight
    ///   50; 5000 costs 250 of the IP's 6000 per minute). Levels deeper than the snapshot
    ///   are only known from the changes seen since.
    /// * Binance USD-M: levels of each REST snapshot, 5, 10, 20, 50, 100, 500 or 1000
    ///   (default).
    pub fn book_depth(mut self, exchange: Exchange, depth: u32) -> Self {
        self.config.book_depths.insert(exchange, depth);
        self
    }

    /// Reconnect and snapshot-retry schedule.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// Arbiters (threads) that run connections and books (default: one per core).
    pub fn arbiters(mut self, n: usize) -> Self {
        self.config.arbiters = n;
        self
    }

    /// Caps the streams one connection carries below the venue's own cap (Binance: 1024; a
    /// book takes 2 streams, trades 1). Symbols beyond it go on further connections, each
    /// with its own reconnects, spread over the arbiters. At least 2.
    pub fn max_streams_per_connection(mut self, streams: usize) -> Self {
        self.config.max_streams_per_connection = Some(streams);
        self
    }

    /// Deadline of one whole REST snapshot request, headers and body (default 10 s). A
    /// snapshot not complete by then is reported as `FeedStatus::SnapshotFailed` and asked
    /// again with backoff, so a venue that drips its answer cannot hold a book in `Syncing`.
    pub fn snapshot_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.config.snapshot_timeout = timeout;
        self
    }

    /// Largest WebSocket message accepted (default 16 MiB), whether one frame or assembled
    /// from continuation frames. A larger one is reported as `FeedStatus::MessageTooLarge`
    /// and the connection is reset (not buffered); at least 64 kB.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = bytes;
        self
    }

    /// Seed of the reconnect jitter.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    fn validate(&self) -> Result<(), EngineError> {
        let c = &self.config;
        for exchange in Exchange::ALL {
            if let Some(&depth) = c.book_depths.get(&exchange) {
                let spec = exchange.spec();
                spec.depth
                    .check(exchange, depth)
                    .map_err(EngineError::BookDepth)?;
            }
        }
        if c.max_streams_per_connection.is_some_and(|n| n < 2) {
            return Err(EngineError::InvalidConfig(
                "max_streams_per_connection must be at least 2 (a Binance book takes 2)".into(),
            ));
        }
        if c.snapshot_timeout.is_zero() {
            return Err(EngineError::InvalidConfig(
                "snapshot_timeout must be positive".into(),
            ));
        }
        if c.max_message_size < 64 * 1024 {
            return Err(EngineError::InvalidConfig(
                "max_message_size must be at least 64 kB".into(),
            ));
        }
        if c.arbiters == 0 {
            return Err(EngineError::InvalidConfig(
                "arbiters must be at least 1".into(),
            ));
        }
        if c.backoff.base.is_zero() || c.backoff.max < c.backoff.base {
            return Err(EngineError::InvalidConfig(
                "backoff needs 0 < base <= max".into(),
            ));
        }
        for (e, ep) in &c.endpoints {
            ep.validate(*e)
                .map_err(|why| EngineError::InvalidConfig(format!("{e}: {why}")))?;
        }
        c.net
            .transport()
            .map_err(|e| EngineError::InvalidConfig(e.to_string()))?;
        Ok(())
    }

    /// Starts the engine inside the current actix `System` (e.g. under `#[actix_rt::main]`).
    pub fn start(self) -> Result<Engine, EngineError> {
        self.validate()?;
        if actix_rt::System::try_current().is_none() {
            return Err(EngineError::Start(
                "no actix System is running; use spawn() from plain code".into(),
            ));
        }
        let transport = self
            .config
            .net
            .transport()
            .map_err(|e| EngineError::InvalidConfig(e.to_string()))?;
        let hub = Arc::new(Hub::default());
        let supervisor = Supervisor::new(self.config, transport, hub).start();
        Ok(Engine { supervisor })
    }

    /// Starts the engine on its own thread with its own actix `System`, for plain `fn main`
    /// or tokio applications. The handle works from any thread or runtime.
    pub fn spawn(self) -> Result<EngineThread, EngineError> {
        self.validate()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("marketfeed-engine".into())
            .spawn(move || {
                let system = actix_rt::System::new();
                let started = system.block_on(async move { self.start() });
                let ok = started.is_ok();
                let _ = tx.send(started.map(|e| (e, actix_rt::System::current())));
                if ok {
                    let _ = system.run();
                }
            })
            .map_err(|e| EngineError::Start(e.to_string()))?;
        match rx.recv().map_err(|e| EngineError::Start(e.to_string()))? {
            Ok((engine, system)) => Ok(EngineThread {
                engine,
                system,
                thread: Some(thread),
            }),
            Err(e) => {
                let _ = thread.join();
                Err(e)
            }
        }
    }
}

/// A cloneable handle to a running engine.
#[derive(Clone)]
pub struct Engine {
    supervisor: Addr<Supervisor>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("running", &self.is_running())
            .finish()
    }
}

impl Engine {
    /// A builder with production endpoints and sane defaults.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// Subscribes; connections and books are created as needed. Events arrive on the
    /// returned [`Feed`]; dropping it unsubscribes.
    pub async fn subscribe(&self, subscription: Subscription) -> Result<Feed, EngineError> {
        self.supervisor
            .send(Subscribe(subscription))
            .await
            .map_err(|_| EngineError::Stopped)?
    }

    /// Subscribes an actor: events are delivered to `recipient` (awaiting each, so a busy
    /// actor gets coalesced views and counted losses instead of an ever-growing mailbox).
    pub async fn subscribe_recipient(
        &self,
        subscription: Subscription,
        recipient: Recipient<FeedEvent>,
    ) -> Result<u64, EngineError> {
        self.supervisor
            .send(SubscribeRecipient(subscription, recipient))
            .await
            .map_err(|_| EngineError::Stopped)?
    }

    /// Removes a subscription by id.
    pub async fn unsubscribe(&self, id: u64) -> Result<(), EngineError> {
        self.supervisor
            .send(Unsubscribe(id))
            .await
            .map_err(|_| EngineError::Stopped)
    }

    /// The current top `depth` levels of a book, with its sync state and last update id.
    pub async fn book(
        &self,
        exchange: Exchange,
        symbol: &Symbol,
        depth: usize,
    ) -> Result<BookInfo, EngineError> {
        let q = Query {
            exchange,
            symbol: symbol.clone(),
            depth,
        };
        let answer = self
            .supervisor
            .send(q)
            .await
            .map_err(|_| EngineError::Stopped)??;
        Ok(BookInfo::from(answer))
    }

    /// Whether the engine still runs (false once [`shutdown`](Self::shutdown) completed or its
    /// actor system stopped).
    pub fn is_running(&self) -> bool {
        self.supervisor.connected()
    }

    /// Unsubscribes and closes every connection, stops every actor and arbiter, and closes
    /// every feed (their `recv` returns `None`).
    pub async fn shutdown(&self) {
        let _ = self.supervisor.send(Stop).await;
    }
}

/// One book as [`Engine::book`] found it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BookInfo {
    /// Venue.
    pub exchange: Exchange,
    /// Symbol.
    pub symbol: Symbol,
    /// The top levels asked for (empty unless the book is live).
    pub view: BookView,
    /// Sync state.
    pub state: BookState,
    /// The venue's id of the last applied message.
    pub last_update_id: Option<u64>,
}

impl From<BookQuery> for BookInfo {
    fn from(q: BookQuery) -> Self {
        BookInfo {
            exchange: q.exchange,
            symbol: q.symbol,
            view: q.view,
            state: q.state,
            last_update_id: q.last_update_id,
        }
    }
}

/// An engine running on its own thread ([`EngineBuilder::spawn`]).
pub struct EngineThread {
    engine: Engine,
    system: actix_rt::System,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EngineThread {
    /// The handle.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Shuts the engine down and joins its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let engine = self.engine.clone();
            // The handle's futures are runtime-agnostic; block on them from this thread.
            futures_executor_block_on(async move { engine.shutdown().await });
            self.system.stop();
            let _ = thread.join();
        }
    }
}

impl Drop for EngineThread {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Minimal block_on for the engine thread handle (no extra runtime needed).
fn futures_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
