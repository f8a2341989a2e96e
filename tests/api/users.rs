//! The v2 user routes: `GET /api/v2/users/me`, `GET`/`POST /api/v2/users`,
//! `GET`/`PUT`/`DELETE /api/v2/users/{ref}` and `PUT /api/v2/users/{ref}/password`.

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, assert_basic_challenge, assert_bearer_challenge,
    assert_field_error, assert_no_credentials, assert_v2_error, assert_v2_message, assert_v2_user,
    both_backends, spawn_app, spawn_app_with,
};
use reqwest::Method;
use serde_json::{Value, json};

const LAST_ADMIN: &str = "Cannot disable or demote the last enabled admin.";
const UPDATE_OTHER: &str = "User does not have access to update this resource.";
const UPDATE_ADMIN_STATUS: &str = "User does not have access to update admin status.";

// --- GET /api/v2/users/me -------------------------------------------------------------------

both_backends!(me_returns_the_authenticated_user);
async fn me_returns_the_authenticated_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get_me(&app.admin()).await;
    response.assert_status(200);
    let body = response.json();
    assert_v2_user(&body);
    assert_eq!(body["username"], ADMIN_USERNAME);
    assert_eq!(body["is_admin"], true);
    assert_eq!(body["enabled"], true);
    assert_eq!(body["language"], "en");
    assert_eq!(body["source_type"], "web_app");

    let user = app.make_user("plain", false).await;
    let response = app.get_me(&user.basic()).await;
    response.assert_status(200);
    assert_eq!(response.json()["id"], user.id);
    assert_eq!(response.json()["is_admin"], false);
}

both_backends!(me_refuses_missing_and_bad_credentials);
async fn me_refuses_missing_and_bad_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_no_credentials(&app.get_me(&Auth::None).await);
    assert_basic_challenge(
        &app.get_me(&Auth::basic(ADMIN_USERNAME, "wrong-password"))
            .await,
    );
    assert_basic_challenge(&app.get_me(&Auth::basic("nobody", "wrong-password")).await);
    assert_bearer_challenge(&app.get_me(&Auth::bearer("rcs_bogus")).await);
    assert_bearer_challenge(
        &app.get_me(&Auth::bearer("rck_0123456789abcdef_bogus"))
            .await,
    );
    assert_bearer_challenge(&app.get_me(&Auth::bearer("no-known-prefix")).await);
    // The message does not say which part was wrong.
    let unknown = app
        .get_me(&Auth::basic("nobody", "wrong-password"))
        .await
        .json();
    let wrong = app
        .get_me(&Auth::basic(ADMIN_USERNAME, "wrong-password"))
        .await
        .json();
    assert_eq!(unknown, wrong);

    let (_, key) = app.make_api_key(&app.admin(), &[("users", "index")]).await;
    assert_v2_error(&app.get_me(&Auth::bearer(&key)).await, 403);
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "show")]).await;
    app.get_me(&Auth::bearer(&key)).await.assert_status(200);
}

// --- GET /api/v2/users ----------------------------------------------------------------------

fn usernames(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .unwrap_or_else(|| panic!("users: {body}"))
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(list_users_counts_all_matches_and_pages);
async fn list_users_counts_all_matches_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    for name in ["bravo", "charlie", "delta"] {
        app.make_user(name, false).await;
    }
    let plain = app.make_user("echo", false).await;

    let response = app.list_users(&plain.basic(), "").await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["count"], 5);
    assert_eq!(body["users"], body["records"], "records repeats the page");
    assert_eq!(
        usernames(&body),
        ["admin", "bravo", "charlie", "delta", "echo"]
    );
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(assert_v2_user);

    let body = app
        .list_users(&app.admin(), "limit=2&offset=1")
        .await
        .json();
    assert_eq!(body["count"], 5, "count is the total, not the page size");
    assert_eq!(usernames(&body), ["bravo", "charlie"]);
    assert_eq!(body["users"], body["records"]);

    let body = app.list_users(&app.admin(), "limit=5000").await.json();
    assert_eq!(usernames(&body).len(), 5, "large limits clamp");

    let body = app.list_users(&app.admin(), "sort_by=id:desc").await.json();
    assert_eq!(
        usernames(&body),
        ["echo", "delta", "charlie", "bravo", "admin"]
    );
}

both_backends!(list_users_filters);
async fn list_users_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let bravo = app.make_user("bravo", false).await;
    let charlie = app.make_user("Charlie", true).await;
    app.make_user("delta", false).await;

    let body = app.list_users(&app.admin(), "is_admin=true").await.json();
    assert_eq!(usernames(&body), ["admin", "Charlie"]);
    assert_eq!(body["count"], 2);

    let body = app
        .list_users(&app.admin(), "username=~%25AR%25")
        .await
        .json();
    assert_eq!(usernames(&body), ["Charlie"], "~ is case-insensitive");

    let body = app
        .list_users(&app.admin(), &format!("id=><{}%7C{}", bravo.id, charlie.id))
        .await
        .json();
    assert_eq!(usernames(&body), ["bravo", "Charlie"]);

    let body = app
        .list_users(&app.admin(), &format!("id=>{}&limit=1", bravo.id))
        .await
        .json();
    assert_eq!(usernames(&body), ["Charlie"]);
    assert_eq!(body["count"], 2);

    let body = app
        .list_users(&app.admin(), "external_id=null&sort_by=username:desc")
        .await
        .json();
    assert_eq!(body["count"], 4);

    for bad in [
        "nope=1",
        "is_admin=~x",
        "id=abc",
        "sort_by=nope",
        "id=%3F%3F1",
    ] {
        let response = app.list_users(&app.admin(), bad).await;
        assert_v2_error(&response, 422);
    }
}

both_backends!(list_caps_answer_422_on_every_backend);
/// Requests that once made SQLite fail (expression depth, LIKE pattern length) or diesel's
/// query builder work exponentially (sort keys) are refused before the store, identically on
/// both backends; a request exactly at every cap is served.
async fn list_caps_answer_422_on_every_backend(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();
    let v2_refusals = [
        ("filters", vec!["enabled=true"; 1_100].join("&")),
        ("username", format!("username=~{}", "a".repeat(60_000))),
        ("id", format!("id=><{}", vec!["1"; 1_000].join("|"))),
        ("sort_by", format!("sort_by={}", vec!["id"; 20].join("|"))),
    ];
    for (field, query) in v2_refusals {
        let response = app.list_users(&admin, &query).await;
        let body = assert_v2_error(&response, 422);
        assert_eq!(body["details"][field][0]["error"], "too_long", "{body}");
    }
    let at_caps = format!(
        "{}&username=~{}&id=><{}&sort_by={}",
        vec!["enabled=true"; 29].join("&"),
        "%25".repeat(256),
        vec!["1"; 100].join("|"),
        ["username:desc"; 8].join("|"),
    );
    let body = app
        .list_users(&admin, &at_caps)
        .await
        .assert_status(200)
        .json();
    assert_eq!(usernames(&body), ["admin"]);

    for query in [
        vec!["filter[email]=a"; 1_100].join("&"),
        format!("filter[username]={}", "a".repeat(60_000)),
        format!("sort={}", vec!["id"; 20].join(",")),
    ] {
        let response = app
            .call(
                Method::GET,
                &format!("/api/application/users?{query}"),
                &admin,
            )
            .await;
        response.assert_status(422);
        let body = response.json();
        assert_eq!(body["errors"][0]["code"], "ValidationException", "{body}");
        assert_eq!(body["errors"][0]["meta"]["rule"], "max", "{body}");
    }
}

both_backends!(list_users_needs_credentials_and_the_scope);
async fn list_users_needs_credentials_and_the_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_no_credentials(&app.list_users(&Auth::None, "").await);
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "show")]).await;
    assert_v2_error(&app.list_users(&Auth::bearer(&key), "").await, 403);
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "index")]).await;
    app.list_users(&Auth::bearer(&key), "")
        .await
        .assert_status(200);
}

// --- POST /api/v2/users ---------------------------------------------------------------------

both_backends!(create_user_returns_201_and_the_user);
async fn create_user_returns_201_and_the_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .create_user(
            &app.admin(),
            &json!({
                "username": "Nodeum.User",
                "password": "long-enough-password",
                "email": "nodeum@example.com",
                "first_name": "Node",
                "last_name": "User",
                "external_id": "ext-1",
                "language": "fr",
                "is_admin": false,
                "enabled": true,
                "user_id": 1000,
                "group_id": 4294967295u64,
                "source_type": "cli_ldap",
                "expired_at": "2099-11-05T15:50:35.879Z",
                // Unknown and read-only fields are ignored, never assigned.
                "id": 99999,
                "uuid": "00000000-0000-4000-8000-000000000000",
                "created_at": "2000-01-01T00:00:00Z",
                "password_hash": "$argon2id$forged",
                "2fa": true,
            }),
        )
        .await;
    response.assert_status(201);
    let body = response.json();
    assert_v2_user(&body);
    assert_ne!(body["id"], 99999);
    assert_ne!(body["uuid"], "00000000-0000-4000-8000-000000000000");
    assert_eq!(body["username"], "Nodeum.User", "case preserved");
    assert_eq!(body["email"], "nodeum@example.com");
    assert_eq!(body["first_name"], "Node");
    assert_eq!(body["external_id"], "ext-1");
    assert_eq!(body["language"], "fr");
    assert_eq!(body["user_id"], 1000);
    assert_eq!(body["group_id"], 4294967295u64);
    assert_eq!(body["source_type"], "cli_ldap");
    assert_eq!(body["expired_at"], "2099-11-05T15:50:35.879Z");
    assert!(!body["created_at"].as_str().unwrap().starts_with("2000"));

    // The new user can log in with the password given.
    app.token("nodeum.user", "long-enough-password").await;
    let read = app.get_user(&app.admin(), "Nodeum.User").await;
    read.assert_status(200);
    assert_eq!(read.json(), body);
}

both_backends!(create_user_defaults);
async fn create_user_defaults(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .create_user(
            &app.admin(),
            &json!({"username": "minimal", "password": "long-enough-password"}),
        )
        .await;
    response.assert_status(201);
    let body = response.json();
    assert_v2_user(&body);
    for nullable in [
        "email",
        "first_name",
        "last_name",
        "external_id",
        "user_id",
        "group_id",
        "expired_at",
    ] {
        assert!(body[nullable].is_null(), "{nullable}: {body}");
    }
    assert_eq!(body["language"], "en");
    assert_eq!(body["is_admin"], false);
    assert_eq!(body["enabled"], true);
    assert_eq!(body["source_type"], "web_app");
}

both_backends!(create_user_validates_every_field);
async fn create_user_validates_every_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin();
    let create = |body: Value| {
        let app = &app;
        let admin = &admin;
        async move { app.create_user(admin, &body).await }
    };

    assert_field_error(
        &create(json!({"password": "long-enough-password"})).await,
        "username",
        "blank",
    );
    assert_field_error(
        &create(json!({"username": "nopass"})).await,
        "password",
        "blank",
    );
    let short = assert_field_error(
        &create(json!({"username": "shorty", "password": "1234567"})).await,
        "password",
        "too_short",
    );
    assert_eq!(short["count"], 8, "{short}");
    let long = assert_field_error(
        &create(json!({"username": "x".repeat(192), "password": "long-enough-password"})).await,
        "username",
        "too_long",
    );
    assert_eq!(long["count"], 191, "{long}");
    let long = assert_field_error(
        &create(json!({"username": "longpw", "password": "p".repeat(1025)})).await,
        "password",
        "too_long",
    );
    assert_eq!(long["count"], 1024, "{long}");
    for bad in [
        ".dot-first",
        "12345",
        "me",
        "sign_in",
        "with space",
        "ünïcode",
        "a\u{0}b",
    ] {
        let entry = assert_field_error(
            &create(json!({"username": bad, "password": "long-enough-password"})).await,
            "username",
            "invalid",
        );
        if !bad.contains('\0') {
            assert_eq!(entry["value"], bad, "{entry}");
        }
    }
    let email = assert_field_error(
        &create(json!({"username": "mail", "password": "long-enough-password", "email": "not-an-address"})).await,
        "email",
        "invalid",
    );
    assert_eq!(email["value"], "not-an-address");
    assert_field_error(
        &create(json!({"username": "src", "password": "long-enough-password", "source_type": "windows"})).await,
        "source_type",
        "invalid",
    );
    let low = assert_field_error(
        &create(json!({"username": "uid", "password": "long-enough-password", "user_id": -1}))
            .await,
        "user_id",
        "greater_than_or_equal_to",
    );
    assert_eq!(low["count"], 0);
    let high = assert_field_error(
        &create(json!({"username": "gid", "password": "long-enough-password", "group_id": 4294967296u64})).await,
        "group_id",
        "less_than_or_equal_to",
    );
    assert_eq!(high["count"], 4294967295u64);
    assert_field_error(
        &create(
            json!({"username": "lang", "password": "long-enough-password", "language": "f r!"}),
        )
        .await,
        "language",
        "invalid",
    );
    assert_field_error(
        &create(json!({"username": "expiry", "password": "long-enough-password", "expired_at": "tomorrow"})).await,
        "expired_at",
        "invalid",
    );
    assert_field_error(
        &create(
            json!({"username": "typed", "password": "long-enough-password", "is_admin": "yes"}),
        )
        .await,
        "is_admin",
        "invalid",
    );

    // Several faults are reported together.
    let response = create(json!({"username": "", "password": "", "email": "bad"})).await;
    let body = assert_v2_error(&response, 422);
    assert!(body["details"]["username"].is_array(), "{body}");
    assert!(body["details"]["password"].is_array(), "{body}");
    assert!(body["details"]["email"].is_array(), "{body}");
    assert!(body["messages"].as_array().unwrap().len() >= 3, "{body}");
}

both_backends!(create_user_refuses_taken_values_case_insensitively);
async fn create_user_refuses_taken_values_case_insensitively(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(
        &app.admin(),
        &json!({"username": "taken", "password": "long-enough-password", "email": "taken@example.com", "external_id": "ext-taken"}),
    )
    .await
    .assert_status(201);

    let username = assert_field_error(
        &app.create_user(
            &app.admin(),
            &json!({"username": "TAKEN", "password": "long-enough-password"}),
        )
        .await,
        "username",
        "taken",
    );
    assert_eq!(username["value"], "TAKEN");
    assert_field_error(
        &app.create_user(
            &app.admin(),
            &json!({"username": "other", "password": "long-enough-password", "email": "Taken@Example.COM"}),
        )
        .await,
        "email",
        "taken",
    );
    assert_field_error(
        &app.create_user(
            &app.admin(),
            &json!({"username": "other2", "password": "long-enough-password", "external_id": "ext-taken"}),
        )
        .await,
        "external_id",
        "taken",
    );
}

both_backends!(the_password_minimum_is_configurable);
async fn the_password_minimum_is_configurable(backend: Backend) {
    // The admin's own password has 16 characters.
    let app = spawn_app_with(backend, |s| s.password_min_length = 12).await;
    let entry = assert_field_error(
        &app.create_user(
            &app.admin(),
            &json!({"username": "policy", "password": "eleven-char"}),
        )
        .await,
        "password",
        "too_short",
    );
    assert_eq!(entry["count"], 12);
    app.create_user(
        &app.admin(),
        &json!({"username": "policy", "password": "twelve-chars"}),
    )
    .await
    .assert_status(201);
}

both_backends!(create_user_is_for_admins_only);
async fn create_user_is_for_admins_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let plain = app.make_user("plain", false).await;
    let body = json!({"username": "newcomer", "password": "long-enough-password"});
    assert_no_credentials(&app.create_user(&Auth::None, &body).await);
    assert_v2_error(&app.create_user(&plain.basic(), &body).await, 403);
    // Authorization comes before the body.
    assert_v2_error(&app.create_user(&plain.basic(), &json!({})).await, 403);
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "index")]).await;
    assert_v2_error(&app.create_user(&Auth::bearer(&key), &body).await, 403);
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "create")]).await;
    app.create_user(&Auth::bearer(&key), &body)
        .await
        .assert_status(201);
}

// --- GET /api/v2/users/{ref} ----------------------------------------------------------------

both_backends!(get_user_by_id_username_or_email);
async fn get_user_by_id_username_or_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("Findme", false).await;
    let reader = app.make_user("reader", false).await;
    for reference in [
        user.id.to_string(),
        "Findme".into(),
        "findme".into(),
        "findme@example.com".into(),
        "FINDME@EXAMPLE.COM".into(),
    ] {
        let response = app.get_user(&reader.basic(), &reference).await;
        response.assert_status(200);
        let body = response.json();
        assert_v2_user(&body);
        assert_eq!(body["id"], user.id, "{reference}");
    }
}

both_backends!(get_user_unknown_is_404_user_not_found);
async fn get_user_unknown_is_404_user_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    for reference in ["999999", "nobody", "nobody@example.com"] {
        let response = app.get_user(&app.admin(), reference).await;
        assert_v2_message(
            &response,
            404,
            &format!("User not found for id {reference}"),
        );
    }
}

both_backends!(get_user_needs_credentials_and_the_scope);
async fn get_user_needs_credentials_and_the_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_no_credentials(&app.get_user(&Auth::None, "1").await);
    assert_no_credentials(&app.get_user(&Auth::None, "999999").await);
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "index")]).await;
    assert_v2_error(&app.get_user(&Auth::bearer(&key), "admin").await, 403);
}

// --- PUT /api/v2/users/{ref} ----------------------------------------------------------------

both_backends!(admins_update_users_partially);
async fn admins_update_users_partially(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("partial", false).await;
    let path = user.id.to_string();
    let response = app
        .update_user(
            &app.admin(),
            &path,
            &json!({"first_name": "Part", "user_id": 1001, "source_type": "cli_linux_multi_user", "id": 1}),
        )
        .await;
    response.assert_status(200);
    let body = response.json();
    assert_v2_user(&body);
    assert_eq!(body["id"], user.id);
    assert_eq!(body["first_name"], "Part");
    assert_eq!(body["user_id"], 1001);
    assert_eq!(body["source_type"], "cli_linux_multi_user");
    assert_eq!(body["username"], "partial", "absent fields stay");
    assert_eq!(body["email"], "partial@example.com");

    let body = app
        .update_user(
            &app.admin(),
            "partial",
            &json!({"email": null, "username": "Renamed"}),
        )
        .await;
    body.assert_status(200);
    let body = body.json();
    assert!(body["email"].is_null(), "null clears: {body}");
    assert_eq!(body["username"], "Renamed");
    assert_eq!(body["first_name"], "Part");
    app.get_user(&app.admin(), "partial")
        .await
        .assert_status(404);

    // The user can still log in, under the new name.
    app.token("Renamed", &user.password).await;
}

both_backends!(update_user_validates);
async fn update_user_validates(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("valid", false).await;
    app.make_user("other", false).await;
    let path = user.id.to_string();
    assert_field_error(
        &app.update_user(&app.admin(), &path, &json!({"username": "bad name"}))
            .await,
        "username",
        "invalid",
    );
    assert_field_error(
        &app.update_user(&app.admin(), &path, &json!({"username": "OTHER"}))
            .await,
        "username",
        "taken",
    );
    assert_field_error(
        &app.update_user(&app.admin(), &path, &json!({"password": "short"}))
            .await,
        "password",
        "too_short",
    );
    assert_field_error(
        &app.update_user(&app.admin(), &path, &json!({"username": null}))
            .await,
        "username",
        "blank",
    );
    // The user's own values do not clash with themselves.
    app.update_user(
        &app.admin(),
        &path,
        &json!({"username": "VALID", "email": "valid@example.com"}),
    )
    .await
    .assert_status(200);
    assert_v2_message(
        &app.update_user(&app.admin(), "999999", &json!({"first_name": "x"}))
            .await,
        404,
        "User not found for id 999999",
    );
}

both_backends!(users_update_their_own_profile_but_not_admin_fields);
async fn users_update_their_own_profile_but_not_admin_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("selfish", false).await;
    let path = user.id.to_string();
    let response = app
        .update_user(
            &user.basic(),
            &path,
            &json!({"username": "selfish2", "email": "me@example.com", "first_name": "Self", "last_name": "Ish", "language": "de"}),
        )
        .await;
    response.assert_status(200);
    assert_eq!(response.json()["language"], "de");
    let me = crate::helpers::TestUser {
        username: "selfish2".into(),
        ..user.clone()
    };

    // Empire clients always send enabled and is_admin: unchanged values are accepted.
    app.update_user(
        &me.basic(),
        &path,
        &json!({"username": "selfish2", "enabled": true, "is_admin": false}),
    )
    .await
    .assert_status(200);

    assert_v2_message(
        &app.update_user(&me.basic(), &path, &json!({"is_admin": true}))
            .await,
        403,
        UPDATE_ADMIN_STATUS,
    );
    assert_v2_message(
        &app.update_user(&me.basic(), &path, &json!({"enabled": false}))
            .await,
        403,
        "User does not have access to update enabled.",
    );
    for field in ["user_id", "group_id"] {
        assert_v2_message(
            &app.update_user(&me.basic(), &path, &json!({field: 5}))
                .await,
            403,
            &format!("User does not have access to update {field}."),
        );
    }
    assert_v2_message(
        &app.update_user(&me.basic(), &path, &json!({"external_id": "mine"}))
            .await,
        403,
        "User does not have access to update external_id.",
    );
    assert_v2_message(
        &app.update_user(&me.basic(), "admin", &json!({"first_name": "Hacked"}))
            .await,
        403,
        UPDATE_OTHER,
    );
    let admin = app.get_me(&app.admin()).await.json();
    assert!(admin["first_name"].is_null());
}

both_backends!(update_user_needs_credentials_and_the_scope);
async fn update_user_needs_credentials_and_the_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_no_credentials(
        &app.update_user(&Auth::None, "admin", &json!({"first_name": "x"}))
            .await,
    );
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "show")]).await;
    assert_v2_error(
        &app.update_user(&Auth::bearer(&key), "admin", &json!({"first_name": "x"}))
            .await,
        403,
    );
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "update")]).await;
    app.update_user(&Auth::bearer(&key), "admin", &json!({"first_name": "x"}))
        .await
        .assert_status(200);
}

both_backends!(the_last_enabled_admin_cannot_be_demoted_disabled_or_expired);
async fn the_last_enabled_admin_cannot_be_demoted_disabled_or_expired(backend: Backend) {
    let app = spawn_app(backend).await;
    for change in [
        json!({"is_admin": false}),
        json!({"enabled": false}),
        json!({"expired_at": "2000-01-01T00:00:00Z"}),
        json!({"username": "admin", "enabled": false, "is_admin": true}),
    ] {
        let response = app.update_user(&app.admin(), "admin", &change).await;
        assert_v2_message(&response, 400, LAST_ADMIN);
    }
    assert_v2_message(
        &app.delete_user(&app.admin(), "admin").await,
        400,
        LAST_ADMIN,
    );
    app.get_me(&app.admin()).await.assert_status(200);

    // With a second admin, the first may step down.
    app.make_user("second-admin", true).await;
    app.update_user(&app.admin(), "admin", &json!({"is_admin": false}))
        .await
        .assert_status(200);
    let second = Auth::basic("second-admin", "second-admin-password");
    assert_v2_message(
        &app.update_user(&second, "second-admin", &json!({"is_admin": false}))
            .await,
        400,
        LAST_ADMIN,
    );
}

both_backends!(two_concurrent_demotions_of_the_last_two_admins_do_not_both_succeed);
async fn two_concurrent_demotions_of_the_last_two_admins_do_not_both_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = app.make_user("other-admin", true).await;
    // Each admin steps down at the same moment. (Each acts on themselves, so neither
    // request's permission depends on whether the other has committed yet.)
    let demote = json!({"is_admin": false});
    let (admin, other_auth) = (app.admin(), other.basic());
    let other_id = other.id.to_string();
    let (a, b) = tokio::join!(
        app.update_user(&admin, "admin", &demote),
        app.update_user(&other_auth, &other_id, &demote),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400], "{} / {}", a.text(), b.text());
    let admins = app
        .list_users(&other.basic(), "is_admin=true&enabled=true")
        .await
        .json();
    assert_eq!(admins["count"], 1, "{admins}");
}

// --- DELETE /api/v2/users/{ref} -------------------------------------------------------------

both_backends!(admins_delete_users_and_their_sessions_go);
async fn admins_delete_users_and_their_sessions_go(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("doomed", false).await;
    let token = app.token("doomed", &user.password).await;
    let response = app.delete_user(&app.admin(), "doomed").await;
    response.assert_status(204);
    assert!(response.body.is_empty());
    app.get_user(&app.admin(), &user.id.to_string())
        .await
        .assert_status(404);
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&token)).await);
    assert_basic_challenge(&app.get_me(&user.basic()).await);
    assert_v2_message(
        &app.delete_user(&app.admin(), "doomed").await,
        404,
        "User not found for id doomed",
    );
    // Ids are never reused.
    let next = app.make_user("doomed", false).await;
    assert!(next.id > user.id);
}

both_backends!(delete_user_is_for_admins_only);
async fn delete_user_is_for_admins_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("survivor", false).await;
    assert_no_credentials(&app.delete_user(&Auth::None, "survivor").await);
    assert_v2_error(&app.delete_user(&user.basic(), "survivor").await, 403);
    assert_v2_error(&app.delete_user(&user.basic(), "admin").await, 403);
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "update")]).await;
    assert_v2_error(&app.delete_user(&Auth::bearer(&key), "survivor").await, 403);
    app.get_me(&user.basic()).await.assert_status(200);
    let (_, key) = app
        .make_api_key(&app.admin(), &[("users", "destroy")])
        .await;
    app.delete_user(&Auth::bearer(&key), "survivor")
        .await
        .assert_status(204);
}

// --- PUT /api/v2/users/{ref}/password -------------------------------------------------------

both_backends!(a_password_change_ends_the_other_sessions_only);
async fn a_password_change_ends_the_other_sessions_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("changer", false).await;
    let old_session = app.token("changer", &user.password).await;
    let current = app.sign_in_token("changer", &user.password).await;

    let response = app
        .change_password(
            &Auth::Bare(current.clone()),
            &user.id.to_string(),
            &json!({"password": "brand-new-password"}),
        )
        .await;
    response.assert_status(200);
    let body = response.json();
    assert_v2_user(&body);
    assert_eq!(body["id"], user.id);

    assert_bearer_challenge(&app.get_me(&Auth::bearer(&old_session)).await);
    app.get_me(&Auth::Bare(current)).await.assert_status(200);
    assert_basic_challenge(&app.get_me(&user.basic()).await);
    app.get_me(&Auth::basic("changer", "brand-new-password"))
        .await
        .assert_status(200);
}

both_backends!(a_password_change_through_put_user_also_ends_other_sessions);
async fn a_password_change_through_put_user_also_ends_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("putter", false).await;
    let old_session = app.token("putter", &user.password).await;
    app.update_user(
        &user.basic(),
        "putter",
        &json!({"password": "another-new-password"}),
    )
    .await
    .assert_status(200);
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&old_session)).await);
    app.token("putter", "another-new-password").await;
}

both_backends!(admins_change_other_passwords_and_users_cannot);
async fn admins_change_other_passwords_and_users_cannot(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("victim", false).await;
    let other = app.make_user("intruder", false).await;
    assert_v2_message(
        &app.change_password(
            &other.basic(),
            "victim",
            &json!({"password": "owned-password"}),
        )
        .await,
        403,
        UPDATE_OTHER,
    );
    assert_v2_message(
        &app.change_password(
            &other.basic(),
            "admin",
            &json!({"password": "owned-password"}),
        )
        .await,
        403,
        UPDATE_OTHER,
    );
    app.get_me(&user.basic()).await.assert_status(200);

    app.change_password(
        &app.admin(),
        "victim",
        &json!({"password": "reset-by-admin"}),
    )
    .await
    .assert_status(200);
    app.token("victim", "reset-by-admin").await;
}

both_backends!(change_password_validates);
async fn change_password_validates(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("validator", false).await;
    let path = user.id.to_string();
    let short = assert_field_error(
        &app.change_password(&user.basic(), &path, &json!({"password": "short"}))
            .await,
        "password",
        "too_short",
    );
    assert_eq!(short["count"], 8);
    assert_field_error(
        &app.change_password(&user.basic(), &path, &json!({})).await,
        "password",
        "blank",
    );
    assert_field_error(
        &app.change_password(&user.basic(), &path, &json!({"password": ""}))
            .await,
        "password",
        "blank",
    );
    assert_v2_message(
        &app.change_password(
            &app.admin(),
            "999999",
            &json!({"password": "long-enough-password"}),
        )
        .await,
        404,
        "User not found for id 999999",
    );
    assert_no_credentials(
        &app.change_password(
            &Auth::None,
            &path,
            &json!({"password": "long-enough-password"}),
        )
        .await,
    );
    let (_, key) = app.make_api_key(&user.basic(), &[("users", "show")]).await;
    assert_v2_error(
        &app.change_password(
            &Auth::bearer(&key),
            &path,
            &json!({"password": "long-enough-password"}),
        )
        .await,
        403,
    );
    // Nothing changed.
    app.get_me(&user.basic()).await.assert_status(200);
}

// --- disabling ------------------------------------------------------------------------------

both_backends!(disabling_a_user_stops_sessions_and_keys_until_re_enabled);
async fn disabling_a_user_stops_sessions_and_keys_until_re_enabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("switch", false).await;
    let token = app.token("switch", &user.password).await;
    let (_, key) = app.make_api_key(&user.basic(), &[("users", "show")]).await;
    let path = user.id.to_string();

    app.update_user(&app.admin(), &path, &json!({"enabled": false}))
        .await
        .assert_status(200);
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&token)).await);
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&key)).await);
    assert_basic_challenge(&app.get_me(&user.basic()).await);

    app.update_user(&app.admin(), &path, &json!({"enabled": true}))
        .await
        .assert_status(200);
    app.get_me(&Auth::bearer(&key)).await.assert_status(200);
    app.get_me(&user.basic()).await.assert_status(200);
    // Sessions were deleted, not suspended.
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&token)).await);

    app.update_user(
        &app.admin(),
        &path,
        &json!({"expired_at": "2000-01-01T00:00:00.000Z"}),
    )
    .await
    .assert_status(200);
    assert_basic_challenge(&app.get_me(&user.basic()).await);
    assert_bearer_challenge(&app.get_me(&Auth::bearer(&key)).await);
}

// --- routing --------------------------------------------------------------------------------

both_backends!(user_routes_answer_with_and_without_a_trailing_slash);
async fn user_routes_answer_with_and_without_a_trailing_slash(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/api/v2/users/me/",
        "/api/v2/users/",
        "/api/v2/users/admin/",
    ] {
        app.call(Method::GET, path, &app.admin())
            .await
            .assert_status(200);
    }
    let response = app
        .call_json(
            Method::PUT,
            "/api/v2/users/admin/password/",
            &app.admin(),
            &json!({"password": ADMIN_PASSWORD}),
        )
        .await;
    response.assert_status(200);
}

both_backends!(whole_numbers_written_with_a_fraction_are_integers);
async fn whole_numbers_written_with_a_fraction_are_integers(backend: Backend) {
    // JSON Schema counts 1000.0 as an integer, so the document's `integer` accepts it.
    let app = spawn_app(backend).await;
    let user = app.make_user("posix-user", false).await;
    let id = user.id.to_string();
    let updated = app
        .update_user(
            &app.admin(),
            &id,
            &json!({"user_id": 1000.0, "group_id": 5e1}),
        )
        .await;
    updated.assert_status(200);
    assert_eq!(updated.json()["user_id"], 1000);
    assert_eq!(updated.json()["group_id"], 50);
    let fraction = app
        .update_user(&app.admin(), &id, &json!({"user_id": 1.5}))
        .await;
    assert_field_error(&fraction, "user_id", "invalid");
    // Out of range like an out-of-range integer: the range error.
    let huge = app
        .update_user(&app.admin(), &id, &json!({"user_id": 1e20}))
        .await;
    assert_field_error(&huge, "user_id", "less_than_or_equal_to");
}
