//! Live top of book for BTC-USDT on Binance, Kraken and Poloniex.
//!
//! ```text
//! cargo run --release --example top_of_book                      # built-in simulator (offline)
//! cargo run --release --example top_of_book -- --seconds 30
//! cargo run --release --example top_of_book -- --live binance:BTC-USDT kraken:BTC/USD poloniex:BTC_USDT
//! ```
//!
//! Prints a table (exchange, symbol, best bid/ask with sizes, spread, last trade, sync state)
//! every half second for `--seconds N` (default 10) or until Ctrl-C, then shuts down cleanly.

use marketfeed::engine::Engine;
use marketfeed::runtime::events::{
    parse_market, BookState, FeedEvent, FeedStatus, StreamKind, Subscription,
};
use marketfeed::sim::{SimConfig, Simulator};
use marketfeed::{Exchange, Symbol};
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
}

struct Args {
    seconds: u64,
    live: Vec<(Exchange, Symbol)>,
}

const USAGE: &str = "usage: top_of_book [--seconds N] [--live exchange:SYMBOL ...]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 10,
        live: Vec::new(),
    };
    let mut it = std::env::args().skip(1).peekable();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let v = it.next().ok_or("--seconds needs a value")?;
                args.seconds = v
                    .parse()
                    .map_err(|_| format!("--seconds: {v:?} is not a number"))?;
                if args.seconds == 0 {
                    return Err("--seconds must be at least 1".into());
                }
            }
            "--live" => {
                while let Some(m) = it.next_if(|m| !m.starts_with("--")) {
                    args.live.push(parse_market(&m).map_err(|e| e.to_string())?);
                }
                if args.live.is_empty() {
                    return Err("--live needs at least one exchange:SYMBOL".into());
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn render(rows: &BTreeMap<(Exchange, Symbol), Row>, elapsed: Duration, tty: bool) {
    let mut out = String::new();
    if tty {
        out.push_str("\x1b[2J\x1b[H");
    }
    out.push_str(&format!("t={:>5.1}s\n", elapsed.as_secs_f64()));
    out.push_str(&format!(
        "{:<9} {:<10} {:>28} {:>28} {:>12} {:>14}  {}\n",
        "exchange", "symbol", "bid (size)", "ask (size)", "spread", "last trade", "state"
    ));
    for ((e, s), r) in rows {
        let side = |x: &Option<(String, String)>| {
            x.as_ref()
                .map_or("-".to_string(), |(p, q)| format!("{p} ({q})"))
        };
        out.push_str(&format!(
            "{:<9} {:<10} {:>28} {:>28} {:>12} {:>14}  {}\n",
            e.as_str(),
            s.as_str(),
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
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Engine::builder();
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
        vec![
            (Exchange::Binance, btc.clone()),
            (Exchange::Kraken, btc.clone()),
            (Exchange::Poloniex, btc),
        ]
    } else {
        println!(
            "Connecting to the real exchanges: {:?}",
            args.live
                .iter()
                .map(|(e, s)| format!("{e}:{s}"))
                .collect::<Vec<_>>()
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
    let mut rows: BTreeMap<(Exchange, Symbol), Row> = markets
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
                    if let Some(r) = rows.get_mut(&(b.exchange, b.symbol.clone())) {
                        r.bid = b.view.best_bid().map(|l| (l.price.to_string(), l.qty.to_string()));
                        r.ask = b.view.best_ask().map(|l| (l.price.to_string(), l.qty.to_string()));
                        r.spread = b.view.best_bid().zip(b.view.best_ask()).map(|(b, a)| (a.price - b.price).to_string());
                        r.state = b.state.to_string();
                    }
                }
                Some(FeedEvent::Trade(t)) => {
                    if let Some(r) = rows.get_mut(&(t.meta.exchange, t.meta.symbol.clone())) {
                        r.last_trade = Some(t.price.to_string());
                    }
                }
                Some(FeedEvent::Status(s)) => {
                    let text = match &s.status {
                        FeedStatus::Syncing => Some(BookState::Syncing.to_string()),
                        FeedStatus::Live => Some(BookState::Live.to_string()),
                        FeedStatus::Resyncing { reason } => Some(format!("resyncing ({reason})")),
                        FeedStatus::Disconnected { reason, .. } => Some(format!("disconnected ({reason})")),
                        FeedStatus::Rejected { message, .. } => Some(format!("rejected ({message})")),
                        FeedStatus::Throttled { retry_in } => Some(format!("snapshot in {retry_in:?} (REST weight)")),
                        _ => None,
                    };
                    if let Some(text) = text {
                        for ((e, sym), r) in rows.iter_mut() {
                            if *e == s.exchange && s.symbol.as_ref().is_none_or(|x| x == sym) {
                                r.state = text.clone();
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
    ExitCode::SUCCESS
}
