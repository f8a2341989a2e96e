//! Adapters of the ports that need neither a database nor the operating system: in-memory
//! stores, fixed clocks, seeded random sources and a fast hasher for tests (feature `testing`),
//! the inline hasher, and the credential-cache fingerprint. The production adapters that need
//! the operating system or a runtime (Argon2id, system clock, OS random source) live in the
//! `rollcall-system` crate.

mod credential;
mod hashing;
#[cfg(feature = "testing")]
pub mod memory;
#[cfg(feature = "testing")]
mod memory_login_failures;
#[cfg(feature = "testing")]
mod testing;

pub use credential::{NoCredentialCache, credential_fingerprint};
pub use hashing::{HashAlgorithm, InlineHasher};
#[cfg(feature = "testing")]
pub use testing::{FastHasher, FixedClock, MemoryCredentialCache, SeededRandom, StaticOsAccounts};
