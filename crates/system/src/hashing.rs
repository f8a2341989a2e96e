//! [`BlockingHasher`]: the production adapter of the domain's `PasswordHasher` port. Argon2id
//! never runs on an async worker thread: every hash and verification runs on a small pool of
//! dedicated OS threads (about the core count), and excess requests wait in its queue instead
//! of piling onto the CPU.
//!
//! Why dedicated threads rather than tokio's blocking pool: each Argon2id call allocates its
//! whole memory cost (19 MiB by default). On the blocking pool successive calls land on many
//! different threads, and the C allocator keeps a freed block cached in each thread's arena,
//! so resident memory grew to ~780 MiB under a login storm (measured, see
//! docs/benchmarks.md). A fixed set of threads reuses the same few blocks: memory stays near
//! `threads × memory cost`.

use async_trait::async_trait;
use rollcall_domain::adapters::HashAlgorithm;
use rollcall_domain::ports::{HashError, PasswordHasher, Verification};
use rollcall_domain::secrets::PasswordHash;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// One unit of work for the pool: runs the algorithm and sends the outcome back.
type Job<A> = Box<dyn FnOnce(&A) + Send + 'static>;

/// Runs a [`HashAlgorithm`] on `threads` dedicated OS threads; callers wait their turn in a
/// queue. Needs no runtime to build; its futures work on any executor.
pub struct BlockingHasher<A: HashAlgorithm> {
    algorithm: Arc<A>,
    queue: Mutex<mpsc::Sender<Job<A>>>,
    max_concurrent: usize,
}

impl<A: HashAlgorithm> BlockingHasher<A> {
    /// Wraps `algorithm`; `max_concurrent` (at least 1) threads hash at once, further callers
    /// wait. About the number of cores is right: each hash keeps one core busy. The threads
    /// end when the hasher is dropped.
    pub fn new(algorithm: A, max_concurrent: usize) -> Self {
        let max_concurrent = max_concurrent.max(1);
        let algorithm = Arc::new(algorithm);
        let (sender, receiver) = mpsc::channel::<Job<A>>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..max_concurrent {
            let receiver = Arc::clone(&receiver);
            let algorithm = Arc::clone(&algorithm);
            let spawned = std::thread::Builder::new()
                .name(format!("rollcall-hash-{n}"))
                .spawn(move || {
                    loop {
                        // Hold the lock only while taking a job, never while hashing.
                        let job = match receiver.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&algorithm),
                            Err(_) => return, // the hasher was dropped
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        Self {
            algorithm,
            queue: Mutex::new(sender),
            max_concurrent,
        }
    }

    /// Queues `work` and waits for its outcome. A caller that gives up leaves the queue
    /// entry behind; it is skipped without hashing.
    async fn run<T: Send + 'static>(
        &self,
        password: &str,
        work: impl FnOnce(&A, &str) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let (reply, outcome) = oneshot::channel();
        // Zeroed when dropped, never shown by `Debug`.
        let password = SecretString::from(password.to_owned());
        let job: Job<A> = Box::new(move |algorithm: &A| {
            if reply.is_closed() {
                return;
            }
            let _ = reply.send(work(algorithm, password.expose_secret()));
        });
        self.queue
            .lock()
            .map_err(|_| HashError("the password hasher is broken".into()))?
            .send(job)
            .map_err(|_| HashError("the password hashing threads have stopped".into()))?;
        outcome
            .await
            .map_err(|_| HashError("the password hashing thread failed".into()))?
    }
}

impl<A: HashAlgorithm> fmt::Debug for BlockingHasher<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingHasher")
            .field("threads", &self.max_concurrent)
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

    #[tokio::test]
    async fn hashing_runs_on_the_pool_threads_not_the_callers() {
        struct ThreadName(PasswordHash);
        impl HashAlgorithm for ThreadName {
            fn hash(&self, _p: &str) -> Result<PasswordHash, HashError> {
                let name = std::thread::current().name().unwrap_or("").to_owned();
                Ok(PasswordHash::from_phc(name))
            }
            fn verify(&self, _p: &str, _h: &PasswordHash) -> Result<Verification, HashError> {
                Ok(Verification::Mismatch)
            }
            fn dummy_hash(&self) -> &PasswordHash {
                &self.0
            }
        }
        let hasher = BlockingHasher::new(ThreadName(PasswordHash::from_phc("")), 1);
        let ran_on = hasher.hash("pw").await.unwrap();
        assert_eq!(ran_on.as_phc(), "rollcall-hash-0");
    }
}
