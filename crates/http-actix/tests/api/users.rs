//! The users routes.

use crate::helpers::*;
use actix_web::test::TestRequest;
use serde_json::json;

#[actix_web::test]
async fn users_are_read_by_id_username_or_email() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(
        &app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(admin()),
            json!({"username": "Alice", "password": PASSWORD, "email": "alice@example.org"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_i64().unwrap();
    for reference in [id.to_string(), "alice".into(), "ALICE@example.org".into()] {
        let r = send(
            &app,
            TestRequest::get()
                .uri(&format!("/api/v2/users/{reference}"))
                .insert_header(basic("alice", PASSWORD)),
        )
        .await;
        assert_eq!(
            (r.status, r.json["username"].as_str()),
            (200, Some("Alice")),
            "{reference}"
        );
    }
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users/9999")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (404, "User not found for id 9999".into())
    );
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users/nobody")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (404, "User not found for id nobody".into())
    );
}

#[actix_web::test]
async fn lists_count_matches_and_page_with_filters_and_sort() {
    let t = TestApp::new().await;
    let app = t.service().await;
    for name in ["bob", "bella", "carl"] {
        create_user(&app, name, false).await;
    }
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users?limit=1&sort_by=username:desc")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["count"], 4);
    assert_eq!(r.json["users"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["users"][0]["username"], "carl");
    assert_eq!(r.json["records"], r.json["users"]);
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users?username=~b%25&is_admin=false")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.json["count"], 2, "{}", r.text);
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users?id=%3E%3C1%7C3")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.json["count"], 2, "{}", r.text);
}

#[actix_web::test]
async fn bad_list_parameters_are_422_naming_the_field() {
    let t = TestApp::new().await;
    let app = t.service().await;
    for (query, field) in [
        ("colour=red", "colour"),
        ("is_admin=yes", "is_admin"),
        ("id=~1", "id"),
        ("sort_by=password", "sort_by"),
        ("limit=0", "limit"),
        ("created_at=%3Eyesterday", "created_at"),
    ] {
        let r = send(
            &app,
            TestRequest::get()
                .uri(&format!("/api/v2/users?{query}"))
                .insert_header(admin()),
        )
        .await;
        assert_eq!(r.status, 422, "{query}: {}", r.text);
        assert!(!r.codes(field).is_empty(), "{query}: {}", r.text);
        r.detail();
    }
}

#[actix_web::test]
async fn create_rules() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(
        &app,
        json_req(
            TestRequest::post().uri("/api/v2/users").insert_header(admin()),
            json!({"username": "dora", "password": PASSWORD, "id": 999, "created_at": "1999-01-01T00:00:00Z", "user_id": 1000, "source_type": "cli_ldap"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_ne!(r.json["id"], 999, "unknown and assigned fields are ignored");
    assert_eq!(
        (r.json["user_id"].as_i64(), r.json["source_type"].as_str()),
        (Some(1000), Some("cli_ldap"))
    );
    let r = send(
        &app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(admin()),
            json!({"username": "DORA", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.codes("username"), vec!["taken"]);
    assert_eq!(r.json["details"]["username"][0]["value"], "DORA");
    let r = send(
        &app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(admin()),
            json!({"username": "dan", "password": "short"}),
        ),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["details"]["password"][0],
        json!({"error": "too_short", "count": 8})
    );
    let r = send(
        &app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(admin()),
            json!({"username": "eve", "password": PASSWORD, "is_admin": "yes", "user_id": "12"}),
        ),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        (r.codes("is_admin"), r.codes("user_id")),
        (vec!["invalid".to_owned()], vec!["invalid".to_owned()])
    );
    let r = send(
        &app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(admin()),
            json!({}),
        ),
    )
    .await;
    assert_eq!(
        (r.codes("username"), r.codes("password")),
        (vec!["blank".to_owned()], vec!["blank".to_owned()])
    );
    create_user(&app, "frank", false).await;
    let r = send(
        &app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(basic("frank", PASSWORD)),
            json!({"username": "gina", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (403, "User does not have access to create users.".into())
    );
}

#[actix_web::test]
async fn nul_bytes_are_validation_errors() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(
        &app,
        json_req(
            TestRequest::post().uri("/api/v2/users").insert_header(admin()),
            json!({"username": "nul\u{0}user", "password": "pass\u{0}word-1", "first_name": "a\u{0}"}),
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.codes("username"), vec!["invalid"]);
}

#[actix_web::test]
async fn update_rules() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "hank", false).await;
    create_user(&app, "ivy", false).await;
    let hank = || basic("hank", PASSWORD);
    let put = |uri: &str, auth: (&'static str, String), body: serde_json::Value| {
        json_req(TestRequest::put().uri(uri).insert_header(auth), body)
    };
    let r = send(
        &app,
        put(
            "/api/v2/users/hank",
            hank(),
            json!({"first_name": "Hank", "email": "h@x.org"}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.json["first_name"].as_str()),
        (200, Some("Hank")),
        "{}",
        r.text
    );
    // Empire clients always send enabled and is_admin; unchanged values are not a change.
    let r = send(
        &app,
        put(
            "/api/v2/users/hank",
            hank(),
            json!({"username": "hank2", "enabled": true, "is_admin": false}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.json["username"].as_str()),
        (200, Some("hank2")),
        "{}",
        r.text
    );
    assert_eq!(r.json["email"], "h@x.org", "absent fields stay");
    let r = send(
        &app,
        put(
            "/api/v2/users/hank2",
            basic("hank2", PASSWORD),
            json!({"email": null}),
        ),
    )
    .await;
    assert!(r.json["email"].is_null(), "null clears: {}", r.text);
    let r = send(
        &app,
        put(
            "/api/v2/users/hank2",
            basic("hank2", PASSWORD),
            json!({"is_admin": true}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            403,
            "User does not have access to update admin status.".into()
        )
    );
    let r = send(
        &app,
        put(
            "/api/v2/users/hank2",
            basic("hank2", PASSWORD),
            json!({"source_type": "cli_ldap"}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            403,
            "User does not have access to update source_type.".into()
        )
    );
    let r = send(
        &app,
        put(
            "/api/v2/users/ivy",
            basic("hank2", PASSWORD),
            json!({"first_name": "X"}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            403,
            "User does not have access to update this resource.".into()
        )
    );
    let r = send(
        &app,
        put("/api/v2/users/ivy", admin(), json!({"enabled": "no"})),
    )
    .await;
    assert_eq!(
        (r.status, r.codes("enabled")),
        (422, vec!["invalid".to_owned()])
    );
    let r = send(&app, put("/api/v2/users/404", admin(), json!({}))).await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn the_last_admin_stays() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(
        &app,
        json_req(
            TestRequest::put()
                .uri("/api/v2/users/admin")
                .insert_header(admin()),
            json!({"is_admin": false}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            400,
            "Cannot disable or demote the last enabled admin.".into()
        )
    );
    let r = send(
        &app,
        TestRequest::delete()
            .uri("/api/v2/users/admin")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 400);
}

#[actix_web::test]
async fn password_changes() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "jack", false).await;
    create_user(&app, "kim", false).await;
    let jack_session = token(&app, "jack", PASSWORD).await;
    let other_session = token(&app, "jack", PASSWORD).await;
    let r = send(
        &app,
        json_req(
            TestRequest::put()
                .uri("/api/v2/users/jack/password")
                .insert_header(bearer(&jack_session)),
            json!({"password": "new-password"}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.json["username"].as_str()),
        (200, Some("jack")),
        "{}",
        r.text
    );
    let me = |auth| {
        TestRequest::get()
            .uri("/api/v2/users/me")
            .insert_header(auth)
    };
    assert_eq!(
        send(&app, me(bearer(&jack_session))).await.status,
        200,
        "the session making the change stays"
    );
    assert_eq!(
        send(&app, me(bearer(&other_session))).await.status,
        401,
        "other sessions end"
    );
    assert_eq!(
        send(&app, me(basic("jack", "new-password"))).await.status,
        200
    );
    assert_eq!(send(&app, me(basic("jack", PASSWORD))).await.status, 401);
    let put = |auth, body| {
        json_req(
            TestRequest::put()
                .uri("/api/v2/users/kim/password")
                .insert_header(auth),
            body,
        )
    };
    let r = send(
        &app,
        put(
            basic("jack", "new-password"),
            json!({"password": "x-password"}),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            403,
            "User does not have access to update this resource.".into()
        )
    );
    let r = send(&app, put(admin(), json!({}))).await;
    assert_eq!(
        (r.status, r.codes("password")),
        (422, vec!["blank".to_owned()])
    );
    let r = send(&app, put(admin(), json!({"password": 12345678}))).await;
    assert_eq!(
        (r.status, r.codes("password")),
        (422, vec!["invalid".to_owned()])
    );
    let r = send(&app, put(admin(), json!({"password": "kims-new-password"}))).await;
    assert_eq!(r.status, 200);
}

#[actix_web::test]
async fn deletes() {
    let t = TestApp::new().await;
    let app = t.service().await;
    create_user(&app, "leo", false).await;
    create_user(&app, "max", false).await;
    let r = send(
        &app,
        TestRequest::delete()
            .uri("/api/v2/users/max")
            .insert_header(basic("leo", PASSWORD)),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (403, "User does not have access to delete users.".into())
    );
    let r = send(
        &app,
        TestRequest::delete()
            .uri("/api/v2/users/max")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    let r = send(
        &app,
        TestRequest::delete()
            .uri("/api/v2/users/max")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn os_accounts_are_for_admins() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/users/-/systems")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"count": 1, "users": [{"name": "root", "uid": 0, "gid": 0, "info": "root"}]})
    );
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/groups/-/systems")
            .insert_header(admin()),
    )
    .await;
    assert_eq!(
        r.json,
        json!({"count": 1, "groups": [{"name": "staff", "gid": 50, "users": ["alice"]}]})
    );
    create_user(&app, "nina", false).await;
    let r = send(
        &app,
        TestRequest::get()
            .uri("/api/v2/groups/-/systems")
            .insert_header(basic("nina", PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 403);
    r.detail();
}

/// api.md section 1: v2 writes RFC 3339 UTC with milliseconds and `Z`, the application family
/// seconds and `+00:00`, and both parse any RFC 3339 input (any offset, any precision).
#[actix_web::test]
async fn timestamps_parse_any_rfc3339_and_render_per_family() {
    let t = TestApp::new().await;
    let app = t.service().await;
    let r = send(
        &app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users")
                .insert_header(admin()),
            json!({"username": "tz", "password": PASSWORD,
                   "expired_at": "2031-03-04T06:07:08.123456+05:30"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["expired_at"], "2031-03-04T00:37:08.123Z");
    let created_at = r.json["created_at"].as_str().unwrap().to_owned();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );
    let id = r.json["id"].as_i64().unwrap();
    let r = send(
        &app,
        json_req(
            TestRequest::put()
                .uri(&format!("/api/v2/users/{id}"))
                .insert_header(admin()),
            json!({"expired_at": "2031-03-04T00:00:00-02:00"}),
        ),
    )
    .await;
    assert_eq!(
        r.json["expired_at"], "2031-03-04T02:00:00.000Z",
        "{}",
        r.text
    );
    let r = send(
        &app,
        TestRequest::get()
            .uri(&format!("/api/application/users/{id}"))
            .insert_header(admin()),
    )
    .await;
    let at = r.json["attributes"]["created_at"].as_str().unwrap();
    assert!(at.ends_with("+00:00") && at.len() == 25, "{at}");
    assert_eq!(
        &at[..19],
        &created_at[..19],
        "the same instant, cut to the second"
    );
    let r = send(
        &app,
        json_req(
            TestRequest::post()
                .uri("/api/v2/users/me/api_keys")
                .insert_header(admin()),
            json!({"name": "tz", "expires_at": "2031-01-01T12:00:00+01:00"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["expires_at"], "2031-01-01T11:00:00.000Z");
}
