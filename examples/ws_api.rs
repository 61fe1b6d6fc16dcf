//! Binance WebSocket API session demo.
//!
//! ```text
//! cargo run --example ws_api                        # against the embedded simulator
//! cargo run --example ws_api -- --init binance.toml # write a commented credentials template
//! cargo run --example ws_api -- --config binance.toml   # testnet with keys from the file
//! BINANCE_API_KEY=… BINANCE_PRIVATE_KEY_FILE=… cargo run --example ws_api -- --testnet
//! ```
//!
//! Shows ping, time, a signed `order.test`, `account.status`, and the rate-limit usage.

use std::sync::Arc;

use marketfeed::sim::{WsApiSim, WsApiSimConfig, TEST_HMAC_API_KEY, TEST_HMAC_SECRET};
use marketfeed::wsapi::{
    write_template, Credentials, NewOrder, Side, SystemClock, WsApiClient, WsApiConfig, WsApiError,
};

fn usage() -> ! {
    eprintln!("usage: ws_api [--testnet] [--config FILE] [--init FILE]");
    std::process::exit(2)
}

#[actix_rt::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut testnet = false;
    let mut config_file = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--testnet" => testnet = true,
            "--config" => {
                config_file = Some(args.get(i + 1).cloned().unwrap_or_else(|| usage()));
                i += 1;
            }
            "--init" => {
                let path = args.get(i + 1).unwrap_or_else(|| usage());
                match write_template(path) {
                    Ok(()) => {
                        println!("wrote {path}; fill in api_key and a key, then --config {path}")
                    }
                    Err(e) => eprintln!("error: {e}"),
                }
                return;
            }
            _ => usage(),
        }
        i += 1;
    }

    if let Err(e) = run(testnet, config_file).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
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
