//! Shared by the examples: logging and curl-style host overrides.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};

/// Installs a `tracing` subscriber on stderr filtered by `RUST_LOG` (default: errors only),
/// so `RUST_LOG=marketfeed=debug` shows what the engine does.
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// One `--resolve HOST:PORT:IP[:PORT2]`: connect to `IP:PORT2` (default `PORT`) whenever a
/// URL names `HOST:PORT`, as curl's `--resolve` does (plus the optional port to connect to).
#[derive(Clone, Debug)]
pub struct Resolve {
    pub host: String,
    pub port: u16,
    pub addr: SocketAddr,
}

impl std::str::FromStr for Resolve {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not HOST:PORT:IP[:PORT2]");
        let (host, rest) = s.split_once(':').ok_or_else(bad)?;
        let (port, rest) = rest.split_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        // IPv6 addresses go in brackets, as curl takes them: [::1]:9443.
        let (ip, port2) = match rest.strip_prefix('[') {
            Some(v6) => {
                let (ip, after) = v6.split_once(']').ok_or_else(bad)?;
                (ip, after.strip_prefix(':'))
            }
            None => match rest.split_once(':') {
                Some((ip, p)) => (ip, Some(p)),
                None => (rest, None),
            },
        };
        let ip: IpAddr = ip.parse().map_err(|_| bad())?;
        let to = match port2 {
            Some(p) => p.parse().map_err(|_| bad())?,
            None => port,
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Resolve {
            host: host.to_string(),
            port,
            addr: SocketAddr::new(ip, to),
        })
    }
}
