//! Live top of book for BTC-USDT on Binance, Kraken, Poloniex and OKX.
//!
//! ```text
//! cargo run --release --example top_of_book                      # built-in simulator (offline)
//! cargo run --release --example top_of_book -- --seconds 30
//! cargo run --release --example top_of_book -- --live binance:BTC-USDT kraken:BTC/USD poloniex:BTC_USDT okx:BTC-USDT-SWAP
//! # production URLs against the TLS simulator (`cargo run --example simulator -- --tls --port 9443`):
//! cargo run --release --example top_of_book -- --seconds 5 --root-cert CA.pem \
//!     --resolve stream.binance.com:9443:127.0.0.1:9443 --resolve api.binance.com:443:127.0.0.1:9443 \
//!     --live binance:BTC-USDT
//! ```
//!
//! Prints a table (exchange, symbol, best bid/ask with sizes, spread, last trade, sync state)
//! every half second for `--seconds N` (default 10) or until Ctrl-C, then shuts down cleanly.
//! Exits 1 when a requested book never went live. `RUST_LOG=marketfeed=info` shows the
//! engine's logs on stderr.

#[path = "support/mod.rs"]
mod support;

use clap::Parser;
use marketfeed::prelude::*;
use marketfeed::sim::{SimConfig, Simulator};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Row {
    bid: Option<(String, String)>,
    ask: Option<(String, String)>,
    spread: Option<String>,
    last_trade: Option<String>,
    state: String,
    ever_live: bool,
}

/// Live top of book, on the built-in simulator unless --live names real markets.
#[derive(Parser, Debug)]
#[command(name = "top_of_book")]
struct Args {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// Markets on the real exchanges (exchange:SYMBOL, e.g. binance:BTC-USDT kraken:BTC/USD).
    #[arg(long, num_args = 1..)]
    live: Vec<Market>,
    /// Extra trusted root certificate(s), PEM (e.g. the TLS simulator's CA, or a proxy's).
    #[arg(long, value_name = "FILE", requires = "live")]
    root_cert: Vec<std::path::PathBuf>,
    /// Connect to IP[:PORT2] whenever a URL names HOST:PORT (curl's --resolve); repeatable.
    #[arg(long, value_name = "HOST:PORT:IP[:PORT2]", requires = "live")]
    resolve: Vec<support::Resolve>,
}

fn render(rows: &BTreeMap<Market, Row>, elapsed: Duration, tty: bool) {
    let mut out = String::new();
    if tty {
        out.push_str("\x1b[2J\x1b[H");
    }
    out.push_str(&format!("t={:>5.1}s\n", elapsed.as_secs_f64()));
    out.push_str(&format!(
        "{:<9} {:<10} {:>28} {:>28} {:>12} {:>14}  {}\n",
        "exchange", "symbol", "bid (size)", "ask (size)", "spread", "last trade", "state"
    ));
    for (m, r) in rows {
        let side = |x: &Option<(String, String)>| {
            x.as_ref()
                .map_or("-".to_string(), |(p, q)| format!("{p} ({q})"))
        };
        out.push_str(&format!(
            "{:<9} {:<10} {:>28} {:>28} {:>12} {:>14}  {}\n",
            m.exchange.as_str(),
            m.symbol.as_str(),
            side(&r.bid),
            side(&r.ask),
            r.spread.as_deref().unwrap_or("-"),
            r.last_trade.as_deref().unwrap_or("-"),
            r.state
        ));
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
}

#[actix_rt::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    support::init_logs();
    let mut builder = Engine::builder();
    for file in &args.root_cert {
        match std::fs::read(file) {
            Ok(pem) => builder = builder.root_certificate(pem),
            Err(e) => {
                eprintln!("--root-cert {}: {e}", file.display());
                return ExitCode::from(2);
            }
        }
    }
    for r in &args.resolve {
        builder = builder.resolve(&r.host, r.port, r.addr);
    }
    let mut sim = None;
    let markets = if args.live.is_empty() {
        let config = SimConfig::default();
        let s = match Simulator::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot start the simulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!(
            "Running on the built-in exchange simulator at {} (use --live for real exchanges)",
            s.local_addr()
        );
        builder = builder.endpoints(s.endpoints());
        sim = Some(s);
        let btc = Symbol::parse("BTC-USDT").expect("valid symbol");
        [
            Exchange::Binance,
            Exchange::Kraken,
            Exchange::Poloniex,
            Exchange::Okx,
        ]
        .map(|e| Market::new(e, btc.clone()))
        .to_vec()
    } else {
        println!(
            "Connecting to the real exchanges: {:?}",
            args.live.iter().map(Market::to_string).collect::<Vec<_>>()
        );
        args.live.clone()
    };
    let engine = match builder.start() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let subscription = Subscription::new()
        .markets(markets.clone())
        .kinds([StreamKind::Book, StreamKind::Trades, StreamKind::Status])
        .depth(1);
    let mut feed = match engine.subscribe(subscription).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut rows: BTreeMap<Market, Row> = markets
        .iter()
        .map(|m| {
            (
                m.clone(),
                Row {
                    state: "connecting".into(),
                    ..Row::default()
                },
            )
        })
        .collect();
    let tty = std::io::stdout().is_terminal();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    let mut next_render = start;
    let ctrl_c = actix_rt::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if now >= next_render {
            render(&rows, now - start, tty);
            next_render = now + Duration::from_millis(500);
        }
        let wait = next_render.min(deadline) - now;
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = actix_rt::time::sleep(wait) => {}
            event = feed.recv() => match event {
                None => break,
                Some(FeedEvent::Book(b)) => {
                    if let Some(r) = rows.get_mut(&b.market()) {
                        r.bid = b.view.best_bid().map(|l| (l.price.to_string(), l.qty.to_string()));
                        r.ask = b.view.best_ask().map(|l| (l.price.to_string(), l.qty.to_string()));
                        r.spread = b.view.best_bid().zip(b.view.best_ask()).map(|(b, a)| (a.price - b.price).to_string());
                        r.state = b.state.to_string();
                        r.ever_live |= b.state == BookState::Live;
                    }
                }
                Some(FeedEvent::Trade(t)) => {
                    if let Some(r) = rows.get_mut(&t.market()) {
                        r.last_trade = Some(t.price.to_string());
                    }
                }
                Some(FeedEvent::Status(s)) => {
                    let text = match &s.status {
                        FeedStatus::Syncing => Some(BookState::Syncing.to_string()),
                        FeedStatus::Live => Some(BookState::Live.to_string()),
                        FeedStatus::Failed { reason } => Some(format!("failed ({reason})")),
                        FeedStatus::Resyncing { reason } => Some(format!("resyncing ({reason})")),
                        FeedStatus::Disconnected { reason, retry_in, attempt } => Some(match retry_in {
                            Some(d) => format!("disconnected ({reason}); attempt {attempt} in {d:.1?}"),
                            None => format!("disconnected ({reason})"),
                        }),
                        FeedStatus::Rejected { message, .. } => Some(format!("rejected ({message})")),
                        FeedStatus::Throttled { retry_in } => Some(format!("snapshot in {retry_in:?} (REST weight)")),
                        _ => None,
                    };
                    if let Some(text) = text {
                        for (m, r) in rows.iter_mut() {
                            if m.exchange == s.exchange && s.symbol.as_ref().is_none_or(|x| *x == m.symbol) {
                                r.state = text.clone();
                                r.ever_live |= s.status == FeedStatus::Live;
                            }
                        }
                    }
                }
                Some(_) => {}
            },
        }
    }
    render(&rows, start.elapsed(), tty);
    drop(feed);
    engine.shutdown().await;
    if let Some(s) = sim {
        s.stop();
    }
    let live = rows.values().filter(|r| r.state == "live").count();
    println!("{live}/{} books live at exit", rows.len());
    let never: Vec<String> = rows
        .iter()
        .filter(|(_, r)| !r.ever_live)
        .map(|(m, r)| format!("{m} ({})", r.state))
        .collect();
    if never.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("never went live: {}", never.join(", "));
        ExitCode::FAILURE
    }
}
