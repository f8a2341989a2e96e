//! [`MokaCredentialCache`]: the production adapter of the domain's `CredentialCache` port.
//! Successful Basic verifications are remembered for a bounded time in a bounded
//! `moka::sync::Cache`, keyed by the domain's `credential_fingerprint` (HMAC-SHA256 under a
//! process-random key over the user id, the stored PHC string and the presented password). A
//! password change alters the PHC string, so stale entries never match again on any instance;
//! the domain never remembers failures.

use rand::Rng;
use rollcall_domain::adapters::credential_fingerprint;
use rollcall_domain::entities::UserId;
use rollcall_domain::ports::CredentialCache;
use rollcall_domain::secrets::PasswordHash;
use std::fmt;
use std::time::Duration;

/// A bounded, expiring set of credential fingerprints.
pub struct MokaCredentialCache {
    key: [u8; 32],
    entries: moka::sync::Cache<[u8; 32], ()>,
}

impl MokaCredentialCache {
    /// A cache whose entries live `ttl` after they are written, holding at most `max_entries`
    /// (least useful entries go first). Draws its fingerprint key from the OS random source.
    pub fn new(ttl: Duration, max_entries: u64) -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self {
            key,
            entries: moka::sync::Cache::builder()
                .max_capacity(max_entries)
                .time_to_live(ttl)
                .build(),
        }
    }

    fn fingerprint(&self, user: UserId, stored: &PasswordHash, presented: &str) -> [u8; 32] {
        credential_fingerprint(&self.key, user, stored, presented)
    }
}

impl fmt::Debug for MokaCredentialCache {
    /// Shows neither the key nor any fingerprint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MokaCredentialCache")
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

impl CredentialCache for MokaCredentialCache {
    fn contains(&self, user: UserId, stored: &PasswordHash, presented: &str) -> bool {
        self.entries
            .get(&self.fingerprint(user, stored, presented))
            .is_some()
    }

    fn remember(&self, user: UserId, stored: &PasswordHash, presented: &str) {
        self.entries
            .insert(self.fingerprint(user, stored, presented), ());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phc(s: &str) -> PasswordHash {
        PasswordHash::from_phc(s)
    }

    #[test]
    fn remembers_exactly_what_was_verified() {
        let cache = MokaCredentialCache::new(Duration::from_secs(60), 100);
        let stored = phc("$argon2id$v=19$a");
        assert!(!cache.contains(UserId(1), &stored, "pw"));
        cache.remember(UserId(1), &stored, "pw");
        assert!(cache.contains(UserId(1), &stored, "pw"));
        assert!(!cache.contains(UserId(1), &stored, "pw2"));
        assert!(!cache.contains(UserId(2), &stored, "pw"));
        assert!(
            !cache.contains(UserId(1), &phc("$argon2id$v=19$b"), "pw"),
            "a new hash (password change) invalidates the entry"
        );
    }

    #[test]
    fn entries_expire() {
        let cache = MokaCredentialCache::new(Duration::from_millis(50), 100);
        let stored = phc("$argon2id$v=19$a");
        cache.remember(UserId(1), &stored, "pw");
        std::thread::sleep(Duration::from_millis(120));
        assert!(!cache.contains(UserId(1), &stored, "pw"));
    }

    #[test]
    fn keys_differ_per_process_instance_and_debug_is_quiet() {
        let a = MokaCredentialCache::new(Duration::from_secs(60), 10);
        let b = MokaCredentialCache::new(Duration::from_secs(60), 10);
        let stored = phc("$argon2id$v=19$a");
        a.remember(UserId(1), &stored, "pw");
        assert!(!b.contains(UserId(1), &stored, "pw"));
        assert_ne!(a.key, b.key);
        let shown = format!("{a:?}");
        assert!(!shown.contains("key"), "{shown}");
    }
}
