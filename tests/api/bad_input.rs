//! Bad input (api.md section 7): malformed JSON 400, a body not declared as JSON 415, bodies
//! over 64 KiB 413, all in the v2 envelope; credentials are checked before the body.

use crate::helpers::{
    Auth, Backend, assert_field_error, assert_no_credentials, assert_v2_error, both_backends,
    spawn_app,
};
use reqwest::Method;
use serde_json::json;

both_backends!(malformed_json_is_400_in_the_v2_envelope);
async fn malformed_json_is_400_in_the_v2_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, auth, body) in [
        ("/api/v2/users", app.admin(), "{\"username\": "),
        ("/api/v2/users", app.admin(), "not json"),
        ("/api/v2/users", app.admin(), "[1, 2"),
        ("/api/v2/users", app.admin(), "{\"username\": \"x\",}"),
        ("/api/v2/users/sign_in", Auth::None, "{\"user\": {"),
    ] {
        assert_v2_error(&app.post_raw_json(path, &auth, body).await, 400);
    }
    // Credentials come first.
    let response = app.post_raw_json("/api/v2/users", &Auth::None, "{").await;
    assert_no_credentials(&response);
}

both_backends!(a_body_not_declared_as_json_is_415);
async fn a_body_not_declared_as_json_is_415(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();
    let body = json!({"username": "typed", "password": "long-enough-password"}).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let response = app
            .call_raw(
                Method::POST,
                "/api/v2/users",
                &admin,
                content_type,
                body.clone(),
            )
            .await;
        assert_v2_error(&response, 415);
    }
    let path = "/api/v2/users/me/configurations/k";
    let response = app
        .call_raw(
            Method::PUT,
            path,
            &admin,
            "text/plain",
            "{\"value\": \"v\"}",
        )
        .await;
    assert_v2_error(&response, 415);
    // JSON with a charset parameter is JSON.
    let json = "application/json; charset=utf-8";
    let response = app
        .call_raw(Method::POST, "/api/v2/users", &admin, json, body)
        .await;
    response.assert_status(201);
}

both_backends!(bodies_over_64_kib_are_413);
async fn bodies_over_64_kib_are_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let huge = json!({"key": "huge", "value": "v".repeat(70 * 1024)});
    let response = app.create_configuration(&app.admin(), &huge).await;
    assert_v2_error(&response, 413);
    // Just under the limit the body is read and judged on its merits.
    let under = json!({"key": "under", "value": "v".repeat(60 * 1024)});
    let response = app.create_configuration(&app.admin(), &under).await;
    assert_field_error(&response, "value", "too_long");
    let huge_login = format!(
        "{{\"user\": {{\"username\": \"{}\"}}}}",
        "u".repeat(70 * 1024)
    );
    let response = app
        .post_raw_json("/api/v2/users/sign_in", &Auth::None, huge_login)
        .await;
    assert_v2_error(&response, 413);
}

both_backends!(nul_bytes_and_wrong_types_are_422_not_500);
async fn nul_bytes_and_wrong_types_are_422_not_500(backend: Backend) {
    let app = spawn_app(backend).await;
    for body in [
        json!({"username": "nul\u{0}", "password": "long-enough-password"}),
        json!({"username": "nulpw", "password": "long-enough\u{0}password"}),
        json!({"username": "nulmail", "password": "long-enough-password", "email": "a\u{0}@example.com"}),
        json!({"username": "nullang", "password": "long-enough-password", "language": "e\u{0}n"}),
        json!({"username": ["array"], "password": "long-enough-password"}),
        json!({"username": "typed", "password": "long-enough-password", "user_id": "1000"}),
    ] {
        let response = app.create_user(&app.admin(), &body).await;
        assert_v2_error(&response, 422);
    }
    let response = app
        .create_configuration(&app.admin(), &json!({"key": "k\u{0}", "value": "v"}))
        .await;
    assert_v2_error(&response, 422);
    let response = app
        .create_configuration(&app.admin(), &json!({"key": "k", "value": "v\u{0}"}))
        .await;
    assert_v2_error(&response, 422);
    // A JSON body that is not an object.
    let response = app.create_user(&app.admin(), &json!(["username"])).await;
    assert!(
        matches!(response.status.as_u16(), 400 | 422),
        "{}",
        response.text()
    );
    assert_v2_error(&response, response.status.as_u16());
}

both_backends!(nul_bytes_in_paths_are_404_not_500);
/// A `%00` in a path segment decodes to NUL; no stored name holds one, and PostgreSQL refuses
/// one in a parameter, so every family answers "not found" on both backends, never 500.
async fn nul_bytes_in_paths_are_404_not_500(backend: Backend) {
    let app = spawn_app(backend).await;
    for (method, path) in [
        (Method::GET, "/api/v2/users/ad%00min"),
        (Method::GET, "/api/v2/users/a%00@example.com"),
        (Method::DELETE, "/api/v2/users/ad%00min"),
        (Method::GET, "/api/v2/users/me/configurations/k%00"),
        (Method::GET, "/api/v1/users/ad%00min"),
        (Method::DELETE, "/api/v1/users/ad%00min"),
        (Method::GET, "/api/application/users/external/e%00x"),
    ] {
        let response = app.call(method.clone(), path, &app.admin()).await;
        assert_eq!(
            response.status.as_u16(),
            404,
            "{method} {path}: {}",
            response.text()
        );
    }
}
