//! PostgreSQL point reads over one connection per thread, pipelined.
//!
//! The profile of the PostgreSQL rows (docs/benchmarks.md) showed the time going to thread
//! wake-ups: a pooled connection's driver task (tokio-postgres spawns one per connection)
//! lives on whichever runtime opened it, often not the HTTP worker that checks it out, so a
//! query hopped from the worker to the driver's thread and back, after a `SELECT 1` for the
//! checkout and a task spawned for the call. [`PipelinedReaders`] instead keeps one
//! connection per thread, opened on that thread, so its driver runs beside the requests that
//! use it; the hot reads of every request on the thread share it through `&AsyncPgConnection`,
//! which diesel-async pipelines (several queries in flight on one socket, answered in order).
//! PostgreSQL runs one query at a time per connection, so the server works on as many reads
//! at once as there are threads reading, which is the number of cores by default.
//!
//! Each read is still its own statement in its own implicit transaction: it sees every write
//! committed before it, from any connection or instance. Nothing is cached.
//!
//! A thread's connection is opened in the background, in a task on the thread's runtime
//! started by the first read that finds none; that read and the ones that arrive meanwhile
//! use the pool, so no request ever waits for an open. A read that fails drops the
//! connection and reports `None`, so the caller goes through the pool, which reports its own
//! error; the next read starts opening a fresh one. A failed open is not tried again for
//! [`RETRY_AFTER`], so an unreachable database costs one attempt per thread and second.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;

/// How long a thread waits before opening its connection again after an open failed.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(1);

/// One thread's connection.
enum Slot {
    /// None open; open one unless an open failed before `retry_at`.
    Closed { retry_at: Option<Instant> },
    /// A read on this thread is opening one.
    Opening,
    /// Open and shared by this thread's reads.
    Open(Arc<AsyncPgConnection>),
}

/// One PostgreSQL connection per thread that reads, for pipelined point reads.
pub(crate) struct PipelinedReaders {
    url: String,
    connect_timeout: Duration,
    slots: ThreadLocal<Arc<Mutex<Slot>>>,
}

impl PipelinedReaders {
    /// Readers of the database at `url`, each opened within `connect_timeout`.
    pub(crate) fn new(url: &str, connect_timeout: Duration) -> Self {
        Self {
            url: url.to_owned(),
            connect_timeout,
            slots: ThreadLocal::new(),
        }
    }

    /// Runs `read` on this thread's connection; `None` when there is none yet (it is being
    /// opened, or an open just failed) or the read failed: the caller then uses the pool.
    pub(crate) async fn read<T, F, Fut>(&self, read: F) -> Option<T>
    where
        F: FnOnce(Arc<AsyncPgConnection>) -> Fut,
        Fut: Future<Output = diesel::QueryResult<T>>,
    {
        let slot = self
            .slots
            .get_or(|| Arc::new(Mutex::new(Slot::Closed { retry_at: None })));
        let conn = self.connection(slot)?;
        match read(Arc::clone(&conn)).await {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::debug!(%error, "pipelined read failed; using the pool");
                let mut state = lock(slot);
                if matches!(&*state, Slot::Open(open) if Arc::ptr_eq(open, &conn)) {
                    *state = Slot::Closed { retry_at: None };
                }
                None
            }
        }
    }

    /// This thread's connection; when there is none, starts opening one in a task on this
    /// thread's runtime (so that its driver lives here) and answers `None` meanwhile.
    fn connection(&self, slot: &Arc<Mutex<Slot>>) -> Option<Arc<AsyncPgConnection>> {
        let mut state = lock(slot);
        match &*state {
            Slot::Open(conn) => return Some(Arc::clone(conn)),
            Slot::Opening => return None,
            Slot::Closed { retry_at: Some(at) } if Instant::now() < *at => return None,
            Slot::Closed { .. } => *state = Slot::Opening,
        }
        drop(state);
        let mut opening = Opening {
            slot: Arc::clone(slot),
            done: false,
        };
        let url = self.url.clone();
        let connect_timeout = self.connect_timeout;
        tokio::spawn(async move {
            let opened = tokio::time::timeout(connect_timeout, AsyncPgConnection::establish(&url))
                .await
                .unwrap_or_else(|_| Err(crate::store::connect_timed_out(connect_timeout)));
            match opened {
                Ok(conn) => opening.finish(Slot::Open(Arc::new(conn))),
                Err(error) => {
                    tracing::warn!(%error, "could not open a PostgreSQL reader; using the pool");
                    opening.finish(Slot::Closed {
                        retry_at: Some(Instant::now() + RETRY_AFTER),
                    });
                }
            }
        });
        None
    }
}

/// A slot being opened; dropped unfinished (the runtime stopped), it becomes `Closed`.
struct Opening {
    slot: Arc<Mutex<Slot>>,
    done: bool,
}

impl Opening {
    fn finish(&mut self, state: Slot) {
        *lock(&self.slot) = state;
        self.done = true;
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        if !self.done {
            *lock(&self.slot) = Slot::Closed { retry_at: None };
        }
    }
}

/// The slot's state. A slot is only locked briefly, never across an await, so a poisoned
/// lock holds a whole state and is used as it is.
fn lock(slot: &Mutex<Slot>) -> std::sync::MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}
