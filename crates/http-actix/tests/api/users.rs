//! The users routes.

use crate::helpers::*;
use crate::requests::*;
use serde_json::json;

const USERS: &str = "/api/v2/users";

#[actix_web::test]
async fn users_are_read_by_id_username_or_email() {
    let (_, app) = TestApp::start().await;
    let body = json!({"username": "Alice", "password": PASSWORD, "email": "alice@example.org"});
    let r = send(&app, post_as(USERS, admin(), body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_i64().unwrap();
    for reference in [id.to_string(), "alice".into(), "ALICE@example.org".into()] {
        let uri = format!("{USERS}/{reference}");
        let r = send(&app, get_as(&uri, basic("alice", PASSWORD))).await;
        assert_eq!(
            (r.status, r.json["username"].as_str()),
            (200, Some("Alice")),
            "{reference}"
        );
    }
    for reference in ["9999", "nobody"] {
        let r = send(&app, get_as(&format!("{USERS}/{reference}"), admin())).await;
        assert_detail(&r, 404, &format!("User not found for id {reference}"));
    }
}

#[actix_web::test]
async fn lists_count_matches_and_page_with_filters_and_sort() {
    let (_, app) = TestApp::start().await;
    for name in ["bob", "bella", "carl"] {
        create_user(&app, name, false).await;
    }
    let r = send(
        &app,
        get_as("/api/v2/users?limit=1&sort_by=username:desc", admin()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["count"], 4);
    assert_eq!(r.json["users"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["users"][0]["username"], "carl");
    assert_eq!(r.json["records"], r.json["users"]);
    for query in ["username=~b%25&is_admin=false", "id=%3E%3C1%7C3"] {
        let r = send(&app, get_as(&format!("{USERS}?{query}"), admin())).await;
        assert_eq!(r.json["count"], 2, "{query}: {}", r.text);
    }
}

#[actix_web::test]
async fn bad_list_parameters_are_422_naming_the_field() {
    let (_, app) = TestApp::start().await;
    for (query, field) in [
        ("colour=red", "colour"),
        ("is_admin=yes", "is_admin"),
        ("id=~1", "id"),
        ("sort_by=password", "sort_by"),
        ("limit=0", "limit"),
        ("created_at=%3Eyesterday", "created_at"),
    ] {
        let r = send(&app, get_as(&format!("{USERS}?{query}"), admin())).await;
        assert_eq!(r.status, 422, "{query}: {}", r.text);
        assert!(!r.codes(field).is_empty(), "{query}: {}", r.text);
        r.detail();
    }
}

#[actix_web::test]
async fn create_rules() {
    let (_, app) = TestApp::start().await;
    let create = |body| post_as(USERS, admin(), body);
    let r = send(
        &app,
        create(
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
        create(json!({"username": "DORA", "password": PASSWORD})),
    )
    .await;
    assert_codes(&r, 422, "username", &["taken"]);
    assert_eq!(r.json["details"]["username"][0]["value"], "DORA");
    let r = send(
        &app,
        create(json!({"username": "dan", "password": "short"})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json["details"]["password"][0],
        json!({"error": "too_short", "count": 8})
    );
    let body = json!({"username": "eve", "password": PASSWORD, "is_admin": "yes", "user_id": "12"});
    let r = send(&app, create(body)).await;
    assert_codes(&r, 422, "is_admin", &["invalid"]);
    assert_codes(&r, 422, "user_id", &["invalid"]);
    let r = send(&app, create(json!({}))).await;
    assert_eq!(
        (r.codes("username"), r.codes("password")),
        (vec!["blank".to_owned()], vec!["blank".to_owned()])
    );
    create_user(&app, "frank", false).await;
    let body = json!({"username": "gina", "password": PASSWORD});
    let r = send(&app, post_as(USERS, basic("frank", PASSWORD), body)).await;
    assert_detail(&r, 403, "User does not have access to create users.");
}

#[actix_web::test]
async fn nul_bytes_are_validation_errors() {
    let (_, app) = TestApp::start().await;
    let body =
        json!({"username": "nul\u{0}user", "password": "pass\u{0}word-1", "first_name": "a\u{0}"});
    let r = send(&app, post_as(USERS, admin(), body)).await;
    assert_codes(&r, 422, "username", &["invalid"]);
}

#[actix_web::test]
async fn update_rules() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "hank", false).await;
    create_user(&app, "ivy", false).await;
    let hank = || basic("hank", PASSWORD);
    let body = json!({"first_name": "Hank", "email": "h@x.org"});
    let r = send(&app, put_as("/api/v2/users/hank", hank(), body)).await;
    assert_eq!(
        (r.status, r.json["first_name"].as_str()),
        (200, Some("Hank")),
        "{}",
        r.text
    );
    // Empire clients always send enabled and is_admin; unchanged values are not a change.
    let body = json!({"username": "hank2", "enabled": true, "is_admin": false});
    let r = send(&app, put_as("/api/v2/users/hank", hank(), body)).await;
    assert_eq!(
        (r.status, r.json["username"].as_str()),
        (200, Some("hank2")),
        "{}",
        r.text
    );
    assert_eq!(r.json["email"], "h@x.org", "absent fields stay");
    let hank2 = || basic("hank2", PASSWORD);
    let r = send(
        &app,
        put_as("/api/v2/users/hank2", hank2(), json!({"email": null})),
    )
    .await;
    assert!(r.json["email"].is_null(), "null clears: {}", r.text);
    for (uri, body, detail) in [
        (
            "/api/v2/users/hank2",
            json!({"is_admin": true}),
            "User does not have access to update admin status.",
        ),
        (
            "/api/v2/users/hank2",
            json!({"source_type": "cli_ldap"}),
            "User does not have access to update source_type.",
        ),
        (
            "/api/v2/users/ivy",
            json!({"first_name": "X"}),
            "User does not have access to update this resource.",
        ),
    ] {
        let r = send(&app, put_as(uri, hank2(), body)).await;
        assert_detail(&r, 403, detail);
    }
    let r = send(
        &app,
        put_as("/api/v2/users/ivy", admin(), json!({"enabled": "no"})),
    )
    .await;
    assert_codes(&r, 422, "enabled", &["invalid"]);
    let r = send(&app, put_as("/api/v2/users/404", admin(), json!({}))).await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn the_last_admin_stays() {
    let (_, app) = TestApp::start().await;
    let r = send(
        &app,
        put_as("/api/v2/users/admin", admin(), json!({"is_admin": false})),
    )
    .await;
    assert_detail(&r, 400, "Cannot disable or demote the last enabled admin.");
    let r = send(&app, delete_as("/api/v2/users/admin", admin())).await;
    assert_eq!(r.status, 400);
}

#[actix_web::test]
async fn password_changes() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "jack", false).await;
    create_user(&app, "kim", false).await;
    let jack_session = token(&app, "jack", PASSWORD).await;
    let other_session = token(&app, "jack", PASSWORD).await;
    let body = json!({"password": "new-password"});
    let r = send(
        &app,
        put_as("/api/v2/users/jack/password", bearer(&jack_session), body),
    )
    .await;
    assert_eq!(
        (r.status, r.json["username"].as_str()),
        (200, Some("jack")),
        "{}",
        r.text
    );
    let me = |auth| get_as("/api/v2/users/me", auth);
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
    let put = |auth, body| put_as("/api/v2/users/kim/password", auth, body);
    let body = json!({"password": "x-password"});
    let r = send(&app, put(basic("jack", "new-password"), body)).await;
    assert_detail(
        &r,
        403,
        "User does not have access to update this resource.",
    );
    let r = send(&app, put(admin(), json!({}))).await;
    assert_codes(&r, 422, "password", &["blank"]);
    let r = send(&app, put(admin(), json!({"password": 12345678}))).await;
    assert_codes(&r, 422, "password", &["invalid"]);
    let r = send(&app, put(admin(), json!({"password": "kims-new-password"}))).await;
    assert_eq!(r.status, 200);
}

#[actix_web::test]
async fn deletes() {
    let (_, app) = TestApp::start().await;
    create_user(&app, "leo", false).await;
    create_user(&app, "max", false).await;
    let r = send(&app, delete_as("/api/v2/users/max", basic("leo", PASSWORD))).await;
    assert_detail(&r, 403, "User does not have access to delete users.");
    let r = send(&app, delete_as("/api/v2/users/max", admin())).await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    let r = send(&app, delete_as("/api/v2/users/max", admin())).await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn os_accounts_are_for_admins() {
    let (_, app) = TestApp::start().await;
    let r = send(&app, get_as("/api/v2/users/-/systems", admin())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"count": 1, "users": [{"name": "root", "uid": 0, "gid": 0, "info": "root"}]})
    );
    let r = send(&app, get_as("/api/v2/groups/-/systems", admin())).await;
    assert_eq!(
        r.json,
        json!({"count": 1, "groups": [{"name": "staff", "gid": 50, "users": ["alice"]}]})
    );
    create_user(&app, "nina", false).await;
    let r = send(
        &app,
        get_as("/api/v2/groups/-/systems", basic("nina", PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 403);
    r.detail();
}

/// api.md section 1: v2 writes RFC 3339 UTC with milliseconds and `Z`, the application family
/// seconds and `+00:00`, and both parse any RFC 3339 input (any offset, any precision).
#[actix_web::test]
async fn timestamps_parse_any_rfc3339_and_render_per_family() {
    let (_, app) = TestApp::start().await;
    let body = json!({"username": "tz", "password": PASSWORD,
                      "expired_at": "2031-03-04T06:07:08.123456+05:30"});
    let r = send(&app, post_as(USERS, admin(), body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["expired_at"], "2031-03-04T00:37:08.123Z");
    let created_at = r.json["created_at"].as_str().unwrap().to_owned();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );
    let id = r.json["id"].as_i64().unwrap();
    let body = json!({"expired_at": "2031-03-04T00:00:00-02:00"});
    let r = send(&app, put_as(&format!("{USERS}/{id}"), admin(), body)).await;
    assert_eq!(
        r.json["expired_at"], "2031-03-04T02:00:00.000Z",
        "{}",
        r.text
    );
    let r = send(
        &app,
        get_as(&format!("/api/application/users/{id}"), admin()),
    )
    .await;
    let at = r.json["attributes"]["created_at"].as_str().unwrap();
    assert!(at.ends_with("+00:00") && at.len() == 25, "{at}");
    assert_eq!(
        &at[..19],
        &created_at[..19],
        "the same instant, cut to the second"
    );
    let body = json!({"name": "tz", "expires_at": "2031-01-01T12:00:00+01:00"});
    let r = send(&app, post_as("/api/v2/users/me/api_keys", admin(), body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["expires_at"], "2031-01-01T11:00:00.000Z");
}
