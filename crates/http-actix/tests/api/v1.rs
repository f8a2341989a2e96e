//! The v1 family (api.md section 5): every route, its validation rules as Go validator
//! strings, 401/403/404, and the bad input of section 7 — each answered with a bare JSON
//! string.

use crate::helpers::*;
use crate::requests::*;
use actix_web::body::MessageBody;
use actix_web::test::{self, TestRequest};
use rollcall_domain::ports::UserStore;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

const PASSWORD_MIN: &str = "Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'min' tag";
const PASSWORD_MAX: &str = "Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'max' tag";
const PASSWORD_REQUIRED: &str = "Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'required' tag";
const CURRENT_REQUIRED: &str = "Key: 'UserPasswordRequest.Value.CurrentPassword' Error:Field validation for 'CurrentPassword' failed on the 'required' tag";
const USERNAME_INVALID: &str =
    "Key: 'UserURIRequest.User' Error:Field validation for 'User' failed on the 'username' tag";
const USERNAME_TOO_LONG: &str =
    "Key: 'UserURIRequest.User' Error:Field validation for 'User' failed on the 'max' tag";

fn users(path: &str) -> String {
    format!("/api/v1/users{path}")
}

/// `/api/v1/users/{name}`.
fn user(name: &str) -> String {
    users(&format!("/{name}"))
}

fn password_body(password: &str) -> Value {
    json!({"value": {"password": password}})
}

/// The listing streams: its first step (1,000 users) is read before the answer starts, and
/// each further one only when the client has taken the chunk before it, so a client that
/// goes away stops the walk and at most one step is held at a time.
#[actix_web::test]
async fn the_listing_reads_a_step_only_when_the_client_takes_the_one_before() {
    let test_app = TestApp::new().await;
    let seeded: Vec<_> = (0..2100)
        .map(|n| rollcall_domain::contract::builders::new_user(&format!("walker{n}")))
        .collect();
    test_app.store.create_users(seeded).await.unwrap();
    let app = test_app.service().await;
    let steps = || test_app.user_calls.walk.load(Ordering::SeqCst);
    let response = test::call_service(&app, get_as(&users(""), admin()).to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(steps(), 1, "the first step is read before the answer");
    let mut body = Box::pin(response.into_body());
    let Some(Ok(first)) = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await else {
        panic!("a first chunk")
    };
    assert!(first.starts_with(br#"{"value":[{"username":"admin","admin":true},"#));
    assert_eq!(steps(), 1, "no step is read ahead");
    let Some(Ok(second)) = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await else {
        panic!("a second chunk")
    };
    assert!(second.starts_with(br#",{"username":"walker999""#));
    assert_eq!(steps(), 2);
    drop(body);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(
        steps(),
        2,
        "a body dropped (the client gone) reads nothing more"
    );
}

#[actix_web::test]
async fn list_shows_every_user_in_id_order_to_anyone() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "zed", false).await;
    create_user(&app, "Amy", true).await;
    let r = send(&app, get_as(&users(""), basic("zed", PASSWORD))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"value": [
            {"username": "admin", "admin": true},
            {"username": "zed", "admin": false},
            {"username": "Amy", "admin": true},
        ]})
    );
    let r = send(&app, get_as("/api/v1/users/", admin())).await;
    assert_eq!(r.status, 200, "trailing slash: {}", r.text);
}

#[actix_web::test]
async fn one_user_without_envelope_looked_up_case_insensitively() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "Bella", false).await;
    for name in ["Bella", "bella", "BELLA"] {
        let r = send(&app, get_as(&user(name), basic("bella", PASSWORD))).await;
        assert_eq!(
            (r.status, r.json.clone()),
            (200, json!({"username": "Bella", "admin": false})),
            "{name}"
        );
    }
    let r = send(&app, get_as(&user("nobody"), admin())).await;
    assert_v1_error(&r, 404, "User not found");
}

#[actix_web::test]
async fn put_creates_a_user_who_can_then_sign_in() {
    let (_, app) = TestApp::start().await;
    let r = send(
        &app,
        put_as(&user("Carol"), admin(), password_body("stringst")),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"value": {"username": "Carol", "admin": false}})
    );
    let r = send(&app, get_as(&user("carol"), basic("carol", "stringst"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Unknown fields never reach the model.
    let body = json!({"value": {"password": PASSWORD, "admin": true}, "admin": true});
    let r = send(&app, put_as(&user("dave"), admin(), body)).await;
    assert_eq!(r.json["value"]["admin"], false, "{}", r.text);
}

#[actix_web::test]
async fn put_validation_is_400_in_go_validator_words() {
    let (_, app) = TestApp::start().await;
    let too_long = "e".repeat(192);
    for (name, body, expected) in [
        ("erin", json!({"value": {}}), PASSWORD_REQUIRED.to_owned()),
        ("erin", json!({}), PASSWORD_REQUIRED.to_owned()),
        ("erin", json!({"value": {"password": ""}}), PASSWORD_REQUIRED.to_owned()),
        ("erin", json!({"value": {"password": null}}), PASSWORD_REQUIRED.to_owned()),
        ("erin", password_body("short"), PASSWORD_MIN.to_owned()),
        ("erin", password_body(&"x".repeat(1025)), PASSWORD_MAX.to_owned()),
        (
            "erin",
            password_body("abcdefgh\u{0}"),
            PASSWORD_MIN.replace("'min'", "'excludesall'"),
        ),
        ("-erin", password_body(PASSWORD), USERNAME_INVALID.to_owned()),
        ("1234", password_body(PASSWORD), USERNAME_INVALID.to_owned()),
        ("me", password_body(PASSWORD), USERNAME_INVALID.to_owned()),
        (too_long.as_str(), password_body(PASSWORD), USERNAME_TOO_LONG.to_owned()),
        (
            "bad%20name",
            password_body("short"),
            format!("{USERNAME_INVALID}\n{PASSWORD_MIN}"),
        ),
        (
            "erin",
            json!({"value": {"password": 12345678}}),
            "json: cannot unmarshal number into Go struct field UserPasswordRequest.value.password of type string".to_owned(),
        ),
        (
            "erin",
            json!({"value": ["x"]}),
            "json: cannot unmarshal array into Go struct field UserPasswordRequest.value of type UserPasswordValue".to_owned(),
        ),
        (
            "erin",
            json!("text"),
            "json: cannot unmarshal string into Go value of type UserPasswordRequest".to_owned(),
        ),
    ] {
        let r = send(&app, put_as(&user(name), admin(), body.clone())).await;
        assert_eq!((r.status, r.v1_error()), (400, expected), "{name} {body}");
    }
}

#[actix_web::test]
async fn put_of_a_taken_username_is_409_whatever_the_case() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "frank", false).await;
    for name in ["frank", "FRANK", "admin"] {
        let r = send(&app, put_as(&user(name), admin(), password_body(PASSWORD))).await;
        assert_v1_error(&r, 409, "Username already existed");
    }
}

#[actix_web::test]
async fn writes_are_for_admins_and_keys_need_the_route_scope() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "gina", false).await;
    create_user(&app, "hank", false).await;
    let gina = || basic("gina", PASSWORD);
    for req in [
        put_as(&user("ivan"), gina(), password_body(PASSWORD)),
        delete_as(&user("hank"), gina()),
        patch_as(&user("hank"), gina(), password_body("password-2")),
    ] {
        let r = send(&app, req).await;
        assert_v1_error(&r, 403, "Permission denied");
    }

    // An admin's key: only the scopes it holds.
    let key = api_key(&app, admin(), &["users/index", "users/create"]).await;
    let r = send(&app, get_as(&users(""), bearer(&key))).await;
    assert_eq!(r.status, 200);
    let r = send(
        &app,
        put_as(&user("ivan"), bearer(&key), password_body(PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let index_only = api_key(&app, admin(), &["users/show"]).await;
    for (req, scope) in [
        (get_as(&user("ivan"), bearer(&key)), "users/show"),
        (
            patch_as(&user("ivan"), bearer(&key), password_body("password-2")),
            "users/update",
        ),
        (delete_as(&user("ivan"), bearer(&key)), "users/destroy"),
        (get_as(&users(""), bearer(&index_only)), "users/index"),
    ] {
        let r = send(&app, req).await;
        let expected = format!("Permission denied: the API key lacks the scope {scope}");
        assert_v1_error(&r, 403, &expected);
    }
}

#[actix_web::test]
async fn patch_own_password_always_needs_the_current_one() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "jane", false).await;
    let jane = || basic("jane", PASSWORD);
    for (name, body, expected) in [
        ("JANE", password_body("password-2"), CURRENT_REQUIRED),
        (
            "jane",
            json!({"value": {"current_password": "wrong-one", "password": "password-2"}}),
            "Current password is incorrect",
        ),
        (
            "jane",
            json!({"value": {"current_password": PASSWORD, "password": "short"}}),
            PASSWORD_MIN,
        ),
        (
            "jane",
            json!({"value": {"current_password": PASSWORD}}),
            PASSWORD_REQUIRED,
        ),
    ] {
        let r = send(&app, patch_as(&user(name), jane(), body)).await;
        assert_v1_error(&r, 400, expected);
    }
    let body = json!({"value": {"current_password": PASSWORD, "password": "password-2"}});
    let r = send(&app, patch_as(&user("jane"), jane(), body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"value": {"username": "jane", "admin": false}})
    );
    let r = send(&app, get_as(&users(""), jane())).await;
    assert_eq!(r.status, 401, "the old password is gone");
    let r = send(&app, get_as(&users(""), basic("jane", "password-2"))).await;
    assert_eq!(r.status, 200);

    // Admins too, for themselves.
    let r = send(
        &app,
        patch_as(&user("admin"), admin(), password_body("password-3")),
    )
    .await;
    assert_v1_error(&r, 400, CURRENT_REQUIRED);
}

#[actix_web::test]
async fn an_admin_changes_another_users_password_without_the_current_one() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "kate", false).await;
    let r = send(
        &app,
        patch_as(&user("Kate"), admin(), password_body("password-2")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&app, get_as(&user("kate"), basic("kate", "password-2"))).await;
    assert_eq!(r.status, 200);
    let r = send(
        &app,
        patch_as(&user("nobody"), admin(), password_body("password-2")),
    )
    .await;
    assert_v1_error(&r, 404, "User not found");
}

#[actix_web::test]
async fn delete_removes_the_user_but_never_the_last_admin() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "Liam", false).await;
    let r = send(&app, delete_as(&user("liam"), admin())).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = send(&app, delete_as(&user("liam"), admin())).await;
    assert_v1_error(&r, 404, "User not found");
    let r = send(&app, delete_as(&user("admin"), admin())).await;
    assert_v1_error(&r, 400, "Cannot disable or demote the last enabled admin.");
}

#[actix_web::test]
async fn basic_is_the_challenge_and_other_credentials_are_harmless_extras() {
    let (_, app) = TestApp::start().await;
    for req in [
        TestRequest::get().uri(&users("")),
        get_as(&users(""), basic(ADMIN, "wrong-password")),
    ] {
        let r = send(&app, req).await;
        assert_v1_error(&r, 401, "Unauthorized");
        assert_eq!(
            r.headers_all("www-authenticate"),
            [r#"Basic realm="rollcall""#]
        );
    }
    let r = send(&app, get_as(&users(""), bearer("rcs_nope"))).await;
    assert_eq!(
        (r.status, r.headers_all("www-authenticate")),
        (401, vec!["Bearer".into()])
    );
    let session = token(&app, ADMIN, ADMIN_PASSWORD).await;
    let r = send(&app, get_as(&user("admin"), bearer(&session))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(
        &app,
        get_as(&users(""), basic("admin@nowhere.example", ADMIN_PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 401);
}

#[actix_web::test]
async fn bad_input_answers_in_v1_strings() {
    let (_, app) = TestApp::start().await;
    let broken = |req: TestRequest| with_broken_json(req, "{\"value\": ");
    let put = |name: &str| TestRequest::put().uri(&user(name));
    let patch = |name: &str| TestRequest::patch().uri(&user(name));
    let r = send(&app, broken(put("mona"))).await;
    assert_eq!(r.status, 401, "401 before the body");
    let r = send(&app, broken(put("mona").insert_header(admin()))).await;
    assert_eq!(r.status, 400);
    assert!(r.v1_error().starts_with("invalid JSON: "), "{}", r.text);
    let r = send(
        &app,
        with_body(put("mona").insert_header(admin()), "text/plain", "{}"),
    )
    .await;
    assert_v1_error(&r, 415, "Content-Type must be application/json");
    let body = password_body(&"x".repeat(70 * 1024));
    let r = send(&app, put_as(&user("mona"), admin(), body)).await;
    assert_v1_error(&r, 413, "http: request body too large");
    for uri in ["/api/v1/nothing", "/api/v1/users/a/b", "/api/v1"] {
        let r = send(&app, TestRequest::get().uri(uri)).await;
        assert_eq!(
            (r.status, r.v1_error()),
            (404, "404 page not found".into()),
            "{uri}"
        );
    }
    let r = send(&app, TestRequest::post().uri(&users(""))).await;
    assert_v1_error(&r, 405, "405 method not allowed");
    assert_eq!(r.header("allow"), Some("GET"));
    let r = send(&app, TestRequest::post().uri(&user("mona"))).await;
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("GET, PUT, PATCH, DELETE"))
    );

    // 403 and 404 come before the body.
    create_user(&app, "nora", false).await;
    let r = send(
        &app,
        broken(put("mona").insert_header(basic("nora", PASSWORD))),
    )
    .await;
    assert_v1_error(&r, 403, "Permission denied");
    let r = send(&app, broken(patch("nobody").insert_header(admin()))).await;
    assert_v1_error(&r, 404, "User not found");
    let r = send(
        &app,
        broken(patch("nora").insert_header(basic("nora", PASSWORD))),
    )
    .await;
    assert_eq!(r.status, 400, "their own record: the body is at fault");
}

#[actix_web::test]
async fn database_outage_is_a_503_string() {
    let (t, app) = TestApp::start().await;
    t.down.store(true, Ordering::SeqCst);
    let r = send(&app, get_as(&users(""), admin())).await;
    assert_v1_error(&r, 503, "Service Unavailable");
    t.down.store(false, Ordering::SeqCst);
    let r = send(&app, get_as(&users(""), admin())).await;
    assert_eq!(r.status, 200);
}
