//! Coherence of the authentication reads: a write through one store handle (another
//! instance) or a plain SQLite connection (another process) is seen by the very next read
//! through another handle, whose point reads run inline on SQLite. Nothing is cached.

use crate::support::{
    block_on_postgres, drop_postgres_database, new_postgres_database, postgres_tests_enabled,
    postgres_url, single_threaded_runtime, test_pool,
};
use diesel::{Connection, RunQueryDsl};
use rollcall_domain::contract::builders::{
    at, key_identifier, new_admin, new_api_key, new_session, new_user, password_hash,
};
use rollcall_domain::entities::{SessionRevocation, UserChanges, UserUpdate};
use rollcall_domain::ports::{ApiKeyStore, SessionStore, UserLookup, UserStore};
use rollcall_domain::secrets::TokenDigest;
use rollcall_storage_diesel::{DieselStore, connect};

fn change(changes: UserChanges, seconds: i64) -> UserUpdate {
    UserUpdate {
        changes,
        revoke_sessions: SessionRevocation::None,
        now: at(seconds),
    }
}

/// Every change through `writer` is seen at once through `reader`.
async fn writes_are_seen_by_the_next_read(writer: DieselStore, reader: DieselStore) {
    writer.create_user(new_admin("root")).await.expect("root");
    let alice = writer.create_user(new_user("alice")).await.expect("alice");
    writer
        .create_session(new_session(alice.id, "alice-token", at(86_400)))
        .await
        .expect("session");
    let key = writer
        .create_api_key(new_api_key(alice.id, &key_identifier(7)))
        .await
        .expect("key");
    let digest = TokenDigest::of("alice-token");
    let by_name = UserLookup::Username("ALICE".to_owned());

    // Warm the reader's connections and statements first, so that nothing below is a first read.
    assert_eq!(
        reader.find_user(&by_name).await.expect("read"),
        Some(alice.clone())
    );
    let (_, owner) = reader
        .find_session_and_owner(&digest)
        .await
        .expect("read")
        .expect("session found");
    assert!(owner.enabled);

    // A password change.
    let new_hash = password_hash("changed");
    writer
        .update_user(
            alice.id,
            change(
                UserChanges {
                    password_hash: Some(new_hash.clone()),
                    ..UserChanges::default()
                },
                10,
            ),
        )
        .await
        .expect("change password");
    let seen = reader
        .find_user(&by_name)
        .await
        .expect("read")
        .expect("alice");
    assert_eq!(seen.password_hash, Some(new_hash));

    // Disabling: the joined reads see the owner disabled (the writer also ends her sessions).
    writer
        .update_user(
            alice.id,
            change(
                UserChanges {
                    enabled: Some(false),
                    ..UserChanges::default()
                },
                20,
            ),
        )
        .await
        .expect("disable");
    assert_eq!(
        reader.find_session_and_owner(&digest).await.expect("read"),
        None,
        "a disabled user's sessions are gone"
    );
    let (_, owner) = reader
        .find_api_key_and_owner(&key.identifier)
        .await
        .expect("read")
        .expect("keys stay");
    assert!(!owner.enabled, "the key's owner is seen disabled");

    // Revoking a key.
    writer
        .delete_api_key(alice.id, key.id)
        .await
        .expect("revoke");
    assert_eq!(
        reader
            .find_api_key_and_owner(&key.identifier)
            .await
            .expect("read"),
        None
    );

    // Deleting the user.
    writer.delete_user(alice.id, at(30)).await.expect("delete");
    assert_eq!(reader.find_user(&by_name).await.expect("read"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_handles_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/rollcall.db", dir.path().display());
    let writer = connect(&url, test_pool()).await.expect("writer");
    writer.run_migrations().await.expect("migrate");
    let reader = connect(&url, test_pool()).await.expect("reader");
    writes_are_seen_by_the_next_read(writer, reader).await;
}

/// Another process writing the file with plain SQL: the inline reader sees it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writes_from_another_connection_are_seen_at_once() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("rollcall.db");
    let url = format!("sqlite://{}", path.display());
    let store = connect(&url, test_pool()).await.expect("store");
    store.run_migrations().await.expect("migrate");
    store.create_user(new_admin("root")).await.expect("root");
    let bob = store.create_user(new_user("bob")).await.expect("bob");
    store
        .create_session(new_session(bob.id, "bob-token", at(86_400)))
        .await
        .expect("session");
    let digest = TokenDigest::of("bob-token");
    assert!(
        store
            .find_session_and_owner(&digest)
            .await
            .expect("read")
            .is_some()
    );

    let path = path.to_str().expect("UTF-8 path").to_owned();
    let mut other = diesel::SqliteConnection::establish(&path).expect("plain connection");
    diesel::sql_query("UPDATE users SET enabled = 0 WHERE username = 'bob'")
        .execute(&mut other)
        .expect("disable bob");
    let (_, owner) = store
        .find_session_and_owner(&digest)
        .await
        .expect("read")
        .expect("the session row is still there");
    assert!(!owner.enabled, "the disable is seen by the next read");
    diesel::sql_query("DELETE FROM sessions")
        .execute(&mut other)
        .expect("end sessions");
    assert_eq!(
        store.find_session_and_owner(&digest).await.expect("read"),
        None
    );
}

#[test]
fn postgres_handles_on_one_database_see_each_others_writes() {
    block_on_postgres(async {
        let admin_url = postgres_url().expect("TEST_DATABASE_URL");
        let (database, url) = new_postgres_database().await;
        let writer = connect(&url, test_pool()).await.expect("writer");
        writer.run_migrations().await.expect("migrate");
        let reader = connect(&url, test_pool()).await.expect("reader");
        writes_are_seen_by_the_next_read(writer, reader).await;
        drop_postgres_database(&admin_url, &database).await;
    });
}

/// Many point reads in flight at once on one thread (as in an HTTP worker) are batched: on
/// SQLite into one read transaction of the thread's inline connection, on PostgreSQL into one
/// statement per kind over the thread's pipelined connection. Each gets its own answer, found
/// or not, and a write between two waves is seen by the second.
async fn concurrent_point_reads_on_one_thread_get_their_own_answers(store: DieselStore) {
    let mut users = Vec::new();
    for n in 0..8 {
        let user = store
            .create_user(new_user(&format!("user{n}")))
            .await
            .expect("user");
        store
            .create_session(new_session(user.id, &format!("token-{n}"), at(86_400)))
            .await
            .expect("session");
        store
            .create_api_key(new_api_key(user.id, &key_identifier(n)))
            .await
            .expect("key");
        users.push(user);
    }
    let wave = |store: DieselStore| async move {
        let reads = (0..96).map(|i| {
            let store = store.clone();
            async move {
                // Tokens, keys and names 8 and 9 do not exist; each read takes its turn.
                let n = (i / 3) % 10;
                let found = match i % 3 {
                    0 => store
                        .find_session_and_owner(&TokenDigest::of(&format!("token-{n}")))
                        .await
                        .expect("read")
                        .map(|(_, owner)| owner),
                    1 => store
                        .find_api_key_and_owner(&key_identifier(n as u64))
                        .await
                        .expect("read")
                        .map(|(_, owner)| owner),
                    _ => store
                        .find_user(&UserLookup::Username(format!("USER{n}")))
                        .await
                        .expect("read"),
                };
                (i, n, found)
            }
        });
        futures_util::future::join_all(reads).await
    };
    // On PostgreSQL the first wave opens the thread's connection; give it a moment.
    wave(store.clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for (i, n, owner) in wave(store.clone()).await {
        match users.get(n) {
            Some(user) => assert_eq!(owner.as_ref(), Some(user), "read {i}"),
            None => assert_eq!(owner, None, "read {i}"),
        }
    }
    store
        .update_user(
            users[3].id,
            change(
                UserChanges {
                    enabled: Some(false),
                    ..UserChanges::default()
                },
                10,
            ),
        )
        .await
        .expect("disable");
    for (i, n, owner) in wave(store.clone()).await {
        match users.get(n) {
            // Disabling ends the user's sessions or, at least, shows the owner disabled.
            Some(_) if n == 3 => assert!(owner.is_none_or(|o| !o.enabled), "read {i}"),
            Some(user) => assert_eq!(owner.as_ref(), Some(user), "read {i}"),
            None => assert_eq!(owner, None, "read {i}"),
        }
    }
}

#[test]
fn sqlite_concurrent_point_reads_on_one_thread_get_their_own_answers() {
    single_threaded_runtime().block_on(async {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}/rollcall.db", dir.path().display());
        let store = connect(&url, test_pool()).await.expect("store");
        store.run_migrations().await.expect("migrate");
        concurrent_point_reads_on_one_thread_get_their_own_answers(store).await;
    });
}

#[test]
fn postgres_concurrent_point_reads_on_one_thread_get_their_own_answers() {
    if !postgres_tests_enabled() {
        return;
    }
    single_threaded_runtime().block_on(async {
        let admin_url = postgres_url().expect("TEST_DATABASE_URL");
        let (database, url) = new_postgres_database().await;
        let store = connect(&url, test_pool()).await.expect("store");
        store.run_migrations().await.expect("migrate");
        concurrent_point_reads_on_one_thread_get_their_own_answers(store).await;
        drop_postgres_database(&admin_url, &database).await;
    });
}

/// A runtime that stops while batched reads are in flight leaves nothing behind that a later
/// runtime on the same thread would wait for: its reads answer (through a fresh connection or
/// the pool), none hangs. `url` names a database with nothing in it yet.
fn reads_on_a_thread_whose_runtime_stopped_mid_batch_still_answer(url: &str) {
    let reads = |store: DieselStore| async move {
        let reads = (0..32).map(|_| {
            let store = store.clone();
            async move {
                store
                    .find_session_and_owner(&TokenDigest::of("alice-token"))
                    .await
            }
        });
        futures_util::future::join_all(reads).await
    };
    let first = single_threaded_runtime();
    let (store, alice) = first.block_on(async {
        let store = connect(url, test_pool()).await.expect("store");
        store.run_migrations().await.expect("migrate");
        let alice = store.create_user(new_user("alice")).await.expect("alice");
        store
            .create_session(new_session(alice.id, "alice-token", at(86_400)))
            .await
            .expect("session");
        // Let the thread's connection open, then stop while a wave of reads is in flight.
        reads(store.clone()).await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let cut = tokio::time::timeout(std::time::Duration::from_micros(50), reads(store.clone()));
        let _ = cut.await;
        (store, alice)
    });
    drop(first);
    let second = single_threaded_runtime();
    second.block_on(async {
        for _ in 0..3 {
            let answers =
                tokio::time::timeout(std::time::Duration::from_secs(20), reads(store.clone()))
                    .await
                    .expect("no read waits forever");
            // The pool's connections died with the first runtime too; a read may report that
            // once (an error), but it answers.
            for found in answers.into_iter().flatten() {
                assert_eq!(found.map(|(_, owner)| owner.id), Some(alice.id));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let last = store
            .find_session_and_owner(&TokenDigest::of("alice-token"))
            .await
            .expect("the store works again");
        assert_eq!(last.map(|(_, owner)| owner.id), Some(alice.id));
    });
}

#[test]
fn sqlite_reads_on_a_thread_whose_runtime_stopped_mid_batch_still_answer() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/rollcall.db", dir.path().display());
    reads_on_a_thread_whose_runtime_stopped_mid_batch_still_answer(&url);
}

#[test]
fn postgres_reads_on_a_thread_whose_runtime_stopped_mid_batch_still_answer() {
    if !postgres_tests_enabled() {
        return;
    }
    let (database, url) = single_threaded_runtime().block_on(new_postgres_database());
    reads_on_a_thread_whose_runtime_stopped_mid_batch_still_answer(&url);
    single_threaded_runtime().block_on(async {
        drop_postgres_database(&postgres_url().expect("URL"), &database).await;
    });
}
