//! Session against the simulator: signed requests accepted, wrong keys and stale timestamps
//! rejected with the exchange's errors, typed methods, out-of-order responses matched by id,
//! server pings answered.

mod wsapi_common;

use std::time::Duration;

use marketfeed::sim::TEST_HMAC_API_KEY;
use marketfeed::wsapi::{
    ConnectionStatus, Credentials, NewOrder, OrderRef, Side, WsApiClient, WsApiError,
};
use serde_json::json;
use wsapi_common::*;

#[actix_rt::test]
async fn hmac_signed_requests_accepted_and_typed_methods_work() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock).credentials(hmac_creds()))
        .await
        .unwrap();
    assert_eq!(client.state().status, ConnectionStatus::Ready);
    assert!(!client.state().logged_on, "HMAC keys cannot log on");

    client.ping().await.unwrap();
    assert_eq!(client.time().await.unwrap().server_time, T0);
    let info = client.exchange_info(Some("BTCUSDT")).await.unwrap();
    assert_eq!(info.symbols[0].symbol, "BTCUSDT");
    let depth = client.depth("BTCUSDT", Some(5)).await.unwrap();
    assert_eq!(depth.bids.len(), 5);
    assert!(depth.bids[0].price < depth.asks[0].price);
    assert_eq!(
        client
            .ticker_price("BTCUSDT")
            .await
            .unwrap()
            .price
            .to_string(),
        "52000.00000000"
    );

    let account = client.account_status().await.unwrap();
    assert!(account.can_trade);
    let order = NewOrder::limit(
        "BTCUSDT",
        Side::Buy,
        "51000.00".parse().unwrap(),
        "0.01".parse().unwrap(),
    );
    client.order_test(&order).await.unwrap();
    let placed = client.order_place(&order).await.unwrap();
    assert_eq!(placed.status.as_deref(), Some("NEW"));
    let open = client.open_orders(Some("BTCUSDT")).await.unwrap();
    assert_eq!(open.len(), 1);
    let st = client
        .order_status("BTCUSDT", &OrderRef::Id(placed.order_id))
        .await
        .unwrap();
    assert_eq!(st.client_order_id, placed.client_order_id);
    let cancelled = client
        .order_cancel("BTCUSDT", &OrderRef::Id(placed.order_id))
        .await
        .unwrap();
    assert_eq!(cancelled.status.as_deref(), Some("CANCELED"));
    let again = client
        .order_cancel("BTCUSDT", &OrderRef::Id(placed.order_id))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some(-2011));

    // The simulator verified each signature with its own code path.
    let stats = sim.stats();
    assert_eq!(stats.signatures_ok, 7, "{stats:?}");
    assert_eq!(stats.signatures_bad, 0);

    // Usage is visible in the state.
    let usage = client.state();
    let w = usage
        .usage_of(marketfeed::wsapi::RateLimitKind::RequestWeight)
        .unwrap();
    assert_eq!(w.limit, 6000);
    assert_eq!(w.count, stats.max_weight_count);
    client.stop().await;
    assert_eq!(client.ping().await, Err(WsApiError::Stopped));
}

#[actix_rt::test]
async fn order_rejected_with_exchange_code() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock).credentials(hmac_creds()))
        .await
        .unwrap();
    let huge = NewOrder::market("BTCUSDT", Side::Buy, "5000".parse().unwrap());
    let err = client.order_place(&huge).await.unwrap_err();
    assert_eq!(
        err,
        WsApiError::Api {
            status: 400,
            code: -2010,
            msg: "Account has insufficient balance for requested action.".into()
        }
    );
    assert!(err.is_terminal());
    let bad = client.ticker_price("NOPE").await.unwrap_err();
    assert_eq!(bad.code(), Some(-1121));
}

#[actix_rt::test]
async fn wrong_secret_is_rejected_by_the_exchange() {
    let clock = clock();
    let sim = sim(&clock);
    let wrong = Credentials::hmac(TEST_HMAC_API_KEY, "notTheSecret").unwrap();
    let client = WsApiClient::connect(config(&sim, &clock).credentials(wrong))
        .await
        .unwrap();
    let err = client.account_status().await.unwrap_err();
    assert_eq!(
        err,
        WsApiError::Api {
            status: 400,
            code: -1022,
            msg: "Signature for this request is not valid.".into()
        }
    );
    assert!(err.is_terminal());
    assert_eq!(sim.stats().signatures_bad, 1);
    // Public methods still work.
    client.ping().await.unwrap();
}

#[actix_rt::test]
async fn wrong_ed25519_key_fails_at_start_not_on_first_order() {
    let clock = clock();
    let sim = sim(&clock);
    let other_seed = [7u8; 32];
    let key = marketfeed::wsapi::SigningKey::ed25519_from_bytes(&other_seed);
    let creds = Credentials::new(marketfeed::sim::TEST_ED25519_API_KEY, key).unwrap();
    let err = WsApiClient::connect(config(&sim, &clock).credentials(creds))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(-1022), "{err}");
}

#[actix_rt::test]
async fn ed25519_session_logs_on_and_signs_by_session() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock).credentials(ed25519_creds()))
        .await
        .unwrap();
    assert!(client.state().logged_on);
    assert_eq!(sim.stats().logons, 1);
    let status = client.session_status().await.unwrap();
    assert_eq!(
        status.api_key.as_deref(),
        Some(marketfeed::sim::TEST_ED25519_API_KEY)
    );
    // Signed by the session: no per-request signature is sent.
    client.account_status().await.unwrap();
    assert_eq!(
        sim.stats().signatures_ok,
        1,
        "only the logon carried a signature"
    );

    // User data stream: order events arrive on user_events().
    let mut events = client.user_events();
    assert_eq!(
        client.user_data_subscribe().await.unwrap().subscription_id,
        0
    );
    let order = NewOrder::market("ETHUSDT", Side::Sell, "0.5".parse().unwrap());
    let placed = client.order_place(&order).await.unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(2), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev["e"], "executionReport");
    assert_eq!(ev["i"], placed.order_id);

    // After logout, signed requests carry apiKey + signature again.
    let out = client.session_logout().await.unwrap();
    assert_eq!(out.api_key, None);
    assert!(!client.state().logged_on);
    client.account_status().await.unwrap();
    assert_eq!(sim.stats().signatures_ok, 2);
}

#[actix_rt::test]
async fn stale_and_future_timestamps_rejected() {
    let clock = clock();
    let sim = sim(&clock);
    let mut cfg = config(&sim, &clock).credentials(hmac_creds());
    cfg.recv_window_ms = Some(1_000);
    let client = WsApiClient::connect(cfg).await.unwrap();
    client.account_status().await.unwrap();
    sim.set_clock_offset_ms(1_500); // server ahead: our timestamp is 1.5 s old
    let err = client.account_status().await.unwrap_err();
    assert_eq!(err.code(), Some(-1021));
    assert!(!err.is_terminal(), "fix the clock and retry");
    sim.set_clock_offset_ms(-1_000); // server behind: our timestamp is 1 s ahead
    assert_eq!(
        client.account_status().await.unwrap_err().code(),
        Some(-1021)
    );
    sim.set_clock_offset_ms(-999);
    client.account_status().await.unwrap();
}

#[actix_rt::test]
async fn responses_out_of_order_are_matched_by_id() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock)).await.unwrap();
    sim.reorder_next(3);
    let (a, b, c) = tokio::join!(
        client.time(),
        client.ticker_price("ETHUSDT"),
        client.depth("BTCUSDT", Some(3))
    );
    assert_eq!(a.unwrap().server_time, T0);
    assert_eq!(b.unwrap().symbol, "ETHUSDT");
    assert_eq!(c.unwrap().asks.len(), 3);
    assert_eq!(
        sim.stats().reordered,
        3,
        "the simulator really reversed them"
    );

    // A slow response does not hold back a fast one.
    sim.delay_method("time", Duration::from_millis(300));
    let slow = async { (client.time().await, std::time::Instant::now()) };
    let fast = async {
        let p = json!({"symbol":"BNBBTC"}).as_object().cloned();
        (
            client.request("ticker.price", p).await,
            std::time::Instant::now(),
        )
    };
    let ((slow, slow_at), (fast, fast_at)) = tokio::join!(slow, fast);
    assert_eq!(fast.unwrap()["symbol"], "BNBBTC");
    assert_eq!(slow.unwrap().server_time, T0);
    assert!(fast_at < slow_at, "the later request was answered first");
}

#[actix_rt::test]
async fn request_times_out_without_hanging() {
    let clock = clock();
    let sim = sim(&clock);
    let mut cfg = config(&sim, &clock);
    cfg.request_timeout = Duration::from_millis(200);
    let client = WsApiClient::connect(cfg).await.unwrap();
    sim.delay_method("time", Duration::from_secs(2));
    let started = std::time::Instant::now();
    assert_eq!(client.time().await.unwrap_err(), WsApiError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(1));
    client.ping().await.unwrap();
}

#[actix_rt::test]
async fn server_pings_are_answered() {
    let clock = clock();
    let sim = sim_with(&clock, |c| c.ping_interval = Duration::from_millis(50));
    let client = WsApiClient::connect(config(&sim, &clock)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(sim.stats().pongs >= 2, "{:?}", sim.stats());
    client.ping().await.unwrap();
}

#[actix_rt::test]
async fn signed_method_without_credentials_is_a_clear_error() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock)).await.unwrap();
    let err = client.account_status().await.unwrap_err();
    assert!(matches!(err, WsApiError::Credentials(_)), "{err}");
    assert!(err.is_terminal());
    assert_eq!(sim.stats().requests, 0, "nothing was sent");
    let hmac = WsApiClient::connect(config(&sim, &clock).credentials(hmac_creds()))
        .await
        .unwrap();
    assert!(matches!(
        hmac.user_data_subscribe().await,
        Err(WsApiError::Credentials(_))
    ));
}

#[actix_rt::test]
async fn rsa_signed_requests_accepted() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wsapi");
    let private = std::fs::read_to_string(format!("{dir}/rsa_test_key.pem")).unwrap();
    let public = std::fs::read_to_string(format!("{dir}/rsa_test_key.pub.pem")).unwrap();
    let clock = clock();
    let sim = sim_with(&clock, |c| {
        c.keys.push((
            "rsaKey1".into(),
            marketfeed::sim::SimKey::RsaPublicPem(public),
        ))
    });
    let key = marketfeed::wsapi::SigningKey::rsa_from_pem(&private).unwrap();
    let creds = Credentials::new("rsaKey1", key).unwrap();
    let client = WsApiClient::connect(config(&sim, &clock).credentials(creds))
        .await
        .unwrap();
    client.account_status().await.unwrap();
    assert_eq!(sim.stats().signatures_ok, 1);
    // RSA keys cannot log on.
    assert!(matches!(
        client.session_logon().await,
        Err(WsApiError::Credentials(_))
    ));
}

#[actix_rt::test]
async fn time_sync_corrects_a_skewed_local_clock() {
    let clock = clock();
    let sim = sim(&clock);
    sim.set_clock_offset_ms(10_000); // the server is 10 s ahead of us
    let plain = WsApiClient::connect(config(&sim, &clock).credentials(hmac_creds()))
        .await
        .unwrap();
    assert_eq!(
        plain.account_status().await.unwrap_err().code(),
        Some(-1021)
    );

    let mut cfg = config(&sim, &clock).credentials(ed25519_creds());
    cfg.sync_time = true;
    let synced = WsApiClient::connect(cfg).await.unwrap();
    assert!(
        synced.state().logged_on,
        "the logon timestamp was corrected too"
    );
    synced.account_status().await.unwrap();
}
