//! [`BlockingHasher`]: the production adapter of the domain's `PasswordHasher` port. Argon2id
//! never runs on an async worker thread: every hash and verification runs on tokio's blocking
//! pool, and a semaphore bounds how many run at once (about the core count), so that excess
//! requests wait their turn instead of piling onto the CPU.

use async_trait::async_trait;
use rollcall_domain::adapters::HashAlgorithm;
use rollcall_domain::ports::{HashError, PasswordHasher, Verification};
use rollcall_domain::secrets::PasswordHash;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Runs a [`HashAlgorithm`] on `tokio::task::spawn_blocking`, at most `max_concurrent` at a
/// time. Must be used inside a tokio runtime.
pub struct BlockingHasher<A: HashAlgorithm> {
    algorithm: Arc<A>,
    permits: Arc<Semaphore>,
    max_concurrent: usize,
}

impl<A: HashAlgorithm> BlockingHasher<A> {
    /// Wraps `algorithm`; `max_concurrent` (at least 1) hashes run at once, further callers
    /// wait. About the number of cores is right: each hash keeps one core busy.
    pub fn new(algorithm: A, max_concurrent: usize) -> Self {
        let max_concurrent = max_concurrent.max(1);
        Self {
            algorithm: Arc::new(algorithm),
            permits: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
        }
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit moves into the
    /// blocking task, so it stays taken until the hash is done even if the caller gives up.
    async fn run<T: Send + 'static>(
        &self,
        password: &str,
        work: impl FnOnce(&A, &str) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| HashError("the password hasher is shutting down".into()))?;
        let algorithm = Arc::clone(&self.algorithm);
        // Zeroed when dropped, never shown by `Debug`.
        let password = SecretString::from(password.to_owned());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&algorithm, password.expose_secret())
        })
        .await
        .map_err(|e| HashError(format!("the password hashing task failed: {e}")))?
    }
}

impl<A: HashAlgorithm> fmt::Debug for BlockingHasher<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingHasher")
            .field("max_concurrent", &self.max_concurrent)
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<A: HashAlgorithm> PasswordHasher for BlockingHasher<A> {
    async fn hash(&self, password: &str) -> Result<PasswordHash, HashError> {
        self.run(password, |a, p| a.hash(p)).await
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<Verification, HashError> {
        let hash = hash.clone();
        self.run(password, move |a, p| a.verify(p, &hash)).await
    }

    fn dummy_hash(&self) -> &PasswordHash {
        self.algorithm.dummy_hash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_domain::adapters::FastHasher;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn hashes_and_verifies_off_the_async_thread() {
        let hasher = BlockingHasher::new(FastHasher::new(), 2);
        let hash = hasher.hash("correct horse").await.unwrap();
        assert_eq!(
            hasher.verify("correct horse", &hash).await.unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            hasher.verify("wrong", &hash).await.unwrap(),
            Verification::Mismatch
        );
        assert_eq!(
            hasher.verify("x", hasher.dummy_hash()).await.unwrap(),
            Verification::Mismatch
        );
        assert!(!format!("{hasher:?}").contains("correct"));
    }

    /// Counts how many hashes run at once, each taking a while.
    struct SlowAlgorithm {
        running: AtomicUsize,
        peak: AtomicUsize,
        dummy: PasswordHash,
    }

    impl HashAlgorithm for SlowAlgorithm {
        fn hash(&self, _password: &str) -> Result<PasswordHash, HashError> {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            self.running.fetch_sub(1, Ordering::SeqCst);
            Ok(self.dummy.clone())
        }
        fn verify(&self, _p: &str, _h: &PasswordHash) -> Result<Verification, HashError> {
            Ok(Verification::Mismatch)
        }
        fn dummy_hash(&self) -> &PasswordHash {
            &self.dummy
        }
    }

    #[tokio::test]
    async fn concurrency_is_bounded_and_callers_wait() {
        let hasher = Arc::new(BlockingHasher::new(
            SlowAlgorithm {
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                dummy: PasswordHash::from_phc("$test$dummy"),
            },
            2,
        ));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let h = Arc::clone(&hasher);
                tokio::spawn(async move { h.hash("pw").await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().is_ok());
        }
        assert_eq!(hasher.algorithm.peak.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn zero_concurrency_means_one() {
        let hasher = BlockingHasher::new(FastHasher::new(), 0);
        assert_eq!(hasher.max_concurrent, 1);
    }
}
