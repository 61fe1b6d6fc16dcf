//! Rate limits, shared by the market-data runtime (the REST weight budget, the per-connection
//! send gate) and the WS API session. Pure: every method takes the time; the error is this
//! module's own [`LimitError`], which each caller maps into its layer's error.
//!
//! * [`RateLimiter`]: calendar-aligned windows (`REQUEST_WEIGHT` per minute, `ORDERS` per
//!   10 s and per day), the server's counts taken in, 429/418 periods honoured.
//! * `SendGate` (internal): at most `limit` messages in any sliding window (a venue's
//!   per-connection message limit, paced by the connections).

mod gate;
mod window;

pub(crate) use gate::SendGate;
pub use window::{
    window_start, Cost, IntervalUnit, LimitError, LimitUsage, RateLimit, RateLimitKind, RateLimiter,
};
