//! A hand-written one-pass reader for Poloniex `book_lv2` frames, the hot path of
//! [`parse`](super::parse::parse): `{"channel":"book_lv2","action":"update","data":[{..}]}`
//! with its keys in any order, each entry's fields (`symbol`, `createTime`, `asks`, `bids`,
//! `lastId`, `id`, `ts`) in any order and the `[["price","qty"],..]` arrays straight into
//! [`Level`]s through the shared [`Cursor`]. It answers only frames it fully understands
//! (every key known and at most once, plain unescaped strings, plain non-negative integers,
//! nothing after the closing brace but whitespace); on anything else it returns `None` and
//! the caller takes the serde readings, which then give the answer and its typed error.
//! Where it answers, the serde reading gives the same messages (tested on every frame of the
//! capture and on cut and byte-changed copies).

use crate::exchange::scan::Cursor;
use crate::types::Level;

/// One `data` element as read.
pub(super) struct Entry<'a> {
    pub symbol: &'a str,
    pub create_time: Option<u64>,
    pub asks: Vec<Level>,
    pub bids: Vec<Level>,
    pub last_id: Option<u64>,
    pub id: u64,
    pub ts: Option<u64>,
}

/// Puts `value` into an empty `slot`; `None` if the field came twice.
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// A `book_lv2` frame: whether it is a snapshot, and its entries.
pub(super) fn book_frame(frame: &str) -> Option<(bool, Vec<Entry<'_>>)> {
    let mut c = Cursor::new(frame);
    c.expect(b'{')?;
    let (mut channel, mut action, mut data) = (None, None, None);
    loop {
        let key = c.string()?;
        c.expect(b':')?;
        match key {
            "channel" => once(&mut channel, c.string()?)?,
            "action" => once(&mut action, c.string()?)?,
            "data" => {
                let entries = entries(&mut c)?;
                once(&mut data, entries)?
            }
            _ => return None,
        }
        match c.next()? {
            b',' => {}
            b'}' => break,
            _ => return None,
        }
    }
    c.ws();
    if !c.at_end() || channel? != "book_lv2" {
        return None;
    }
    let snapshot = match action? {
        "snapshot" => true,
        "update" => false,
        _ => return None,
    };
    Some((snapshot, data?))
}

fn entries<'a>(c: &mut Cursor<'a>) -> Option<Vec<Entry<'a>>> {
    c.expect(b'[')?;
    let mut out = Vec::with_capacity(1);
    if c.peek()? == b']' {
        c.next()?;
        return Some(out);
    }
    loop {
        out.push(entry(c)?);
        match c.next()? {
            b',' => {}
            b']' => return Some(out),
            _ => return None,
        }
    }
}

fn entry<'a>(c: &mut Cursor<'a>) -> Option<Entry<'a>> {
    c.expect(b'{')?;
    let (mut symbol, mut create_time, mut asks, mut bids) = (None, None, None, None);
    let (mut last_id, mut id, mut ts) = (None, None, None);
    loop {
        let key = c.string()?;
        c.expect(b':')?;
        match key {
            "symbol" => once(&mut symbol, c.string()?)?,
            "createTime" => once(&mut create_time, c.u64()?)?,
            "lastId" => once(&mut last_id, c.u64()?)?,
            "id" => once(&mut id, c.u64()?)?,
            "ts" => once(&mut ts, c.u64()?)?,
            "asks" | "bids" => {
                let mut v = Vec::with_capacity(8);
                c.levels(&mut v)?;
                once(if key == "asks" { &mut asks } else { &mut bids }, v)?
            }
            _ => return None,
        }
        match c.next()? {
            b',' => {}
            b'}' => break,
            _ => return None,
        }
    }
    Some(Entry {
        symbol: symbol?,
        create_time,
        asks: asks?,
        bids: bids?,
        last_id,
        id: id?,
        ts,
    })
}
