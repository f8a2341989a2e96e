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
//! The reads of one kind that wait on a thread at the same moment — sessions by token
//! digest, API keys by identifier, users by username — are **batched**: the first starts a
//! task that yields once (so that the other requests ready on the thread add theirs) and
//! then sends one statement `… WHERE key = ANY($1)` for all of them (at most [`MAX_BATCH`]
//! keys per statement), and each read gets the row of its own key. While that statement is
//! in flight, new reads of the kind wait for the task's next one, so under load a batch holds
//! what arrived during one round trip. (A first version sent a statement per yield; its
//! batches settled at either ~15 or ~2 reads, and the run-to-run throughput with them.)
//! PostgreSQL's cost is per statement much more than per row, so this divides the
//! database's work; with one request in flight it costs one task and one yield.
//!
//! Every statement runs in its own implicit transaction and is sent after each of its reads
//! was asked for, so a read sees every write committed before it, from any connection or
//! instance. Nothing is cached.
//!
//! A thread's connection is opened in the background, in a task on the thread's runtime
//! started by the first read that finds none; that read and the ones that arrive meanwhile
//! use the pool, so no request ever waits for an open. A read that fails drops the
//! connection and reports `None`, so the caller goes through the pool, which reports its own
//! error; the next read starts opening a fresh one. A failed open is not tried again for
//! [`RETRY_AFTER`], so an unreachable database costs one attempt per thread and second.

use crate::batch::{Queue, drain, lock};
use crate::hot_reads;
use crate::rows::{ApiKeyRow, SessionRow, UserRow};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;
use tokio::sync::oneshot;

/// How long a thread waits before opening its connection again after an open failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// One thread's connection.
enum Slot {
    /// None open; open one unless an open failed before `retry_at`.
    Closed { retry_at: Option<Instant> },
    /// A read on this thread is opening one.
    Opening,
    /// Open and shared by this thread's reads.
    Open(Arc<AsyncPgConnection>),
}

/// A read waiting in a batch: its key (a token digest, a key identifier or a lowered
/// username) and where its answer goes.
type Waiting<V> = (String, oneshot::Sender<Option<Option<V>>>);

/// The reads of one kind waiting on a thread.
type Batch<V> = Queue<Waiting<V>>;

/// What one thread reads with: its connection and its batches.
#[derive(Default)]
struct ThreadReader {
    slot: Mutex<Slot>,
    sessions: Mutex<Batch<(SessionRow, UserRow)>>,
    api_keys: Mutex<Batch<(ApiKeyRow, UserRow)>>,
    users_by_name: Mutex<Batch<UserRow>>,
}

impl Default for Slot {
    fn default() -> Self {
        Self::Closed { retry_at: None }
    }
}

/// One PostgreSQL connection per thread that reads, for pipelined point reads.
pub(crate) struct PipelinedReaders {
    url: String,
    connect_timeout: Duration,
    threads: ThreadLocal<Arc<ThreadReader>>,
}

impl PipelinedReaders {
    /// Readers of the database at `url`, each opened within `connect_timeout`.
    pub(crate) fn new(url: &str, connect_timeout: Duration) -> Self {
        Self {
            url: url.to_owned(),
            connect_timeout,
            threads: ThreadLocal::new(),
        }
    }

    /// Runs `read` on this thread's connection; `None` when there is none yet (it is being
    /// opened, or an open just failed) or the read failed: the caller then uses the pool.
    pub(crate) async fn read<T, F, Fut>(&self, read: F) -> Option<T>
    where
        F: FnOnce(Arc<AsyncPgConnection>) -> Fut,
        Fut: Future<Output = diesel::QueryResult<T>>,
    {
        let reader = self.thread_reader();
        let conn = self.connection(&reader)?;
        match read(Arc::clone(&conn)).await {
            Ok(value) => Some(value),
            Err(error) => {
                reader.failed(&conn, &error);
                None
            }
        }
    }

    /// The session with that token digest (hex) and its owner, read in one statement with
    /// the other session reads of this thread that are waiting at the same moment; `None`
    /// when that is not possible and the caller must use the pool.
    pub(crate) async fn session_and_owner(
        &self,
        hex: &str,
    ) -> Option<Option<(SessionRow, UserRow)>> {
        self.batched(
            hex,
            |reader| &reader.sessions,
            |conn, keys| {
                Box::pin(async move {
                    let rows = hot_reads::pipelined::sessions_and_owners(&conn, &keys).await?;
                    Ok(keyed(rows, |(session, _)| &session.token_digest))
                })
            },
        )
        .await
    }

    /// The API key with that identifier and its owner, batched as
    /// [`PipelinedReaders::session_and_owner`].
    pub(crate) async fn api_key_and_owner(
        &self,
        identifier: &str,
    ) -> Option<Option<(ApiKeyRow, UserRow)>> {
        self.batched(
            identifier,
            |reader| &reader.api_keys,
            |conn, keys| {
                Box::pin(async move {
                    let rows = hot_reads::pipelined::api_keys_and_owners(&conn, &keys).await?;
                    Ok(keyed(rows, |(key, _)| &key.identifier))
                })
            },
        )
        .await
    }

    /// The user with that username (compared without ASCII case; usernames are ASCII),
    /// batched as [`PipelinedReaders::session_and_owner`].
    pub(crate) async fn user_by_name(&self, name: &str) -> Option<Option<UserRow>> {
        let key = name.to_ascii_lowercase();
        self.batched(
            &key,
            |reader| &reader.users_by_name,
            |conn, keys| {
                Box::pin(async move {
                    let rows = hot_reads::pipelined::users_by_names(&conn, &keys).await?;
                    let keyed: Vec<(String, UserRow)> = rows
                        .into_iter()
                        .map(|row| (row.username.to_ascii_lowercase(), row))
                        .collect();
                    // `keys` is a chunk of the batch's sorted keys.
                    // SQL's lower() and ASCII lowering agree on every valid username; should a
                    // stored name ever make them differ, answer nothing rather than "not found".
                    if keyed
                        .iter()
                        .any(|(key, _)| keys.binary_search(key).is_err())
                    {
                        return Err(diesel::result::Error::QueryBuilderError(
                            "a username that ASCII lowering does not match".into(),
                        ));
                    }
                    Ok(keyed)
                })
            },
        )
        .await
    }

    /// Joins `key` to this thread's batch. When no task is sending this kind of read on the
    /// thread, this read starts one, which yields once (so that the reads of the other
    /// requests ready on the thread join) before it sends; otherwise the read goes with the
    /// running task's next statement.
    async fn batched<V: Clone + Send + 'static>(
        &self,
        key: &str,
        batch: fn(&ThreadReader) -> &Mutex<Batch<V>>,
        query: BatchQuery<V>,
    ) -> Option<Option<V>> {
        let reader = self.thread_reader();
        let conn = self.connection(&reader)?;
        let (answer, answered) = oneshot::channel();
        if lock(batch(&reader)).push((key.to_owned(), answer)) {
            let sender = Arc::clone(&reader);
            tokio::spawn(drain(reader, batch, move |waiting| {
                send_batch(Arc::clone(&sender), Arc::clone(&conn), query, waiting)
            }));
        }
        answered.await.ok().flatten()
    }

    fn thread_reader(&self) -> Arc<ThreadReader> {
        Arc::clone(self.threads.get_or(Arc::default))
    }

    /// This thread's connection; when there is none, starts opening one in a task on this
    /// thread's runtime (so that its driver lives here) and answers `None` meanwhile.
    fn connection(&self, reader: &Arc<ThreadReader>) -> Option<Arc<AsyncPgConnection>> {
        let mut state = lock(&reader.slot);
        match &*state {
            Slot::Open(conn) => return Some(Arc::clone(conn)),
            Slot::Opening => return None,
            Slot::Closed { retry_at: Some(at) } if Instant::now() < *at => return None,
            Slot::Closed { .. } => *state = Slot::Opening,
        }
        drop(state);
        let mut opening = Opening {
            reader: Arc::clone(reader),
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
    reader: Arc<ThreadReader>,
    done: bool,
}

impl Opening {
    fn finish(&mut self, state: Slot) {
        *lock(&self.reader.slot) = state;
        self.done = true;
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        if !self.done {
            *lock(&self.reader.slot) = Slot::Closed { retry_at: None };
        }
    }
}

impl ThreadReader {
    /// A read on `conn` failed: drop it (if it is still this thread's connection) so that
    /// the next read opens another.
    fn failed(&self, conn: &Arc<AsyncPgConnection>, error: &diesel::result::Error) {
        tracing::debug!(%error, "pipelined read failed; using the pool");
        let mut state = lock(&self.slot);
        if matches!(&*state, Slot::Open(open) if Arc::ptr_eq(open, conn)) {
            *state = Slot::Closed { retry_at: None };
        }
    }
}

/// Each row with its key.
fn keyed<R>(rows: Vec<R>, key: fn(&R) -> &String) -> Vec<(String, R)> {
    rows.into_iter()
        .map(|row| (key(&row).clone(), row))
        .collect()
}

/// Reads the rows of these keys, each with its key.
type BatchQuery<V> = fn(
    Arc<AsyncPgConnection>,
    Vec<String>,
) -> BoxFuture<'static, diesel::QueryResult<Vec<(String, V)>>>;

/// Sends one batch of a kind (at most [`MAX_BATCH`] keys per statement; more are split and
/// pipelined) and answers each read with its row, no row, or `None` when its statement
/// failed (the reader then uses the pool); false when a statement failed, which drops the
/// connection and ends the batch's task.
async fn send_batch<V: Clone + Send + 'static>(
    reader: Arc<ThreadReader>,
    conn: Arc<AsyncPgConnection>,
    query: BatchQuery<V>,
    waiting: Vec<Waiting<V>>,
) -> bool {
    let mut keys: Vec<String> = waiting.iter().map(|(key, _)| key.clone()).collect();
    keys.sort_unstable();
    keys.dedup();
    let statements = keys
        .chunks(MAX_BATCH)
        .map(|chunk| query(Arc::clone(&conn), chunk.to_vec()));
    let mut found = HashMap::with_capacity(keys.len());
    let mut failed = false;
    for result in futures_util::future::join_all(statements).await {
        match result {
            Ok(rows) => found.extend(rows),
            Err(error) => {
                reader.failed(&conn, &error);
                failed = true;
            }
        }
    }
    for (key, answer) in waiting {
        // After a failure every read of the batch gets `None`, to keep it simple.
        let row = (!failed).then(|| found.get(&key).cloned());
        // The request may have gone; then nobody waits for the answer.
        let _ = answer.send(row);
    }
    !failed
}

/// Most keys read by one statement.
const MAX_BATCH: usize = 128;
