//! Kit tests of the rules that span tables or requests: the cascade on user deletion, the
//! last-admin invariant (also under concurrency) and uniqueness under concurrent creates.

use super::Stores;
use super::builders::{
    NO_LIMIT, at, change, config_key, config_value, email, key_identifier, new_admin, new_api_key,
    new_session, new_user,
};
use super::probes::{active_admins, create, find, get, has_session, lasting_admins};
use crate::entities::{
    ConfigurationRef, NewUser, SessionRevocation, User, UserChanges, UserId, UserUpdate,
};
use crate::listing::PageRequest;
use crate::ports::{
    ApiKeyStoreError, ConfigurationStoreError, UniqueUserField, UserLookup, UserStoreError,
};
use chrono::{DateTime, Duration, Utc};
use futures_util::future::{join, join_all};

fn demote() -> UserChanges {
    UserChanges {
        is_admin: Some(false),
        ..UserChanges::default()
    }
}

fn promote() -> UserChanges {
    UserChanges {
        is_admin: Some(true),
        enabled: Some(true),
        expired_at: Some(None),
        ..UserChanges::default()
    }
}

fn disable() -> UserChanges {
    UserChanges {
        enabled: Some(false),
        ..UserChanges::default()
    }
}

fn expire_at(at: DateTime<Utc>) -> UserChanges {
    UserChanges {
        expired_at: Some(Some(at)),
        ..UserChanges::default()
    }
}

/// Deleting a user deletes their sessions, API keys and configurations, and nothing of other
/// users; their username, identifiers and keys can then be used again.
pub async fn deleting_a_user_cascades_to_sessions_keys_and_configurations<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    store
        .create_session(new_session(alice.id, "alice-token", at(600)))
        .await
        .expect("alice's session");
    store
        .create_session(new_session(bob.id, "bob-token", at(600)))
        .await
        .expect("bob's session");
    let alice_key = store
        .create_api_key(new_api_key(alice.id, &key_identifier(1)))
        .await
        .expect("alice's key");
    let bob_key = store
        .create_api_key(new_api_key(bob.id, &key_identifier(2)))
        .await
        .expect("bob's key");
    let alice_conf = store
        .create_configuration(
            alice.id,
            config_key("theme"),
            config_value("dark"),
            at(0),
            NO_LIMIT,
        )
        .await
        .expect("alice's configuration");
    let bob_conf = store
        .create_configuration(
            bob.id,
            config_key("theme"),
            config_value("light"),
            at(0),
            NO_LIMIT,
        )
        .await
        .expect("bob's configuration");

    store
        .delete_user(alice.id, at(1))
        .await
        .expect("delete alice");
    assert_eq!(find(&store, alice.id).await, None);
    assert_eq!(store.count_users().await.expect("count_users"), 1);
    assert!(!has_session(&store, "alice-token").await);
    assert_eq!(store.find_api_key(&alice_key.identifier).await, Ok(None));
    assert_eq!(
        store.get_api_key(alice.id, alice_key.id).await,
        Err(ApiKeyStoreError::NotFound)
    );
    let keys = store
        .list_api_keys(alice.id, PageRequest::first())
        .await
        .expect("list keys");
    assert_eq!((keys.items.len(), keys.total), (0, 0));
    assert_eq!(
        store
            .get_configuration(alice.id, &ConfigurationRef::Id(alice_conf.id))
            .await,
        Err(ConfigurationStoreError::NotFound)
    );
    let confs = store
        .list_configurations(alice.id, PageRequest::first())
        .await
        .expect("list configurations");
    assert_eq!((confs.items.len(), confs.total), (0, 0));

    assert!(has_session(&store, "bob-token").await);
    assert_eq!(
        store.find_api_key(&bob_key.identifier).await,
        Ok(Some(bob_key))
    );
    assert_eq!(
        store
            .get_configuration(bob.id, &ConfigurationRef::Id(bob_conf.id))
            .await,
        Ok(bob_conf)
    );

    let again = create(&store, new_user("Alice")).await;
    assert!(again.id > alice.id);
    store
        .create_api_key(new_api_key(bob.id, &alice_key.identifier))
        .await
        .expect("the deleted key's identifier is free");
    let confs = store
        .list_configurations(again.id, PageRequest::first())
        .await
        .expect("list configurations");
    assert_eq!(confs.total, 0, "nothing is inherited from the deleted user");
}

/// The last lasting admin (enabled, without expiry) cannot be demoted, disabled or given any
/// expiry, even one still ahead: the update is refused with `LastAdmin` and writes nothing,
/// not even the session revocation it asked for. Disabled admins and admins with an expiry
/// (past or future) do not count as other admins. Changes that keep the admin lasting, and
/// changes of other admins, are allowed.
pub async fn last_admin_cannot_be_demoted_disabled_or_expired<S: Stores>(store: S) {
    let now = at(1_000);
    let root = create(&store, new_admin("root")).await;
    let ghost = create(
        &store,
        NewUser {
            enabled: false,
            ..new_admin("ghost")
        },
    )
    .await;
    let _old = create(
        &store,
        NewUser {
            expired_at: Some(at(999)),
            ..new_admin("old")
        },
    )
    .await;
    let _lapsing = create(
        &store,
        NewUser {
            expired_at: Some(now),
            ..new_admin("lapsing")
        },
    )
    .await;
    let _expiring = create(
        &store,
        NewUser {
            expired_at: Some(now + Duration::days(30)),
            ..new_admin("expiring")
        },
    )
    .await;
    let alice = create(&store, new_user("alice")).await;
    store
        .create_session(new_session(root.id, "root-token", at(9_000)))
        .await
        .expect("root's session");
    assert_eq!(active_admins(&store, now).await, ["root", "expiring"]);
    assert_eq!(lasting_admins(&store).await, ["root"]);

    let refusals = [
        ("demote", demote()),
        ("disable", disable()),
        ("expire at now", expire_at(now)),
        ("expire in the past", expire_at(now - Duration::seconds(1))),
        ("expire tomorrow", expire_at(now + Duration::days(1))),
        (
            "expire in a century",
            expire_at(now + Duration::days(36_500)),
        ),
        (
            "demote and rename",
            UserChanges {
                username: Some(super::builders::username("former-root")),
                ..demote()
            },
        ),
    ];
    for (what, changes) in refusals {
        let update = UserUpdate {
            changes,
            revoke_sessions: SessionRevocation::All,
            now,
        };
        assert_eq!(
            store.update_user(root.id, update).await,
            Err(UserStoreError::LastAdmin),
            "{what}"
        );
        assert_eq!(get(&store, root.id).await, root, "{what} wrote nothing");
        assert!(
            has_session(&store, "root-token").await,
            "{what} ended no session"
        );
    }

    store
        .update_user(ghost.id, change(demote(), now))
        .await
        .expect("a disabled admin may be demoted");
    store
        .update_user(
            root.id,
            change(
                UserChanges {
                    language: Some(super::builders::language("de")),
                    ..UserChanges::default()
                },
                now,
            ),
        )
        .await
        .expect("other changes of the last admin are fine");

    // An admin whose expiry is still ahead does not count: at that instant she is gone.
    store
        .update_user(
            alice.id,
            change(
                UserChanges {
                    is_admin: Some(true),
                    expired_at: Some(Some(now + Duration::days(1))),
                    ..UserChanges::default()
                },
                now,
            ),
        )
        .await
        .expect("promote alice, expiring");
    assert_eq!(
        store.update_user(root.id, change(demote(), now)).await,
        Err(UserStoreError::LastAdmin),
        "alice expires, so root is still the last lasting admin"
    );
    // Clearing her expiry makes her count.
    store
        .update_user(
            alice.id,
            change(
                UserChanges {
                    expired_at: Some(None),
                    ..UserChanges::default()
                },
                now,
            ),
        )
        .await
        .expect("alice without expiry");
    store
        .update_user(root.id, change(expire_at(now + Duration::days(1)), now))
        .await
        .expect("root may expire while alice is a lasting admin");
    assert_eq!(lasting_admins(&store).await, ["alice"]);
    assert_eq!(
        store.update_user(alice.id, change(disable(), now)).await,
        Err(UserStoreError::LastAdmin),
        "alice is now the last lasting admin"
    );
    // An expiring admin may still be changed in ways that take nothing away.
    store
        .update_user(root.id, change(expire_at(now + Duration::days(2)), now))
        .await
        .expect("a later expiry of an expiring admin");
    // Re-enabling an admin makes them count again.
    store
        .update_user(ghost.id, change(promote(), now))
        .await
        .expect("promote ghost");
    store
        .update_user(alice.id, change(disable(), now))
        .await
        .expect("alice may go while ghost is a lasting admin");
    assert_eq!(lasting_admins(&store).await, ["ghost"]);
}

/// Directories made before the future-expiry rule may have no lasting admin. There, nothing
/// that takes an active admin away is allowed either, and clearing an expiry repairs it.
pub async fn a_directory_without_a_lasting_admin_can_be_repaired<S: Stores>(store: S) {
    let now = at(1_000);
    let a = create(
        &store,
        NewUser {
            expired_at: Some(now + Duration::days(1)),
            ..new_admin("admin-a")
        },
    )
    .await;
    let b = create(
        &store,
        NewUser {
            expired_at: Some(now + Duration::days(2)),
            ..new_admin("admin-b")
        },
    )
    .await;
    assert_eq!(
        store.update_user(a.id, change(demote(), now)).await,
        Err(UserStoreError::LastAdmin),
        "no lasting admin would remain"
    );
    assert_eq!(
        store.delete_user(b.id, now).await,
        Err(UserStoreError::LastAdmin)
    );
    store
        .update_user(a.id, change(expire_at(now + Duration::days(3)), now))
        .await
        .expect("a later expiry takes nothing away");
    store
        .update_user(
            b.id,
            change(
                UserChanges {
                    expired_at: Some(None),
                    ..UserChanges::default()
                },
                now,
            ),
        )
        .await
        .expect("clearing an expiry repairs the directory");
    store
        .update_user(a.id, change(demote(), now))
        .await
        .expect("b is a lasting admin now");
    assert_eq!(lasting_admins(&store).await, ["admin-b"]);
}

/// The last active admin cannot be deleted (`LastAdmin`, nothing deleted); other users and
/// inactive admins can, and so can an admin while another active admin exists.
pub async fn last_admin_cannot_be_deleted<S: Stores>(store: S) {
    let now = at(1_000);
    let root = create(&store, new_admin("root")).await;
    let dormant = create(
        &store,
        NewUser {
            enabled: false,
            ..new_admin("dormant")
        },
    )
    .await;
    let bob = create(&store, new_user("bob")).await;
    store
        .create_session(new_session(root.id, "root-token", at(9_000)))
        .await
        .expect("root's session");

    assert_eq!(
        store.delete_user(root.id, now).await,
        Err(UserStoreError::LastAdmin)
    );
    assert_eq!(get(&store, root.id).await, root, "root stays");
    assert!(
        has_session(&store, "root-token").await,
        "root's session stays"
    );
    store
        .delete_user(bob.id, now)
        .await
        .expect("delete a non-admin");
    store
        .delete_user(dormant.id, now)
        .await
        .expect("delete an inactive admin");

    let carol = create(&store, new_admin("carol")).await;
    store
        .delete_user(root.id, now)
        .await
        .expect("delete root while carol is an admin");
    assert_eq!(
        store.delete_user(carol.id, now).await,
        Err(UserStoreError::LastAdmin)
    );
    // Another admin with an expiry, even far ahead, does not let the last lasting one go.
    let dave = create(
        &store,
        NewUser {
            expired_at: Some(now + Duration::days(365)),
            ..new_admin("dave")
        },
    )
    .await;
    assert_eq!(
        store.delete_user(carol.id, now).await,
        Err(UserStoreError::LastAdmin),
        "dave expires"
    );
    // Past dave's expiry he is no admin at all, and may be deleted.
    store
        .delete_user(dave.id, now + Duration::days(365))
        .await
        .expect("an expired admin may be deleted");
    assert_eq!(store.count_users().await.expect("count_users"), 1);
}

/// Checks one race round: exactly one of two removals succeeded and the other was refused with
/// `LastAdmin`; returns true when the first won.
fn one_winner<T: std::fmt::Debug, U: std::fmt::Debug>(
    round: usize,
    first: &Result<T, UserStoreError>,
    second: &Result<U, UserStoreError>,
) -> bool {
    match (first, second) {
        (Ok(_), Err(UserStoreError::LastAdmin)) => true,
        (Err(UserStoreError::LastAdmin), Ok(_)) => false,
        other => panic!(
            "round {round}: exactly one removal of the last two admins must succeed, the other \
             fail with LastAdmin; got {other:?}"
        ),
    }
}

/// Twenty rounds of demoting the last two admins concurrently: never both succeed, exactly
/// one active admin remains, and the loser is refused with `LastAdmin`.
pub async fn concurrent_demotions_keep_one_admin<S: Stores>(store: S) {
    let a = create(&store, new_admin("admin-a")).await;
    let b = create(&store, new_admin("admin-b")).await;
    create(&store, new_user("bystander")).await;
    for round in 0..20 {
        let now = at(i64::try_from(round).unwrap_or(0));
        let (ra, rb) = join(
            store.update_user(a.id, change(demote(), now)),
            store.update_user(b.id, change(demote(), now)),
        )
        .await;
        let a_won = one_winner(round, &ra, &rb);
        let expected = if a_won { "admin-b" } else { "admin-a" };
        assert_eq!(
            active_admins(&store, now).await,
            [expected],
            "round {round}"
        );
        let demoted = if a_won { a.id } else { b.id };
        store
            .update_user(demoted, change(promote(), now))
            .await
            .expect("re-promote");
    }
}

/// Twenty rounds of removing the last two lasting admins concurrently by different means
/// (disable against delete, expire against demote, a future expiry against a future expiry):
/// never both succeed, exactly one lasting admin remains.
pub async fn concurrent_removals_keep_one_admin<S: Stores>(store: S) {
    let mut a = create(&store, new_admin("admin-a")).await;
    let mut b = create(&store, new_admin("admin-b")).await;
    for round in 0..20 {
        let now = at(i64::try_from(round).unwrap_or(0) * 10);
        if round % 2 == 0 {
            let (ra, rb) = join(
                store.update_user(a.id, change(disable(), now)),
                store.delete_user(b.id, now),
            )
            .await;
            if one_winner(round, &ra, &rb) {
                assert_eq!(active_admins(&store, now).await, [b.username.as_str()]);
                a = restore(&store, a.id, now).await;
            } else {
                assert_eq!(active_admins(&store, now).await, [a.username.as_str()]);
                assert_eq!(find(&store, b.id).await, None, "round {round}: b deleted");
                b = create(&store, new_admin(&format!("admin-b{round}"))).await;
            }
        } else {
            let (ra, rb) = if round % 4 == 1 {
                join(
                    store.update_user(a.id, change(expire_at(now), now)),
                    store.update_user(b.id, change(demote(), now)),
                )
                .await
            } else {
                let tomorrow = now + Duration::days(1);
                join(
                    store.update_user(a.id, change(expire_at(tomorrow), now)),
                    store.update_user(b.id, change(expire_at(tomorrow), now)),
                )
                .await
            };
            let winner = if one_winner(round, &ra, &rb) {
                a.id
            } else {
                b.id
            };
            let survivor = if winner == a.id { &b } else { &a };
            assert_eq!(
                lasting_admins(&store).await,
                [survivor.username.as_str()],
                "round {round}"
            );
            let restored = restore(&store, winner, now).await;
            if winner == a.id {
                a = restored;
            } else {
                b = restored;
            }
        }
    }
}

/// Makes `id` an enabled, unexpired admin again.
async fn restore<S: Stores>(store: &S, id: UserId, now: DateTime<Utc>) -> User {
    store
        .update_user(id, change(promote(), now))
        .await
        .expect("restore admin")
}

/// Fifty concurrent creates of one username in different cases: exactly one succeeds, the
/// others are refused with `Taken(Username)`, and one user exists.
pub async fn concurrent_creates_of_one_username_give_one_success<S: Stores>(store: S) {
    let variants: Vec<String> = (0u32..50)
        .map(|mask| {
            "racers"
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if mask & (1 << i) == 0 {
                        c
                    } else {
                        c.to_ascii_uppercase()
                    }
                })
                .collect()
        })
        .collect();
    let results = join_all(
        variants
            .iter()
            .map(|name| store.create_user(new_user(name))),
    )
    .await;
    let winners: Vec<&User> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one create succeeds: {results:?}");
    for result in &results {
        if let Err(e) = result {
            assert_eq!(e, &UserStoreError::Taken(UniqueUserField::Username));
        }
    }
    assert_eq!(store.count_users().await.expect("count_users"), 1);
    let found = store
        .find_user(&UserLookup::Username("RACERS".into()))
        .await
        .expect("find");
    assert_eq!(found.as_ref(), winners.first().copied());
}

/// Twenty concurrent creates of different users with one e-mail address in different cases:
/// exactly one succeeds, the others are refused with `Taken(Email)`.
pub async fn concurrent_creates_of_one_email_give_one_success<S: Stores>(store: S) {
    let results = join_all((0..20).map(|n| {
        let address = if n % 2 == 0 {
            "Shared@Example.org"
        } else {
            "shared@EXAMPLE.ORG"
        };
        store.create_user(NewUser {
            email: Some(email(address)),
            ..new_user(&format!("user{n}"))
        })
    }))
    .await;
    let successes = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(successes, 1, "exactly one create succeeds: {results:?}");
    for result in &results {
        if let Err(e) = result {
            assert_eq!(e, &UserStoreError::Taken(UniqueUserField::Email));
        }
    }
    assert_eq!(store.count_users().await.expect("count_users"), 1);
}
