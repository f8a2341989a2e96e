//! Kit tests of the per-user ceilings: the oldest sessions give way, API keys and
//! configurations past the ceiling are refused, and concurrent creates never overshoot.

use super::Stores;
use super::builders::{
    NO_LIMIT, at, config_key, config_value, key_identifier, new_api_key, new_session, new_user,
};
use super::probes::{create, has_session};
use crate::entities::{NewApiKey, NewSession, UserId};
use crate::listing::PageRequest;
use crate::ports::{ApiKeyStoreError, ConfigurationStoreError};
use futures_util::future::join_all;

fn capped_session(user: UserId, token: &str, keep_at_most: u32) -> NewSession {
    NewSession {
        keep_at_most,
        ..new_session(user, token, at(86_400))
    }
}

fn capped_key(user: UserId, n: u64, owner_may_hold: u32) -> NewApiKey {
    NewApiKey {
        owner_may_hold,
        ..new_api_key(user, &key_identifier(n))
    }
}

/// With `keep_at_most = 3`, a fourth and fifth session end the two oldest of that user only;
/// `keep_at_most = 1` leaves just the new one.
pub async fn sessions_past_the_ceiling_end_the_oldest<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    store
        .create_session(capped_session(bob.id, "bob-1", NO_LIMIT))
        .await
        .expect("bob's session");
    for n in 1..=5 {
        store
            .create_session(capped_session(alice.id, &format!("alice-{n}"), 3))
            .await
            .expect("alice's session");
    }
    for (token, open) in [
        ("alice-1", false),
        ("alice-2", false),
        ("alice-3", true),
        ("alice-4", true),
        ("alice-5", true),
        ("bob-1", true),
    ] {
        assert_eq!(has_session(&store, token).await, open, "{token}");
    }
    store
        .create_session(capped_session(alice.id, "alice-6", 1))
        .await
        .expect("a single session");
    for (token, open) in [("alice-5", false), ("alice-6", true), ("bob-1", true)] {
        assert_eq!(has_session(&store, token).await, open, "{token}");
    }
}

/// A user holding `owner_may_hold` keys gets `LimitReached` and nothing is stored; another
/// user is not affected, and deleting a key makes room again.
pub async fn api_keys_past_the_ceiling_are_refused<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    for n in 1..=2 {
        store
            .create_api_key(capped_key(alice.id, n, 2))
            .await
            .expect("under the ceiling");
    }
    assert_eq!(
        store.create_api_key(capped_key(alice.id, 3, 2)).await,
        Err(ApiKeyStoreError::LimitReached)
    );
    assert_eq!(store.find_api_key(&key_identifier(3)).await, Ok(None));
    store
        .create_api_key(capped_key(bob.id, 4, 2))
        .await
        .expect("another user's keys do not count");
    let first = store
        .list_api_keys(alice.id, PageRequest::first())
        .await
        .expect("list")
        .items[0]
        .id;
    store.delete_api_key(alice.id, first).await.expect("delete");
    store
        .create_api_key(capped_key(alice.id, 5, 2))
        .await
        .expect("room again");
}

/// The same for configurations.
pub async fn configurations_past_the_ceiling_are_refused<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    let make = |user, key: &str, cap| {
        store.create_configuration(user, config_key(key), config_value("v"), at(0), cap)
    };
    make(alice.id, "a", 2).await.expect("under the ceiling");
    make(alice.id, "b", 2).await.expect("under the ceiling");
    assert_eq!(
        make(alice.id, "c", 2).await,
        Err(ConfigurationStoreError::LimitReached)
    );
    make(bob.id, "c", 2)
        .await
        .expect("another user's configurations do not count");
    let listed = store
        .list_configurations(alice.id, PageRequest::first())
        .await
        .expect("list");
    assert_eq!(listed.total, 2, "nothing was stored past the ceiling");
    store
        .delete_configuration(
            alice.id,
            &crate::entities::ConfigurationRef::Id(listed.items[0].id),
        )
        .await
        .expect("delete");
    make(alice.id, "c", 2).await.expect("room again");
}

/// Twelve concurrent creates against a ceiling of three: exactly three keys and three
/// configurations are stored, the others refused with `LimitReached`, and three sessions
/// stay open.
pub async fn concurrent_creates_never_pass_a_ceiling<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let keys =
        join_all((0..12).map(|n| store.create_api_key(capped_key(alice.id, 100 + n, 3)))).await;
    assert_eq!(keys.iter().filter(|r| r.is_ok()).count(), 3, "{keys:?}");
    for result in keys.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(result, &ApiKeyStoreError::LimitReached);
    }
    let configurations = join_all((0..12).map(|n| {
        store.create_configuration(
            alice.id,
            config_key(&format!("k{n}")),
            config_value("v"),
            at(0),
            3,
        )
    }))
    .await;
    assert_eq!(
        configurations.iter().filter(|r| r.is_ok()).count(),
        3,
        "{configurations:?}"
    );
    for result in configurations.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(result, &ConfigurationStoreError::LimitReached);
    }
    let tokens: Vec<String> = (0..12).map(|n| format!("race-{n}")).collect();
    let sessions = join_all(
        tokens
            .iter()
            .map(|token| store.create_session(capped_session(alice.id, token, 3))),
    )
    .await;
    assert!(sessions.iter().all(Result::is_ok), "{sessions:?}");
    let mut open = 0;
    for token in &tokens {
        if has_session(&store, token).await {
            open += 1;
        }
    }
    assert_eq!(open, 3, "exactly the ceiling stays open");
}
