//! User data stream: typed events of every kind, two accounts on one connection (the
//! logged-on Ed25519 account and an HMAC account subscribed by signature),
//! `session.subscriptions`, subscriptions renewed after a reconnect, and
//! `eventStreamTerminated` on unsubscribe and logout.

mod wsapi_common;

use std::time::Duration;

use marketfeed::sim::{TEST_ED25519_API_KEY, TEST_HMAC_API_KEY};
use marketfeed::wsapi::calls::{OrderListPlaceOco, OrderPlace, OrderType, Side, TimeInForce};
use marketfeed::wsapi::{UserDataEvent, UserEvent, WsApiClient};
use tokio::sync::broadcast::Receiver;
use wsapi_common::*;

async fn next(rx: &mut Receiver<UserEvent>) -> UserEvent {
    tokio::time::timeout(Duration::from_secs(3), rx.recv())
        .await
        .expect("an event within 3 s")
        .expect("channel open")
}

/// Waits for an event matching `pred`, skipping others.
async fn wait_for(rx: &mut Receiver<UserEvent>, pred: impl Fn(&UserEvent) -> bool) -> UserEvent {
    loop {
        let ev = next(rx).await;
        if pred(&ev) {
            return ev;
        }
    }
}

fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

#[actix_rt::test]
async fn two_accounts_on_one_connection_with_typed_events_and_resubscribe() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock).credentials(ed25519_creds()))
        .await
        .unwrap();
    assert!(client.state().logged_on);
    let mut events = client.user_data_events();

    let own = client.user_data_subscribe().await.unwrap();
    let other = client
        .user_data_subscribe_signature(&hmac_creds())
        .await
        .unwrap();
    assert_ne!(own.subscription_id, other.subscription_id);
    let mut ids: Vec<u64> = client
        .session_subscriptions()
        .await
        .unwrap()
        .iter()
        .map(|s| s.subscription_id)
        .collect();
    ids.sort();
    assert_eq!(ids, vec![own.subscription_id, other.subscription_id]);

    // An order of the logged-on account: executionReport NEW, then TRADE with an
    // outboundAccountPosition (market order fills at once).
    let placed = client
        .order_place(&OrderPlace::market("ETHUSDT", Side::Buy, d("0.5")))
        .await
        .unwrap();
    let ev = next(&mut events).await;
    assert_eq!(ev.subscription_id, Some(own.subscription_id));
    assert_eq!(ev.account.as_deref(), Some(TEST_ED25519_API_KEY));
    match ev.event {
        UserDataEvent::ExecutionReport(r) => {
            assert_eq!(r.order_id, placed.order_id);
            assert_eq!(r.execution_type, "NEW");
        }
        other => panic!("{other:?}"),
    }
    let pos = wait_for(&mut events, |e| {
        matches!(e.event, UserDataEvent::AccountPosition(_))
    })
    .await;
    assert_eq!(pos.account.as_deref(), Some(TEST_ED25519_API_KEY));

    // An order list of the other account, signed with its own key on this connection:
    // its events carry the other subscription.
    let oco = client
        .call_as(
            &OrderListPlaceOco {
                symbol: "BTCUSDT".into(),
                side: Side::Sell,
                quantity: d("0.01"),
                above_type: OrderType::LimitMaker,
                above_price: Some(d("54000")),
                below_type: OrderType::StopLossLimit,
                below_stop_price: Some(d("49000")),
                below_price: Some(d("48900")),
                below_time_in_force: Some(TimeInForce::Gtc),
                ..Default::default()
            },
            &hmac_creds(),
        )
        .await
        .unwrap();
    let ls = wait_for(&mut events, |e| {
        matches!(e.event, UserDataEvent::ListStatus(_))
    })
    .await;
    assert_eq!(ls.subscription_id, Some(other.subscription_id));
    assert_eq!(ls.account.as_deref(), Some(TEST_HMAC_API_KEY));
    match ls.event {
        UserDataEvent::ListStatus(l) => {
            assert_eq!(l.order_list_id, oco.order_list_id);
            assert_eq!(l.orders.len(), 2);
        }
        other => panic!("{other:?}"),
    }

    // Balance and external lock updates, pushed by the simulator for one account each.
    sim.balance_update(TEST_HMAC_API_KEY, "BTC", "1.50000000");
    let bu = wait_for(&mut events, |e| {
        matches!(e.event, UserDataEvent::BalanceUpdate(_))
    })
    .await;
    assert_eq!(bu.account.as_deref(), Some(TEST_HMAC_API_KEY));
    sim.external_lock_update(TEST_ED25519_API_KEY, "NEO", "10.00000000");
    let el = wait_for(&mut events, |e| {
        matches!(e.event, UserDataEvent::ExternalLockUpdate(_))
    })
    .await;
    match el.event {
        UserDataEvent::ExternalLockUpdate(x) => {
            assert_eq!((x.asset.as_str(), x.delta), ("NEO", d("10")))
        }
        other => panic!("{other:?}"),
    }

    // Reconnect: the session logs on again and renews both subscriptions by itself.
    sim.drop_connections();
    client.wait_for(|s| s.reconnects >= 1 && s.logged_on).await;
    let mut renewed = Vec::new();
    for _ in 0..100 {
        renewed = client.session_subscriptions().await.unwrap_or_default();
        if renewed.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        renewed.len(),
        2,
        "both subscriptions renewed after the reconnect"
    );
    let methods = sim.stats().methods;
    let after_drop = methods.iter().rposition(|m| m == "session.logon").unwrap();
    assert!(methods[after_drop..]
        .iter()
        .any(|m| m == "userDataStream.subscribe"));
    assert!(methods[after_drop..]
        .iter()
        .any(|m| m == "userDataStream.subscribe.signature"));
    sim.balance_update(TEST_HMAC_API_KEY, "USDT", "-5.00000000");
    let bu = wait_for(&mut events, |e| {
        matches!(e.event, UserDataEvent::BalanceUpdate(_))
    })
    .await;
    assert_eq!(
        bu.account.as_deref(),
        Some(TEST_HMAC_API_KEY),
        "routed by the renewed id"
    );
    sim.balance_update(TEST_ED25519_API_KEY, "USDT", "7.00000000");
    let bu = wait_for(&mut events, |e| {
        matches!(e.event, UserDataEvent::BalanceUpdate(_))
    })
    .await;
    assert_eq!(bu.account.as_deref(), Some(TEST_ED25519_API_KEY));

    // Unsubscribing the other account ends its stream; logout ends the logon's.
    let other_id = current_id(TEST_HMAC_API_KEY, &mut events, &sim).await;
    client.user_data_unsubscribe(Some(other_id)).await.unwrap();
    let t = wait_for(&mut events, |e| {
        matches!(e.event, UserDataEvent::EventStreamTerminated { .. })
    })
    .await;
    assert_eq!(t.subscription_id, Some(other_id));
    client.session_logout().await.unwrap();
    let t = wait_for(&mut events, |e| {
        matches!(e.event, UserDataEvent::EventStreamTerminated { .. })
    })
    .await;
    assert_ne!(t.subscription_id, Some(other_id));
    assert!(client.session_subscriptions().await.unwrap().is_empty());
}

/// The current subscription id of `account`, learnt from an event routed to it.
async fn current_id(
    account: &str,
    events: &mut Receiver<UserEvent>,
    sim: &marketfeed::sim::WsApiSim,
) -> u64 {
    sim.balance_update(account, "BTC", "0.10000000");
    let ev = wait_for(events, |e| e.account.as_deref() == Some(account)).await;
    ev.subscription_id.unwrap()
}

#[actix_rt::test]
async fn logged_on_subscription_needs_ed25519_logon() {
    let clock = clock();
    let sim = sim(&clock);
    let hmac = WsApiClient::connect(config(&sim, &clock).credentials(hmac_creds()))
        .await
        .unwrap();
    assert!(matches!(
        hmac.user_data_subscribe().await,
        Err(marketfeed::wsapi::WsApiError::Credentials(_))
    ));
    // By signature, an HMAC account can subscribe on any session.
    let sub = hmac
        .user_data_subscribe_signature(&hmac_creds())
        .await
        .unwrap();
    let mut events = hmac.user_data_events();
    hmac.order_place(&OrderPlace::limit(
        "BTCUSDT",
        Side::Buy,
        d("50000"),
        d("0.01"),
    ))
    .await
    .unwrap();
    let ev = next(&mut events).await;
    assert_eq!(ev.subscription_id, Some(sub.subscription_id));
    assert!(matches!(ev.event, UserDataEvent::ExecutionReport(_)));
}
