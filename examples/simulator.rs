//! Runs the built-in exchange simulator until Ctrl-C, so other programs (yours, or
//! `top_of_book --live`) can be tested against it.
//!
//! ```text
//! cargo run --release --example simulator                       # plaintext on a free port
//! cargo run --release --example simulator -- --tls --port 9443  # wss:// and https:// with a test CA
//! ```
//!
//! It prints the simulator's own endpoints per venue and, with `--tls`, writes the test CA
//! to a PEM file and prints its path and the `--resolve` arguments that send each venue's
//! production host names here (the certificate is valid for those names).

#[path = "support/mod.rs"]
mod support;

use clap::Parser;
use marketfeed::sim::{SimConfig, SimTls, Simulator};
use marketfeed::Symbol;
use std::process::ExitCode;

/// The built-in exchange simulator (Binance spot and USD-M, Kraken v2, Poloniex v3).
#[derive(Parser, Debug)]
#[command(name = "simulator")]
struct Args {
    /// Serve wss:// and https:// with a generated test CA.
    #[arg(long)]
    tls: bool,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Symbols on every venue.
    #[arg(long, num_args = 1.., default_values_t = ["BTC-USDT".to_string()])]
    symbols: Vec<String>,
    /// Where to write the CA (with --tls); default: a file in the system's temp directory.
    #[arg(long, value_name = "FILE")]
    ca_out: Option<std::path::PathBuf>,
}

#[actix_rt::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    support::init_logs();
    let mut symbols = Vec::new();
    for s in &args.symbols {
        match Symbol::parse(s) {
            Ok(s) => symbols.push(s),
            Err(e) => {
                eprintln!("--symbols {s:?}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let tls = if args.tls {
        match SimTls::generate(&[]) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("cannot generate the test CA: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let config = SimConfig {
        binance: symbols.clone(),
        binance_usdm: symbols.clone(),
        kraken: symbols.clone(),
        poloniex: symbols,
        tls: tls.clone(),
        port: args.port,
        ..SimConfig::default()
    };
    let sim = match Simulator::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start the simulator on port {}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    println!("simulator listening on {}", sim.local_addr());
    for (exchange, ep) in sim.endpoints() {
        match &ep.rest {
            Some(rest) => println!("  {:<13} ws {}  rest {rest}", exchange.as_str(), ep.ws),
            None => println!("  {:<13} ws {}", exchange.as_str(), ep.ws),
        }
    }
    if let Some(tls) = &tls {
        let path = args
            .ca_out
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("marketfeed-sim-ca.pem"));
        if let Err(e) = std::fs::write(&path, tls.ca_pem()) {
            eprintln!("cannot write the CA to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("test CA: {}", path.display());
        println!("production host names served here (pass to --resolve):");
        for (host, port, addr) in sim.production_resolves() {
            println!("  --resolve {host}:{port}:{}:{}", addr.ip(), addr.port());
        }
    }
    println!("Ctrl-C to stop");
    let _ = actix_rt::signal::ctrl_c().await;
    sim.stop();
    ExitCode::SUCCESS
}
