//! Kit tests of imports (`UserStore::apply_import`): every write of a file in one transaction,
//! with its events, or none of them.

use super::Stores;
use super::builders::{at, change, new_admin, new_user, person};
use super::probes::create;
use crate::audit::{Actor, AuditAction, AuditEvent, AuditQuery, Origin};
use crate::entities::{ImportWrite, UserChanges, UserId};
use crate::ports::{UniqueUserField, UserLookup, UserStoreError};

fn event(action: AuditAction) -> AuditEvent {
    AuditEvent::new(at(1), Actor::cli(), &Origin::cli(), action)
}

async fn exists<S: Stores>(store: &S, name: &str) -> bool {
    store
        .find_user(&UserLookup::Username(name.to_owned()))
        .await
        .expect("find_user")
        .is_some()
}

async fn events<S: Stores>(store: &S) -> u64 {
    store
        .list_audit_events(&AuditQuery::default())
        .await
        .expect("list_audit_events")
        .total
}

/// Creates and updates land together with one event each (a create's naming the new id); a
/// write that breaks uniqueness, leaves no lasting admin or names a missing user undoes the
/// whole import, events included.
pub async fn imports_apply_all_or_nothing<S: Stores>(store: S) {
    let admin = create(&store, new_admin("root")).await;
    let bob = create(&store, new_user("bob")).await;
    let named = UserChanges {
        first_name: Some(Some(person("Bob"))),
        ..UserChanges::default()
    };
    store
        .apply_import(vec![
            (
                ImportWrite::Create(new_user("carl")),
                event(AuditAction::UserCreate),
            ),
            (
                ImportWrite::Update(bob.id, change(named, at(2))),
                event(AuditAction::UserUpdate),
            ),
        ])
        .await
        .expect("import");
    let carl = store
        .find_user(&UserLookup::Username("carl".into()))
        .await
        .expect("find")
        .expect("carl");
    let bob_now = store
        .find_user(&UserLookup::Id(bob.id))
        .await
        .expect("find")
        .expect("bob");
    assert_eq!(bob_now.first_name, Some(person("Bob")));
    assert_eq!(bob_now.updated_at, at(2));
    let listed = store
        .list_audit_events(&AuditQuery::default())
        .await
        .expect("list");
    let targets: Vec<Option<UserId>> = listed.items.iter().map(|r| r.event.target_user).collect();
    assert_eq!(targets, vec![Some(bob.id), Some(carl.id)]);

    let disabled = UserChanges {
        enabled: Some(false),
        ..UserChanges::default()
    };
    let cases = [
        (
            vec![
                (
                    ImportWrite::Create(new_user("dora")),
                    event(AuditAction::UserCreate),
                ),
                (
                    ImportWrite::Create(new_user("CARL")),
                    event(AuditAction::UserCreate),
                ),
            ],
            UserStoreError::Taken(UniqueUserField::Username),
        ),
        (
            vec![
                (
                    ImportWrite::Create(new_user("dora")),
                    event(AuditAction::UserCreate),
                ),
                (
                    ImportWrite::Update(admin.id, change(disabled.clone(), at(3))),
                    event(AuditAction::UserUpdate),
                ),
            ],
            UserStoreError::LastAdmin,
        ),
        (
            vec![
                (
                    ImportWrite::Create(new_user("dora")),
                    event(AuditAction::UserCreate),
                ),
                (
                    ImportWrite::Update(UserId(9999), change(disabled, at(3))),
                    event(AuditAction::UserUpdate),
                ),
            ],
            UserStoreError::NotFound,
        ),
    ];
    for (writes, expected) in cases {
        assert_eq!(store.apply_import(writes).await, Err(expected.clone()));
        assert!(
            !exists(&store, "dora").await,
            "nothing of a refused import ({expected:?})"
        );
        assert_eq!(events(&store).await, 2, "no event of a refused import");
    }
    let root = store
        .find_user(&UserLookup::Id(admin.id))
        .await
        .expect("find")
        .expect("root");
    assert!(root.enabled, "the admin was not disabled");
}

/// In a directory whose only admin has an expiry (no lasting admin, a state older data may
/// be in), an import that disables that admin is refused as one update would be.
pub async fn imports_do_not_take_the_last_admin_away_from_a_legacy_directory<S: Stores>(store: S) {
    let temp = create(
        &store,
        crate::entities::NewUser {
            expired_at: Some(at(1_000_000_000)),
            ..new_admin("temp")
        },
    )
    .await;
    let disabled = UserChanges {
        enabled: Some(false),
        ..UserChanges::default()
    };
    assert_eq!(
        store
            .apply_import(vec![(
                ImportWrite::Update(temp.id, change(disabled, at(3))),
                event(AuditAction::UserUpdate),
            )])
            .await,
        Err(UserStoreError::LastAdmin)
    );
    assert_eq!(events(&store).await, 0);
}
