//! The v1 family (api.md section 5): every route, its validation rules as Go validator
//! strings, 401/403/404, and the bad input of section 7 — each answered with a bare JSON
//! string.

use crate::helpers::*;
use actix_web::test::TestRequest;
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

fn put(name: &str) -> TestRequest {
    TestRequest::put().uri(&users(&format!("/{name}")))
}

fn patch(name: &str) -> TestRequest {
    TestRequest::patch().uri(&users(&format!("/{name}")))
}

fn password_body(password: &str) -> Value {
    json!({"value": {"password": password}})
}

#[actix_web::test]
async fn list_shows_every_user_in_id_order_to_anyone() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "zed", false).await;
    create_user(&app, "Amy", true).await;
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users(""))
            .insert_header(basic("zed", PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"value": [
            {"username": "admin", "admin": true},
            {"username": "zed", "admin": false},
            {"username": "Amy", "admin": true},
        ]})
    );
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v1/users/")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 200, "trailing slash: {}", r.text);
}

#[actix_web::test]
async fn one_user_without_envelope_looked_up_case_insensitively() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "Bella", false).await;
    for name in ["Bella", "bella", "BELLA"] {
        let r = send(
            &app,
            TestRequest::get()
                .uri(&users(&format!("/{name}")))
                .insert_header(basic("bella", PASSWORD)),
        )
        .await;
        assert_eq!(
            (r.status, r.json.clone()),
            (200, json!({"username": "Bella", "admin": false})),
            "{name}"
        );
    }
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users("/nobody"))
            .insert_header(admin()),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (404, "User not found".into()));
}

#[actix_web::test]
async fn put_creates_a_user_who_can_then_sign_in() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(
        &app,
        json_req(
            put("Carol").insert_header(admin()),
            password_body("stringst"),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"value": {"username": "Carol", "admin": false}})
    );
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users("/carol"))
            .insert_header(basic("carol", "stringst")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Unknown fields never reach the model.
    let r = send(
        &app,
        json_req(
            put("dave").insert_header(admin()),
            json!({"value": {"password": PASSWORD, "admin": true}, "admin": true}),
        ),
    )
    .await;
    assert_eq!(r.json["value"]["admin"], false, "{}", r.text);
}

#[actix_web::test]
async fn put_validation_is_400_in_go_validator_words() {
    let t = TestApp::new().await;
    let app = t.service().await;
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
        let r = send(&app, json_req(put(name).insert_header(admin()), body.clone())).await;
        assert_eq!((r.status, r.v1_error()), (400, expected), "{name} {body}");
    }
}

#[actix_web::test]
async fn put_of_a_taken_username_is_409_whatever_the_case() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "frank", false).await;
    for name in ["frank", "FRANK", "admin"] {
        let r = send(
            &app,
            json_req(put(name).insert_header(admin()), password_body(PASSWORD)),
        )
        .await;
        assert_eq!(
            (r.status, r.v1_error()),
            (409, "Username already existed".into()),
            "{name}"
        );
    }
}

#[actix_web::test]
async fn writes_are_for_admins_and_keys_need_the_route_scope() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "gina", false).await;
    create_user(&app, "hank", false).await;
    let gina = || basic("gina", PASSWORD);
    let r = send(
        &app,
        json_req(put("ivan").insert_header(gina()), password_body(PASSWORD)),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (403, "Permission denied".into()));
    let r = send(
        &app,
        TestRequest::delete()
            .uri(&users("/hank"))
            .insert_header(gina()),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (403, "Permission denied".into()));
    let r = send(
        &app,
        json_req(
            patch("hank").insert_header(gina()),
            password_body("password-2"),
        ),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (403, "Permission denied".into()));

    // An admin's key: only the scopes it holds.
    let key = api_key(&app, admin(), &["users/index", "users/create"]).await;
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users(""))
            .insert_header(bearer(&key)),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        &app,
        json_req(
            put("ivan").insert_header(bearer(&key)),
            password_body(PASSWORD),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    for (req, scope) in [
        (TestRequest::get().uri(&users("/ivan")), "users/show"),
        (
            json_req(patch("ivan"), password_body("password-2")),
            "users/update",
        ),
        (TestRequest::delete().uri(&users("/ivan")), "users/destroy"),
    ] {
        let r = send(&app, req.insert_header(bearer(&key))).await;
        assert_eq!(
            (r.status, r.v1_error()),
            (
                403,
                format!("Permission denied: the API key lacks the scope {scope}")
            )
        );
    }
    let index_only = api_key(&app, admin(), &["users/show"]).await;
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users(""))
            .insert_header(bearer(&index_only)),
    )
    .await;
    assert_eq!(
        (r.status, r.v1_error()),
        (
            403,
            "Permission denied: the API key lacks the scope users/index".into()
        )
    );
}

#[actix_web::test]
async fn patch_own_password_always_needs_the_current_one() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "jane", false).await;
    let jane = || basic("jane", PASSWORD);
    let r = send(
        &app,
        json_req(
            patch("JANE").insert_header(jane()),
            password_body("password-2"),
        ),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (400, CURRENT_REQUIRED.into()));
    let r = send(
        &app,
        json_req(
            patch("jane").insert_header(jane()),
            json!({"value": {"current_password": "wrong-one", "password": "password-2"}}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.v1_error()),
        (400, "Current password is incorrect".into())
    );
    let r = send(
        &app,
        json_req(
            patch("jane").insert_header(jane()),
            json!({"value": {"current_password": PASSWORD, "password": "short"}}),
        ),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (400, PASSWORD_MIN.into()));
    let r = send(
        &app,
        json_req(
            patch("jane").insert_header(jane()),
            json!({"value": {"current_password": PASSWORD}}),
        ),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (400, PASSWORD_REQUIRED.into()));
    let r = send(
        &app,
        json_req(
            patch("jane").insert_header(jane()),
            json!({"value": {"current_password": PASSWORD, "password": "password-2"}}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"value": {"username": "jane", "admin": false}})
    );
    let r = send(
        &app,
        TestRequest::get().uri(&users("")).insert_header(jane()),
    )
    .await;
    assert_eq!(r.status, 401, "the old password is gone");
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users(""))
            .insert_header(basic("jane", "password-2")),
    )
    .await;
    assert_eq!(r.status, 200);

    // Admins too, for themselves.
    let r = send(
        &app,
        json_req(
            patch("admin").insert_header(admin()),
            password_body("password-3"),
        ),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (400, CURRENT_REQUIRED.into()));
}

#[actix_web::test]
async fn an_admin_changes_another_users_password_without_the_current_one() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "kate", false).await;
    let r = send(
        &app,
        json_req(
            patch("Kate").insert_header(admin()),
            password_body("password-2"),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users("/kate"))
            .insert_header(basic("kate", "password-2")),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        &app,
        json_req(
            patch("nobody").insert_header(admin()),
            password_body("password-2"),
        ),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (404, "User not found".into()));
}

#[actix_web::test]
async fn delete_removes_the_user_but_never_the_last_admin() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "Liam", false).await;
    let r = send(
        &app,
        TestRequest::delete()
            .uri(&users("/liam"))
            .insert_header(admin()),
    )
    .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = send(
        &app,
        TestRequest::delete()
            .uri(&users("/liam"))
            .insert_header(admin()),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (404, "User not found".into()));
    let r = send(
        &app,
        TestRequest::delete()
            .uri(&users("/admin"))
            .insert_header(admin()),
    )
    .await;
    assert_eq!(
        (r.status, r.v1_error()),
        (
            400,
            "Cannot disable or demote the last enabled admin.".into()
        )
    );
}

#[actix_web::test]
async fn basic_is_the_challenge_and_other_credentials_are_harmless_extras() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(&app, TestRequest::get().uri(&users(""))).await;
    assert_eq!((r.status, r.v1_error()), (401, "Unauthorized".into()));
    assert_eq!(
        r.headers_all("www-authenticate"),
        [r#"Basic realm="rollcall""#]
    );
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users(""))
            .insert_header(basic(ADMIN, "wrong-password")),
    )
    .await;
    assert_eq!((r.status, r.v1_error()), (401, "Unauthorized".into()));
    assert_eq!(
        r.headers_all("www-authenticate"),
        [r#"Basic realm="rollcall""#]
    );
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users(""))
            .insert_header(bearer("rcs_nope")),
    )
    .await;
    assert_eq!(
        (r.status, r.headers_all("www-authenticate")),
        (401, vec!["Bearer".into()])
    );
    let session = token(&app, ADMIN, ADMIN_PASSWORD).await;
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users("/admin"))
            .insert_header(bearer(&session)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(
        &app,
        TestRequest::get()
            .uri(&users(""))
            .insert_header(basic("admin@nowhere.example", ADMIN_PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 401);
}

#[actix_web::test]
async fn bad_input_answers_in_v1_strings() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let broken = |req: TestRequest| {
        req.insert_header(("content-type", "application/json"))
            .set_payload("{\"value\": ")
    };
    let r = send(&app, broken(put("mona"))).await;
    assert_eq!(r.status, 401, "401 before the body");
    let r = send(&app, broken(put("mona").insert_header(admin()))).await;
    assert_eq!(r.status, 400);
    assert!(r.v1_error().starts_with("invalid JSON: "), "{}", r.text);
    let r = send(
        &app,
        put("mona")
            .insert_header(admin())
            .insert_header(("content-type", "text/plain"))
            .set_payload("{}"),
    )
    .await;
    assert_eq!(
        (r.status, r.v1_error()),
        (415, "Content-Type must be application/json".into())
    );
    let r = send(
        &app,
        json_req(
            put("mona").insert_header(admin()),
            password_body(&"x".repeat(70 * 1024)),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.v1_error()),
        (413, "http: request body too large".into())
    );
    for uri in ["/api/v1/nothing", "/api/v1/users/a/b", "/api/v1"] {
        let r = send(&app, TestRequest::get().uri(uri)).await;
        assert_eq!(
            (r.status, r.v1_error()),
            (404, "404 page not found".into()),
            "{uri}"
        );
    }
    let r = send(&app, TestRequest::post().uri(&users(""))).await;
    assert_eq!(
        (r.status, r.v1_error()),
        (405, "405 method not allowed".into())
    );
    assert_eq!(r.header("allow"), Some("GET"));
    let r = send(&app, TestRequest::post().uri(&users("/mona"))).await;
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
    assert_eq!((r.status, r.v1_error()), (403, "Permission denied".into()));
    let r = send(&app, broken(patch("nobody").insert_header(admin()))).await;
    assert_eq!((r.status, r.v1_error()), (404, "User not found".into()));
    let r = send(
        &app,
        broken(patch("nora").insert_header(basic("nora", PASSWORD))),
    )
    .await;
    assert_eq!(r.status, 400, "their own record: the body is at fault");
}

#[actix_web::test]
async fn database_outage_is_a_503_string() {
    let t = TestApp::new().await;
    let app = t.service().await;
    t.down.store(true, Ordering::SeqCst);
    let r = send(
        &app,
        TestRequest::get().uri(&users("")).insert_header(admin()),
    )
    .await;
    assert_eq!(
        (r.status, r.v1_error()),
        (503, "Service Unavailable".into())
    );
    t.down.store(false, Ordering::SeqCst);
    let r = send(
        &app,
        TestRequest::get().uri(&users("")).insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 200);
}
