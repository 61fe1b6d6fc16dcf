//! Wire structs mirroring the venue JSON.
