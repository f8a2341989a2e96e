//! The audit trail on the real server: each kind of change, through each family, leaves one
//! event with its actor, family, target, address, request id and changed field names (never
//! a secret); a refused change leaves none; only admins (and keys with `audit_events/index`)
//! read it.

use crate::helpers::{
    Auth, Backend, TestApp, assert_field_error, assert_v2_error, both_backends, spawn_app,
};
use crate::v1::v1_change_password;
use reqwest::Method;
use serde_json::{Value, json};

/// Every event, newest first, as the admin reads them.
async fn events(app: &TestApp) -> Vec<Value> {
    let response = app
        .call(Method::GET, "/api/v2/audit_events?limit=1000", &app.admin())
        .await;
    response.assert_status(200);
    let body = response.json();
    let list = body["audit_events"]
        .as_array()
        .expect("audit_events")
        .clone();
    assert_eq!(body["count"].as_u64(), Some(list.len() as u64));
    list
}

/// The newest event.
async fn newest(app: &TestApp) -> Value {
    events(app).await.first().cloned().expect("an event")
}

both_backends!(each_change_through_each_family_leaves_one_event);
async fn each_change_through_each_family_leaves_one_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin_id = app.admin_id().await;
    let before = events(&app).await.len();

    // v2: create, with the fields named and the password's value nowhere.
    let created = app
        .create_user(
            &app.admin(),
            &json!({"username": "eve", "password": "eve-password-1", "email": "eve@example.com"}),
        )
        .await;
    created.assert_status(201);
    let eve = created.json()["id"].as_i64().expect("id");
    let request_id = created.header("x-request-id").expect("request id");
    let event = newest(&app).await;
    assert_eq!(event["action"], "user.create");
    assert_eq!(event["family"], "v2");
    assert_eq!(
        event["actor"],
        json!({"user_id": admin_id, "kind": "password"})
    );
    assert_eq!(event["target_user_id"], eve);
    assert_eq!(event["request_id"], request_id.as_str());
    assert_eq!(event["client_address"], "127.0.0.1");
    let fields: Vec<&str> = event["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(fields.contains(&"username") && fields.contains(&"password"));
    assert!(!event.to_string().contains("eve-password-1"), "{event}");

    // v1 (Basic as the admin): a password change, named but not shown.
    v1_change_password(&app, &app.admin(), "eve", None, "eve-password-2")
        .await
        .assert_status(200);
    let event = newest(&app).await;
    assert_eq!(
        (event["action"].as_str(), event["family"].as_str()),
        (Some("user.update"), Some("v1")),
        "{event}"
    );
    assert_eq!(event["fields"], json!(["password"]));
    assert!(!event.to_string().contains("eve-password-2"));

    // Sessions: a failed and a successful sign-in, then sign-out.
    app.post_token(&[("username", "eve"), ("password", "wrong-password")])
        .await
        .assert_status(401);
    let event = newest(&app).await;
    assert_eq!(event["action"], "sign_in.failure");
    assert_eq!(
        event["actor"],
        json!({"user_id": null, "kind": "anonymous"})
    );
    assert_eq!(event["target_user_id"], eve);
    let token = app.token("eve", "eve-password-2").await;
    let event = newest(&app).await;
    assert_eq!(event["action"], "session.create");
    assert_eq!(event["actor"], json!({"user_id": eve, "kind": "password"}));
    let session = event["target"].as_str().expect("session id").to_owned();
    let eve_session = Auth::bearer(&token);

    // Keys and configurations, by the user over the session.
    app.create_configuration(&eve_session, &json!({"key": "theme", "value": "dark"}))
        .await
        .assert_status(201);
    let event = newest(&app).await;
    assert_eq!(event["action"], "configuration.create");
    assert_eq!(event["actor"], json!({"user_id": eve, "kind": "session"}));
    let (key_id, full_key) = app.make_api_key(&eve_session, &[("users", "show")]).await;
    let event = newest(&app).await;
    assert_eq!(event["action"], "api_key.create");
    assert_eq!(event["target"], key_id.to_string());
    assert!(!event.to_string().contains(&full_key));
    app.delete_api_key(&eve_session, &key_id.to_string())
        .await
        .assert_status(204);
    assert_eq!(newest(&app).await["action"], "api_key.delete");
    app.sign_out(&eve_session).await;
    let event = newest(&app).await;
    assert_eq!(event["action"], "session.delete");
    assert_eq!(event["target"], session);

    // application: the delete.
    app.call(
        Method::DELETE,
        &format!("/api/application/users/{eve}"),
        &app.admin(),
    )
    .await
    .assert_status(204);
    let event = newest(&app).await;
    assert_eq!(
        (event["action"].as_str(), event["family"].as_str()),
        (Some("user.delete"), Some("application"))
    );
    assert_eq!(events(&app).await.len(), before + 9);
}

both_backends!(a_refused_change_leaves_no_event);
async fn a_refused_change_leaves_no_event(backend: Backend) {
    let app = spawn_app(backend).await;
    app.make_user("fay", false).await;
    let before = events(&app).await;
    // A taken username, the last admin disabled, a missing user.
    app.create_user(
        &app.admin(),
        &json!({"username": "FAY", "password": "password-123"}),
    )
    .await
    .assert_status(422);
    app.update_user(&app.admin(), "admin", &json!({"enabled": false}))
        .await
        .assert_status(400);
    app.delete_user(&app.admin(), "nobody")
        .await
        .assert_status(404);
    assert_eq!(events(&app).await, before);
}

both_backends!(only_admins_and_scoped_keys_read_the_trail);
async fn only_admins_and_scoped_keys_read_the_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let gus = app.make_user("gus", false).await;
    let path = "/api/v2/audit_events";
    app.call(Method::GET, path, &Auth::None)
        .await
        .assert_status(401);
    let refused = assert_v2_error(&app.call(Method::GET, path, &gus.basic()).await, 403);
    assert_eq!(
        refused["detail"], "User does not have access to read the audit trail.",
        "{refused}"
    );
    let unscoped = app.key_bearer(&app.admin(), &[("users", "index")]).await;
    let refused = assert_v2_error(&app.call(Method::GET, path, &unscoped).await, 403);
    assert_eq!(
        refused["detail"],
        "API key does not have the scope audit_events/index required by this action.",
        "{refused}"
    );
    let scoped = app
        .key_bearer(&app.admin(), &[("audit_events", "index")])
        .await;
    let response = app
        .call(
            Method::GET,
            &format!("{path}?action=user.create&limit=1"),
            &scoped,
        )
        .await;
    response.assert_status(200);
    let body = response.json();
    assert!(body["count"].as_u64().unwrap_or(0) >= 2, "{body}");
    assert_eq!(body["audit_events"].as_array().map(Vec::len), Some(1));
    // Filters: by target, and a bad value is the v2 422 naming it.
    let response = app
        .call(
            Method::GET,
            &format!("{path}?target_user_id={}&action=user.create", gus.id),
            &app.admin(),
        )
        .await;
    assert_eq!(response.json()["count"], 1);
    let bad = app
        .call(
            Method::GET,
            &format!("{path}?since=yesterday&limit=0"),
            &app.admin(),
        )
        .await;
    assert_field_error(&bad, "since", "invalid");
    assert_field_error(&bad, "limit", "greater_than_or_equal_to");
}
