//! `POST /token`: the OAuth2 password grant of Empire clients (form body).

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, assert_bearer_challenge, assert_field_error,
    assert_v2_error, assert_v2_message, both_backends, spawn_app,
};

both_backends!(token_issues_a_bearer_session_token);
async fn token_issues_a_bearer_session_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post_token(&[
            ("grant_type", "password"),
            ("username", ADMIN_USERNAME),
            ("password", ADMIN_PASSWORD),
            ("scope", ""),
            ("client_id", "ignored"),
            ("client_secret", "ignored"),
        ])
        .await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["token_type"], "bearer");
    let token = body["access_token"].as_str().unwrap();
    // At least 128 random bits, whatever the encoding.
    assert!(token.len() >= 22, "{token}");
    let me = app.get_me(&Auth::bearer(token)).await;
    me.assert_status(200);
    assert_eq!(me.json()["username"], ADMIN_USERNAME);
}

both_backends!(token_accepts_the_email_as_login_case_insensitively);
async fn token_accepts_the_email_as_login_case_insensitively(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("tokenuser", false).await;
    app.token("TokenUser@Example.com", &user.password).await;
    app.token("TOKENUSER", &user.password).await;
}

both_backends!(token_with_a_wrong_password_is_401_incorrect_username_or_password);
async fn token_with_a_wrong_password_is_401_incorrect_username_or_password(backend: Backend) {
    let app = spawn_app(backend).await;
    for (username, password) in [
        (ADMIN_USERNAME, "wrong-password"),
        ("nobody-here", "wrong-password"),
    ] {
        let response = app
            .post_token(&[("username", username), ("password", password)])
            .await;
        assert_v2_message(&response, 401, "Incorrect username or password");
        assert_bearer_challenge(&response);
    }
}

both_backends!(token_refuses_disabled_users);
async fn token_refuses_disabled_users(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.make_user("soon-disabled", false).await;
    app.update_user(
        &app.admin(),
        &user.id.to_string(),
        &serde_json::json!({"enabled": false}),
    )
    .await
    .assert_status(200);
    let response = app
        .post_token(&[("username", &user.username), ("password", &user.password)])
        .await;
    assert_v2_message(&response, 401, "Incorrect username or password");
}

both_backends!(token_validates_the_form);
async fn token_validates_the_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong_grant = app
        .post_token(&[
            ("grant_type", "client_credentials"),
            ("username", ADMIN_USERNAME),
            ("password", ADMIN_PASSWORD),
        ])
        .await;
    assert_field_error(&wrong_grant, "grant_type", "invalid");

    let no_password = app.post_token(&[("username", ADMIN_USERNAME)]).await;
    assert_field_error(&no_password, "password", "blank");

    let no_username = app.post_token(&[("password", ADMIN_PASSWORD)]).await;
    assert_field_error(&no_username, "username", "blank");

    let nothing = app.post_token(&[]).await;
    let body = assert_v2_error(&nothing, 422);
    assert!(body["details"]["username"].is_array(), "{body}");
    assert!(body["details"]["password"].is_array(), "{body}");
}

/// A `multipart/form-data` body of text fields, as a browser's `FormData` is sent.
fn multipart(boundary: &str, fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body
}

both_backends!(token_reads_a_multipart_form_as_starkiller_sends_it);
async fn token_reads_a_multipart_form_as_starkiller_sends_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let post = |body: String, content_type: &str| {
        app.send(
            app.request(reqwest::Method::POST, "/token", &Auth::None)
                .header("content-type", content_type)
                .body(body),
        )
    };
    let boundary = "----formdata-undici-0123456789";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let issued = post(
        multipart(
            boundary,
            &[
                ("username", ADMIN_USERNAME),
                ("password", ADMIN_PASSWORD),
                ("remember", "on"),
            ],
        ),
        &content_type,
    )
    .await;
    // An unknown field is ignored, as in the URL-encoded form.
    issued.assert_status(200);
    let token = issued.json()["access_token"].as_str().unwrap().to_owned();
    app.get_me(&Auth::EmpireToken(format!("Bearer {token}")))
        .await
        .assert_status(200);

    let wrong = post(
        multipart(
            boundary,
            &[("username", ADMIN_USERNAME), ("password", "not-it-at-all")],
        ),
        &content_type,
    )
    .await;
    assert_v2_message(&wrong, 401, "Incorrect username or password");
    let missing = post(
        multipart(boundary, &[("username", ADMIN_USERNAME)]),
        &content_type,
    )
    .await;
    assert_field_error(&missing, "password", "blank");
    let broken = post("--other\r\nnot multipart".into(), &content_type).await;
    assert_v2_error(&broken, 400);
    let no_boundary = post(
        multipart(boundary, &[("username", ADMIN_USERNAME)]),
        "multipart/form-data",
    )
    .await;
    assert_v2_error(&no_boundary, 415);
}

both_backends!(meta_version_answers_principals_holding_users_show);
async fn meta_version_answers_principals_holding_users_show(backend: Backend) {
    let app = spawn_app(backend).await;
    let anonymous = app
        .call(reqwest::Method::GET, "/api/v2/meta/version", &Auth::None)
        .await;
    assert_v2_error(&anonymous, 401);
    let token = app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let version = app
        .call(
            reqwest::Method::GET,
            "/api/v2/meta/version",
            &Auth::EmpireToken(format!("Bearer {token}")),
        )
        .await;
    version.assert_status(200);
    let text = version.json()["version"].as_str().unwrap().to_owned();
    assert!(text.ends_with(" (Rollcall)"), "{text}");
    // Its scope is `users/show`, the one of `/users/me` beside which Starkiller reads it.
    let admin = app.admin();
    let reader = app.key_bearer(&admin, &[("users", "show")]).await;
    app.call(reqwest::Method::GET, "/api/v2/meta/version", &reader)
        .await
        .assert_status(200);
    let other = app.key_bearer(&admin, &[("configurations", "index")]).await;
    let refused = app
        .call(reqwest::Method::GET, "/api/v2/meta/version", &other)
        .await;
    assert_v2_error(&refused, 403);
}
