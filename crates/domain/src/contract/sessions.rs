//! Kit tests of session storage: create, find by digest, expiry, revocation, and the sessions
//! that user updates end.

use super::Stores;
use super::builders::{
    at, change, key_identifier, new_admin, new_api_key, new_session, new_user, password_hash,
    username,
};
use super::probes::{create, has_session};
use crate::entities::{NewSession, Session, SessionRevocation, UserChanges, UserId, UserUpdate};
use crate::ports::{SessionStoreError, UniqueUserField, UserStoreError};
use crate::secrets::TokenDigest;

/// Creates a session or panics.
async fn open<S: Stores>(store: &S, new: NewSession) -> Session {
    match store.create_session(new).await {
        Ok(session) => session,
        Err(e) => panic!("create_session failed: {e:?}"),
    }
}

/// A session is stored with an assigned id, found by the digest of its token whatever its
/// expiry, and deleted once (`true`, then `false`); sessions of a missing user are refused.
pub async fn sessions_are_created_found_and_deleted<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let new = new_session(alice.id, "rcs_token-one", at(3_600));
    let one = open(&store, new.clone()).await;
    assert_eq!(
        one,
        Session {
            id: one.id,
            user_id: new.user_id,
            token_digest: new.token_digest,
            created_at: new.created_at,
            expires_at: new.expires_at,
        }
    );
    let expired = open(&store, new_session(alice.id, "rcs_token-two", at(-10))).await;
    assert_ne!(one.id, expired.id);
    let find = |token: &str| {
        let store = store.clone();
        let digest = TokenDigest::of(token);
        async move { store.find_session(&digest).await.expect("find_session") }
    };
    assert_eq!(find("rcs_token-one").await, Some(one.clone()));
    assert_eq!(
        find("rcs_token-two").await,
        Some(expired.clone()),
        "found whatever its expiry"
    );
    assert_eq!(find("rcs_token-three").await, None);

    assert_eq!(store.delete_session(one.id).await, Ok(true));
    assert_eq!(store.delete_session(one.id).await, Ok(false));
    assert_eq!(find("rcs_token-one").await, None);
    assert_eq!(find("rcs_token-two").await, Some(expired));

    let missing = UserId(alice.id.get() + 1000);
    assert_eq!(
        store
            .create_session(new_session(missing, "rcs_orphan", at(60)))
            .await,
        Err(SessionStoreError::UserNotFound)
    );
    assert!(!has_session(&store, "rcs_orphan").await);
}

/// `delete_expired_sessions` removes exactly the sessions ending at or before `now`, of every
/// user, and reports how many went.
pub async fn expired_sessions_are_deleted_at_or_before_now<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    open(&store, new_session(alice.id, "a10", at(10))).await;
    open(&store, new_session(bob.id, "b20", at(20))).await;
    open(&store, new_session(alice.id, "a30", at(30))).await;
    open(
        &store,
        new_session(bob.id, "b20+", at(20) + chrono::Duration::microseconds(1)),
    )
    .await;
    assert_eq!(store.delete_expired_sessions(at(5)).await, Ok(0));
    assert_eq!(store.delete_expired_sessions(at(20)).await, Ok(2));
    assert!(!has_session(&store, "a10").await);
    assert!(!has_session(&store, "b20").await);
    assert!(
        has_session(&store, "b20+").await,
        "one microsecond later survives"
    );
    assert!(has_session(&store, "a30").await);
    assert_eq!(store.delete_expired_sessions(at(20)).await, Ok(0));
    assert_eq!(store.delete_expired_sessions(at(100)).await, Ok(2));
    assert!(!has_session(&store, "a30").await);
}

/// `delete_user_sessions` removes the user's sessions except the one to keep, never another
/// user's, and reports how many went.
pub async fn user_sessions_are_revoked_with_and_without_keep<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    open(&store, new_session(alice.id, "a1", at(60))).await;
    let keep = open(&store, new_session(alice.id, "a2", at(60))).await;
    open(&store, new_session(alice.id, "a3", at(60))).await;
    let bobs = open(&store, new_session(bob.id, "b1", at(60))).await;

    assert_eq!(
        store.delete_user_sessions(alice.id, Some(keep.id)).await,
        Ok(2)
    );
    assert!(!has_session(&store, "a1").await);
    assert!(has_session(&store, "a2").await);
    assert!(!has_session(&store, "a3").await);
    assert!(has_session(&store, "b1").await);

    // Keeping another user's session does not spare any of this user's.
    assert_eq!(
        store.delete_user_sessions(alice.id, Some(bobs.id)).await,
        Ok(1)
    );
    assert!(!has_session(&store, "a2").await);
    assert!(has_session(&store, "b1").await);
    assert_eq!(store.delete_user_sessions(alice.id, None).await, Ok(0));
    assert_eq!(store.delete_user_sessions(bob.id, None).await, Ok(1));
    assert!(!has_session(&store, "b1").await);
}

/// `update_user` ends no session, every session but one, or every session of the user, as
/// asked, never another user's; a refused update ends none.
pub async fn update_user_revokes_sessions_as_requested<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    open(&store, new_session(alice.id, "a1", at(600))).await;
    let current = open(&store, new_session(alice.id, "a2", at(600))).await;
    open(&store, new_session(alice.id, "a3", at(600))).await;
    open(&store, new_session(bob.id, "b1", at(600))).await;
    let update = |revoke_sessions, changes: UserChanges| UserUpdate {
        changes,
        revoke_sessions,
        now: at(1),
    };
    let new_password = || UserChanges {
        password_hash: Some(password_hash("changed")),
        ..UserChanges::default()
    };

    store
        .update_user(alice.id, update(SessionRevocation::None, new_password()))
        .await
        .expect("update without revocation");
    for token in ["a1", "a2", "a3", "b1"] {
        assert!(has_session(&store, token).await, "{token} stays");
    }

    store
        .update_user(
            alice.id,
            update(SessionRevocation::AllExcept(current.id), new_password()),
        )
        .await
        .expect("update revoking all but the current session");
    assert!(!has_session(&store, "a1").await);
    assert!(has_session(&store, "a2").await);
    assert!(!has_session(&store, "a3").await);
    assert!(has_session(&store, "b1").await);

    // A refused update ends nothing.
    let clash = UserChanges {
        username: Some(username("BOB")),
        ..new_password()
    };
    assert_eq!(
        store
            .update_user(alice.id, update(SessionRevocation::All, clash))
            .await,
        Err(UserStoreError::Taken(UniqueUserField::Username))
    );
    assert!(has_session(&store, "a2").await);

    store
        .update_user(alice.id, update(SessionRevocation::All, new_password()))
        .await
        .expect("update revoking every session");
    assert!(!has_session(&store, "a2").await);
    assert!(has_session(&store, "b1").await);
}

/// Disabling a user, or setting an expiry at or before `now`, ends all of their sessions (even
/// when no revocation was asked for) and keeps their API keys; an expiry in the future ends
/// nothing.
pub async fn disabling_or_expiring_a_user_deletes_sessions_but_keeps_keys<S: Stores>(store: S) {
    let _root = create(&store, new_admin("root")).await;
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    let key = store
        .create_api_key(new_api_key(alice.id, &key_identifier(1)))
        .await
        .expect("create key");
    open(&store, new_session(alice.id, "a1", at(9_000))).await;
    open(&store, new_session(alice.id, "a2", at(9_000))).await;
    open(&store, new_session(bob.id, "b1", at(9_000))).await;
    let set = |changes: UserChanges, now| store.update_user(alice.id, change(changes, now));

    set(
        UserChanges {
            enabled: Some(false),
            ..UserChanges::default()
        },
        at(10),
    )
    .await
    .expect("disable");
    assert!(!has_session(&store, "a1").await);
    assert!(!has_session(&store, "a2").await);
    assert!(has_session(&store, "b1").await, "other users keep theirs");
    assert_eq!(store.get_api_key(alice.id, key.id).await, Ok(key.clone()));
    assert_eq!(
        store.find_api_key(&key.identifier).await,
        Ok(Some(key.clone()))
    );

    set(
        UserChanges {
            enabled: Some(true),
            ..UserChanges::default()
        },
        at(20),
    )
    .await
    .expect("enable");
    open(&store, new_session(alice.id, "a3", at(9_000))).await;
    set(
        UserChanges {
            expired_at: Some(Some(at(5_000))),
            ..UserChanges::default()
        },
        at(30),
    )
    .await
    .expect("future expiry");
    assert!(
        has_session(&store, "a3").await,
        "a future expiry ends nothing"
    );

    set(
        UserChanges {
            expired_at: Some(Some(at(40))),
            ..UserChanges::default()
        },
        at(40),
    )
    .await
    .expect("expire now");
    assert!(!has_session(&store, "a3").await, "expired at now");
    assert_eq!(store.get_api_key(alice.id, key.id).await, Ok(key.clone()));

    set(
        UserChanges {
            expired_at: Some(None),
            ..UserChanges::default()
        },
        at(50),
    )
    .await
    .expect("unexpire");
    open(&store, new_session(alice.id, "a4", at(9_000))).await;
    set(
        UserChanges {
            expired_at: Some(Some(at(10))),
            ..UserChanges::default()
        },
        at(60),
    )
    .await
    .expect("expire in the past");
    assert!(!has_session(&store, "a4").await, "expired in the past");
    assert!(has_session(&store, "b1").await);
    assert_eq!(store.get_api_key(alice.id, key.id).await, Ok(key));
}
