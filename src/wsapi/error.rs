//! Typed errors of the WS API session layer.

use std::fmt;

use super::limits::RateLimitKind;

/// Binance error codes the session and its users commonly act on (protocol reference
/// section 2.8). Compare with [`WsApiError::code`].
pub mod codes {
    /// `TOO_MANY_REQUESTS`: request weight exceeded (429) or IP banned (418).
    pub const TOO_MANY_REQUESTS: i64 = -1003;
    /// `TIMEOUT`: backend timeout; execution status unknown.
    pub const TIMEOUT: i64 = -1007;
    /// `SERVER_BUSY`: overloaded, retry later.
    pub const SERVER_BUSY: i64 = -1008;
    /// `TOO_MANY_ORDERS`: `ORDERS` limit exceeded.
    pub const TOO_MANY_ORDERS: i64 = -1015;
    /// `INVALID_TIMESTAMP`: outside `recvWindow` or more than 1 s ahead of the server.
    pub const INVALID_TIMESTAMP: i64 = -1021;
    /// `INVALID_SIGNATURE`.
    pub const INVALID_SIGNATURE: i64 = -1022;
    /// `BAD_SYMBOL`.
    pub const BAD_SYMBOL: i64 = -1121;
    /// `NEW_ORDER_REJECTED`.
    pub const NEW_ORDER_REJECTED: i64 = -2010;
    /// `CANCEL_REJECTED`.
    pub const CANCEL_REJECTED: i64 = -2011;
    /// `NO_SUCH_ORDER`.
    pub const NO_SUCH_ORDER: i64 = -2013;
    /// `REJECTED_MBX_KEY`: invalid API key, IP, or permissions.
    pub const REJECTED_MBX_KEY: i64 = -2015;
}

/// Why a credential could not be loaded or used.
///
/// Raised when the session is built (never first on an order), so a missing or malformed key is
/// reported at start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsError {
    /// A required setting (environment variable or TOML field) is absent.
    Missing(&'static str),
    /// A setting is present but its value is not usable (never contains the secret itself).
    Malformed {
        /// Which setting.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading the key or config file failed.
    Io {
        /// The path that could not be read or written.
        path: String,
        /// The I/O error text.
        reason: String,
    },
    /// The operation needs another key type (e.g. `session.logon` needs Ed25519).
    WrongKeyType {
        /// What the operation needs.
        needed: &'static str,
    },
    /// A SIGNED method was called on a session without credentials.
    NotConfigured,
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(what) => write!(f, "missing credential setting `{what}`"),
            Self::Malformed { field, reason } => write!(f, "malformed `{field}`: {reason}"),
            Self::Io { path, reason } => write!(f, "cannot access `{path}`: {reason}"),
            Self::WrongKeyType { needed } => write!(f, "this operation needs an {needed} key"),
            Self::NotConfigured => f.write_str("signed request on a session without credentials"),
        }
    }
}

impl std::error::Error for CredentialsError {}

/// Error of a WS API request or of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WsApiError {
    /// The exchange answered with an error (`status` != 200), e.g. `-1021` (timestamp outside
    /// `recvWindow`), `-1022` (bad signature), `-2010` (order rejected).
    Api {
        /// HTTP-like status of the response (400, 401, 403, 409, 5xx).
        status: u16,
        /// Binance error code (negative).
        code: i64,
        /// Binance error message.
        msg: String,
    },
    /// Refused because a rate limit is (or would be) exhausted, either locally before sending
    /// (the request never left) or by the server (status 429). Retry at `retry_after`.
    RateLimited {
        /// Epoch milliseconds (session clock) at which the limit resets.
        retry_after: u64,
        /// Which limit.
        limit: RateLimitKind,
    },
    /// The IP is banned (status 418) until `until`; nothing is sent before then.
    Banned {
        /// Epoch milliseconds at which the ban ends.
        until: u64,
    },
    /// No response within the per-request timeout. A TRADE request's execution status is
    /// unknown: query the order to confirm.
    Timeout,
    /// The connection dropped while the request was in flight (or could not be sent). The
    /// execution status of a TRADE request is unknown.
    Disconnected,
    /// The session was stopped; no further requests are accepted.
    Stopped,
    /// Missing, malformed or unsuitable credentials.
    Credentials(CredentialsError),
    /// The method is not in the method table ([`method_info`](super::methods::method_info)):
    /// it is not sent, since its security and weight are unknown. Use
    /// [`request_with`](super::WsApiClient::request_with) to state them.
    UnknownMethod(String),
    /// A result could not be decoded into its typed form (the raw text is kept short).
    Decode {
        /// The method.
        method: String,
        /// What did not match.
        reason: String,
    },
    /// Could not connect, or the peer violated the protocol (unparsable frame, ...).
    Protocol(String),
    /// A setting that cannot work (a bad URL, a root certificate that cannot be read, a
    /// server certificate not trusted for the host name). Terminal.
    Config(String),
}

impl WsApiError {
    /// `true` when retrying the same call cannot succeed without a change by the caller (fix
    /// the key, the parameters, or start a new session). Rate limits, bans, timeouts and
    /// disconnects are not terminal: wait or retry.
    pub fn is_terminal(&self) -> bool {
        match self {
            Self::Credentials(_) | Self::Stopped | Self::Config(_) | Self::UnknownMethod(_) => true,
            Self::Api { status, code, .. } => {
                // 5xx and the "busy/timeout/too many" family are transient.
                use codes::*;
                let transient = [TOO_MANY_REQUESTS, TIMEOUT, SERVER_BUSY, TOO_MANY_ORDERS];
                // -1021: fix the clock / recvWindow and retry; -1034: too many connections.
                !(*status >= 500 || transient.contains(code) || matches!(code, -1021 | -1034))
            }
            Self::RateLimited { .. }
            | Self::Banned { .. }
            | Self::Timeout
            | Self::Disconnected
            | Self::Decode { .. }
            | Self::Protocol(_) => false,
        }
    }

    /// `true` when the request may or may not have been executed (timeout, disconnect, `5xx`,
    /// `-1007`): query before retrying an order.
    pub fn execution_unknown(&self) -> bool {
        match self {
            Self::Timeout | Self::Disconnected => true,
            Self::Api { status, code, .. } => *status >= 500 || *code == codes::TIMEOUT,
            _ => false,
        }
    }

    /// The Binance error code, for `Api` errors.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for WsApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api { status, code, msg } => {
                write!(f, "exchange error {code} (status {status}): {msg}")
            }
            Self::RateLimited { retry_after, limit } => {
                write!(
                    f,
                    "rate limit {limit:?} exhausted; retry after {retry_after} (epoch ms)"
                )
            }
            Self::Banned { until } => write!(f, "IP banned until {until} (epoch ms)"),
            Self::Timeout => f.write_str("request timed out; execution status unknown"),
            Self::Disconnected => {
                f.write_str("connection lost with the request in flight; execution status unknown")
            }
            Self::Stopped => f.write_str("session stopped"),
            Self::Credentials(e) => write!(f, "credentials: {e}"),
            Self::UnknownMethod(m) => write!(
                f,
                "method `{m}` is not in the method table; use request_with to state its security and cost"
            ),
            Self::Decode { method, reason } => {
                write!(f, "unexpected result of `{method}`: {reason}")
            }
            Self::Protocol(e) => write!(f, "protocol error: {e}"),
            Self::Config(e) => write!(f, "configuration: {e}"),
        }
    }
}

impl std::error::Error for WsApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Credentials(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CredentialsError> for WsApiError {
    fn from(e: CredentialsError) -> Self {
        Self::Credentials(e)
    }
}
