//! Concurrency acceptance tests beyond the kit, with real parallelism (spawned tasks on a
//! multi-threaded runtime): one winner among concurrent creates of one username, no "database
//! is locked" under many SQLite writers, and the last-admin invariant under racing demotions.

use crate::support::{
    block_on_postgres, fresh_postgres, fresh_sqlite, postgres_with, sqlite_with, with_fixture,
};
use rollcall_domain::contract::builders::{at, change, new_admin, new_session, new_user};
use rollcall_domain::entities::{UserChanges, UserId};
use rollcall_domain::listing::{PageRequest, UserQuery};
use rollcall_domain::ports::{SessionStore, UniqueUserField, UserStore, UserStoreError};
use rollcall_domain::values::Username;
use rollcall_storage_diesel::{DieselStore, PoolOptions};

/// 50 concurrent creates of one username (in varying case): exactly one succeeds, every
/// other one is `Taken(Username)`.
async fn one_username_one_winner(store: DieselStore) {
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            let name = if i % 2 == 0 { "racer" } else { "RACER" };
            tokio::spawn(async move { store.create_user(new_user(name)).await })
        })
        .collect();
    let mut created = 0;
    let mut taken = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => created += 1,
            Err(UserStoreError::Taken(UniqueUserField::Username)) => taken += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((created, taken), (1, 49));
    assert_eq!(store.count_users().await.expect("count"), 1);
}

/// 32 concurrent writers, each creating users and updating them and their sessions, all
/// succeed (no "database is locked"): writes queue on `BEGIN IMMEDIATE` and `busy_timeout`.
async fn many_writers_no_errors(store: DieselStore) {
    let tasks: Vec<_> = (0..32)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0..4 {
                    let user = store
                        .create_user(new_user(&format!("w{writer}n{n}")))
                        .await
                        .expect("create");
                    store
                        .create_session(new_session(
                            user.id,
                            &format!("token-{writer}-{n}"),
                            at(600),
                        ))
                        .await
                        .expect("session");
                    let renamed = UserChanges {
                        username: Some(
                            Username::parse(&format!("w{writer}n{n}x")).expect("username"),
                        ),
                        enabled: Some(n % 2 == 0),
                        ..UserChanges::default()
                    };
                    store
                        .update_user(user.id, change(renamed, at(n)))
                        .await
                        .expect("update");
                    store.list_users(&UserQuery::default()).await.expect("list");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("writer finished without error");
    }
    assert_eq!(store.count_users().await.expect("count"), 128);
}

/// Racing removals of the last two admins, round after round: every round exactly one
/// removal succeeds, the other is `LastAdmin`, and exactly one active admin is left.
async fn racing_demotions_keep_one_admin(store: DieselStore) {
    let a = store.create_user(new_admin("admin-a")).await.expect("a");
    let b = store.create_user(new_admin("admin-b")).await.expect("b");
    let now = at(10);
    for round in 0..12 {
        let removal = |id: UserId, kind: usize| {
            let store = store.clone();
            let changes = match kind % 3 {
                0 => UserChanges {
                    is_admin: Some(false),
                    ..UserChanges::default()
                },
                1 => UserChanges {
                    enabled: Some(false),
                    ..UserChanges::default()
                },
                _ => UserChanges {
                    expired_at: Some(Some(now)),
                    ..UserChanges::default()
                },
            };
            tokio::spawn(async move { store.update_user(id, change(changes, now)).await })
        };
        let (ra, rb) = (removal(a.id, round), removal(b.id, round + 1));
        let results = [ra.await.expect("task"), rb.await.expect("task")];
        let succeeded = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(UserStoreError::LastAdmin)))
            .count();
        assert_eq!((succeeded, refused), (1, 1), "round {round}: {results:?}");
        assert_eq!(active_admins(&store, now).await, 1, "round {round}");
        // Restore the one that lost its rights for the next round.
        let restore = UserChanges {
            is_admin: Some(true),
            enabled: Some(true),
            expired_at: Some(None),
            ..UserChanges::default()
        };
        for id in [a.id, b.id] {
            store
                .update_user(id, change(restore.clone(), now))
                .await
                .expect("restore");
        }
    }
    // A delete racing a demotion obeys the same rule.
    let delete = {
        let store = store.clone();
        tokio::spawn(async move { store.delete_user(a.id, now).await })
    };
    let demote = {
        let store = store.clone();
        let changes = UserChanges {
            is_admin: Some(false),
            ..UserChanges::default()
        };
        tokio::spawn(async move { store.update_user(b.id, change(changes, now)).await })
    };
    let (deleted, demoted) = (delete.await.expect("task"), demote.await.expect("task"));
    assert!(
        deleted.is_ok() != demoted.is_ok(),
        "exactly one may succeed: {deleted:?} {demoted:?}"
    );
    assert_eq!(active_admins(&store, now).await, 1);
}

async fn active_admins(store: &DieselStore, now: chrono::DateTime<chrono::Utc>) -> usize {
    let query = UserQuery {
        page: PageRequest::new(PageRequest::MAX_LIMIT, 0),
        ..UserQuery::default()
    };
    store
        .list_users(&query)
        .await
        .expect("list")
        .items
        .iter()
        .filter(|u| u.is_active_admin(now))
        .count()
}

/// A pool with more connections than the default test pool, so that writers truly overlap.
fn writers_pool() -> PoolOptions {
    PoolOptions {
        max_size: 8,
        ..PoolOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_creates_of_one_username_give_one_success() {
    with_fixture(fresh_sqlite().await, one_username_one_winner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_32_concurrent_writers_finish_without_errors() {
    with_fixture(sqlite_with(writers_pool()).await, many_writers_no_errors).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_racing_demotions_keep_one_admin() {
    with_fixture(fresh_sqlite().await, racing_demotions_keep_one_admin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_in_memory_store_is_shared_by_its_pool_under_concurrency() {
    let store = rollcall_storage_diesel::connect("sqlite::memory:", writers_pool())
        .await
        .expect("in-memory store");
    many_writers_no_errors(store.clone()).await;
    // Another in-memory store is another database.
    let other = rollcall_storage_diesel::connect("sqlite::memory:", writers_pool())
        .await
        .expect("second in-memory store");
    assert_eq!(other.count_users().await.expect("count"), 0);
    assert_eq!(store.count_users().await.expect("count"), 128);
}

#[test]
fn postgres_concurrent_creates_of_one_username_give_one_success() {
    block_on_postgres(async {
        with_fixture(fresh_postgres().await, one_username_one_winner).await;
    });
}

#[test]
fn postgres_32_concurrent_writers_finish_without_errors() {
    block_on_postgres(async {
        with_fixture(postgres_with(writers_pool()).await, many_writers_no_errors).await;
    });
}

#[test]
fn postgres_racing_demotions_keep_one_admin() {
    block_on_postgres(async {
        with_fixture(fresh_postgres().await, racing_demotions_keep_one_admin).await;
    });
}
