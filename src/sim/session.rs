//! What every venue's session needs from a request: its query parameters. The sessions
//! themselves (what a client subscribed to, the replies to its requests and which broadcast
//! frames it gets) live in each venue's simulator module (`binance/venue.rs`, ...) and are
//! dispatched by [`VenueSession`](super::venues::VenueSession); they are pure over a locked
//! `State`, so the connection loop in `server.rs` only moves text.

/// Decodes `%XX` escapes (stream names may be URL-encoded).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of `name` in a query string.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param("streams=btcusdt%40depth%2Fbtcusdt@trade&x=1", "streams").as_deref(),
            Some("btcusdt@depth/btcusdt@trade")
        );
        assert_eq!(query_param("a=1", "streams"), None);
    }
}
