//! Deterministic (seeded) synthetic Binance spot diff-depth streams and their REST snapshots,
//! in the cryptofeed raw capture format of the real captures, so marketfeed's `capture_bench
//! --ws/--http`, `barter_bench` and `floor` all read the same frame bytes.
//!
//! `gen OUTDIR` writes, per book size N in {140, 1300, 3500} (total levels, both sides):
//! `synth-N.ws.1.0`, `synth-N.http.0.0` and `synth-N.ws.1.0.expect` (the final book per the
//! generator's own model: best bid/ask and level counts, which the harnesses check).
//!
//! The book: tick 0.01 around a fixed mid of 1000.00; each side holds about N/2 levels spread
//! over 1.25 N/2 price slots. A frame changes 1..=20 levels (mean 10.5), each at a slot drawn
//! with density falling off from the top (index = slots * r^2): modify, delete (quantity 0),
//! insert, and now and then a delete of a level that is not there (Binance sends those).
//! Sequence: spot rule, U = previous u + 1; the first event straddles lastUpdateId + 1.

use mf_peer_bench::{book_line, fixed8};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// splitmix64: small, seeded, reproducible everywhere.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const MID_CENTS: u64 = 100_000; // 1000.00
const FRAMES: usize = 3000;
const SYMBOL: &str = "SYNUSDT";
const FIRST_ID: u64 = 5_000_000;

fn price_text(cents: u64) -> String {
    fixed8(cents * 1_000_000)
}

fn qty_text(r: &mut Rng) -> String {
    // 0.001 .. 100.000 in steps of 0.001
    fixed8((1 + r.below(100_000)) * 100_000)
}

/// Slot i of a side -> price in cents (bids below the mid, asks above).
fn slot_price(bid: bool, i: u64) -> u64 {
    if bid {
        MID_CENTS - 1 - i
    } else {
        MID_CENTS + 1 + i
    }
}

fn levels_json(side: &BTreeMap<u64, String>, desc: bool) -> String {
    let mut s = String::from("[");
    let items: Vec<(&u64, &String)> = if desc {
        side.iter().rev().collect()
    } else {
        side.iter().collect()
    };
    for (n, (p, q)) in items.into_iter().enumerate() {
        if n > 0 {
            s.push(',');
        }
        let _ = write!(s, "[\"{}\",\"{}\"]", price_text(*p), q);
    }
    s.push(']');
    s
}

fn generate(total: usize, seed: u64, dir: &str) -> std::io::Result<()> {
    let mut r = Rng(seed);
    let per_side = (total / 2) as u64;
    let slots = per_side + per_side / 4;
    // book[side]: price cents -> quantity text
    let mut book: [BTreeMap<u64, String>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for (s, side) in book.iter_mut().enumerate() {
        let mut idx: Vec<u64> = (0..slots).collect();
        for i in (1..idx.len()).rev() {
            let j = r.below(i as u64 + 1) as usize;
            idx.swap(i, j);
        }
        for &i in &idx[..per_side as usize] {
            side.insert(slot_price(s == 0, i), qty_text(&mut r));
        }
    }
    let t0 = 1_700_000_000.0_f64;
    let last_update_id = FIRST_ID;
    let stream = format!("{}@depth@100ms", SYMBOL.to_lowercase());
    let http = format!(
        "https://api.binance.com/api/v3/depth?symbol={SYMBOL}&limit=5000 -> {t0:.6}: {{\"lastUpdateId\":{last_update_id},\"bids\":{},\"asks\":{}}}\n",
        levels_json(&book[0], true),
        levels_json(&book[1], false)
    );
    let mut ws = format!(
        "wss://stream.binance.com:9443/stream?streams={stream} <-> {:.6}\n",
        t0 - 1.0
    );
    // The first event straddles lastUpdateId + 1 (U <= id + 1 <= u).
    let mut prev_u = last_update_id - 1;
    for f in 0..FRAMES {
        let n = 1 + r.below(20);
        let mut changes: [BTreeMap<u64, String>; 2] = [BTreeMap::new(), BTreeMap::new()];
        let mut seen: [BTreeSet<u64>; 2] = [BTreeSet::new(), BTreeSet::new()];
        for _ in 0..n {
            let s = r.below(2) as usize;
            let u = r.unit();
            let i = ((slots as f64) * u * u) as u64;
            let p = slot_price(s == 0, i.min(slots - 1));
            if !seen[s].insert(p) {
                continue;
            }
            let present = book[s].contains_key(&p);
            let fill = book[s].len() as f64 / per_side as f64; // ~1.0
            let q = if present {
                // delete more when over target, so the size stays near N/2 per side
                if r.unit() < 0.25 * fill * fill {
                    "0.00000000".to_string()
                } else {
                    qty_text(&mut r)
                }
            } else if r.unit() < 0.05 {
                "0.00000000".to_string() // removal of a level that is not there
            } else {
                qty_text(&mut r)
            };
            if q == "0.00000000" {
                book[s].remove(&p);
            } else {
                book[s].insert(p, q.clone());
            }
            changes[s].insert(p, q);
        }
        let first = prev_u + 1;
        let last = first + r.below(5) + u64::from(f == 0);
        prev_u = last;
        let ts = t0 + 0.1 * (f + 1) as f64;
        let _ = writeln!(
            ws,
            "{ts:.6}: {{\"stream\":\"{stream}\",\"data\":{{\"e\":\"depthUpdate\",\"E\":{},\"s\":\"{SYMBOL}\",\"U\":{first},\"u\":{last},\"b\":{},\"a\":{}}}}}",
            (ts * 1000.0) as u64,
            levels_json(&changes[0], true),
            levels_json(&changes[1], false)
        );
    }
    let expect = book_line(
        SYMBOL,
        book[0].keys().next_back().map(|p| price_text(*p)),
        book[1].keys().next().map(|p| price_text(*p)),
        book[0].len(),
        book[1].len(),
    );
    let base = format!("{dir}/synth-{total}");
    std::fs::write(format!("{base}.ws.1.0"), ws)?;
    std::fs::write(format!("{base}.http.0.0"), http)?;
    std::fs::write(format!("{base}.ws.1.0.expect"), expect + "\n")?;
    eprintln!(
        "{base}: {FRAMES} frames, snapshot {total} levels, final book {} + {} levels",
        book[0].len(),
        book[1].len()
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "data".into());
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{dir}: {e}");
        return std::process::ExitCode::FAILURE;
    }
    for (total, seed) in [(140, 11), (1300, 13), (3500, 17)] {
        if let Err(e) = generate(total, seed, &dir) {
            eprintln!("{dir}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same seed, same bytes: both sides of a comparison and every re-run read one stream.
    #[test]
    fn deterministic_and_in_sequence() {
        let dirs = [0, 1].map(|i| {
            let d = std::env::temp_dir().join(format!("mf-gen-test-{}-{i}", std::process::id()));
            std::fs::create_dir_all(&d).unwrap();
            generate(140, 11, d.to_str().unwrap()).unwrap();
            d
        });
        let read = |d: &std::path::Path, f: &str| std::fs::read(d.join(f)).unwrap();
        for f in [
            "synth-140.ws.1.0",
            "synth-140.http.0.0",
            "synth-140.ws.1.0.expect",
        ] {
            assert_eq!(read(&dirs[0], f), read(&dirs[1], f), "{f}");
        }
        // U = previous u + 1 on every frame after the first; the first straddles id + 1.
        let ws = String::from_utf8(read(&dirs[0], "synth-140.ws.1.0")).unwrap();
        let mut prev: Option<u64> = None;
        for line in ws.lines().skip(1) {
            let num = |k: &str| -> u64 {
                let at = line.find(k).unwrap() + k.len();
                line[at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap()
            };
            let (first, last) = (num("\"U\":"), num("\"u\":"));
            match prev {
                None => assert!(first <= FIRST_ID + 1 && last > FIRST_ID),
                Some(p) => assert_eq!(first, p + 1),
            }
            prev = Some(last);
        }
        for d in dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
