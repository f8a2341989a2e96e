//! The operating system's clock and random numbers.

use chrono::{DateTime, Utc};
use rand::TryRng;
use rollcall_domain::ports::{Clock, RandomSource};

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
        if rand::rngs::SysRng.try_fill_bytes(buf).is_err() {
            // The OS generator failing is unrecoverable; fall back to the thread CSPRNG,
            // which is itself seeded from the OS and panics rather than return weak bytes.
            rand::Rng::fill_bytes(&mut rand::rng(), buf);
        }
    }
}
