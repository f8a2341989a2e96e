//! The reads every authenticated request makes — a user by id, name or address, a session
//! with its owner, an API key with its owner — written once as static queries (diesel keeps
//! a prepared statement for each) and run two ways:
//!
//! - **Inline on SQLite** ([`InlineReaders`]): on the calling thread, over a connection of its
//!   own, with no pool checkout and no hop to the blocking pool; the reads waiting on a thread
//!   at the same moment share one read transaction. A point read on an index takes
//!   microseconds, less than the thread hand-offs it replaces. WAL lets it run beside the
//!   writer; it waits at most [`INLINE_BUSY_TIMEOUT_MS`] for a lock, and any failure (busy,
//!   I/O) falls back to the pooled path, which reports its own error.
//! - **Pipelined on PostgreSQL** (`crate::pipelined`): over one connection per thread,
//!   opened on that thread, shared by the thread's requests (no task spawned, no pool
//!   checkout, no hop to another thread's connection driver).
//! - **Pooled** otherwise (SQLite when the thread's reader failed, PostgreSQL
//!   while the thread's connection is being opened or after it failed): the same statement
//!   through the store's pool.
//!
//! Each is a lookup on a unique index, run with `get_result` rather than `first`: `first`
//! adds `LIMIT ?`, and SQLite (built with STAT4) marks a bound LIMIT as plan-relevant, so
//! every new binding would expire the cached statement and parse it again — the profile of
//! the session row showed `sqlite3Reprepare` under every step.
//!
//! Reads are never cached: each one sees every write committed before it, on any connection
//! or process, so a password change, a disable or a revocation counts at the next request.

use crate::batch::{Queue, drain, lock};
use crate::listing::{lower, lower_nullable};
use crate::rows::{ApiKeyRow, SessionRow, UserRow};
use crate::schema::{api_keys, sessions, users};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use rollcall_domain::ports::UserLookup;
use std::sync::{Arc, Mutex};
use thread_local::ThreadLocal;
use tokio::sync::oneshot;

/// How long an inline read waits for a SQLite lock before it gives way to the pool.
pub(crate) const INLINE_BUSY_TIMEOUT_MS: u32 = 100;

/// `$body` with `$q` bound to the query for one [`UserLookup`] (each arm a static query).
macro_rules! with_user_query {
    ($lookup:expr, |$q:ident| $body:expr) => {
        match $lookup {
            UserLookup::Id(id) => {
                let $q = users::table
                    .filter(users::id.eq(id.get()))
                    .select(UserRow::as_select());
                $body
            }
            UserLookup::Uuid(uuid) => {
                let $q = users::table
                    .filter(users::uuid.eq(uuid.hyphenated().to_string()))
                    .select(UserRow::as_select());
                $body
            }
            UserLookup::Username(name) => {
                let $q = users::table
                    .filter(lower(users::username).eq(name.to_ascii_lowercase()))
                    .select(UserRow::as_select());
                $body
            }
            UserLookup::Email(email) => {
                let $q = users::table
                    .filter(lower_nullable(users::email).eq(email.to_ascii_lowercase()))
                    .select(UserRow::as_select());
                $body
            }
            UserLookup::ExternalId(external) => {
                let $q = users::table
                    .filter(users::external_id.eq(external.clone()))
                    .select(UserRow::as_select());
                $body
            }
        }
    };
}

/// The session with that token digest (hex) and its owner, in one join; with `any`, the
/// sessions with any of these digests (`= ANY($1)` on PostgreSQL, the batched reads).
macro_rules! session_and_owner_query {
    (any $hexes:expr) => {
        session_and_owner_query!(@join).filter(sessions::token_digest.eq_any($hexes))
    };
    (@join) => {
        sessions::table
            .inner_join(users::table)
            .select((SessionRow::as_select(), UserRow::as_select()))
    };
    ($hex:expr) => {
        session_and_owner_query!(@join).filter(sessions::token_digest.eq($hex))
    };
}

/// The API key with that identifier and its owner, in one join; with `any`, as
/// [`session_and_owner_query`].
macro_rules! api_key_and_owner_query {
    (any $identifiers:expr) => {
        api_key_and_owner_query!(@join).filter(api_keys::identifier.eq_any($identifiers))
    };
    (@join) => {
        api_keys::table
            .inner_join(users::table)
            .select((ApiKeyRow::as_select(), UserRow::as_select()))
    };
    ($identifier:expr) => {
        api_key_and_owner_query!(@join).filter(api_keys::identifier.eq($identifier))
    };
}

pub(crate) use {api_key_and_owner_query, session_and_owner_query, with_user_query};

/// One user, inline.
pub(crate) fn user(
    conn: &mut SqliteConnection,
    lookup: &UserLookup,
) -> QueryResult<Option<UserRow>> {
    with_user_query!(lookup, |q| q.get_result(conn).optional())
}

/// A session and its owner, inline.
pub(crate) fn session_and_owner(
    conn: &mut SqliteConnection,
    hex: &str,
) -> QueryResult<Option<(SessionRow, UserRow)>> {
    session_and_owner_query!(hex).get_result(conn).optional()
}

/// An API key and its owner, inline.
pub(crate) fn api_key_and_owner(
    conn: &mut SqliteConnection,
    identifier: &str,
) -> QueryResult<Option<(ApiKeyRow, UserRow)>> {
    api_key_and_owner_query!(identifier)
        .get_result(conn)
        .optional()
}

/// The same reads over a pipelined PostgreSQL connection (`crate::pipelined`).
pub(crate) mod pipelined {
    use crate::listing::{lower, lower_nullable};
    use crate::rows::{ApiKeyRow, SessionRow, UserRow};
    use crate::schema::{api_keys, sessions, users};
    use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, SelectableHelper};
    use diesel_async::{AsyncPgConnection, RunQueryDsl};
    use rollcall_domain::ports::UserLookup;

    /// One user, over a pipelined PostgreSQL connection.
    pub(crate) async fn user(
        mut conn: &AsyncPgConnection,
        lookup: &UserLookup,
    ) -> QueryResult<Option<UserRow>> {
        with_user_query!(lookup, |q| q.get_result(&mut conn).await.optional())
    }

    /// The sessions with these token digests (hex) and their owners, in one statement.
    pub(crate) async fn sessions_and_owners(
        mut conn: &AsyncPgConnection,
        hexes: &[String],
    ) -> QueryResult<Vec<(SessionRow, UserRow)>> {
        session_and_owner_query!(any hexes).load(&mut conn).await
    }

    /// The users with these lowered usernames, in one statement.
    pub(crate) async fn users_by_names(
        mut conn: &AsyncPgConnection,
        lowered: &[String],
    ) -> QueryResult<Vec<UserRow>> {
        users::table
            .filter(lower(users::username).eq_any(lowered))
            .select(UserRow::as_select())
            .load(&mut conn)
            .await
    }

    /// The API keys with these identifiers and their owners, in one statement.
    pub(crate) async fn api_keys_and_owners(
        mut conn: &AsyncPgConnection,
        identifiers: &[String],
    ) -> QueryResult<Vec<(ApiKeyRow, UserRow)>> {
        api_key_and_owner_query!(any identifiers)
            .load(&mut conn)
            .await
    }
}

/// A read waiting for its thread's next read transaction: runs its query on the connection
/// and sends the answer; false when the query failed (the read then answers "use the pool").
/// Dropped without being run, it answers "use the pool" too.
type InlineRead = Box<dyn FnOnce(&mut SqliteConnection) -> bool + Send>;

/// One thread's reader: its connection and the reads waiting for it.
#[derive(Default)]
struct InlineThread {
    /// Opened by the first read transaction, dropped after a failure.
    conn: Mutex<Option<SqliteConnection>>,
    reads: Mutex<Queue<InlineRead>>,
}

/// Read-only SQLite connections for inline reads, one per thread that reads. The reads that
/// wait on a thread at the same moment share one read transaction (see [`InlineReaders::read`]).
pub(crate) struct InlineReaders {
    target: Arc<str>,
    threads: ThreadLocal<Arc<InlineThread>>,
}

impl InlineReaders {
    /// Readers of the database at `target` (a path or a `file:` URI).
    pub(crate) fn new(target: &str) -> Self {
        Self {
            target: target.into(),
            threads: ThreadLocal::new(),
        }
    }

    /// Runs `read` on this thread's reader, inside one read transaction with the other reads
    /// waiting on the thread at the same moment; `None` when the reader cannot be opened or
    /// the read fails: the caller then goes through the pool.
    ///
    /// The first read that finds no transaction coming starts a task (on this thread's
    /// runtime) that yields once, so that the other requests ready on the thread add their
    /// reads, then runs them all between one `BEGIN` and `COMMIT`, and does the same for the
    /// reads that arrived meanwhile until none wait (`crate::batch`). SQLite takes its locks
    /// once per transaction — the shared lock on the file, a WAL read mark, the unix VFS's
    /// global mutex that the workers contend for — so this divides that cost by the size of
    /// the batch. Each read was asked for before its transaction began, so it sees every
    /// write committed before it, on any connection or process.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
    ) -> Option<T> {
        let thread = Arc::clone(self.threads.get_or(Arc::default));
        let (answer, answered) = oneshot::channel();
        let waiting: InlineRead = Box::new(move |conn| match read(conn) {
            Ok(value) => {
                // The request may have gone; then nobody waits for the answer.
                let _ = answer.send(value);
                true
            }
            Err(error) => {
                tracing::debug!(%error, "inline read failed; using the pool");
                false
            }
        });
        if lock(&thread.reads).push(waiting) {
            let target = Arc::clone(&self.target);
            let runner = Arc::clone(&thread);
            tokio::spawn(drain(
                thread,
                |thread| &thread.reads,
                move |reads| std::future::ready(runner.transaction(&target, reads)),
            ));
        }
        answered.await.ok()
    }
}

impl InlineThread {
    /// Runs `reads` in one read transaction on this thread's connection, opening it first if
    /// needed; false when that failed (the connection is dropped, the reads not run answer
    /// "use the pool", and the next read opens a fresh connection).
    fn transaction(&self, target: &str, reads: Vec<InlineRead>) -> bool {
        // Only the thread's draining task takes the connection; should two ever meet, the
        // second one's reads go to the pool.
        let Ok(mut slot) = self.conn.try_lock() else {
            return true;
        };
        if slot.is_none() {
            match open_reader(target) {
                Ok(conn) => *slot = Some(conn),
                Err(error) => {
                    tracing::debug!(%error, "could not open an inline reader; using the pool");
                    return false;
                }
            }
        }
        let Some(conn) = slot.as_mut() else {
            return false;
        };
        if let Err(error) = conn.batch_execute("BEGIN") {
            tracing::debug!(%error, "could not begin an inline read; using the pool");
            *slot = None;
            return false;
        }
        let mut reads = reads.into_iter();
        // After a failed read the transaction is abandoned: the reads not run yet are dropped.
        let all_read = reads.by_ref().all(|read| read(conn));
        drop(reads);
        let ended = conn.batch_execute("COMMIT");
        if !all_read || ended.is_err() {
            *slot = None;
            return false;
        }
        true
    }
}

fn open_reader(target: &str) -> ConnectionResult<SqliteConnection> {
    let mut conn = SqliteConnection::establish(target)?;
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {INLINE_BUSY_TIMEOUT_MS}; PRAGMA query_only = ON;"
    ))
    .map_err(|e| ConnectionError::BadConnection(format!("setting SQLite pragmas: {e}")))?;
    Ok(conn)
}
