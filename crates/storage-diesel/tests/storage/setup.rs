//! Setting up the store: URL forms, SQLite files and pragmas, in-memory databases, timestamp
//! precision, and how an unreachable database is reported and recovered from.

use crate::support::{
    block_on_postgres, drop_postgres_database, fresh_postgres, new_postgres_database,
    postgres_admin, postgres_url,
};
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use rollcall_domain::contract::builders::{at_micros, new_user};
use rollcall_domain::entities::NewUser;
use rollcall_domain::ports::{BackendError, UserLookup, UserStore, UserStoreError};
use rollcall_storage_diesel::{DieselStore, PoolOptions, StorageError, connect};
use std::time::Duration;

#[tokio::test]
async fn unknown_url_schemes_are_refused_with_the_accepted_forms() {
    for url in [
        "mysql://root:secret@localhost/rollcall",
        "rollcall.db",
        "sqlite:x.db",
    ] {
        let error = connect(url, PoolOptions::default())
            .await
            .expect_err("refused");
        assert!(
            matches!(error, StorageError::UnsupportedScheme { .. }),
            "{url}: {error:?}"
        );
        let message = error.to_string();
        for accepted in [
            "postgres://",
            "postgresql://",
            "sqlite://",
            "sqlite::memory:",
        ] {
            assert!(message.contains(accepted), "{message}");
        }
        assert!(!message.contains("secret"), "{message}");
    }
}

#[derive(QueryableByName)]
struct Text1 {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_get_their_directory_and_wal() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("nested/deeper/rollcall.db");
    let store = migrated_sqlite_file(&path, PoolOptions::default()).await;
    store.create_user(new_user("alice")).await.expect("create");
    assert!(
        path.is_file(),
        "the database file and its directories exist"
    );
    // WAL is a property of the file: a new connection sees it.
    let mut probe =
        diesel::sqlite::SqliteConnection::establish(path.to_str().expect("UTF-8")).expect("open");
    let mode: Text1 = diesel::sql_query("PRAGMA journal_mode")
        .get_result(&mut probe)
        .expect("journal_mode");
    assert_eq!(mode.journal_mode, "wal");
    // Foreign keys are enforced: sessions of missing users are refused.
    let orphan = rollcall_domain::contract::builders::new_session(
        rollcall_domain::entities::UserId(999),
        "orphan",
        at_micros(1),
    );
    assert_eq!(
        rollcall_domain::ports::SessionStore::create_session(&store, orphan).await,
        Err(rollcall_domain::ports::SessionStoreError::UserNotFound)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_stores_are_migrated_and_private() {
    let one = connect("sqlite::memory:", PoolOptions::default())
        .await
        .expect("connect");
    let two = connect("sqlite::memory:", PoolOptions::default())
        .await
        .expect("connect");
    one.create_user(new_user("alice")).await.expect("create");
    assert_eq!(one.count_users().await.expect("count"), 1);
    assert_eq!(two.count_users().await.expect("count"), 0);
    // The free function accepts the URL (there is nothing lasting to migrate).
    rollcall_storage_diesel::run_migrations("sqlite::memory:")
        .await
        .expect("migrate");
}

/// Timestamps keep microseconds, including far from now, and read back equal.
async fn timestamps_round_trip(store: DieselStore) {
    let created = at_micros(987_654_321);
    let expires = chrono::DateTime::parse_from_rfc3339("2999-12-31T23:59:59.999999Z")
        .expect("date")
        .to_utc();
    let user = store
        .create_user(NewUser {
            created_at: created,
            expired_at: Some(expires),
            ..new_user("clock")
        })
        .await
        .expect("create");
    let found = store
        .find_user(&UserLookup::Id(user.id))
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.created_at, created);
    assert_eq!(found.updated_at, created);
    assert_eq!(found.expired_at, Some(expires));
    assert_eq!(found, user);
    // Sub-microsecond digits are dropped, not rounded.
    let ragged = created + chrono::Duration::nanoseconds(999);
    let other = store
        .create_user(NewUser {
            created_at: ragged,
            ..new_user("ragged")
        })
        .await
        .expect("create");
    assert_eq!(other.created_at, created);
}

/// After a bulk load the planner's statistics can be refreshed (outside any transaction, as
/// `VACUUM` needs on PostgreSQL), and the users are all still there.
async fn statistics_refresh_after_a_bulk_load(store: DieselStore) {
    let users: Vec<_> = (0..300).map(|n| new_user(&format!("bulk{n}"))).collect();
    store.create_users(users).await.expect("bulk load");
    store
        .refresh_statistics()
        .await
        .expect("refresh statistics");
    assert_eq!(store.count_users().await.expect("count"), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_statistics_refresh_after_a_bulk_load() {
    let fixture = crate::support::fresh_sqlite().await;
    crate::support::with_fixture(fixture, statistics_refresh_after_a_bulk_load).await;
}

#[test]
fn postgres_statistics_refresh_after_a_bulk_load() {
    block_on_postgres(async {
        let fixture = fresh_postgres().await;
        crate::support::with_fixture(fixture, statistics_refresh_after_a_bulk_load).await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_timestamps_keep_microseconds() {
    let store = connect("sqlite::memory:", PoolOptions::default())
        .await
        .expect("connect");
    timestamps_round_trip(store).await;
}

#[test]
fn postgres_timestamps_keep_microseconds() {
    block_on_postgres(async {
        let fixture = fresh_postgres().await;
        crate::support::with_fixture(fixture, timestamps_round_trip).await;
    });
}

#[test]
fn postgres_unreachable_server_is_a_connect_error() {
    block_on_postgres(async {
        let error = connect(
            "postgres://postgres@127.0.0.1:1/nothing",
            PoolOptions {
                connect_timeout: Duration::from_secs(2),
                ..PoolOptions::default()
            },
        )
        .await
        .expect_err("nothing listens on port 1");
        assert!(matches!(error, StorageError::Connect(_)), "{error:?}");
    });
}

/// Killed connections are replaced by the pool: the next request works. A database that is
/// gone is `Unavailable`, not `Internal`.
#[test]
fn postgres_lost_connections_recover_and_a_missing_database_is_unavailable() {
    block_on_postgres(async {
        let (database, url) = new_postgres_database().await;
        let store = connect(&url, PoolOptions::default())
            .await
            .expect("connect");
        store.run_migrations().await.expect("migrate");
        let alice = store.create_user(new_user("alice")).await.expect("create");
        let by_name = UserLookup::Username("alice".to_owned());
        // Point reads go over this thread's pipelined connection once it is open (it opens in
        // the background; the first reads use the pool).
        for _ in 0..20 {
            let found = store.find_user(&by_name).await.expect("read");
            assert_eq!(found.as_ref(), Some(&alice));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Kill the store's connections and wait (up to 5 s) until they are gone.
        postgres_admin(&format!(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
             WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        ))
        .await;
        // The pool finds its connections dead and opens new ones; a point read whose
        // pipelined connection died answers through the pool, and the next ones open another.
        for _ in 0..20 {
            let found = store.find_user(&by_name).await.expect("read after kill");
            assert_eq!(found.as_ref(), Some(&alice));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(store.count_users().await.expect("count after kill"), 1);
        store.ping().await.expect("ping after kill");

        let admin = postgres_url().expect("TEST_DATABASE_URL");
        drop_postgres_database(&admin, &database).await;
        let error = store
            .find_user(&UserLookup::Id(rollcall_domain::entities::UserId(1)))
            .await
            .expect_err("the database is gone");
        assert!(
            matches!(error, UserStoreError::Backend(BackendError::Unavailable(_))),
            "{error:?}"
        );
        assert!(matches!(
            store.ping().await,
            Err(BackendError::Unavailable(_))
        ));
    });
}

/// On a single-threaded runtime (as in an actix-web worker), a caller that stops waiting for
/// a SQLite write (here: a timeout while another connection holds the write lock) neither
/// panics nor cancels the write half-way: the write finishes once the lock is free, and the
/// store keeps working.
#[tokio::test(flavor = "current_thread")]
async fn a_dropped_call_on_a_single_threaded_runtime_completes_safely() {
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("rollcall.db");
    let store = migrated_sqlite_file(&path, PoolOptions::default()).await;

    let mut blocker =
        diesel::sqlite::SqliteConnection::establish(path.to_str().expect("UTF-8")).expect("open");
    blocker
        .batch_execute("BEGIN IMMEDIATE")
        .expect("take the write lock");
    let dropped = tokio::time::timeout(
        Duration::from_millis(200),
        store.create_user(new_user("late")),
    )
    .await;
    assert!(dropped.is_err(), "the write waited for the lock");
    blocker
        .batch_execute("COMMIT")
        .expect("release the write lock");

    let lookup = UserLookup::Username("late".into());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if store.find_user(&lookup).await.expect("find").is_some() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the write finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store
        .create_user(new_user("after"))
        .await
        .expect("the store still works");
}

/// When no pooled connection becomes free within `wait_timeout`, the request is
/// `Unavailable` (HTTP 503), and the store works again once connections are free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_free_connection_in_time_is_unavailable() {
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("rollcall.db");
    let options = PoolOptions {
        max_size: 1,
        wait_timeout: Duration::from_millis(200),
        ..PoolOptions::default()
    };
    let store = migrated_sqlite_file(&path, options).await;

    // Another connection holds the write lock, so a write holds the pool's only connection
    // while it waits for the lock.
    let mut blocker =
        diesel::sqlite::SqliteConnection::establish(path.to_str().expect("UTF-8")).expect("open");
    blocker
        .batch_execute("BEGIN IMMEDIATE")
        .expect("take the write lock");
    let write = {
        let store = store.clone();
        tokio::spawn(async move { store.create_user(new_user("waiting")).await })
    };
    // Until the write holds the connection, reads may still get it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    loop {
        match store.count_users().await {
            Err(UserStoreError::Backend(BackendError::Unavailable(_))) => break,
            Ok(_) => assert!(tokio::time::Instant::now() < deadline, "never unavailable"),
            Err(other) => panic!("unexpected error: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    blocker
        .batch_execute("COMMIT")
        .expect("release the write lock");
    write
        .await
        .expect("task")
        .expect("the waiting write succeeds");
    assert_eq!(store.count_users().await.expect("count"), 1);
}

/// A store on the SQLite file at `path`, connected with `options` and migrated.
async fn migrated_sqlite_file(path: &std::path::Path, options: PoolOptions) -> DieselStore {
    let store = connect(&format!("sqlite://{}", path.display()), options)
        .await
        .expect("connect");
    store.run_migrations().await.expect("migrate");
    store
}
