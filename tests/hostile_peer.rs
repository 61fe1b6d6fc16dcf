//! The engine against a hostile peer (`tests/hostile_support`): a raw loopback server that
//! sends what no real venue should, but a broken or malicious one could. Each test is named
//! after the failure it reproduces (issue 10, items 3 to 6) and asserts on the server's own
//! counters or on what the feed holds.

mod hostile_support;
use hostile_support::{Conn, Peer, CONTINUATION, PING, TEXT};
use marketfeed::exchange::session::Endpoint;
use marketfeed::Backoff;
use marketfeed::Engine;
use marketfeed::Feed;
use marketfeed::{Exchange, Symbol};
use marketfeed::{FeedEvent, FeedStatus, StreamKind, Subscription};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// An engine whose Binance endpoints (WebSocket and REST) are the peer.
fn engine(peer: &Peer) -> Engine {
    Engine::builder()
        .endpoint(
            Exchange::Binance,
            Endpoint {
                ws: peer.binance_ws_base(),
                rest: Some(peer.binance_rest_base()),
            },
        )
        .backoff(Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(500),
        })
        .arbiters(1)
        .start()
        .expect("engine starts")
}

async fn status_feed(engine: &Engine, symbol: &Symbol) -> Feed {
    engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, symbol.clone())
                .kind(StreamKind::Status),
        )
        .await
        .unwrap()
}

/// Receives until `pred` matches or `timeout` passes (then panics with `what`).
async fn wait_status(
    feed: &mut Feed,
    timeout: Duration,
    what: &str,
    mut pred: impl FnMut(&FeedStatus) -> bool,
) -> FeedStatus {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match actix_rt::time::timeout(left, feed.recv()).await {
            Ok(Some(FeedEvent::Status(s))) if pred(&s.status) => return s.status.clone(),
            Ok(Some(_)) => {}
            Ok(None) => panic!("feed closed while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// Polls `cond` every 20 ms for at most `timeout`.
async fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

/// REST requests get a quick 503 (the book retries with backoff; irrelevant to the test).
fn refuse_rest(c: &mut Conn) -> bool {
    if c.ws_key.is_some() {
        return false;
    }
    c.respond_status("503 Service Unavailable");
    true
}

/// Item 3: headers, then one byte of body every 500 ms. The whole request has a deadline:
/// the book reports `SnapshotFailed` and asks again.
#[actix_rt::test]
async fn slow_rest_snapshot_times_out_and_is_retried() {
    let peer = Peer::start(|mut c| {
        if c.accept_ws() {
            c.spawn_reader();
            c.idle();
            return;
        }
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{";
        if c.stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        // At most 60 s of drip, far past any deadline.
        for _ in 0..120 {
            if !c.sleep(Duration::from_millis(500)) || c.stream.write_all(b" ").is_err() {
                return;
            }
        }
    });
    let engine = engine(&peer);
    let btc = sym("BTC-USDT");
    let mut feed = status_feed(&engine, &btc).await;
    let started = Instant::now();
    let failed = wait_status(
        &mut feed,
        Duration::from_secs(25),
        "the slow snapshot to fail",
        |s| matches!(s, FeedStatus::SnapshotFailed { .. }),
    )
    .await;
    let FeedStatus::SnapshotFailed { reason } = failed else {
        unreachable!()
    };
    assert!(reason.contains("timed out"), "reason: {reason}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the deadline covers the whole request"
    );
    assert!(
        eventually(Duration::from_secs(5), || peer
            .counters
            .rest_requests
            .load(Ordering::SeqCst)
            >= 2)
        .await,
        "the snapshot is requested again"
    );
    engine.shutdown().await;
}

/// Item 4: a flood of server pings. Only the latest ping is answered, and the pongs never
/// hold back a `SUBSCRIBE` (both go through the venue's 4-per-second send gate).
#[actix_rt::test]
async fn ping_flood_neither_grows_the_outbox_nor_starves_subscribe() {
    const FLOOD: u64 = 200_000;
    let peer = Peer::start(|mut c| {
        if refuse_rest(&mut c) || !c.accept_ws() {
            return;
        }
        c.spawn_reader();
        for i in 0..FLOOD {
            if c.stopped() || !c.frame(PING, true, &i.to_be_bytes()) {
                return;
            }
        }
        c.idle();
    });
    let engine = engine(&peer);
    let btc = sym("BTC-USDT");
    let mut feed = status_feed(&engine, &btc).await;
    wait_status(&mut feed, Duration::from_secs(10), "connected", |s| {
        *s == FeedStatus::Connected
    })
    .await;
    let c = &peer.counters;
    assert!(
        eventually(Duration::from_secs(10), || c
            .pings_sent
            .load(Ordering::SeqCst)
            >= FLOOD / 4)
        .await,
        "the flood is under way"
    );
    // A new symbol on the same connection: its SUBSCRIBE must go out within a second or
    // two, however many pings are waiting for an answer.
    let asked = Instant::now();
    let _eth = status_feed(&engine, &sym("ETH-USDT")).await;
    assert!(
        eventually(Duration::from_secs(5), || c
            .text_with(&["SUBSCRIBE", "ethusdt@depth"])
            .is_some())
        .await,
        "SUBSCRIBE not sent {:?} after asking ({} pings, {} pongs)",
        asked.elapsed(),
        c.pings_sent.load(Ordering::SeqCst),
        c.pongs_received.load(Ordering::SeqCst)
    );
    // Once the flood is over, the last ping is answered soon and then nothing more is owed.
    let last = (FLOOD - 1).to_be_bytes().to_vec();
    assert!(
        eventually(Duration::from_secs(20), || *c.last_pong.lock().unwrap()
            == last)
        .await,
        "the latest ping was answered ({} pongs for {} pings)",
        c.pongs_received.load(Ordering::SeqCst),
        c.pings_sent.load(Ordering::SeqCst)
    );
    let pongs = c.pongs_received.load(Ordering::SeqCst);
    actix_rt::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        c.pongs_received.load(Ordering::SeqCst),
        pongs,
        "no backlog of pongs"
    );
    assert!(
        pongs * 100 < FLOOD,
        "{pongs} pongs for {FLOOD} pings: only the latest is answered"
    );
    engine.shutdown().await;
}

/// Item 5: a text message in continuation frames that never ends. The assembled message is
/// capped like a single frame: past the limit the connection is reset, not buffered.
#[actix_rt::test]
async fn endless_continuation_frames_reset_the_connection() {
    const TOTAL: u64 = 64 << 20;
    let peer = Peer::start(|mut c| {
        if refuse_rest(&mut c) || !c.accept_ws() {
            return;
        }
        c.spawn_reader();
        let chunk = vec![b' '; 64 << 10];
        if !c.frame(TEXT, false, b"{") {
            return;
        }
        let mut sent = 0;
        while sent < TOTAL {
            if c.stopped() || !c.frame(CONTINUATION, false, &chunk) {
                return;
            }
            sent += chunk.len() as u64;
        }
        if c.frame(CONTINUATION, true, b"}") {
            c.idle();
        }
    });
    let engine = engine(&peer);
    let btc = sym("BTC-USDT");
    let mut feed = status_feed(&engine, &btc).await;
    let mut too_large = None;
    let status = wait_status(
        &mut feed,
        Duration::from_secs(30),
        "the connection to be reset",
        |s| {
            if let FeedStatus::MessageTooLarge { size, limit } = s {
                too_large = Some((*size, *limit));
            }
            matches!(s, FeedStatus::Disconnected { .. })
        },
    )
    .await;
    let (size, limit) = too_large.expect("MessageTooLarge before the reset");
    assert_eq!(limit, marketfeed::DEFAULT_MAX_MESSAGE_SIZE);
    assert!(size > limit && size <= limit + (64 << 10), "{size} {limit}");
    let sent = peer.counters.payload_bytes_sent.load(Ordering::SeqCst);
    let FeedStatus::Disconnected { reason, .. } = status else {
        unreachable!()
    };
    assert!(reason.contains("too large"), "reason: {reason}");
    assert!(
        sent < TOTAL,
        "reset before the whole message arrived ({sent} of {TOTAL} bytes)"
    );
    engine.shutdown().await;
}

/// Item 6: a status subscriber that stops reading while the venue sends big bad frames.
/// Each `BadFrame` event keeps a bounded excerpt, so what the feed holds stays small.
#[actix_rt::test]
async fn unread_status_feed_holds_only_excerpts_of_bad_frames() {
    const FRAMES: usize = 100;
    const SIZE: usize = 1 << 20;
    let peer = Peer::start(|mut c| {
        if refuse_rest(&mut c) || !c.accept_ws() {
            return;
        }
        c.spawn_reader();
        let garbage = vec![b'x'; SIZE];
        for _ in 0..FRAMES {
            if c.stopped() || !c.frame(TEXT, true, &garbage) {
                return;
            }
        }
        c.idle();
    });
    let engine = engine(&peer);
    let btc = sym("BTC-USDT");
    let feed = status_feed(&engine, &btc).await;
    // Not reading while the frames arrive.
    assert!(
        eventually(Duration::from_secs(30), || peer
            .counters
            .payload_bytes_sent
            .load(Ordering::SeqCst)
            >= (FRAMES * SIZE) as u64)
        .await,
        "the peer sent every frame"
    );
    actix_rt::time::sleep(Duration::from_secs(1)).await;
    let held = feed.stats();
    assert!(
        held.queued_bytes < FRAMES * 4096,
        "the feed counts what it holds: {held:?}"
    );
    // Now read what was held.
    let (mut bad, mut bytes) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while bad < FRAMES && Instant::now() < deadline {
        match feed.try_recv() {
            Some(FeedEvent::Status(s)) => {
                if let FeedStatus::BadFrame(e) = &s.status {
                    bad += 1;
                    bytes += e.frame.len();
                }
            }
            Some(_) => {}
            None => actix_rt::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert_eq!(bad, FRAMES, "every bad frame is reported");
    assert!(
        bytes <= FRAMES * 4096,
        "{bytes} bytes of frames held for {FRAMES} bad frames of {SIZE} bytes ({held:?})"
    );
    engine.shutdown().await;
}
