//! The README's core example compiles and behaves as its comment says.

use marketfeed::prelude::*;

#[test]
fn readme_core_example() -> Result<(), Box<dyn std::error::Error>> {
    let t = Timestamp::from_unix_millis(1_633_998_512_568);
    let frame = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":101,"u":102,"b":[["100.5","2"]],"a":[]}}"#;
    let mut tracker = BookTracker::new(
        Exchange::Binance,
        Symbol::parse("btcusdt")?,
        TrackerConfig::default(),
    );
    let mut outcomes = Vec::new();
    for msg in marketfeed::exchange::parse(Exchange::Binance, frame, t)? {
        if let Message::Market(MarketEvent::Delta(d)) = msg {
            tracker.on_delta(d, &mut outcomes);
        }
    }
    assert_eq!(outcomes, vec![Outcome::Buffered, Outcome::FetchSnapshot]);
    Ok(())
}

/// The README's engine example, compiled (not run: it connects to the real exchanges).
#[allow(dead_code)]
async fn readme_engine_example() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::builder().start()?; // production endpoints by default
    let markets: Vec<Market> = vec!["binance:BTC-USDT".parse()?, "kraken:BTC/USD".parse()?];
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .markets(markets)
                .kinds([StreamKind::Book, StreamKind::Trades, StreamKind::Status])
                .depth(5),
        )
        .await?;
    while let Some(event) = feed.recv().await {
        match event {
            FeedEvent::Book(b) => println!("{} {:?}", b.market(), b.view.best_bid()),
            FeedEvent::Trade(t) => println!("{} trade {} @ {}", t.market(), t.qty, t.price),
            FeedEvent::Status(s) => println!("{} {:?}: {:?}", s.exchange, s.symbol, s.status),
            _ => {}
        }
    }
    Ok(())
}

/// The README's simulator example.
#[actix_rt::test]
async fn readme_simulator_example() -> std::io::Result<()> {
    use marketfeed::sim::{SimConfig, Simulator};
    let sim = Simulator::start(SimConfig::default()).await?;
    assert!(sim
        .ws_base(Exchange::Binance)
        .starts_with("ws://127.0.0.1:"));
    let engine = marketfeed::Engine::builder()
        .endpoints(sim.endpoints())
        .start()
        .unwrap();
    sim.faults()
        .skip_update(marketfeed::Exchange::Binance, &"BTC-USDT".parse().unwrap());
    engine.shutdown().await;
    sim.stop();
    Ok(())
}

/// The README's TLS simulator example (production endpoints resolved to the simulator),
/// compiled; `tests/dress_rehearsal.rs` runs the same setup.
#[cfg(feature = "sim")]
#[allow(dead_code)]
async fn readme_tls_simulator_example() -> Result<(), Box<dyn std::error::Error>> {
    use marketfeed::sim::{SimConfig, SimTls, Simulator};
    let sim = Simulator::start(SimConfig {
        tls: Some(SimTls::generate(&[])?),
        ..SimConfig::default()
    })
    .await?;
    let mut builder = marketfeed::Engine::builder().root_certificate(sim.ca_pem().unwrap());
    for (host, port, addr) in sim.production_resolves() {
        builder = builder.resolve(&host, port, addr);
    }
    let _engine = builder.start()?;
    Ok(())
}
