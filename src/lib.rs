//! marketfeed
