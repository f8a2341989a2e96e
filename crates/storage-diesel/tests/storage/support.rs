//! Fixtures: a fresh store per test, on a temporary SQLite file or in a new PostgreSQL
//! database, and the runtime helpers the PostgreSQL tests use to skip when no server is
//! configured.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rollcall_domain::contract::Fixture;
use rollcall_storage_diesel::{DieselStore, PoolOptions, connect};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tempfile::TempDir;

/// The environment variable naming the PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// Pool settings for tests: a few connections, so that concurrent calls overlap.
pub fn test_pool() -> PoolOptions {
    PoolOptions {
        max_size: 4,
        ..PoolOptions::default()
    }
}

/// A name unique to this process and call.
pub fn unique_suffix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A store on a new SQLite file in a temporary directory, removed on teardown.
pub struct SqliteFixture {
    /// The store.
    pub store: DieselStore,
    dir: TempDir,
}

/// A fresh, migrated SQLite store with a pool of `options`.
pub async fn sqlite_with(options: PoolOptions) -> SqliteFixture {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/db/rollcall.db", dir.path().display());
    let store = connect(&url, options).await.expect("connect to SQLite");
    store.run_migrations().await.expect("migrate SQLite");
    SqliteFixture { store, dir }
}

/// A fresh, migrated SQLite store (the contract kit's fixture).
pub async fn fresh_sqlite() -> SqliteFixture {
    sqlite_with(test_pool()).await
}

#[async_trait::async_trait]
impl Fixture for SqliteFixture {
    type Store = DieselStore;

    fn store(&self) -> DieselStore {
        self.store.clone()
    }

    async fn teardown(self) {
        drop(self.store);
        drop(self.dir);
    }
}

/// A store on a new PostgreSQL database, dropped on teardown.
pub struct PostgresFixture {
    /// The store.
    pub store: DieselStore,
    admin_url: String,
    database: String,
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

/// The PostgreSQL server of `TEST_DATABASE_URL`, if set.
pub fn postgres_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// Runs SQL on the administration database of `TEST_DATABASE_URL`.
pub async fn postgres_admin(sql: &str) {
    let admin_url = postgres_url().expect("TEST_DATABASE_URL");
    let mut admin = AsyncPgConnection::establish(&admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    diesel::sql_query(sql)
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A new, empty PostgreSQL database on the `TEST_DATABASE_URL` server: its name and URL.
pub async fn new_postgres_database() -> (String, String) {
    let admin_url = postgres_url().expect("TEST_DATABASE_URL");
    let database = format!("rollcall_test_{}", unique_suffix());
    postgres_admin(&format!("CREATE DATABASE {database}")).await;
    let url = with_database(&admin_url, &database);
    (database, url)
}

/// A fresh, migrated PostgreSQL store with a pool of `options`.
pub async fn postgres_with(options: PoolOptions) -> PostgresFixture {
    let admin_url = postgres_url().expect("TEST_DATABASE_URL");
    let (database, url) = new_postgres_database().await;
    let store = connect(&url, options).await.expect("connect to PostgreSQL");
    store.run_migrations().await.expect("migrate PostgreSQL");
    PostgresFixture {
        store,
        admin_url,
        database,
    }
}

/// A fresh, migrated PostgreSQL store (the contract kit's fixture).
pub async fn fresh_postgres() -> PostgresFixture {
    postgres_with(test_pool()).await
}

#[async_trait::async_trait]
impl Fixture for PostgresFixture {
    type Store = DieselStore;

    fn store(&self) -> DieselStore {
        self.store.clone()
    }

    async fn teardown(self) {
        drop(self.store);
        drop_postgres_database(&self.admin_url, &self.database).await;
    }
}

/// Drops a test database, disconnecting whoever is still on it.
pub async fn drop_postgres_database(admin_url: &str, database: &str) {
    let mut admin = AsyncPgConnection::establish(admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop the test database");
}

/// True when `TEST_DATABASE_URL` is set; otherwise prints the skip note of a PostgreSQL test.
pub fn postgres_tests_enabled() -> bool {
    let enabled = postgres_url().is_some();
    if !enabled {
        eprintln!("skipped: set {TEST_DATABASE_URL} to run the PostgreSQL tests");
    }
    enabled
}

/// A single-threaded runtime, as an HTTP worker runs.
pub fn single_threaded_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs a PostgreSQL test on a multi-threaded runtime, or prints a skip note and passes when
/// `TEST_DATABASE_URL` is not set. Also the `block_on` of the contract kit's PostgreSQL tests.
pub fn block_on_postgres<F: Future<Output = ()>>(test: F) {
    if !postgres_tests_enabled() {
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(test);
}

/// Runs `test` against a fixture and tears the fixture down even when the test panics.
pub async fn with_fixture<F, T, Fut>(fixture: F, test: T)
where
    F: Fixture,
    T: FnOnce(F::Store) -> Fut,
    Fut: Future<Output = ()>,
{
    rollcall_domain::contract::run_contract_test(fixture, test).await;
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
        "postgresql://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
