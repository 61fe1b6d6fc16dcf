//! The client's method table and the simulator's (written separately) against the method
//! list of the official documentation (`tests/fixtures/wsapi/binance-wsapi-methods.md`): the
//! same 55 names, the same security types, and the same weights for the parameters each
//! weight rule depends on.

use std::collections::{BTreeMap, BTreeSet};

use marketfeed::sim::WsApiSim;
use marketfeed::wsapi::{method_info, method_spec, WsApiError, METHODS};
use serde_json::{json, Map, Value};

struct DocRow {
    security: String,
    weight: String,
}

/// Parses the markdown table: `| `method` | security | weight | section |`.
fn doc_methods() -> BTreeMap<String, DocRow> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wsapi/binance-wsapi-methods.md"
    );
    let text = std::fs::read_to_string(path).expect("fixture present");
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // ["", "`name`", security, weight, section, ""]
        let name = cells[1].trim_matches('`').to_owned();
        let row = DocRow {
            security: cells[2].to_owned(),
            weight: cells[3].to_owned(),
        };
        assert!(out.insert(name.clone(), row).is_none(), "duplicate {name}");
    }
    let count: usize = text
        .lines()
        .find_map(|l| l.strip_suffix(" methods.")?.parse().ok())
        .expect("the file states its method count");
    assert_eq!(out.len(), count, "table rows vs stated count");
    out
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn client_weight(method: &str, p: &Map<String, Value>) -> u64 {
    method_info(method, Some(p)).unwrap().1.weight as u64
}

fn sim_weight(method: &str, p: &Map<String, Value>) -> u64 {
    WsApiSim::method_cost(method, p).unwrap().0
}

#[test]
fn both_tables_name_exactly_the_documented_methods() {
    let doc = doc_methods();
    assert_eq!(doc.len(), 55);
    let doc_names: BTreeSet<&str> = doc.keys().map(String::as_str).collect();
    let client: BTreeSet<&str> = METHODS.iter().map(|m| m.name).collect();
    assert_eq!(client.len(), METHODS.len(), "client table has duplicates");
    assert_eq!(client, doc_names, "client table vs documentation");
    let sim_names = WsApiSim::method_names();
    let sim: BTreeSet<&str> = sim_names.iter().copied().collect();
    assert_eq!(sim.len(), sim_names.len(), "simulator table has duplicates");
    assert_eq!(sim, doc_names, "simulator table vs documentation");
    for name in doc.keys() {
        assert!(
            WsApiSim::method_cost(name, &Map::new()).is_some(),
            "simulator has no rule for {name}"
        );
    }
}

#[test]
fn security_types_match_the_documentation() {
    for (name, row) in doc_methods() {
        let client = method_spec(&name).unwrap().security_type.as_str();
        assert_eq!(client, row.security, "client security of {name}");
        let sim = WsApiSim::method_security(&name).unwrap();
        assert_eq!(sim, row.security, "simulator security of {name}");
    }
}

#[test]
fn fixed_weights_match_the_documentation() {
    let mut fixed = 0;
    for (name, row) in doc_methods() {
        let Ok(w) = row.weight.parse::<u64>() else {
            continue;
        };
        fixed += 1;
        // Fixed weights do not depend on parameters: try a few shapes.
        for p in [
            json!({}),
            json!({"symbol": "BTCUSDT"}),
            json!({"symbol": "BTCUSDT", "limit": 1000, "orderId": 1}),
        ] {
            let p = obj(p);
            assert_eq!(client_weight(&name, &p), w, "client weight of {name} {p:?}");
            assert_eq!(sim_weight(&name, &p), w, "simulator weight of {name} {p:?}");
        }
    }
    assert_eq!(
        fixed, 43,
        "methods with a plain number as weight in the file"
    );
}

fn syms(n: usize) -> Value {
    Value::Array((0..n).map(|i| Value::from(format!("SYM{i}USDT"))).collect())
}

/// The conditional weights, read off the documentation's weight column (each case quotes
/// the rule it checks), evaluated by both tables.
#[test]
fn conditional_weights_follow_the_documented_rules() {
    let doc = doc_methods();
    let cases: Vec<(&str, Value, u64, &str)> = vec![
        ("depth", json!({"limit": 1}), 5, "1–100 / 5"),
        ("depth", json!({"limit": 100}), 5, "1–100 / 5"),
        ("depth", json!({}), 5, "1–100 / 5"),
        ("depth", json!({"limit": 101}), 25, "101–500 / 25"),
        ("depth", json!({"limit": 500}), 25, "101–500 / 25"),
        ("depth", json!({"limit": 501}), 50, "501–1000 / 50"),
        ("depth", json!({"limit": 1000}), 50, "501–1000 / 50"),
        ("depth", json!({"limit": 1001}), 250, "1001–5000 / 250"),
        ("depth", json!({"limit": 5000}), 250, "1001–5000 / 250"),
        ("ticker.24hr", json!({"symbol": "A"}), 2, "1–20 / 2"),
        ("ticker.24hr", json!({"symbols": syms(20)}), 2, "1–20 / 2"),
        (
            "ticker.24hr",
            json!({"symbols": syms(21)}),
            40,
            "21–100 / 40",
        ),
        (
            "ticker.24hr",
            json!({"symbols": syms(100)}),
            40,
            "21–100 / 40",
        ),
        (
            "ticker.24hr",
            json!({"symbols": syms(101)}),
            80,
            "101 or more / 80",
        ),
        ("ticker.24hr", json!({}), 80, "all symbols / 80"),
        (
            "ticker.tradingDay",
            json!({"symbol": "A"}),
            4,
            "4 for each requested symbol",
        ),
        (
            "ticker.tradingDay",
            json!({"symbols": syms(7)}),
            28,
            "4 for each requested symbol",
        ),
        (
            "ticker.tradingDay",
            json!({"symbols": syms(50)}),
            200,
            "4 for each",
        ),
        (
            "ticker.tradingDay",
            json!({"symbols": syms(51)}),
            200,
            "cap at 200",
        ),
        (
            "ticker.tradingDay",
            json!({"symbols": syms(100)}),
            200,
            "cap at 200",
        ),
        ("ticker", json!({"symbol": "A"}), 4, "1–50 / 4 per symbol"),
        (
            "ticker",
            json!({"symbols": syms(50)}),
            200,
            "1–50 / 4 per symbol",
        ),
        (
            "ticker",
            json!({"symbols": syms(3)}),
            12,
            "1–50 / 4 per symbol",
        ),
        ("ticker", json!({"symbols": syms(51)}), 200, "51–100 / 200"),
        ("ticker", json!({"symbols": syms(100)}), 200, "51–100 / 200"),
        ("ticker.price", json!({"symbol": "A"}), 2, "`symbol` / 2"),
        (
            "ticker.price",
            json!({"symbols": syms(3)}),
            4,
            "`symbols` / 4",
        ),
        ("ticker.price", json!({}), 4, "none / 4"),
        ("ticker.book", json!({"symbol": "A"}), 2, "`symbol` / 2"),
        (
            "ticker.book",
            json!({"symbols": syms(3)}),
            4,
            "`symbols` / 4",
        ),
        ("ticker.book", json!({}), 4, "none / 4"),
        ("executionRules", json!({"symbol": "A"}), 2, "`symbol` / 2"),
        (
            "executionRules",
            json!({"symbols": syms(1)}),
            2,
            "2 for each `symbol`",
        ),
        (
            "executionRules",
            json!({"symbols": syms(5)}),
            10,
            "2 for each `symbol`",
        ),
        (
            "executionRules",
            json!({"symbols": syms(20)}),
            40,
            "capped at a max of 40",
        ),
        (
            "executionRules",
            json!({"symbols": syms(30)}),
            40,
            "capped at a max of 40",
        ),
        (
            "executionRules",
            json!({"symbolStatus": "TRADING"}),
            40,
            "`symbolStatus` / 40",
        ),
        ("executionRules", json!({}), 40, "None / 40"),
        (
            "openOrders.status",
            json!({"symbol": "A"}),
            6,
            "`symbol` / 6",
        ),
        ("openOrders.status", json!({}), 80, "none / 80"),
        (
            "myTrades",
            json!({"symbol": "A"}),
            20,
            "Without orderId / 20",
        ),
        (
            "myTrades",
            json!({"symbol": "A", "orderId": 7}),
            5,
            "With orderId / 5",
        ),
        (
            "myPreventedMatches",
            json!({"symbol": "A", "preventedMatchId": 1}),
            2,
            "Querying by `preventedMatchId`",
        ),
        (
            "myPreventedMatches",
            json!({"symbol": "A", "orderId": 1}),
            20,
            "Querying by `orderId` / 20",
        ),
        (
            "order.test",
            json!({}),
            1,
            "Without `computeCommissionRates` / 1",
        ),
        (
            "order.test",
            json!({"computeCommissionRates": false}),
            1,
            "Without",
        ),
        (
            "order.test",
            json!({"computeCommissionRates": true}),
            20,
            "With `computeCommissionRates` / 20",
        ),
        (
            "sor.order.test",
            json!({}),
            1,
            "Without `computeCommissionRates` / 1",
        ),
        (
            "sor.order.test",
            json!({"computeCommissionRates": true}),
            20,
            "With `computeCommissionRates` / 20",
        ),
    ];
    let mut covered = BTreeSet::new();
    for (method, p, want, rule) in cases {
        let row = &doc[method];
        // The rule quoted is really in the documentation's weight column.
        let quoted = rule.split(" / ").next().unwrap();
        assert!(
            row.weight.contains(quoted),
            "{method}: `{quoted}` not in `{}`",
            row.weight
        );
        let p = obj(p);
        assert_eq!(
            client_weight(method, &p),
            want,
            "client {method} {p:?} ({rule})"
        );
        assert_eq!(
            sim_weight(method, &p),
            want,
            "simulator {method} {p:?} ({rule})"
        );
        covered.insert(method);
    }
    // Every method whose documented weight is not a plain number has cases above.
    for (name, row) in &doc {
        if row.weight.parse::<u64>().is_err() {
            assert!(
                covered.contains(name.as_str()),
                "no weight cases for {name}"
            );
        }
    }
}

/// Both tables agree on every method for a grid of parameter shapes, and on the ORDERS
/// counted; order-placing methods count at least one order.
#[test]
fn client_and_simulator_agree_on_costs_everywhere() {
    let mut grid: Vec<Value> = vec![
        json!({}),
        json!({"symbol": "BTCUSDT"}),
        json!({"symbol": "BTCUSDT", "orderId": 3}),
        json!({"symbol": "BTCUSDT", "preventedMatchId": 3}),
        json!({"computeCommissionRates": true}),
        json!({"symbolStatus": "TRADING"}),
    ];
    for limit in [5, 100, 101, 499, 500, 501, 999, 1000, 1001, 4999, 5000] {
        grid.push(json!({"symbol": "BTCUSDT", "limit": limit}));
    }
    for n in [0, 1, 2, 19, 20, 21, 49, 50, 51, 99, 100, 101, 150] {
        grid.push(json!({"symbols": syms(n)}));
    }
    for m in METHODS {
        for p in &grid {
            let p = obj(p.clone());
            let client = method_info(m.name, Some(&p)).unwrap().1;
            let sim = WsApiSim::method_cost(m.name, &p).unwrap();
            assert_eq!(
                (client.weight as u64, client.orders as u64),
                sim,
                "{} {p:?}",
                m.name
            );
        }
    }
    let doc = doc_methods();
    for name in doc.keys() {
        let places = name == "order.place"
            || name == "order.cancelReplace"
            || name == "sor.order.place"
            || name.starts_with("orderList.place");
        let orders = method_spec(name).unwrap().orders;
        assert_eq!(places, orders > 0, "{name} counts {orders} orders");
    }
    // Order lists count each of their orders (the deprecated OCO states 1 in its section).
    for (name, n) in [
        ("orderList.place.oco", 2),
        ("orderList.place.oto", 2),
        ("orderList.place.otoco", 3),
        ("orderList.place.opo", 2),
        ("orderList.place.opoco", 3),
    ] {
        assert_eq!(method_spec(name).unwrap().orders, n, "{name}");
    }
}

#[test]
fn unknown_methods_are_refused_not_sent_as_public() {
    assert_eq!(
        method_info("order.placeEverything", None),
        Err(WsApiError::UnknownMethod("order.placeEverything".into()))
    );
    assert_eq!(
        WsApiSim::method_cost("order.placeEverything", &Map::new()),
        None
    );
}
