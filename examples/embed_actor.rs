//! Embedding: your own actor receives marketfeed events through a `Recipient`.
//!
//! ```text
//! cargo run --example embed_actor       # built-in simulator, 3 seconds
//! ```

#[path = "support/mod.rs"]
mod support;

use actix::prelude::*;
use marketfeed::prelude::*;
use marketfeed::sim::{SimConfig, Simulator};
use std::time::Duration;

/// A user actor: counts what it receives and prints the best bid/ask now and then.
#[derive(Default)]
struct Strategy {
    views: u64,
    trades: u64,
}

impl Actor for Strategy {
    type Context = Context<Self>;
}

impl Handler<FeedEvent> for Strategy {
    type Result = ();

    fn handle(&mut self, event: FeedEvent, _ctx: &mut Context<Self>) {
        match event {
            FeedEvent::Book(b) => {
                self.views += 1;
                if self.views % 25 == 1 {
                    println!(
                        "{} {}: bid {:?} ask {:?} ({})",
                        b.exchange(),
                        b.symbol(),
                        b.view.best_bid().map(|l| l.price),
                        b.view.best_ask().map(|l| l.price),
                        b.state
                    );
                }
            }
            FeedEvent::Trade(_) => self.trades += 1,
            FeedEvent::Status(s) => {
                println!("status: {} {:?} {:?}", s.exchange, s.symbol, s.status)
            }
            _ => {}
        }
    }
}

/// Asks the strategy for its counters.
#[derive(Message)]
#[rtype(result = "(u64, u64)")]
struct Counters;

impl Handler<Counters> for Strategy {
    type Result = MessageResult<Counters>;
    fn handle(&mut self, _: Counters, _: &mut Context<Self>) -> Self::Result {
        MessageResult((self.views, self.trades))
    }
}

/// Delivers the engine's events into an actor of your own, on the built-in simulator.
#[derive(clap::Parser, Debug)]
#[command(name = "embed_actor")]
struct Args {}

#[actix_rt::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    <Args as clap::Parser>::parse();
    support::init_logs();
    let sim = Simulator::start(SimConfig::default()).await?;
    println!("Running on the built-in exchange simulator");
    let engine = Engine::builder().endpoints(sim.endpoints()).start()?;
    let strategy = Strategy::default().start();
    let btc = Symbol::parse("BTC-USDT")?;
    let sub = Subscription::new()
        .market(Exchange::Binance, btc)
        .kinds([StreamKind::Book, StreamKind::Trades, StreamKind::Status])
        .depth(5);
    engine
        .subscribe_recipient(sub, strategy.clone().recipient())
        .await?;
    actix_rt::time::sleep(Duration::from_secs(3)).await;
    let (views, trades) = strategy.send(Counters).await?;
    println!("the strategy actor received {views} book views and {trades} trades");
    engine.shutdown().await;
    sim.stop();
    Ok(())
}
