//! Test doubles (feature `testing`): a fast hasher, a settable clock, a seeded random source,
//! an in-memory credential cache and a fixed OS account database.

use super::credential_fingerprint;
use super::hashing::HashAlgorithm;
use crate::entities::{OsGroup, OsUser, UserId};
use crate::ports::{
    Clock, CredentialCache, HashError, OsAccountError, OsAccountSource, RandomSource, Verification,
};
use crate::secrets::{PasswordHash, TokenDigest};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fast, salted SHA-256 "hasher" for tests: `$test$c=<cost>$<salt>$<digest>`. Hashes with a
/// cost below the configured one report `needs_rehash`, like a weaker Argon2 hash. Never use it
/// for real passwords.
#[derive(Debug)]
pub struct FastHasher {
    cost: u32,
    salt: AtomicU64,
    dummy: PasswordHash,
    verifications: AtomicU64,
}

impl FastHasher {
    /// A hasher at cost 1.
    pub fn new() -> Self {
        Self::with_cost(1)
    }

    /// A hasher whose hashes carry `cost`.
    pub fn with_cost(cost: u32) -> Self {
        let mut h = Self {
            cost,
            salt: AtomicU64::new(1),
            dummy: PasswordHash::from_phc(String::new()),
            verifications: AtomicU64::new(0),
        };
        h.dummy = h.make(u64::MAX, "dummy password nobody knows");
        h
    }

    /// How many verifications ran (to observe the dummy hash and the credential cache).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::SeqCst)
    }

    fn make(&self, salt: u64, password: &str) -> PasswordHash {
        let digest = TokenDigest::of(&format!("{salt}:{password}")).to_hex();
        PasswordHash::from_phc(format!("$test$c={}${salt}${digest}", self.cost))
    }
}

impl Default for FastHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl HashAlgorithm for FastHasher {
    fn hash(&self, password: &str) -> Result<PasswordHash, HashError> {
        Ok(self.make(self.salt.fetch_add(1, Ordering::SeqCst), password))
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> Result<Verification, HashError> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let parts: Vec<&str> = hash.as_phc().split('$').collect();
        let [_, "test", cost, salt, digest] = parts.as_slice() else {
            return Err(HashError::Failed("not a test hash".into()));
        };
        let cost: u32 = cost
            .strip_prefix("c=")
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| HashError::Failed("bad cost".into()))?;
        let expected = TokenDigest::of(&format!("{salt}:{password}")).to_hex();
        if expected == *digest {
            Ok(Verification::Match {
                needs_rehash: cost < self.cost,
            })
        } else {
            Ok(Verification::Mismatch)
        }
    }

    fn dummy_hash(&self) -> &PasswordHash {
        &self.dummy
    }
}

/// A clock that only moves when told.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// Starts at `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_default()
    }
}

/// Deterministic, non-cryptographic bytes (splitmix64) for reproducible tests.
#[derive(Debug)]
pub struct SeededRandom(AtomicU64);

impl SeededRandom {
    /// Starts from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(AtomicU64::new(seed))
    }
}

impl RandomSource for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut z = self
                .0
                .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::SeqCst)
                .wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// An unbounded in-memory credential cache using [`credential_fingerprint`].
#[derive(Debug, Default)]
pub struct MemoryCredentialCache {
    key: [u8; 32],
    entries: Mutex<HashSet<[u8; 32]>>,
}

impl MemoryCredentialCache {
    /// A cache with a fixed key.
    pub fn new() -> Self {
        Self {
            key: [7; 32],
            entries: Mutex::default(),
        }
    }
}

impl CredentialCache for MemoryCredentialCache {
    fn contains(&self, user: UserId, stored: &PasswordHash, presented: &str) -> bool {
        let fp = credential_fingerprint(&self.key, user, stored, presented);
        self.entries.lock().is_ok_and(|e| e.contains(&fp))
    }

    fn remember(&self, user: UserId, stored: &PasswordHash, presented: &str) {
        let fp = credential_fingerprint(&self.key, user, stored, presented);
        if let Ok(mut e) = self.entries.lock() {
            e.insert(fp);
        }
    }
}

/// A fixed OS account database.
#[derive(Debug, Clone, Default)]
pub struct StaticOsAccounts {
    /// Users.
    pub users: Vec<OsUser>,
    /// Groups.
    pub groups: Vec<OsGroup>,
}

#[async_trait]
impl OsAccountSource for StaticOsAccounts {
    async fn os_users(&self) -> Result<Vec<OsUser>, OsAccountError> {
        Ok(self.users.clone())
    }
    async fn os_groups(&self) -> Result<Vec<OsGroup>, OsAccountError> {
        Ok(self.groups.clone())
    }
}
