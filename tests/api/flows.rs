//! The two client flows the product was specified from, end to end: an Empire client
//! (`POST /token`, Bearer, `PUT` with `{username, enabled, is_admin}`, password change) and a
//! Nodeum client (`sign_in`, bare `Authorization` token, configurations, API keys).

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, assert_bearer_challenge, assert_v2_error,
    assert_v2_message, assert_v2_user, both_backends, scope_list, spawn_app,
};
use serde_json::json;

both_backends!(empire_client_flow);
async fn empire_client_flow(backend: Backend) {
    let app = spawn_app(backend).await;

    // The operator signs in the Empire way and creates an operator account.
    let admin_token = app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let admin = Auth::bearer(&admin_token);
    let me = app.get_me(&admin).await;
    me.assert_status(200);
    let admin_id = me.json()["id"].as_i64().unwrap();
    let created = app
        .create_user(
            &admin,
            &json!({"username": "empire-op", "password": "empire-op-password"}),
        )
        .await;
    created.assert_status(201);
    let id = created.json()["id"].as_i64().unwrap();

    // The operator logs in twice (two clients); both tokens work.
    let old_token = app.token("empire-op", "empire-op-password").await;
    let token = app.token("empire-op", "empire-op-password").await;
    let me = app.get_me(&Auth::bearer(&token)).await;
    me.assert_status(200);
    let body = me.json();
    assert_v2_user(&body);
    assert_eq!(body["id"], id);
    app.get_user(&Auth::EmpireToken(old_token.clone()), &id.to_string())
        .await
        .assert_status(200);

    // Empire's user form always sends username, enabled and is_admin.
    let renamed = app
        .update_user(
            &Auth::bearer(&token),
            &id.to_string(),
            &json!({"username": "empire-operator", "enabled": true, "is_admin": false}),
        )
        .await;
    renamed.assert_status(200);
    assert_eq!(renamed.json()["username"], "empire-operator");

    // Password change: the session making it stays, the other one ends.
    let changed = app
        .change_password(
            &Auth::bearer(&token),
            &id.to_string(),
            &json!({"password": "empire-new-password"}),
        )
        .await;
    changed.assert_status(200);
    assert_v2_user(&changed.json());
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&old_token)).await);
    app.get_me(&Auth::bearer(&token)).await.assert_status(200);
    let wrong = app
        .post_token(&[
            ("username", "empire-operator"),
            ("password", "empire-op-password"),
        ])
        .await;
    assert_v2_message(&wrong, 401, "Incorrect username or password");
    app.token("empire-operator", "empire-new-password").await;

    // The admin manages the operator with the same form…
    let promoted = app
        .update_user(
            &admin,
            &id.to_string(),
            &json!({"username": "empire-operator", "enabled": true, "is_admin": true}),
        )
        .await;
    promoted.assert_status(200);
    assert_eq!(promoted.json()["is_admin"], true);
    app.update_user(
        &admin,
        &id.to_string(),
        &json!({"username": "empire-operator", "enabled": false, "is_admin": false}),
    )
    .await
    .assert_status(200);
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&token)).await);

    // …but cannot demote or disable the last enabled admin: themselves.
    for form in [
        json!({"username": ADMIN_USERNAME, "enabled": true, "is_admin": false}),
        json!({"username": ADMIN_USERNAME, "enabled": false, "is_admin": true}),
    ] {
        let refused = app.update_user(&admin, &admin_id.to_string(), &form).await;
        assert_v2_message(
            &refused,
            400,
            "Cannot disable or demote the last enabled admin.",
        );
    }
    let me = app.get_me(&admin).await.json();
    assert_eq!(me["is_admin"], true);
    assert_eq!(me["enabled"], true);
}

both_backends!(nodeum_client_flow);
async fn nodeum_client_flow(backend: Backend) {
    let app = spawn_app(backend).await;
    app.make_user("nodeum", false).await;

    // Sign in; the token comes back in the Authorization header and is sent back bare.
    let signed_in = app
        .sign_in(&json!({"user": {"username": "nodeum", "password": "nodeum-password"}}))
        .await;
    signed_in.assert_status(201);
    assert_eq!(signed_in.json()["username"], "nodeum");
    let token = signed_in
        .header("authorization")
        .expect("Authorization header");
    let session = Auth::Bare(token.clone());

    // Configurations, created and read back by id and by key.
    let created = app
        .create_configuration(&session, &json!({"key": "global.locale", "value": "en"}))
        .await;
    created.assert_status(201);
    let created = created.json();
    let config_id = created["id"].as_i64().unwrap();
    assert_eq!(
        app.get_configuration(&session, &config_id.to_string())
            .await
            .json(),
        created
    );
    assert_eq!(
        app.get_configuration(&session, "global.locale")
            .await
            .json(),
        created
    );
    let list = app.list_configurations(&session, "").await.json();
    assert_eq!(
        list,
        json!({"configurations": [created.clone()], "count": 1})
    );

    // An API key: whole once, masked after.
    let made = app
        .create_api_key(
            &session,
            &json!({
                "name": "dev-key",
                "api_key_scopes": scope_list(&[("users", "show"), ("configurations", "index"), ("configurations", "show")]),
            }),
        )
        .await;
    made.assert_status(201);
    let made = made.json();
    let key = made["key"].as_str().unwrap().to_owned();
    let key_id = made["id"].as_i64().unwrap();
    let mask = format!("******************{}", &key[key.len() - 4..]);
    let listed = app.list_api_keys(&session, "").await.json();
    assert_eq!(
        listed,
        json!({"api_keys": [{"id": key_id, "key": mask, "name": "dev-key"}], "count": 1})
    );

    // The key works within its scopes and is refused outside them.
    let with_key = Auth::bearer(&key);
    assert_eq!(app.get_me(&with_key).await.json()["username"], "nodeum");
    app.list_configurations(&with_key, "")
        .await
        .assert_status(200);
    assert_eq!(
        app.get_configuration(&with_key, "global.locale")
            .await
            .json(),
        created
    );
    assert_v2_error(
        &app.create_configuration(&with_key, &json!({"key": "x", "value": "y"}))
            .await,
        403,
    );
    assert_v2_error(&app.list_users(&with_key, "").await, 403);
    assert_v2_error(&app.list_api_keys(&with_key, "").await, 403);
    assert_v2_error(
        &app.delete_configuration(&with_key, "global.locale").await,
        403,
    );

    // Deleted, the key no longer authenticates.
    app.delete_api_key(&session, &key_id.to_string())
        .await
        .assert_status(204);
    assert_bearer_challenge(&app.get_me(&with_key).await);

    // Sign out ends the session.
    app.sign_out(&session).await.assert_status(204);
    assert_bearer_challenge(&app.get_me(&Auth::Bare(token)).await);
}
