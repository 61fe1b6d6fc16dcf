//! A hand-written one-pass reader for Binance diff-depth frames, the hot path of
//! [`parse`](super::parse::parse).
//!
//! It walks the frame's bytes once: the combined-stream envelope
//! `{"stream":"btcusdt@depth@100ms","data":{..}}` (keys in either order) or a bare raw-stream
//! event, the `depthUpdate` fields in any order (`e`, `E`, `s`, `U`, `u`, `pu`, `T`, `b`, `a`)
//! and the `[["price","qty"],..]` arrays straight into [`Level`]s. No `Vec` of strings, no
//! serde value. It answers only frames it fully understands: plain unescaped strings, plain
//! non-negative integers (no sign, fraction, exponent or leading zero; within `u64`),
//! levels of exactly two strings that [`parse_decimal`] accepts, each field at most once,
//! nothing after the closing brace but JSON whitespace. On anything else (escapes, exponents,
//! unknown keys, other event types, a cut frame, a symbol or time the metadata rejects) it
//! returns `None` and the caller takes the general serde reading, which then gives the
//! answer and its typed error. Where it answers, the general reading gives the same delta
//! (tested on every frame of the captures, on cut and byte-changed copies, and on random
//! valid frames).

use crate::exchange::fields::meta;
use crate::exchange::scan::Cursor;
use crate::exchange::LevelBuffers;
use crate::types::{BookDelta, Exchange, Level, SeqIds, Timestamp};

/// The fields of one `depthUpdate` event as read; the level vectors come from `spare`.
struct Event<'a, 's> {
    spare: &'s mut LevelBuffers,
    seen_e: bool,
    event_time: Option<u64>,
    symbol: Option<&'a str>,
    first_id: Option<u64>,
    last_id: Option<u64>,
    /// `Some(None)`: `"pu":null`.
    prev_id: Option<Option<u64>>,
    seen_t: bool,
    bids: Option<Vec<Level>>,
    asks: Option<Vec<Level>>,
}

/// Puts `value` into an empty `slot`; `None` if the field came twice.
#[inline]
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// Room for a typical Binance diff's levels on one side.
const TYPICAL_LEVELS: usize = 16;

/// Where a level array goes: a vector of `spare`'s, emptied (taken only when the array
/// is there: a frame refused before it leaves the buffer as it was).
#[inline]
fn side(
    c: &mut Cursor<'_>,
    slot: &mut Option<Vec<Level>>,
    take: impl FnOnce() -> Vec<Level>,
) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    let mut v = take();
    c.levels(&mut v)?;
    *slot = Some(v);
    Some(())
}

impl<'a, 's> Event<'a, 's> {
    fn new(spare: &'s mut LevelBuffers) -> Self {
        Event {
            spare,
            seen_e: false,
            event_time: None,
            symbol: None,
            first_id: None,
            last_id: None,
            prev_id: None,
            seen_t: false,
            bids: None,
            asks: None,
        }
    }

    /// Reads one event field named `key` (the cursor past its `:`).
    fn field(&mut self, key: &str, c: &mut Cursor<'a>) -> Option<()> {
        match key {
            "e" => {
                if self.seen_e || c.string()? != "depthUpdate" {
                    return None;
                }
                self.seen_e = true;
            }
            "E" => once(&mut self.event_time, c.u64()?)?,
            "s" => once(&mut self.symbol, c.string()?)?,
            "U" => once(&mut self.first_id, c.u64()?)?,
            "u" => once(&mut self.last_id, c.u64()?)?,
            "pu" => {
                let v = if c.peek()? == b'n' {
                    c.null()?;
                    None
                } else {
                    Some(c.u64()?)
                };
                once(&mut self.prev_id, v)?;
            }
            // USD-M transaction time: not kept (the general reading ignores it), but only a
            // plain integer is accepted here.
            "T" => {
                if self.seen_t {
                    return None;
                }
                c.u64()?;
                self.seen_t = true;
            }
            "b" => {
                let spare = &mut *self.spare;
                side(c, &mut self.bids, || spare.take_bids(TYPICAL_LEVELS))?;
            }
            "a" => {
                let spare = &mut *self.spare;
                side(c, &mut self.asks, || spare.take_asks(TYPICAL_LEVELS))?;
            }
            _ => return None,
        }
        Some(())
    }

    /// The rest of an object whose `{` and first key (`first`, the cursor past its `:`) are
    /// read: every field, then the closing `}`.
    fn object(&mut self, first: &'a str, c: &mut Cursor<'a>) -> Option<()> {
        let mut key = first;
        loop {
            self.field(key, c)?;
            match c.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
            key = c.string()?;
            c.expect(b':')?;
        }
    }

    fn into_delta(
        self,
        exchange: Exchange,
        received_at: Timestamp,
        bare: bool,
    ) -> Option<BookDelta> {
        // A bare frame is a diff only by its `e` (as the general reading tells it).
        if bare && !self.seen_e {
            return None;
        }
        let time = crate::exchange::fields::unix_millis(Some(self.event_time?)).ok()?;
        Some(BookDelta {
            meta: meta(exchange, self.symbol?, time, received_at).ok()?,
            bids: self.bids?,
            asks: self.asks?,
            seq: SeqIds {
                first_id: Some(self.first_id?),
                last_id: Some(self.last_id?),
                prev_id: self.prev_id.flatten(),
            },
            checksum: None,
        })
    }
}

/// Reads a whole frame as a diff-depth event: a combined-stream envelope whose stream is a
/// diff-depth stream (`is_diff_stream`), or a bare `depthUpdate`. `None` on anything else
/// (see the module docs): the general reading decides then.
/// The level vectors are `spare`'s (taken from it).
pub(super) fn depth_update(
    exchange: Exchange,
    frame: &str,
    received_at: Timestamp,
    spare: &mut LevelBuffers,
    is_diff_stream: impl Fn(&str) -> bool,
) -> Option<BookDelta> {
    let mut c = Cursor::new(frame);
    c.expect(b'{')?;
    let key = c.string()?;
    c.expect(b':')?;
    let mut event = Event::new(spare);
    let bare = match key {
        "stream" => {
            if !is_diff_stream(c.string()?) {
                return None;
            }
            c.expect(b',')?;
            if c.string()? != "data" {
                return None;
            }
            c.expect(b':')?;
            data(&mut event, &mut c)?;
            c.expect(b'}')?;
            false
        }
        "data" => {
            data(&mut event, &mut c)?;
            c.expect(b',')?;
            if c.string()? != "stream" {
                return None;
            }
            c.expect(b':')?;
            if !is_diff_stream(c.string()?) {
                return None;
            }
            c.expect(b'}')?;
            false
        }
        _ => {
            event.object(key, &mut c)?;
            true
        }
    };
    c.ws();
    if !c.at_end() {
        return None;
    }
    event.into_delta(exchange, received_at, bare)
}

/// The `data` object (the cursor past `"data":`).
fn data<'a>(event: &mut Event<'a, '_>, c: &mut Cursor<'a>) -> Option<()> {
    c.expect(b'{')?;
    // An empty object lacks the required fields.
    let first = c.string()?;
    c.expect(b':')?;
    event.object(first, c)
}
