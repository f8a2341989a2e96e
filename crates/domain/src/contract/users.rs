//! Kit tests of user storage: creation, every lookup, ids, uniqueness and updates.

use super::Stores;
use super::builders::{
    at, at_micros, change, email, expected_user, external_id, language, new_admin, new_user,
    password_hash, person, username,
};
use super::probes::{create, find, get};
use crate::entities::{NewUser, UserChanges, UserId};
use crate::listing::UserQuery;
use crate::ports::{UniqueUserField, UserLookup, UserStoreError};
use crate::values::{PosixId, SourceType};
use uuid::Uuid;

/// A created user comes back with an assigned id and `updated_at == created_at`, every field
/// as given (microseconds and the largest POSIX id included), and is found by id, UUID,
/// username and e-mail in any case, and by exact external id; unknown values find nothing.
pub async fn create_user_and_find_by_every_lookup<S: Stores>(store: S) {
    assert_eq!(store.count_users().await.expect("count_users"), 0);
    let new = NewUser {
        email: Some(email("Alice.Smith@Example.org")),
        first_name: Some(person("Alice")),
        last_name: Some(person("Smith-Jones")),
        external_id: Some(external_id("EXT-alice")),
        language: language("fr-CA"),
        is_admin: true,
        expired_at: Some(at_micros(86_400_000_001)),
        posix_uid: Some(PosixId::from(1000)),
        posix_gid: Some(PosixId::from(u32::MAX)),
        source_type: SourceType::CliLdap,
        created_at: at_micros(7),
        ..new_user("Alice")
    };
    let alice = store.create_user(new.clone()).await.expect("create alice");
    assert!(alice.id.get() > 0, "ids are positive");
    assert_eq!(alice, expected_user(alice.id, &new));

    let minimal = NewUser {
        password_hash: None,
        enabled: false,
        ..new_user("bob")
    };
    let bob = store
        .create_user(minimal.clone())
        .await
        .expect("create bob");
    assert_ne!(bob.id, alice.id);
    assert_eq!(bob, expected_user(bob.id, &minimal));
    assert_eq!(store.count_users().await.expect("count_users"), 2);

    let found = |lookup: UserLookup| {
        let store = store.clone();
        async move {
            store
                .find_user(&lookup)
                .await
                .unwrap_or_else(|e| panic!("find_user({lookup:?}): {e:?}"))
        }
    };
    assert_eq!(found(UserLookup::Id(alice.id)).await, Some(alice.clone()));
    assert_eq!(found(UserLookup::Id(bob.id)).await, Some(bob.clone()));
    assert_eq!(
        found(UserLookup::Uuid(alice.uuid)).await,
        Some(alice.clone())
    );
    for name in ["Alice", "alice", "ALICE", "aLiCe"] {
        assert_eq!(
            found(UserLookup::Username(name.into())).await,
            Some(alice.clone()),
            "username lookup {name}"
        );
    }
    for address in [
        "Alice.Smith@Example.org",
        "alice.smith@example.org",
        "ALICE.SMITH@EXAMPLE.ORG",
    ] {
        assert_eq!(
            found(UserLookup::Email(address.into())).await,
            Some(alice.clone()),
            "e-mail lookup {address}"
        );
    }
    assert_eq!(
        found(UserLookup::ExternalId("EXT-alice".into())).await,
        Some(alice.clone())
    );
    assert_eq!(
        found(UserLookup::ExternalId("ext-alice".into())).await,
        None,
        "external ids are matched exactly"
    );
    assert_eq!(found(UserLookup::Username("carol".into())).await, None);
    assert_eq!(found(UserLookup::Username("alic".into())).await, None);
    assert_eq!(
        found(UserLookup::Email("bob@example.org".into())).await,
        None
    );
    assert_eq!(found(UserLookup::Uuid(Uuid::nil())).await, None);
    // No stored name, address or external id holds a NUL (PostgreSQL refuses one in a text
    // parameter): such a lookup finds nobody on every backend, without an error.
    for lookup in [
        UserLookup::Username("alice\0".into()),
        UserLookup::Email("alice@example.org\0".into()),
        UserLookup::ExternalId("EXT-alice\0".into()),
    ] {
        assert_eq!(found(lookup.clone()).await, None, "{lookup:?}");
    }
    assert_eq!(
        found(UserLookup::Id(UserId(
            bob.id.get().max(alice.id.get()) + 1000
        )))
        .await,
        None
    );
}

/// Ids grow with each insert and are never given out again, not even the highest one after
/// its user was deleted.
pub async fn user_ids_increase_and_are_never_reused<S: Stores>(store: S) {
    let a = create(&store, new_user("a1")).await;
    let b = create(&store, new_user("b1")).await;
    let c = create(&store, new_user("c1")).await;
    assert!(a.id < b.id && b.id < c.id, "ids grow: {a:?} {b:?} {c:?}");
    store.delete_user(c.id, at(1)).await.expect("delete c");
    store.delete_user(b.id, at(1)).await.expect("delete b");
    assert_eq!(find(&store, c.id).await, None);
    let d = create(&store, new_user("d1")).await;
    assert!(d.id > c.id, "id {} reused or smaller than {}", d.id, c.id);
    // The same username again gets a new id too.
    let c2 = create(&store, new_user("c1")).await;
    assert!(c2.id > d.id);
    assert_eq!(store.count_users().await.expect("count_users"), 3);
}

/// Username and e-mail are unique case-insensitively and the external id exactly; a refused
/// create writes nothing.
pub async fn create_user_enforces_unique_fields<S: Stores>(store: S) {
    let alice = create(
        &store,
        NewUser {
            email: Some(email("Alice@Example.org")),
            external_id: Some(external_id("ext-1")),
            ..new_user("alice")
        },
    )
    .await;
    let refusals = [
        (new_user("ALICE"), UniqueUserField::Username),
        (new_user("Alice"), UniqueUserField::Username),
        (
            NewUser {
                email: Some(email("alice@example.ORG")),
                ..new_user("bob")
            },
            UniqueUserField::Email,
        ),
        (
            NewUser {
                external_id: Some(external_id("ext-1")),
                ..new_user("bob")
            },
            UniqueUserField::ExternalId,
        ),
    ];
    for (new, field) in refusals {
        let shown = format!("{new:?}");
        assert_eq!(
            store.create_user(new).await,
            Err(UserStoreError::Taken(field)),
            "{shown}"
        );
    }
    assert_eq!(store.count_users().await.expect("count_users"), 1);
    assert_eq!(
        store
            .find_user(&UserLookup::Username("bob".into()))
            .await
            .expect("find bob"),
        None,
        "a refused create writes nothing"
    );

    // An external id differing only in case is another external id.
    let bob = create(
        &store,
        NewUser {
            email: Some(email("bob@example.org")),
            external_id: Some(external_id("EXT-1")),
            ..new_user("bob")
        },
    )
    .await;
    assert_ne!(bob.id, alice.id);
    assert_eq!(store.count_users().await.expect("count_users"), 2);
}

/// `create_users` inserts a whole list in one transaction, more rows than one statement
/// holds included: every user is then found as given, with ids in list order. A list with
/// one clash (with a stored user, or between two of its own users) writes nothing.
pub async fn create_users_inserts_all_or_nothing<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let many: Vec<NewUser> = (0..1200)
        .map(|n| NewUser {
            email: (n % 2 == 0).then(|| email(&format!("bulk{n}@example.org"))),
            ..new_user(&format!("bulk{n}"))
        })
        .collect();
    assert_eq!(store.create_users(many.clone()).await, Ok(1200));
    assert_eq!(store.count_users().await.expect("count_users"), 1201);
    let mut last = alice.id;
    for n in [0, 1, 999, 1000, 1001, 1199] {
        let new = &many[n];
        let found = store
            .find_user(&UserLookup::Username(format!("BULK{n}")))
            .await
            .expect("find")
            .unwrap_or_else(|| panic!("bulk{n} was inserted"));
        assert_eq!(found, expected_user(found.id, new), "bulk{n}");
        assert!(found.id > last, "ids follow the list's order");
        last = found.id;
    }
    assert_eq!(store.create_users(Vec::new()).await, Ok(0));
    let listed = store
        .list_users(&UserQuery::default())
        .await
        .expect("list_users");
    assert_eq!(
        listed.total, 1201,
        "an unfiltered listing counts every user"
    );

    let clashes = [
        (
            vec![new_user("fresh1"), new_user("ALICE")],
            UniqueUserField::Username,
        ),
        (
            vec![new_user("fresh1"), new_user("Fresh1")],
            UniqueUserField::Username,
        ),
        (
            vec![
                new_user("fresh1"),
                NewUser {
                    email: Some(email("BULK0@example.org")),
                    ..new_user("fresh2")
                },
            ],
            UniqueUserField::Email,
        ),
    ];
    for (users, field) in clashes {
        assert_eq!(
            store.create_users(users).await,
            Err(UserStoreError::Taken(field))
        );
        assert_eq!(store.count_users().await.expect("count_users"), 1201);
        assert_eq!(
            store
                .find_user(&UserLookup::Username("fresh1".into()))
                .await
                .expect("find"),
            None,
            "a refused list writes nothing"
        );
    }
    store
        .delete_user(alice.id, at(1))
        .await
        .expect("delete alice");
    let listed = store
        .list_users(&UserQuery::default())
        .await
        .expect("list_users");
    assert_eq!(listed.total, 1200, "a deletion counts");
    assert_eq!(store.count_users().await.expect("count_users"), 1200);
}

/// `list_users_after` walks the directory in id order: each step holds at most `limit` users
/// with ids above `after`, a deleted user is skipped, and past the last id there is nothing.
pub async fn list_users_after_walks_in_id_order<S: Stores>(store: S) {
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(create(&store, new_user(&format!("walk{n}"))).await);
    }
    store
        .delete_user(created[3].id, at(1))
        .await
        .expect("delete");
    let expected: Vec<UserId> = created
        .iter()
        .map(|u| u.id)
        .filter(|id| *id != created[3].id)
        .collect();
    for limit in [1, 2, 6, 1000] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let step = store
                .list_users_after(after, limit)
                .await
                .expect("list_users_after");
            assert!(step.len() <= limit as usize, "limit {limit}");
            let Some(last) = step.last() else { break };
            after = Some(last.id);
            seen.extend(step);
        }
        assert_eq!(
            seen.iter().map(|u| u.id).collect::<Vec<_>>(),
            expected,
            "limit {limit}"
        );
        assert_eq!(seen[0], get(&store, created[0].id).await, "whole users");
    }
    let last = created[6].id;
    assert_eq!(store.list_users_after(Some(last), 10).await, Ok(Vec::new()));
    assert_eq!(
        store
            .list_users_after(Some(UserId(last.get() + 1000)), 10)
            .await,
        Ok(Vec::new())
    );
}

/// Many users may have no e-mail and no external id, on create and on update.
pub async fn nullable_unique_fields_allow_many_nulls<S: Stores>(store: S) {
    let a = create(&store, new_user("n1")).await;
    let b = create(&store, new_user("n2")).await;
    let c = create(
        &store,
        NewUser {
            email: Some(email("n3@example.org")),
            external_id: Some(external_id("n3")),
            ..new_user("n3")
        },
    )
    .await;
    let cleared = store
        .update_user(
            c.id,
            change(
                UserChanges {
                    email: Some(None),
                    external_id: Some(None),
                    ..UserChanges::default()
                },
                at(1),
            ),
        )
        .await
        .expect("clearing e-mail and external id");
    assert_eq!((cleared.email, cleared.external_id), (None, None));
    // The freed values can be taken by someone else.
    store
        .update_user(
            a.id,
            change(
                UserChanges {
                    email: Some(Some(email("N3@example.org"))),
                    external_id: Some(Some(external_id("n3"))),
                    ..UserChanges::default()
                },
                at(2),
            ),
        )
        .await
        .expect("taking freed values");
    for id in [b.id, c.id] {
        let user = get(&store, id).await;
        assert_eq!((user.email, user.external_id), (None, None));
    }
    assert_eq!(store.count_users().await.expect("count_users"), 3);
}

/// Updates are refused with `Taken` when another user holds the value (case-insensitively for
/// username and e-mail), and write nothing then; a user's own values never clash with
/// themselves, even in another case.
pub async fn update_user_enforces_unique_fields_against_other_users<S: Stores>(store: S) {
    let alice = create(
        &store,
        NewUser {
            email: Some(email("alice@example.org")),
            external_id: Some(external_id("e-alice")),
            ..new_user("alice")
        },
    )
    .await;
    let bob = create(
        &store,
        NewUser {
            email: Some(email("bob@example.org")),
            external_id: Some(external_id("e-bob")),
            ..new_user("bob")
        },
    )
    .await;
    let refusals = [
        (
            UserChanges {
                username: Some(username("Alice")),
                ..UserChanges::default()
            },
            UniqueUserField::Username,
        ),
        (
            UserChanges {
                email: Some(Some(email("ALICE@example.org"))),
                ..UserChanges::default()
            },
            UniqueUserField::Email,
        ),
        (
            UserChanges {
                external_id: Some(Some(external_id("e-alice"))),
                language: Some(language("de")),
                ..UserChanges::default()
            },
            UniqueUserField::ExternalId,
        ),
    ];
    for (changes, field) in refusals {
        let shown = format!("{changes:?}");
        assert_eq!(
            store.update_user(bob.id, change(changes, at(5))).await,
            Err(UserStoreError::Taken(field)),
            "{shown}"
        );
    }
    assert_eq!(
        get(&store, bob.id).await,
        bob,
        "a refused update writes nothing"
    );

    let renamed = store
        .update_user(
            alice.id,
            change(
                UserChanges {
                    username: Some(username("ALICE")),
                    email: Some(Some(email("Alice@Example.org"))),
                    external_id: Some(Some(external_id("e-alice"))),
                    ..UserChanges::default()
                },
                at(6),
            ),
        )
        .await
        .expect("a user's own values in another case");
    assert_eq!(renamed.username.as_str(), "ALICE");
    assert_eq!(
        renamed.email.as_ref().map(|e| e.as_str()),
        Some("Alice@Example.org")
    );
    let by_name = store
        .find_user(&UserLookup::Username("alice".into()))
        .await
        .expect("find alice");
    assert_eq!(by_name, Some(renamed));
}

/// An update changes every field it names, clears nullable fields with `Some(None)`, leaves the
/// others, sets `updated_at` to `now` (even when nothing else changes) and keeps `created_at`.
pub async fn update_user_changes_fields_and_sets_updated_at<S: Stores>(store: S) {
    let _admin = create(&store, new_admin("root")).await;
    let before = create(&store, new_user("carol")).await;
    let now = at_micros(3_600_000_042);
    let changes = UserChanges {
        username: Some(username("Caroline")),
        email: Some(Some(email("caroline@example.org"))),
        first_name: Some(Some(person("Caroline"))),
        last_name: Some(Some(person("Doe"))),
        external_id: Some(Some(external_id("x-9"))),
        language: Some(language("pt-BR")),
        is_admin: Some(true),
        enabled: Some(true),
        expired_at: Some(Some(at(86_400))),
        posix_uid: Some(Some(PosixId::from(4242))),
        posix_gid: Some(Some(PosixId::from(u32::MAX))),
        source_type: Some(SourceType::CliLinuxMultiUser),
        password_hash: Some(password_hash("new")),
    };
    let mut expected = changes.apply_to(&before);
    expected.updated_at = now;
    let after = store
        .update_user(before.id, change(changes, now))
        .await
        .expect("update every field");
    assert_eq!(after, expected);
    assert_eq!(after.created_at, before.created_at);
    assert_eq!(
        get(&store, before.id).await,
        expected,
        "the change is stored"
    );

    let now = at(7_200);
    let clearing = UserChanges {
        email: Some(None),
        first_name: Some(None),
        last_name: Some(None),
        external_id: Some(None),
        expired_at: Some(None),
        posix_uid: Some(None),
        posix_gid: Some(None),
        ..UserChanges::default()
    };
    let cleared = store
        .update_user(before.id, change(clearing, now))
        .await
        .expect("clear nullable fields");
    assert_eq!(
        (
            &cleared.email,
            &cleared.first_name,
            &cleared.last_name,
            &cleared.external_id
        ),
        (&None, &None, &None, &None)
    );
    assert_eq!(
        (cleared.expired_at, cleared.posix_uid, cleared.posix_gid),
        (None, None, None)
    );
    assert_eq!(cleared.username.as_str(), "Caroline", "absent fields stay");
    assert_eq!(cleared.language.as_str(), "pt-BR");
    assert_eq!(cleared.password_hash, Some(password_hash("new")));
    assert_eq!(cleared.updated_at, now);
    assert_eq!(get(&store, before.id).await, cleared);

    let now = at(9_000);
    let touched = store
        .update_user(before.id, change(UserChanges::default(), now))
        .await
        .expect("empty update");
    assert_eq!(touched.updated_at, now);
    assert_eq!(
        touched,
        crate::entities::User {
            updated_at: now,
            ..cleared
        }
    );
}

/// Updating or deleting an id that does not exist (any more) is `NotFound`.
pub async fn missing_users_are_not_found<S: Stores>(store: S) {
    let gone = create(&store, new_user("gone")).await;
    store.delete_user(gone.id, at(1)).await.expect("delete");
    assert_eq!(
        store.delete_user(gone.id, at(2)).await,
        Err(UserStoreError::NotFound)
    );
    assert_eq!(
        store
            .update_user(gone.id, change(UserChanges::default(), at(2)))
            .await,
        Err(UserStoreError::NotFound)
    );
    assert_eq!(
        store
            .update_user(
                UserId(gone.id.get() + 1000),
                change(
                    UserChanges {
                        language: Some(language("de")),
                        ..UserChanges::default()
                    },
                    at(2)
                )
            )
            .await,
        Err(UserStoreError::NotFound)
    );
    assert_eq!(store.count_users().await.expect("count_users"), 0);
}

/// `replace_password_hash` is a compare-and-set on the stored hash: it writes only while the
/// hash is still the expected one, touches no other column (not `updated_at`), and answers
/// `false` for a changed hash, a user without a password and a missing user.
pub async fn replacing_a_password_hash_is_compare_and_set<S: Stores>(store: S) {
    let _admin = create(&store, new_admin("root")).await;
    let dana = create(&store, new_user("dana")).await;
    let weak = dana.password_hash.clone().expect("a password");
    let strong = password_hash("strong");
    assert!(
        store
            .replace_password_hash(dana.id, &weak, &strong)
            .await
            .expect("replace"),
        "the verified hash is replaced"
    );
    let after = get(&store, dana.id).await;
    assert_eq!(
        after,
        crate::entities::User {
            password_hash: Some(strong.clone()),
            ..dana.clone()
        },
        "only the hash changed, updated_at included"
    );

    // A password changed since the verification is never overwritten.
    let changed = password_hash("changed");
    store
        .update_user(
            dana.id,
            change(
                UserChanges {
                    password_hash: Some(changed.clone()),
                    ..UserChanges::default()
                },
                at(60),
            ),
        )
        .await
        .expect("change the password");
    assert!(
        !store
            .replace_password_hash(dana.id, &strong, &password_hash("late"))
            .await
            .expect("compare"),
        "a stale expectation writes nothing"
    );
    assert_eq!(get(&store, dana.id).await.password_hash, Some(changed));

    let bare = create(
        &store,
        NewUser {
            password_hash: None,
            ..new_user("bare")
        },
    )
    .await;
    assert!(
        !store
            .replace_password_hash(bare.id, &weak, &strong)
            .await
            .expect("compare"),
        "a user without a password gets none"
    );
    assert_eq!(get(&store, bare.id).await.password_hash, None);
    assert!(
        !store
            .replace_password_hash(UserId(i64::MAX), &weak, &strong)
            .await
            .expect("missing user"),
    );
}
