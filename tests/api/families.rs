//! Bad input in the v1 (Unryo) and application (Pterodactyl) families (api.md section 7):
//! unknown routes, wrong methods, missing credentials, malformed JSON, bodies not declared as
//! JSON and oversized bodies, each answered in that family's own envelope.

use crate::helpers::{Auth, Backend, TestApp, TestResponse, both_backends, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// Asserts a v1 error: the status and a body that is a JSON string.
#[track_caller]
pub fn assert_v1_error(response: &TestResponse, status: u16) -> String {
    response.assert_status(status);
    match response.json() {
        Value::String(message) => message,
        other => panic!("a v1 error body is a JSON string, got {other}"),
    }
}

/// Asserts an application-family error: the status and
/// `{"errors": [{"code", "status": "<status>", "detail"}, …]}`. Returns the first entry.
#[track_caller]
pub fn assert_application_error(response: &TestResponse, status: u16) -> Value {
    response.assert_status(status);
    let body = response.json();
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("an errors list: {body}"));
    assert!(!errors.is_empty(), "{body}");
    for error in errors {
        assert!(error["code"].is_string(), "{body}");
        assert_eq!(error["status"], status.to_string(), "{body}");
        assert!(error["detail"].is_string(), "{body}");
    }
    errors[0].clone()
}

/// An admin API key for the application family.
async fn application_key(app: &TestApp) -> Auth {
    let (_, key) = app
        .make_api_key(
            &app.admin(),
            &[
                ("users", "index"),
                ("users", "show"),
                ("users", "create"),
                ("users", "update"),
                ("users", "destroy"),
            ],
        )
        .await;
    Auth::bearer(&key)
}

both_backends!(v1_answers_bad_input_in_its_envelope);
async fn v1_answers_bad_input_in_its_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();

    assert_v1_error(
        &app.call(Method::GET, "/api/v1/nothing-here", &Auth::None)
            .await,
        404,
    );
    let response = app
        .call(Method::POST, "/api/v1/users/someone", &Auth::None)
        .await;
    response.assert_status(405);

    let response = app.call(Method::GET, "/api/v1/users", &Auth::None).await;
    assert_v1_error(&response, 401);
    assert!(
        response.challenges().contains("Basic realm=\"rollcall\""),
        "{:?}",
        response.challenges()
    );

    let path = "/api/v1/users/newcomer";
    assert_v1_error(
        &app.call_raw(
            Method::PUT,
            path,
            &admin,
            "application/json",
            "{\"value\": {",
        )
        .await,
        400,
    );
    assert_v1_error(
        &app.call_raw(
            Method::PUT,
            path,
            &admin,
            "text/plain",
            json!({"value": {"password": "long-enough-password"}}).to_string(),
        )
        .await,
        415,
    );
    assert_v1_error(
        &app.call_json(
            Method::PUT,
            path,
            &admin,
            &json!({"value": {"password": "p".repeat(70 * 1024)}}),
        )
        .await,
        413,
    );
    // Nothing was created; a well-formed request still works.
    assert_v1_error(&app.call(Method::GET, path, &admin).await, 404);
    app.call_json(
        Method::PUT,
        "/api/v1/users/newcomer/",
        &admin,
        &json!({"value": {"password": "long-enough-password"}}),
    )
    .await
    .assert_status(201);
}

both_backends!(the_application_family_answers_bad_input_in_its_envelope);
async fn the_application_family_answers_bad_input_in_its_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = application_key(&app).await;

    let error = assert_application_error(
        &app.call(Method::GET, "/api/application/nothing-here", &Auth::None)
            .await,
        404,
    );
    assert_eq!(error["code"], "NotFoundHttpException");
    assert_eq!(
        error["detail"],
        "The requested resource could not be found on the server."
    );
    app.call(Method::PUT, "/api/application/users/1", &Auth::None)
        .await
        .assert_status(405);

    let response = app
        .call(Method::GET, "/api/application/users", &Auth::None)
        .await;
    let error = assert_application_error(&response, 401);
    assert_eq!(error["code"], "AuthenticationException");
    assert!(
        response.challenges().contains("Bearer"),
        "{:?}",
        response.challenges()
    );

    let path = "/api/application/users";
    let error = assert_application_error(
        &app.call_raw(Method::POST, path, &key, "application/json", "{\"email\": ")
            .await,
        400,
    );
    assert_eq!(error["code"], "BadRequestHttpException");
    let valid = json!({
        "email": "pt@example.com",
        "username": "pterodactyl",
        "first_name": "Ptero",
        "last_name": "Dactyl",
    });
    assert_application_error(
        &app.call_raw(Method::POST, path, &key, "text/plain", valid.to_string())
            .await,
        415,
    );
    let mut huge = valid.clone();
    huge["first_name"] = json!("x".repeat(70 * 1024));
    assert_application_error(&app.call_json(Method::POST, path, &key, &huge).await, 413);
    // Nothing was created; a well-formed request still works.
    let list = app.call(Method::GET, path, &key).await;
    list.assert_status(200);
    assert_eq!(
        list.json()["meta"]["pagination"]["total"],
        1,
        "only the admin"
    );
    app.call_json(Method::POST, "/api/application/users/", &key, &valid)
        .await
        .assert_status(201);
}
