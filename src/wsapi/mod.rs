//! Binance WebSocket API session: signed requests, rate-limit control and keepalive.
//!
//! The request/response trading API (`wss://ws-api.binance.com:443/ws-api/v3`, protocol
//! reference section 2) is served by a session actor behind the cloneable [`WsApiClient`]:
//!
//! * requests get unique ids, responses are matched by id (in any order), each request has a
//!   timeout, and requests in flight when the connection drops fail with
//!   [`WsApiError::Disconnected`];
//! * the session answers server pings, reconnects with capped exponential backoff and logs on
//!   again (`session.logon`, Ed25519 keys) after a reconnect;
//! * SIGNED methods are signed with HMAC-SHA256, Ed25519 or RSA ([`sign`]);
//! * every response's `rateLimits` feeds a [`RateLimiter`]; a request that would exceed a
//!   limit is refused locally with [`WsApiError::RateLimited`] before it is sent, and 429/418
//!   `retryAfter` periods are honoured. [`SessionState`] tells whether the session is ready,
//!   out of service (and until when) and whether orders are allowed.
//!
//! * the [`methods`] table gives every one of the 55 methods its security type, weight rule
//!   and `ORDERS` count; a method it does not know is refused ([`WsApiError::UnknownMethod`])
//!   unless the caller states its cost with [`WsApiClient::request_with`];
//! * every method has a typed call in [`calls`] (sent with [`WsApiClient::call`]) and a typed
//!   result in [`results`]; user data stream events are typed in [`events`] and arrive on
//!   [`WsApiClient::user_data_events`], for several accounts on one connection, renewed
//!   after a reconnect.
//!
//! The pure parts ([`sign`], [`limits`], [`protocol`], [`methods`], [`events`]) never read a clock or
//! touch a socket; the session reads its [`Clock`] and passes time in.
//!
//! ```no_run
//! # async fn demo() -> Result<(), marketfeed::wsapi::WsApiError> {
//! use marketfeed::wsapi::{Credentials, WsApiClient, WsApiConfig};
//! let creds = Credentials::from_env()?; // fails here, at start, if a key is malformed
//! let client = WsApiClient::connect(WsApiConfig::testnet().credentials(creds)).await?;
//! let time = client.time().await?;
//! let account = client.account_status().await?;
//! println!("{} {:?}", time.server_time, client.state().usage);
//! # Ok(()) }
//! ```

pub mod calls;
mod clock;
mod credentials;
mod error;
pub mod events;
pub mod limits;
pub mod methods;
pub mod protocol;
pub mod results;
mod session;
pub mod sign;
mod typed;

pub use calls::{Method, NewOrder, OrderRef, OrderType, ResponseType, Side, TimeInForce};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use credentials::{redact, write_template, Credentials, TEMPLATE};
pub use error::{codes, CredentialsError, WsApiError};
pub use events::{UserDataEvent, UserEvent};
pub use limits::{Cost, LimitError, LimitUsage, RateLimit, RateLimitKind, RateLimiter};
pub use methods::{method_info, method_spec, Group, MethodSpec, Security, SecurityType, METHODS};
pub use results::{
    AccountStatus, Balance, Depth, ExchangeInfo, Level, Order, OrderList, ServerTime, SessionInfo,
    Subscription, SymbolInfo, TickerPrice,
};
pub use session::{
    Call, ConnectionStatus, SessionActor, SessionState, Stop, WsApiClient, WsApiConfig,
    PRODUCTION_URL, TESTNET_URL,
};
pub use sign::{KeyType, Params, SigningKey};
