//! Typed calls: one parameter struct per method of the WS API, each implementing [`Method`]
//! (its wire name and typed result), declared in ONE table below, grouped like the official
//! documentation. Security and weight come from the method table
//! ([`methods`](super::methods)), keyed by the same name; a unit test checks that both
//! tables name the same 55 methods.
//!
//! Send any of them with [`WsApiClient::call`](super::WsApiClient::call):
//!
//! ```no_run
//! # async fn demo(client: marketfeed::wsapi::WsApiClient) -> Result<(), marketfeed::wsapi::WsApiError> {
//! use marketfeed::wsapi::calls::{MyTrades, TickerBook};
//! let trades = client
//!     .call(&MyTrades { symbol: "BTCUSDT".into(), limit: Some(10), ..Default::default() })
//!     .await?; // signed, weight 20
//! let book = client.call(&TickerBook { symbol: Some("BTCUSDT".into()), ..Default::default() }).await?;
//! # Ok(()) }
//! ```
//!
//! Parameter fields are the documented parameters in snake case (sent in camelCase);
//! `None` fields are not sent. Every struct also has `extra`, a map of further parameters
//! sent as given, for documented parameters this version does not name. `timestamp`,
//! `recvWindow`, `apiKey` and `signature` are added by the session.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::results::*;
use super::sign::Params;

/// A typed WS API call: its parameters (the struct) and its result type.
pub trait Method: Serialize {
    /// The method name, e.g. `order.place`.
    const NAME: &'static str;
    /// The typed `result`.
    type Output: DeserializeOwned;

    /// The request parameters (fields that are `None` are left out; `None` when empty).
    fn to_params(&self) -> Option<Params> {
        let mut p = match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        p.retain(|_, v| !v.is_null());
        (!p.is_empty()).then_some(p)
    }
}

/// Order side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// Buy (the default, so parameter structs can derive `Default`).
    #[default]
    Buy,
    /// Sell.
    Sell,
}

/// Order type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum OrderType {
    /// Limit order (needs `time_in_force`, `price`, `quantity`); the default.
    #[default]
    Limit,
    /// Market order (needs `quantity` or `quote_order_qty`).
    Market,
    /// Limit maker (post-only).
    LimitMaker,
    /// Stop loss (market when triggered).
    StopLoss,
    /// Stop loss limit.
    StopLossLimit,
    /// Take profit (market when triggered).
    TakeProfit,
    /// Take profit limit.
    TakeProfitLimit,
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

/// `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ResponseType {
    /// Ids only.
    Ack,
    /// The order.
    Result,
    /// The order and its fills.
    Full,
}

/// `cancelReplaceMode` of `order.cancelReplace`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CancelReplaceMode {
    /// Do not place the new order if the cancel fails (the default).
    #[default]
    StopOnFailure,
    /// Place the new order even if the cancel fails.
    AllowFailure,
}

macro_rules! calls {
    ($(
        $group:literal {
            $(
                $(#[$doc:meta])*
                $name:ident = $method:literal -> $out:ty {
                    $( $(#[$fmeta:meta])* $field:ident : $fty:ty ),* $(,)?
                }
            )*
        }
    )*) => {
        $($(
            $(#[$doc])*
            #[doc = ""]
            #[doc = concat!("Method `", $method, "` (", $group, "); result: [`", stringify!($out), "`].")]
            #[derive(Debug, Clone, Default, PartialEq, Serialize)]
            #[serde(rename_all = "camelCase")]
            pub struct $name {
                $(
                    $(#[$fmeta])*
                    #[doc = concat!("Parameter `", stringify!($field), "` (camelCase on the wire).")]
                    pub $field: $fty,
                )*
                /// Further parameters, sent as given.
                #[serde(flatten)]
                pub extra: Params,
            }

            impl Method for $name {
                const NAME: &'static str = $method;
                type Output = $out;
            }
        )*)*

        /// The method names of all typed calls, in table order.
        pub const CALLS: &[&str] = &[$($($method,)*)*];
    };
}

calls! {
    "general" {
        /// Test connectivity.
        Ping = "ping" -> Empty {}
        /// Server time.
        Time = "time" -> ServerTime {}
        /// Exchange information (one of `symbol`, `symbols`, `permissions`).
        ExchangeInfo = "exchangeInfo" -> crate::wsapi::results::ExchangeInfo {
            symbol: Option<String>,
            symbols: Option<Vec<String>>,
            permissions: Option<Vec<String>>,
            show_permission_sets: Option<bool>,
            symbol_status: Option<String>,
        }
        /// Execution rules (price range rules) of symbols.
        ExecutionRules = "executionRules" -> crate::wsapi::results::ExecutionRules {
            symbol: Option<String>,
            symbols: Option<Vec<String>>,
            symbol_status: Option<String>,
        }
    }
    "market data" {
        /// Order book (weight by `limit`).
        Depth = "depth" -> crate::wsapi::results::Depth {
            symbol: String,
            limit: Option<u32>,
            symbol_status: Option<String>,
        }
        /// Recent trades.
        TradesRecent = "trades.recent" -> Vec<Trade> { symbol: String, limit: Option<u32> }
        /// Historical trades.
        TradesHistorical = "trades.historical" -> Vec<Trade> {
            symbol: String,
            from_id: Option<u64>,
            limit: Option<u32>,
        }
        /// Historical block trades.
        BlockTradesHistorical = "blockTrades.historical" -> Vec<Trade> {
            symbol: String,
            from_id: u64,
            limit: Option<u32>,
        }
        /// Aggregate trades.
        TradesAggregate = "trades.aggregate" -> Vec<AggTrade> {
            symbol: String,
            from_id: Option<u64>,
            start_time: Option<u64>,
            end_time: Option<u64>,
            limit: Option<u32>,
        }
        /// Klines (`interval` such as `1m`, `1h`, `1d`).
        Klines = "klines" -> Vec<Kline> {
            symbol: String,
            interval: String,
            start_time: Option<u64>,
            end_time: Option<u64>,
            time_zone: Option<String>,
            limit: Option<u32>,
        }
        /// Klines tuned for charts.
        UiKlines = "uiKlines" -> Vec<Kline> {
            symbol: String,
            interval: String,
            start_time: Option<u64>,
            end_time: Option<u64>,
            time_zone: Option<String>,
            limit: Option<u32>,
        }
        /// Current average price.
        AvgPrice = "avgPrice" -> crate::wsapi::results::AvgPrice { symbol: String }
        /// 24 h statistics (weight by symbol count).
        Ticker24hr = "ticker.24hr" -> OneOrMany<TickerStats> {
            symbol: Option<String>,
            symbols: Option<Vec<String>>,
            r#type: Option<String>,
        }
        /// Trading day statistics (4 per symbol, capped at 200).
        TickerTradingDay = "ticker.tradingDay" -> OneOrMany<TickerStats> {
            symbol: Option<String>,
            symbols: Option<Vec<String>>,
            time_zone: Option<String>,
            r#type: Option<String>,
        }
        /// Rolling window statistics (4 per symbol, 200 above 50).
        Ticker = "ticker" -> OneOrMany<TickerStats> {
            symbol: Option<String>,
            symbols: Option<Vec<String>>,
            r#type: Option<String>,
            window_size: Option<String>,
        }
        /// Last price.
        TickerPrice = "ticker.price" -> OneOrMany<crate::wsapi::results::TickerPrice> {
            symbol: Option<String>,
            symbols: Option<Vec<String>>,
        }
        /// Best bid and ask.
        TickerBook = "ticker.book" -> OneOrMany<BookTicker> {
            symbol: Option<String>,
            symbols: Option<Vec<String>>,
        }
        /// Reference price.
        ReferencePrice = "referencePrice" -> crate::wsapi::results::ReferencePrice { symbol: String }
        /// How the reference price is calculated.
        ReferencePriceCalculation = "referencePrice.calculation"
            -> crate::wsapi::results::ReferencePriceCalculation {
            symbol: String,
            symbol_status: Option<String>,
        }
    }
    "session" {
        /// Log on with an Ed25519 key (the session does this itself after connecting).
        SessionLogon = "session.logon" -> SessionInfo {}
        /// Session status.
        SessionStatus = "session.status" -> SessionInfo {}
        /// Log out.
        SessionLogout = "session.logout" -> SessionInfo {}
    }
    "trading" {
        /// Place an order (1 unfilled order).
        OrderPlace = "order.place" -> Order {
            symbol: String,
            side: Side,
            #[serde(rename = "type")]
            order_type: OrderType,
            time_in_force: Option<TimeInForce>,
            price: Option<Decimal>,
            quantity: Option<Decimal>,
            quote_order_qty: Option<Decimal>,
            new_client_order_id: Option<String>,
            new_order_resp_type: Option<ResponseType>,
            stop_price: Option<Decimal>,
            trailing_delta: Option<u64>,
            iceberg_qty: Option<Decimal>,
            self_trade_prevention_mode: Option<String>,
        }
        /// Validate an order without placing it (weight 20 with `compute_commission_rates`).
        OrderTest = "order.test" -> OrderTestResult {
            symbol: String,
            side: Side,
            #[serde(rename = "type")]
            order_type: OrderType,
            time_in_force: Option<TimeInForce>,
            price: Option<Decimal>,
            quantity: Option<Decimal>,
            quote_order_qty: Option<Decimal>,
            new_client_order_id: Option<String>,
            stop_price: Option<Decimal>,
            compute_commission_rates: Option<bool>,
        }
        /// Cancel an order (`order_id` or `orig_client_order_id`).
        OrderCancel = "order.cancel" -> Order {
            symbol: String,
            order_id: Option<u64>,
            orig_client_order_id: Option<String>,
            new_client_order_id: Option<String>,
            cancel_restrictions: Option<String>,
        }
        /// Cancel an order and place a new one (1 unfilled order).
        OrderCancelReplace = "order.cancelReplace" -> CancelReplace {
            symbol: String,
            cancel_replace_mode: CancelReplaceMode,
            cancel_order_id: Option<u64>,
            cancel_orig_client_order_id: Option<String>,
            cancel_new_client_order_id: Option<String>,
            side: Side,
            #[serde(rename = "type")]
            order_type: OrderType,
            time_in_force: Option<TimeInForce>,
            price: Option<Decimal>,
            quantity: Option<Decimal>,
            quote_order_qty: Option<Decimal>,
            new_client_order_id: Option<String>,
            new_order_resp_type: Option<ResponseType>,
            stop_price: Option<Decimal>,
        }
        /// Reduce an order's quantity keeping its priority (weight 4, no unfilled order).
        OrderAmendKeepPriority = "order.amend.keepPriority" -> AmendResult {
            symbol: String,
            order_id: Option<u64>,
            orig_client_order_id: Option<String>,
            new_client_order_id: Option<String>,
            new_qty: Decimal,
        }
        /// Cancel all open orders (and order lists) of a symbol.
        OpenOrdersCancelAll = "openOrders.cancelAll" -> Vec<Cancelled> { symbol: String }
        /// Place an OCO (deprecated form: limit + stop).
        OrderListPlace = "orderList.place" -> OrderList {
            symbol: String,
            side: Side,
            price: Decimal,
            quantity: Decimal,
            list_client_order_id: Option<String>,
            limit_client_order_id: Option<String>,
            stop_price: Option<Decimal>,
            trailing_delta: Option<u64>,
            stop_client_order_id: Option<String>,
            stop_limit_price: Option<Decimal>,
            stop_limit_time_in_force: Option<TimeInForce>,
            new_order_resp_type: Option<ResponseType>,
        }
        /// Place an OCO: an above and a below order (2 unfilled orders).
        OrderListPlaceOco = "orderList.place.oco" -> OrderList {
            symbol: String,
            side: Side,
            quantity: Decimal,
            list_client_order_id: Option<String>,
            above_type: OrderType,
            above_client_order_id: Option<String>,
            above_price: Option<Decimal>,
            above_stop_price: Option<Decimal>,
            above_trailing_delta: Option<u64>,
            above_time_in_force: Option<TimeInForce>,
            below_type: OrderType,
            below_client_order_id: Option<String>,
            below_price: Option<Decimal>,
            below_stop_price: Option<Decimal>,
            below_trailing_delta: Option<u64>,
            below_time_in_force: Option<TimeInForce>,
            new_order_resp_type: Option<ResponseType>,
            self_trade_prevention_mode: Option<String>,
        }
        /// Place an OTO: a working order that triggers a pending order (2 unfilled orders).
        OrderListPlaceOto = "orderList.place.oto" -> OrderList {
            symbol: String,
            list_client_order_id: Option<String>,
            new_order_resp_type: Option<ResponseType>,
            working_type: OrderType,
            working_side: Side,
            working_client_order_id: Option<String>,
            working_price: Decimal,
            working_quantity: Decimal,
            working_time_in_force: Option<TimeInForce>,
            pending_type: OrderType,
            pending_side: Side,
            pending_client_order_id: Option<String>,
            pending_price: Option<Decimal>,
            pending_stop_price: Option<Decimal>,
            pending_quantity: Decimal,
            pending_time_in_force: Option<TimeInForce>,
        }
        /// Place an OTOCO: a working order that triggers an OCO pair (3 unfilled orders).
        OrderListPlaceOtoco = "orderList.place.otoco" -> OrderList {
            symbol: String,
            list_client_order_id: Option<String>,
            new_order_resp_type: Option<ResponseType>,
            working_type: OrderType,
            working_side: Side,
            working_client_order_id: Option<String>,
            working_price: Decimal,
            working_quantity: Decimal,
            working_time_in_force: Option<TimeInForce>,
            pending_side: Side,
            pending_quantity: Decimal,
            pending_above_type: OrderType,
            pending_above_price: Option<Decimal>,
            pending_above_stop_price: Option<Decimal>,
            pending_above_time_in_force: Option<TimeInForce>,
            pending_below_type: Option<OrderType>,
            pending_below_price: Option<Decimal>,
            pending_below_stop_price: Option<Decimal>,
            pending_below_time_in_force: Option<TimeInForce>,
        }
        /// Place an OPO: a working order and a pending order sized by its fills (2 unfilled
        /// orders).
        OrderListPlaceOpo = "orderList.place.opo" -> OrderList {
            symbol: String,
            list_client_order_id: Option<String>,
            new_order_resp_type: Option<ResponseType>,
            working_type: OrderType,
            working_side: Side,
            working_client_order_id: Option<String>,
            working_price: Decimal,
            working_quantity: Decimal,
            working_time_in_force: Option<TimeInForce>,
            pending_type: OrderType,
            pending_side: Side,
            pending_client_order_id: Option<String>,
            pending_price: Option<Decimal>,
            pending_stop_price: Option<Decimal>,
            pending_time_in_force: Option<TimeInForce>,
        }
        /// Place an OPOCO: a working order and a pending OCO pair (3 unfilled orders).
        OrderListPlaceOpoco = "orderList.place.opoco" -> OrderList {
            symbol: String,
            list_client_order_id: Option<String>,
            new_order_resp_type: Option<ResponseType>,
            working_type: OrderType,
            working_side: Side,
            working_client_order_id: Option<String>,
            working_price: Decimal,
            working_quantity: Decimal,
            working_time_in_force: Option<TimeInForce>,
            pending_side: Side,
            pending_above_type: OrderType,
            pending_above_price: Option<Decimal>,
            pending_above_stop_price: Option<Decimal>,
            pending_above_time_in_force: Option<TimeInForce>,
            pending_below_type: Option<OrderType>,
            pending_below_price: Option<Decimal>,
            pending_below_stop_price: Option<Decimal>,
            pending_below_time_in_force: Option<TimeInForce>,
        }
        /// Cancel an order list.
        OrderListCancel = "orderList.cancel" -> OrderList {
            symbol: String,
            order_list_id: Option<u64>,
            list_client_order_id: Option<String>,
            new_client_order_id: Option<String>,
        }
        /// Place an order through the smart order router (1 unfilled order).
        SorOrderPlace = "sor.order.place" -> Vec<Order> {
            symbol: String,
            side: Side,
            #[serde(rename = "type")]
            order_type: OrderType,
            time_in_force: Option<TimeInForce>,
            price: Option<Decimal>,
            quantity: Decimal,
            new_client_order_id: Option<String>,
            new_order_resp_type: Option<ResponseType>,
        }
        /// Validate an SOR order (weight 20 with `compute_commission_rates`).
        SorOrderTest = "sor.order.test" -> OrderTestResult {
            symbol: String,
            side: Side,
            #[serde(rename = "type")]
            order_type: OrderType,
            time_in_force: Option<TimeInForce>,
            price: Option<Decimal>,
            quantity: Decimal,
            compute_commission_rates: Option<bool>,
        }
    }
    "account" {
        /// Account information.
        AccountStatus = "account.status" -> crate::wsapi::results::AccountStatus {
            omit_zero_balances: Option<bool>,
        }
        /// Query an order.
        OrderStatus = "order.status" -> Order {
            symbol: String,
            order_id: Option<u64>,
            orig_client_order_id: Option<String>,
        }
        /// Open orders of a symbol (weight 6) or of all symbols (80).
        OpenOrdersStatus = "openOrders.status" -> Vec<Order> { symbol: Option<String> }
        /// Order history of a symbol.
        AllOrders = "allOrders" -> Vec<Order> {
            symbol: String,
            order_id: Option<u64>,
            start_time: Option<u64>,
            end_time: Option<u64>,
            limit: Option<u32>,
        }
        /// Query an order list.
        OrderListStatus = "orderList.status" -> OrderList {
            orig_client_order_id: Option<String>,
            order_list_id: Option<u64>,
        }
        /// Open order lists.
        OpenOrderListsStatus = "openOrderLists.status" -> Vec<OrderList> {}
        /// Order list history.
        AllOrderLists = "allOrderLists" -> Vec<OrderList> {
            from_id: Option<u64>,
            start_time: Option<u64>,
            end_time: Option<u64>,
            limit: Option<u32>,
        }
        /// Account trades (weight 5 with `order_id`, else 20).
        MyTrades = "myTrades" -> Vec<AccountTrade> {
            symbol: String,
            order_id: Option<u64>,
            start_time: Option<u64>,
            end_time: Option<u64>,
            from_id: Option<u64>,
            limit: Option<u32>,
        }
        /// Unfilled order counts.
        AccountRateLimitsOrders = "account.rateLimits.orders" -> Vec<crate::wsapi::RateLimit> {}
        /// Prevented matches (by `prevented_match_id`: weight 2; by `order_id`: 20).
        MyPreventedMatches = "myPreventedMatches" -> Vec<PreventedMatch> {
            symbol: String,
            prevented_match_id: Option<u64>,
            order_id: Option<u64>,
            from_prevented_match_id: Option<u64>,
            limit: Option<u32>,
        }
        /// SOR allocations.
        MyAllocations = "myAllocations" -> Vec<Allocation> {
            symbol: String,
            start_time: Option<u64>,
            end_time: Option<u64>,
            from_allocation_id: Option<u64>,
            limit: Option<u32>,
            order_id: Option<u64>,
        }
        /// Commission rates of a symbol.
        AccountCommission = "account.commission" -> crate::wsapi::results::AccountCommission {
            symbol: String,
        }
        /// Amendments of an order.
        OrderAmendments = "order.amendments" -> Vec<OrderAmendment> {
            symbol: String,
            order_id: u64,
            from_execution_id: Option<u64>,
            limit: Option<u32>,
        }
        /// Filters that apply to the account for a symbol.
        MyFilters = "myFilters" -> crate::wsapi::results::MyFilters { symbol: String }
    }
    "user data stream" {
        /// Subscribe the logged-on account (needs an Ed25519 logon).
        UserDataStreamSubscribe = "userDataStream.subscribe" -> Subscription {}
        /// Close one subscription, or all (`subscription_id` `None`).
        UserDataStreamUnsubscribe = "userDataStream.unsubscribe" -> Empty {
            subscription_id: Option<u64>,
        }
        /// List the connection's subscriptions.
        SessionSubscriptions = "session.subscriptions" -> Vec<Subscription> {}
        /// Subscribe an account by signature (signed with that account's key; see
        /// [`WsApiClient::user_data_subscribe_signature`](crate::wsapi::WsApiClient::user_data_subscribe_signature)).
        UserDataStreamSubscribeSignature = "userDataStream.subscribe.signature" -> Subscription {}
    }
}

impl OrderPlace {
    /// A GTC limit order.
    pub fn limit(symbol: &str, side: Side, price: Decimal, quantity: Decimal) -> Self {
        Self {
            symbol: symbol.to_owned(),
            side,
            order_type: OrderType::Limit,
            time_in_force: Some(TimeInForce::Gtc),
            price: Some(price),
            quantity: Some(quantity),
            ..Self::default()
        }
    }

    /// A market order for a base quantity.
    pub fn market(symbol: &str, side: Side, quantity: Decimal) -> Self {
        Self {
            symbol: symbol.to_owned(),
            side,
            order_type: OrderType::Market,
            quantity: Some(quantity),
            ..Self::default()
        }
    }

    /// The same order as an `order.test` call.
    pub fn to_test(&self) -> OrderTest {
        OrderTest {
            symbol: self.symbol.clone(),
            side: self.side,
            order_type: self.order_type,
            time_in_force: self.time_in_force,
            price: self.price,
            quantity: self.quantity,
            quote_order_qty: self.quote_order_qty,
            new_client_order_id: self.new_client_order_id.clone(),
            stop_price: self.stop_price,
            compute_commission_rates: None,
            extra: self.extra.clone(),
        }
    }
}

/// The parameters of `order.place` (the name of earlier versions).
pub type NewOrder = OrderPlace;

/// Identifies an existing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRef {
    /// Exchange order id.
    Id(u64),
    /// Client order id.
    ClientId(String),
}

impl OrderRef {
    /// `(orderId, origClientOrderId)`.
    pub fn split(&self) -> (Option<u64>, Option<String>) {
        match self {
            Self::Id(id) => (Some(*id), None),
            Self::ClientId(c) => (None, Some(c.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_typed_call_for_every_method_of_the_table() {
        let calls: BTreeSet<&str> = CALLS.iter().copied().collect();
        let table: BTreeSet<&str> = super::super::methods::METHODS
            .iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(calls, table);
        assert_eq!(CALLS.len(), 55, "no duplicates");
    }

    #[test]
    fn params_are_camel_case_without_nulls_and_keep_decimal_text() {
        let o = OrderPlace::limit(
            "BTCUSDT",
            Side::Sell,
            "52000.00".parse().unwrap(),
            "0.01000000".parse().unwrap(),
        );
        let p = o.to_params().unwrap();
        assert_eq!(p["price"], "52000.00");
        assert_eq!(p["quantity"], "0.01000000");
        assert_eq!(p["type"], "LIMIT");
        assert_eq!(p["timeInForce"], "GTC");
        assert!(!p.contains_key("stopPrice"));
        let t = Ticker24hr {
            r#type: Some("MINI".into()),
            symbols: Some(vec!["A".into(), "B".into()]),
            ..Default::default()
        };
        let p = t.to_params().unwrap();
        assert_eq!(p["type"], "MINI");
        assert_eq!(p["symbols"], serde_json::json!(["A", "B"]));
        assert_eq!(Ping::default().to_params(), None);
        let oto = OrderListPlaceOtoco {
            pending_above_type: OrderType::TakeProfitLimit,
            ..Default::default()
        };
        assert_eq!(
            oto.to_params().unwrap()["pendingAboveType"],
            "TAKE_PROFIT_LIMIT"
        );
    }
}
