//! The README's core example compiles and behaves as its comment says.

use marketfeed::prelude::*;

#[test]
fn readme_core_example() -> Result<(), Box<dyn std::error::Error>> {
    let t = Timestamp::from_unix_millis(1_633_998_512_568);
    let frame = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":101,"u":102,"b":[["100.5","2"]],"a":[]}}"#;
    let mut tracker = BookTracker::new(
        Exchange::Binance,
        Symbol::parse("btcusdt")?,
        TrackerConfig::default(),
    );
    let mut outcomes = Vec::new();
    for msg in marketfeed::exchange::parse(Exchange::Binance, frame, t)? {
        if let Message::Market(MarketEvent::Delta(d)) = msg {
            tracker.on_delta(d, &mut outcomes);
        }
    }
    assert_eq!(outcomes, vec![Outcome::Buffered, Outcome::FetchSnapshot]);
    Ok(())
}
