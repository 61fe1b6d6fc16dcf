//! Dress rehearsal: the engine with its **unchanged production endpoints** (no `endpoints()`),
//! every production host resolved to the simulator serving TLS with a generated test CA, for
//! every venue (Binance spot with REST snapshots over https, Binance USD-M on its routed
//! paths, Kraken v2, Poloniex v3, OKX v5 spot and swap on `ws.okx.com:8443`) and the WS API
//! session. Plus what a user meets when the setup is wrong: an untrusted certificate, an
//! unreachable host, a bad endpoint URL.
#![cfg(feature = "sim")]

mod engine_common;

use engine_common::*;
use marketfeed::exchange::session::Endpoint;
use marketfeed::sim::{SimConfig, SimTls, Simulator, WsApiSim, WsApiSimConfig};
use marketfeed::wsapi::{SystemClock, WsApiClient, WsApiConfig, WsApiError};
use marketfeed::Backoff;
use marketfeed::EngineError;
use marketfeed::{BookState, FeedEvent, FeedStatus, StreamKind, Subscription};
use marketfeed::{Engine, EngineBuilder};
use marketfeed::{Exchange, Symbol};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Every venue's markets, TLS on.
async fn tls_simulator() -> Simulator {
    let btc = vec![sym("BTC-USDT")];
    let config = SimConfig {
        binance: vec![sym("BTC-USDT"), sym("ETH-USDT")],
        binance_usdm: btc.clone(),
        kraken: btc.clone(),
        poloniex: btc.clone(),
        okx: vec![sym("BTC-USDT"), sym("BTC-USDT-SWAP")],
        // No stream snapshot: OKX books go live only through the REST order book on
        // https://www.okx.com (the 2026 procedure), so that path runs over TLS too.
        okx_ws_snapshot: false,
        tls: Some(SimTls::generate(&[]).expect("test CA")),
        ..sim_config(&[])
    };
    Simulator::start(config).await.expect("simulator starts")
}

/// An engine on production endpoints with every production host resolved to `sim`.
fn production_builder(sim: &Simulator) -> EngineBuilder {
    let mut b = Engine::builder()
        .backoff(Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(500),
        })
        .arbiters(2);
    for (host, port, addr) in sim.production_resolves() {
        b = b.resolve(&host, port, addr);
    }
    b
}

fn all_markets() -> Vec<(Exchange, Symbol)> {
    vec![
        (Exchange::Binance, sym("BTC-USDT")),
        (Exchange::Binance, sym("ETH-USDT")),
        (Exchange::BinanceUsdM, sym("BTC-USDT")),
        (Exchange::Kraken, sym("BTC-USDT")),
        (Exchange::Poloniex, sym("BTC-USDT")),
        (Exchange::Okx, sym("BTC-USDT")),
        (Exchange::Okx, sym("BTC-USDT-SWAP")),
    ]
}

#[actix_rt::test]
async fn every_venue_runs_its_production_urls_over_tls() {
    let sim = tls_simulator().await;
    let ca = sim.ca_pem().expect("TLS on").to_string();
    let engine = production_builder(&sim)
        .root_certificate(&ca)
        .start()
        .unwrap();
    let markets = all_markets();
    let mut sub = Subscription::new()
        .kinds([StreamKind::Status, StreamKind::Trades])
        .capacity(1 << 16);
    for (e, s) in &markets {
        sub = sub.market(*e, s.clone());
    }
    let mut feed = engine.subscribe(sub).await.unwrap();
    wait_all_live(&mut feed, Duration::from_secs(20), &markets).await;
    for (e, s) in &markets {
        assert_book_matches_truth(&engine, &sim, *e, s, 10).await;
    }
    // Trades of every venue arrive, USD-M's from its `/market` path (the simulator, like
    // the venue, silently withholds `@aggTrade` on `/public`).
    let mut seen: HashMap<Exchange, u64> = HashMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while seen.len() < 5 && std::time::Instant::now() < deadline {
        if let Ok(Some(FeedEvent::Trade(t))) =
            actix_rt::time::timeout(Duration::from_millis(200), feed.recv()).await
        {
            let sent = sim.trades_sent(t.meta.exchange, &t.meta.symbol);
            assert!(
                sent.iter()
                    .any(|x| Some(x.id) == t.id && x.price == t.price && x.qty == t.qty),
                "{} trade {:?} is not one the simulator sent",
                t.meta.exchange,
                t.id
            );
            *seen.entry(t.meta.exchange).or_default() += 1;
        }
    }
    for e in [
        Exchange::Binance,
        Exchange::BinanceUsdM,
        Exchange::Kraken,
        Exchange::Poloniex,
        Exchange::Okx,
    ] {
        assert!(seen.contains_key(&e), "no trade from {e}: {seen:?}");
    }
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn ws_api_session_runs_its_production_url_over_tls() {
    let tls = SimTls::generate(&[]).unwrap();
    let mut cfg = WsApiSimConfig::new(Arc::new(SystemClock));
    cfg.tls = Some(tls.clone());
    let api = WsApiSim::start(cfg).unwrap();
    let (host, port) = ("ws-api.binance.com", 443);
    let client = WsApiClient::connect(
        WsApiConfig::production()
            .root_certificate(tls.ca_pem())
            .resolve(host, port, api.addr()),
    )
    .await
    .expect("session over TLS on the production URL");
    client.ping().await.unwrap();
    let t = client.time().await.unwrap();
    assert!(t.server_time > 1_700_000_000_000);
    assert_eq!(api.stats().connections, 1);
    client.stop().await;

    // Without the CA the certificate is not trusted: a terminal configuration error.
    let err = WsApiClient::connect(WsApiConfig::production().resolve(host, port, api.addr()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WsApiError::Config(m) if m.contains("not trusted")),
        "{err:?}"
    );
    assert!(err.is_terminal());
    api.stop().await;
}

#[actix_rt::test]
async fn untrusted_certificate_is_terminal_and_not_retried() {
    let sim = tls_simulator().await;
    // The simulator's CA is not trusted: every connect fails the certificate check.
    let engine = production_builder(&sim).start().unwrap();
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Kraken, sym("BTC-USDT"))
                .kinds([StreamKind::Status]),
        )
        .await
        .unwrap();
    let e = wait_for(&mut feed, Duration::from_secs(10), "Failed", |e| {
        is_status(e, Exchange::Kraken, None, |s| {
            matches!(s, FeedStatus::Failed { .. })
        })
    })
    .await;
    let FeedEvent::Status(s) = e else {
        unreachable!()
    };
    assert!(s.status.is_terminal());
    let FeedStatus::Failed { reason } = &s.status else {
        unreachable!()
    };
    assert!(reason.contains("not trusted"), "{reason}");
    assert!(reason.contains("wss://ws.kraken.com/v2"), "{reason}");
    // The book says so too (not "resyncing": no fresh snapshot is on its way).
    let btc = sym("BTC-USDT");
    wait_for(&mut feed, Duration::from_secs(5), "book Failed", |e| {
        is_status(e, Exchange::Kraken, Some(&btc), |s| {
            matches!(s, FeedStatus::Failed { .. })
        })
    })
    .await;
    let q = engine.book(Exchange::Kraken, &btc, 5).await.unwrap();
    assert!(matches!(q.state, BookState::Failed(_)), "{}", q.state);
    // No reconnect loop: nothing but silence for a while (the backoff would retry in 50 ms).
    let quiet = actix_rt::time::timeout(Duration::from_millis(800), async {
        loop {
            match feed.recv().await {
                Some(FeedEvent::Status(s))
                    if s.symbol.is_none()
                        && matches!(
                            s.status,
                            FeedStatus::Connecting | FeedStatus::Disconnected { .. }
                        ) =>
                {
                    return s.status.clone()
                }
                Some(_) => {}
                None => std::future::pending().await,
            }
        }
    })
    .await;
    assert!(
        quiet.is_err(),
        "retried after a terminal failure: {quiet:?}"
    );
    engine.shutdown().await;
    sim.stop();
}

#[actix_rt::test]
async fn unreachable_host_keeps_the_capped_backoff() {
    // A port nobody listens on: bind, learn it, close it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let engine = Engine::builder()
        .backoff(Backoff {
            base: Duration::from_millis(40),
            max: Duration::from_millis(160),
        })
        .resolve("ws.poloniex.com", 443, closed)
        .start()
        .unwrap();
    let mut feed = engine
        .subscribe(
            Subscription::new()
                .market(Exchange::Poloniex, sym("BTC-USDT"))
                .kinds([StreamKind::Status]),
        )
        .await
        .unwrap();
    let mut attempts = Vec::new();
    while attempts.len() < 4 {
        let e = wait_for(&mut feed, Duration::from_secs(10), "Disconnected", |e| {
            is_status(e, Exchange::Poloniex, None, |s| {
                matches!(s, FeedStatus::Disconnected { .. })
            })
        })
        .await;
        let FeedEvent::Status(s) = e else {
            unreachable!()
        };
        let FeedStatus::Disconnected {
            reason,
            retry_in,
            attempt,
        } = &s.status
        else {
            unreachable!()
        };
        assert!(!s.status.is_terminal());
        assert!(
            reason.contains("wss://ws.poloniex.com/ws/public"),
            "{reason}"
        );
        let d = retry_in.expect("the supervisor knows the delay");
        attempts.push((*attempt, d));
    }
    let numbers: Vec<u32> = attempts.iter().map(|a| a.0).collect();
    assert_eq!(numbers, [1, 2, 3, 4], "{attempts:?}");
    for (n, d) in &attempts {
        // Capped exponential backoff with jitter: never above the cap, never zero.
        assert!(
            *d <= Duration::from_millis(160) && !d.is_zero(),
            "attempt {n}: {d:?}"
        );
    }
    engine.shutdown().await;
}

#[actix_rt::test]
async fn bad_endpoints_and_certificates_are_typed_errors_at_start() {
    let bad_ws = [
        "ws://",
        "ws://exa mple.com:99999/x",
        "ws://example.com:99999/x",
        "http://example.com/ws",
        "stream.binance.com:9443",
        "wss://example.com/ws?x=1",
    ];
    for ws in bad_ws {
        let r = Engine::builder()
            .endpoint(
                Exchange::Kraken,
                Endpoint {
                    ws: ws.into(),
                    rest: None,
                },
            )
            .start();
        assert!(
            matches!(&r, Err(EngineError::InvalidConfig(m)) if m.contains("kraken")),
            "{ws}: {:?}",
            r.err()
        );
    }
    let no_rest = Engine::builder()
        .endpoint(
            Exchange::BinanceUsdM,
            Endpoint {
                ws: "wss://fstream.binance.com".into(),
                rest: None,
            },
        )
        .start();
    assert!(matches!(no_rest, Err(EngineError::InvalidConfig(_))));
    let bad_rest = Engine::builder()
        .endpoint(
            Exchange::Binance,
            Endpoint {
                ws: "wss://stream.binance.com:9443".into(),
                rest: Some("wss://api.binance.com".into()),
            },
        )
        .start();
    assert!(matches!(bad_rest, Err(EngineError::InvalidConfig(_))));
    let bad_pem = Engine::builder()
        .root_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        .start();
    assert!(
        matches!(&bad_pem, Err(EngineError::InvalidConfig(m)) if m.contains("root certificate")),
        "{:?}",
        bad_pem.err()
    );
    let bad_host = Engine::builder()
        .resolve("exa mple.com", 443, "127.0.0.1:1".parse().unwrap())
        .start();
    assert!(matches!(bad_host, Err(EngineError::InvalidConfig(_))));
    // The production endpoints themselves are valid.
    assert!(Engine::builder().start().is_ok());
}

#[actix_rt::test]
async fn simulator_endpoints_cover_every_venue_so_nothing_reaches_production() {
    let sim = simulator(&[]).await;
    let endpoints = sim.endpoints();
    for e in Exchange::ALL {
        let (_, ep) = endpoints
            .iter()
            .find(|(x, _)| *x == e)
            .unwrap_or_else(|| panic!("{e} has no simulator endpoint"));
        for u in std::iter::once(&ep.ws).chain(ep.rest.as_ref()) {
            let parsed = url::Url::parse(u).unwrap();
            assert_eq!(parsed.host_str(), Some("127.0.0.1"), "{e}: {u}");
            assert_eq!(parsed.port(), Some(sim.local_addr().port()), "{e}: {u}");
        }
    }
    sim.stop();
}

#[actix_rt::test]
async fn usdm_on_simulator_endpoints_equals_the_truth_and_streams_trades() {
    let config = SimConfig {
        binance_usdm: vec![sym("BTC-USDT"), sym("ETH-USDT")],
        ..sim_config(&[])
    };
    let sim = Simulator::start(config).await.unwrap();
    let engine = engine(&sim);
    let markets = vec![
        (Exchange::BinanceUsdM, sym("BTC-USDT")),
        (Exchange::BinanceUsdM, sym("ETH-USDT")),
    ];
    let mut sub = Subscription::new()
        .kinds([StreamKind::Status, StreamKind::Trades])
        .capacity(1 << 16);
    for (e, s) in &markets {
        sub = sub.market(*e, s.clone());
    }
    let mut feed = engine.subscribe(sub).await.unwrap();
    wait_all_live(&mut feed, Duration::from_secs(15), &markets).await;
    for (e, s) in &markets {
        assert_book_matches_truth(&engine, &sim, *e, s, 10).await;
    }
    // Trades: in order, none missing, exactly the simulator's (from the `/market` path).
    let btc = sym("BTC-USDT");
    let mut got = Vec::new();
    while got.len() < 20 {
        let e = wait_for(
            &mut feed,
            Duration::from_secs(10),
            "USD-M trades",
            |e| matches!(e, FeedEvent::Trade(t) if t.meta.symbol == btc),
        )
        .await;
        let FeedEvent::Trade(t) = e else {
            unreachable!()
        };
        got.push(t.id.expect("aggTrade id"));
    }
    let sent: Vec<u64> = sim
        .trades_sent(Exchange::BinanceUsdM, &btc)
        .iter()
        .map(|t| t.id)
        .collect();
    let start = sent.iter().position(|id| *id == got[0]).expect("sent");
    assert_eq!(got, sent[start..start + got.len()]);
    // A gap in the `pu` chain resyncs that book.
    sim.faults().skip_update(Exchange::BinanceUsdM, &btc);
    wait_for(&mut feed, Duration::from_secs(10), "resync", |e| {
        is_status(e, Exchange::BinanceUsdM, Some(&btc), |s| {
            matches!(s, FeedStatus::Resyncing { .. })
        })
    })
    .await;
    assert_book_matches_truth(&engine, &sim, Exchange::BinanceUsdM, &btc, 10).await;
    engine.shutdown().await;
    sim.stop();
}
