//! Capture replay (to be written).
