//! The text each of the best levels contributed to the last checksum of a book, kept so the
//! next checksum renders only the levels that changed.
//!
//! Writing prices and quantities as digits was the largest part of a Kraken update (its
//! CRC covers 40 numbers on every frame), and most frames change one or two of the best
//! levels. A level's text is a pure function of its integer price key, its quantity and
//! the format (the book's price scale and the checksum's decimals), so the memo keys each
//! text by exactly those: a level whose key and quantity (mantissa and scale) are the ones
//! rendered last time, under the same format, gets its old text; any other is rendered
//! afresh. Nothing has to be invalidated on a book mutation, and the checksum is the same
//! value as the one computed from scratch (proptests in each venue's `checksum.rs`).

use crate::types::{Level, Side};

/// Kept checksum texts of one book's best levels, for
/// [`ChecksumSpec::compute_memo`](crate::exchange::ChecksumSpec::compute_memo). One memo
/// serves one book; it holds no more than the levels the checksum covers.
#[derive(Clone, Debug, Default)]
pub struct ChecksumMemo {
    /// `(book price scale, price decimals, qty decimals)` of the kept texts.
    format: Option<(u32, u32, u32)>,
    pub(crate) bids: SideTexts,
    pub(crate) asks: SideTexts,
    /// Scratch for venues that join the two sides' texts (OKX interleaves them).
    pub(crate) joined: Vec<u8>,
}

impl ChecksumMemo {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every text if the format differs from the one they were rendered at.
    pub(crate) fn set_format(&mut self, price_scale: u32, price_decimals: u32, qty_decimals: u32) {
        let format = Some((price_scale, price_decimals, qty_decimals));
        if self.format != format {
            self.bids = SideTexts::default();
            self.asks = SideTexts::default();
            self.format = format;
        }
    }
}

/// The texts of one side's levels, best first.
#[derive(Clone, Debug, Default)]
struct Texts {
    keys: Vec<i64>,
    /// Each quantity's exact representation (`Decimal::serialize`).
    qtys: Vec<[u8; 16]>,
    /// End of each level's text in `bytes`.
    ends: Vec<usize>,
    bytes: Vec<u8>,
}

impl Texts {
    fn clear(&mut self) {
        self.keys.clear();
        self.qtys.clear();
        self.ends.clear();
        self.bytes.clear();
    }
}

/// One side's kept texts, and the buffers the next ones are written into.
#[derive(Clone, Debug, Default)]
pub(crate) struct SideTexts {
    cur: Texts,
    next: Texts,
}

impl SideTexts {
    /// Makes the texts those of `keys`/`levels` (a side's best levels, best first),
    /// copying the kept text of every level seen unchanged last time and calling `render`
    /// (which appends a level's text) for the others. `None` if `render` fails (the kept
    /// texts stay as they were).
    pub(crate) fn refresh(
        &mut self,
        side: Side,
        keys: &[i64],
        levels: &[Level],
        mut render: impl FnMut(i64, &Level, &mut Vec<u8>) -> Option<()>,
    ) -> Option<()> {
        let (old, new) = (&self.cur, &mut self.next);
        // Most frames change one side only: the other keeps its texts as they are.
        if old.keys == keys
            && old
                .qtys
                .iter()
                .zip(levels)
                .all(|(q, l)| *q == l.qty.serialize())
        {
            return Some(());
        }
        new.clear();
        // Both lists are sorted best first: one merge walk finds each kept level.
        let mut j = 0;
        for (&key, level) in keys.iter().zip(levels) {
            while j < old.keys.len() && better(side, old.keys[j], key) {
                j += 1;
            }
            let qty = level.qty.serialize();
            if old.keys.get(j) == Some(&key) && old.qtys[j] == qty {
                let start = if j == 0 { 0 } else { old.ends[j - 1] };
                new.bytes.extend_from_slice(&old.bytes[start..old.ends[j]]);
            } else {
                render(key, level, &mut new.bytes)?;
            }
            new.keys.push(key);
            new.qtys.push(qty);
            new.ends.push(new.bytes.len());
        }
        std::mem::swap(&mut self.cur, &mut self.next);
        Some(())
    }

    /// Every level's text, concatenated.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.cur.bytes
    }

    /// The text of level `i`.
    pub(crate) fn text(&self, i: usize) -> Option<&[u8]> {
        let end = *self.cur.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.cur.ends[i - 1] };
        Some(&self.cur.bytes[start..end])
    }
}

/// True when `a` is a better price than `b` on `side`.
#[inline]
fn better(side: Side, a: i64, b: i64) -> bool {
    match side {
        Side::Bid => a > b,
        Side::Ask => a < b,
    }
}
