//! Adapters of the ports that need no database: in-memory stores, clocks and random sources
//! for tests (feature `testing`), the Argon2id hasher and system clock and randomness (feature
//! `system`), a fast hasher for tests, and the credential-cache fingerprint.

mod credential;
mod hashing;
#[cfg(feature = "testing")]
pub mod memory;
#[cfg(feature = "testing")]
mod testing;

pub use credential::{NoCredentialCache, credential_fingerprint};
#[cfg(feature = "system")]
pub use hashing::{Argon2Params, Argon2idHasher};
pub use hashing::{HashAlgorithm, InlineHasher};
#[cfg(feature = "system")]
pub use system::{OsRandom, SystemClock};
#[cfg(feature = "testing")]
pub use testing::{FastHasher, FixedClock, MemoryCredentialCache, SeededRandom, StaticOsAccounts};

#[cfg(feature = "system")]
mod system {
    //! The operating system's clock and random numbers.
    use crate::ports::{Clock, RandomSource};
    use chrono::{DateTime, Utc};
    use rand::TryRngCore;

    /// The system clock.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct SystemClock;

    impl Clock for SystemClock {
        fn now(&self) -> DateTime<Utc> {
            Utc::now()
        }
    }

    /// The operating system's CSPRNG.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct OsRandom;

    impl RandomSource for OsRandom {
        fn fill(&self, buf: &mut [u8]) {
            if rand::rngs::OsRng.try_fill_bytes(buf).is_err() {
                // The OS generator failing is unrecoverable; fall back to the thread CSPRNG,
                // which is itself seeded from the OS and panics rather than return weak bytes.
                rand::RngCore::fill_bytes(&mut rand::rng(), buf);
            }
        }
    }
}
