//! The embedded migrations of both backends (`migrations/postgres` and `migrations/sqlite` at
//! the repository root, with the same folder names), run through diesel-async's
//! [`AsyncConnectionWrapper`] on a blocking thread.

use crate::error::StorageError;
use crate::store::SqliteConn;
use diesel::connection::SimpleConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// PostgreSQL migrations.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// SQLite migrations.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Key of the session-level advisory lock that serializes migrations on PostgreSQL
/// (ASCII `rcmigrat`).
const MIGRATION_LOCK_KEY: i64 = 0x7263_6d69_6772_6174;

/// Applies the pending PostgreSQL migrations on `conn`, holding the migration lock (released
/// when the connection closes at the end).
pub(crate) async fn run_postgres(conn: AsyncPgConnection) -> Result<Vec<String>, StorageError> {
    run_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .map_err(|e| StorageError::Migration(format!("taking the migration lock: {e}")))?;
        applied(conn.run_pending_migrations(POSTGRES_MIGRATIONS))
    })
    .await
}

/// Applies the pending SQLite migrations on `conn` (SQLite serializes them by its own lock).
pub(crate) async fn run_sqlite(conn: SqliteConn) -> Result<Vec<String>, StorageError> {
    run_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<SqliteConn>::from(conn);
        applied(conn.run_pending_migrations(SQLITE_MIGRATIONS))
    })
    .await
}

fn applied<V: ToString>(
    result: diesel::migration::Result<Vec<V>>,
) -> Result<Vec<String>, StorageError> {
    result
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| StorageError::Migration(e.to_string()))
}

/// The wrapper blocks on the runtime, so it runs on a blocking thread.
async fn run_blocking(
    work: impl FnOnce() -> Result<Vec<String>, StorageError> + Send + 'static,
) -> Result<Vec<String>, StorageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StorageError::Migration(format!("migration task failed: {e}")))?
}
