//! The floor: what a zero-allocation scanner + price-indexed array does on the same frames.
//! No JSON library, no decimal type, no allocation per frame: the frame is scanned once for
//! `"s"`, `"U"`, `"u"`, `"b"`, `"a"`; prices and quantities are read as 1e-8 fixed-point
//! integers; each side is a `Vec<u64>` of quantities indexed by price tick (tick = gcd of the
//! snapshot's prices) with a best-index cursor. The Binance spot sequence rules are checked
//! (drop u <= lastUpdateId; first event U <= id + 1 <= u; then U = previous u + 1), and the
//! top-10 view (or best bid/ask) is copied out after every update, like the other engines.
//! It is a bound on this machine, not an engine: it trusts field order, has no error
//! recovery beyond counting, and sizes its arrays from the snapshot.
//!
//! `floor --ws F --http F --name N --seconds S [--view top10|bbo]` prints one JSON line.

use mf_peer_bench::{book_line, fixed8, Capture, Counts, Engine};
use std::hint::black_box;

fn find(h: &[u8], n: &[u8], from: usize) -> Option<usize> {
    let first = n[0];
    let mut i = from;
    while i + n.len() <= h.len() {
        if h[i] == first && &h[i..i + n.len()] == n {
            return Some(i + n.len());
        }
        i += 1;
    }
    None
}

fn int(h: &[u8], mut i: usize) -> (u64, usize) {
    let mut v = 0u64;
    while i < h.len() && h[i].is_ascii_digit() {
        v = v * 10 + u64::from(h[i] - b'0');
        i += 1;
    }
    (v, i)
}

/// `"123.45"` at `i` (the opening quote) -> 1e-8 fixed point, index after the closing quote.
fn fixed(h: &[u8], i: usize) -> Option<(u64, usize)> {
    let mut i = i + 1;
    let mut v = 0u64;
    let mut frac: i32 = -1;
    while i < h.len() && h[i] != b'"' {
        let c = h[i];
        if c == b'.' {
            frac = 0;
        } else if c.is_ascii_digit() {
            if frac < 8 {
                v = v * 10 + u64::from(c - b'0');
                if frac >= 0 {
                    frac += 1;
                }
            }
        } else {
            return None;
        }
        i += 1;
    }
    let frac = frac.max(0);
    Some((v * 10u64.pow((8 - frac) as u32), i + 1))
}

struct Side {
    qty: Vec<u64>,
    best: Option<usize>,
    n: usize,
    bid: bool,
}

impl Side {
    fn set(&mut self, idx: usize, q: u64) {
        let old = self.qty[idx];
        self.qty[idx] = q;
        if q == 0 {
            if old == 0 {
                return;
            }
            self.n -= 1;
            if self.best == Some(idx) {
                self.best = self.next_from(idx, false);
            }
        } else {
            if old == 0 {
                self.n += 1;
            }
            let better = match self.best {
                None => true,
                Some(b) => (self.bid && idx > b) || (!self.bid && idx < b),
            };
            if better {
                self.best = Some(idx);
            }
        }
    }
    /// Next non-empty index from `idx` towards worse prices (`inclusive`: `idx` itself too).
    fn next_from(&self, idx: usize, inclusive: bool) -> Option<usize> {
        if self.bid {
            let end = if inclusive { idx + 1 } else { idx };
            (0..end).rev().find(|&i| self.qty[i] != 0)
        } else {
            let start = if inclusive { idx } else { idx + 1 };
            (start..self.qty.len()).find(|&i| self.qty[i] != 0)
        }
    }
    fn top10(&self, out: &mut [(usize, u64); 10]) -> usize {
        let mut k = 0;
        let mut cur = self.best;
        while let Some(i) = cur {
            out[k] = (i, self.qty[i]);
            k += 1;
            if k == 10 {
                break;
            }
            cur = self.next_from(i, false);
        }
        k
    }
}

struct Book {
    symbol: Vec<u8>,
    tick: u64,
    base: u64,
    sides: [Side; 2],
    last_id: u64,
    synced: bool,
}

impl Book {
    fn index(&self, p: u64) -> Option<usize> {
        if p < self.base || !p.is_multiple_of(self.tick) {
            return None;
        }
        let i = ((p - self.base) / self.tick) as usize;
        (i < self.sides[0].qty.len()).then_some(i)
    }
}

/// Levels `[["p","q"],...]` starting at the `[` at `i`; calls `f(p, q)`; returns the index after `]`.
fn levels(h: &[u8], mut i: usize, mut f: impl FnMut(u64, u64) -> bool) -> Option<usize> {
    i += 1;
    loop {
        match h.get(i)? {
            b']' => return Some(i + 1),
            b'[' => {
                let (p, j) = fixed(h, i + 1)?;
                let (q, j) = fixed(h, j + 1)?;
                if !f(p, q) {
                    return None;
                }
                i = j + 1; // past ']'
            }
            _ => i += 1,
        }
    }
}

struct Floor {
    books: Vec<Book>,
    top10: bool,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Engine for Floor {
    fn reset(&mut self, cap: &Capture) -> Result<(), String> {
        self.books.clear();
        for (sym, body) in &cap.snapshots {
            let h = body.as_bytes();
            let err = || format!("snapshot {sym}: not understood");
            let at = find(h, b"\"lastUpdateId\":", 0).ok_or_else(err)?;
            let (last_id, _) = int(h, at);
            let mut lv: [Vec<(u64, u64)>; 2] = [Vec::new(), Vec::new()];
            for (s, key) in [(0, &b"\"bids\":"[..]), (1, &b"\"asks\":"[..])] {
                let at = find(h, key, 0).ok_or_else(err)?;
                levels(h, at, |p, q| {
                    lv[s].push((p, q));
                    true
                })
                .ok_or_else(err)?;
            }
            let all = lv[0].iter().chain(&lv[1]).map(|l| l.0);
            let (lo, hi) = all
                .clone()
                .fold((u64::MAX, 0), |(a, b), p| (a.min(p), b.max(p)));
            let tick = all.fold(0, gcd).max(1);
            let span = (hi.saturating_sub(lo)).max(1000 * tick);
            let base = lo.saturating_sub(span) / tick * tick;
            let len = ((hi + span - base) / tick + 1) as usize;
            let side = |bid| Side {
                qty: vec![0; len],
                best: None,
                n: 0,
                bid,
            };
            let mut b = Book {
                symbol: sym.as_bytes().to_vec(),
                tick,
                base,
                sides: [side(true), side(false)],
                last_id,
                synced: false,
            };
            for (s, l) in lv.iter().enumerate() {
                for &(p, q) in l {
                    let i = b.index(p).ok_or_else(err)?;
                    b.sides[s].set(i, q);
                }
            }
            self.books.push(b);
        }
        Ok(())
    }

    fn frame(&mut self, frame: &str, counts: &mut Counts) -> bool {
        let h = frame.as_bytes();
        let Some(at) = find(h, b"\"e\":\"depthUpdate\"", 0) else {
            return false;
        };
        let parsed = (|| {
            let s = find(h, b"\"s\":\"", at)?;
            let e = s + h[s..].iter().position(|&c| c == b'"')?;
            let book = self.books.iter().position(|b| b.symbol == h[s..e])?;
            let (first, j) = int(h, find(h, b"\"U\":", e)?);
            let (last, j) = int(h, find(h, b"\"u\":", j)?);
            Some((book, first, last, j))
        })();
        let Some((bi, first, last, j)) = parsed else {
            counts.errors += 1;
            return false;
        };
        let book = &mut self.books[bi];
        if last <= book.last_id {
            counts.dropped_frames += 1;
            return false;
        }
        let ok = if book.synced {
            first == book.last_id + 1
        } else {
            first <= book.last_id + 1 && last > book.last_id
        };
        if !ok {
            counts.errors += 1;
            return false;
        }
        book.synced = true;
        book.last_id = last;
        let mut bad = false;
        let mut j = j;
        for s in 0..2 {
            let key: &[u8] = if s == 0 { b"\"b\":" } else { b"\"a\":" };
            let Some(at) = find(h, key, j) else {
                bad = true;
                break;
            };
            let done = levels(h, at, |p, q| match book.index(p) {
                Some(i) => {
                    book.sides[s].set(i, q);
                    true
                }
                None => false,
            });
            match done {
                Some(k) => j = k,
                None => {
                    bad = true;
                    break;
                }
            }
        }
        if bad {
            counts.errors += 1;
        }
        if self.top10 {
            let mut out = [[(0usize, 0u64); 10]; 2];
            let nb = book.sides[0].top10(&mut out[0]);
            let na = book.sides[1].top10(&mut out[1]);
            black_box((&out, nb, na));
        } else {
            black_box((book.sides[0].best, book.sides[1].best));
        }
        true
    }

    fn final_books(&self) -> Vec<String> {
        self.books
            .iter()
            .map(|b| {
                let px = |s: &Side| s.best.map(|i| fixed8(b.base + i as u64 * b.tick));
                book_line(
                    std::str::from_utf8(&b.symbol).unwrap_or("?"),
                    px(&b.sides[0]),
                    px(&b.sides[1]),
                    b.sides[0].n,
                    b.sides[1].n,
                )
            })
            .collect()
    }
}

fn main() -> std::process::ExitCode {
    let a = match mf_peer_bench::Args::parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut e = Floor {
        books: Vec::new(),
        top10: a.top10,
    };
    match mf_peer_bench::run("floor", &mut e, &a) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_scan() {
        assert_eq!(fixed(br#""0.35130000""#, 0), Some((35_130_000, 12)));
        assert_eq!(fixed(br#""6.251""#, 0), Some((625_100_000, 7)));
        assert_eq!(fixed(br#""120""#, 0), Some((12_000_000_000, 5)));
        assert_eq!(fixed(br#""1e5""#, 0), None);
    }

    #[test]
    fn spot_sequence_rules_and_book() {
        mf_peer_bench::check_test_pass(&mut Floor {
            books: Vec::new(),
            top10: true,
        });
    }
}
