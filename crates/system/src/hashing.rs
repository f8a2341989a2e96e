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
//!
//! The queue is bounded (issue 9): at most [`QueueBounds::depth`] checks wait, none longer
//! than [`QueueBounds::deadline`], and a check whose client has gone ([`for_client`]) is
//! dropped unrun, so a flood of abandoned wrong-password requests cannot delay everyone
//! else's login. Refusals are [`HashError::Busy`] (the server answers 503 with
//! `Retry-After`); [`HashQueueStats`] counts them for `/metrics`.

use async_trait::async_trait;
use rollcall_domain::adapters::HashAlgorithm;
use rollcall_domain::ports::{HashError, PasswordHasher, Verification};
use rollcall_domain::secrets::PasswordHash;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// One unit of work for the pool: runs the algorithm (or not) and sends the outcome back.
type Job<A> = Box<dyn FnOnce(&A) + Send + 'static>;

/// Tells whether the client a password check is for is still there; checks for clients that
/// have gone are dropped unrun. The HTTP server installs one per request with
/// [`for_client`].
pub type ClientAlive = Arc<dyn Fn() -> bool + Send + Sync>;

tokio::task_local! {
    static CLIENT_ALIVE: ClientAlive;
}

/// Runs `work` (a request's handling) with `alive` as the liveness of its client: every hash
/// or verification queued from inside it is skipped when `alive()` is false by the time a
/// hashing thread takes it.
pub async fn for_client<F: Future>(alive: ClientAlive, work: F) -> F::Output {
    CLIENT_ALIVE.scope(alive, work).await
}

/// How much work may wait for the hashing threads, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueBounds {
    /// Checks that may wait (beyond those running); one more is refused at once as busy.
    pub depth: usize,
    /// A check that waited this long is dropped unrun, answered as busy.
    pub deadline: Duration,
}

impl Default for QueueBounds {
    /// 64 waiting checks, 2 s: at ~30 ms per Argon2id check on two threads the queue empties
    /// in about a second, so a full queue still answers within the deadline.
    fn default() -> Self {
        Self {
            depth: 64,
            deadline: Duration::from_secs(2),
        }
    }
}

/// Told how long each check waited for a hashing thread (the time from queueing to a thread
/// taking it, run or dropped).
pub type WaitObserver = Box<dyn Fn(Duration) + Send + Sync>;

/// What the queue did, for metrics. Shared with the hasher; read at any time.
#[derive(Default)]
pub struct HashQueueStats {
    waiting: AtomicUsize,
    refused_full: AtomicU64,
    expired: AtomicU64,
    abandoned: AtomicU64,
    wait_observer: OnceLock<WaitObserver>,
}

impl fmt::Debug for HashQueueStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashQueueStats")
            .field("waiting", &self.waiting())
            .field("refused_full", &self.refused_full())
            .field("expired", &self.expired())
            .field("abandoned", &self.abandoned())
            .finish_non_exhaustive()
    }
}

impl HashQueueStats {
    /// Reports every check's wait to `observer` from now on (set once; later calls are
    /// ignored).
    pub fn observe_waits(&self, observer: WaitObserver) {
        let _ = self.wait_observer.set(observer);
    }

    /// Checks waiting in the queue now (not counting those running).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Checks refused because the queue was full.
    pub fn refused_full(&self) -> u64 {
        self.refused_full.load(Ordering::Relaxed)
    }

    /// Checks dropped unrun because they waited past the deadline.
    pub fn expired(&self) -> u64 {
        self.expired.load(Ordering::Relaxed)
    }

    /// Checks dropped unrun because their client had gone (or stopped waiting).
    pub fn abandoned(&self) -> u64 {
        self.abandoned.load(Ordering::Relaxed)
    }
}

/// Runs a [`HashAlgorithm`] on `threads` dedicated OS threads; callers wait their turn in a
/// bounded queue (see [`QueueBounds`]). Needs no runtime to build; its futures work on any
/// executor.
pub struct BlockingHasher<A: HashAlgorithm> {
    algorithm: Arc<A>,
    queue: Mutex<mpsc::SyncSender<Job<A>>>,
    max_concurrent: usize,
    bounds: QueueBounds,
    stats: Arc<HashQueueStats>,
}

impl<A: HashAlgorithm> BlockingHasher<A> {
    /// Wraps `algorithm` with the default [`QueueBounds`]; see [`BlockingHasher::with_bounds`].
    pub fn new(algorithm: A, max_concurrent: usize) -> Self {
        Self::with_bounds(algorithm, max_concurrent, QueueBounds::default())
    }

    /// Wraps `algorithm`; `max_concurrent` (at least 1) threads hash at once, at most
    /// `bounds.depth` further checks wait, none longer than `bounds.deadline`. About the
    /// number of cores is right for the threads: each hash keeps one core busy. The threads
    /// end when the hasher is dropped.
    pub fn with_bounds(algorithm: A, max_concurrent: usize, bounds: QueueBounds) -> Self {
        let max_concurrent = max_concurrent.max(1);
        let algorithm = Arc::new(algorithm);
        // A rendezvous channel (depth 0) would refuse whenever no thread is idle this instant.
        let (sender, receiver) = mpsc::sync_channel::<Job<A>>(bounds.depth.max(1));
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
            bounds,
            stats: Arc::default(),
        }
    }

    /// The queue's counters, for metrics.
    pub fn stats(&self) -> Arc<HashQueueStats> {
        Arc::clone(&self.stats)
    }

    /// The seconds a refused caller is told to wait: the deadline, rounded up.
    fn retry_after_secs(&self) -> u64 {
        self.bounds.deadline.as_secs_f64().ceil().max(1.0) as u64
    }

    /// Queues `work` and waits for its outcome. Refused at once as busy when the queue is
    /// full; dropped unrun (busy) when it waited past the deadline, and (abandoned) when its
    /// caller stopped waiting or its client has gone.
    async fn run<T: Send + 'static>(
        &self,
        password: &str,
        work: impl FnOnce(&A, &str) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let (reply, outcome) = oneshot::channel();
        // Zeroed when dropped, never shown by `Debug`.
        let password = SecretString::from(password.to_owned());
        let alive = CLIENT_ALIVE.try_with(Arc::clone).ok();
        let queued_at = Instant::now();
        let deadline = self.bounds.deadline;
        let busy = HashError::Busy {
            retry_after_secs: self.retry_after_secs(),
        };
        let stats = Arc::clone(&self.stats);
        let job: Job<A> = Box::new(move |algorithm: &A| {
            stats.waiting.fetch_sub(1, Ordering::Relaxed);
            if let Some(observe) = stats.wait_observer.get() {
                observe(queued_at.elapsed());
            }
            if reply.is_closed() || alive.as_ref().is_some_and(|alive| !alive()) {
                stats.abandoned.fetch_add(1, Ordering::Relaxed);
                let _ = reply.send(Err(HashError::Abandoned));
                return;
            }
            if queued_at.elapsed() > deadline {
                stats.expired.fetch_add(1, Ordering::Relaxed);
                let _ = reply.send(Err(busy));
                return;
            }
            let _ = reply.send(work(algorithm, password.expose_secret()));
        });
        self.stats.waiting.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .queue
            .lock()
            .map_err(|_| HashError::Failed("the password hasher is broken".into()))
            .and_then(|queue| match queue.try_send(job) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(_)) => {
                    self.stats.refused_full.fetch_add(1, Ordering::Relaxed);
                    Err(HashError::Busy {
                        retry_after_secs: self.retry_after_secs(),
                    })
                }
                Err(TrySendError::Disconnected(_)) => Err(HashError::Failed(
                    "the password hashing threads have stopped".into(),
                )),
            });
        if let Err(e) = sent {
            self.stats.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(e);
        }
        outcome
            .await
            .map_err(|_| HashError::Failed("the password hashing thread failed".into()))?
    }
}

impl<A: HashAlgorithm> fmt::Debug for BlockingHasher<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingHasher")
            .field("threads", &self.max_concurrent)
            .field("bounds", &self.bounds)
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

    /// Runs a job only when the test lets it (one `()` per job), counting the runs.
    struct Gated {
        gate: Mutex<mpsc::Receiver<()>>,
        runs: AtomicUsize,
        dummy: PasswordHash,
    }

    impl HashAlgorithm for Gated {
        fn hash(&self, _password: &str) -> Result<PasswordHash, HashError> {
            let _ = self.gate.lock().unwrap().recv();
            self.runs.fetch_add(1, Ordering::SeqCst);
            Ok(self.dummy.clone())
        }
        fn verify(&self, _p: &str, _h: &PasswordHash) -> Result<Verification, HashError> {
            Ok(Verification::Mismatch)
        }
        fn dummy_hash(&self) -> &PasswordHash {
            &self.dummy
        }
    }

    fn gated(bounds: QueueBounds) -> (Arc<BlockingHasher<Gated>>, mpsc::Sender<()>) {
        let (open, gate) = mpsc::channel();
        let algorithm = Gated {
            gate: Mutex::new(gate),
            runs: AtomicUsize::new(0),
            dummy: PasswordHash::from_phc("$test$dummy"),
        };
        (
            Arc::new(BlockingHasher::with_bounds(algorithm, 1, bounds)),
            open,
        )
    }

    /// Waits until `n` checks are queued (the running one excluded).
    async fn until_waiting(hasher: &BlockingHasher<Gated>, n: usize) {
        for _ in 0..500 {
            if hasher.stats.waiting() == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("{} waiting, expected {n}", hasher.stats.waiting());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_as_busy() {
        let bounds = QueueBounds {
            depth: 2,
            deadline: Duration::from_secs(60),
        };
        let (hasher, open) = gated(bounds);
        let spawn = |h: &Arc<BlockingHasher<Gated>>| {
            let h = Arc::clone(h);
            tokio::spawn(async move { h.hash("pw").await })
        };
        let running = spawn(&hasher);
        until_waiting(&hasher, 0).await;
        // The thread holds the first; two more fill the queue.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let queued = [spawn(&hasher), spawn(&hasher)];
        until_waiting(&hasher, 2).await;
        assert_eq!(
            hasher.hash("pw").await,
            Err(HashError::Busy {
                retry_after_secs: 60
            })
        );
        assert_eq!(hasher.stats.refused_full(), 1);
        for _ in 0..3 {
            open.send(()).unwrap();
        }
        assert!(running.await.unwrap().is_ok());
        for q in queued {
            assert!(q.await.unwrap().is_ok());
        }
        assert_eq!(hasher.algorithm.runs.load(Ordering::SeqCst), 3);
        assert_eq!(hasher.stats.waiting(), 0);
    }

    #[tokio::test]
    async fn a_check_that_waited_past_the_deadline_is_dropped_unrun() {
        let bounds = QueueBounds {
            depth: 8,
            deadline: Duration::from_millis(30),
        };
        let (hasher, open) = gated(bounds);
        let first = {
            let h = Arc::clone(&hasher);
            tokio::spawn(async move { h.hash("pw").await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let late = {
            let h = Arc::clone(&hasher);
            tokio::spawn(async move { h.hash("pw").await })
        };
        // Hold the thread past the second check's deadline, then let everything go.
        tokio::time::sleep(Duration::from_millis(80)).await;
        open.send(()).unwrap();
        open.send(()).unwrap();
        assert!(first.await.unwrap().is_ok());
        assert_eq!(
            late.await.unwrap(),
            Err(HashError::Busy {
                retry_after_secs: 1
            })
        );
        assert_eq!(hasher.algorithm.runs.load(Ordering::SeqCst), 1);
        assert_eq!(hasher.stats.expired(), 1);
    }

    #[tokio::test]
    async fn a_check_whose_client_has_gone_is_not_run() {
        let hasher = BlockingHasher::new(
            SlowAlgorithm {
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                dummy: PasswordHash::from_phc("$test$dummy"),
            },
            1,
        );
        let gone: ClientAlive = Arc::new(|| false);
        assert_eq!(
            for_client(gone, hasher.hash("pw")).await,
            Err(HashError::Abandoned)
        );
        assert_eq!(hasher.algorithm.peak.load(Ordering::SeqCst), 0, "never ran");
        assert_eq!(hasher.stats.abandoned(), 1);
        let here: ClientAlive = Arc::new(|| true);
        assert!(for_client(here, hasher.hash("pw")).await.is_ok());
        assert_eq!(hasher.algorithm.peak.load(Ordering::SeqCst), 1);
    }
}
