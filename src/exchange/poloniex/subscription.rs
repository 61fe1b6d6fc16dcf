//! Subscribe / unsubscribe messages and endpoint URLs.
