//! Typed user data stream events (`user-data-stream.md`): what a
//! `userDataStream.subscribe` / `.signature` subscription delivers as
//! `{"subscriptionId":n,"event":{"e":…}}`. Parsing is pure: [`UserDataEvent::parse`].

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

/// `executionReport`: an order was placed, filled, cancelled, expired or rejected.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExecutionReport {
    /// Event time.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Client order id.
    #[serde(rename = "c")]
    pub client_order_id: String,
    /// Side (`BUY`/`SELL`).
    #[serde(rename = "S")]
    pub side: String,
    /// Order type.
    #[serde(rename = "o")]
    pub order_type: String,
    /// Time in force.
    #[serde(rename = "f", default)]
    pub time_in_force: Option<String>,
    /// Order quantity.
    #[serde(rename = "q")]
    pub quantity: Decimal,
    /// Order price.
    #[serde(rename = "p")]
    pub price: Decimal,
    /// Order list id (-1 outside lists).
    #[serde(rename = "g", default)]
    pub order_list_id: Option<i64>,
    /// Execution type (`NEW`, `TRADE`, `CANCELED`, …).
    #[serde(rename = "x")]
    pub execution_type: String,
    /// Order status.
    #[serde(rename = "X")]
    pub order_status: String,
    /// Order id.
    #[serde(rename = "i")]
    pub order_id: u64,
    /// Last executed quantity.
    #[serde(rename = "l", default)]
    pub last_qty: Option<Decimal>,
    /// Cumulative filled quantity.
    #[serde(rename = "z")]
    pub cumulative_qty: Decimal,
    /// Transaction time.
    #[serde(rename = "T")]
    pub transaction_time: u64,
}

/// One balance of `outboundAccountPosition`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PositionBalance {
    /// Asset.
    #[serde(rename = "a")]
    pub asset: String,
    /// Free.
    #[serde(rename = "f")]
    pub free: Decimal,
    /// Locked.
    #[serde(rename = "l")]
    pub locked: Decimal,
}

/// `outboundAccountPosition`: balances that changed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccountPosition {
    /// Event time.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Time of the account update.
    #[serde(rename = "u")]
    pub last_update: u64,
    /// Changed balances.
    #[serde(rename = "B")]
    pub balances: Vec<PositionBalance>,
}

/// `balanceUpdate` (deposit, withdrawal, transfer) and `externalLockUpdate` (a lock from
/// outside the spot account): an asset's delta.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AssetDelta {
    /// Event time.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Asset.
    #[serde(rename = "a")]
    pub asset: String,
    /// Delta.
    #[serde(rename = "d")]
    pub delta: Decimal,
    /// Clear / transaction time.
    #[serde(rename = "T")]
    pub time: u64,
}

/// An order of a `listStatus` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListStatusOrder {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Order id.
    #[serde(rename = "i")]
    pub order_id: u64,
    /// Client order id.
    #[serde(rename = "c")]
    pub client_order_id: String,
}

/// `listStatus`: an order list changed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListStatus {
    /// Event time.
    #[serde(rename = "E")]
    pub event_time: u64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Order list id.
    #[serde(rename = "g")]
    pub order_list_id: u64,
    /// Contingency type (`OCO`, `OTO`, …).
    #[serde(rename = "c")]
    pub contingency_type: String,
    /// List status type.
    #[serde(rename = "l")]
    pub list_status_type: String,
    /// List order status.
    #[serde(rename = "L")]
    pub list_order_status: String,
    /// List client order id.
    #[serde(rename = "C")]
    pub list_client_order_id: String,
    /// Transaction time.
    #[serde(rename = "T")]
    pub transaction_time: u64,
    /// The orders.
    #[serde(rename = "O")]
    pub orders: Vec<ListStatusOrder>,
}

/// A user data stream event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserDataEvent {
    /// `executionReport`.
    ExecutionReport(Box<ExecutionReport>),
    /// `outboundAccountPosition`.
    AccountPosition(AccountPosition),
    /// `balanceUpdate`.
    BalanceUpdate(AssetDelta),
    /// `listStatus`.
    ListStatus(ListStatus),
    /// `externalLockUpdate`.
    ExternalLockUpdate(AssetDelta),
    /// `eventStreamTerminated`: the subscription ended (logout or unsubscribe).
    EventStreamTerminated {
        /// Event time.
        event_time: u64,
    },
    /// An event type this version does not know, or one that did not decode, kept whole.
    Other(Value),
}

impl UserDataEvent {
    /// Parses the `event` object (pure). Never fails: what does not decode is
    /// [`UserDataEvent::Other`].
    pub fn parse(event: &Value) -> Self {
        fn de<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
            T::deserialize(v).ok()
        }
        let parsed = match event.get("e").and_then(Value::as_str) {
            Some("executionReport") => de(event).map(|r| Self::ExecutionReport(Box::new(r))),
            Some("outboundAccountPosition") => de(event).map(Self::AccountPosition),
            Some("balanceUpdate") => de(event).map(Self::BalanceUpdate),
            Some("listStatus") => de(event).map(Self::ListStatus),
            Some("externalLockUpdate") => de(event).map(Self::ExternalLockUpdate),
            Some("eventStreamTerminated") => event
                .get("E")
                .and_then(Value::as_u64)
                .map(|event_time| Self::EventStreamTerminated { event_time }),
            _ => None,
        };
        parsed.unwrap_or_else(|| Self::Other(event.clone()))
    }
}

/// An event with the subscription it came on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEvent {
    /// The subscription id as the server sent it (ids change after a reconnect).
    pub subscription_id: Option<u64>,
    /// The API key of the account the subscription belongs to, when the session made the
    /// subscription (stable across reconnects).
    pub account: Option<String>,
    /// The event.
    pub event: UserDataEvent,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documented_examples_parse() {
        // The examples of user-data-stream.md (trimmed).
        let er = json!({"e":"executionReport","E":1499405658658u64,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW",
            "S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000",
            "g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000",
            "L":"0.00000000","n":"0","N":null,"T":1499405658657u64,"t":-1,"I":8641984,"w":true,"m":false});
        match UserDataEvent::parse(&er) {
            UserDataEvent::ExecutionReport(r) => {
                assert_eq!(r.order_id, 4293153);
                assert_eq!(r.price.to_string(), "0.10264410");
            }
            other => panic!("{other:?}"),
        }
        let ls = json!({"e":"listStatus","E":1564035303637u64,"s":"ETHBTC","g":2,"c":"OCO","l":"EXEC_STARTED",
            "L":"EXECUTING","r":"NONE","C":"F4QN4G8DlFATFlIUQ0cjdD","T":1564035303625u64,
            "O":[{"s":"ETHBTC","i":17,"c":"AJYsMjErWJesZvqlJCTUgL"},{"s":"ETHBTC","i":18,"c":"bfYPSQdLoqAJeNrOr9adzq"}]});
        assert!(
            matches!(UserDataEvent::parse(&ls), UserDataEvent::ListStatus(l) if l.orders.len() == 2)
        );
        let bu = json!({"e":"balanceUpdate","E":1573200697110u64,"a":"BTC","d":"100.00000000","T":1573200697068u64});
        assert!(
            matches!(UserDataEvent::parse(&bu), UserDataEvent::BalanceUpdate(d) if d.asset == "BTC")
        );
        let el = json!({"e":"externalLockUpdate","E":1581557507324u64,"a":"NEO","d":"10.00000000","T":1581557507268u64});
        assert!(matches!(
            UserDataEvent::parse(&el),
            UserDataEvent::ExternalLockUpdate(_)
        ));
        let op = json!({"e":"outboundAccountPosition","E":1564034571105u64,"u":1564034571073u64,
            "B":[{"a":"ETH","f":"10000.000000","l":"0.000000"}]});
        assert!(
            matches!(UserDataEvent::parse(&op), UserDataEvent::AccountPosition(p) if p.balances.len() == 1)
        );
        let t = json!({"e":"eventStreamTerminated","E":1728973001334u64});
        assert_eq!(
            UserDataEvent::parse(&t),
            UserDataEvent::EventStreamTerminated {
                event_time: 1728973001334
            }
        );
        let bad = json!({"e":"balanceUpdate","a":"BTC"});
        assert!(matches!(
            UserDataEvent::parse(&bad),
            UserDataEvent::Other(_)
        ));
    }
}
