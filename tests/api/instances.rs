//! Several instances on one database behave as one: a password change made through one
//! instance is honoured at once by another, including its in-memory Basic cache, and
//! sessions issued by one are accepted and revoked everywhere.

use crate::helpers::{
    Auth, Backend, assert_basic_challenge, assert_bearer_challenge, both_backends, spawn_app,
};
use serde_json::json;

both_backends!(a_password_change_on_one_instance_is_honoured_at_once_by_another);
async fn a_password_change_on_one_instance_is_honoured_at_once_by_another(backend: Backend) {
    let a = spawn_app(backend).await;
    let b = a.spawn_sibling().await;
    assert_ne!(a.port, b.port);

    let user = a.make_user("roamer", false).await;
    // Basic on B, twice: the second answer may come from B's credential cache.
    b.get_me(&user.basic()).await.assert_status(200);
    b.get_me(&user.basic()).await.assert_status(200);
    let session_from_b = b.token("roamer", &user.password).await;
    a.get_me(&Auth::bearer(&session_from_b))
        .await
        .assert_status(200);

    a.change_password(
        &user.basic(),
        "roamer",
        &json!({"password": "changed-on-a"}),
    )
    .await
    .assert_status(200);

    assert_basic_challenge(&b.get_me(&user.basic()).await);
    assert_bearer_challenge(&b.get_me(&Auth::bearer(&session_from_b)).await);
    b.get_me(&Auth::basic("roamer", "changed-on-a"))
        .await
        .assert_status(200);
    assert_basic_challenge(&a.get_me(&user.basic()).await);
}

both_backends!(users_made_on_one_instance_are_managed_on_another);
async fn users_made_on_one_instance_are_managed_on_another(backend: Backend) {
    let a = spawn_app(backend).await;
    let b = a.spawn_sibling().await;
    let user = a.make_user("shared", false).await;
    let (_, key) = a.make_api_key(&user.basic(), &[("users", "show")]).await;
    b.get_me(&Auth::bearer(&key)).await.assert_status(200);
    b.update_user(&b.admin(), "shared", &json!({"enabled": false}))
        .await
        .assert_status(200);
    assert_bearer_challenge(&a.get_me(&Auth::bearer(&key)).await);
    assert_basic_challenge(&a.get_me(&user.basic()).await);
}
