//! Capture replay: the simulator plays a recorded capture's received frames, in order, to
//! every client.
#![cfg(feature = "sim")]

mod sim_support;

use marketfeed::replay::{parse_capture_line, CaptureLine};
use marketfeed::sim::start_replay;
use marketfeed::Exchange;
use sim_support::*;
use std::time::Duration;

#[actix_rt::test]
async fn every_received_frame_of_the_capture_in_order_then_close() {
    let capture = std::fs::read_to_string("tests/fixtures/binance/BINANCE.ws.1.0").unwrap();
    let expected: Vec<&str> = capture
        .lines()
        .filter_map(|l| match parse_capture_line(l) {
            Ok(CaptureLine::Received { frame, .. }) => Some(frame),
            _ => None,
        })
        .collect();
    assert!(expected.len() > 200);
    let sim = start_replay(Exchange::Binance, capture.clone(), Duration::from_millis(1))
        .await
        .unwrap();
    let url = format!(
        "{}/stream?streams=anything@depth",
        sim.ws_base(Exchange::Binance)
    );
    for _ in 0..2 {
        let mut ws = connect(&url).await;
        let mut got = Vec::new();
        loop {
            match next(&mut ws, WAIT).await {
                Got::Text(t) => got.push(t),
                Got::Closed => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, expected);
        for f in &got {
            if f.contains("depthUpdate") {
                parse_frame(Exchange::Binance, f).unwrap();
            }
        }
    }
    // Only the capture's venue is served.
    assert!(awc::Client::new()
        .ws(sim.ws_base(Exchange::Kraken))
        .connect()
        .await
        .is_err());
    sim.stop();
}
