//! `POST /token`, sign-in, sign-out and every credential carrier.

use crate::helpers::*;
use crate::requests::*;
use actix_web::test::TestRequest;
use serde_json::json;

fn form(body: &str) -> TestRequest {
    TestRequest::post()
        .uri("/token")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn token_is_accepted_by_every_carrier() {
    let (_, app) = TestApp::start().await;
    let r = send(
        &app,
        form("grant_type=password&username=admin&password=admin-password&scope=&client_id=x"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "bearer");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let token = r.json["access_token"].as_str().unwrap().to_owned();
    for carrier in [
        ("Authorization", format!("Bearer {token}")),
        ("Authorization", token.clone()),
        ("X-Empire-Token", token.clone()),
        ("X-Empire-Token", format!("Bearer {token}")),
    ] {
        let r = send(&app, get_as("/api/v2/users/me", carrier.clone())).await;
        assert_eq!(r.status, 200, "{carrier:?}: {}", r.text);
        assert_eq!(r.json["username"], ADMIN);
    }
}

#[actix_web::test]
async fn token_failures() {
    let (_, app) = TestApp::start().await;
    for body in [
        "username=admin&password=wrong",
        "username=nobody&password=wrong",
    ] {
        let r = send(&app, form(body)).await;
        assert_detail(&r, 401, "Incorrect username or password");
        assert_eq!(r.headers_all("www-authenticate"), vec!["Bearer"], "{body}");
    }
    let r = send(
        &app,
        form("grant_type=client_credentials&username=admin&password=admin-password"),
    )
    .await;
    assert_codes(&r, 422, "grant_type", &["invalid"]);
    let r = send(&app, form("username=admin")).await;
    assert_codes(&r, 422, "password", &["blank"]);
    let r = send(
        &app,
        json_req(
            TestRequest::post().uri("/token"),
            json!({"username": "admin", "password": "admin-password"}),
        ),
    )
    .await;
    assert_eq!(r.status, 415);
    r.detail();
}

#[actix_web::test]
async fn sign_in_answers_user_header_and_cookie() {
    let (_, app) = TestApp::start().await;
    let body = json!({"user": {"username": "admin", "password": ADMIN_PASSWORD}});
    let r = send(
        &app,
        json_req(TestRequest::post().uri("/api/v2/users/sign_in"), body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        sorted_keys(&r.json),
        vec![
            "avatar",
            "created_at",
            "email",
            "enabled",
            "expired_at",
            "external_id",
            "first_name",
            "group_id",
            "id",
            "is_admin",
            "language",
            "last_name",
            "source_type",
            "updated_at",
            "user_id",
            "username",
            "uuid"
        ]
    );
    assert_eq!(r.json["created_at"], "2026-01-01T12:00:00.000Z");
    assert!(r.json["avatar"].is_null());
    let token = r.header("authorization").unwrap().to_owned();
    assert!(token.starts_with("rcs_"));
    let cookie = r.header("set-cookie").unwrap().to_owned();
    for attribute in [
        "rollcall_session=",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Secure",
        "Max-Age=86400",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users/me")
            .cookie(actix_web::cookie::Cookie::new("rollcall_session", token)),
    )
    .await;
    assert_eq!((r.status, r.json["username"].as_str()), (200, Some(ADMIN)));
}

#[actix_web::test]
async fn sign_in_by_email_and_failures() {
    let (_, app) = TestApp::start().await;
    let body = json!({"email": "Root@Example.org"});
    let r = send(&app, put_as("/api/v2/users/admin", admin(), body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sign_in = |user: serde_json::Value| {
        json_req(
            TestRequest::post().uri("/api/v2/users/sign_in"),
            json!({"user": user}),
        )
    };
    let r = send(
        &app,
        sign_in(json!({"username": "root@example.org", "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = send(
        &app,
        sign_in(json!({"username": "admin", "password": "nope"})),
    )
    .await;
    assert_detail(&r, 401, "Incorrect username or password");
    let r = send(
        &app,
        sign_in(json!({"username": "ad\u{0}min", "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_eq!(
        r.status, 401,
        "a NUL in a login fails authentication: {}",
        r.text
    );
    let r = send(&app, sign_in(json!({"username": "admin"}))).await;
    assert_codes(&r, 422, "password", &["blank"]);
}

#[actix_web::test]
async fn sign_out_ends_the_session_and_clears_the_cookie() {
    let (_, app) = TestApp::start().await;
    let token = token(&app, ADMIN, ADMIN_PASSWORD).await;
    let r = send(&app, delete_as("/api/v2/users/sign_out", bearer(&token))).await;
    assert_eq!(r.status, 204);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let r = send(&app, get_as("/api/v2/users/me", bearer(&token))).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers_all("www-authenticate"), vec!["Bearer"]);
    let r = send(&app, delete_as("/api/v2/users/sign_out", admin())).await;
    assert_eq!(r.status, 204, "a no-op with Basic");
}

#[actix_web::test]
async fn unauthenticated_requests_get_the_right_challenges() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, TestRequest::get().uri("/api/v2/users")).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.headers_all("www-authenticate"),
        vec![r#"Basic realm="rollcall""#, "Bearer"]
    );
    r.detail();
    let r = send(&app, get_as("/api/v2/users", basic("admin", "wrong"))).await;
    assert_eq!(
        r.headers_all("www-authenticate"),
        vec![r#"Basic realm="rollcall""#]
    );
    let unknown = send(&app, get_as("/api/v2/users", basic("ghost", "wrong"))).await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.text, r.text,
        "the message never says which part was wrong"
    );
    for token in ["rcs_forged", "rck_0123456789abcdef_forged", "garbage"] {
        let r = send(&app, get_as("/api/v2/users", bearer(token))).await;
        assert_eq!(
            (r.status, r.headers_all("www-authenticate")),
            (401, vec!["Bearer".to_owned()])
        );
    }
}

#[actix_web::test]
async fn disabled_users_cannot_authenticate() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "bob", false).await;
    let bob_token = token(&app, "bob", PASSWORD).await;
    let r = send(
        &app,
        put_as("/api/v2/users/bob", admin(), json!({"enabled": false})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for auth in [basic("bob", PASSWORD), bearer(&bob_token)] {
        let r = send(&app, get_as("/api/v2/users/me", auth)).await;
        assert_eq!(r.status, 401);
    }
}

#[actix_web::test]
async fn api_keys_are_limited_to_their_scopes() {
    let (_, app) = TestApp::start().await;
    let key = api_key(&app, admin(), &["users/index"]).await;
    let r = send(&app, get_as("/api/v2/users", bearer(&key))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&app, get_as("/api/v2/users/me", bearer(&key))).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.detail(),
        "API key does not have the scope users/show required by this action."
    );
    let r = send(&app, delete_as("/api/v2/users/sign_out", bearer(&key))).await;
    assert_eq!(r.status, 403);
}

#[actix_web::test]
async fn sessions_expire_after_their_lifetime() {
    let (t, app) = TestApp::start().await;
    let token = token(&app, ADMIN, ADMIN_PASSWORD).await;
    t.clock.advance(chrono::Duration::hours(25));
    let r = send(&app, get_as("/api/v2/users/me", bearer(&token))).await;
    assert_eq!(r.status, 401);
}
