//! End-to-end throughput and latency of the actor pipeline: a loopback WebSocket server
//! pushes a seeded synthetic Binance diff stream (~20 levels, ~760 bytes per frame) into the
//! engine (connection actor → book actor → subscriber queue → consumer).
//!
//! * Saturated: the server sends every frame as fast as it can; frames/s is measured from the
//!   first frame to the book reaching the last update id.
//! * Paced (not saturated): 2 frames per millisecond; the latency of each delivered top-10
//!   view is `delivered - received` (frame received by the connection actor → view in the
//!   consumer's hands), reported as percentiles.
//!
//! Run: `cargo bench --bench actor_pipeline` (add `-- --frames N` to change the stream length).

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use marketfeed::exchange::session::Endpoint;
use marketfeed::sim::binance as enc;
use marketfeed::sim::market::{MarketConfig, SyntheticMarket};
use marketfeed::Engine;
use marketfeed::{Exchange, Symbol, Timestamp};
use marketfeed::{FeedEvent, StreamKind, Subscription};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Stream {
    /// Signalled when the client has fetched its REST snapshot.
    fetched: tokio::sync::Notify,
    snapshot: String,
    frames: Vec<String>,
    last_id: u64,
    paced: bool,
}

fn stream(n: usize, seed: u64, paced: bool) -> Stream {
    let mut market = SyntheticMarket::new(MarketConfig {
        seed,
        ..MarketConfig::default()
    });
    // Frame 0, then the snapshot (taken after it, as the venue would serve it), then the rest.
    let mut id = 1_000_000u64;
    let mut frames = Vec::with_capacity(n);
    let mut snapshot = String::new();
    for i in 0..n {
        let step = market.step();
        let first = id + 1;
        id += step.changes() as u64;
        frames.push(enc::depth_update(
            &market,
            "BTCUSDT",
            1_700_000_000_000 + i as u64,
            first,
            id,
            &step,
        ));
        if i == 0 {
            snapshot = enc::rest_snapshot(&market, id, 5000);
        }
    }
    Stream {
        fetched: tokio::sync::Notify::new(),
        snapshot,
        frames,
        last_id: id,
        paced,
    }
}

async fn depth(data: web::Data<Arc<Stream>>) -> HttpResponse {
    data.fetched.notify_one();
    HttpResponse::Ok()
        .content_type("application/json")
        .body(data.snapshot.clone())
}

async fn ws(
    req: HttpRequest,
    body: web::Payload,
    data: web::Data<Arc<Stream>>,
) -> actix_web::Result<HttpResponse> {
    let (response, mut session, incoming) = actix_ws::handle(&req, body)?;
    let data = data.get_ref().clone();
    actix_rt::spawn(async move {
        // Dropping the incoming half would end the connection: keep it for the session.
        let _incoming = incoming;
        // As on a real venue the snapshot is current: the first frame goes out, the client
        // fetches the snapshot (taken just before it), then the stream flows.
        let mut tick = actix_rt::time::interval(Duration::from_millis(1));
        for (i, f) in data.frames.iter().enumerate() {
            if i == 1 {
                let _ =
                    actix_rt::time::timeout(Duration::from_secs(5), data.fetched.notified()).await;
            }
            if data.paced && i % 2 == 0 {
                tick.tick().await;
            }
            if session.text(f.clone()).await.is_err() {
                return;
            }
        }
        // Keep the socket open until the client is done.
        actix_rt::time::sleep(Duration::from_secs(30)).await;
    });
    Ok(response)
}

struct Report {
    frames_per_sec: f64,
    views: usize,
    latencies_us: Vec<f64>,
    /// Received by the connection actor -> published by the book actor.
    engine_us: Vec<f64>,
}

async fn run(data: Stream) -> Report {
    let data = Arc::new(data);
    let n = data.frames.len();
    let last_id = data.last_id;
    let shared = web::Data::new(data);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .route("/binance/stream", web::get().to(ws))
            .route("/binance/api/v3/depth", web::get().to(depth))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    let engine = Engine::builder()
        .arbiters(1)
        .endpoint(
            Exchange::Binance,
            Endpoint {
                ws: format!("ws://{addr}/binance"),
                rest: Some(format!("http://{addr}/binance")),
            },
        )
        .start()
        .expect("engine");
    let btc = Symbol::parse("BTC-USDT").unwrap();
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Binance, btc)
                .kind(StreamKind::Book)
                .depth(10),
        )
        .await
        .expect("subscribe");
    let mut latencies = Vec::with_capacity(n);
    let mut engine_part = Vec::with_capacity(n);
    let mut first: Option<Instant> = None;
    let mut views = 0;
    loop {
        let event = actix_rt::time::timeout(Duration::from_secs(60), feed.recv()).await;
        let Ok(Some(FeedEvent::Book(b))) = event else {
            panic!("stream stalled: {event:?}")
        };
        let now = Timestamp::now();
        first.get_or_insert_with(Instant::now);
        views += 1;
        let lat = now
            .as_unix_nanos()
            .saturating_sub(b.received_at.as_unix_nanos());
        latencies.push(lat as f64 / 1000.0);
        let engine_ns = b
            .published_at
            .as_unix_nanos()
            .saturating_sub(b.received_at.as_unix_nanos());
        engine_part.push(engine_ns as f64 / 1000.0);
        if b.last_update_id == Some(last_id) {
            break;
        }
    }
    let elapsed = first.map_or(Duration::ZERO, |f| f.elapsed());
    engine.shutdown().await;
    handle.stop(false).await;
    Report {
        frames_per_sec: n as f64 / elapsed.as_secs_f64().max(1e-9),
        views,
        latencies_us: latencies,
        engine_us: engine_part,
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn summary(name: &str, r: &mut Report, frames: usize) {
    r.latencies_us.sort_by(|a, b| a.total_cmp(b));
    r.engine_us.sort_by(|a, b| a.total_cmp(b));
    let e = &r.engine_us;
    let l = &r.latencies_us;
    println!(
        "{name:<10} frames {frames:>7}  {:>9.0} frames/s  views {:>7}  latency µs p50 {:>7.1} p90 {:>7.1} p99 {:>7.1} p99.9 {:>7.1} max {:>8.1}",
        r.frames_per_sec,
        r.views,
        pct(l, 0.50),
        pct(l, 0.90),
        pct(l, 0.99),
        pct(l, 0.999),
        l.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "{:<10} of which received -> published (engine) p50 {:>7.1} p90 {:>7.1} p99 {:>7.1}",
        "",
        pct(e, 0.50),
        pct(e, 0.90),
        pct(e, 0.99)
    );
}

fn main() {
    let mut frames = 100_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--frames" {
            frames = args.next().and_then(|v| v.parse().ok()).unwrap_or(frames);
        }
    }
    // `cargo test --benches` runs benches with `--bench` absent; keep that quick.
    if std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench") {
        frames = frames.min(2_000);
    }
    let system = actix_rt::System::new();
    system.block_on(async move {
        for round in 1..=3 {
            let mut r = run(stream(frames, round, false)).await;
            summary(&format!("saturated{round}"), &mut r, frames);
        }
        let paced = (frames / 10).max(1000);
        for round in 1..=3 {
            let mut r = run(stream(paced, 10 + round, true)).await;
            summary(&format!("paced{round}"), &mut r, paced);
        }
    });
}
