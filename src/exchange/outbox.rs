//! What a connection has yet to send, and in which order: a bounded queue of requests
//! (subscribe, unsubscribe, resync, application pings), one slot for the pong owed to the
//! latest server ping, and the closing frame. Pure: the connection's writer pops from it
//! when the venue's send gate (`limit::SendGate`) has room.
//!
//! A peer that floods pings cannot grow it (a new ping replaces the pong owed for the last
//! one: RFC 6455 §5.5.3 allows answering only the most recent ping) nor hold requests back
//! (when both wait, pongs and requests take turns).

use std::collections::VecDeque;
use std::fmt;

/// Requests an [`Outbox`] holds beyond the ones of the connect plan before it refuses more.
pub const OUTBOX_SPARE: usize = 4096;

/// One message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// A request (text frame).
    Text(String),
    /// The answer to the latest ping, with its payload.
    Pong(Vec<u8>),
    /// The closing frame (the last message).
    Close,
}

/// The outbox refused a request: `limit` are already waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxFull {
    /// The limit.
    pub limit: usize,
}

impl fmt::Display for OutboxFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "outgoing queue full ({} requests waiting)", self.limit)
    }
}

impl std::error::Error for OutboxFull {}

/// The outgoing queue of one connection.
#[derive(Debug)]
pub struct Outbox {
    texts: VecDeque<String>,
    pong: Option<Vec<u8>>,
    close: bool,
    closed: bool,
    last_was_pong: bool,
    limit: usize,
    pongs_replaced: u64,
}

impl Outbox {
    /// An outbox holding at most `limit` requests (at least 1).
    pub fn new(limit: usize) -> Self {
        Outbox {
            texts: VecDeque::new(),
            pong: None,
            close: false,
            closed: false,
            last_was_pong: false,
            limit: limit.max(1),
            pongs_replaced: 0,
        }
    }

    /// Queues a request; refused when `limit` are waiting or the closing frame is queued.
    pub fn push_text(&mut self, text: String) -> Result<(), OutboxFull> {
        if self.texts.len() >= self.limit || self.close {
            return Err(OutboxFull { limit: self.limit });
        }
        self.texts.push_back(text);
        Ok(())
    }

    /// A ping arrived: owe a pong for it, replacing the one owed for an earlier ping.
    pub fn answer_ping(&mut self, payload: Vec<u8>) {
        if self.close {
            return;
        }
        if self.pong.replace(payload).is_some() {
            self.pongs_replaced += 1;
        }
    }

    /// Queues the closing frame after the waiting requests; nothing is queued after it.
    pub fn close(&mut self) {
        self.close = true;
        self.pong = None;
    }

    /// The connection is abandoned: drop what waits and send only the closing frame (unless
    /// a close was already asked for, whose requests still go first).
    pub fn abandon(&mut self) {
        if !self.close {
            self.texts.clear();
            self.close();
        }
    }

    /// True when nothing waits (or everything, the close included, went out).
    pub fn is_empty(&self) -> bool {
        self.closed || (self.texts.is_empty() && self.pong.is_none() && !self.close)
    }

    /// True when the closing frame went out.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Requests and pongs waiting (the closing frame not counted).
    pub fn len(&self) -> usize {
        self.texts.len() + usize::from(self.pong.is_some())
    }

    /// Pongs never sent because a later ping replaced them.
    pub fn pongs_replaced(&self) -> u64 {
        self.pongs_replaced
    }

    /// True when the next message is the closing frame (which no send gate holds back).
    pub fn next_is_close(&self) -> bool {
        !self.closed && self.close && self.texts.is_empty()
    }

    /// The next message: requests before the close; when a request and a pong both wait,
    /// they take turns.
    pub fn pop(&mut self) -> Option<Outgoing> {
        if self.closed {
            return None;
        }
        let pong_turn = self.pong.is_some() && (self.texts.is_empty() || !self.last_was_pong);
        if pong_turn {
            self.last_was_pong = true;
            return self.pong.take().map(Outgoing::Pong);
        }
        if let Some(t) = self.texts.pop_front() {
            self.last_was_pong = false;
            return Some(Outgoing::Text(t));
        }
        if self.close {
            self.closed = true;
            return Some(Outgoing::Close);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Outgoing {
        Outgoing::Text(s.into())
    }

    #[test]
    fn a_ping_flood_owes_one_pong() {
        let mut o = Outbox::new(8);
        for i in 0..1_000_000u32 {
            o.answer_ping(i.to_be_bytes().to_vec());
        }
        assert_eq!(o.len(), 1);
        assert_eq!(o.pongs_replaced(), 999_999);
        assert_eq!(
            o.pop(),
            Some(Outgoing::Pong(999_999u32.to_be_bytes().to_vec()))
        );
        assert!(o.is_empty());
    }

    #[test]
    fn pongs_and_requests_take_turns() {
        let mut o = Outbox::new(8);
        o.push_text("sub1".into()).unwrap();
        o.push_text("sub2".into()).unwrap();
        o.answer_ping(vec![1]);
        assert_eq!(o.pop(), Some(Outgoing::Pong(vec![1])));
        // The flood goes on: a pong is owed again at once, but the request goes first.
        o.answer_ping(vec![2]);
        assert_eq!(o.pop(), Some(text("sub1")));
        o.answer_ping(vec![3]);
        assert_eq!(o.pop(), Some(Outgoing::Pong(vec![3])));
        o.answer_ping(vec![4]);
        assert_eq!(o.pop(), Some(text("sub2")));
        assert_eq!(o.pop(), Some(Outgoing::Pong(vec![4])));
        assert_eq!(o.pop(), None);
    }

    #[test]
    fn requests_are_bounded() {
        let mut o = Outbox::new(3);
        for i in 0..3 {
            o.push_text(format!("r{i}")).unwrap();
        }
        assert_eq!(
            o.push_text("r3".into()),
            Err(OutboxFull { limit: 3 }),
            "the fourth is refused"
        );
        assert_eq!(o.len(), 3);
        assert_eq!(o.pop(), Some(text("r0")));
        assert!(o.push_text("r3".into()).is_ok(), "room again");
    }

    #[test]
    fn close_goes_after_the_requests_and_ends_the_outbox() {
        let mut o = Outbox::new(8);
        o.push_text("unsub".into()).unwrap();
        o.answer_ping(vec![9]);
        o.close();
        assert!(!o.next_is_close(), "the request goes first");
        o.answer_ping(vec![10]);
        assert!(o.push_text("late".into()).is_err());
        assert_eq!(o.pop(), Some(text("unsub")));
        assert!(o.next_is_close());
        assert_eq!(o.pop(), Some(Outgoing::Close));
        assert!(o.is_closed() && o.is_empty());
        assert_eq!(o.pop(), None);
    }

    #[test]
    fn abandoning_drops_the_backlog_but_keeps_a_requested_close() {
        let mut o = Outbox::new(8);
        o.push_text("sub".into()).unwrap();
        o.abandon();
        assert_eq!(o.pop(), Some(Outgoing::Close));
        let mut o = Outbox::new(8);
        o.push_text("unsub".into()).unwrap();
        o.close();
        o.abandon();
        assert_eq!(o.pop(), Some(text("unsub")));
        assert_eq!(o.pop(), Some(Outgoing::Close));
    }
}
