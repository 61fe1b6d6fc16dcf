//! Runtime plumbing that is not an actor: events and subscriptions, the consumer queue,
//! the subscription registry, the REST weight budget, and the engine's error type.

pub(crate) mod connect_gate;
pub mod events;
pub(crate) mod hub;
pub mod queue;
pub(crate) mod rest_budget;

use crate::exchange::session::PlanError;
use crate::exchange::DepthError;
use crate::types::{Exchange, Symbol, SymbolError};
use std::fmt;

/// Errors of the engine's public API.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineError {
    /// A symbol that cannot be normalized.
    Symbol(SymbolError),
    /// A configuration value the engine or the venue refuses.
    InvalidConfig(String),
    /// A venue subscription the venue would refuse.
    Plan(PlanError),
    /// A book depth the venue cannot serve (`EngineBuilder::book_depth`).
    BookDepth(DepthError),
    /// No book for this market (subscribe to it first).
    UnknownMarket(Exchange, Symbol),
    /// The engine has shut down.
    Stopped,
    /// The engine could not start.
    Start(String),
}

impl EngineError {
    /// True when retrying the same call cannot succeed.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, EngineError::UnknownMarket(..))
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Symbol(e) => write!(f, "{e}"),
            EngineError::InvalidConfig(e) => write!(f, "invalid configuration: {e}"),
            EngineError::Plan(e) => write!(f, "{e}"),
            EngineError::BookDepth(e) => write!(f, "invalid configuration: {e}"),
            EngineError::UnknownMarket(e, s) => write!(f, "no book for {e}:{s}; subscribe first"),
            EngineError::Stopped => f.write_str("the engine has shut down"),
            EngineError::Start(e) => write!(f, "the engine could not start: {e}"),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<SymbolError> for EngineError {
    fn from(e: SymbolError) -> Self {
        EngineError::Symbol(e)
    }
}
