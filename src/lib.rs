//! marketfeed

#[cfg(feature = "sim")]
pub mod sim;
pub mod wsapi;
