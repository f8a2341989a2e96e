//! Kit tests of API-key storage: lookup by identifier, per-owner scoping, updates, use
//! tracking, deletion and listing.

use super::Stores;
use super::builders::{at, at_micros, key_identifier, key_name, new_api_key, new_user};
use super::probes::create;
use crate::entities::{ApiKey, ApiKeyChanges, ApiKeyId, NewApiKey, UserId};
use crate::listing::PageRequest;
use crate::ports::ApiKeyStoreError;
use crate::values::{Scope, ScopeSet};

/// Creates a key or panics.
async fn make<S: Stores>(store: &S, new: NewApiKey) -> ApiKey {
    match store.create_api_key(new).await {
        Ok(key) => key,
        Err(e) => panic!("create_api_key failed: {e:?}"),
    }
}

/// The key a store must return for `new` once it assigned `id`.
fn expected(id: ApiKeyId, new: &NewApiKey) -> ApiKey {
    ApiKey {
        id,
        user_id: new.user_id,
        name: new.name.clone(),
        identifier: new.identifier.clone(),
        secret_digest: new.secret_digest,
        last_four: new.last_four.clone(),
        scopes: new.scopes.clone(),
        expires_at: new.expires_at,
        last_used_at: None,
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}

/// A key is stored as given (scopes, empty scopes, expiry), found by its identifier whoever
/// owns it, and read, changed or deleted only by its owner: for anyone else it is `NotFound`.
/// Identifiers are unique across users; keys of a missing user are refused.
pub async fn api_keys_are_created_found_and_scoped_to_owner<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    let new = NewApiKey {
        scopes: ScopeSet::all(),
        expires_at: Some(at_micros(1_000_000_001)),
        ..new_api_key(alice.id, &key_identifier(0xa11ce))
    };
    let key = make(&store, new.clone()).await;
    assert!(key.id.get() > 0);
    assert_eq!(key, expected(key.id, &new));
    let bare = NewApiKey {
        name: key_name(""),
        scopes: ScopeSet::new(),
        ..new_api_key(alice.id, &key_identifier(0xb0b))
    };
    let bare_key = make(&store, bare.clone()).await;
    assert_ne!(bare_key.id, key.id);
    assert_eq!(
        bare_key,
        expected(bare_key.id, &bare),
        "empty name and scopes"
    );

    assert_eq!(
        store.find_api_key(&key_identifier(0xa11ce)).await,
        Ok(Some(key.clone()))
    );
    assert_eq!(store.find_api_key(&key_identifier(0xfff)).await, Ok(None));
    assert_eq!(store.get_api_key(alice.id, key.id).await, Ok(key.clone()));

    assert_eq!(
        store.get_api_key(bob.id, key.id).await,
        Err(ApiKeyStoreError::NotFound)
    );
    let rename = ApiKeyChanges {
        name: Some(key_name("stolen")),
        ..ApiKeyChanges::default()
    };
    assert_eq!(
        store.update_api_key(bob.id, key.id, rename, at(5)).await,
        Err(ApiKeyStoreError::NotFound)
    );
    assert_eq!(
        store.delete_api_key(bob.id, key.id).await,
        Err(ApiKeyStoreError::NotFound)
    );
    assert_eq!(
        store.get_api_key(alice.id, key.id).await,
        Ok(key.clone()),
        "untouched by another user's attempts"
    );
    assert_eq!(
        store
            .get_api_key(
                alice.id,
                ApiKeyId(key.id.get().max(bare_key.id.get()) + 1000)
            )
            .await,
        Err(ApiKeyStoreError::NotFound)
    );

    for owner in [bob.id, alice.id] {
        assert_eq!(
            store
                .create_api_key(new_api_key(owner, &key_identifier(0xa11ce)))
                .await,
            Err(ApiKeyStoreError::IdentifierTaken)
        );
    }
    let missing = UserId(alice.id.get().max(bob.id.get()) + 1000);
    assert_eq!(
        store
            .create_api_key(new_api_key(missing, &key_identifier(0xdead)))
            .await,
        Err(ApiKeyStoreError::UserNotFound)
    );
    assert_eq!(store.find_api_key(&key_identifier(0xdead)).await, Ok(None));
    let listed = store
        .list_api_keys(bob.id, PageRequest::first())
        .await
        .expect("list bob's keys");
    assert_eq!((listed.items, listed.total), (vec![], 0));
}

/// `update_api_key` changes only what it names (and clears the expiry with `Some(None)`) and
/// sets `updated_at`; `touch_api_key` sets `last_used_at` only and ignores missing keys;
/// a deleted key is gone for every method.
pub async fn api_keys_are_updated_touched_and_deleted<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let key = make(&store, new_api_key(alice.id, &key_identifier(1))).await;
    let other = make(&store, new_api_key(alice.id, &key_identifier(2))).await;

    let renamed = store
        .update_api_key(
            alice.id,
            key.id,
            ApiKeyChanges {
                name: Some(key_name("renamed")),
                ..ApiKeyChanges::default()
            },
            at(10),
        )
        .await
        .expect("rename");
    assert_eq!(
        renamed,
        ApiKey {
            name: key_name("renamed"),
            updated_at: at(10),
            ..key.clone()
        }
    );

    let scopes: ScopeSet = [Scope::CONFIGURATIONS_INDEX, Scope::API_KEYS_DESTROY]
        .into_iter()
        .collect();
    let rescoped = store
        .update_api_key(
            alice.id,
            key.id,
            ApiKeyChanges {
                scopes: Some(scopes.clone()),
                expires_at: Some(Some(at(86_400))),
                ..ApiKeyChanges::default()
            },
            at(20),
        )
        .await
        .expect("change scopes and expiry");
    assert_eq!(
        rescoped,
        ApiKey {
            scopes: scopes.clone(),
            expires_at: Some(at(86_400)),
            updated_at: at(20),
            ..renamed
        }
    );
    let unexpiring = store
        .update_api_key(
            alice.id,
            key.id,
            ApiKeyChanges {
                expires_at: Some(None),
                ..ApiKeyChanges::default()
            },
            at(30),
        )
        .await
        .expect("clear expiry");
    assert_eq!(unexpiring.expires_at, None);
    assert_eq!(unexpiring.scopes, scopes);
    assert_eq!(
        store.get_api_key(alice.id, key.id).await,
        Ok(unexpiring.clone())
    );

    let used = at_micros(40_000_001);
    store.touch_api_key(key.id, used).await.expect("touch");
    let touched = store.get_api_key(alice.id, key.id).await.expect("get");
    assert_eq!(
        touched,
        ApiKey {
            last_used_at: Some(used),
            ..unexpiring
        },
        "touch sets last_used_at and nothing else"
    );
    assert_eq!(
        store.get_api_key(alice.id, other.id).await,
        Ok(other.clone()),
        "other keys untouched"
    );
    store
        .touch_api_key(ApiKeyId(key.id.get().max(other.id.get()) + 1000), used)
        .await
        .expect("touching a missing key is not an error");

    store
        .delete_api_key(alice.id, key.id)
        .await
        .expect("delete");
    assert_eq!(
        store.get_api_key(alice.id, key.id).await,
        Err(ApiKeyStoreError::NotFound)
    );
    assert_eq!(store.find_api_key(&key.identifier).await, Ok(None));
    assert_eq!(
        store.delete_api_key(alice.id, key.id).await,
        Err(ApiKeyStoreError::NotFound)
    );
    assert_eq!(
        store
            .update_api_key(alice.id, key.id, ApiKeyChanges::default(), at(50))
            .await,
        Err(ApiKeyStoreError::NotFound)
    );
    assert_eq!(
        store.find_api_key(&other.identifier).await,
        Ok(Some(other)),
        "the other key stays"
    );
}

/// A user's keys list in id order, one page at a time, with the total of that user's keys.
pub async fn api_keys_list_in_id_order_with_paging<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    let carol = create(&store, new_user("carol")).await;
    let mut alices = Vec::new();
    for n in 0..5u64 {
        alices.push(make(&store, new_api_key(alice.id, &key_identifier(100 - n))).await);
        if n < 2 {
            make(&store, new_api_key(bob.id, &key_identifier(200 + n))).await;
        }
    }
    let ids = |keys: &[ApiKey]| keys.iter().map(|k| k.id).collect::<Vec<_>>();
    let list = |user, limit, offset| {
        let store = store.clone();
        async move {
            store
                .list_api_keys(user, PageRequest::new(limit, offset))
                .await
                .expect("list_api_keys")
        }
    };
    let all = list(alice.id, 50, 0).await;
    assert_eq!(all.total, 5);
    assert_eq!(all.items, alices, "id order, not identifier order");
    let page = list(alice.id, 2, 2).await;
    assert_eq!((ids(&page.items), page.total), (ids(&alices[2..4]), 5));
    let last = list(alice.id, 2, 4).await;
    assert_eq!((ids(&last.items), last.total), (ids(&alices[4..]), 5));
    let past = list(alice.id, 2, 10).await;
    assert_eq!((past.items.len(), past.total), (0, 5));
    let bobs = list(bob.id, 1, 0).await;
    assert_eq!((bobs.items.len(), bobs.total), (1, 2));
    assert!(bobs.items.iter().all(|k| k.user_id == bob.id));
    let none = list(carol.id, 50, 0).await;
    assert_eq!((none.items.len(), none.total), (0, 0));
}
