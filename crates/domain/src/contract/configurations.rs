//! Kit tests of per-user configuration storage: keys unique per user, addressing by id or key,
//! renames, deletion, listing.

use super::Stores;
use super::builders::{NO_LIMIT, at, config_key, config_value, new_user};
use super::probes::create;
use crate::entities::{
    Configuration, ConfigurationChanges, ConfigurationId, ConfigurationRef, UserId,
};
use crate::listing::PageRequest;
use crate::ports::ConfigurationStoreError;

/// Creates a configuration or panics.
async fn make<S: Stores>(store: &S, user: UserId, key: &str, value: &str) -> Configuration {
    match store
        .create_configuration(user, config_key(key), config_value(value), at(0), NO_LIMIT)
        .await
    {
        Ok(c) => c,
        Err(e) => panic!("create_configuration({key}) failed: {e:?}"),
    }
}

fn by_key(key: &str) -> ConfigurationRef {
    ConfigurationRef::Key(config_key(key))
}

/// A configuration is stored as given (any text up to 16 KiB), found by id and by key, only
/// by its owner; keys are unique per user (exactly: another case is another key), so another
/// user may use the same key; configurations of a missing user are refused.
pub async fn configurations_are_created_and_found_by_id_and_key<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    let text = "multi-line\n\"quoted\" \u{e9}\u{1f642} {\"json\": true}";
    let theme = store
        .create_configuration(
            alice.id,
            config_key("ui.theme"),
            config_value(text),
            at(3),
            NO_LIMIT,
        )
        .await
        .expect("create");
    assert!(theme.id.get() > 0);
    assert_eq!(
        theme,
        Configuration {
            id: theme.id,
            user_id: alice.id,
            key: config_key("ui.theme"),
            value: config_value(text),
            created_at: at(3),
            updated_at: at(3),
        }
    );
    let get = |user, by: ConfigurationRef| {
        let store = store.clone();
        async move { store.get_configuration(user, &by).await }
    };
    assert_eq!(
        get(alice.id, ConfigurationRef::Id(theme.id)).await,
        Ok(theme.clone())
    );
    assert_eq!(get(alice.id, by_key("ui.theme")).await, Ok(theme.clone()));
    assert_eq!(
        get(alice.id, by_key("ui.Theme")).await,
        Err(ConfigurationStoreError::NotFound)
    );

    assert_eq!(
        store
            .create_configuration(
                alice.id,
                config_key("ui.theme"),
                config_value("x"),
                at(4),
                NO_LIMIT
            )
            .await,
        Err(ConfigurationStoreError::KeyTaken)
    );
    assert_eq!(get(alice.id, by_key("ui.theme")).await, Ok(theme.clone()));
    let upper = make(&store, alice.id, "UI.theme", "other case").await;
    assert_ne!(upper.id, theme.id);

    let big = "v".repeat(16 * 1024);
    let bobs = store
        .create_configuration(
            bob.id,
            config_key("ui.theme"),
            config_value(&big),
            at(5),
            NO_LIMIT,
        )
        .await
        .expect("another user may use the same key");
    assert_eq!(get(bob.id, by_key("ui.theme")).await, Ok(bobs.clone()));
    assert_eq!(bobs.value.as_str().len(), 16 * 1024);
    assert_eq!(
        get(bob.id, ConfigurationRef::Id(theme.id)).await,
        Err(ConfigurationStoreError::NotFound),
        "another user's id"
    );
    assert_eq!(
        get(
            alice.id,
            ConfigurationRef::Id(ConfigurationId(bobs.id.get() + 1000))
        )
        .await,
        Err(ConfigurationStoreError::NotFound)
    );

    let missing = UserId(alice.id.get().max(bob.id.get()) + 1000);
    assert_eq!(
        store
            .create_configuration(missing, config_key("k"), config_value("v"), at(6), NO_LIMIT)
            .await,
        Err(ConfigurationStoreError::UserNotFound)
    );
}

/// `update_configuration` changes the value and/or renames the key (to a key no other
/// configuration of that user holds; its own key is fine), sets `updated_at`, keeps
/// `created_at`, and finds nothing of another user.
pub async fn configurations_are_updated_and_renamed<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    let theme = make(&store, alice.id, "theme", "dark").await;
    let lang = make(&store, alice.id, "lang", "en").await;
    make(&store, bob.id, "shared", "bob's").await;
    let update = |user, by: ConfigurationRef, key: Option<&str>, value: Option<&str>, now| {
        let store = store.clone();
        let changes = ConfigurationChanges {
            key: key.map(config_key),
            value: value.map(config_value),
        };
        async move { store.update_configuration(user, &by, changes, now).await }
    };

    let light = update(alice.id, by_key("theme"), None, Some("light"), at(10))
        .await
        .expect("change value");
    assert_eq!(
        light,
        Configuration {
            value: config_value("light"),
            updated_at: at(10),
            ..theme.clone()
        }
    );

    assert_eq!(
        update(
            alice.id,
            ConfigurationRef::Id(theme.id),
            Some("lang"),
            Some("x"),
            at(11)
        )
        .await,
        Err(ConfigurationStoreError::KeyTaken)
    );
    assert_eq!(
        store
            .get_configuration(alice.id, &ConfigurationRef::Id(theme.id))
            .await,
        Ok(light.clone()),
        "a refused rename writes nothing"
    );
    let same = update(
        alice.id,
        ConfigurationRef::Id(theme.id),
        Some("theme"),
        None,
        at(12),
    )
    .await
    .expect("renaming to its own key");
    assert_eq!(same.key, config_key("theme"));
    assert_eq!(same.updated_at, at(12));

    let renamed = update(
        alice.id,
        ConfigurationRef::Id(theme.id),
        Some("ui.theme"),
        Some("blue"),
        at(13),
    )
    .await
    .expect("rename and change");
    assert_eq!(
        renamed,
        Configuration {
            key: config_key("ui.theme"),
            value: config_value("blue"),
            updated_at: at(13),
            ..theme.clone()
        }
    );
    assert_eq!(
        store.get_configuration(alice.id, &by_key("theme")).await,
        Err(ConfigurationStoreError::NotFound)
    );
    assert_eq!(
        store.get_configuration(alice.id, &by_key("ui.theme")).await,
        Ok(renamed.clone())
    );
    // The freed key can be used again.
    make(&store, alice.id, "theme", "again").await;
    // Bob's key does not clash with alice's rename.
    update(alice.id, by_key("lang"), Some("shared"), None, at(14))
        .await
        .expect("a key another user holds");

    assert_eq!(
        update(
            bob.id,
            ConfigurationRef::Id(lang.id),
            None,
            Some("hijack"),
            at(15)
        )
        .await,
        Err(ConfigurationStoreError::NotFound),
        "another user's configuration"
    );
    assert_eq!(
        update(bob.id, by_key("ui.theme"), None, Some("hijack"), at(15)).await,
        Err(ConfigurationStoreError::NotFound)
    );
    assert_eq!(
        update(alice.id, by_key("missing"), None, Some("v"), at(15)).await,
        Err(ConfigurationStoreError::NotFound)
    );
    assert_eq!(
        store
            .get_configuration(alice.id, &by_key("shared"))
            .await
            .map(|c| c.value),
        Ok(config_value("en"))
    );
}

/// A user's configurations list in id order (not key order), one page at a time, with the
/// total of that user's configurations; deleting by id or key removes exactly one, once, and
/// never another user's.
pub async fn configurations_are_deleted_and_listed_in_id_order<S: Stores>(store: S) {
    let alice = create(&store, new_user("alice")).await;
    let bob = create(&store, new_user("bob")).await;
    let carol = create(&store, new_user("carol")).await;
    let mut alices = Vec::new();
    for key in ["zeta", "alpha", "mid", "Beta", "omega"] {
        alices.push(make(&store, alice.id, key, key).await);
    }
    let bobs = make(&store, bob.id, "alpha", "bob").await;
    let list = |user, limit, offset| {
        let store = store.clone();
        async move {
            store
                .list_configurations(user, PageRequest::new(limit, offset))
                .await
                .expect("list_configurations")
        }
    };
    let all = list(alice.id, 50, 0).await;
    assert_eq!((all.items.clone(), all.total), (alices.clone(), 5));
    let page = list(alice.id, 2, 1).await;
    assert_eq!((page.items, page.total), (alices[1..3].to_vec(), 5));
    let past = list(alice.id, 2, 5).await;
    assert_eq!((past.items, past.total), (vec![], 5));
    assert_eq!(list(bob.id, 50, 0).await.items, vec![bobs.clone()]);
    let none = list(carol.id, 50, 0).await;
    assert_eq!((none.items, none.total), (vec![], 0));

    assert_eq!(
        store
            .delete_configuration(bob.id, &ConfigurationRef::Id(alices[0].id))
            .await,
        Err(ConfigurationStoreError::NotFound),
        "another user's configuration"
    );
    assert_eq!(
        store.delete_configuration(bob.id, &by_key("zeta")).await,
        Err(ConfigurationStoreError::NotFound)
    );
    store
        .delete_configuration(alice.id, &ConfigurationRef::Id(alices[0].id))
        .await
        .expect("delete by id");
    store
        .delete_configuration(alice.id, &by_key("alpha"))
        .await
        .expect("delete by key");
    assert_eq!(
        store.delete_configuration(alice.id, &by_key("alpha")).await,
        Err(ConfigurationStoreError::NotFound)
    );
    assert_eq!(
        store
            .delete_configuration(alice.id, &ConfigurationRef::Id(alices[0].id))
            .await,
        Err(ConfigurationStoreError::NotFound)
    );
    let left = list(alice.id, 50, 0).await;
    assert_eq!((left.items, left.total), (alices[2..].to_vec(), 3));
    assert_eq!(
        store.get_configuration(bob.id, &by_key("alpha")).await,
        Ok(bobs),
        "bob's configuration with the same key stays"
    );
}
