//! The v1 family (Unryo) on the real server: every route's success and main failures, each
//! error a bare JSON string. The helpers here (`v1_*`) are also used by the cross-family test
//! in `application`.

use crate::families::assert_v1_error;
use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, TestApp, TestResponse, both_backends, spawn_app,
};
use reqwest::Method;
use rollcall_domain::contract::builders::new_user;
use rollcall_domain::entities::NewUser;
use rollcall_domain::ports::UserStore;
use rollcall_storage_diesel::PoolOptions;
use serde_json::{Value, json};

const PASSWORD_MIN: &str = "Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'min' tag";
const PASSWORD_REQUIRED: &str = "Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'required' tag";
const CURRENT_REQUIRED: &str = "Key: 'UserPasswordRequest.Value.CurrentPassword' Error:Field validation for 'CurrentPassword' failed on the 'required' tag";
const USERNAME_INVALID: &str =
    "Key: 'UserURIRequest.User' Error:Field validation for 'User' failed on the 'username' tag";

/// `GET /api/v1/users`.
pub async fn v1_list(app: &TestApp, auth: &Auth) -> TestResponse {
    app.call(Method::GET, "/api/v1/users", auth).await
}

/// `GET /api/v1/users/{username}`.
pub async fn v1_get(app: &TestApp, auth: &Auth, username: &str) -> TestResponse {
    app.call(Method::GET, &format!("/api/v1/users/{username}"), auth)
        .await
}

/// `PUT /api/v1/users/{username}` with `{"value": {"password"}}`.
pub async fn v1_create(app: &TestApp, auth: &Auth, username: &str, password: &str) -> TestResponse {
    app.call_json(
        Method::PUT,
        &format!("/api/v1/users/{username}"),
        auth,
        &json!({"value": {"password": password}}),
    )
    .await
}

/// `PATCH /api/v1/users/{username}` with `{"value": {"current_password"?, "password"}}`.
pub async fn v1_change_password(
    app: &TestApp,
    auth: &Auth,
    username: &str,
    current: Option<&str>,
    password: &str,
) -> TestResponse {
    let mut value = json!({"password": password});
    if let Some(current) = current {
        value["current_password"] = json!(current);
    }
    app.call_json(
        Method::PATCH,
        &format!("/api/v1/users/{username}"),
        auth,
        &json!({ "value": value }),
    )
    .await
}

/// `DELETE /api/v1/users/{username}`.
pub async fn v1_delete(app: &TestApp, auth: &Auth, username: &str) -> TestResponse {
    app.call(Method::DELETE, &format!("/api/v1/users/{username}"), auth)
        .await
}

/// Asserts a v1 user `{"username", "admin"}` and nothing else.
#[track_caller]
fn assert_v1_user(body: &Value, username: &str, admin: bool) {
    assert_eq!(body, &json!({"username": username, "admin": admin}));
}

both_backends!(v1_routes_succeed);
async fn v1_routes_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();

    let created = v1_create(&app, &admin, "Unryo-User", "stringst").await;
    created.assert_status(201);
    assert_v1_user(&created.json()["value"], "Unryo-User", false);
    let user = Auth::basic("unryo-user", "stringst");

    let listed = v1_list(&app, &user).await;
    listed.assert_status(200);
    assert_eq!(
        listed.json(),
        json!({"value": [
            {"username": ADMIN_USERNAME, "admin": true},
            {"username": "Unryo-User", "admin": false},
        ]})
    );
    let one = v1_get(&app, &user, "UNRYO-USER").await;
    one.assert_status(200);
    assert_v1_user(&one.json(), "Unryo-User", false);

    // Their own password, with the current one.
    let changed =
        v1_change_password(&app, &user, "unryo-user", Some("stringst"), "second-pw").await;
    changed.assert_status(200);
    assert_v1_user(&changed.json()["value"], "Unryo-User", false);
    let user = Auth::basic("Unryo-User", "second-pw");
    v1_list(&app, &user).await.assert_status(200);
    // An admin sets someone else's without it.
    v1_change_password(&app, &admin, "Unryo-User", None, "third-pw-1")
        .await
        .assert_status(200);
    let user = Auth::basic("Unryo-User", "third-pw-1");
    v1_list(&app, &user).await.assert_status(200);

    let deleted = v1_delete(&app, &admin, "unryo-user").await;
    deleted.assert_status(204);
    assert!(deleted.body.is_empty());
    assert_v1_error(&v1_get(&app, &admin, "Unryo-User").await, 404);
}

both_backends!(v1_listing_streams_every_user_in_id_order);
/// The listing is written in steps of 1,000 users: with exactly one full step and with
/// several steps and a short last one, the body is one JSON document holding every user once,
/// in id order, written compactly as the whole list serialized at once would be.
async fn v1_listing_streams_every_user_in_id_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = rollcall_storage_diesel::connect(&app.db.url, PoolOptions::default())
        .await
        .expect("a second handle on the app's database");
    let seed = |from: usize, to: usize| {
        (from..to)
            .map(|n| NewUser {
                is_admin: n % 500 == 0,
                ..new_user(&format!("walker{n:04}"))
            })
            .collect::<Vec<_>>()
    };
    for (from, to) in [(1, 1000), (1000, 2345)] {
        store.create_users(seed(from, to)).await.expect("seed");
        let listed = v1_list(&app, &app.admin()).await;
        listed.assert_status(200);
        // Streamed: no length known up front (api.md section 9).
        assert_eq!(
            listed.header("transfer-encoding").as_deref(),
            Some("chunked")
        );
        assert_eq!(listed.header("content-length"), None);
        let mut expected = vec![format!(r#"{{"username":"{ADMIN_USERNAME}","admin":true}}"#)];
        expected.extend(
            (1..to).map(|n| format!(r#"{{"username":"walker{n:04}","admin":{}}}"#, n % 500 == 0)),
        );
        let expected = format!(r#"{{"value":[{}]}}"#, expected.join(","));
        assert_eq!(listed.body.len(), expected.len(), "{to} users");
        assert!(
            listed.body == expected.as_bytes(),
            "{to} users: the body is every user once, in id order"
        );
    }
}

both_backends!(v1_routes_fail_in_v1_strings);
async fn v1_routes_fail_in_v1_strings(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();
    v1_create(&app, &admin, "plain", "plain-password")
        .await
        .assert_status(201);
    let plain = Auth::basic("plain", "plain-password");

    // 401: the Basic challenge only.
    let response = v1_list(&app, &Auth::None).await;
    assert_eq!(assert_v1_error(&response, 401), "Unauthorized");
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/json"),
        "a JSON string"
    );
    assert_eq!(response.challenges(), r#"Basic realm="rollcall""#);
    let response = v1_list(&app, &Auth::basic(ADMIN_USERNAME, "wrong-password")).await;
    assert_eq!(assert_v1_error(&response, 401), "Unauthorized");

    // 400 / 409 on create.
    let cases = [
        (
            v1_create(&app, &admin, "newbie", "short").await,
            400,
            PASSWORD_MIN,
        ),
        (
            v1_create(&app, &admin, "newbie", "").await,
            400,
            PASSWORD_REQUIRED,
        ),
        (
            v1_create(&app, &admin, "-newbie", "long-enough").await,
            400,
            USERNAME_INVALID,
        ),
        (
            v1_create(&app, &admin, "PLAIN", "long-enough").await,
            409,
            "Username already existed",
        ),
        (
            v1_create(&app, &plain, "newbie", "long-enough").await,
            403,
            "Permission denied",
        ),
        (v1_get(&app, &plain, "nobody").await, 404, "User not found"),
        (
            v1_delete(&app, &admin, "nobody").await,
            404,
            "User not found",
        ),
        (
            v1_delete(&app, &plain, "admin").await,
            403,
            "Permission denied",
        ),
        (
            v1_delete(&app, &admin, ADMIN_USERNAME).await,
            400,
            "Cannot disable or demote the last enabled admin.",
        ),
        (
            v1_change_password(&app, &plain, "plain", None, "new-password").await,
            400,
            CURRENT_REQUIRED,
        ),
        (
            v1_change_password(
                &app,
                &plain,
                "plain",
                Some("wrong-password"),
                "new-password",
            )
            .await,
            400,
            "Current password is incorrect",
        ),
        (
            v1_change_password(&app, &admin, ADMIN_USERNAME, None, "new-password").await,
            400,
            CURRENT_REQUIRED,
        ),
        (
            v1_change_password(
                &app,
                &plain,
                ADMIN_USERNAME,
                Some(ADMIN_PASSWORD),
                "x-password",
            )
            .await,
            403,
            "Permission denied",
        ),
        (
            v1_change_password(&app, &admin, "nobody", None, "new-password").await,
            404,
            "User not found",
        ),
    ];
    for (response, status, message) in cases {
        assert_eq!(assert_v1_error(&response, status), message);
    }

    // API keys: harmless extras, limited to their scopes.
    let (_, key) = app.make_api_key(&admin, &[("users", "index")]).await;
    v1_list(&app, &Auth::bearer(&key)).await.assert_status(200);
    let response = v1_get(&app, &Auth::bearer(&key), "plain").await;
    assert_eq!(
        assert_v1_error(&response, 403),
        "Permission denied: the API key lacks the scope users/show"
    );

    // Section 7.
    let put_newbie = |content_type: &'static str, body: String| {
        app.call_raw(
            Method::PUT,
            "/api/v1/users/newbie",
            &admin,
            content_type,
            body,
        )
    };
    let response = put_newbie("application/json", "{\"value\":".into()).await;
    assert!(assert_v1_error(&response, 400).starts_with("invalid JSON: "));
    let response = put_newbie("text/plain", "{}".into()).await;
    assert_eq!(
        assert_v1_error(&response, 415),
        "Content-Type must be application/json"
    );
    let big = format!(
        "{{\"value\": {{\"password\": \"{}\"}}}}",
        "x".repeat(70 * 1024)
    );
    let response = put_newbie("application/json", big).await;
    assert_eq!(
        assert_v1_error(&response, 413),
        "http: request body too large"
    );
    let response = app.call(Method::GET, "/api/v1/groups", &Auth::None).await;
    assert_eq!(assert_v1_error(&response, 404), "404 page not found");
    let response = app.call(Method::POST, "/api/v1/users", &Auth::None).await;
    assert_eq!(assert_v1_error(&response, 405), "405 method not allowed");
    assert_eq!(response.header("allow").as_deref(), Some("GET"));
}
