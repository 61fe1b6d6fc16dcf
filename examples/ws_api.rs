//! Binance WebSocket API session demo.
//!
//! ```text
//! cargo run --example ws_api                        # against the embedded simulator
//! cargo run --example ws_api -- --init binance.toml # write a commented credentials template
//! cargo run --example ws_api -- --config binance.toml   # testnet with keys from the file
//! BINANCE_API_KEY=… BINANCE_PRIVATE_KEY_FILE=… cargo run --example ws_api -- --testnet
//! ```
//!
//! Shows ping, time, a signed `order.test`, `account.status`, the user data stream (subscribed
//! by signature, typed events), an OTOCO order list (simulator and testnet only, never on
//! production), and the rate-limit usage.

mod support;

use clap::Parser;
use std::process::ExitCode;
use std::sync::Arc;

use marketfeed::sim::{WsApiSim, WsApiSimConfig, TEST_HMAC_API_KEY, TEST_HMAC_SECRET};
use std::time::Duration;

use marketfeed::wsapi::calls::{OrderListPlaceOtoco, OrderType, TimeInForce};
use marketfeed::wsapi::{
    write_template, Credentials, NewOrder, Side, SystemClock, UserDataEvent, WsApiClient,
    WsApiConfig, WsApiError,
};

/// Binance WebSocket API session: on the embedded simulator by default.
#[derive(Parser)]
#[command(about)]
struct Args {
    /// Binance's spot testnet (credentials from --config or the environment).
    #[arg(long)]
    testnet: bool,
    /// Credentials file (TOML; `--init FILE` writes a commented template).
    #[arg(long, value_name = "FILE", conflicts_with = "init")]
    config: Option<String>,
    /// Writes a commented credentials template to FILE and exits.
    #[arg(long, value_name = "FILE")]
    init: Option<String>,
}

#[actix_rt::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    support::init_logs();
    if let Some(path) = args.init {
        return match write_template(&path) {
            Ok(()) => {
                println!("wrote {path}; fill in api_key and a key, then --config {path}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Err(e) = run(args.testnet, args.config).await {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn run(testnet: bool, config_file: Option<String>) -> Result<(), WsApiError> {
    // Credentials are loaded and validated before connecting: a bad key fails here.
    let (cfg, _sim) = if let Some(file) = config_file {
        let creds = Credentials::from_file(&file)?;
        let base = if creds.testnet || testnet {
            WsApiConfig::testnet()
        } else {
            WsApiConfig::production()
        };
        (base.credentials(creds), None)
    } else if testnet {
        (
            WsApiConfig::testnet().credentials(Credentials::from_env()?),
            None,
        )
    } else {
        let sim = WsApiSim::start(WsApiSimConfig::new(Arc::new(SystemClock)))
            .map_err(|e| WsApiError::Protocol(format!("simulator: {e}")))?;
        println!("simulator listening on {}", sim.url());
        let creds = Credentials::hmac(TEST_HMAC_API_KEY, TEST_HMAC_SECRET)?;
        (WsApiConfig::new(sim.url()).credentials(creds), Some(sim))
    };
    // Orders are placed only where they cost nothing: the simulator or the testnet.
    let may_place = cfg.url != marketfeed::wsapi::PRODUCTION_URL;
    let creds = cfg.credentials.clone();
    println!("connecting to {} with {:?}", cfg.url, cfg.credentials);
    let client = WsApiClient::connect(cfg).await?;
    println!(
        "state: {:?}, logged on: {}",
        client.state().status,
        client.state().logged_on
    );

    client.ping().await?;
    println!("ping: ok");
    let time = client.time().await?;
    println!("time: serverTime={}", time.server_time);
    let ticker = client.ticker_price("BTCUSDT").await?;
    println!("ticker.price: {} {}", ticker.symbol, ticker.price);

    let order = NewOrder::limit(
        "BTCUSDT",
        Side::Buy,
        "20000.00".parse().unwrap(),
        "0.001".parse().unwrap(),
    );
    client.order_test(&order).await?;
    println!("order.test (signed): accepted");

    let account = client.account_status().await?;
    let nonzero: Vec<String> = account
        .balances
        .iter()
        .filter(|b| !b.free.is_zero() || !b.locked.is_zero())
        .take(5)
        .map(|b| format!("{} {}", b.asset, b.free))
        .collect();
    println!(
        "account.status: canTrade={} balances: {}",
        account.can_trade,
        nonzero.join(", ")
    );

    if let (true, Some(creds)) = (may_place, creds) {
        order_list_with_events(&client, &creds).await?;
    }

    let state = client.state();
    println!(
        "rate-limit usage (status {:?}, orders allowed: {}):",
        state.status, state.orders_allowed
    );
    for u in &state.usage {
        println!(
            "  {:<15} {:>6} / {:<6} per {:>8} ms (resets at {})",
            format!("{:?}", u.kind),
            u.count,
            u.limit,
            u.window_ms,
            u.resets_at
        );
    }
    client.stop().await;
    Ok(())
}

/// Subscribes the account's user data stream by signature, places an OTOCO (a working buy
/// that, once filled, arms a take-profit / stop-loss pair) and prints the typed events.
async fn order_list_with_events(
    client: &WsApiClient,
    creds: &Credentials,
) -> Result<(), WsApiError> {
    let mut events = client.user_data_events();
    let sub = client.user_data_subscribe_signature(creds).await?;
    println!(
        "userDataStream.subscribe.signature: subscriptionId={}",
        sub.subscription_id
    );
    let d = |s: &str| s.parse().expect("decimal literal");
    let list = client
        .call(&OrderListPlaceOtoco {
            symbol: "BTCUSDT".into(),
            working_type: OrderType::Limit,
            working_side: Side::Buy,
            working_price: d("20000.00"),
            working_quantity: d("0.001"),
            working_time_in_force: Some(TimeInForce::Gtc),
            pending_side: Side::Sell,
            pending_quantity: d("0.001"),
            pending_above_type: OrderType::LimitMaker,
            pending_above_price: Some(d("90000.00")),
            pending_below_type: Some(OrderType::StopLoss),
            pending_below_stop_price: Some(d("15000.00")),
            ..Default::default()
        })
        .await?;
    println!(
        "orderList.place.otoco: list {} ({}, {} orders, {})",
        list.order_list_id,
        list.contingency_type,
        list.orders.len(),
        list.list_order_status
    );
    // The list's events: one executionReport per order and a listStatus.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Ok(ev)) = tokio::time::timeout_at(deadline, events.recv()).await {
        match ev.event {
            UserDataEvent::ExecutionReport(r) => println!(
                "  event executionReport: order {} {} {} {} @ {} ({})",
                r.order_id, r.side, r.order_type, r.quantity, r.price, r.order_status
            ),
            UserDataEvent::ListStatus(l) => {
                println!(
                    "  event listStatus: list {} {} {}",
                    l.order_list_id, l.contingency_type, l.list_order_status
                );
                break;
            }
            other => println!("  event {other:?}"),
        }
    }
    let cancelled = client
        .call(&marketfeed::wsapi::calls::OrderListCancel {
            symbol: "BTCUSDT".into(),
            order_list_id: Some(list.order_list_id),
            ..Default::default()
        })
        .await?;
    println!("orderList.cancel: {}", cancelled.list_order_status);
    client
        .user_data_unsubscribe(Some(sub.subscription_id))
        .await?;
    Ok(())
}
