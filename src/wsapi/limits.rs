//! The session's rate limits: the shared calendar-window [`RateLimiter`] ([`crate::limit`]) and its
//! [`LimitError`], mapped into [`WsApiError::RateLimited`] / [`WsApiError::Banned`].

pub use crate::limit::{
    window_start, Cost, IntervalUnit, LimitError, LimitUsage, RateLimit, RateLimitKind, RateLimiter,
};

use super::error::WsApiError;

impl From<LimitError> for WsApiError {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::RateLimited { limit, until } => WsApiError::RateLimited {
                retry_after: until,
                limit,
            },
            LimitError::Banned { until } => WsApiError::Banned { until },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_errors_map_to_the_session_errors() {
        let mut l = RateLimiter::empty();
        l.set_limit(RateLimitKind::RequestWeight, 60_000, 1);
        l.try_acquire(
            Cost {
                weight: 1,
                orders: 0,
            },
            120_000,
        )
        .unwrap();
        let e: WsApiError = l
            .check(
                Cost {
                    weight: 1,
                    orders: 0,
                },
                120_001,
            )
            .unwrap_err()
            .into();
        assert_eq!(
            e,
            WsApiError::RateLimited {
                retry_after: 180_000,
                limit: RateLimitKind::RequestWeight
            }
        );
        l.on_banned(200_000);
        assert_eq!(
            WsApiError::from(l.blocked(120_002).unwrap()),
            WsApiError::Banned { until: 200_000 }
        );
    }
}
