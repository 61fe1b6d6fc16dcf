//! Kraken's symbol forms beyond its spec's `BASE/QUOTE`: WebSocket v1 pairs use the legacy
//! asset codes (`XBT/USD`).

use crate::types::Symbol;

/// The legacy asset code Kraken v1 uses for a canonical one.
fn v1_asset(code: &str) -> &str {
    match code {
        "BTC" => "XBT",
        "DOGE" => "XDG",
        other => other,
    }
}

/// Kraken WebSocket v1 form, with legacy asset codes: `XBT/USD`.
pub fn to_v1(symbol: &Symbol) -> String {
    format!("{}/{}", v1_asset(symbol.base()), v1_asset(symbol.quote()))
}
