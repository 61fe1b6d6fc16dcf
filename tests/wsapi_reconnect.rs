//! Connection loss: in-flight requests fail with `Disconnected` (never hang), the session
//! reconnects with backoff, logs on again, and serves requests afterwards.

mod wsapi_common;

use std::time::Duration;

use marketfeed::wsapi::{ConnectionStatus, WsApiClient, WsApiConfig, WsApiError};
use wsapi_common::*;

#[actix_rt::test]
async fn dropped_connection_fails_in_flight_reconnects_and_logs_on_again() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock).credentials(ed25519_creds()))
        .await
        .unwrap();
    assert_eq!(sim.stats().logons, 1);

    sim.delay_method("account.status", Duration::from_secs(5));
    let in_flight = {
        let c = client.clone();
        actix_rt::spawn(async move { c.account_status().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    sim.drop_connections();
    let res = tokio::time::timeout(Duration::from_secs(2), in_flight)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.unwrap_err(), WsApiError::Disconnected);
    assert!(started.elapsed() < Duration::from_secs(1));
    sim.delay_method("account.status", Duration::ZERO);

    let s = tokio::time::timeout(
        Duration::from_secs(3),
        client
            .wait_for(|s| s.status == ConnectionStatus::Ready && s.reconnects == 1 && s.logged_on),
    )
    .await
    .unwrap();
    assert!(s.logged_on);
    let stats = sim.stats();
    assert_eq!(stats.connections, 2);
    assert_eq!(stats.logons, 2, "logged on again after the reconnect");
    // Signed through the new session (no per-request signature).
    client.account_status().await.unwrap();
    assert_eq!(
        sim.stats().signatures_ok,
        2,
        "only the two logons were signed"
    );
}

#[actix_rt::test]
async fn requests_during_reconnect_wait_and_succeed() {
    let clock = clock();
    let sim = sim(&clock);
    let mut cfg = config(&sim, &clock);
    cfg.reconnect_base = Duration::from_millis(400); // a visible reconnecting phase
    let client = WsApiClient::connect(cfg).await.unwrap();
    sim.drop_connections();
    let s = tokio::time::timeout(
        Duration::from_secs(2),
        client.wait_for(|s| s.status == ConnectionStatus::Connecting),
    )
    .await
    .unwrap();
    assert_eq!(s.status, ConnectionStatus::Connecting);
    // Issued while reconnecting: queued, then sent on the new connection.
    let res = tokio::time::timeout(Duration::from_secs(3), client.time())
        .await
        .unwrap();
    assert_eq!(res.unwrap().server_time, T0);
    assert!(sim.stats().connections >= 2);
}

#[actix_rt::test]
async fn connect_failure_is_reported_at_start() {
    // A port nobody listens on (bind, read the port, close).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = WsApiConfig::new(format!("ws://127.0.0.1:{port}/ws-api/v3"));
    cfg.connect_timeout = Duration::from_secs(1);
    let err = WsApiClient::connect(cfg).await.unwrap_err();
    assert!(
        matches!(err, WsApiError::Protocol(ref m) if m.contains("connect")),
        "{err}"
    );
}

#[actix_rt::test]
async fn server_stop_then_stop_session_fails_everything_cleanly() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock)).await.unwrap();
    sim.stop().await;
    let s = tokio::time::timeout(
        Duration::from_secs(2),
        client.wait_for(|s| s.status == ConnectionStatus::Connecting),
    )
    .await
    .unwrap();
    assert_eq!(s.status, ConnectionStatus::Connecting);
    client.stop().await;
    assert_eq!(client.ping().await, Err(WsApiError::Stopped));
    assert_eq!(client.state().status, ConnectionStatus::Stopped);
}

#[actix_rt::test]
async fn silent_connection_is_detected_by_idle_timeout_and_replaced() {
    let clock = clock();
    let sim = sim_with(&clock, |c| c.ping_interval = Duration::from_millis(50));
    let mut cfg = config(&sim, &clock).credentials(hmac_creds());
    cfg.idle_timeout = Duration::from_millis(300);
    let client = WsApiClient::connect(cfg).await.unwrap();
    // Server pings keep an otherwise idle connection alive past the idle timeout.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(client.state().reconnects, 0);
    assert_eq!(sim.stats().connections, 1);

    sim.freeze_connections();
    let in_flight = client.time();
    let res = tokio::time::timeout(Duration::from_secs(2), in_flight)
        .await
        .unwrap();
    assert_eq!(
        res.unwrap_err(),
        WsApiError::Disconnected,
        "failed by the idle detection, not hung"
    );
    let s = tokio::time::timeout(
        Duration::from_secs(2),
        client.wait_for(|s| s.status == ConnectionStatus::Ready && s.reconnects == 1),
    )
    .await
    .unwrap();
    assert_eq!(s.reconnects, 1);
    assert_eq!(sim.stats().connections, 2);
    client.account_status().await.unwrap();
}

#[actix_rt::test]
async fn server_shutdown_moves_to_a_new_connection_without_failing_requests() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock).credentials(ed25519_creds()))
        .await
        .unwrap();
    sim.delay_method("account.status", Duration::from_millis(300));
    let in_flight = {
        let c = client.clone();
        actix_rt::spawn(async move { c.account_status().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    sim.announce_shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Issued while draining: waits for the new connection.
    let during = client.time().await.unwrap();
    assert_eq!(during.server_time, T0);
    in_flight
        .await
        .unwrap()
        .expect("the in-flight request completes on the old connection");
    let s = client.wait_for(|s| s.reconnects == 1 && s.logged_on).await;
    assert_eq!(s.status, ConnectionStatus::Ready);
    let stats = sim.stats();
    assert_eq!(stats.connections, 2);
    assert_eq!(stats.logons, 2);
}
