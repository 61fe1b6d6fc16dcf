//! Shared setup for the `wsapi_*` integration tests: a simulator and a session sharing one
//! manual clock.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use marketfeed::sim::{
    WsApiSim, WsApiSimConfig, TEST_ED25519_API_KEY, TEST_ED25519_PEM, TEST_HMAC_API_KEY,
    TEST_HMAC_SECRET,
};
use marketfeed::wsapi::{Credentials, ManualClock, WsApiConfig};

/// A minute boundary plus one second (so the current minute window has 59 s left).
pub const T0: u64 = 1_767_225_600_000 + 1_000;

pub fn clock() -> ManualClock {
    ManualClock::new(T0)
}

pub fn sim_with(clock: &ManualClock, f: impl FnOnce(&mut WsApiSimConfig)) -> WsApiSim {
    let mut cfg = WsApiSimConfig::new(Arc::new(clock.clone()));
    f(&mut cfg);
    WsApiSim::start(cfg).expect("simulator binds 127.0.0.1:0")
}

pub fn sim(clock: &ManualClock) -> WsApiSim {
    sim_with(clock, |_| {})
}

pub fn config(sim: &WsApiSim, clock: &ManualClock) -> WsApiConfig {
    let mut cfg = WsApiConfig::new(sim.url()).clock(Arc::new(clock.clone()));
    cfg.request_timeout = Duration::from_secs(3);
    cfg.reconnect_base = Duration::from_millis(20);
    cfg.reconnect_cap = Duration::from_millis(200);
    cfg
}

pub fn hmac_creds() -> Credentials {
    Credentials::hmac(TEST_HMAC_API_KEY, TEST_HMAC_SECRET).unwrap()
}

pub fn ed25519_creds() -> Credentials {
    Credentials::ed25519_pem(TEST_ED25519_API_KEY, TEST_ED25519_PEM).unwrap()
}
