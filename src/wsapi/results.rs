//! Typed results of the WS API methods, shaped like the response examples of the official
//! documentation. Fields the documentation marks as optional, or that only some order types
//! or response types carry, are `Option` or default; everything a struct does not name is
//! kept in its `other` map where the shape is open-ended.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::limits::RateLimit;

/// A result without content (`{}`), e.g. `ping`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Empty {}

/// Either one object (a request with `symbol`) or a list (with `symbols`, or for all).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// One symbol.
    One(T),
    /// Several symbols.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// All entries as a vector.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            Self::One(t) => vec![t],
            Self::Many(v) => v,
        }
    }
}

/// `time` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// Server time (epoch ms).
    pub server_time: u64,
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
    /// Allowed order types.
    #[serde(default)]
    pub order_types: Vec<String>,
    /// Symbol filters (open-ended objects).
    #[serde(default)]
    pub filters: Vec<Map<String, Value>>,
}

/// `exchangeInfo` result.
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
    /// Exchange filters.
    #[serde(default)]
    pub exchange_filters: Vec<Map<String, Value>>,
    /// Symbols.
    #[serde(default)]
    pub symbols: Vec<SymbolInfo>,
}

/// The rules of one symbol in `executionRules`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SymbolRules {
    /// Symbol.
    pub symbol: String,
    /// Rules (`ruleType` and its values).
    pub rules: Vec<Map<String, Value>>,
}

/// `executionRules` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRules {
    /// Per-symbol rules.
    pub symbol_rules: Vec<SymbolRules>,
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
        let [price, qty] = <[Decimal; 2]>::deserialize(d)?;
        Ok(Self { price, qty })
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

/// A trade of `trades.recent`, `trades.historical` and `blockTrades.historical`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trade {
    /// Trade id.
    pub id: u64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// Quote quantity.
    pub quote_qty: Decimal,
    /// Trade time (epoch ms).
    pub time: u64,
    /// Whether the buyer was the maker.
    pub is_buyer_maker: bool,
    /// Whether it was the best price match (absent for block trades).
    #[serde(default)]
    pub is_best_match: Option<bool>,
}

/// An aggregate trade of `trades.aggregate`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AggTrade {
    /// Aggregate trade id.
    #[serde(rename = "a")]
    pub id: u64,
    /// Price.
    #[serde(rename = "p")]
    pub price: Decimal,
    /// Quantity.
    #[serde(rename = "q")]
    pub qty: Decimal,
    /// First trade id.
    #[serde(rename = "f")]
    pub first_trade_id: u64,
    /// Last trade id.
    #[serde(rename = "l")]
    pub last_trade_id: u64,
    /// Time (epoch ms).
    #[serde(rename = "T")]
    pub time: u64,
    /// Whether the buyer was the maker.
    #[serde(rename = "m")]
    pub is_buyer_maker: bool,
    /// Best price match.
    #[serde(rename = "M")]
    pub is_best_match: bool,
}

/// A kline of `klines` / `uiKlines` (an array of 12 on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kline {
    /// Open time (epoch ms).
    pub open_time: u64,
    /// Open price.
    pub open: Decimal,
    /// High price.
    pub high: Decimal,
    /// Low price.
    pub low: Decimal,
    /// Close price.
    pub close: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Close time (epoch ms).
    pub close_time: u64,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Number of trades.
    pub trades: u64,
    /// Taker buy base volume.
    pub taker_buy_base_volume: Decimal,
    /// Taker buy quote volume.
    pub taker_buy_quote_volume: Decimal,
}

impl<'de> Deserialize<'de> for Kline {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        type Wire = (
            u64,
            Decimal,
            Decimal,
            Decimal,
            Decimal,
            Decimal,
            u64,
            Decimal,
            u64,
            Decimal,
            Decimal,
            Value,
        );
        let w = Wire::deserialize(d)?;
        Ok(Self {
            open_time: w.0,
            open: w.1,
            high: w.2,
            low: w.3,
            close: w.4,
            volume: w.5,
            close_time: w.6,
            quote_volume: w.7,
            trades: w.8,
            taker_buy_base_volume: w.9,
            taker_buy_quote_volume: w.10,
        })
    }
}

/// `avgPrice` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvgPrice {
    /// Averaging interval in minutes.
    pub mins: u64,
    /// Average price.
    pub price: Decimal,
    /// Last trade time (epoch ms).
    pub close_time: u64,
}

/// Price change statistics of `ticker.24hr`, `ticker.tradingDay` and `ticker` (type FULL;
/// MINI responses leave the price change fields empty).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TickerStats {
    /// Symbol.
    pub symbol: String,
    /// Absolute price change.
    #[serde(default)]
    pub price_change: Option<Decimal>,
    /// Relative price change in percent.
    #[serde(default)]
    pub price_change_percent: Option<Decimal>,
    /// Open price.
    pub open_price: Decimal,
    /// High price.
    pub high_price: Decimal,
    /// Low price.
    pub low_price: Decimal,
    /// Last price.
    pub last_price: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Window open (epoch ms).
    pub open_time: u64,
    /// Window close (epoch ms).
    pub close_time: u64,
    /// First trade id.
    pub first_id: i64,
    /// Last trade id.
    pub last_id: i64,
    /// Number of trades.
    pub count: u64,
}

/// `ticker.price` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TickerPrice {
    /// Symbol.
    pub symbol: String,
    /// Last price.
    pub price: Decimal,
}

/// `ticker.book` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookTicker {
    /// Symbol.
    pub symbol: String,
    /// Best bid price.
    pub bid_price: Decimal,
    /// Best bid quantity.
    pub bid_qty: Decimal,
    /// Best ask price.
    pub ask_price: Decimal,
    /// Best ask quantity.
    pub ask_qty: Decimal,
}

/// `referencePrice` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferencePrice {
    /// Symbol.
    pub symbol: String,
    /// Reference price (`null` when none is available).
    #[serde(default)]
    pub reference_price: Option<Decimal>,
    /// When the reference price was valid (epoch ms).
    pub timestamp: u64,
}

/// `referencePrice.calculation` result: how the symbol's reference price is computed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferencePriceCalculation {
    /// Symbol.
    pub symbol: String,
    /// Calculation type, e.g. `ARITHMETIC_MEAN`.
    pub calculation_type: String,
    /// The remaining calculation settings.
    #[serde(flatten)]
    pub other: Map<String, Value>,
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

/// A fill of an order placed with `newOrderRespType=FULL` (and of SOR orders).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fill {
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Commission.
    pub commission: Decimal,
    /// Commission asset (`null` possible).
    #[serde(default)]
    pub commission_asset: Option<String>,
    /// Trade id (-1 for SOR allocations).
    pub trade_id: i64,
}

/// An order as returned by `order.place` (RESULT/FULL), `order.status`, `order.cancel`,
/// `openOrders.status`, `allOrders`, `sor.order.place` and the reports of order lists. ACK
/// responses fill only the ids.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Symbol.
    pub symbol: String,
    /// Exchange order id.
    pub order_id: u64,
    /// Order list id (-1 outside lists).
    #[serde(default)]
    pub order_list_id: Option<i64>,
    /// Client order id.
    #[serde(default)]
    pub client_order_id: String,
    /// The client id the order had before a cancel / amend.
    #[serde(default)]
    pub orig_client_order_id: Option<String>,
    /// Limit price.
    #[serde(default)]
    pub price: Option<Decimal>,
    /// Ordered quantity (`qty` in amend results).
    #[serde(default, alias = "qty")]
    pub orig_qty: Option<Decimal>,
    /// Filled quantity.
    #[serde(default)]
    pub executed_qty: Option<Decimal>,
    /// `NEW`, `FILLED`, `CANCELED`, …
    #[serde(default)]
    pub status: Option<String>,
    /// Time in force.
    #[serde(default)]
    pub time_in_force: Option<String>,
    /// Side.
    #[serde(default)]
    pub side: Option<super::calls::Side>,
    /// Type as sent by the exchange.
    #[serde(default, rename = "type")]
    pub order_type: Option<String>,
    /// Stop price (stop orders).
    #[serde(default)]
    pub stop_price: Option<Decimal>,
    /// Transaction time (epoch ms), on place/cancel.
    #[serde(default)]
    pub transact_time: Option<u64>,
    /// Creation time (epoch ms), on queries.
    #[serde(default)]
    pub time: Option<u64>,
    /// Fills (`FULL` responses, SOR).
    #[serde(default)]
    pub fills: Vec<Fill>,
    /// Whether SOR was used.
    #[serde(default)]
    pub used_sor: Option<bool>,
}

/// Commission rates (`maker`, `taker`, `buyer`, `seller`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rates {
    /// Maker rate.
    pub maker: Decimal,
    /// Taker rate.
    pub taker: Decimal,
    /// Buyer rate.
    pub buyer: Decimal,
    /// Seller rate.
    pub seller: Decimal,
}

/// `order.test` / `sor.order.test` result: empty unless `computeCommissionRates=true`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderTestResult {
    /// Standard commission for the order.
    #[serde(default)]
    pub standard_commission_for_order: Option<Map<String, Value>>,
    /// Special commission for the order.
    #[serde(default)]
    pub special_commission_for_order: Option<Map<String, Value>>,
    /// Tax commission for the order.
    #[serde(default)]
    pub tax_commission_for_order: Option<Map<String, Value>>,
    /// BNB discount.
    #[serde(default)]
    pub discount: Option<Map<String, Value>>,
}

/// `order.cancelReplace` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelReplace {
    /// `SUCCESS` or `FAILURE`.
    pub cancel_result: String,
    /// `SUCCESS`, `FAILURE` or `NOT_ATTEMPTED`.
    pub new_order_result: String,
    /// The cancelled order.
    #[serde(default)]
    pub cancel_response: Option<Order>,
    /// The new order.
    #[serde(default)]
    pub new_order_response: Option<Order>,
}

/// `order.amend.keepPriority` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmendResult {
    /// Transaction time.
    pub transact_time: u64,
    /// Execution id of the amendment.
    pub execution_id: u64,
    /// The order after the amendment (`orig_qty` holds the new quantity).
    pub amended_order: Order,
    /// The order list status, for an order of a list.
    #[serde(default)]
    pub list_status: Option<Map<String, Value>>,
}

/// An order of an order list (ids only).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOrder {
    /// Symbol.
    pub symbol: String,
    /// Order id.
    pub order_id: u64,
    /// Client order id.
    pub client_order_id: String,
}

/// An order list (OCO, OTO, OTOCO, OPO, OPOCO): place, cancel and status results.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderList {
    /// Order list id.
    pub order_list_id: u64,
    /// `OCO`, `OTO`, ….
    pub contingency_type: String,
    /// `EXEC_STARTED`, `ALL_DONE`, ….
    pub list_status_type: String,
    /// `EXECUTING`, `ALL_DONE`, `REJECT`.
    pub list_order_status: String,
    /// Client id of the list.
    pub list_client_order_id: String,
    /// Transaction time.
    pub transaction_time: u64,
    /// Symbol.
    pub symbol: String,
    /// The orders (ids).
    pub orders: Vec<ListOrder>,
    /// Full reports (place and cancel results; absent in status queries).
    #[serde(default)]
    pub order_reports: Vec<Order>,
}

/// One entry of `openOrders.cancelAll`: a single order, or an order list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Cancelled {
    /// An order list (has `orderListId` and `orders`).
    List(OrderList),
    /// A single order.
    Order(Order),
}

/// One balance of `account.status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Balance {
    /// Asset.
    pub asset: String,
    /// Free amount.
    pub free: Decimal,
    /// Locked amount.
    pub locked: Decimal,
}

/// `account.status` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    /// Whether trading is enabled.
    pub can_trade: bool,
    /// Account type, e.g. `SPOT`.
    #[serde(default)]
    pub account_type: String,
    /// Commission rates.
    #[serde(default)]
    pub commission_rates: Option<Rates>,
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

/// A trade of `myTrades`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountTrade {
    /// Symbol.
    pub symbol: String,
    /// Trade id.
    pub id: u64,
    /// Order id.
    pub order_id: u64,
    /// Order list id.
    pub order_list_id: i64,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Quote quantity.
    pub quote_qty: Decimal,
    /// Commission.
    pub commission: Decimal,
    /// Commission asset.
    pub commission_asset: String,
    /// Time.
    pub time: u64,
    /// Buyer side.
    pub is_buyer: bool,
    /// Maker side.
    pub is_maker: bool,
    /// Best match.
    pub is_best_match: bool,
}

/// A prevented match of `myPreventedMatches`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreventedMatch {
    /// Symbol.
    pub symbol: String,
    /// Prevented match id.
    pub prevented_match_id: u64,
    /// Taker order id.
    pub taker_order_id: u64,
    /// Maker order id.
    pub maker_order_id: u64,
    /// Trade group id.
    pub trade_group_id: u64,
    /// STP mode.
    pub self_trade_prevention_mode: String,
    /// Price.
    pub price: Decimal,
    /// Maker quantity prevented.
    pub maker_prevented_quantity: Decimal,
    /// Time.
    pub transact_time: u64,
}

/// An allocation of `myAllocations`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    /// Symbol.
    pub symbol: String,
    /// Allocation id.
    pub allocation_id: u64,
    /// `SOR`.
    pub allocation_type: String,
    /// Order id.
    pub order_id: u64,
    /// Order list id.
    pub order_list_id: i64,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Quote quantity.
    pub quote_qty: Decimal,
    /// Commission.
    pub commission: Decimal,
    /// Commission asset.
    pub commission_asset: String,
    /// Time.
    pub time: u64,
    /// Buyer side.
    pub is_buyer: bool,
    /// Maker side.
    pub is_maker: bool,
    /// Allocator side.
    pub is_allocator: bool,
}

/// `account.commission` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountCommission {
    /// Symbol.
    pub symbol: String,
    /// Standard rates.
    pub standard_commission: Rates,
    /// Special rates.
    pub special_commission: Rates,
    /// Tax rates.
    pub tax_commission: Rates,
    /// BNB discount.
    pub discount: Map<String, Value>,
}

/// An amendment of `order.amendments`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAmendment {
    /// Symbol.
    pub symbol: String,
    /// Order id.
    pub order_id: u64,
    /// Execution id.
    pub execution_id: u64,
    /// Client id before.
    pub orig_client_order_id: String,
    /// Client id after.
    pub new_client_order_id: String,
    /// Quantity before.
    pub orig_qty: Decimal,
    /// Quantity after.
    pub new_qty: Decimal,
    /// Time.
    pub time: u64,
}

/// `myFilters` result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyFilters {
    /// Exchange filters.
    pub exchange_filters: Vec<Map<String, Value>>,
    /// Symbol filters.
    pub symbol_filters: Vec<Map<String, Value>>,
    /// Asset filters.
    pub asset_filters: Vec<Map<String, Value>>,
}

/// `userDataStream.subscribe` / `.signature` result, and an entry of
/// `session.subscriptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Subscription id; events carry it.
    pub subscription_id: u64,
}
