//! Embedded loopback exchange simulator (feature `sim`), for tests, examples and users.

mod wsapi;
pub use wsapi::*;
