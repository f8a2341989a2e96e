//! The operations whose SQL differs between the backends, one explicit implementation each.
//! Everything else is written once (see `store::with_connection!`).

use crate::rows::{NewUserRow, UserRow};
use crate::schema::users;
use crate::store::SqliteConn;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::future::Future;

/// Key of the transaction-scoped advisory lock that serializes, on PostgreSQL, every
/// transaction that may remove an admin (ASCII `rcadmins`).
pub(crate) const ADMIN_LOCK_KEY: i64 = 0x7263_6164_6d69_6e73;

/// Per-backend steps of the user transactions.
pub(crate) trait Dialect {
    /// Serializes, until the end of the transaction, every transaction that may remove an
    /// admin, so that two of them never both see the other's admin as still there.
    fn lock_admin_changes(&mut self) -> impl Future<Output = QueryResult<()>> + Send;

    /// Loads a user and keeps other writers off that row until the end of the transaction.
    fn find_user_for_update(
        &mut self,
        id: i64,
    ) -> impl Future<Output = QueryResult<Option<UserRow>>> + Send;

    /// Whether the user exists, keeping other creates of that user's sessions, keys and
    /// configurations waiting until the end of the transaction, so that a per-user count and
    /// the insert it allows are never interleaved with another's.
    fn lock_owner(&mut self, id: i64) -> impl Future<Output = QueryResult<bool>> + Send;

    /// Inserts these users (inside the caller's transaction); returns how many.
    fn insert_users(
        &mut self,
        rows: Vec<NewUserRow>,
    ) -> impl Future<Output = QueryResult<usize>> + Send;
}

/// Rows per `INSERT` on PostgreSQL: 16 columns each, well under its 65,535 bound parameters
/// per statement.
const INSERT_CHUNK: usize = 1000;

/// PostgreSQL under READ COMMITTED: an advisory transaction lock for admin changes, and
/// `SELECT … FOR UPDATE` for the row. Every statement after the lock sees what the previous
/// holder committed.
impl Dialect for AsyncPgConnection {
    async fn lock_admin_changes(&mut self) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(ADMIN_LOCK_KEY)
            .execute(self)
            .await
            .map(drop)
    }

    async fn find_user_for_update(&mut self, id: i64) -> QueryResult<Option<UserRow>> {
        users::table
            .find(id)
            .select(UserRow::as_select())
            .for_update()
            .first(self)
            .await
            .optional()
    }

    /// `FOR NO KEY UPDATE`: conflicts with itself and with the user updates' `FOR UPDATE`, but
    /// not with the `FOR KEY SHARE` that inserting a child row takes.
    async fn lock_owner(&mut self, id: i64) -> QueryResult<bool> {
        users::table
            .find(id)
            .select(users::id)
            .for_no_key_update()
            .first::<i64>(self)
            .await
            .optional()
            .map(|found| found.is_some())
    }

    /// Multi-row `INSERT`s of [`INSERT_CHUNK`] rows.
    async fn insert_users(&mut self, rows: Vec<NewUserRow>) -> QueryResult<usize> {
        let mut inserted = 0;
        for chunk in rows.chunks(INSERT_CHUNK) {
            inserted += diesel::insert_into(users::table)
                .values(chunk)
                .execute(self)
                .await?;
        }
        Ok(inserted)
    }
}

/// SQLite: write transactions begin with `BEGIN IMMEDIATE`, which already holds the database's
/// single write lock, so writers are serialized and there is nothing more to lock.
impl Dialect for SqliteConn {
    async fn lock_admin_changes(&mut self) -> QueryResult<()> {
        Ok(())
    }

    async fn find_user_for_update(&mut self, id: i64) -> QueryResult<Option<UserRow>> {
        users::table
            .find(id)
            .select(UserRow::as_select())
            .first(self)
            .await
            .optional()
    }

    async fn lock_owner(&mut self, id: i64) -> QueryResult<bool> {
        users::table
            .find(id)
            .select(users::id)
            .first::<i64>(self)
            .await
            .optional()
            .map(|found| found.is_some())
    }

    /// One prepared single-row `INSERT` per row, all on the blocking thread in one hop:
    /// diesel has no multi-row `INSERT` on SQLite for rows with nullable columns, and a
    /// prepared statement inside a transaction costs microseconds per row.
    async fn insert_users(&mut self, rows: Vec<NewUserRow>) -> QueryResult<usize> {
        self.spawn_blocking(move |conn| {
            let mut inserted = 0;
            for row in &rows {
                let insert = diesel::insert_into(users::table).values(row);
                inserted += diesel::RunQueryDsl::execute(insert, conn)?;
            }
            Ok(inserted)
        })
        .await
    }
}
