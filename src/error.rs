//! Error types of each layer, re-exported in one place. Each is `#[non_exhaustive]` where it
//! may grow; the engine's says whether retrying can help ([`EngineError::is_terminal`]).

pub use crate::book::BookError;
pub use crate::exchange::session::PlanError;
pub use crate::exchange::{ParseError, ParseErrorKind};
pub use crate::limit::LimitError;
pub use crate::net::NetError;
pub use crate::runtime::EngineError;
pub use crate::types::num::NumError;
pub use crate::types::{MarketError, SymbolError, UnknownExchange};
#[cfg(feature = "wsapi")]
pub use crate::wsapi::{CredentialsError, WsApiError};
