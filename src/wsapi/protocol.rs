//! Wire structs and pure helpers: request/response frames, request ids and the correlation
//! table. (The reconnect schedule is the crate's one [`Backoff`](crate::backoff::Backoff).)
//!
//! Protocol reference sections 2.2 (request) and 2.3 (response).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::limits::RateLimit;
use super::sign::Params;

/// A request frame: `{"id":…,"method":…,"params":{…}}` (section 2.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request<'a> {
    /// Request id, echoed by the server.
    pub id: &'a str,
    /// Method name, e.g. `order.place`.
    pub method: &'a str,
    /// Parameters; omitted when empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<&'a Params>,
}

impl Request<'_> {
    /// The JSON text of the frame.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("request serializes")
    }
}

/// The `error` object of a failed response (section 2.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Binance error code.
    pub code: i64,
    /// Message.
    pub msg: String,
    /// Extra data; for 429/418 `{"serverTime":…,"retryAfter":…}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ErrorData>,
}

/// `error.data` of 429/418 responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorData {
    /// Server time (epoch ms).
    #[serde(default)]
    pub server_time: Option<u64>,
    /// When requests are accepted again (epoch ms).
    #[serde(default)]
    pub retry_after: Option<u64>,
}

/// A response frame (section 2.3).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The request id (`null` for session revocations).
    #[serde(default)]
    pub id: Option<Value>,
    /// HTTP-like status.
    pub status: u16,
    /// Result on success.
    #[serde(default)]
    pub result: Option<Value>,
    /// Error on failure.
    #[serde(default)]
    pub error: Option<ErrorBody>,
    /// Current usage.
    #[serde(default)]
    pub rate_limits: Option<Vec<RateLimit>>,
}

impl Response {
    /// The id as a string key (string ids as is, numbers as their text).
    pub fn id_key(&self) -> Option<String> {
        match self.id.as_ref()? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

/// Anything the server sends in a text frame.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Incoming {
    /// A response to a request.
    Response(Response),
    /// `{"event":{"e":"serverShutdown","E":…}}`: the server will close the connection soon.
    ServerShutdown {
        /// Event time (epoch ms).
        time: u64,
    },
    /// A user-data event `{"subscriptionId":n,"event":{…}}`.
    UserData {
        /// The subscription it belongs to.
        subscription_id: Option<u64>,
        /// The event object.
        event: Value,
    },
}

/// Parses one text frame (pure).
pub fn parse_incoming(text: &str) -> Result<Incoming, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    if v.get("status").is_some() {
        return serde_json::from_value(v)
            .map(Incoming::Response)
            .map_err(|e| format!("invalid response: {e}"));
    }
    if let Some(event) = v.get("event") {
        if event.get("e").and_then(Value::as_str) == Some("serverShutdown") {
            let time = event.get("E").and_then(Value::as_u64).unwrap_or(0);
            return Ok(Incoming::ServerShutdown { time });
        }
        return Ok(Incoming::UserData {
            subscription_id: v.get("subscriptionId").and_then(Value::as_u64),
            event: event.clone(),
        });
    }
    Err(format!("unrecognised frame: {}", truncate(text, 200)))
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Generates request ids unique within a session: `<prefix>-<n>` (at most 36 characters).
#[derive(Debug, Clone)]
pub struct IdGenerator {
    prefix: String,
    next: u64,
}

impl IdGenerator {
    /// Ids `prefix-1`, `prefix-2`, … (prefix truncated to 15 characters).
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: truncate(prefix, 15).to_owned(),
            next: 1,
        }
    }

    /// The next id.
    pub fn next_id(&mut self) -> String {
        let id = format!("{}-{}", self.prefix, self.next);
        self.next += 1;
        id
    }
}

/// Requests awaiting their response, keyed by id, each with a deadline.
#[derive(Debug)]
pub struct PendingTable<T> {
    entries: HashMap<String, (u64, T)>,
}

impl<T> Default for PendingTable<T> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

impl<T> PendingTable<T> {
    /// Registers `id` with a deadline (any monotonic ms scale).
    pub fn insert(&mut self, id: String, deadline: u64, waiter: T) {
        self.entries.insert(id, (deadline, waiter));
    }

    /// Removes and returns the waiter of `id`.
    pub fn take(&mut self, id: &str) -> Option<T> {
        self.entries.remove(id).map(|(_, w)| w)
    }

    /// Removes and returns the waiters whose deadline is `<= now`.
    pub fn expire(&mut self, now: u64) -> Vec<T> {
        let ids: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, (d, _))| *d <= now)
            .map(|(k, _)| k.clone())
            .collect();
        ids.into_iter().filter_map(|id| self.take(&id)).collect()
    }

    /// Removes and returns every waiter (connection lost).
    pub fn drain(&mut self) -> Vec<T> {
        self.entries.drain().map(|(_, (_, w))| w).collect()
    }

    /// Number in flight.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_response_with_rate_limits() {
        let t = r#"{"id":"a-1","status":400,"error":{"code":-2010,"msg":"Account has insufficient balance for requested action."},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":70}]}"#;
        let Incoming::Response(r) = parse_incoming(t).unwrap() else {
            panic!()
        };
        assert_eq!(r.id_key().as_deref(), Some("a-1"));
        assert_eq!(r.error.unwrap().code, -2010);
        assert_eq!(r.rate_limits.unwrap()[0].count, Some(70));
    }

    #[test]
    fn parses_ban_and_shutdown_and_events() {
        let t = r#"{"id":"x","status":418,"error":{"code":-1003,"msg":"Way too much","data":{"serverTime":1659142907531,"retryAfter":1659146400000}}}"#;
        let Incoming::Response(r) = parse_incoming(t).unwrap() else {
            panic!()
        };
        assert_eq!(
            r.error.unwrap().data.unwrap().retry_after,
            Some(1659146400000)
        );
        assert_eq!(
            parse_incoming(r#"{"event":{"e":"serverShutdown","E":1770123456789}}"#).unwrap(),
            Incoming::ServerShutdown {
                time: 1770123456789
            }
        );
        assert!(matches!(
            parse_incoming(r#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition"}}"#),
            Ok(Incoming::UserData {
                subscription_id: Some(0),
                ..
            })
        ));
        assert!(parse_incoming("[1]").is_err());
    }

    #[test]
    fn ids_unique_and_short() {
        let mut g = IdGenerator::new("a-very-long-prefix-indeed");
        let a = g.next_id();
        let b = g.next_id();
        assert_ne!(a, b);
        assert!(a.len() <= 36);
    }

    #[test]
    fn pending_table_matches_out_of_order_and_expires() {
        let mut t = PendingTable::default();
        t.insert("1".into(), 100, 'a');
        t.insert("2".into(), 200, 'b');
        t.insert("3".into(), 300, 'c');
        assert_eq!(t.take("2"), Some('b'));
        assert_eq!(t.take("2"), None);
        assert_eq!(t.expire(150), vec!['a']);
        assert_eq!(t.drain(), vec!['c']);
        assert!(t.is_empty());
    }
}
