//! Migrations: the two backends' folders never drift apart, and every migration's `down.sql`
//! undoes its `up.sql` cleanly, on both backends.

use crate::support::{
    block_on_postgres, drop_postgres_database, new_postgres_database, postgres_url,
};
use diesel::migration::MigrationSource;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use rollcall_domain::contract::builders::new_user;
use rollcall_domain::ports::UserStore;
use rollcall_storage_diesel::migrations::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use rollcall_storage_diesel::{PoolOptions, connect};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn migrations_dir(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(backend)
}

/// The migration folders of a backend, each checked to hold `up.sql` and `down.sql`.
fn folders(backend: &str) -> BTreeSet<String> {
    let dir = migrations_dir(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .map(|path| {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    path.join(file).is_file(),
                    "{} has no {file}",
                    path.display()
                );
            }
            path.file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 folder name")
                .to_owned()
        })
        .collect()
}

fn embedded_names<DB: diesel::backend::Backend>(
    migrations: &EmbeddedMigrations,
) -> BTreeSet<String> {
    MigrationSource::<DB>::migrations(migrations)
        .expect("embedded migrations")
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

#[test]
fn postgres_and_sqlite_migration_folders_have_the_same_names() {
    let postgres = folders("postgres");
    let sqlite = folders("sqlite");
    assert!(!postgres.is_empty(), "no migrations found");
    assert_eq!(
        postgres, sqlite,
        "migrations/postgres and migrations/sqlite must have the same folders"
    );
    // The binary embeds exactly those folders.
    assert_eq!(
        embedded_names::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS),
        postgres
    );
    assert_eq!(
        embedded_names::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS),
        sqlite
    );
}

/// Applies every migration, reverts them one by one (each `down.sql` must succeed), applies
/// them again, and reverts and re-applies the last one; returns how many there are.
fn down_then_up<C>(conn: &mut C, migrations: fn() -> EmbeddedMigrations) -> usize
where
    C: MigrationHarness<C::Backend> + diesel::Connection,
{
    let all = conn.run_pending_migrations(migrations()).expect("up").len();
    assert!(all > 0);
    for n in 0..all {
        conn.revert_last_migration(migrations())
            .unwrap_or_else(|e| panic!("down of migration {} from the end: {e}", n + 1));
    }
    assert!(
        conn.applied_migrations().expect("applied").is_empty(),
        "every migration reverted"
    );
    assert_eq!(
        conn.run_pending_migrations(migrations())
            .expect("up again")
            .len(),
        all
    );
    conn.revert_last_migration(migrations())
        .expect("down of the last");
    conn.run_next_migration(migrations())
        .expect("up of the last");
    assert!(!conn.has_pending_migration(migrations()).expect("pending"));
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_migrations_go_down_and_up_cleanly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("migrations.db");
    let url = format!("sqlite://{}", path.display());
    let file = path.to_str().expect("UTF-8 path").to_owned();
    tokio::task::spawn_blocking(move || {
        let sqlite = <diesel::sqlite::SqliteConnection as diesel::Connection>::establish(&file)
            .expect("open the SQLite file");
        let mut conn = AsyncConnectionWrapper::<SyncConnectionWrapper<_>>::from(
            SyncConnectionWrapper::new(sqlite),
        );
        down_then_up(&mut conn, || SQLITE_MIGRATIONS)
    })
    .await
    .expect("migration task");
    assert_the_schema_left_behind_works(&url).await;
}

#[test]
fn postgres_migrations_go_down_and_up_cleanly() {
    block_on_postgres(async {
        let (database, url) = new_postgres_database().await;
        let conn_url = url.clone();
        let result = tokio::task::spawn_blocking(move || {
            let conn = tokio::runtime::Handle::current()
                .block_on(AsyncPgConnection::establish(&conn_url))
                .expect("connect");
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
            down_then_up(&mut conn, || POSTGRES_MIGRATIONS)
        })
        .await;
        if result.is_ok() {
            assert_the_schema_left_behind_works(&url).await;
        }
        let admin = postgres_url().expect("TEST_DATABASE_URL");
        drop_postgres_database(&admin, &database).await;
        result.expect("migrations went down and up");
    });
}

/// After going down and up, nothing is pending and the schema takes a user.
async fn assert_the_schema_left_behind_works(url: &str) {
    let store = connect(url, PoolOptions::default()).await.expect("connect");
    assert!(
        store
            .run_migrations()
            .await
            .expect("nothing pending")
            .is_empty()
    );
    store.create_user(new_user("after")).await.expect("create");
}
