//! OKX book sync through the tracker, frame by frame: the `seqId`/`prevSeqId` chain with its
//! keep-alive and reset cases, a gap that resyncs that book only from a REST snapshot, and
//! the 2026 procedure when the stream sends no snapshot (buffer, the REST snapshot after
//! `FETCH_AFTER` updates, bridge `prevSeqId <= snapshot seqId < seqId`). Frames are written in the shape of
//! OKX's documented examples (protocol reference §7); `checksum` is `0` (absent), as OKX has
//! sent since 2026-06-23.

use marketfeed::exchange::{okx, BookTracker, Message, Outcome, ResyncReason, SyncState};
use marketfeed::types::{Exchange, MarketEvent, Symbol, Timestamp};

const T: Timestamp = Timestamp::from_unix_millis(1_767_225_600_000);

fn frame(action: &str, inst: &str, prev: i64, seq: i64, bids: &str, asks: &str) -> String {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"{inst}"}},"action":"{action}","data":[{{"asks":[{asks}],"bids":[{bids}],"ts":"1767225600000","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
    )
}

fn feed(t: &mut BookTracker, text: &str) -> Vec<Outcome> {
    let mut out = Vec::new();
    for m in okx::parse(text, T).unwrap() {
        match m {
            Message::Market(MarketEvent::Snapshot(s)) => t.on_snapshot(s, &mut out),
            Message::Market(MarketEvent::Delta(d)) => t.on_delta(d, &mut out),
            other => panic!("{other:?}"),
        }
    }
    out
}

fn applied(id: u64) -> Outcome {
    Outcome::Applied {
        update_id: Some(id),
        snapshot: false,
    }
}

fn tracker(inst: &str) -> BookTracker {
    BookTracker::new(
        Exchange::Okx,
        Symbol::parse(inst).unwrap(),
        Default::default(),
    )
}

#[test]
fn chain_keepalive_reset_and_gap() {
    let mut t = tracker("BTC-USDT-SWAP");
    let snap = frame(
        "snapshot",
        "BTC-USDT-SWAP",
        -1,
        100,
        r#"["99","1","0","1"]"#,
        r#"["101","2","0","1"]"#,
    );
    assert_eq!(
        feed(&mut t, &snap),
        vec![Outcome::Applied {
            update_id: Some(100),
            snapshot: true
        }]
    );
    let upd = frame(
        "update",
        "BTC-USDT-SWAP",
        100,
        104,
        r#"["99.5","3","0","1"]"#,
        "",
    );
    assert_eq!(feed(&mut t, &upd), vec![applied(104)]);
    // Keep-alive: no change, prevSeqId == seqId.
    assert_eq!(
        feed(&mut t, &frame("update", "BTC-USDT-SWAP", 104, 104, "", "")),
        vec![applied(104)]
    );
    // Reset after maintenance: seqId below prevSeqId, still chained.
    assert_eq!(
        feed(
            &mut t,
            &frame(
                "update",
                "BTC-USDT-SWAP",
                104,
                7,
                "",
                r#"["101","0","0","0"]"#
            )
        ),
        vec![applied(7)]
    );
    assert_eq!(t.book().best_ask(), None);
    assert_eq!(t.book().best_bid().unwrap().price.to_string(), "99.5");
    // Lost update: 8 never came.
    let out = feed(&mut t, &frame("update", "BTC-USDT-SWAP", 8, 9, "", ""));
    assert_eq!(
        out,
        vec![
            Outcome::Resync(ResyncReason::Gap {
                expected: 7,
                received: 8
            }),
            Outcome::FetchSnapshot
        ],
        "resync from the REST order book, the stream going on"
    );
    // A snapshot (here one in the stream; the REST one is taken the same way) brings it
    // back.
    let again = frame(
        "snapshot",
        "BTC-USDT-SWAP",
        -1,
        20,
        r#"["98","1","0","1"]"#,
        "",
    );
    // The update kept after the gap (seqId 9) is covered by the snapshot: dropped.
    assert_eq!(
        feed(&mut t, &again),
        vec![
            Outcome::Stale,
            Outcome::Applied {
                update_id: Some(20),
                snapshot: true
            }
        ]
    );
    assert_eq!(*t.state(), SyncState::Live);
    assert_eq!(
        feed(&mut t, &frame("update", "BTC-USDT-SWAP", 20, 21, "", "")),
        vec![applied(21)]
    );
}

#[test]
fn no_stream_snapshot_uses_the_rest_snapshot() {
    let mut t = tracker("BTC-USDT");
    // 2026: the stream sends updates only.
    assert_eq!(
        feed(
            &mut t,
            &frame("update", "BTC-USDT", 500, 510, r#"["10","1","0","1"]"#, "")
        ),
        vec![Outcome::Buffered]
    );
    assert_eq!(
        feed(
            &mut t,
            &frame("update", "BTC-USDT", 510, 520, "", r#"["12","1","0","1"]"#)
        ),
        vec![Outcome::Buffered],
        "the second update sets how new the snapshot must be"
    );
    assert_eq!(
        feed(
            &mut t,
            &frame("update", "BTC-USDT", 520, 530, r#"["11","2","0","1"]"#, "")
        ),
        vec![Outcome::Buffered]
    );
    // Keep-alives (no levels) until the fetch is asked for.
    for k in 3..okx::FETCH_AFTER {
        let want = if k + 1 == okx::FETCH_AFTER {
            vec![Outcome::Buffered, Outcome::FetchSnapshot]
        } else {
            vec![Outcome::Buffered]
        };
        assert_eq!(
            feed(&mut t, &frame("update", "BTC-USDT", 530, 530, "", "")),
            want,
            "update {k}"
        );
    }
    let sym = Symbol::parse("BTC-USDT").unwrap();
    // A snapshot older than the second update's prevSeqId (510) is fetched again.
    let old = r#"{"code":"0","msg":"","data":[{"asks":[],"bids":[["9","1","0","1"]],"ts":"1767225600000","seqId":505}]}"#;
    let mut out = Vec::new();
    t.on_snapshot(okx::parse_book_snapshot(old, &sym, T).unwrap(), &mut out);
    assert_eq!(out, vec![Outcome::FetchSnapshot]);
    // seqId 525: drop 510 and 520, bridge 530 (520 <= 525 < 530).
    let body = r#"{"code":"0","msg":"","data":[{"asks":[["12","1","0","1"]],"bids":[["10","1","0","1"]],"ts":"1767225600000","seqId":525}]}"#;
    let mut out = Vec::new();
    t.on_snapshot(okx::parse_book_snapshot(body, &sym, T).unwrap(), &mut out);
    let mut want = vec![
        Outcome::Stale,
        Outcome::Stale,
        Outcome::Applied {
            update_id: Some(525),
            snapshot: true,
        },
        applied(530),
    ];
    // The keep-alives chain on 530.
    want.extend((3..okx::FETCH_AFTER).map(|_| applied(530)));
    assert_eq!(out, want);
    assert_eq!(*t.state(), SyncState::Live);
    assert_eq!(t.book().best_bid().unwrap().price.to_string(), "11");
    assert_eq!(
        feed(&mut t, &frame("update", "BTC-USDT", 530, 531, "", "")),
        vec![applied(531)]
    );
    // A late REST answer no newer than the book is dropped.
    let mut out = Vec::new();
    t.on_snapshot(okx::parse_book_snapshot(body, &sym, T).unwrap(), &mut out);
    assert_eq!(out, vec![Outcome::Stale]);
    assert_eq!(t.last_update_id(), Some(531));
}

#[test]
fn a_gap_resyncs_that_book_only() {
    let (mut a, mut b) = (tracker("BTC-USDT"), tracker("ETH-USDT"));
    for (t, inst) in [(&mut a, "BTC-USDT"), (&mut b, "ETH-USDT")] {
        feed(
            t,
            &frame(
                "snapshot",
                inst,
                -1,
                1,
                r#"["1","1","0","1"]"#,
                r#"["2","1","0","1"]"#,
            ),
        );
    }
    assert!(matches!(
        feed(&mut a, &frame("update", "BTC-USDT", 2, 3, "", ""))[0],
        Outcome::Resync(_)
    ));
    assert_eq!(
        feed(&mut b, &frame("update", "ETH-USDT", 1, 2, "", "")),
        vec![applied(2)]
    );
    assert_eq!(*b.state(), SyncState::Live);
    assert!(matches!(
        a.state(),
        SyncState::Resyncing(ResyncReason::Gap { .. })
    ));
}
