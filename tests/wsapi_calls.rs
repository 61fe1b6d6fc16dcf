//! Every typed call round-trips against the simulator: the typed result decodes, signed
//! methods carry a signature the simulator verified, and after each call the weight (and
//! ORDERS) the client tracks equals the simulator's `rateLimits` count, which grew by
//! exactly what the client's table charged for that call.

mod wsapi_common;

use std::collections::BTreeSet;

use marketfeed::sim::WsApiSim;
use marketfeed::wsapi::calls::{self, *};
use marketfeed::wsapi::results::{Cancelled, OneOrMany};
use marketfeed::wsapi::{method_info, RateLimitKind, Security, WsApiClient};
use rust_decimal::Decimal;
use wsapi_common::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Names of the methods `check` has round-tripped.
#[derive(Default)]
struct Seen(BTreeSet<&'static str>);

impl Seen {
    async fn check<M: Method>(
        &mut self,
        client: &WsApiClient,
        sim: &WsApiSim,
        call: &M,
    ) -> M::Output {
        let params = call.to_params();
        let (security, cost) = method_info(M::NAME, params.as_ref()).unwrap();
        let sim_cost = WsApiSim::method_cost(M::NAME, &params.clone().unwrap_or_default()).unwrap();
        assert_eq!(
            (cost.weight as u64, cost.orders as u64),
            sim_cost,
            "{}: client and simulator tables",
            M::NAME
        );
        let before = sim.weight_count();
        let orders_before = sim.orders_count();
        let stats_before = sim.stats();
        let out = client
            .call(call)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", M::NAME));
        let after = sim.weight_count();
        assert_eq!(
            after - before,
            cost.weight as u64,
            "{}: weight charged",
            M::NAME
        );
        let state = client.state();
        let tracked = state.usage_of(RateLimitKind::RequestWeight).unwrap().count;
        assert_eq!(tracked, after, "{}: tracked weight vs simulator", M::NAME);
        let orders_after = sim.orders_count();
        assert_eq!(
            orders_after - orders_before,
            cost.orders as u64,
            "{}: ORDERS",
            M::NAME
        );
        if cost.orders > 0 {
            let tracked = state.usage_of(RateLimitKind::Orders).unwrap().count;
            assert_eq!(tracked, orders_after, "{}: tracked ORDERS", M::NAME);
        }
        let stats = sim.stats();
        assert_eq!(stats.methods.last().map(String::as_str), Some(M::NAME));
        let signed_by_request = security == Security::Signed && !state.logged_on
            || M::NAME == "session.logon"
            || M::NAME == "userDataStream.subscribe.signature";
        assert_eq!(
            stats.signatures_ok - stats_before.signatures_ok,
            u64::from(signed_by_request),
            "{}: signature verified by the simulator",
            M::NAME
        );
        self.0.insert(M::NAME);
        out
    }
}

#[actix_rt::test]
async fn every_typed_call_round_trips_with_exact_weight() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock).credentials(hmac_creds()))
        .await
        .unwrap();
    let mut seen = Seen::default();
    let s = |x: &str| x.to_owned();

    // General.
    seen.check(&client, &sim, &Ping::default()).await;
    assert_eq!(
        seen.check(&client, &sim, &Time::default())
            .await
            .server_time,
        T0
    );
    let info = seen
        .check(
            &client,
            &sim,
            &calls::ExchangeInfo {
                symbol: Some(s("BTCUSDT")),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(info.symbols.len(), 1);
    let rules = seen
        .check(
            &client,
            &sim,
            &calls::ExecutionRules {
                symbols: Some(vec![s("BTCUSDT"), s("ETHUSDT")]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(rules.symbol_rules.len(), 2);

    // Market data.
    let depth = seen
        .check(
            &client,
            &sim,
            &calls::Depth {
                symbol: s("BTCUSDT"),
                limit: Some(500),
                ..Default::default()
            },
        )
        .await;
    assert!(depth.bids[0].price < depth.asks[0].price);
    assert!(!seen
        .check(
            &client,
            &sim,
            &TradesRecent {
                symbol: s("BTCUSDT"),
                ..Default::default()
            }
        )
        .await
        .is_empty());
    let hist = seen
        .check(
            &client,
            &sim,
            &TradesHistorical {
                symbol: s("BTCUSDT"),
                from_id: Some(77),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(hist[0].id, 77);
    let block = seen
        .check(
            &client,
            &sim,
            &BlockTradesHistorical {
                symbol: s("BTCUSDT"),
                from_id: 5,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(block[0].is_best_match, None);
    seen.check(
        &client,
        &sim,
        &TradesAggregate {
            symbol: s("ETHUSDT"),
            ..Default::default()
        },
    )
    .await;
    let k = seen
        .check(
            &client,
            &sim,
            &Klines {
                symbol: s("BTCUSDT"),
                interval: s("1m"),
                ..Default::default()
            },
        )
        .await;
    assert!(k[0].open_time < k[0].close_time);
    seen.check(
        &client,
        &sim,
        &UiKlines {
            symbol: s("BTCUSDT"),
            interval: s("1h"),
            ..Default::default()
        },
    )
    .await;
    seen.check(
        &client,
        &sim,
        &calls::AvgPrice {
            symbol: s("BNBBTC"),
            ..Default::default()
        },
    )
    .await;
    let t24 = seen
        .check(
            &client,
            &sim,
            &Ticker24hr {
                symbols: Some(vec![s("BTCUSDT"), s("BNBBTC")]),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(t24, OneOrMany::Many(ref v) if v.len() == 2));
    let td = seen
        .check(
            &client,
            &sim,
            &TickerTradingDay {
                symbol: Some(s("ETHUSDT")),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(td, OneOrMany::One(ref t) if t.symbol == "ETHUSDT"));
    seen.check(
        &client,
        &sim,
        &Ticker {
            symbols: Some(vec![s("BTCUSDT"), s("ETHUSDT"), s("BNBBTC")]),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        seen.check(&client, &sim, &calls::TickerPrice::default())
            .await
            .into_vec()
            .len(),
        3
    );
    seen.check(
        &client,
        &sim,
        &TickerBook {
            symbol: Some(s("BTCUSDT")),
            ..Default::default()
        },
    )
    .await;
    seen.check(
        &client,
        &sim,
        &calls::ReferencePrice {
            symbol: s("BTCUSDT"),
            ..Default::default()
        },
    )
    .await;
    seen.check(
        &client,
        &sim,
        &calls::ReferencePriceCalculation {
            symbol: s("BTCUSDT"),
            ..Default::default()
        },
    )
    .await;

    // Session (HMAC keys cannot log on; status and logout work on any session).
    assert_eq!(
        seen.check(&client, &sim, &SessionStatus::default())
            .await
            .api_key,
        None
    );

    // Trading.
    let a = seen
        .check(
            &client,
            &sim,
            &OrderPlace::limit("BTCUSDT", Side::Buy, d("51000"), d("0.01")),
        )
        .await;
    let test = seen
        .check(
            &client,
            &sim,
            &OrderTest {
                compute_commission_rates: Some(true),
                ..OrderPlace::limit("BTCUSDT", Side::Buy, d("51000"), d("0.01")).to_test()
            },
        )
        .await;
    assert!(test.standard_commission_for_order.is_some());
    let replaced = seen
        .check(
            &client,
            &sim,
            &OrderCancelReplace {
                symbol: s("BTCUSDT"),
                cancel_order_id: Some(a.order_id),
                side: Side::Buy,
                order_type: OrderType::Limit,
                time_in_force: Some(TimeInForce::Gtc),
                price: Some(d("50500")),
                quantity: Some(d("0.02")),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(replaced.cancel_result, "SUCCESS");
    let b = replaced.new_order_response.unwrap();
    let amended = seen
        .check(
            &client,
            &sim,
            &OrderAmendKeepPriority {
                symbol: s("BTCUSDT"),
                order_id: Some(b.order_id),
                new_qty: d("0.015"),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(amended.amended_order.orig_qty, Some(d("0.015")));
    let oco_dep = seen
        .check(
            &client,
            &sim,
            &OrderListPlace {
                symbol: s("BTCUSDT"),
                side: Side::Sell,
                price: d("53000"),
                quantity: d("0.01"),
                stop_price: Some(d("50000")),
                stop_limit_price: Some(d("49900")),
                stop_limit_time_in_force: Some(TimeInForce::Gtc),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(oco_dep.orders.len(), 2);
    let oco = seen
        .check(
            &client,
            &sim,
            &OrderListPlaceOco {
                symbol: s("BTCUSDT"),
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
        )
        .await;
    assert_eq!(
        (oco.contingency_type.as_str(), oco.order_reports.len()),
        ("OCO", 2)
    );
    let working = |side| {
        (
            OrderType::Limit,
            side,
            d("50000"),
            d("0.01"),
            Some(TimeInForce::Gtc),
        )
    };
    let (wt, ws, wp, wq, wtif) = working(Side::Buy);
    let oto = seen
        .check(
            &client,
            &sim,
            &OrderListPlaceOto {
                symbol: s("BTCUSDT"),
                working_type: wt,
                working_side: ws,
                working_price: wp,
                working_quantity: wq,
                working_time_in_force: wtif,
                pending_type: OrderType::LimitMaker,
                pending_side: Side::Sell,
                pending_price: Some(d("55000")),
                pending_quantity: d("0.01"),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(oto.orders.len(), 2);
    let otoco = seen
        .check(
            &client,
            &sim,
            &OrderListPlaceOtoco {
                symbol: s("BTCUSDT"),
                working_type: wt,
                working_side: ws,
                working_price: wp,
                working_quantity: wq,
                working_time_in_force: wtif,
                pending_side: Side::Sell,
                pending_quantity: d("0.01"),
                pending_above_type: OrderType::LimitMaker,
                pending_above_price: Some(d("55000")),
                pending_below_type: Some(OrderType::StopLoss),
                pending_below_stop_price: Some(d("48000")),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(otoco.orders.len(), 3);
    let opo = seen
        .check(
            &client,
            &sim,
            &OrderListPlaceOpo {
                symbol: s("BTCUSDT"),
                working_type: wt,
                working_side: ws,
                working_price: wp,
                working_quantity: wq,
                working_time_in_force: wtif,
                pending_type: OrderType::LimitMaker,
                pending_side: Side::Sell,
                pending_price: Some(d("55000")),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(
        opo.order_reports[1].orig_qty,
        Some(d("0.01")),
        "pending takes the working quantity"
    );
    let opoco = seen
        .check(
            &client,
            &sim,
            &OrderListPlaceOpoco {
                symbol: s("BTCUSDT"),
                working_type: wt,
                working_side: ws,
                working_price: wp,
                working_quantity: wq,
                working_time_in_force: wtif,
                pending_side: Side::Sell,
                pending_above_type: OrderType::LimitMaker,
                pending_above_price: Some(d("55000")),
                pending_below_type: Some(OrderType::StopLoss),
                pending_below_stop_price: Some(d("48000")),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(opoco.orders.len(), 3);
    let cancelled = seen
        .check(
            &client,
            &sim,
            &OrderListCancel {
                symbol: s("BTCUSDT"),
                order_list_id: Some(oco.order_list_id),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(cancelled.list_status_type, "ALL_DONE");
    let sor = seen
        .check(
            &client,
            &sim,
            &SorOrderPlace {
                symbol: s("BTCUSDT"),
                side: Side::Buy,
                order_type: OrderType::Limit,
                time_in_force: Some(TimeInForce::Gtc),
                price: Some(d("52000")),
                quantity: d("0.5"),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(sor[0].used_sor, Some(true));
    assert_eq!(sor[0].fills.len(), 1);
    let sor_test = seen
        .check(
            &client,
            &sim,
            &SorOrderTest {
                symbol: s("BTCUSDT"),
                side: Side::Buy,
                order_type: OrderType::Limit,
                time_in_force: Some(TimeInForce::Gtc),
                price: Some(d("52000")),
                quantity: d("0.5"),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(sor_test, Default::default());
    let c = seen
        .check(
            &client,
            &sim,
            &OrderPlace::limit("ETHUSDT", Side::Sell, d("2900"), d("1")),
        )
        .await;
    let gone = seen
        .check(
            &client,
            &sim,
            &OrderCancel {
                symbol: s("ETHUSDT"),
                order_id: Some(c.order_id),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(gone.status.as_deref(), Some("CANCELED"));
    let filled = seen
        .check(
            &client,
            &sim,
            &OrderPlace::market("ETHUSDT", Side::Buy, d("0.5")),
        )
        .await;

    // Account.
    let account = seen
        .check(&client, &sim, &calls::AccountStatus::default())
        .await;
    assert!(account.can_trade);
    let st = seen
        .check(
            &client,
            &sim,
            &OrderStatus {
                symbol: s("BTCUSDT"),
                order_id: Some(b.order_id),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(st.orig_qty, Some(d("0.015")));
    let open = seen
        .check(
            &client,
            &sim,
            &OpenOrdersStatus {
                symbol: Some(s("BTCUSDT")),
                ..Default::default()
            },
        )
        .await;
    assert!(open.iter().any(|o| o.order_id == b.order_id));
    assert!(
        seen.check(
            &client,
            &sim,
            &AllOrders {
                symbol: s("BTCUSDT"),
                ..Default::default()
            }
        )
        .await
        .len()
            >= 10
    );
    let ls = seen
        .check(
            &client,
            &sim,
            &OrderListStatus {
                order_list_id: Some(oto.order_list_id),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(ls.orders.len(), 2);
    let open_lists = seen
        .check(&client, &sim, &OpenOrderListsStatus::default())
        .await;
    assert_eq!(open_lists.len(), 5, "six lists placed, one cancelled");
    assert_eq!(
        seen.check(&client, &sim, &AllOrderLists::default())
            .await
            .len(),
        6
    );
    let mine = seen
        .check(
            &client,
            &sim,
            &MyTrades {
                symbol: s("ETHUSDT"),
                order_id: Some(filled.order_id),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        seen.check(
            &client,
            &sim,
            &MyTrades {
                symbol: s("ETHUSDT"),
                ..Default::default()
            }
        )
        .await
        .len(),
        1
    );
    let limits = seen
        .check(&client, &sim, &AccountRateLimitsOrders::default())
        .await;
    assert_eq!(limits[0].count, Some(sim.orders_count()));
    seen.check(
        &client,
        &sim,
        &MyPreventedMatches {
            symbol: s("BTCUSDT"),
            prevented_match_id: Some(1),
            ..Default::default()
        },
    )
    .await;
    let allocs = seen
        .check(
            &client,
            &sim,
            &MyAllocations {
                symbol: s("BTCUSDT"),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(allocs.len(), 1, "the SOR order");
    seen.check(
        &client,
        &sim,
        &calls::AccountCommission {
            symbol: s("BTCUSDT"),
            ..Default::default()
        },
    )
    .await;
    let am = seen
        .check(
            &client,
            &sim,
            &OrderAmendments {
                symbol: s("BTCUSDT"),
                order_id: b.order_id,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(am.len(), 1);
    seen.check(
        &client,
        &sim,
        &calls::MyFilters {
            symbol: s("BTCUSDT"),
            ..Default::default()
        },
    )
    .await;
    let all = seen
        .check(
            &client,
            &sim,
            &OpenOrdersCancelAll {
                symbol: s("BTCUSDT"),
                ..Default::default()
            },
        )
        .await;
    assert!(all.iter().any(|c| matches!(c, Cancelled::List(_))));
    assert!(all.iter().any(|c| matches!(c, Cancelled::Order(_))));

    // User data stream by signature (any key type).
    let sub = seen
        .check(&client, &sim, &UserDataStreamSubscribeSignature::default())
        .await;
    let subs = seen
        .check(&client, &sim, &SessionSubscriptions::default())
        .await;
    assert_eq!(subs, vec![sub]);
    seen.check(
        &client,
        &sim,
        &UserDataStreamUnsubscribe {
            subscription_id: Some(sub.subscription_id),
            ..Default::default()
        },
    )
    .await;
    seen.check(&client, &sim, &SessionLogout::default()).await;

    // Logon and the logged-on subscription need an Ed25519 session.
    let ed = WsApiClient::connect(config(&sim, &clock).credentials(ed25519_creds()))
        .await
        .unwrap();
    assert!(seen
        .check(&ed, &sim, &SessionLogon::default())
        .await
        .api_key
        .is_some());
    seen.check(&ed, &sim, &UserDataStreamSubscribe::default())
        .await;
    // Signed by the session: no signature on the request.
    seen.check(&ed, &sim, &calls::AccountStatus::default())
        .await;

    let all: BTreeSet<&str> = calls::CALLS.iter().copied().collect();
    let missing: Vec<_> = all.difference(&seen.0).collect();
    assert!(missing.is_empty(), "not round-tripped: {missing:?}");
    assert_eq!(sim.stats().signatures_bad, 0);
}

#[actix_rt::test]
async fn signed_methods_sent_unsigned_are_refused_by_the_simulator() {
    let clock = clock();
    let sim = sim(&clock);
    let client = WsApiClient::connect(config(&sim, &clock)).await.unwrap();
    let cost = marketfeed::wsapi::Cost {
        weight: 20,
        orders: 0,
    };
    for method in [
        "myTrades",
        "allOrders",
        "account.commission",
        "orderList.place.oco",
        "sor.order.place",
    ] {
        let p = serde_json::json!({"symbol": "BTCUSDT"})
            .as_object()
            .cloned();
        // Stating "public" on purpose: the simulator, like Binance, refuses it.
        let err = client
            .request_with(method, p, Security::None, cost)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(-1102), "{method}: {err}");
    }
    // Through the table the client refuses before sending: no credentials.
    let before = sim.stats().requests;
    let err = client
        .call(&MyTrades {
            symbol: "BTCUSDT".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, marketfeed::wsapi::WsApiError::Credentials(_)),
        "{err}"
    );
    assert_eq!(sim.stats().requests, before);
    // An unknown method is not sent at all.
    let err = client
        .request("account.everything", None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        marketfeed::wsapi::WsApiError::UnknownMethod("account.everything".into())
    );
    assert_eq!(sim.stats().requests, before);
}
