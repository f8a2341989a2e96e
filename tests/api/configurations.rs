//! `/api/v2/users/me/configurations`: per-user key/value settings, addressed by id or key.

use crate::helpers::{
    Auth, Backend, assert_field_error, assert_no_credentials, assert_v2_error, both_backends,
    sorted_keys, spawn_app,
};
use serde_json::{Value, json};

fn keys_of(body: &Value) -> Vec<String> {
    body["configurations"]
        .as_array()
        .unwrap_or_else(|| panic!("configurations: {body}"))
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(configurations_are_created_read_by_id_and_key_listed_updated_and_deleted);
async fn configurations_are_created_read_by_id_and_key_listed_updated_and_deleted(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let user = app.make_user("configured", false).await;
    let auth = user.basic();

    let response = app
        .create_configuration(
            &auth,
            &json!({"key": "global.locale", "value": "en", "id": 77}),
        )
        .await;
    response.assert_status(201);
    let created = response.json();
    let keys = sorted_keys(&created);
    assert_eq!(keys, ["id", "key", "value"], "{created}");
    assert_eq!(created["key"], "global.locale");
    assert_eq!(created["value"], "en");
    let id = created["id"].as_i64().unwrap();
    assert_ne!(id, 77);

    for reference in [id.to_string(), "global.locale".to_owned()] {
        let response = app.get_configuration(&auth, &reference).await;
        response.assert_status(200);
        assert_eq!(response.json(), created, "{reference}");
    }

    for (key, value) in [("ui.theme", "dark"), ("ui-density", "compact")] {
        app.create_configuration(&auth, &json!({"key": key, "value": value}))
            .await
            .assert_status(201);
    }
    let body = app.list_configurations(&auth, "").await;
    body.assert_status(200);
    let body = body.json();
    assert_eq!(body["count"], 3);
    assert_eq!(
        keys_of(&body),
        ["global.locale", "ui.theme", "ui-density"],
        "id order"
    );
    let body = app
        .list_configurations(&auth, "limit=1&offset=1")
        .await
        .json();
    assert_eq!(body["count"], 3, "count is the total");
    assert_eq!(keys_of(&body), ["ui.theme"]);

    // PUT is partial and may rename the key.
    let response = app
        .update_configuration(&auth, "global.locale", &json!({"value": "fr"}))
        .await;
    response.assert_status(200);
    assert_eq!(
        response.json(),
        json!({"id": id, "key": "global.locale", "value": "fr"})
    );
    let response = app
        .update_configuration(&auth, &id.to_string(), &json!({"key": "global.language"}))
        .await;
    response.assert_status(200);
    assert_eq!(
        response.json(),
        json!({"id": id, "key": "global.language", "value": "fr"})
    );
    assert_v2_error(&app.get_configuration(&auth, "global.locale").await, 404);

    let response = app.delete_configuration(&auth, "global.language").await;
    response.assert_status(204);
    assert!(response.body.is_empty());
    assert_v2_error(&app.get_configuration(&auth, &id.to_string()).await, 404);
    assert_v2_error(&app.delete_configuration(&auth, &id.to_string()).await, 404);
    assert_v2_error(
        &app.update_configuration(&auth, "global.language", &json!({"value": "x"}))
            .await,
        404,
    );
    assert_eq!(app.list_configurations(&auth, "").await.json()["count"], 2);
}

both_backends!(configurations_validate_keys_and_values);
async fn configurations_validate_keys_and_values(backend: Backend) {
    let app = spawn_app(backend).await;
    let auth = app.admin();
    app.create_configuration(&auth, &json!({"key": "taken.key", "value": "1"}))
        .await
        .assert_status(201);
    app.create_configuration(&auth, &json!({"key": "other.key", "value": "2"}))
        .await
        .assert_status(201);

    let taken = assert_field_error(
        &app.create_configuration(&auth, &json!({"key": "taken.key", "value": "x"}))
            .await,
        "key",
        "taken",
    );
    assert_eq!(taken["value"], "taken.key");
    for bad in [
        "1starts-with-digit",
        "has space",
        "",
        "k".repeat(256).as_str(),
    ] {
        let response = app
            .create_configuration(&auth, &json!({"key": bad, "value": "x"}))
            .await;
        let body = assert_v2_error(&response, 422);
        assert!(body["details"]["key"].is_array(), "{bad:?}: {body}");
    }
    assert_field_error(
        &app.create_configuration(&auth, &json!({"key": "1abc", "value": "x"}))
            .await,
        "key",
        "invalid",
    );
    assert_field_error(
        &app.create_configuration(&auth, &json!({"value": "x"}))
            .await,
        "key",
        "blank",
    );
    assert_field_error(
        &app.create_configuration(&auth, &json!({"key": "no.value"}))
            .await,
        "value",
        "blank",
    );
    assert_field_error(
        &app.create_configuration(&auth, &json!({"key": "typed", "value": 5}))
            .await,
        "value",
        "invalid",
    );
    let long = assert_field_error(
        &app.create_configuration(
            &auth,
            &json!({"key": "big", "value": "v".repeat(16 * 1024 + 1)}),
        )
        .await,
        "value",
        "too_long",
    );
    assert!(long["count"].is_number(), "{long}");
    app.create_configuration(
        &auth,
        &json!({"key": "big", "value": "v".repeat(16 * 1024)}),
    )
    .await
    .assert_status(201);
    // Renaming onto a taken key is refused too; the key keeps its own name freely.
    assert_field_error(
        &app.update_configuration(&auth, "other.key", &json!({"key": "taken.key"}))
            .await,
        "key",
        "taken",
    );
    app.update_configuration(&auth, "other.key", &json!({"key": "other.key"}))
        .await
        .assert_status(200);
}

both_backends!(configurations_are_private_to_their_owner);
async fn configurations_are_private_to_their_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.make_user("alice", false).await;
    let bob = app.make_user("bob", false).await;
    let created = app
        .create_configuration(&alice.basic(), &json!({"key": "secret", "value": "a"}))
        .await
        .json();
    let id = created["id"].as_i64().unwrap().to_string();

    // The same key is free for another user.
    app.create_configuration(&bob.basic(), &json!({"key": "secret", "value": "b"}))
        .await
        .assert_status(201);
    let bobs = app.get_configuration(&bob.basic(), "secret").await.json();
    assert_eq!(bobs["value"], "b");

    assert_v2_error(&app.get_configuration(&bob.basic(), &id).await, 404);
    assert_v2_error(
        &app.update_configuration(&bob.basic(), &id, &json!({"value": "stolen"}))
            .await,
        404,
    );
    assert_v2_error(&app.delete_configuration(&bob.basic(), &id).await, 404);
    assert_v2_error(&app.get_configuration(&app.admin(), &id).await, 404);
    assert_eq!(
        app.get_configuration(&alice.basic(), &id).await.json()["value"],
        "a"
    );
    assert_eq!(
        app.list_configurations(&bob.basic(), "").await.json()["count"],
        1
    );
}

both_backends!(configuration_routes_need_credentials_and_their_scopes);
async fn configuration_routes_need_credentials_and_their_scopes(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"key": "k", "value": "v"});
    assert_no_credentials(&app.list_configurations(&Auth::None, "").await);
    assert_no_credentials(&app.create_configuration(&Auth::None, &body).await);
    assert_no_credentials(&app.get_configuration(&Auth::None, "k").await);
    assert_no_credentials(&app.update_configuration(&Auth::None, "k", &body).await);
    assert_no_credentials(&app.delete_configuration(&Auth::None, "k").await);

    let index = app
        .key_bearer(&app.admin(), &[("configurations", "index")])
        .await;
    app.list_configurations(&index, "").await.assert_status(200);
    assert_v2_error(&app.create_configuration(&index, &body).await, 403);

    let all = app
        .key_bearer(
            &app.admin(),
            &[
                ("configurations", "create"),
                ("configurations", "show"),
                ("configurations", "update"),
                ("configurations", "destroy"),
            ],
        )
        .await;
    assert_v2_error(&app.list_configurations(&all, "").await, 403);
    app.create_configuration(&all, &body)
        .await
        .assert_status(201);
    assert_v2_error(&app.get_configuration(&index, "k").await, 403);
    assert_v2_error(&app.update_configuration(&index, "k", &body).await, 403);
    assert_v2_error(&app.delete_configuration(&index, "k").await, 403);
    app.get_configuration(&all, "k").await.assert_status(200);
    app.update_configuration(&all, "k", &json!({"value": "w"}))
        .await
        .assert_status(200);
    app.delete_configuration(&all, "k").await.assert_status(204);
}
