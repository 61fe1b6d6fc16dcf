//! Answers of the simulator's WS API endpoint for the methods beyond the session core:
//! market data, order lists, SOR, amendments and account queries, shaped like the response
//! examples of the official documentation. Orders, lists, trades, amendments and
//! allocations are kept, so queries reflect what was placed.

use serde_json::{json, Map, Value};

use super::{Conn, SimOrder, State, PRICES};

type Params = Map<String, Value>;
type Answer = Result<Value, (u16, i64, String)>;

/// An order list the simulator keeps.
#[derive(Clone)]
pub(super) struct SimList {
    account: String,
    list_id: u64,
    contingency: &'static str,
    symbol: String,
    list_client_order_id: String,
    order_ids: Vec<u64>,
    done: bool,
    time: u64,
}

fn bad(code: i64, msg: &str) -> (u16, i64, String) {
    (400, code, msg.to_owned())
}

fn mandatory(name: &str) -> (u16, i64, String) {
    bad(
        -1102,
        &format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
    )
}

fn text<'a>(p: &'a Params, k: &str) -> Option<&'a str> {
    p.get(k).and_then(Value::as_str)
}

fn num(p: &Params, k: &str) -> Option<u64> {
    p.get(k)
        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
}

fn symbol(p: &Params) -> Result<&'static str, (u16, i64, String)> {
    let s = text(p, "symbol").ok_or_else(|| mandatory("symbol"))?;
    PRICES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(n, _)| *n)
        .ok_or_else(|| bad(-1121, "Invalid symbol."))
}

fn price_of(s: &str) -> f64 {
    PRICES
        .iter()
        .find(|(n, _)| *n == s)
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(1.0)
}

/// The symbols a market-data request names (`symbol`, `symbols`, or all).
fn symbols(p: &Params) -> Result<(Vec<&'static str>, bool), (u16, i64, String)> {
    if p.contains_key("symbol") {
        return Ok((vec![symbol(p)?], true));
    }
    let list: Vec<String> = match p.get("symbols") {
        None => return Ok((PRICES.iter().map(|(n, _)| *n).collect(), false)),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => serde_json::from_str(s).map_err(|_| mandatory("symbols"))?,
        Some(_) => return Err(mandatory("symbols")),
    };
    let mut out = Vec::new();
    for s in list {
        let mut one = Params::new();
        one.insert("symbol".into(), s.into());
        out.push(symbol(&one)?);
    }
    Ok((out, false))
}

fn one_or_many(values: Vec<Value>, single: bool) -> Value {
    match (single, values.len()) {
        (true, 1) => values.into_iter().next().unwrap_or(Value::Null),
        _ => Value::Array(values),
    }
}

fn f8(x: f64) -> String {
    format!("{x:.8}")
}

fn rates(m: &str, t: &str) -> Value {
    json!({"maker": m, "taker": t, "buyer": "0.00000000", "seller": "0.00000000"})
}

impl State {
    /// `executionReport` (and `outboundAccountPosition` on a trade) for `o`'s account.
    pub(super) fn order_events(&mut self, o: &SimOrder, exec_type: &str, now: u64) {
        let traded = exec_type == "TRADE";
        let ev = json!({"e": "executionReport", "E": now, "s": o.symbol, "c": o.client_order_id,
            "S": o.side, "o": o.order_type, "f": o.time_in_force, "q": o.orig_qty, "p": o.price,
            "P": "0.00000000", "F": "0.00000000", "g": o.order_list_id, "C": "", "x": exec_type,
            "X": o.status, "r": "NONE", "i": o.order_id,
            "l": if traded { o.executed_qty.as_str() } else { "0.00000000" },
            "z": o.executed_qty, "L": if traded { o.price.as_str() } else { "0.00000000" },
            "n": "0", "N": null, "T": now, "t": -1, "I": self.next_trade_id, "w": o.status == "NEW",
            "m": false, "M": false, "O": o.time, "Z": "0.00000000", "Y": "0.00000000",
            "Q": "0.00000000", "W": o.time, "V": "EXPIRE_MAKER"});
        self.outbox.push((o.account.clone(), ev));
        if traded {
            let pos = json!({"e": "outboundAccountPosition", "E": now, "u": now,
                "B": [{"a": "BTC", "f": "1.00000000", "l": "0.00000000"},
                      {"a": "USDT", "f": "10000.00000000", "l": "0.00000000"}]});
            self.outbox.push((o.account.clone(), pos));
        }
    }

    /// A fill of `o` as an account trade (`myTrades`).
    pub(super) fn record_fill(&mut self, o: &SimOrder, now: u64) {
        let id = self.next_trade_id;
        self.next_trade_id += 1;
        let quote =
            o.price.parse::<f64>().unwrap_or(0.0) * o.orig_qty.parse::<f64>().unwrap_or(0.0);
        self.trades
            .push(json!({"symbol": o.symbol, "id": id, "orderId": o.order_id,
            "orderListId": o.order_list_id, "price": o.price, "qty": o.orig_qty,
            "quoteQty": f8(quote), "commission": "0.00000000", "commissionAsset": "BNB",
            "time": now, "isBuyer": o.side == "BUY", "isMaker": false, "isBestMatch": true,
            "account": o.account}));
    }

    /// `order.test` / `sor.order.test`: `{}`, or the commission rates when asked.
    pub(super) fn test_result(p: &Params) -> Value {
        let on = p
            .get("computeCommissionRates")
            .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
        if !on {
            return json!({});
        }
        json!({"standardCommissionForOrder": {"maker": "0.00000112", "taker": "0.00000114"},
            "specialCommissionForOrder": {"maker": "0.05000000", "taker": "0.06000000"},
            "taxCommissionForOrder": {"maker": "0.00000112", "taker": "0.00000114"},
            "discount": {"enabledForAccount": true, "enabledForSymbol": true,
                "discountAsset": "BNB", "discount": "0.25000000"}})
    }

    #[allow(clippy::too_many_arguments)]
    fn make_order(
        &mut self,
        account: &str,
        symbol: &str,
        side: &str,
        typ: &str,
        price: Option<&str>,
        qty: &str,
        tif: Option<&str>,
        client_id: Option<&str>,
        list_id: i64,
        status: &'static str,
        now: u64,
    ) -> SimOrder {
        let order_id = self.next_order_id;
        self.next_order_id += 1;
        SimOrder {
            account: account.to_owned(),
            order_list_id: list_id,
            symbol: symbol.to_owned(),
            order_id,
            client_order_id: client_id
                .map(str::to_owned)
                .unwrap_or_else(|| format!("sim{order_id:016}")),
            price: price.map_or_else(|| f8(price_of(symbol)), str::to_owned),
            orig_qty: qty.to_owned(),
            executed_qty: if status == "FILLED" {
                qty.to_owned()
            } else {
                "0.00000000".to_owned()
            },
            status,
            order_type: typ.to_owned(),
            side: side.to_owned(),
            time_in_force: tif.unwrap_or("GTC").to_owned(),
            time: now,
        }
    }

    fn list_json(&self, l: &SimList, reports: bool, now: u64) -> Value {
        let orders: Vec<&SimOrder> = l
            .order_ids
            .iter()
            .filter_map(|id| self.orders.iter().find(|o| o.order_id == *id))
            .collect();
        let mut v = json!({"orderListId": l.list_id, "contingencyType": l.contingency,
            "listStatusType": if l.done { "ALL_DONE" } else { "EXEC_STARTED" },
            "listOrderStatus": if l.done { "ALL_DONE" } else { "EXECUTING" },
            "listClientOrderId": l.list_client_order_id, "transactionTime": l.time,
            "symbol": l.symbol,
            "orders": orders.iter().map(|o| json!({"symbol": o.symbol, "orderId": o.order_id,
                "clientOrderId": o.client_order_id})).collect::<Vec<_>>()});
        if reports {
            v["orderReports"] = orders
                .iter()
                .map(|o| {
                    let mut r = o.to_json();
                    r["transactTime"] = now.into();
                    r
                })
                .collect();
        }
        v
    }

    fn list_status_event(&mut self, l: &SimList, now: u64) {
        let ev = json!({"e": "listStatus", "E": now, "s": l.symbol, "g": l.list_id,
            "c": l.contingency, "l": if l.done { "ALL_DONE" } else { "EXEC_STARTED" },
            "L": if l.done { "ALL_DONE" } else { "EXECUTING" }, "r": "NONE",
            "C": l.list_client_order_id, "T": now,
            "O": l.order_ids.iter().filter_map(|id| self.orders.iter().find(|o| o.order_id == *id))
                .map(|o| json!({"s": o.symbol, "i": o.order_id, "c": o.client_order_id}))
                .collect::<Vec<_>>()});
        self.outbox.push((l.account.clone(), ev));
    }

    /// Places an order list: `legs` are `(prefix, side, type)` with the parameter prefix of
    /// each order (`working`, `pendingAbove`, …); the first leg is working, the rest pending.
    fn place_list(&mut self, account: &str, method: &str, p: &Params, now: u64) -> Answer {
        let s = symbol(p)?;
        let qty_of = |prefix: &str| -> Option<String> {
            text(p, &format!("{prefix}Quantity"))
                .or_else(|| text(p, "quantity"))
                .or_else(|| text(p, "pendingQuantity").filter(|_| prefix.starts_with("pending")))
                .or_else(|| text(p, "workingQuantity").filter(|_| prefix.starts_with("pending")))
                .map(str::to_owned)
        };
        let side_of = |prefix: &str| -> Option<String> {
            text(p, &format!("{prefix}Side"))
                .or_else(|| text(p, "side"))
                .or_else(|| text(p, "pendingSide").filter(|_| prefix.starts_with("pending")))
                .map(str::to_owned)
        };
        let (contingency, legs): (&'static str, Vec<&str>) = match method {
            "orderList.place" => ("OCO", vec!["limit", "stop"]),
            "orderList.place.oco" => ("OCO", vec!["above", "below"]),
            "orderList.place.oto" | "orderList.place.opo" => ("OTO", vec!["working", "pending"]),
            _ => ("OTO", vec!["working", "pendingAbove", "pendingBelow"]),
        };
        let list_id = self.next_list_id;
        self.next_list_id += 1;
        let mut ids = Vec::new();
        let mut placed = Vec::new();
        for (i, prefix) in legs.iter().enumerate() {
            let typ = match (method, *prefix) {
                ("orderList.place", "limit") => "LIMIT_MAKER".to_owned(),
                ("orderList.place", _) => "STOP_LOSS_LIMIT".to_owned(),
                (_, "pendingBelow") => match text(p, "pendingBelowType") {
                    Some(t) => t.to_owned(),
                    None => continue, // optional in OTOCO / OPOCO
                },
                _ => text(p, &format!("{prefix}Type"))
                    .ok_or_else(|| mandatory(&format!("{prefix}Type")))?
                    .to_owned(),
            };
            let side = side_of(prefix).ok_or_else(|| mandatory(&format!("{prefix}Side")))?;
            let qty = match (method, *prefix) {
                // OPO / OPOCO: pending orders take the working order's quantity.
                ("orderList.place.opo" | "orderList.place.opoco", p2) if p2 != "working" => {
                    text(p, "workingQuantity").map(str::to_owned)
                }
                _ => qty_of(prefix),
            }
            .ok_or_else(|| mandatory(&format!("{prefix}Quantity")))?;
            let price = text(p, &format!("{prefix}Price"))
                .or_else(|| text(p, &format!("{prefix}StopPrice")))
                .or_else(|| {
                    (method == "orderList.place" && i == 0)
                        .then(|| text(p, "price"))
                        .flatten()
                })
                .or_else(|| {
                    (method == "orderList.place" && i == 1)
                        .then(|| text(p, "stopPrice"))
                        .flatten()
                });
            let tif = text(p, &format!("{prefix}TimeInForce"));
            let cid = text(p, &format!("{prefix}ClientOrderId"));
            let working = i == 0 && contingency == "OTO";
            let status = if contingency == "OCO" || working {
                "NEW"
            } else {
                "PENDING_NEW"
            };
            let o = self.make_order(
                account,
                s,
                &side,
                &typ,
                price,
                &qty,
                tif,
                cid,
                list_id as i64,
                status,
                now,
            );
            ids.push(o.order_id);
            placed.push(o);
        }
        let list = SimList {
            account: account.to_owned(),
            list_id,
            contingency,
            symbol: s.to_owned(),
            list_client_order_id: text(p, "listClientOrderId")
                .map(str::to_owned)
                .unwrap_or_else(|| format!("simlist{list_id:012}")),
            order_ids: ids,
            done: false,
            time: now,
        };
        for o in &placed {
            self.order_events(o, "NEW", now);
        }
        self.orders.extend(placed);
        self.list_status_event(&list, now);
        let v = self.list_json(&list, true, now);
        self.lists.push(list);
        Ok(v)
    }

    fn cancel_list(&mut self, index: usize, now: u64) -> Value {
        let ids = self.lists[index].order_ids.clone();
        let mut cancelled = Vec::new();
        for o in self.orders.iter_mut().filter(|o| ids.contains(&o.order_id)) {
            o.status = "CANCELED";
            cancelled.push(o.clone());
        }
        for o in &cancelled {
            self.order_events(o, "CANCELED", now);
        }
        self.lists[index].done = true;
        let l = self.lists[index].clone();
        let v = self.list_json(&l, true, now);
        self.list_status_event(&l, now);
        v
    }

    fn find_order(
        &self,
        account: &str,
        s: &str,
        p: &Params,
        id_key: &str,
        cid_key: &str,
    ) -> Option<usize> {
        let oid = num(p, id_key);
        let cid = text(p, cid_key);
        if oid.is_none() && cid.is_none() {
            return None;
        }
        self.orders.iter().position(|o| {
            o.symbol == s
                && o.account == account
                && (Some(o.order_id) == oid || Some(o.client_order_id.as_str()) == cid)
        })
    }

    /// Answers the methods `dispatch` does not handle itself.
    pub(super) fn answer(
        &mut self,
        _conn: &mut Conn,
        method: &str,
        p: &Params,
        key: Option<String>,
        now: u64,
    ) -> Answer {
        let account = key.unwrap_or_default();
        let limit = |default: u64| num(p, "limit").unwrap_or(default).clamp(1, 1000) as usize;
        match method {
            "executionRules" => {
                let (syms, _) = symbols(p)?;
                Ok(
                    json!({"symbolRules": syms.iter().map(|s| json!({"symbol": s, "rules": [
                    {"ruleType": "PRICE_RANGE", "bidLimitMultUp": "1.0001", "bidLimitMultDown": "0.9999",
                     "askLimitMultUp": "1.0001", "askLimitMultDown": "0.9999"}]})).collect::<Vec<_>>()}),
                )
            }
            "trades.recent" | "trades.historical" | "blockTrades.historical" => {
                let s = symbol(p)?;
                if method == "blockTrades.historical" && !p.contains_key("fromId") {
                    return Err(mandatory("fromId"));
                }
                let px = price_of(s);
                let from = num(p, "fromId").unwrap_or(1000);
                let n = limit(if method == "blockTrades.historical" {
                    100
                } else {
                    500
                })
                .min(5);
                Ok(Value::Array((0..n as u64).map(|i| {
                    let mut t = json!({"id": from + i, "price": f8(px), "qty": "0.50000000",
                        "quoteQty": f8(px * 0.5), "time": now.saturating_sub(1000) + i, "isBuyerMaker": i % 2 == 0});
                    if method != "blockTrades.historical" {
                        t["isBestMatch"] = true.into();
                    }
                    t
                }).collect()))
            }
            "trades.aggregate" => {
                let s = symbol(p)?;
                let px = price_of(s);
                let n = limit(500).min(5) as u64;
                Ok(Value::Array((0..n).map(|i| json!({"a": 5000 + i, "p": f8(px), "q": "1.00000000",
                    "f": 9000 + 2 * i, "l": 9001 + 2 * i, "T": now.saturating_sub(1000) + i, "m": true, "M": true}))
                    .collect()))
            }
            "klines" | "uiKlines" => {
                let s = symbol(p)?;
                if text(p, "interval").is_none() {
                    return Err(mandatory("interval"));
                }
                let px = price_of(s);
                let n = limit(500).min(3) as u64;
                let start = now - now % 60_000;
                Ok(Value::Array(
                    (0..n)
                        .rev()
                        .map(|i| {
                            let open = start.saturating_sub(i * 60_000);
                            json!([
                                open,
                                f8(px),
                                f8(px * 1.001),
                                f8(px * 0.999),
                                f8(px),
                                "10.00000000",
                                open + 59_999,
                                f8(px * 10.0),
                                42,
                                "5.00000000",
                                f8(px * 5.0),
                                "0"
                            ])
                        })
                        .collect(),
                ))
            }
            "avgPrice" => {
                let s = symbol(p)?;
                Ok(json!({"mins": 5, "price": f8(price_of(s)), "closeTime": now}))
            }
            "ticker.24hr" | "ticker.tradingDay" | "ticker" => {
                if method != "ticker.24hr"
                    && !p.contains_key("symbol")
                    && !p.contains_key("symbols")
                {
                    return Err(mandatory("symbol"));
                }
                let (syms, single) = symbols(p)?;
                let window = match method {
                    "ticker.tradingDay" => now - now % 86_400_000,
                    _ => now.saturating_sub(86_400_000),
                };
                let stats = syms.iter().map(|s| {
                    let px = price_of(s);
                    json!({"symbol": s, "priceChange": f8(px * 0.01), "priceChangePercent": "1.000",
                        "weightedAvgPrice": f8(px), "openPrice": f8(px * 0.99), "highPrice": f8(px * 1.01),
                        "lowPrice": f8(px * 0.98), "lastPrice": f8(px), "volume": "100.00000000",
                        "quoteVolume": f8(px * 100.0), "openTime": window, "closeTime": now,
                        "firstId": 1000, "lastId": 1999, "count": 1000})
                }).collect();
                Ok(one_or_many(stats, single))
            }
            "ticker.book" => {
                let (syms, single) = symbols(p)?;
                let v = syms
                    .iter()
                    .map(|s| {
                        let px = price_of(s);
                        json!({"symbol": s, "bidPrice": f8(px * 0.9999), "bidQty": "1.00000000",
                        "askPrice": f8(px * 1.0001), "askQty": "2.00000000"})
                    })
                    .collect();
                Ok(one_or_many(v, single))
            }
            "referencePrice" => {
                let s = symbol(p)?;
                Ok(json!({"symbol": s, "referencePrice": f8(price_of(s)), "timestamp": now}))
            }
            "referencePrice.calculation" => {
                let s = symbol(p)?;
                Ok(
                    json!({"symbol": s, "calculationType": "ARITHMETIC_MEAN", "bucketCount": 10,
                    "bucketWidthMs": 1000, "externalCalculationId": null}),
                )
            }
            "order.cancelReplace" => {
                let s = symbol(p)?;
                let mode =
                    text(p, "cancelReplaceMode").ok_or_else(|| mandatory("cancelReplaceMode"))?;
                let found =
                    self.find_order(&account, s, p, "cancelOrderId", "cancelOrigClientOrderId");
                let cancel = match found {
                    Some(i) if self.orders[i].status == "NEW" => {
                        self.orders[i].status = "CANCELED";
                        let o = self.orders[i].clone();
                        self.order_events(&o, "CANCELED", now);
                        let mut v = o.to_json();
                        v["origClientOrderId"] = v["clientOrderId"].clone();
                        v["transactTime"] = now.into();
                        Some(v)
                    }
                    _ => None,
                };
                if cancel.is_none() && mode == "STOP_ON_FAILURE" {
                    return Err((409, -2022, "Order cancel-replace failed.".into()));
                }
                let typ = text(p, "type").ok_or_else(|| mandatory("type"))?;
                let side = text(p, "side").ok_or_else(|| mandatory("side"))?;
                let qty = text(p, "quantity").ok_or_else(|| mandatory("quantity"))?;
                let o = self.make_order(
                    &account,
                    s,
                    side,
                    typ,
                    text(p, "price"),
                    qty,
                    text(p, "timeInForce"),
                    text(p, "newClientOrderId"),
                    -1,
                    "NEW",
                    now,
                );
                self.order_events(&o, "NEW", now);
                let mut placed = o.to_json();
                placed["transactTime"] = now.into();
                self.orders.push(o);
                Ok(
                    json!({"cancelResult": if cancel.is_some() { "SUCCESS" } else { "FAILURE" },
                    "newOrderResult": "SUCCESS", "cancelResponse": cancel, "newOrderResponse": placed}),
                )
            }
            "order.amend.keepPriority" => {
                let s = symbol(p)?;
                let new_qty = text(p, "newQty")
                    .ok_or_else(|| mandatory("newQty"))?
                    .to_owned();
                let i = self
                    .find_order(&account, s, p, "orderId", "origClientOrderId")
                    .ok_or_else(|| bad(-2013, "Order does not exist."))?;
                let orig: f64 = self.orders[i].orig_qty.parse().unwrap_or(0.0);
                let n: f64 = new_qty.parse().unwrap_or(0.0);
                if !(n > 0.0 && n < orig) {
                    return Err(bad(
                        -2038,
                        "Order amend (quantity increase) is not supported.",
                    ));
                }
                let execution_id = self.next_trade_id;
                self.next_trade_id += 1;
                let o = &mut self.orders[i];
                let orig_cid = o.client_order_id.clone();
                let orig_qty = o.orig_qty.clone();
                if let Some(c) = text(p, "newClientOrderId") {
                    o.client_order_id = c.to_owned();
                }
                o.orig_qty = new_qty.clone();
                let o = o.clone();
                self.amendments
                    .push(json!({"symbol": s, "orderId": o.order_id,
                    "executionId": execution_id, "origClientOrderId": orig_cid,
                    "newClientOrderId": o.client_order_id, "origQty": orig_qty, "newQty": new_qty,
                    "time": now}));
                self.order_events(&o, "REPLACED", now);
                Ok(
                    json!({"transactTime": now, "executionId": execution_id, "amendedOrder": {
                    "symbol": s, "orderId": o.order_id, "orderListId": o.order_list_id,
                    "origClientOrderId": orig_cid, "clientOrderId": o.client_order_id,
                    "price": o.price, "qty": o.orig_qty, "executedQty": o.executed_qty,
                    "preventedQty": "0.00000000", "quoteOrderQty": "0.00000000",
                    "cumulativeQuoteQty": "0.00000000", "status": o.status,
                    "timeInForce": o.time_in_force, "type": o.order_type, "side": o.side,
                    "workingTime": o.time, "selfTradePreventionMode": "NONE"}}),
                )
            }
            "openOrders.cancelAll" => {
                let s = symbol(p)?;
                let mut out = Vec::new();
                let lists: Vec<usize> = (0..self.lists.len())
                    .filter(|i| {
                        !self.lists[*i].done
                            && self.lists[*i].symbol == s
                            && self.lists[*i].account == account
                    })
                    .collect();
                let in_lists: Vec<u64> = lists
                    .iter()
                    .flat_map(|i| self.lists[*i].order_ids.clone())
                    .collect();
                let singles: Vec<usize> = (0..self.orders.len())
                    .filter(|i| {
                        let o = &self.orders[*i];
                        o.symbol == s
                            && o.account == account
                            && o.status == "NEW"
                            && !in_lists.contains(&o.order_id)
                    })
                    .collect();
                for i in singles {
                    self.orders[i].status = "CANCELED";
                    let o = self.orders[i].clone();
                    self.order_events(&o, "CANCELED", now);
                    let mut v = o.to_json();
                    v["origClientOrderId"] = v["clientOrderId"].clone();
                    v["transactTime"] = now.into();
                    out.push(v);
                }
                for i in lists {
                    out.push(self.cancel_list(i, now));
                }
                if out.is_empty() {
                    return Err(bad(-2011, "Unknown order sent."));
                }
                Ok(Value::Array(out))
            }
            m if m.starts_with("orderList.place") => self.place_list(&account, m, p, now),
            "orderList.cancel" => {
                let s = symbol(p)?;
                let id = num(p, "orderListId");
                let cid = text(p, "listClientOrderId");
                let i = self
                    .lists
                    .iter()
                    .position(|l| {
                        l.symbol == s
                            && l.account == account
                            && (Some(l.list_id) == id
                                || Some(l.list_client_order_id.as_str()) == cid)
                    })
                    .ok_or_else(|| bad(-2011, "Unknown order sent."))?;
                if self.lists[i].done {
                    return Err(bad(-2011, "Unknown order sent."));
                }
                Ok(self.cancel_list(i, now))
            }
            "sor.order.place" => {
                let s = symbol(p)?;
                let typ = text(p, "type").ok_or_else(|| mandatory("type"))?;
                let side = text(p, "side").ok_or_else(|| mandatory("side"))?;
                let qty = text(p, "quantity").ok_or_else(|| mandatory("quantity"))?;
                let o = self.make_order(
                    &account,
                    s,
                    side,
                    typ,
                    text(p, "price"),
                    qty,
                    text(p, "timeInForce"),
                    text(p, "newClientOrderId"),
                    -1,
                    "FILLED",
                    now,
                );
                self.order_events(&o, "NEW", now);
                self.record_fill(&o, now);
                self.order_events(&o, "TRADE", now);
                let alloc = self.allocations.len() as u64;
                let quote = o.price.parse::<f64>().unwrap_or(0.0)
                    * o.orig_qty.parse::<f64>().unwrap_or(0.0);
                self.allocations.push(
                    json!({"symbol": s, "allocationId": alloc, "allocationType": "SOR",
                    "orderId": o.order_id, "orderListId": -1, "price": o.price, "qty": o.orig_qty,
                    "quoteQty": f8(quote), "commission": "0.00000000", "commissionAsset": "BTC",
                    "time": now, "isBuyer": side == "BUY", "isMaker": false, "isAllocator": false,
                    "account": account}),
                );
                let mut v = o.to_json();
                v["transactTime"] = now.into();
                v["fills"] = json!([{"matchType": "ONE_PARTY_TRADE_REPORT", "price": o.price,
                    "qty": o.orig_qty, "commission": "0.00000000", "commissionAsset": "BTC",
                    "tradeId": -1, "allocId": alloc}]);
                v["workingFloor"] = "SOR".into();
                v["usedSor"] = true.into();
                self.orders.push(o);
                Ok(json!([v]))
            }
            "sor.order.test" => {
                symbol(p)?;
                if text(p, "quantity").is_none() {
                    return Err(mandatory("quantity"));
                }
                Ok(Self::test_result(p))
            }
            "allOrders" => {
                let s = symbol(p)?;
                let n = limit(500);
                Ok(Value::Array(
                    self.orders
                        .iter()
                        .filter(|o| o.symbol == s && o.account == account)
                        .filter(|o| num(p, "orderId").is_none_or(|id| o.order_id >= id))
                        .take(n)
                        .map(SimOrder::to_json)
                        .collect(),
                ))
            }
            "orderList.status" => {
                let id = num(p, "orderListId");
                let cid = text(p, "origClientOrderId");
                let l = self
                    .lists
                    .iter()
                    .find(|l| {
                        l.account == account
                            && (Some(l.list_id) == id
                                || Some(l.list_client_order_id.as_str()) == cid)
                    })
                    .ok_or_else(|| bad(-2018, "Order list does not exist."))?;
                Ok(self.list_json(l, false, now))
            }
            "openOrderLists.status" | "allOrderLists" => {
                let open_only = method == "openOrderLists.status";
                Ok(Value::Array(
                    self.lists
                        .iter()
                        .filter(|l| l.account == account && (!open_only || !l.done))
                        .map(|l| self.list_json(l, false, now))
                        .collect(),
                ))
            }
            "myTrades" => {
                let s = symbol(p)?;
                let oid = num(p, "orderId");
                Ok(Value::Array(
                    self.trades
                        .iter()
                        .filter(|t| t["symbol"] == s && t["account"] == account.as_str())
                        .filter(|t| oid.is_none_or(|id| t["orderId"] == id))
                        .map(|t| {
                            let mut t = t.clone();
                            t.as_object_mut().map(|m| m.remove("account"));
                            t
                        })
                        .collect(),
                ))
            }
            "account.rateLimits.orders" => {
                let o10 = *self.orders_10s.at(now, 10_000);
                let od = *self.orders_day.at(now, 86_400_000);
                Ok(json!([
                    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                     "limit": self.cfg.orders_per_10s, "count": o10},
                    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1,
                     "limit": self.cfg.orders_per_day, "count": od}]))
            }
            "myPreventedMatches" => {
                let s = symbol(p)?;
                if !p.contains_key("preventedMatchId") && !p.contains_key("orderId") {
                    return Err(mandatory("preventedMatchId"));
                }
                // The simulator has no self-trade prevention: one documented-shape record.
                Ok(
                    json!([{"symbol": s, "preventedMatchId": num(p, "preventedMatchId").unwrap_or(1),
                    "takerOrderId": num(p, "orderId").unwrap_or(5), "makerSymbol": s, "makerOrderId": 3,
                    "tradeGroupId": 1, "selfTradePreventionMode": "EXPIRE_MAKER", "price": "1.100000",
                    "makerPreventedQuantity": "1.300000", "transactTime": now}]),
                )
            }
            "myAllocations" => {
                let s = symbol(p)?;
                Ok(Value::Array(
                    self.allocations
                        .iter()
                        .filter(|a| a["symbol"] == s && a["account"] == account.as_str())
                        .map(|a| {
                            let mut a = a.clone();
                            a.as_object_mut().map(|m| m.remove("account"));
                            a
                        })
                        .collect(),
                ))
            }
            "account.commission" => {
                let s = symbol(p)?;
                Ok(
                    json!({"symbol": s, "standardCommission": rates("0.00000010", "0.00000020"),
                    "specialCommission": rates("0.01000000", "0.02000000"),
                    "taxCommission": rates("0.00000112", "0.00000114"),
                    "discount": {"enabledForAccount": true, "enabledForSymbol": true,
                        "discountAsset": "BNB", "discount": "0.75000000"}}),
                )
            }
            "order.amendments" => {
                let s = symbol(p)?;
                let oid = num(p, "orderId").ok_or_else(|| mandatory("orderId"))?;
                Ok(Value::Array(
                    self.amendments
                        .iter()
                        .filter(|a| a["symbol"] == s && a["orderId"] == oid)
                        .cloned()
                        .collect(),
                ))
            }
            "myFilters" => {
                symbol(p)?;
                Ok(
                    json!({"exchangeFilters": [{"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000}],
                    "symbolFilters": [{"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": 20}],
                    "assetFilters": [{"filterType": "MAX_ASSET", "asset": "USDT", "limit": "1000000.00000000"}]}),
                )
            }
            _ => Err(bad(-1100, &format!("Unknown method '{method}'."))),
        }
    }
}
