//! `/api/v2/users/me/api_keys`: keys shown whole once and masked after, scoped, never broader
//! than the key that made them, and dead once deleted.

use crate::helpers::{
    Auth, Backend, assert_bearer_challenge, assert_field_error, assert_no_credentials,
    assert_no_password, assert_v2_error, assert_v2_timestamp, both_backends, scope_list, spawn_app,
};
use serde_json::{Value, json};

const MASK: &str = "******************";

fn masked(full_key: &str) -> String {
    format!("{MASK}{}", &full_key[full_key.len() - 4..])
}

fn sorted_keys(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body
        .as_object()
        .unwrap_or_else(|| panic!("an object: {body}"))
        .keys()
        .cloned()
        .collect();
    keys.sort_unstable();
    keys
}

both_backends!(an_api_key_is_shown_once_then_masked);
async fn an_api_key_is_shown_once_then_masked(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .create_api_key(
            &app.admin(),
            &json!({
                "name": "dev-key",
                "api_key_scopes": [{"controller": "users", "action": "show"}],
                "expires_at": "2099-01-01T00:00:00Z",
                "id": 5,
            }),
        )
        .await;
    response.assert_status(201);
    let created = response.json();
    assert_eq!(
        sorted_keys(&created),
        [
            "api_key_scopes",
            "created_at",
            "expires_at",
            "id",
            "key",
            "last_used_at",
            "name"
        ]
    );
    assert_eq!(created["name"], "dev-key");
    assert_eq!(
        created["api_key_scopes"],
        json!([{"controller": "users", "action": "show"}])
    );
    assert_v2_timestamp(&created["created_at"]);
    assert_v2_timestamp(&created["expires_at"]);
    assert!(created["last_used_at"].is_null());
    let full = created["key"].as_str().unwrap().to_owned();
    assert!(
        !full.starts_with('*') && full.len() > 22,
        "the whole key: {full}"
    );
    let id = created["id"].as_i64().unwrap();
    assert_no_password(&created);

    let list = app.list_api_keys(&app.admin(), "").await;
    list.assert_status(200);
    let list = list.json();
    assert_eq!(list["count"], 1);
    assert_eq!(
        list["api_keys"],
        json!([{"id": id, "key": masked(&full), "name": "dev-key"}])
    );

    let one = app.get_api_key(&app.admin(), &id.to_string()).await;
    one.assert_status(200);
    let one = one.json();
    assert_eq!(one["id"], id);
    assert_eq!(one["key"], masked(&full));
    assert_eq!(one["name"], "dev-key");
    assert_eq!(one["api_key_scopes"], created["api_key_scopes"]);
    assert!(
        !one.to_string().contains(&full),
        "never the whole key again"
    );

    // The key authenticates; using it records last_used_at.
    app.get_me(&Auth::bearer(&full)).await.assert_status(200);
    let one = app.get_api_key(&app.admin(), &id.to_string()).await.json();
    if !one["last_used_at"].is_null() {
        assert_v2_timestamp(&one["last_used_at"]);
    }
}

both_backends!(api_key_name_is_optional_and_lists_page);
async fn api_key_name_is_optional_and_lists_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .create_api_key(
            &app.admin(),
            &json!({"api_key_scopes": scope_list(&[("users", "index")])}),
        )
        .await;
    response.assert_status(201);
    assert_eq!(response.json()["name"], "");
    for _ in 0..2 {
        app.make_api_key(&app.admin(), &[("users", "show")]).await;
    }
    let page = app
        .list_api_keys(&app.admin(), "limit=2&offset=1")
        .await
        .json();
    assert_eq!(page["count"], 3, "count is the total");
    assert_eq!(page["api_keys"].as_array().unwrap().len(), 2);
    let ids: Vec<i64> = app.list_api_keys(&app.admin(), "").await.json()["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_i64().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "id order");
}

both_backends!(api_keys_validate_scopes_and_fields);
async fn api_keys_validate_scopes_and_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();
    for (controller, action) in [("users", "fly"), ("servers", "index"), ("users", "delete")] {
        let response = app
            .create_api_key(
                &admin,
                &json!({"name": "bad", "api_key_scopes": [{"controller": controller, "action": action}]}),
            )
            .await;
        assert_field_error(&response, "api_key_scopes", "invalid");
    }
    assert_field_error(
        &app.create_api_key(
            &admin,
            &json!({"name": "bad", "api_key_scopes": scope_list(&[("users", "show")]), "expires_at": "soon"}),
        )
        .await,
        "expires_at",
        "invalid",
    );
    let response = app
        .create_api_key(&admin, &json!({"name": 5, "api_key_scopes": []}))
        .await;
    assert_field_error(&response, "name", "invalid");
    assert_eq!(app.list_api_keys(&admin, "").await.json()["count"], 0);
}

both_backends!(an_api_key_works_within_its_scopes_only);
async fn an_api_key_works_within_its_scopes_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, key) = app
        .make_api_key(
            &app.admin(),
            &[
                ("users", "show"),
                ("configurations", "index"),
                ("api_keys", "create"),
            ],
        )
        .await;
    let auth = Auth::bearer(&key);
    app.get_me(&auth).await.assert_status(200);
    app.list_configurations(&auth, "").await.assert_status(200);
    assert_v2_error(&app.list_users(&auth, "").await, 403);
    assert_v2_error(
        &app.create_configuration(&auth, &json!({"key": "k", "value": "v"}))
            .await,
        403,
    );
    assert_v2_error(&app.list_api_keys(&auth, "").await, 403);

    // A key may only grant what it holds.
    let escalation = app
        .create_api_key(
            &auth,
            &json!({"name": "wider", "api_key_scopes": scope_list(&[("users", "index")])}),
        )
        .await;
    assert_v2_error(&escalation, 403);
    let narrower = app
        .create_api_key(
            &auth,
            &json!({"name": "narrower", "api_key_scopes": scope_list(&[("users", "show")])}),
        )
        .await;
    narrower.assert_status(201);
    let narrower = narrower.json()["key"].as_str().unwrap().to_owned();
    app.get_me(&Auth::bearer(&narrower))
        .await
        .assert_status(200);

    // An expired key is refused.
    let expired = app
        .create_api_key(
            &app.admin(),
            &json!({"api_key_scopes": scope_list(&[("users", "show")]), "expires_at": "2000-01-01T00:00:00Z"}),
        )
        .await;
    expired.assert_status(201);
    let expired = expired.json()["key"].as_str().unwrap().to_owned();
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&expired)).await);
}

both_backends!(api_keys_are_updated_and_deleted);
async fn api_keys_are_updated_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, key) = app.make_api_key(&app.admin(), &[("users", "show")]).await;
    let path = id.to_string();

    let response = app
        .update_api_key(&app.admin(), &path, &json!({"name": "renamed"}))
        .await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["name"], "renamed");
    assert_eq!(body["key"], masked(&key));
    assert_eq!(
        body["api_key_scopes"],
        scope_list(&[("users", "show")]),
        "kept"
    );

    let response = app
        .update_api_key(
            &app.admin(),
            &path,
            &json!({"api_key_scopes": scope_list(&[("users", "index")])}),
        )
        .await;
    response.assert_status(200);
    assert_eq!(response.json()["name"], "renamed");
    assert_eq!(
        response.json()["api_key_scopes"],
        scope_list(&[("users", "index")])
    );
    assert_v2_error(&app.get_me(&Auth::bearer(&key)).await, 403);
    app.list_users(&Auth::bearer(&key), "")
        .await
        .assert_status(200);

    assert_field_error(
        &app.update_api_key(
            &app.admin(),
            &path,
            &json!({"api_key_scopes": scope_list(&[("users", "teleport")])}),
        )
        .await,
        "api_key_scopes",
        "invalid",
    );

    let response = app.delete_api_key(&app.admin(), &path).await;
    response.assert_status(204);
    assert!(response.body.is_empty());
    assert_bearer_challenge(&app.list_users(&Auth::bearer(&key), "").await);
    assert_v2_error(&app.get_api_key(&app.admin(), &path).await, 404);
    assert_v2_error(&app.delete_api_key(&app.admin(), &path).await, 404);
    assert_v2_error(
        &app.update_api_key(&app.admin(), &path, &json!({"name": "x"}))
            .await,
        404,
    );
    assert_v2_error(&app.get_api_key(&app.admin(), "not-a-number").await, 404);
}

both_backends!(api_keys_are_private_to_their_owner);
async fn api_keys_are_private_to_their_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.make_user("alice", false).await;
    let (id, key) = app.make_api_key(&alice.basic(), &[("users", "show")]).await;
    let path = id.to_string();
    assert_v2_error(&app.get_api_key(&app.admin(), &path).await, 404);
    assert_v2_error(
        &app.update_api_key(&app.admin(), &path, &json!({"name": "mine"}))
            .await,
        404,
    );
    assert_v2_error(&app.delete_api_key(&app.admin(), &path).await, 404);
    assert_eq!(app.list_api_keys(&app.admin(), "").await.json()["count"], 0);
    let me = app.get_me(&Auth::bearer(&key)).await;
    me.assert_status(200);
    assert_eq!(me.json()["username"], "alice", "a key acts as its owner");
}

both_backends!(api_key_routes_need_credentials_and_their_scopes);
async fn api_key_routes_need_credentials_and_their_scopes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, _) = app.make_api_key(&app.admin(), &[("users", "show")]).await;
    let path = id.to_string();
    let body = json!({"name": "n", "api_key_scopes": scope_list(&[("users", "show")])});
    assert_no_credentials(&app.list_api_keys(&Auth::None, "").await);
    assert_no_credentials(&app.create_api_key(&Auth::None, &body).await);
    assert_no_credentials(&app.get_api_key(&Auth::None, &path).await);
    assert_no_credentials(&app.update_api_key(&Auth::None, &path, &body).await);
    assert_no_credentials(&app.delete_api_key(&Auth::None, &path).await);

    let narrow = app.key_bearer(&app.admin(), &[("users", "show")]).await;
    assert_v2_error(&app.list_api_keys(&narrow, "").await, 403);
    assert_v2_error(&app.create_api_key(&narrow, &body).await, 403);
    assert_v2_error(&app.get_api_key(&narrow, &path).await, 403);
    assert_v2_error(&app.update_api_key(&narrow, &path, &body).await, 403);
    assert_v2_error(&app.delete_api_key(&narrow, &path).await, 403);

    let wide = app
        .key_bearer(
            &app.admin(),
            &[
                ("api_keys", "index"),
                ("api_keys", "show"),
                ("api_keys", "update"),
                ("api_keys", "destroy"),
                ("users", "show"),
            ],
        )
        .await;
    app.list_api_keys(&wide, "").await.assert_status(200);
    app.get_api_key(&wide, &path).await.assert_status(200);
    app.update_api_key(&wide, &path, &json!({"name": "n2"}))
        .await
        .assert_status(200);
    app.delete_api_key(&wide, &path).await.assert_status(204);
}
