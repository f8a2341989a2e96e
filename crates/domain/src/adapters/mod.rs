//! Adapters of the ports that need no database: in-memory stores (feature `testing`), password
//! hashers, clocks and random sources.

#[cfg(feature = "testing")]
pub mod memory;
