//! Method table (security and weight, section 2.7) and typed parameters/results for the
//! common calls. The typed calls themselves are methods of
//! [`WsApiClient`](super::WsApiClient).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::limits::{Cost, RateLimit};
use super::sign::Params;

/// How a method is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// Public.
    None,
    /// TRADE / USER_DATA: `timestamp` + signature (or a logged-on session).
    Signed,
    /// USER_STREAM on the logged-on session (`userDataStream.subscribe`): no params needed,
    /// but the session must be logged on with an Ed25519 key.
    LoggedOn,
}

/// Security and cost of `method` with `params` (section 2.7). Unknown methods are treated
/// as public with weight 1; use
/// [`WsApiClient::request_with`](super::WsApiClient::request_with) to state the real cost.
pub fn method_info(method: &str, params: Option<&Params>) -> (Security, Cost) {
    let has = |k: &str| params.is_some_and(|p| p.contains_key(k));
    let method = method.strip_prefix("v3/").unwrap_or(method);
    let w = |weight| Cost { weight, orders: 0 };
    let order = Cost {
        weight: 1,
        orders: 1,
    };
    match method {
        "ping" | "time" => (Security::None, w(1)),
        "exchangeInfo" => (Security::None, w(20)),
        "depth" => {
            let limit = params
                .and_then(|p| p.get("limit"))
                .and_then(as_u64)
                .unwrap_or(100);
            let weight = match limit {
                0..=100 => 5,
                101..=500 => 25,
                501..=1000 => 50,
                _ => 250,
            };
            (Security::None, w(weight))
        }
        "ticker.price" | "ticker.book" => (Security::None, w(if has("symbol") { 2 } else { 4 })),
        "order.place" | "order.cancelReplace" => (Security::Signed, order),
        "order.test" => (
            Security::Signed,
            w(if has("computeCommissionRates") { 20 } else { 1 }),
        ),
        "order.status" => (Security::Signed, w(4)),
        "order.cancel" | "openOrders.cancelAll" => (Security::Signed, w(1)),
        "openOrders.status" => (Security::Signed, w(if has("symbol") { 6 } else { 80 })),
        "account.status" => (Security::Signed, w(20)),
        "account.rateLimits.orders" => (Security::Signed, w(40)),
        "userDataStream.subscribe" => (Security::LoggedOn, w(2)),
        "userDataStream.subscribe.signature" => (Security::Signed, w(2)),
        "session.logon" => (Security::Signed, w(2)),
        "userDataStream.unsubscribe"
        | "session.subscriptions"
        | "session.status"
        | "session.logout" => (Security::None, w(2)),
        _ => (Security::None, w(1)),
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let s = String::deserialize(d)?;
    Decimal::from_str(&s).map_err(serde::de::Error::custom)
}

fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => Decimal::from_str(&s)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// `time` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// Server time (epoch ms).
    pub server_time: u64,
}

/// One price level `[price, quantity]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let [p, q] = <[String; 2]>::deserialize(d)?;
        let parse = |s: &str| Decimal::from_str(s).map_err(serde::de::Error::custom);
        Ok(Self {
            price: parse(&p)?,
            qty: parse(&q)?,
        })
    }
}

/// `depth` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Depth {
    /// Book sequence number.
    pub last_update_id: u64,
    /// Bids, best first.
    pub bids: Vec<Level>,
    /// Asks, best first.
    pub asks: Vec<Level>,
}

/// `ticker.price` result for one symbol.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TickerPrice {
    /// Symbol.
    pub symbol: String,
    /// Last price.
    #[serde(deserialize_with = "de_decimal")]
    pub price: Decimal,
}

/// A symbol of `exchangeInfo` (the fields most users need).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolInfo {
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Trading status, e.g. `TRADING`.
    pub status: String,
    /// Base asset.
    pub base_asset: String,
    /// Quote asset.
    pub quote_asset: String,
}

/// `exchangeInfo` result (subset).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    /// Time zone, `UTC`.
    #[serde(default)]
    pub timezone: String,
    /// Server time.
    pub server_time: u64,
    /// The limits in force.
    #[serde(default)]
    pub rate_limits: Vec<RateLimit>,
    /// Symbols.
    #[serde(default)]
    pub symbols: Vec<SymbolInfo>,
}

/// One balance of `account.status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Balance {
    /// Asset.
    pub asset: String,
    /// Free amount.
    #[serde(deserialize_with = "de_decimal")]
    pub free: Decimal,
    /// Locked amount.
    #[serde(deserialize_with = "de_decimal")]
    pub locked: Decimal,
}

/// `account.status` result (subset).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    /// Whether trading is enabled.
    pub can_trade: bool,
    /// Account type, e.g. `SPOT`.
    #[serde(default)]
    pub account_type: String,
    /// Last update (epoch ms).
    #[serde(default)]
    pub update_time: u64,
    /// Balances.
    #[serde(default)]
    pub balances: Vec<Balance>,
    /// Permissions.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

/// Order type (the common ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum OrderType {
    /// Limit order (needs `time_in_force`, `price`, `quantity`).
    Limit,
    /// Market order (needs `quantity` or `quote_order_qty`).
    Market,
    /// Limit maker (post-only).
    LimitMaker,
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

/// Parameters of `order.place` / `order.test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (LIMIT).
    pub time_in_force: Option<TimeInForce>,
    /// Price (LIMIT).
    pub price: Option<Decimal>,
    /// Base quantity.
    pub quantity: Option<Decimal>,
    /// Quote quantity (MARKET).
    pub quote_order_qty: Option<Decimal>,
    /// Client order id.
    pub new_client_order_id: Option<String>,
}

impl NewOrder {
    /// A GTC limit order.
    pub fn limit(symbol: &str, side: Side, price: Decimal, quantity: Decimal) -> Self {
        Self {
            symbol: symbol.to_owned(),
            side,
            order_type: OrderType::Limit,
            time_in_force: Some(TimeInForce::Gtc),
            price: Some(price),
            quantity: Some(quantity),
            quote_order_qty: None,
            new_client_order_id: None,
        }
    }

    /// A market order for a base quantity.
    pub fn market(symbol: &str, side: Side, quantity: Decimal) -> Self {
        Self {
            symbol: symbol.to_owned(),
            side,
            order_type: OrderType::Market,
            time_in_force: None,
            price: None,
            quantity: Some(quantity),
            quote_order_qty: None,
            new_client_order_id: None,
        }
    }

    /// The request parameters (decimals as strings, signed exactly as sent).
    pub fn to_params(&self) -> Params {
        let mut p = Params::new();
        fn s<T: Serialize>(v: &T) -> Value {
            serde_json::to_value(v).expect("enum serializes")
        }
        p.insert("symbol".into(), self.symbol.clone().into());
        p.insert("side".into(), s(&self.side));
        p.insert("type".into(), s(&self.order_type));
        if let Some(t) = self.time_in_force {
            p.insert("timeInForce".into(), s(&t));
        }
        if let Some(v) = self.price {
            p.insert("price".into(), v.to_string().into());
        }
        if let Some(v) = self.quantity {
            p.insert("quantity".into(), v.to_string().into());
        }
        if let Some(v) = self.quote_order_qty {
            p.insert("quoteOrderQty".into(), v.to_string().into());
        }
        if let Some(v) = &self.new_client_order_id {
            p.insert("newClientOrderId".into(), v.clone().into());
        }
        p
    }
}

/// Identifies an existing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRef {
    /// Exchange order id.
    Id(u64),
    /// Client order id.
    ClientId(String),
}

impl OrderRef {
    /// `{"symbol":…, "orderId"|"origClientOrderId":…}`.
    pub fn to_params(&self, symbol: &str) -> Params {
        let mut p = Params::new();
        p.insert("symbol".into(), symbol.into());
        match self {
            Self::Id(id) => p.insert("orderId".into(), (*id).into()),
            Self::ClientId(id) => p.insert("origClientOrderId".into(), id.clone().into()),
        };
        p
    }
}

/// An order as returned by `order.place` (RESULT/FULL), `order.status`, `order.cancel` and
/// `openOrders.status`. ACK responses fill only the ids.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Symbol.
    pub symbol: String,
    /// Exchange order id.
    pub order_id: u64,
    /// Client order id.
    #[serde(default)]
    pub client_order_id: String,
    /// Limit price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub price: Option<Decimal>,
    /// Ordered quantity.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub orig_qty: Option<Decimal>,
    /// Filled quantity.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub executed_qty: Option<Decimal>,
    /// `NEW`, `FILLED`, `CANCELED`, …
    #[serde(default)]
    pub status: Option<String>,
    /// Side.
    #[serde(default)]
    pub side: Option<Side>,
    /// Type as sent by the exchange.
    #[serde(default, rename = "type")]
    pub order_type: Option<String>,
    /// Transaction time (epoch ms), on place/cancel.
    #[serde(default)]
    pub transact_time: Option<u64>,
}

/// `session.logon` / `session.status` / `session.logout` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Logged-on API key, `None` when not authenticated.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Logon time.
    #[serde(default)]
    pub authorized_since: Option<u64>,
    /// Connection time.
    pub connected_since: u64,
    /// Default of `returnRateLimits`.
    #[serde(default)]
    pub return_rate_limits: bool,
    /// Server time.
    pub server_time: u64,
    /// `None` unavailable, `Some(true/false)` subscribed or not.
    #[serde(default)]
    pub user_data_stream: Option<bool>,
}

/// `userDataStream.subscribe` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Subscription id; events carry it.
    pub subscription_id: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weights_follow_the_method_table() {
        let p = |v: Value| v.as_object().cloned().unwrap();
        assert_eq!(method_info("ping", None).1.weight, 1);
        assert_eq!(
            method_info("depth", Some(&p(json!({"limit": 1000}))))
                .1
                .weight,
            50
        );
        assert_eq!(method_info("depth", None).1.weight, 5);
        assert_eq!(
            method_info("ticker.price", Some(&p(json!({"symbol":"X"}))))
                .1
                .weight,
            2
        );
        assert_eq!(method_info("ticker.price", None).1.weight, 4);
        assert_eq!(method_info("openOrders.status", None).1.weight, 80);
        assert_eq!(
            method_info("order.place", None),
            (
                Security::Signed,
                Cost {
                    weight: 1,
                    orders: 1
                }
            )
        );
        assert_eq!(
            method_info("v3/account.status", None),
            (
                Security::Signed,
                Cost {
                    weight: 20,
                    orders: 0
                }
            )
        );
        assert_eq!(
            method_info("userDataStream.subscribe", None).0,
            Security::LoggedOn
        );
    }

    #[test]
    fn order_params_keep_decimal_text() {
        let o = NewOrder::limit(
            "BTCUSDT",
            Side::Sell,
            "52000.00".parse().unwrap(),
            "0.01000000".parse().unwrap(),
        );
        let p = o.to_params();
        assert_eq!(p["price"], "52000.00");
        assert_eq!(p["quantity"], "0.01000000");
        assert_eq!(p["type"], "LIMIT");
        assert_eq!(p["timeInForce"], "GTC");
    }
}

mod typed {
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use super::super::error::WsApiError;
    use super::super::session::WsApiClient;
    use super::super::sign::Params;
    use super::*;

    fn decode<T: DeserializeOwned>(v: Value) -> Result<T, WsApiError> {
        serde_json::from_value(v)
            .map_err(|e| WsApiError::Protocol(format!("unexpected result: {e}")))
    }

    fn params(pairs: &[(&str, Value)]) -> Option<Params> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    /// Typed calls (section 2.7).
    impl WsApiClient {
        /// `ping` (weight 1).
        pub async fn ping(&self) -> Result<(), WsApiError> {
            self.request("ping", None).await.map(|_| ())
        }

        /// `time` (weight 1).
        pub async fn time(&self) -> Result<ServerTime, WsApiError> {
            decode(self.request("time", None).await?)
        }

        /// `exchangeInfo` for one symbol, or all when `None` (weight 20).
        pub async fn exchange_info(
            &self,
            symbol: Option<&str>,
        ) -> Result<ExchangeInfo, WsApiError> {
            let p = symbol.and_then(|s| params(&[("symbol", s.into())]));
            decode(self.request("exchangeInfo", p).await?)
        }

        /// `depth` (weight 5..250 by `limit`).
        pub async fn depth(&self, symbol: &str, limit: Option<u32>) -> Result<Depth, WsApiError> {
            let mut p = params(&[("symbol", symbol.into())]).unwrap_or_default();
            if let Some(l) = limit {
                p.insert("limit".into(), l.into());
            }
            decode(self.request("depth", Some(p)).await?)
        }

        /// `ticker.price` for one symbol (weight 2).
        pub async fn ticker_price(&self, symbol: &str) -> Result<TickerPrice, WsApiError> {
            decode(
                self.request("ticker.price", params(&[("symbol", symbol.into())]))
                    .await?,
            )
        }

        /// `account.status` (SIGNED, weight 20).
        pub async fn account_status(&self) -> Result<AccountStatus, WsApiError> {
            decode(self.request("account.status", None).await?)
        }

        /// `order.test` (SIGNED, weight 1): validates without placing.
        pub async fn order_test(&self, order: &NewOrder) -> Result<(), WsApiError> {
            self.request("order.test", Some(order.to_params()))
                .await
                .map(|_| ())
        }

        /// `order.place` (SIGNED, weight 1, one unfilled order), `newOrderRespType=RESULT`.
        pub async fn order_place(&self, order: &NewOrder) -> Result<Order, WsApiError> {
            let mut p = order.to_params();
            p.insert("newOrderRespType".into(), "RESULT".into());
            decode(self.request("order.place", Some(p)).await?)
        }

        /// `order.status` (SIGNED, weight 4).
        pub async fn order_status(
            &self,
            symbol: &str,
            order: &OrderRef,
        ) -> Result<Order, WsApiError> {
            decode(
                self.request("order.status", Some(order.to_params(symbol)))
                    .await?,
            )
        }

        /// `order.cancel` (SIGNED, weight 1).
        pub async fn order_cancel(
            &self,
            symbol: &str,
            order: &OrderRef,
        ) -> Result<Order, WsApiError> {
            decode(
                self.request("order.cancel", Some(order.to_params(symbol)))
                    .await?,
            )
        }

        /// `openOrders.status` for a symbol (weight 6) or all (weight 80).
        pub async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<Order>, WsApiError> {
            let p = symbol.and_then(|s| params(&[("symbol", s.into())]));
            decode(self.request("openOrders.status", p).await?)
        }

        /// `userDataStream.subscribe` (needs an Ed25519 logged-on session); events arrive on
        /// [`user_events`](WsApiClient::user_events).
        pub async fn user_data_subscribe(&self) -> Result<Subscription, WsApiError> {
            decode(self.request("userDataStream.subscribe", None).await?)
        }

        /// `session.logon` (Ed25519 only). The session does this itself after every connect
        /// unless [`logon`](super::super::WsApiConfig::logon) is off.
        pub async fn session_logon(&self) -> Result<SessionInfo, WsApiError> {
            decode(self.request("session.logon", None).await?)
        }

        /// `session.status`.
        pub async fn session_status(&self) -> Result<SessionInfo, WsApiError> {
            decode(self.request("session.status", None).await?)
        }

        /// `session.logout`.
        pub async fn session_logout(&self) -> Result<SessionInfo, WsApiError> {
            decode(self.request("session.logout", None).await?)
        }
    }
}
