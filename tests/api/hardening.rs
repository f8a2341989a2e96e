//! Issue 9, the security review: each finding reproduced against the real server on both
//! backends. An API key never buys more than its scopes: it cannot set a password (which would
//! give its holder every right of the user) and no key it makes outlives it.

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, TestApp, assert_v2_error, both_backends,
    spawn_app, spawn_app_with,
};
use futures_util::future::join_all;
use reqwest::Method;
use rollcall_server::Settings;
use rollcall_system::{Argon2Params, QueueBounds};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const NEW_PASSWORD: &str = "a-brand-new-password";

/// A key of the admin holding every user-management scope there is.
async fn admin_key(app: &TestApp) -> Auth {
    app.key_bearer(
        &app.admin(),
        &[
            ("users", "index"),
            ("users", "show"),
            ("users", "create"),
            ("users", "update"),
            ("api_keys", "create"),
            ("api_keys", "update"),
        ],
    )
    .await
}

/// `true` when `password` signs in as `username` (Basic on `/users/me`).
async fn password_works(app: &TestApp, username: &str, password: &str) -> bool {
    let me = app.get_me(&Auth::basic(username, password)).await;
    me.status.as_u16() == 200
}

async fn an_api_key_cannot_change_a_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = admin_key(&app).await;
    let admin_id = app.admin_id().await.to_string();
    let bob = app.make_user("bob", false).await;
    let bob_id = bob.id.to_string();
    const V2: &str = "An API key cannot change a password.";

    for target in [&admin_id, &bob_id] {
        let r = app
            .change_password(&key, target, &json!({"password": NEW_PASSWORD}))
            .await;
        assert_eq!(assert_v2_error(&r, 403)["detail"], V2);
        let r = app
            .update_user(&key, target, &json!({"password": NEW_PASSWORD}))
            .await;
        assert_eq!(assert_v2_error(&r, 403)["detail"], V2);
    }
    // Refused before the body's own rules: a too-short password is still 403.
    let r = app
        .update_user(&key, &bob_id, &json!({"password": "x"}))
        .await;
    assert_eq!(assert_v2_error(&r, 403)["detail"], V2);
    // A new admin with a password the key holder would know.
    const ADMIN_WITH_PASSWORD: &str = "An API key cannot create an admin with a password.";
    let r = app
        .create_user(
            &key,
            &json!({"username": "mallory", "password": NEW_PASSWORD, "is_admin": true}),
        )
        .await;
    assert_eq!(assert_v2_error(&r, 403)["detail"], ADMIN_WITH_PASSWORD);

    // v1: the password route.
    let r = app
        .call_json(
            Method::PATCH,
            "/api/v1/users/bob",
            &key,
            &json!({"value": {"password": NEW_PASSWORD}}),
        )
        .await;
    r.assert_status(403);
    assert_eq!(
        r.json(),
        json!("Permission denied: an API key cannot change a password")
    );

    // application: update and create with a password.
    let r = app
        .call_json(
            Method::PATCH,
            &format!("/api/application/users/{bob_id}"),
            &key,
            &json!({"email": "bob@example.com", "username": "bob", "first_name": "B",
                    "last_name": "B", "password": NEW_PASSWORD}),
        )
        .await;
    r.assert_status(403);
    assert_eq!(
        r.json()["errors"][0]["detail"],
        "An API key cannot change a password."
    );
    let r = app
        .call_json(
            Method::POST,
            "/api/application/users",
            &key,
            &json!({"email": "m@example.com", "username": "mallory", "first_name": "M",
                    "last_name": "M", "password": NEW_PASSWORD, "root_admin": true}),
        )
        .await;
    r.assert_status(403);
    assert_eq!(r.json()["errors"][0]["detail"], ADMIN_WITH_PASSWORD);

    // Nothing was written: the old passwords work, the new one nowhere, no mallory.
    assert!(password_works(&app, "admin", crate::helpers::ADMIN_PASSWORD).await);
    assert!(password_works(&app, "bob", &bob.password).await);
    assert!(!password_works(&app, "bob", NEW_PASSWORD).await);
    app.get_user(&app.admin(), "mallory")
        .await
        .assert_status(404);

    // What the scopes allow still works: changing other fields, provisioning plain users
    // with or without a password.
    app.update_user(&key, &bob_id, &json!({"first_name": "Robert"}))
        .await
        .assert_status(200);
    app.call_json(
        Method::POST,
        "/api/application/users",
        &key,
        &json!({"email": "d@example.com", "username": "dave", "first_name": "D",
                "last_name": "D"}),
    )
    .await
    .assert_status(201);
    app.create_user(&key, &json!({"username": "erin", "password": NEW_PASSWORD}))
        .await
        .assert_status(201);
    // A session of the same admin may change passwords (needs no key).
    let session = Auth::bearer(&app.token("bob", &bob.password).await);
    app.call_json(
        Method::PATCH,
        "/api/v1/users/bob",
        &session,
        &json!({"value": {"current_password": bob.password, "password": NEW_PASSWORD}}),
    )
    .await
    .assert_status(200);
}

/// Creates a key through `auth`; returns the response.
async fn create_key(
    app: &TestApp,
    auth: &Auth,
    expires_at: Option<Value>,
) -> crate::helpers::TestResponse {
    let mut body = json!({"name": "child", "api_key_scopes": [{"controller": "api_keys", "action": "create"}]});
    if let Some(e) = expires_at {
        body["expires_at"] = e;
    }
    app.create_api_key(auth, &body).await
}

async fn a_key_never_outlives_the_key_that_made_it(backend: Backend) {
    let app = spawn_app(backend).await;
    // The test clock is the real one: expiries far ahead.
    let maker = app
        .create_api_key(
            &app.admin(),
            &json!({"name": "maker", "expires_at": "2100-01-01T00:00:00Z", "api_key_scopes": [
                {"controller": "api_keys", "action": "create"},
                {"controller": "api_keys", "action": "update"}]}),
        )
        .await;
    maker.assert_status(201);
    let maker = maker.json();
    let maker_id = maker["id"].as_i64().unwrap().to_string();
    let key = Auth::bearer(maker["key"].as_str().unwrap());
    const REFUSED: &str = "An API key cannot make or extend a key beyond its own expiry.";

    let child = create_key(&app, &key, None).await;
    child.assert_status(201);
    assert_eq!(
        child.json()["expires_at"],
        maker["expires_at"],
        "absent → the maker's"
    );
    let earlier = create_key(&app, &key, Some(json!("2099-01-01T00:00:00Z"))).await;
    earlier.assert_status(201);
    let sibling_id = earlier.json()["id"].as_i64().unwrap().to_string();
    for later in [json!("2100-01-01T00:00:01Z"), Value::Null] {
        let r = create_key(&app, &key, Some(later)).await;
        assert_eq!(assert_v2_error(&r, 403)["detail"], REFUSED);
    }
    for id in [&maker_id, &sibling_id] {
        for later in [json!("2200-01-01T00:00:00Z"), Value::Null] {
            let r = app
                .update_api_key(&key, id, &json!({"expires_at": later}))
                .await;
            assert_eq!(assert_v2_error(&r, 403)["detail"], REFUSED);
        }
    }
    let stored = app.get_api_key(&app.admin(), &maker_id).await.json();
    assert_eq!(
        stored["expires_at"], maker["expires_at"],
        "nothing was written"
    );
    // Shortening is allowed.
    app.update_api_key(
        &key,
        &sibling_id,
        &json!({"expires_at": "2098-01-01T00:00:00Z"}),
    )
    .await
    .assert_status(200);
}

both_backends!(
    an_api_key_cannot_change_a_password,
    a_key_never_outlives_the_key_that_made_it,
);

async fn the_last_admin_cannot_be_expired_in_advance(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin_id = app.admin_id().await.to_string();
    const LAST_ADMIN: &str = "Cannot disable or demote the last enabled admin.";
    let next_year = json!({"expired_at": "2100-01-01T00:00:00Z"});
    let r = app.update_user(&app.admin(), &admin_id, &next_year).await;
    assert_eq!(assert_v2_error(&r, 400)["detail"], LAST_ADMIN);
    // An admin who expires does not count as the other admin either.
    let other = app.make_user("deputy", true).await;
    app.update_user(&app.admin(), &other.id.to_string(), &next_year)
        .await
        .assert_status(200);
    let r = app.update_user(&app.admin(), &admin_id, &next_year).await;
    assert_eq!(assert_v2_error(&r, 400)["detail"], LAST_ADMIN);
    let r = app
        .call_json(
            Method::PATCH,
            &format!("/api/application/users/{admin_id}"),
            &app.admin(),
            &json!({"root_admin": false, "email": "a@example.com", "username": "admin",
                    "first_name": "A", "last_name": "A"}),
        )
        .await;
    r.assert_status(400);
    let me = app.get_me(&app.admin()).await.json();
    assert!(me["expired_at"].is_null() && me["is_admin"] == json!(true));
    // Once the deputy is lasting, the admin may expire.
    app.update_user(
        &app.admin(),
        &other.id.to_string(),
        &json!({"expired_at": null}),
    )
    .await
    .assert_status(200);
    app.update_user(&app.admin(), &admin_id, &next_year)
        .await
        .assert_status(200);
}

both_backends!(the_last_admin_cannot_be_expired_in_advance);

/// One hashing thread and Argon2id slow enough (~0.1–0.3 s a check) that concurrent checks
/// overlap; the queue bounds as given; no login throttle (these tests fail many logins).
fn slow_hashing(s: &mut Settings, bounds: QueueBounds) {
    s.argon2 = Argon2Params {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    s.hash_concurrency = 1;
    s.hash_queue = bounds;
    s.login_throttle.enabled = false;
}

/// One sample of `/metrics`.
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app.call(Method::GET, "/metrics", &Auth::None).await.text();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics:\n{text}"))
}

async fn a_flood_of_password_checks_is_shed_with_503(backend: Backend) {
    let bounds = QueueBounds {
        depth: 1,
        deadline: Duration::from_secs(30),
    };
    let app = spawn_app_with(backend, |s| slow_hashing(s, bounds)).await;
    let wrong = [("username", ADMIN_USERNAME), ("password", "wrong-password")];
    let answers = join_all((0..8).map(|_| app.post_token(&wrong))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 503),
        "{statuses:?}"
    );
    let shed: Vec<_> = answers
        .iter()
        .filter(|r| r.status.as_u16() == 503)
        .collect();
    // One check runs, one waits: the other six cannot be queued.
    assert!(shed.len() >= 4, "{statuses:?}");
    for r in &shed {
        assert_eq!(r.header("retry-after").as_deref(), Some("30"));
        let detail = assert_v2_error(r, 503)["detail"].clone();
        assert!(detail.as_str().unwrap().contains("try again"), "{detail}");
    }
    let full = metric(&app, "rollcall_hash_queue_shed_total{reason=\"full\"}").await;
    assert_eq!(full as usize, shed.len());
    assert_eq!(metric(&app, "rollcall_hash_queue_waiting").await, 0.0);
    // When the flood is over, logins work again.
    app.post_token(&[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)])
        .await
        .assert_status(200);
}

async fn checks_of_clients_that_have_gone_are_not_run(backend: Backend) {
    let bounds = QueueBounds {
        depth: 64,
        deadline: Duration::from_secs(30),
    };
    let app = spawn_app_with(backend, |s| slow_hashing(s, bounds)).await;
    let body = "username=admin&password=wrong-password";
    let request = format!(
        "POST /token HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Fire and forget: each client sends a whole wrong-password login and hangs up.
    for _ in 0..10 {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
            .await
            .expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        stream.shutdown().await.expect("half-close");
        drop(stream);
    }
    // A real login behind them is answered, and most of theirs were never hashed.
    app.post_token(&[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)])
        .await
        .assert_status(200);
    let gone = metric(
        &app,
        "rollcall_hash_queue_shed_total{reason=\"client_gone\"}",
    )
    .await;
    assert!(gone >= 5.0, "{gone} of 10 abandoned checks skipped");
}

both_backends!(
    a_flood_of_password_checks_is_shed_with_503,
    checks_of_clients_that_have_gone_are_not_run,
);
