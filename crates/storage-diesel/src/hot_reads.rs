//! The reads every authenticated request makes — a user by id, name or address, a session
//! with its owner, an API key with its owner — written once as static queries (diesel keeps
//! a prepared statement for each) and run two ways:
//!
//! - **Inline on SQLite** ([`InlineReaders`]): on the calling thread, over a connection of its
//!   own, with no task spawned, no pool checkout and no hop to the blocking pool. A point read
//!   on an index takes microseconds, less than the thread hand-offs it replaces. WAL lets it
//!   run beside the writer; it waits at most [`INLINE_BUSY_TIMEOUT_MS`] for a lock, and any
//!   failure (busy, I/O) falls back to the pooled path, which reports its own error.
//! - **Pipelined on PostgreSQL** (`crate::pipelined`): over one connection per thread,
//!   opened on that thread, shared by the thread's requests (no task spawned, no pool
//!   checkout, no hop to another thread's connection driver).
//! - **Pooled** otherwise (SQLite when every inline reader is taken or failed, PostgreSQL
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

use crate::listing::{lower, lower_nullable};
use crate::rows::{ApiKeyRow, SessionRow, UserRow};
use crate::schema::{api_keys, sessions, users};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use rollcall_domain::ports::UserLookup;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Read-only SQLite connections for inline reads, one slot per thread that reads (threads
/// are spread over the slots; a taken slot sends the read to the pool). Opened on first use,
/// dropped after a failure and opened again by the next read.
pub(crate) struct InlineReaders {
    target: String,
    slots: Box<[Mutex<Option<SqliteConnection>>]>,
}

impl InlineReaders {
    /// Readers of the database at `target` (a path or a `file:` URI), `slots` of them.
    pub(crate) fn new(target: &str, slots: usize) -> Self {
        Self {
            target: target.to_owned(),
            slots: (0..slots.max(1)).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Runs `read` on this thread's reader; `None` when the slot is taken by another thread,
    /// cannot be opened, or the read fails: the caller then goes through the pool.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&mut SqliteConnection) -> QueryResult<T>,
    ) -> Option<T> {
        let slot = self.slots.get(thread_slot() % self.slots.len())?;
        let mut guard = slot.try_lock().ok()?;
        if guard.is_none() {
            *guard = open_reader(&self.target).ok();
        }
        let conn = guard.as_mut()?;
        match read(conn) {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::debug!(%error, "inline read failed; using the pool");
                *guard = None;
                None
            }
        }
    }
}

/// A small number fixed per thread, so that a thread keeps using one reader.
fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    SLOT.with(|slot| *slot)
}

fn open_reader(target: &str) -> ConnectionResult<SqliteConnection> {
    let mut conn = SqliteConnection::establish(target)?;
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {INLINE_BUSY_TIMEOUT_MS}; PRAGMA query_only = ON;"
    ))
    .map_err(|e| ConnectionError::BadConnection(format!("setting SQLite pragmas: {e}")))?;
    Ok(conn)
}
