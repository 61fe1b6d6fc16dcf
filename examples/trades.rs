//! Prints public trades as they happen.
//!
//! ```text
//! cargo run --example trades                         # built-in simulator, 5 seconds
//! cargo run --example trades -- --seconds 20 --live binance:BTC-USDT kraken:BTC/USD
//! ```

#[path = "support/mod.rs"]
mod support;

use clap::Parser;
use marketfeed::prelude::*;
use marketfeed::sim::{SimConfig, Simulator};
use std::process::ExitCode;
use std::time::Duration;

/// Public trades as they happen, on the built-in simulator unless --live names markets.
#[derive(Parser, Debug)]
#[command(name = "trades")]
struct Args {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// Markets on the real exchanges (exchange:SYMBOL).
    #[arg(long, num_args = 1..)]
    live: Vec<Market>,
}

#[actix_rt::main]
async fn main() -> ExitCode {
    let Args { seconds, live } = Args::parse();
    support::init_logs();
    let mut builder = Engine::builder();
    let mut sim = None;
    let markets = if live.is_empty() {
        let s = match Simulator::start(SimConfig::default()).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot start the simulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("Running on the built-in exchange simulator (use --live exchange:SYMBOL for real trades)");
        builder = builder.endpoints(s.endpoints());
        sim = Some(s);
        let btc = Symbol::parse("BTC-USDT").expect("valid symbol");
        [Exchange::Binance, Exchange::Kraken, Exchange::Poloniex]
            .map(|e| Market::new(e, btc.clone()))
            .to_vec()
    } else {
        live
    };
    let engine = match builder.start() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let sub = Subscription::new()
        .markets(markets)
        .kind(StreamKind::Trades);
    let mut feed = match engine.subscribe(sub).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut count = 0u64;
    let deadline = actix_rt::time::sleep(Duration::from_secs(seconds));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            event = feed.recv() => match event {
                Some(FeedEvent::Trade(t)) => {
                    count += 1;
                    let side = match t.taker_side { TakerSide::Buy => "buy ", TakerSide::Sell => "sell" };
                    println!("{:<9} {:<10} {side} {:>14} @ {:<14} id {}",
                        t.exchange().as_str(), t.symbol().as_str(), t.qty.to_string(), t.price.to_string(),
                        t.id.map_or("-".to_string(), |i| i.to_string()));
                }
                Some(FeedEvent::Lost { kind, count }) => println!("(lost {count} {kind:?} events: consumer too slow)"),
                Some(_) => {}
                None => break,
            }
        }
    }
    println!("{count} trades in {seconds} s");
    drop(feed);
    engine.shutdown().await;
    if let Some(s) = sim {
        s.stop();
    }
    ExitCode::SUCCESS
}
