//! `GET /api/v2/users/-/systems` and `GET /api/v2/groups/-/systems`: the OS account database
//! (here the test's own passwd and group files), for admins only.

use crate::helpers::{
    Auth, Backend, assert_no_credentials, assert_v2_error, both_backends, spawn_app, spawn_app_with,
};
use serde_json::json;

both_backends!(admins_list_os_users_and_groups);
async fn admins_list_os_users_and_groups(backend: Backend) {
    let app = spawn_app(backend).await;
    let users = app.system_users(&app.admin()).await;
    users.assert_status(200);
    assert_eq!(
        users.json(),
        json!({
            "count": 2,
            "users": [
                {"name": "root", "uid": 0, "gid": 0, "info": "root"},
                {"name": "alice", "uid": 1000, "gid": 1000, "info": "Alice Liddell,,,"},
            ]
        })
    );
    let groups = app.system_groups(&app.admin()).await;
    groups.assert_status(200);
    assert_eq!(
        groups.json(),
        json!({
            "count": 2,
            "groups": [
                {"name": "root", "gid": 0, "users": []},
                {"name": "staff", "gid": 50, "users": ["alice", "bob"]},
            ]
        })
    );
    app.call(
        reqwest::Method::GET,
        "/api/v2/users/-/systems/",
        &app.admin(),
    )
    .await
    .assert_status(200);
}

both_backends!(os_accounts_are_for_admins_with_the_scope);
async fn os_accounts_are_for_admins_with_the_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let plain = app.make_user("plain", false).await;
    assert_no_credentials(&app.system_users(&Auth::None).await);
    assert_no_credentials(&app.system_groups(&Auth::None).await);
    assert_v2_error(&app.system_users(&plain.basic()).await, 403);
    assert_v2_error(&app.system_groups(&plain.basic()).await, 403);

    let users_key = app.key_bearer(&app.admin(), &[("users", "systems")]).await;
    app.system_users(&users_key).await.assert_status(200);
    assert_v2_error(&app.system_groups(&users_key).await, 403);
    let groups_key = app.key_bearer(&app.admin(), &[("groups", "systems")]).await;
    app.system_groups(&groups_key).await.assert_status(200);
    assert_v2_error(&app.system_users(&groups_key).await, 403);

    // A non-admin's key holding the scope is still not an admin.
    let (_, plain_key) = app
        .make_api_key(
            &plain.basic(),
            &[("users", "systems"), ("groups", "systems")],
        )
        .await;
    assert_v2_error(&app.system_users(&Auth::bearer(&plain_key)).await, 403);
}

both_backends!(an_unreadable_account_file_is_an_error_not_a_crash);
async fn an_unreadable_account_file_is_an_error_not_a_crash(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.passwd_file = "/nonexistent/passwd".into();
        s.group_file = "/nonexistent/group".into();
    })
    .await;
    // The domain reports an unreadable account database as unavailable (503).
    assert_v2_error(&app.system_users(&app.admin()).await, 503);
    assert_v2_error(&app.system_groups(&app.admin()).await, 503);
}
