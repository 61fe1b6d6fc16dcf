//! The REST snapshot fetcher of a book that resyncs over REST (Binance spot and USD-M).
//!
//! A small component the book actor owns, not an actor of its own: the book decides *when*
//! a snapshot is needed (its tracker says `FetchSnapshot`); the fetcher decides *how*: the
//! backoff before a retry ([`retry_delay`], pure), the venue's shared weight budget
//! ([`RestBudget`]), one deadline over the whole request (`snapshot_timeout`, headers and
//! body), and the answer sent back to the book as a [`SnapshotFetched`] message (a wait for
//! the budget as [`SnapshotThrottled`]). At most one request is in flight; dropping the
//! fetcher (the book stopped) abandons it.

use super::messages::{BookSettings, FetchError, SnapshotFetched, SnapshotThrottled};
use crate::backoff::{unit_jitter, Backoff, SplitMix64};
use crate::exchange::binance;
use crate::exchange::session;
use crate::runtime::rest_budget::RestBudget;
use crate::types::{Exchange, Symbol, Timestamp};
use actix::prelude::*;
use std::time::Duration;

/// The wait before a snapshot request after `failures` failed ones in a row: none for the
/// first, then the backoff schedule with `jitter` in `[0, 1)`.
pub(crate) fn retry_delay(backoff: &Backoff, failures: u32, jitter: f64) -> Duration {
    if failures == 0 {
        Duration::ZERO
    } else {
        backoff.delay(failures, jitter)
    }
}

/// Where the fetcher sends what it learns: the book actor's recipients.
#[derive(Clone)]
pub(crate) struct Replies {
    pub(crate) fetched: Recipient<SnapshotFetched>,
    pub(crate) throttled: Recipient<SnapshotThrottled>,
}

/// One book's snapshot requests.
pub(crate) struct SnapshotFetcher {
    exchange: Exchange,
    symbol: Symbol,
    settings: BookSettings,
    client: Option<awc::Client>,
    rng: SplitMix64,
    in_flight: Option<actix_rt::task::JoinHandle<()>>,
    failures: u32,
}

impl SnapshotFetcher {
    pub(crate) fn new(
        exchange: Exchange,
        symbol: Symbol,
        settings: BookSettings,
        seed: u64,
    ) -> Self {
        SnapshotFetcher {
            exchange,
            symbol,
            settings,
            client: None,
            rng: SplitMix64::new(seed),
            in_flight: None,
            failures: 0,
        }
    }

    /// A request is on its way (its answer has not been taken in).
    pub(crate) fn busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The book no longer waits for the request in flight (its connection went down); a
    /// new one may be sent. The old answer, if it comes, is still delivered.
    pub(crate) fn forget(&mut self) {
        self.in_flight = None;
    }

    /// The answer of the request in flight was taken in.
    pub(crate) fn answered(&mut self) {
        self.in_flight = None;
    }

    /// The last snapshot brought the book live: the next request goes at once.
    pub(crate) fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// The last snapshot failed or was refused: the next request backs off.
    pub(crate) fn failed(&mut self) {
        self.failures = self.failures.saturating_add(1);
    }

    /// Sends a snapshot request unless one is in flight or the venue has no REST snapshot.
    /// Returns whether one was sent.
    pub(crate) fn request(&mut self, replies: Replies) -> bool {
        if self.busy() {
            return false;
        }
        let depth = self.settings.snapshot_depth;
        let Some(url) =
            session::snapshot_url(self.exchange, &self.settings.endpoint, &self.symbol, depth)
        else {
            return false;
        };
        let weight = session::snapshot_weight(self.exchange, depth);
        let timeout = self.settings.snapshot_timeout;
        let budget = self.settings.rest_budget.clone();
        let window = self.exchange.spec().resync.throttle_window();
        let delay = retry_delay(
            &self.settings.backoff,
            self.failures,
            unit_jitter(self.rng.next_u64()),
        );
        let client = self
            .client
            .get_or_insert_with(|| self.settings.transport.client(Duration::from_secs(10)))
            .clone();
        tracing::debug!(exchange = %self.exchange, symbol = %self.symbol, %url, ?delay, "fetching snapshot");
        let span =
            tracing::info_span!("snapshot", exchange = %self.exchange, symbol = %self.symbol);
        let task = async move {
            if !delay.is_zero() {
                actix_rt::time::sleep(delay).await;
            }
            // Wait for the venue's weight budget (shared by its books: the weight is
            // counted per IP) rather than risk a 429 and then a ban.
            let mut sent_ms = Timestamp::now().as_unix_millis();
            if let Some(b) = &budget {
                while let Err(until) = b.acquire(weight, sent_ms) {
                    let retry_in = Duration::from_millis(until.saturating_sub(sent_ms));
                    replies.throttled.do_send(SnapshotThrottled { retry_in });
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
                    take_in_limits(b, &resp, sent_ms, window);
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
            replies.fetched.do_send(SnapshotFetched {
                result,
                received_at: Timestamp::now(),
            });
        };
        self.in_flight = Some(actix_rt::spawn(tracing::Instrument::instrument(task, span)));
        true
    }
}

impl Drop for SnapshotFetcher {
    /// The book is gone: nobody waits for the answer, and the venue's weight is not spent.
    fn drop(&mut self) {
        if let Some(task) = self.in_flight.take() {
            task.abort();
        }
    }
}

/// Feeds a REST answer's weight headers to the venue's budget: the server's count of the
/// minute, and the `Retry-After` of a 429 (slow down) or 418 (IP banned); without one, the
/// venue's rate-limit `window`.
fn take_in_limits(
    budget: &RestBudget,
    resp: &awc::ClientResponse<impl Sized>,
    sent_ms: u64,
    window: Duration,
) {
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
    // Without a Retry-After, hold for the venue's window.
    let until = now_ms
        + header("Retry-After").map_or(window.as_millis() as u64, |s| s.saturating_mul(1_000));
    match resp.status().as_u16() {
        429 => budget.on_too_many_requests(until),
        418 => budget.on_banned(until),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_request_goes_at_once_then_backs_off() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(5),
        };
        assert_eq!(retry_delay(&backoff, 0, 0.5), Duration::ZERO);
        let one = retry_delay(&backoff, 1, 0.5);
        let three = retry_delay(&backoff, 3, 0.5);
        assert!(!one.is_zero());
        assert!(three > one, "{three:?} > {one:?}");
        assert!(retry_delay(&backoff, 50, 0.99) <= Duration::from_secs(5));
    }
}
