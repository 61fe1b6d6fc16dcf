//! Rate-limit control against the simulator, with the manual clock (no sleeping for a
//! minute): local refusal before the server would reject, recovery at the window rollover,
//! 429 `retryAfter` and 418 bans honoured, order limits, and the status stream.

mod wsapi_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use marketfeed::wsapi::{ConnectionStatus, NewOrder, RateLimitKind, Side, WsApiClient, WsApiError};
use wsapi_common::*;

const MINUTE_START: u64 = T0 - 1_000;

#[actix_rt::test]
async fn exhausting_request_weight_goes_out_of_service_locally_then_recovers() {
    let clock = clock();
    let sim = sim_with(&clock, |c| c.request_weight_per_minute = 30);
    let client = WsApiClient::connect(config(&sim, &clock)).await.unwrap();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut stream = client.state_stream();
    let seen2 = seen.clone();
    actix_rt::spawn(async move {
        while let Some(s) = stream.next().await {
            seen2.lock().unwrap().push(s.status);
        }
    });

    let mut ok = 0;
    let err = loop {
        match client.ping().await {
            Ok(()) => ok += 1,
            Err(e) => break e,
        }
        assert!(ok <= 30, "never refused locally");
    };
    // Connecting cost 2, each ping 1: 28 pings fit in 30.
    assert_eq!(ok, 28);
    assert_eq!(
        err,
        WsApiError::RateLimited {
            retry_after: MINUTE_START + 60_000,
            limit: RateLimitKind::RequestWeight
        }
    );
    let stats = sim.stats();
    assert_eq!(stats.requests, 28, "the refused request never left");
    assert_eq!(stats.rejected_429, 0);
    assert_eq!(stats.rejected_418, 0);
    assert_eq!(
        stats.max_weight_count, 30,
        "the server limit was reached, never exceeded"
    );
    let state = client.state();
    assert_eq!(
        state.status,
        ConnectionStatus::OutOfService {
            until: MINUTE_START + 60_000
        }
    );
    assert!(!state.orders_allowed);
    let w = state.usage_of(RateLimitKind::RequestWeight).unwrap();
    assert_eq!((w.count, w.limit), (30, 30));

    // Still out of service one millisecond before the rollover.
    clock.set(MINUTE_START + 59_999);
    assert!(matches!(
        client.ping().await,
        Err(WsApiError::RateLimited { .. })
    ));
    // The window rolls over: back in service without any request being needed.
    clock.set(MINUTE_START + 60_000);
    let s = tokio::time::timeout(
        Duration::from_secs(2),
        client.wait_for(|s| s.status == ConnectionStatus::Ready),
    )
    .await
    .unwrap();
    assert_eq!(s.status, ConnectionStatus::Ready);
    client.ping().await.unwrap();
    assert_eq!(sim.stats().rejected_429, 0);

    // The status stream showed Ready -> OutOfService -> Ready.
    let went_out_and_back = |seen: &[ConnectionStatus]| {
        let out = seen
            .iter()
            .position(|s| matches!(s, ConnectionStatus::OutOfService { .. }));
        let back = seen.iter().rposition(|s| *s == ConnectionStatus::Ready);
        matches!((out, back), (Some(o), Some(b)) if o < b)
    };
    for _ in 0..100 {
        if went_out_and_back(&seen.lock().unwrap()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = seen.lock().unwrap().clone();
    assert!(went_out_and_back(&seen), "{seen:?}");
}

#[actix_rt::test]
async fn server_429_retry_after_is_honoured() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock)).await.unwrap();
    client.ping().await.unwrap();
    sim.force_429(5_000);
    let err = client.ping().await.unwrap_err();
    assert_eq!(
        err,
        WsApiError::RateLimited {
            retry_after: T0 + 5_000,
            limit: RateLimitKind::RequestWeight
        }
    );
    assert!(!err.is_terminal());
    assert_eq!(
        client.state().status,
        ConnectionStatus::OutOfService { until: T0 + 5_000 }
    );

    // Nothing is sent during the period (sending would earn a 418 ban).
    let before = sim.stats().requests;
    clock.advance(4_999);
    assert!(matches!(
        client.time().await,
        Err(WsApiError::RateLimited { .. })
    ));
    assert_eq!(sim.stats().requests, before);
    clock.advance(1);
    client.ping().await.unwrap();
    assert_eq!(sim.stats().rejected_418, 0);
}

#[actix_rt::test]
async fn server_418_ban_is_honoured() {
    let clock = clock();
    let sim = sim_with(&clock, |c| c.ban_ms = 120_000);
    let a = WsApiClient::connect(config(&sim, &clock)).await.unwrap();
    let b = WsApiClient::connect(config(&sim, &clock)).await.unwrap();
    sim.force_429(5_000);
    assert!(matches!(
        a.ping().await,
        Err(WsApiError::RateLimited { .. })
    ));
    // `b` shares the IP but has not seen the 429: the server bans.
    let err = b.ping().await.unwrap_err();
    assert_eq!(
        err,
        WsApiError::Banned {
            until: T0 + 120_000
        }
    );
    let before = sim.stats().requests;
    clock.advance(60_000);
    assert_eq!(
        b.ping().await,
        Err(WsApiError::Banned {
            until: T0 + 120_000
        })
    );
    assert_eq!(sim.stats().requests, before, "nothing sent while banned");
    assert_eq!(
        b.state().status,
        ConnectionStatus::OutOfService {
            until: T0 + 120_000
        }
    );
    clock.set(T0 + 120_000);
    b.ping().await.unwrap();
}

#[actix_rt::test]
async fn orders_limit_blocks_orders_but_not_queries() {
    let clock = clock();
    let sim = sim_with(&clock, |c| c.orders_per_10s = 3);
    let client = WsApiClient::connect(config(&sim, &clock).credentials(hmac_creds()))
        .await
        .unwrap();
    assert!(client.state().orders_allowed);
    let order = NewOrder::limit(
        "BTCUSDT",
        Side::Buy,
        "50000".parse().unwrap(),
        "0.001".parse().unwrap(),
    );
    for _ in 0..3 {
        client.order_place(&order).await.unwrap();
    }
    let s = client.state();
    assert!(!s.orders_allowed);
    assert_eq!(
        s.status,
        ConnectionStatus::Ready,
        "queries are still allowed"
    );
    let err = client.order_place(&order).await.unwrap_err();
    assert_eq!(
        err,
        WsApiError::RateLimited {
            retry_after: MINUTE_START + 10_000,
            limit: RateLimitKind::Orders
        }
    );
    client.open_orders(Some("BTCUSDT")).await.unwrap();
    assert_eq!(sim.stats().rejected_429, 0);
    clock.set(MINUTE_START + 10_000);
    let s = tokio::time::timeout(
        Duration::from_secs(2),
        client.wait_for(|s| s.orders_allowed),
    )
    .await
    .unwrap();
    assert!(s.orders_allowed);
    client.order_place(&order).await.unwrap();
}
