//! The simulator's own method table: security and cost of every WS API method, written
//! from the official documentation independently of the client's table
//! (`crate::wsapi::methods`), so that a mistake in one is caught by comparing the two.

use serde_json::{Map, Value};

/// Security of a method as the documentation's section titles name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sec {
    /// No authentication.
    Public,
    /// TRADE.
    Trade,
    /// USER_DATA.
    UserData,
    /// USER_STREAM.
    UserStream,
    /// SIGNED (`session.logon`).
    Signed,
}

impl Sec {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Sec::Public => "NONE",
            Sec::Trade => "TRADE",
            Sec::UserData => "USER_DATA",
            Sec::UserStream => "USER_STREAM",
            Sec::Signed => "SIGNED",
        }
    }
}

type Params = Map<String, Value>;

/// `(security, weight, unfilled orders counted on success)`.
pub(crate) struct Rule {
    pub(crate) sec: Sec,
    pub(crate) weight: fn(&Params) -> u64,
    pub(crate) orders: u64,
}

fn present(p: &Params, k: &str) -> bool {
    p.get(k).is_some_and(|v| !v.is_null())
}

/// How many symbols the request names: `symbol` = 1, `symbols` = its length, else `None`.
fn symbol_count(p: &Params) -> Option<u64> {
    if present(p, "symbol") {
        return Some(1);
    }
    match p.get("symbols")? {
        Value::Array(a) => Some(a.len() as u64),
        Value::String(s) => Some(
            serde_json::from_str::<Vec<Value>>(s)
                .map(|v| v.len() as u64)
                .unwrap_or(1),
        ),
        _ => None,
    }
}

fn w1(_: &Params) -> u64 {
    1
}
fn w2(_: &Params) -> u64 {
    2
}
fn w4(_: &Params) -> u64 {
    4
}
fn w6(_: &Params) -> u64 {
    6
}
fn w20(_: &Params) -> u64 {
    20
}
fn w25(_: &Params) -> u64 {
    25
}
fn w40(_: &Params) -> u64 {
    40
}

fn depth(p: &Params) -> u64 {
    let limit = p
        .get("limit")
        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
        .unwrap_or(100);
    // (upper bound of the limit range, weight), from the documentation's table.
    const TABLE: [(u64, u64); 4] = [(100, 5), (500, 25), (1000, 50), (5000, 250)];
    TABLE
        .iter()
        .find(|(upto, _)| limit <= *upto)
        .map_or(250, |(_, w)| *w)
}

fn ticker_24hr(p: &Params) -> u64 {
    match symbol_count(p) {
        // No symbols (or an empty list): all symbols.
        None | Some(0) => 80,
        Some(n) if n <= 20 => 2,
        Some(n) if n <= 100 => 40,
        Some(_) => 80,
    }
}

fn ticker_trading_day(p: &Params) -> u64 {
    let n = symbol_count(p).unwrap_or(1);
    (4 * n).min(200)
}

fn ticker_rolling(p: &Params) -> u64 {
    match symbol_count(p).unwrap_or(1) {
        n if n <= 50 => 4 * n,
        _ => 200,
    }
}

fn price_or_book(p: &Params) -> u64 {
    if present(p, "symbol") {
        2
    } else {
        4
    }
}

fn execution_rules(p: &Params) -> u64 {
    if present(p, "symbol") {
        return 2;
    }
    match symbol_count(p) {
        Some(n) if n > 0 => (2 * n).min(40),
        _ => 40,
    }
}

fn commission_rates(p: &Params) -> u64 {
    let on = matches!(p.get("computeCommissionRates"), Some(Value::Bool(true)))
        || p.get("computeCommissionRates").and_then(Value::as_str) == Some("true");
    if on {
        20
    } else {
        1
    }
}

fn open_orders(p: &Params) -> u64 {
    if present(p, "symbol") {
        6
    } else {
        80
    }
}

fn my_trades(p: &Params) -> u64 {
    if present(p, "orderId") {
        5
    } else {
        20
    }
}

fn prevented_matches(p: &Params) -> u64 {
    if present(p, "preventedMatchId") {
        2
    } else {
        20
    }
}

/// Every method the simulator serves, in the documentation's order.
pub(crate) const NAMES: [&str; 55] = [
    "ping",
    "time",
    "exchangeInfo",
    "executionRules",
    "depth",
    "trades.recent",
    "trades.historical",
    "blockTrades.historical",
    "trades.aggregate",
    "klines",
    "uiKlines",
    "avgPrice",
    "ticker.24hr",
    "ticker.tradingDay",
    "ticker",
    "ticker.price",
    "ticker.book",
    "referencePrice",
    "referencePrice.calculation",
    "session.logon",
    "session.status",
    "session.logout",
    "order.place",
    "order.test",
    "order.cancel",
    "order.cancelReplace",
    "order.amend.keepPriority",
    "openOrders.cancelAll",
    "orderList.place",
    "orderList.place.oco",
    "orderList.place.oto",
    "orderList.place.otoco",
    "orderList.place.opo",
    "orderList.place.opoco",
    "orderList.cancel",
    "sor.order.place",
    "sor.order.test",
    "account.status",
    "order.status",
    "openOrders.status",
    "allOrders",
    "orderList.status",
    "openOrderLists.status",
    "allOrderLists",
    "myTrades",
    "account.rateLimits.orders",
    "myPreventedMatches",
    "myAllocations",
    "account.commission",
    "order.amendments",
    "myFilters",
    "userDataStream.subscribe",
    "userDataStream.unsubscribe",
    "session.subscriptions",
    "userDataStream.subscribe.signature",
];

/// The rule of `method`, `None` for a method the WS API does not have.
pub(crate) fn rule(method: &str) -> Option<Rule> {
    use Sec::*;
    let r = |sec, weight: fn(&Params) -> u64, orders| {
        Some(Rule {
            sec,
            weight,
            orders,
        })
    };
    match method {
        "ping" | "time" => r(Public, w1, 0),
        "exchangeInfo" => r(Public, w20, 0),
        "executionRules" => r(Public, execution_rules, 0),
        "depth" => r(Public, depth, 0),
        "trades.recent" | "trades.historical" | "blockTrades.historical" => r(Public, w25, 0),
        "trades.aggregate" => r(Public, w4, 0),
        "klines" | "uiKlines" | "avgPrice" | "referencePrice" | "referencePrice.calculation" => {
            r(Public, w2, 0)
        }
        "ticker.24hr" => r(Public, ticker_24hr, 0),
        "ticker.tradingDay" => r(Public, ticker_trading_day, 0),
        "ticker" => r(Public, ticker_rolling, 0),
        "ticker.price" | "ticker.book" => r(Public, price_or_book, 0),
        "session.logon" => r(Signed, w2, 0),
        "session.status" | "session.logout" => r(Public, w2, 0),
        "order.place" | "order.cancelReplace" | "sor.order.place" => r(Trade, w1, 1),
        "order.test" | "sor.order.test" => r(Trade, commission_rates, 0),
        "order.cancel" | "openOrders.cancelAll" | "orderList.cancel" => r(Trade, w1, 0),
        "order.amend.keepPriority" => r(Trade, w4, 0),
        // orderList.place (deprecated OCO): "Unfilled Order Count: 1" in its section.
        "orderList.place" => r(Trade, w1, 1),
        "orderList.place.oco" | "orderList.place.oto" | "orderList.place.opo" => r(Trade, w1, 2),
        "orderList.place.otoco" | "orderList.place.opoco" => r(Trade, w1, 3),
        "account.status" | "allOrders" | "allOrderLists" | "myAllocations"
        | "account.commission" => r(UserData, w20, 0),
        "order.status" | "orderList.status" | "order.amendments" => r(UserData, w4, 0),
        "openOrders.status" => r(UserData, open_orders, 0),
        "openOrderLists.status" => r(UserData, w6, 0),
        "myTrades" => r(UserData, my_trades, 0),
        "account.rateLimits.orders" | "myFilters" => r(UserData, w40, 0),
        "myPreventedMatches" => r(UserData, prevented_matches, 0),
        "userDataStream.subscribe" | "userDataStream.subscribe.signature" => r(UserStream, w2, 0),
        "userDataStream.unsubscribe" | "session.subscriptions" => r(Public, w2, 0),
        _ => None,
    }
}
