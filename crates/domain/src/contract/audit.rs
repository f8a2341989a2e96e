//! Kit tests of the audit trail: every audited write stores its event in the same
//! transaction (with the ids the store assigned), a refused write stores none, and the trail
//! lists newest first with filters and pages, and purges by age.

use super::Stores;
use super::builders::{
    NO_LIMIT, at, change, config_key, config_value, key_identifier, new_admin, new_api_key,
    new_session, new_user, username,
};
use crate::audit::{
    Actor, ActorKind, AuditAction, AuditEvent, AuditQuery, AuditRecord, Family, Origin,
};
use crate::entities::{ApiKeyChanges, ConfigurationChanges, ConfigurationRef, UserChanges, UserId};
use crate::listing::PageRequest;
use crate::ports::{ApiKeyStoreError, ConfigurationStoreError, UserStoreError};

/// An event by user 1 over a session, from 192.0.2.9 with request id `rq-<n>`, at `at(n)`.
fn event(n: i64, action: AuditAction) -> AuditEvent {
    let origin = Origin {
        family: Family::V2,
        ip: Some("192.0.2.9".parse().expect("an address")),
        request_id: None,
    };
    let actor = Actor {
        user: Some(UserId(1)),
        kind: ActorKind::Session,
    };
    let mut event = AuditEvent::new(at(n), actor, &origin, action);
    // Any text an adapter gave as a request id reads back as written.
    event.request_id = Some(format!("rq-{n}"));
    event
}

async fn all<S: Stores>(store: &S) -> Vec<AuditRecord> {
    store
        .list_audit_events(&AuditQuery {
            page: PageRequest::new(1000, 0),
            ..AuditQuery::default()
        })
        .await
        .expect("list_audit_events")
        .items
}

/// Each audited write of each store stores exactly its event, completed with the row the
/// store assigned or found (a new user's id; a key's, configuration's or session's id), and
/// every field of the event reads back as written, newest first.
pub async fn audited_writes_store_their_events<S: Stores>(store: S) {
    let admin = store
        .create_user_audited(new_admin("root"), Some(event(1, AuditAction::UserCreate)))
        .await
        .expect("create");
    let bob = store
        .create_user_audited(
            new_user("bob"),
            Some(event(2, AuditAction::UserCreate).with_fields(["username", "password"])),
        )
        .await
        .expect("create");
    store
        .update_user_audited(
            bob.id,
            change(
                UserChanges {
                    enabled: Some(true),
                    ..UserChanges::default()
                },
                at(3),
            ),
            Some(
                event(3, AuditAction::UserUpdate)
                    .on_user(bob.id)
                    .with_fields(["enabled"]),
            ),
        )
        .await
        .expect("update");
    let session = store
        .create_session_audited(
            new_session(bob.id, "t1", at(1000)),
            Some(event(4, AuditAction::SessionCreate).on_user(bob.id)),
        )
        .await
        .expect("session");
    assert!(
        store
            .delete_session_audited(
                session.id,
                Some(event(5, AuditAction::SessionDelete).on_user(bob.id))
            )
            .await
            .expect("delete session")
    );
    let key = store
        .create_api_key_audited(
            new_api_key(bob.id, &key_identifier(1)),
            Some(event(6, AuditAction::ApiKeyCreate).on_user(bob.id)),
        )
        .await
        .expect("key");
    store
        .update_api_key_audited(
            bob.id,
            key.id,
            ApiKeyChanges {
                expires_at: Some(None),
                ..ApiKeyChanges::default()
            },
            at(7),
            Some(event(7, AuditAction::ApiKeyUpdate).on_user(bob.id)),
        )
        .await
        .expect("key update");
    store
        .delete_api_key_audited(
            bob.id,
            key.id,
            Some(event(8, AuditAction::ApiKeyDelete).on_user(bob.id)),
        )
        .await
        .expect("key delete");
    let theme = store
        .create_configuration_audited(
            bob.id,
            config_key("theme"),
            config_value("dark"),
            at(9),
            NO_LIMIT,
            Some(event(9, AuditAction::ConfigurationCreate).on_user(bob.id)),
        )
        .await
        .expect("configuration");
    store
        .update_configuration_audited(
            bob.id,
            &ConfigurationRef::Key(config_key("theme")),
            ConfigurationChanges {
                value: Some(config_value("light")),
                key: None,
            },
            at(10),
            Some(event(10, AuditAction::ConfigurationUpdate).on_user(bob.id)),
        )
        .await
        .expect("configuration update");
    store
        .delete_configuration_audited(
            bob.id,
            &ConfigurationRef::Key(config_key("theme")),
            Some(event(11, AuditAction::ConfigurationDelete).on_user(bob.id)),
        )
        .await
        .expect("configuration delete");
    store
        .delete_user_audited(
            bob.id,
            at(12),
            Some(event(12, AuditAction::UserDelete).on_user(bob.id)),
        )
        .await
        .expect("delete user");

    let records = all(&store).await;
    let actions: Vec<AuditAction> = records.iter().map(|r| r.event.action).collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::UserDelete,
            AuditAction::ConfigurationDelete,
            AuditAction::ConfigurationUpdate,
            AuditAction::ConfigurationCreate,
            AuditAction::ApiKeyDelete,
            AuditAction::ApiKeyUpdate,
            AuditAction::ApiKeyCreate,
            AuditAction::SessionDelete,
            AuditAction::SessionCreate,
            AuditAction::UserUpdate,
            AuditAction::UserCreate,
            AuditAction::UserCreate,
        ],
        "one event per write, newest first"
    );
    assert!(
        records.windows(2).all(|w| w[0].id > w[1].id),
        "ids increase in write order"
    );
    // The creates name what the store assigned.
    let target_of = |action: AuditAction| {
        records
            .iter()
            .find(|r| r.event.action == action)
            .map(|r| (r.event.target_user, r.event.target.clone()))
    };
    assert_eq!(records[11].event.target_user, Some(admin.id));
    assert_eq!(records[10].event.target_user, Some(bob.id));
    assert_eq!(
        target_of(AuditAction::SessionCreate),
        Some((Some(bob.id), Some(session.id.to_string())))
    );
    assert_eq!(
        target_of(AuditAction::SessionDelete),
        Some((Some(bob.id), Some(session.id.to_string())))
    );
    for action in [
        AuditAction::ApiKeyCreate,
        AuditAction::ApiKeyUpdate,
        AuditAction::ApiKeyDelete,
    ] {
        assert_eq!(
            target_of(action),
            Some((Some(bob.id), Some(key.id.to_string())))
        );
    }
    for action in [
        AuditAction::ConfigurationCreate,
        AuditAction::ConfigurationUpdate,
        AuditAction::ConfigurationDelete,
    ] {
        assert_eq!(
            target_of(action),
            Some((Some(bob.id), Some(theme.id.to_string())))
        );
    }
    // Every other field reads back as written.
    let created_bob = &records[10].event;
    assert_eq!(
        created_bob,
        &event(2, AuditAction::UserCreate)
            .on_user(bob.id)
            .with_fields(["username", "password"])
    );
    assert_eq!(records[9].event.fields, vec!["enabled".to_owned()]);
}

/// A refused write stores no event: a taken username, the last admin disabled or deleted, a
/// missing user, key or configuration, a key over its owner's limit, a configuration key
/// taken, a session that is already gone.
pub async fn refused_writes_store_no_event<S: Stores>(store: S) {
    let admin = store.create_user(new_admin("root")).await.expect("create");
    let bob = store.create_user(new_user("bob")).await.expect("create");
    let refused = |n: i64| Some(event(n, AuditAction::UserUpdate));
    assert_eq!(
        store
            .create_user_audited(new_user("BOB"), refused(1))
            .await
            .map(drop),
        Err(UserStoreError::Taken(
            crate::ports::UniqueUserField::Username
        ))
    );
    assert_eq!(
        store
            .update_user_audited(
                admin.id,
                change(
                    UserChanges {
                        enabled: Some(false),
                        ..UserChanges::default()
                    },
                    at(2),
                ),
                refused(2),
            )
            .await
            .map(drop),
        Err(UserStoreError::LastAdmin)
    );
    assert_eq!(
        store
            .update_user_audited(
                admin.id,
                change(
                    UserChanges {
                        username: Some(username("bob")),
                        ..UserChanges::default()
                    },
                    at(2),
                ),
                refused(2),
            )
            .await
            .map(drop),
        Err(UserStoreError::Taken(
            crate::ports::UniqueUserField::Username
        ))
    );
    assert_eq!(
        store.delete_user_audited(admin.id, at(3), refused(3)).await,
        Err(UserStoreError::LastAdmin)
    );
    assert_eq!(
        store
            .delete_user_audited(UserId(9999), at(3), refused(3))
            .await,
        Err(UserStoreError::NotFound)
    );
    assert_eq!(
        store
            .create_api_key_audited(
                crate::entities::NewApiKey {
                    owner_may_hold: 0,
                    ..new_api_key(bob.id, &key_identifier(7))
                },
                refused(4),
            )
            .await
            .map(drop),
        Err(ApiKeyStoreError::LimitReached)
    );
    assert_eq!(
        store
            .delete_api_key_audited(bob.id, crate::entities::ApiKeyId(9999), refused(5))
            .await,
        Err(ApiKeyStoreError::NotFound)
    );
    store
        .create_configuration(bob.id, config_key("k"), config_value("v"), at(6), NO_LIMIT)
        .await
        .expect("configuration");
    assert_eq!(
        store
            .create_configuration_audited(
                bob.id,
                config_key("k"),
                config_value("v"),
                at(6),
                NO_LIMIT,
                refused(6),
            )
            .await
            .map(drop),
        Err(ConfigurationStoreError::KeyTaken)
    );
    assert_eq!(
        store
            .update_configuration_audited(
                bob.id,
                &ConfigurationRef::Key(config_key("nope")),
                ConfigurationChanges::default(),
                at(7),
                refused(7),
            )
            .await
            .map(drop),
        Err(ConfigurationStoreError::NotFound)
    );
    assert_eq!(
        store
            .delete_configuration_audited(
                admin.id,
                &ConfigurationRef::Key(config_key("k")),
                refused(8),
            )
            .await,
        Err(ConfigurationStoreError::NotFound),
        "another user's configuration"
    );
    assert_eq!(
        store
            .delete_session_audited(crate::entities::SessionId(9999), refused(9))
            .await,
        Ok(false)
    );
    assert_eq!(
        all(&store).await,
        Vec::new(),
        "no event for a refused write"
    );
}

/// Listing filters on actor, target user, action and a half-open time range, pages newest
/// first with the total of matches, and purging deletes exactly the events before the cut.
pub async fn audit_events_filter_page_and_purge<S: Stores>(store: S) {
    for n in 1..=6 {
        let mut e = event(n * 10, AuditAction::SignInFailure);
        e.actor = Actor::anonymous();
        e.target_user = Some(UserId(n % 2 + 1));
        if n == 6 {
            e.action = AuditAction::UserDelete;
            e.actor.user = Some(UserId(3));
            e.client = Some("2001:db8::7".parse().expect("an address"));
            e.request_id = None;
        }
        store.append_audit_event(e).await.expect("append");
    }
    let list = |q: AuditQuery| {
        let store = store.clone();
        async move {
            let listed = store.list_audit_events(&q).await.expect("list");
            (
                listed.total,
                listed
                    .items
                    .iter()
                    .map(|r| (r.event.at - at(0)).num_seconds())
                    .collect::<Vec<_>>(),
            )
        }
    };
    let q = AuditQuery::default;
    assert_eq!(list(q()).await, (6, vec![60, 50, 40, 30, 20, 10]));
    assert_eq!(
        list(AuditQuery {
            page: PageRequest::new(2, 1),
            ..q()
        })
        .await,
        (6, vec![50, 40])
    );
    assert_eq!(
        list(AuditQuery {
            page: PageRequest::new(2, 10),
            ..q()
        })
        .await,
        (6, vec![])
    );
    assert_eq!(
        list(AuditQuery {
            target_user: Some(UserId(1)),
            ..q()
        })
        .await,
        (3, vec![60, 40, 20])
    );
    assert_eq!(
        list(AuditQuery {
            actor: Some(UserId(3)),
            ..q()
        })
        .await,
        (1, vec![60])
    );
    assert_eq!(
        list(AuditQuery {
            action: Some(AuditAction::SignInFailure),
            since: Some(at(20)),
            until: Some(at(50)),
            ..q()
        })
        .await,
        (3, vec![40, 30, 20]),
        "since is inclusive, until exclusive"
    );
    let records = all(&store).await;
    assert_eq!(records[0].event.client, "2001:db8::7".parse().ok());
    assert_eq!(records[0].event.request_id, None);
    assert_eq!(records[1].event.request_id.as_deref(), Some("rq-50"));
    assert_eq!(records[1].event.actor, Actor::anonymous());

    assert_eq!(store.purge_audit_events(at(30)).await, Ok(2));
    assert_eq!(list(q()).await, (4, vec![60, 50, 40, 30]));
    assert_eq!(store.purge_audit_events(at(30)).await, Ok(0));
}
