//! The store: a cheap-to-clone handle on one connection pool, PostgreSQL or SQLite, chosen by
//! the database URL. It implements every storage port (see the `users`, `sessions`,
//! `api_keys` and `configurations` modules).
//!
//! - PostgreSQL goes through diesel-async's native [`AsyncPgConnection`] (tokio-postgres, no
//!   libpq). Connections are checked with `SELECT 1` when taken from the pool, and a closed
//!   connection is never handed out again, so the store recovers by itself when the server
//!   comes back.
//! - SQLite goes through [`SyncConnectionWrapper<SqliteConnection>`] with the bundled library;
//!   every pooled connection gets `busy_timeout = 5000`, `foreign_keys = ON`,
//!   `synchronous = NORMAL` and, for files, `journal_mode = WAL`. Write transactions start
//!   with `BEGIN IMMEDIATE`, so a transaction never upgrades from reader to writer half-way.
//! - `sqlite::memory:` uses SQLite's `memdb` VFS under a process-unique name
//!   (`file:/rollcall-<pid>-<n>?vfs=memdb`): all pooled connections share that one database
//!   with ordinary locking (`busy_timeout` applies), and the store keeps one extra connection
//!   open so that the database lives exactly as long as the store. It is migrated on connect.

use crate::database_url::DatabaseUrl;
use crate::error::{StorageError, backend_error, pool_error};
use crate::hot_reads::InlineReaders;
use crate::pipelined::PipelinedReaders;
use diesel::connection::SimpleConnection;
use diesel::result::ConnectionError;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionResult};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::FutureExt;
use rollcall_domain::ports::BackendError;
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The SQLite connection type of the pool.
pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// How long a SQLite connection waits for a lock before giving up, in milliseconds.
pub const SQLITE_BUSY_TIMEOUT_MS: u32 = 5000;

/// Settings of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_size: usize,
    /// Longest time to open one connection.
    pub connect_timeout: Duration,
    /// Longest time a request waits for a connection (including opening it) before the store
    /// answers [`BackendError::Unavailable`].
    pub wait_timeout: Duration,
}

impl Default for PoolOptions {
    /// Ten connections, five seconds to connect, five seconds to wait.
    fn default() -> Self {
        Self {
            max_size: 10,
            connect_timeout: Duration::from_secs(5),
            wait_timeout: Duration::from_secs(5),
        }
    }
}

/// The connections of the hot point reads, beside the pool.
enum HotReaders {
    /// SQLite: read-only connections used inline on the calling thread (see `hot_reads`).
    Inline(Box<InlineReaders>),
    /// PostgreSQL: one connection per thread, pipelined (see `pipelined`).
    Pipelined(Box<PipelinedReaders>),
}

/// The pool of one backend.
pub(crate) enum Pools {
    /// PostgreSQL.
    Postgres(Pool<AsyncPgConnection>),
    /// SQLite.
    Sqlite(Pool<SqliteConn>),
}

/// The diesel storage adapter: implements `UserStore`, `SessionStore`, `ApiKeyStore` and
/// `ConfigurationStore` on PostgreSQL or SQLite. Clones share one pool.
#[derive(Clone)]
pub struct DieselStore {
    inner: Arc<Inner>,
}

struct Inner {
    pools: Pools,
    wait_timeout: Duration,
    /// The connections of the hot point reads, outside the pool.
    readers: HotReaders,
    /// For `sqlite::memory:`: keeps the in-memory database alive as long as the store.
    _memory_keeper: Option<Mutex<SqliteConnection>>,
}

impl fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match &self.inner.pools {
            Pools::Postgres(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        };
        f.debug_struct("DieselStore")
            .field("backend", &self.backend_name())
            .field("pool_size", &status.size)
            .field("pool_max_size", &status.max_size)
            .finish()
    }
}

/// A snapshot of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open (idle or in use).
    pub open: usize,
    /// Connections open and idle.
    pub idle: usize,
    /// The pool's ceiling.
    pub max: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
}

/// Opens a pool on `url` and checks that one connection works. The backend is chosen by the
/// scheme: `postgres://…` or `postgresql://…`, `sqlite://<path>` (the file and its directory
/// are created when missing) or `sqlite::memory:` (migrated here, since nothing else can
/// reach it).
///
/// # Errors
/// [`StorageError::UnsupportedScheme`] / [`StorageError::InvalidUrl`] for a bad URL,
/// [`StorageError::CreateDirectory`] when the SQLite file's directory cannot be made,
/// [`StorageError::Connect`] when no connection can be opened,
/// [`StorageError::Migration`] when migrating an in-memory database fails.
pub async fn connect(url: &str, options: PoolOptions) -> Result<DieselStore, StorageError> {
    let parsed = DatabaseUrl::parse(url)?;
    let store = match &parsed {
        DatabaseUrl::Postgres(url) => DieselStore::new(
            Pools::Postgres(postgres_pool(url, &options)?),
            &options,
            HotReaders::Pipelined(Box::new(PipelinedReaders::new(
                url,
                options.connect_timeout,
            ))),
            None,
        ),
        DatabaseUrl::SqliteFile(path) => {
            create_parent_directory(path)?;
            let path = path
                .to_str()
                .ok_or_else(|| StorageError::InvalidUrl("the path is not UTF-8".to_owned()))?;
            DieselStore::new(
                Pools::Sqlite(sqlite_pool(path, SqliteKind::File, &options)?),
                &options,
                HotReaders::Inline(Box::new(InlineReaders::new(path))),
                None,
            )
        }
        DatabaseUrl::SqliteMemory => {
            let uri = memory_uri();
            let keeper_uri = uri.clone();
            let keeper =
                tokio::task::spawn_blocking(move || SqliteConnection::establish(&keeper_uri))
                    .await
                    .map_err(|e| StorageError::Connect(e.to_string()))?
                    .map_err(|e| StorageError::Connect(e.to_string()))?;
            DieselStore::new(
                Pools::Sqlite(sqlite_pool(&uri, SqliteKind::Memory, &options)?),
                &options,
                HotReaders::Inline(Box::new(InlineReaders::new(&uri))),
                Some(keeper),
            )
        }
    };
    store
        .ping()
        .await
        .map_err(|e| StorageError::Connect(e.to_string()))?;
    if parsed == DatabaseUrl::SqliteMemory {
        store.run_migrations().await?;
    }
    tracing::info!(
        backend = parsed.backend_name(),
        max_connections = options.max_size,
        "database pool ready"
    );
    Ok(store)
}

impl DieselStore {
    fn new(
        pools: Pools,
        options: &PoolOptions,
        readers: HotReaders,
        keeper: Option<SqliteConnection>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pools,
                wait_timeout: options.wait_timeout,
                readers,
                _memory_keeper: keeper.map(Mutex::new),
            }),
        }
    }

    /// The connection pool now: connections open, idle and at most, and callers waiting for
    /// one (for `/metrics`).
    pub fn pool_status(&self) -> PoolStatus {
        let status = match &self.inner.pools {
            Pools::Postgres(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        };
        PoolStatus {
            open: status.size,
            idle: status.available,
            max: status.max_size,
            waiting: status.waiting,
        }
    }

    /// `postgres` or `sqlite`.
    pub fn backend_name(&self) -> &'static str {
        match self.inner.pools {
            Pools::Postgres(_) => "postgres",
            Pools::Sqlite(_) => "sqlite",
        }
    }

    /// Readiness: runs `SELECT 1` on a pooled connection.
    ///
    /// # Errors
    /// [`BackendError::Unavailable`] when the database cannot be reached in time,
    /// [`BackendError::Internal`] for anything else.
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.detached(move |store| async move {
            with_connection!(store, |conn, _Db| {
                diesel::sql_query("SELECT 1").execute(conn).await
            })
            .map(drop)
            .map_err(backend_error)
        })
        .await
    }

    /// Writes a consistent copy of a SQLite database to `path` with `VACUUM INTO`: one read
    /// transaction, so writers carry on meanwhile and the copy holds exactly the transactions
    /// committed before it started, already compacted. The file must not exist.
    ///
    /// # Errors
    /// [`BackendError::Internal`] on PostgreSQL (use `pg_dump`), for a path that is not UTF-8,
    /// or when SQLite cannot write the copy; [`BackendError::Unavailable`] when no connection
    /// is free in time.
    pub async fn backup_into(&self, path: &std::path::Path) -> Result<(), BackendError> {
        if matches!(self.pools(), Pools::Postgres(_)) {
            return Err(BackendError::Internal(
                "backups of PostgreSQL databases are made with pg_dump".into(),
            ));
        }
        let target = path
            .to_str()
            .ok_or_else(|| BackendError::Internal("the backup path is not UTF-8".into()))?
            .to_owned();
        self.detached(move |store| async move {
            with_connection!(store, |conn, _Db| {
                diesel::sql_query("VACUUM INTO ?")
                    .bind::<diesel::sql_types::Text, _>(target)
                    .execute(conn)
                    .await
            })
            .map(drop)
            .map_err(backend_error)
        })
        .await
    }

    /// Refreshes what the query planner knows about the data, after a bulk load: on
    /// PostgreSQL `VACUUM (ANALYZE) users` (statistics, and the visibility map that lets index-
    /// only scans skip the table), on SQLite `PRAGMA optimize`. Not needed in normal running
    /// (autovacuum; SQLite plans without statistics).
    ///
    /// # Errors
    /// [`BackendError::Unavailable`] when the database cannot be reached in time,
    /// [`BackendError::Internal`] for anything else.
    pub async fn refresh_statistics(&self) -> Result<(), BackendError> {
        self.detached(move |store| async move {
            let sql = match store.pools() {
                Pools::Postgres(_) => "VACUUM (ANALYZE) users",
                Pools::Sqlite(_) => "PRAGMA optimize",
            };
            with_connection!(store, |conn, _Db| {
                diesel::sql_query(sql).execute(conn).await
            })
            .map(drop)
            .map_err(backend_error)
        })
        .await
    }

    /// Applies the pending embedded migrations of the store's backend, through diesel-async's
    /// `AsyncConnectionWrapper`; returns the versions applied. On PostgreSQL a session-level
    /// advisory lock makes instances that start together migrate one after the other.
    ///
    /// # Errors
    /// [`StorageError::Connect`] when no connection is available,
    /// [`StorageError::Migration`] when a migration fails (it is rolled back).
    pub async fn run_migrations(&self) -> Result<Vec<String>, StorageError> {
        let connect = |e: BackendError| StorageError::Connect(e.to_string());
        let applied = match self.pools() {
            Pools::Postgres(pool) => {
                let conn = Object::take(
                    postgres_connection(pool, self.wait_timeout())
                        .await
                        .map_err(connect)?,
                );
                crate::migrations::run_postgres(conn).await?
            }
            Pools::Sqlite(pool) => {
                let conn = Object::take(
                    sqlite_connection(pool, self.wait_timeout())
                        .await
                        .map_err(connect)?,
                );
                crate::migrations::run_sqlite(conn).await?
            }
        };
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "database migrated");
        }
        Ok(applied)
    }

    /// Runs one storage operation in a task of its own and waits for it. When the caller stops
    /// waiting (a dropped request, a timeout), the operation still runs to its end instead of
    /// being cancelled half-way: diesel-async's SQLite wrapper cannot be cancelled on a
    /// single-threaded runtime such as an actix-web worker (it would block in place and
    /// panic), and no pooled connection is left inside an open transaction. A panic in the
    /// operation becomes [`BackendError::Internal`].
    pub(crate) async fn detached<T, E, F, Fut>(&self, operation: F) -> Result<T, E>
    where
        F: FnOnce(DieselStore) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<BackendError> + Send + 'static,
    {
        tokio::spawn(operation(self.clone()))
            .await
            .unwrap_or_else(|e| {
                Err(BackendError::Internal(format!("storage task failed: {e}")).into())
            })
    }

    /// SQLite: the inline readers of the hot point reads (see `hot_reads`).
    pub(crate) fn inline(&self) -> Option<&InlineReaders> {
        match &self.inner.readers {
            HotReaders::Inline(readers) => Some(readers),
            HotReaders::Pipelined(_) => None,
        }
    }

    /// PostgreSQL: the pipelined readers of the hot point reads (see `pipelined`).
    pub(crate) fn pipelined(&self) -> Option<&PipelinedReaders> {
        match &self.inner.readers {
            HotReaders::Pipelined(readers) => Some(readers),
            HotReaders::Inline(_) => None,
        }
    }

    /// The pool.
    pub(crate) fn pools(&self) -> &Pools {
        &self.inner.pools
    }

    /// How long to wait for a pooled connection.
    pub(crate) fn wait_timeout(&self) -> Duration {
        self.inner.wait_timeout
    }
}

/// Opens a store on `url` just long enough to apply the pending migrations; returns the
/// versions applied. The server calls this at start-up unless told not to. (An in-memory
/// SQLite database is private to its store, which migrates it on [`connect`]; here it would
/// only migrate a database that is dropped at once.)
///
/// # Errors
/// As [`connect`] and [`DieselStore::run_migrations`].
pub async fn run_migrations(url: &str) -> Result<Vec<String>, StorageError> {
    let store = connect(
        url,
        PoolOptions {
            max_size: 1,
            ..PoolOptions::default()
        },
    )
    .await?;
    store.run_migrations().await
}

/// A PostgreSQL connection from the pool, or [`BackendError::Unavailable`] in time.
pub(crate) async fn postgres_connection(
    pool: &Pool<AsyncPgConnection>,
    wait: Duration,
) -> Result<Object<AsyncPgConnection>, BackendError> {
    match tokio::time::timeout(wait, pool.get()).await {
        Ok(result) => result.map_err(pool_error),
        Err(_) => Err(pool_error(format!("none free within {wait:?}"))),
    }
}

/// A SQLite connection from the pool, or [`BackendError::Unavailable`] in time.
pub(crate) async fn sqlite_connection(
    pool: &Pool<SqliteConn>,
    wait: Duration,
) -> Result<Object<SqliteConn>, BackendError> {
    match tokio::time::timeout(wait, pool.get()).await {
        Ok(result) => result.map_err(pool_error),
        Err(_) => Err(pool_error(format!("none free within {wait:?}"))),
    }
}

fn postgres_pool(
    url: &str,
    options: &PoolOptions,
) -> Result<Pool<AsyncPgConnection>, StorageError> {
    let connect_timeout = options.connect_timeout;
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    config.recycling_method = RecyclingMethod::Verified;
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        async move {
            tokio::time::timeout(connect_timeout, AsyncPgConnection::establish(&url))
                .await
                .unwrap_or_else(|_| Err(connect_timed_out(connect_timeout)))
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(options.max_size)
        .build()
        .map_err(|e| StorageError::Connect(e.to_string()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqliteKind {
    File,
    Memory,
}

fn sqlite_pool(
    target: &str,
    kind: SqliteKind,
    options: &PoolOptions,
) -> Result<Pool<SqliteConn>, StorageError> {
    let connect_timeout = options.connect_timeout;
    let mut config = ManagerConfig::<SqliteConn>::default();
    // A SQLite connection does not drop like a socket; the broken-transaction check that the
    // pool always makes is enough.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |target| {
        let target = target.to_owned();
        async move {
            let open = tokio::task::spawn_blocking(move || open_sqlite(&target, kind));
            match tokio::time::timeout(connect_timeout, open).await {
                Ok(Ok(result)) => result,
                Ok(Err(join)) => Err(ConnectionError::BadConnection(join.to_string())),
                Err(_) => Err(connect_timed_out(connect_timeout)),
            }
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(target, config);
    Pool::builder(manager)
        .max_size(options.max_size)
        .build()
        .map_err(|e| StorageError::Connect(e.to_string()))
}

/// Opens one SQLite connection and sets its pragmas (`busy_timeout` first, so that switching
/// to WAL waits for other connections instead of failing).
fn open_sqlite(target: &str, kind: SqliteKind) -> ConnectionResult<SqliteConn> {
    let mut conn = SqliteConnection::establish(target)?;
    let mut pragmas = format!(
        "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; \
         PRAGMA synchronous = NORMAL;"
    );
    if kind == SqliteKind::File {
        pragmas.push_str(" PRAGMA journal_mode = WAL;");
    }
    conn.batch_execute(&pragmas)
        .map_err(|e| ConnectionError::BadConnection(format!("setting SQLite pragmas: {e}")))?;
    Ok(SyncConnectionWrapper::new(conn))
}

pub(crate) fn connect_timed_out(timeout: Duration) -> ConnectionError {
    ConnectionError::BadConnection(format!("no connection within {timeout:?}"))
}

fn create_parent_directory(path: &Path) -> Result<(), StorageError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDirectory {
                path: dir.to_owned(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// A name for a new in-memory database, unique within the process (the `memdb` namespace).
fn memory_uri() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("file:/rollcall-{}-{n}?vfs=memdb", std::process::id())
}

/// Runs `$body` with `$conn` bound to a pooled connection of the store's backend and `$db`
/// naming that backend (`diesel::pg::Pg` or `diesel::sqlite::Sqlite`). The body is written
/// once and compiled for each backend. A pool failure returns early with
/// [`BackendError::Unavailable`] (converted with `?`).
macro_rules! with_connection {
    ($store:expr, |$conn:ident, $db:ident| $body:expr) => {
        match $store.pools() {
            $crate::store::Pools::Postgres(pool) => {
                #[allow(dead_code)]
                type $db = ::diesel::pg::Pg;
                let mut pooled =
                    $crate::store::postgres_connection(pool, $store.wait_timeout()).await?;
                let $conn: &mut ::diesel_async::AsyncPgConnection = &mut pooled;
                $body
            }
            $crate::store::Pools::Sqlite(pool) => {
                #[allow(dead_code)]
                type $db = ::diesel::sqlite::Sqlite;
                let mut pooled =
                    $crate::store::sqlite_connection(pool, $store.wait_timeout()).await?;
                let $conn: &mut $crate::store::SqliteConn = &mut pooled;
                $body
            }
        }
    };
}

/// Runs `$body` in a write transaction on a pooled connection: `BEGIN` on PostgreSQL,
/// `BEGIN IMMEDIATE` on SQLite (the write lock is taken first, so concurrent writers queue on
/// `busy_timeout` instead of failing with "database is locked"). The body returns
/// `Result<_, E>` with `E: From<diesel::result::Error>`; an error rolls back.
macro_rules! in_write_transaction {
    ($store:expr, |$conn:ident, $db:ident| $body:expr) => {
        match $store.pools() {
            $crate::store::Pools::Postgres(pool) => {
                #[allow(dead_code)]
                type $db = ::diesel::pg::Pg;
                let mut pooled =
                    $crate::store::postgres_connection(pool, $store.wait_timeout()).await?;
                ::diesel_async::AsyncConnection::transaction(
                    &mut *pooled,
                    async |$conn: &mut ::diesel_async::AsyncPgConnection| $body,
                )
                .await
            }
            $crate::store::Pools::Sqlite(pool) => {
                #[allow(dead_code)]
                type $db = ::diesel::sqlite::Sqlite;
                let mut pooled =
                    $crate::store::sqlite_connection(pool, $store.wait_timeout()).await?;
                pooled
                    .immediate_transaction(async |$conn: &mut $crate::store::SqliteConn| $body)
                    .await
            }
        }
    };
}

pub(crate) use {in_write_transaction, with_connection};
