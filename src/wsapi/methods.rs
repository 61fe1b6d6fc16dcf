//! The method table: every method of the Binance Spot WebSocket API v3 with its security
//! type, its `REQUEST_WEIGHT` rule (a function of the parameters) and the `ORDERS` it counts.
//!
//! One [`MethodSpec`] per method, grouped like the official documentation (general, market
//! data, session, trading, account, user data stream). The typed calls
//! ([`calls`](super::calls)) name their method by string and take its security and cost
//! from here; [`method_info`] refuses a method the table does not know
//! ([`WsApiError::UnknownMethod`]) instead of guessing, so a request is never sent unsigned
//! or under-counted by accident. Use
//! [`WsApiClient::request_with`](super::WsApiClient::request_with) to send a method the table
//! does not know yet, stating its security and cost.

use serde_json::Value;

use super::error::WsApiError;
use super::limits::Cost;
use super::sign::Params;

/// How the session authenticates a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// Public.
    None,
    /// TRADE / USER_DATA / SIGNED: `timestamp` + signature (or a logged-on session).
    Signed,
    /// USER_STREAM on the logged-on session (`userDataStream.subscribe`): no params needed,
    /// but the session must be logged on with an Ed25519 key.
    LoggedOn,
}

/// The security type as the documentation names it (section titles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecurityType {
    /// `NONE`: public.
    None,
    /// `TRADE`: signed, places or changes orders.
    Trade,
    /// `USER_DATA`: signed, reads account data.
    UserData,
    /// `USER_STREAM`: user data stream subscription.
    UserStream,
    /// `SIGNED`: `session.logon`.
    Signed,
}

impl SecurityType {
    /// The name used in the documentation (`NONE`, `TRADE`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Trade => "TRADE",
            Self::UserData => "USER_DATA",
            Self::UserStream => "USER_STREAM",
            Self::Signed => "SIGNED",
        }
    }
}

/// A section of the documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Group {
    /// General requests (`ping`, `time`, `exchangeInfo`, `executionRules`).
    General,
    /// Market data requests.
    MarketData,
    /// Authentication requests (`session.*`).
    Session,
    /// Trading requests.
    Trading,
    /// Account requests.
    Account,
    /// User data stream requests.
    UserDataStream,
}

/// How the request weight of a method depends on its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WeightRule {
    /// Always this weight.
    Fixed(u32),
    /// `depth`: by `limit` (default 100): 1–100: 5, 101–500: 25, 501–1000: 50, 1001–5000: 250.
    DepthLimit,
    /// `ticker.24hr`: 1–20 symbols: 2, 21–100: 40, 101 or more: 80, all symbols: 80.
    Ticker24hr,
    /// `ticker.tradingDay`: 4 per symbol, capped at 200 above 50 symbols.
    TickerTradingDay,
    /// `ticker`: 4 per symbol for 1–50 symbols, 200 for 51–100.
    TickerRolling,
    /// `symbol` given: `symbol`; otherwise (`symbols` or nothing): `otherwise`.
    SymbolOr {
        /// Weight with `symbol`.
        symbol: u32,
        /// Weight without it.
        otherwise: u32,
    },
    /// `executionRules`: `symbol` 2, `symbols` 2 each capped at 40, `symbolStatus` or nothing 40.
    ExecutionRules,
    /// `myTrades`: 5 with `orderId`, 20 without.
    MyTrades,
    /// `myPreventedMatches`: 2 by `preventedMatchId`, 20 by `orderId` (2 for an invalid
    /// symbol, which only the server can tell).
    PreventedMatches,
    /// `order.test` / `sor.order.test`: 20 with `computeCommissionRates=true`, else 1.
    CommissionRates,
}

impl WeightRule {
    /// The weight for these parameters.
    pub fn weight(self, params: Option<&Params>) -> u32 {
        let get = |k: &str| params.and_then(|p| p.get(k)).filter(|v| !v.is_null());
        let has = |k: &str| get(k).is_some();
        let symbols = || get("symbols").map(count_symbols);
        match self {
            Self::Fixed(w) => w,
            Self::DepthLimit => match get("limit").and_then(as_u64).unwrap_or(100) {
                0..=100 => 5,
                101..=500 => 25,
                501..=1000 => 50,
                _ => 250,
            },
            Self::Ticker24hr => match (has("symbol"), symbols()) {
                (true, _) => 2,
                (false, Some(n @ 0..=20)) if n > 0 => 2,
                (false, Some(21..=100)) => 40,
                _ => 80,
            },
            Self::TickerTradingDay => {
                let n = if has("symbol") {
                    1
                } else {
                    symbols().unwrap_or(1)
                };
                if n > 50 {
                    200
                } else {
                    4 * n as u32
                }
            }
            Self::TickerRolling => {
                let n = if has("symbol") {
                    1
                } else {
                    symbols().unwrap_or(1)
                };
                if n > 50 {
                    200
                } else {
                    4 * n as u32
                }
            }
            Self::SymbolOr { symbol, otherwise } => {
                if has("symbol") {
                    symbol
                } else {
                    otherwise
                }
            }
            Self::ExecutionRules => match (has("symbol"), symbols()) {
                (true, _) => 2,
                (false, Some(n)) if n > 0 => (2 * n as u32).min(40),
                _ => 40,
            },
            Self::MyTrades => {
                if has("orderId") {
                    5
                } else {
                    20
                }
            }
            Self::PreventedMatches => {
                if has("preventedMatchId") {
                    2
                } else {
                    20
                }
            }
            Self::CommissionRates => {
                let on = get("computeCommissionRates")
                    .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
                if on {
                    20
                } else {
                    1
                }
            }
        }
    }
}

/// Number of symbols in a `symbols` parameter (a JSON array, or its text form).
fn count_symbols(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.len(),
        Value::String(s) => serde_json::from_str::<Vec<String>>(s)
            .map(|v| v.len())
            .unwrap_or_else(|_| s.split(',').filter(|x| !x.trim().is_empty()).count()),
        _ => 0,
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// One method of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodSpec {
    /// Method name, e.g. `order.place`.
    pub name: &'static str,
    /// Documentation section.
    pub group: Group,
    /// Security type as documented.
    pub security_type: SecurityType,
    /// Request weight rule.
    pub weight: WeightRule,
    /// `ORDERS` counted when the request succeeds (unfilled order count; an order list
    /// counts what the documentation states for it).
    pub orders: u32,
}

impl MethodSpec {
    /// How the session authenticates it. `userDataStream.subscribe` needs the logged-on
    /// session; the other USER_STREAM method (`.signature`) is signed with the account's key.
    pub fn security(&self) -> Security {
        match (self.security_type, self.name) {
            (SecurityType::None, _) => Security::None,
            (SecurityType::UserStream, "userDataStream.subscribe") => Security::LoggedOn,
            _ => Security::Signed,
        }
    }

    /// Whether the request must carry `apiKey` + `signature` even on a logged-on session
    /// (`session.logon` itself, and `userDataStream.subscribe.signature`, which subscribes
    /// the account whose key signs it).
    pub fn explicit_key(&self) -> bool {
        matches!(
            self.name,
            "session.logon" | "userDataStream.subscribe.signature"
        )
    }

    /// Cost for these parameters.
    pub fn cost(&self, params: Option<&Params>) -> Cost {
        Cost {
            weight: self.weight.weight(params),
            orders: self.orders,
        }
    }
}

macro_rules! table {
    ($($group:ident { $($name:literal $sec:ident $weight:expr, $orders:literal;)* })*) => {
        /// Every method of the WS API (55), in documentation order within each group.
        pub const METHODS: &[MethodSpec] = &[
            $($(MethodSpec {
                name: $name,
                group: Group::$group,
                security_type: SecurityType::$sec,
                weight: $weight,
                orders: $orders,
            },)*)*
        ];
    };
}

use WeightRule::*;

table! {
    General {
        "ping" None Fixed(1), 0;
        "time" None Fixed(1), 0;
        "exchangeInfo" None Fixed(20), 0;
        "executionRules" None ExecutionRules, 0;
    }
    MarketData {
        "depth" None DepthLimit, 0;
        "trades.recent" None Fixed(25), 0;
        "trades.historical" None Fixed(25), 0;
        "blockTrades.historical" None Fixed(25), 0;
        "trades.aggregate" None Fixed(4), 0;
        "klines" None Fixed(2), 0;
        "uiKlines" None Fixed(2), 0;
        "avgPrice" None Fixed(2), 0;
        "ticker.24hr" None Ticker24hr, 0;
        "ticker.tradingDay" None TickerTradingDay, 0;
        "ticker" None TickerRolling, 0;
        "ticker.price" None SymbolOr { symbol: 2, otherwise: 4 }, 0;
        "ticker.book" None SymbolOr { symbol: 2, otherwise: 4 }, 0;
        "referencePrice" None Fixed(2), 0;
        "referencePrice.calculation" None Fixed(2), 0;
    }
    Session {
        "session.logon" Signed Fixed(2), 0;
        "session.status" None Fixed(2), 0;
        "session.logout" None Fixed(2), 0;
    }
    Trading {
        "order.place" Trade Fixed(1), 1;
        "order.test" Trade CommissionRates, 0;
        "order.cancel" Trade Fixed(1), 0;
        "order.cancelReplace" Trade Fixed(1), 1;
        // "Unfilled Order Count: 0".
        "order.amend.keepPriority" Trade Fixed(4), 0;
        "openOrders.cancelAll" Trade Fixed(1), 0;
        // The deprecated OCO states "Unfilled Order Count: 1"; the newer lists count each
        // order (OCO 2, OTO 2, OTOCO 3, OPO 2, OPOCO 3), as their sections state.
        "orderList.place" Trade Fixed(1), 1;
        "orderList.place.oco" Trade Fixed(1), 2;
        "orderList.place.oto" Trade Fixed(1), 2;
        "orderList.place.otoco" Trade Fixed(1), 3;
        "orderList.place.opo" Trade Fixed(1), 2;
        "orderList.place.opoco" Trade Fixed(1), 3;
        "orderList.cancel" Trade Fixed(1), 0;
        "sor.order.place" Trade Fixed(1), 1;
        "sor.order.test" Trade CommissionRates, 0;
    }
    Account {
        "account.status" UserData Fixed(20), 0;
        "order.status" UserData Fixed(4), 0;
        "openOrders.status" UserData SymbolOr { symbol: 6, otherwise: 80 }, 0;
        "allOrders" UserData Fixed(20), 0;
        "orderList.status" UserData Fixed(4), 0;
        "openOrderLists.status" UserData Fixed(6), 0;
        "allOrderLists" UserData Fixed(20), 0;
        "myTrades" UserData MyTrades, 0;
        "account.rateLimits.orders" UserData Fixed(40), 0;
        "myPreventedMatches" UserData PreventedMatches, 0;
        "myAllocations" UserData Fixed(20), 0;
        "account.commission" UserData Fixed(20), 0;
        "order.amendments" UserData Fixed(4), 0;
        "myFilters" UserData Fixed(40), 0;
    }
    UserDataStream {
        "userDataStream.subscribe" UserStream Fixed(2), 0;
        "userDataStream.unsubscribe" None Fixed(2), 0;
        "session.subscriptions" None Fixed(2), 0;
        "userDataStream.subscribe.signature" UserStream Fixed(2), 0;
    }
}

/// The table entry of `method` (a `v3/` prefix is ignored).
pub fn method_spec(method: &str) -> Option<&'static MethodSpec> {
    let method = method.strip_prefix("v3/").unwrap_or(method);
    METHODS.iter().find(|m| m.name == method)
}

/// Security and cost of `method` with `params`; [`WsApiError::UnknownMethod`] for a method
/// the table does not know (state its security and cost with
/// [`WsApiClient::request_with`](super::WsApiClient::request_with)).
pub fn method_info(method: &str, params: Option<&Params>) -> Result<(Security, Cost), WsApiError> {
    method_spec(method)
        .map(|m| (m.security(), m.cost(params)))
        .ok_or_else(|| WsApiError::UnknownMethod(method.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn w(method: &str, p: Value) -> u32 {
        method_info(method, p.as_object()).unwrap().1.weight
    }

    fn syms(n: usize) -> Value {
        Value::Array((0..n).map(|i| Value::from(format!("S{i}"))).collect())
    }

    #[test]
    fn weights_follow_the_documented_rules() {
        assert_eq!(w("depth", json!({})), 5);
        assert_eq!(w("depth", json!({"limit": 101})), 25);
        assert_eq!(w("depth", json!({"limit": 1000})), 50);
        assert_eq!(w("depth", json!({"limit": 5000})), 250);
        assert_eq!(w("ticker.24hr", json!({"symbol": "X"})), 2);
        assert_eq!(w("ticker.24hr", json!({"symbols": syms(20)})), 2);
        assert_eq!(w("ticker.24hr", json!({"symbols": syms(21)})), 40);
        assert_eq!(w("ticker.24hr", json!({"symbols": syms(101)})), 80);
        assert_eq!(w("ticker.24hr", json!({})), 80);
        assert_eq!(w("ticker.tradingDay", json!({"symbols": syms(50)})), 200);
        assert_eq!(w("ticker.tradingDay", json!({"symbols": syms(3)})), 12);
        assert_eq!(w("ticker.tradingDay", json!({"symbols": syms(51)})), 200);
        assert_eq!(w("ticker", json!({"symbol": "X"})), 4);
        assert_eq!(w("ticker", json!({"symbols": syms(51)})), 200);
        assert_eq!(w("executionRules", json!({"symbols": syms(3)})), 6);
        assert_eq!(w("executionRules", json!({"symbols": syms(30)})), 40);
        assert_eq!(w("executionRules", json!({"symbolStatus": "TRADING"})), 40);
        assert_eq!(w("myTrades", json!({"symbol": "X", "orderId": 1})), 5);
        assert_eq!(w("myTrades", json!({"symbol": "X"})), 20);
        assert_eq!(w("myPreventedMatches", json!({"preventedMatchId": 1})), 2);
        assert_eq!(w("myPreventedMatches", json!({"orderId": 1})), 20);
        assert_eq!(w("order.test", json!({"computeCommissionRates": true})), 20);
        assert_eq!(w("sor.order.test", json!({})), 1);
        assert_eq!(w("openOrders.status", json!({})), 80);
        assert_eq!(w("v3/account.status", json!({})), 20);
    }

    #[test]
    fn orders_security_and_unknown_methods() {
        let orders = |m: &str| method_spec(m).unwrap().orders;
        assert_eq!(orders("orderList.place.otoco"), 3);
        assert_eq!(orders("orderList.place.oco"), 2);
        assert_eq!(orders("order.test"), 0);
        assert_eq!(method_info("myTrades", None).unwrap().0, Security::Signed);
        assert_eq!(
            method_info("userDataStream.subscribe", None).unwrap().0,
            Security::LoggedOn
        );
        assert_eq!(
            method_info("userDataStream.subscribe.signature", None)
                .unwrap()
                .0,
            Security::Signed
        );
        assert_eq!(
            method_info("order.fly", None),
            Err(WsApiError::UnknownMethod("order.fly".into()))
        );
        assert_eq!(METHODS.len(), 55);
    }
}
