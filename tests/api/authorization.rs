//! Every authenticated v2 route, table-driven: no credentials is 401 with both challenges,
//! an API key without the route's scope is 403, and route and method are checked before
//! credentials (404/405 without any).

use crate::helpers::{
    Auth, Backend, TestApp, assert_no_credentials, assert_v2_error, both_backends, spawn_app,
};
use reqwest::Method;
use serde_json::{Value, json};

/// `(method, path, body)` of every v2 route that needs credentials.
fn authenticated_v2_routes(user_id: i64) -> Vec<(Method, String, Option<Value>)> {
    let user = json!({"first_name": "x"});
    let config = json!({"key": "k", "value": "v"});
    let key = json!({"name": "n", "api_key_scopes": [{"controller": "users", "action": "show"}]});
    vec![
        (Method::DELETE, "/api/v2/users/sign_out".into(), None),
        (Method::GET, "/api/v2/users/me".into(), None),
        (Method::GET, "/api/v2/users".into(), None),
        (
            Method::POST,
            "/api/v2/users".into(),
            Some(json!({"username": "newbie", "password": "long-enough-password"})),
        ),
        (Method::GET, format!("/api/v2/users/{user_id}"), None),
        (Method::PUT, format!("/api/v2/users/{user_id}"), Some(user)),
        (Method::DELETE, format!("/api/v2/users/{user_id}"), None),
        (
            Method::PUT,
            format!("/api/v2/users/{user_id}/password"),
            Some(json!({"password": "long-enough-password"})),
        ),
        (Method::GET, "/api/v2/users/me/configurations".into(), None),
        (
            Method::POST,
            "/api/v2/users/me/configurations".into(),
            Some(config.clone()),
        ),
        (
            Method::GET,
            "/api/v2/users/me/configurations/k".into(),
            None,
        ),
        (
            Method::PUT,
            "/api/v2/users/me/configurations/k".into(),
            Some(config),
        ),
        (
            Method::DELETE,
            "/api/v2/users/me/configurations/k".into(),
            None,
        ),
        (Method::GET, "/api/v2/users/me/api_keys".into(), None),
        (
            Method::POST,
            "/api/v2/users/me/api_keys".into(),
            Some(key.clone()),
        ),
        (Method::GET, "/api/v2/users/me/api_keys/1".into(), None),
        (Method::PUT, "/api/v2/users/me/api_keys/1".into(), Some(key)),
        (Method::DELETE, "/api/v2/users/me/api_keys/1".into(), None),
        (Method::GET, "/api/v2/users/-/systems".into(), None),
        (Method::GET, "/api/v2/groups/-/systems".into(), None),
    ]
}

async fn call(
    app: &TestApp,
    method: &Method,
    path: &str,
    auth: &Auth,
    body: &Option<Value>,
) -> crate::helpers::TestResponse {
    match body {
        Some(body) => app.call_json(method.clone(), path, auth, body).await,
        None => app.call(method.clone(), path, auth).await,
    }
}

both_backends!(every_authenticated_v2_route_answers_401_without_credentials);
async fn every_authenticated_v2_route_answers_401_without_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    for (method, path, body) in authenticated_v2_routes(app.admin_id().await) {
        let response = call(&app, &method, &path, &Auth::None, &body).await;
        assert_eq!(response.status, 401, "{method} {path}: {}", response.text());
        assert_no_credentials(&response);
    }
}

both_backends!(every_authenticated_v2_route_answers_403_to_a_key_without_its_scope);
async fn every_authenticated_v2_route_answers_403_to_a_key_without_its_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    // An admin's key holding only a scope no authenticated route declares.
    let auth = app
        .key_bearer(&app.admin(), &[("sessions", "create")])
        .await;
    for (method, path, body) in authenticated_v2_routes(app.admin_id().await) {
        let response = call(&app, &method, &path, &auth, &body).await;
        assert_eq!(response.status, 403, "{method} {path}: {}", response.text());
        assert_v2_error(&response, 403);
    }
    // Nothing happened.
    app.get_me(&app.admin()).await.assert_status(200);
}

both_backends!(route_and_method_are_checked_before_credentials);
async fn route_and_method_are_checked_before_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/api/v2/nothing-here",
        "/api/v2/users/me/unknown",
        "/api/v2/",
    ] {
        let response = app.call(Method::GET, path, &Auth::None).await;
        assert_v2_error(&response, 404);
    }
    for (method, path) in [
        (Method::PATCH, "/api/v2/users/me"),
        (Method::DELETE, "/api/v2/users/me/configurations"),
        (Method::GET, "/token"),
        (Method::POST, "/api/v2/users/-/systems"),
    ] {
        let response = app.call(method.clone(), path, &Auth::None).await;
        assert_eq!(response.status, 405, "{method} {path}: {}", response.text());
    }
}
