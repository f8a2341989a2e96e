//! `POST /api/v2/users/sign_in` and `DELETE /api/v2/users/sign_out`, and every way a session
//! token is presented: `Bearer`, bare `Authorization`, `X-Empire-Token` and the cookie.

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, assert_basic_challenge, assert_bearer_challenge,
    assert_no_credentials, assert_v2_error, assert_v2_user, both_backends, spawn_app,
    spawn_app_with,
};
use serde_json::json;

/// The `name=value` pair of the first `Set-Cookie` header, and the whole header.
fn session_cookie(response: &crate::helpers::TestResponse) -> (String, String) {
    let header = response.header("set-cookie").expect("a session cookie");
    let pair = header.split(';').next().unwrap().trim().to_owned();
    (pair, header)
}

both_backends!(sign_in_returns_the_user_a_token_header_and_a_cookie);
async fn sign_in_returns_the_user_a_token_header_and_a_cookie(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .sign_in(&json!({"user": {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}}))
        .await;
    response.assert_status(201);
    let body = response.json();
    assert_v2_user(&body);
    assert_eq!(body["username"], ADMIN_USERNAME);
    assert_eq!(body["is_admin"], true);

    let token = response
        .header("authorization")
        .expect("Authorization header");
    assert!(!token.is_empty());
    let (cookie, header) = session_cookie(&response);
    let lower = header.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{header}");
    assert!(lower.contains("samesite=lax"), "{header}");
    assert!(
        !lower.contains("secure"),
        "not Secure unless configured: {header}"
    );

    for auth in [
        Auth::Bare(token.clone()),
        Auth::bearer(&token),
        Auth::EmpireToken(token.clone()),
        Auth::EmpireToken(format!("Bearer {token}")),
        Auth::Cookie(cookie),
    ] {
        let me = app.get_me(&auth).await;
        me.assert_status(200);
        assert_eq!(me.json()["username"], ADMIN_USERNAME, "{auth:?}");
    }
}

both_backends!(the_session_cookie_is_secure_when_configured);
async fn the_session_cookie_is_secure_when_configured(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.secure_cookies = true).await;
    let response = app
        .sign_in(&json!({"user": {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}}))
        .await;
    response.assert_status(201);
    let (_, header) = session_cookie(&response);
    assert!(header.to_ascii_lowercase().contains("secure"), "{header}");
}

both_backends!(sign_in_accepts_the_email_and_refuses_bad_credentials);
async fn sign_in_accepts_the_email_and_refuses_bad_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("signer", false).await;
    app.sign_in_token("signer@example.com", &user.password)
        .await;

    for (username, password) in [
        ("signer", "wrong-password"),
        ("nobody", "wrong-password"),
        ("", ""),
    ] {
        let response = app
            .sign_in(&json!({"user": {"username": username, "password": password}}))
            .await;
        if response.status == 422 {
            // An empty login may be reported as a validation failure.
            assert!(username.is_empty(), "{}", response.text());
            assert_v2_error(&response, 422);
        } else {
            assert_v2_error(&response, 401);
            assert!(
                response.header("authorization").is_none(),
                "no token on failure"
            );
        }
    }
}

both_backends!(sign_in_validates_the_body);
async fn sign_in_validates_the_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.sign_in(&json!({"user": {"username": "admin"}})).await;
    let body = assert_v2_error(&response, 422);
    let details = body["details"].as_object().unwrap();
    assert!(
        details.keys().any(|k| k.contains("password")),
        "the missing password is named: {body}"
    );

    let response = app.sign_in(&json!({})).await;
    assert_v2_error(&response, 422);
}

both_backends!(sign_out_revokes_only_the_session_used);
async fn sign_out_revokes_only_the_session_used(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.sign_in_token(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let second = app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await;

    let response = app.sign_out(&Auth::Bare(first.clone())).await;
    response.assert_status(204);
    assert!(response.body.is_empty());

    assert_bearer_challenge(&app.get_me(&Auth::bearer(&first)).await);
    app.get_me(&Auth::bearer(&second)).await.assert_status(200);
}

both_backends!(sign_out_with_basic_or_a_key_is_a_no_op);
async fn sign_out_with_basic_or_a_key_is_a_no_op(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    app.sign_out(&app.admin()).await.assert_status(204);
    let (_, key) = app
        .make_api_key(&app.admin(), &[("sessions", "destroy"), ("users", "show")])
        .await;
    app.sign_out(&Auth::bearer(&key)).await.assert_status(204);
    app.get_me(&Auth::bearer(&token)).await.assert_status(200);
    app.get_me(&Auth::bearer(&key)).await.assert_status(200);
}

both_backends!(sign_out_needs_credentials_and_the_scope);
async fn sign_out_needs_credentials_and_the_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_no_credentials(&app.sign_out(&Auth::None).await);
    assert_basic_challenge(
        &app.sign_out(&Auth::basic(ADMIN_USERNAME, "nope-nope"))
            .await,
    );
    assert_bearer_challenge(&app.sign_out(&Auth::bearer("rcs_not-a-real-token")).await);
    let (_, key) = app.make_api_key(&app.admin(), &[("users", "show")]).await;
    assert_v2_error(&app.sign_out(&Auth::bearer(&key)).await, 403);
}
