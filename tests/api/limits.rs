//! Issue 9, finding 10: per-user ceilings on sessions, API keys and configurations, and no
//! cache may keep a response that shows a whole credential. On both backends.

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, assert_v2_error, both_backends, spawn_app_with,
};
use futures_util::future::join_all;
use serde_json::json;

async fn sessions_past_the_ceiling_end_the_oldest(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.per_user.sessions = 3).await;
    let mut tokens = Vec::new();
    for _ in 0..5 {
        tokens.push(app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await);
    }
    // The newest three work; the two oldest were ended by the fourth and fifth login.
    for (n, token) in tokens.iter().enumerate() {
        let expected = if n < 2 { 401 } else { 200 };
        app.get_me(&Auth::bearer(token))
            .await
            .assert_status(expected);
    }
    // Another user's sessions are not touched by the admin's logins.
    let bob = app.make_user("bob", false).await;
    let bobs = app.token("bob", &bob.password).await;
    for _ in 0..3 {
        app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    }
    app.get_me(&Auth::bearer(&bobs)).await.assert_status(200);
}

async fn api_keys_past_the_ceiling_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.per_user.api_keys = 2).await;
    let admin = app.admin();
    let (first, _) = app.make_api_key(&admin, &[("users", "index")]).await;
    app.make_api_key(&admin, &[("users", "index")]).await;
    let r = app
        .create_api_key(&admin, &json!({"name": "third", "api_key_scopes": []}))
        .await;
    let body = assert_v2_error(&r, 422);
    assert_eq!(body["details"]["api_keys"][0]["error"], "too_long");
    assert_eq!(body["details"]["api_keys"][0]["count"], 2);
    assert_eq!(body["detail"], "api_keys has too many items (maximum is 2)");
    let listed = app.list_api_keys(&admin, "").await;
    listed.assert_status(200);
    assert_eq!(
        listed.json()["count"],
        2,
        "nothing stored: {}",
        listed.text()
    );
    // Deleting one makes room again.
    app.delete_api_key(&admin, &first.to_string())
        .await
        .assert_status(204);
    app.make_api_key(&admin, &[("users", "index")]).await;
}

async fn configurations_past_the_ceiling_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.per_user.configurations = 2).await;
    let admin = app.admin();
    for key in ["a", "b"] {
        app.create_configuration(&admin, &json!({"key": key, "value": "v"}))
            .await
            .assert_status(201);
    }
    let r = app
        .create_configuration(&admin, &json!({"key": "c", "value": "v"}))
        .await;
    let body = assert_v2_error(&r, 422);
    assert_eq!(body["details"]["configurations"][0]["error"], "too_long");
    assert_eq!(body["details"]["configurations"][0]["count"], 2);
    app.get_configuration(&admin, "c").await.assert_status(404);
    // Another user has a ceiling of their own.
    let bob = app.make_user("bob", false).await;
    app.create_configuration(&bob.basic(), &json!({"key": "c", "value": "v"}))
        .await
        .assert_status(201);
}

/// Twelve concurrent key creates against a ceiling of three: three succeed, nine are 422.
async fn concurrent_key_creates_stop_at_the_ceiling(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.per_user.api_keys = 3).await;
    let admin = app.admin();
    let body = json!({"name": "race", "api_key_scopes": []});
    let results = join_all((0..12).map(|_| app.create_api_key(&admin, &body))).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(app.list_api_keys(&admin, "").await.json()["count"], 3);
}

/// The whole key of a creation, and every session token, are `Cache-Control: no-store`.
async fn responses_showing_a_credential_are_not_stored(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let r = app
        .create_api_key(&app.admin(), &json!({"name": "k", "api_key_scopes": []}))
        .await;
    r.assert_status(201);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let r = app
        .post_token(&[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)])
        .await;
    r.assert_status(200);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let r = app
        .sign_in(&json!({"user": {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}}))
        .await;
    r.assert_status(201);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
}

both_backends!(
    sessions_past_the_ceiling_end_the_oldest,
    api_keys_past_the_ceiling_are_refused,
    configurations_past_the_ceiling_are_refused,
    concurrent_key_creates_stop_at_the_ceiling,
    responses_showing_a_credential_are_not_stored,
);
