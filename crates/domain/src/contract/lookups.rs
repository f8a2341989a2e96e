//! Kit tests of the joined lookups of the authentication path: a session or key with its
//! owner in one read, equal to the separate lookups.

use super::Stores;
use super::builders::{at, key_identifier, new_admin, new_api_key, new_session, new_user};
use super::probes::{create, get};
use crate::entities::{UserChanges, UserUpdate};
use crate::secrets::TokenDigest;

/// `find_session_and_owner` and `find_api_key_and_owner` give what `find_session` /
/// `find_api_key` and `find_user` give, follow every change of the owner at once, and find
/// nothing for unknown values or after the owner is gone.
pub async fn joined_lookups_match_the_separate_ones<S: Stores>(store: S) {
    let _root = create(&store, new_admin("root")).await;
    let alice = create(&store, new_user("alice")).await;
    let session = store
        .create_session(new_session(alice.id, "alice-token", at(9_000)))
        .await
        .expect("session");
    let key = store
        .create_api_key(new_api_key(alice.id, &key_identifier(0xa1)))
        .await
        .expect("key");
    let digest = TokenDigest::of("alice-token");
    assert_eq!(
        store.find_session_and_owner(&digest).await,
        Ok(Some((session.clone(), alice.clone())))
    );
    assert_eq!(
        store.find_api_key_and_owner(&key.identifier).await,
        Ok(Some((key.clone(), alice.clone())))
    );

    // A change of the owner is seen by the very next lookup.
    let renamed = store
        .update_user(
            alice.id,
            UserUpdate {
                changes: UserChanges {
                    first_name: Some(Some(super::builders::person("Alice"))),
                    ..UserChanges::default()
                },
                revoke_sessions: crate::entities::SessionRevocation::None,
                now: at(60),
            },
        )
        .await
        .expect("update");
    assert_eq!(renamed, get(&store, alice.id).await);
    assert_eq!(
        store.find_session_and_owner(&digest).await,
        Ok(Some((session.clone(), renamed.clone())))
    );
    assert_eq!(
        store.find_api_key_and_owner(&key.identifier).await,
        Ok(Some((key.clone(), renamed)))
    );

    assert_eq!(
        store
            .find_session_and_owner(&TokenDigest::of("nobody"))
            .await,
        Ok(None)
    );
    assert_eq!(
        store.find_api_key_and_owner(&key_identifier(0xb2)).await,
        Ok(None)
    );
    store.delete_user(alice.id, at(61)).await.expect("delete");
    assert_eq!(store.find_session_and_owner(&digest).await, Ok(None));
    assert_eq!(
        store.find_api_key_and_owner(&key.identifier).await,
        Ok(None)
    );
}
