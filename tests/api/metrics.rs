//! `/metrics` on the real server: request latency histograms by family, route pattern,
//! method and status class; password checks, the credential cache, sessions and API keys
//! counted; the hashing queue and the database pool shown.

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Auth, Backend, TestApp, both_backends, spawn_app,
};
use reqwest::Method;

async fn scrape(app: &TestApp) -> String {
    let response = app.call(Method::GET, "/metrics", &Auth::None).await;
    response.assert_status(200);
    response.text()
}

/// The value of one series, `name{labels}` exactly as rendered.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics:\n{text}"))
}

both_backends!(metrics_expose_request_histograms_and_authentication_counts);
async fn metrics_expose_request_histograms_and_authentication_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..3 {
        app.list_users(&app.admin(), "").await.assert_status(200);
    }
    app.get_user(&app.admin(), "nobody")
        .await
        .assert_status(404);
    app.call(Method::GET, "/no/such/path", &Auth::None).await;
    app.post_token(&[("username", ADMIN_USERNAME), ("password", "wrong-password")])
        .await
        .assert_status(401);
    let token = app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let key = app
        .key_bearer(&Auth::bearer(&token), &[("users", "index")])
        .await;
    app.list_users(&key, "").await.assert_status(200);

    let text = scrape(&app).await;
    assert!(text.contains("# TYPE rollcall_http_request_duration_seconds histogram"));
    let users = "family=\"v2\",route=\"/api/v2/users\",method=\"GET\",status_class=\"2xx\"";
    assert_eq!(
        value(
            &text,
            &format!("rollcall_http_request_duration_seconds_count{{{users}}}")
        ),
        4.0
    );
    assert!(text.contains(&format!(
        "rollcall_http_request_duration_seconds_bucket{{{users},le=\"+Inf\"}} 4"
    )));
    assert!(
        text.contains("route=\"/api/v2/users/{user_ref}\",method=\"GET\",status_class=\"4xx\"")
    );
    assert!(
        text.contains("route=\"unmatched\""),
        "no path is ever a label"
    );
    assert!(!text.contains("nobody") && !text.contains("/no/such/path"));
    // Every Basic request after the first was a cache hit; one wrong and one right sign-in.
    assert!(value(&text, "rollcall_credential_cache_total{result=\"hit\"}") >= 2.0);
    assert!(value(&text, "rollcall_password_checks_total{outcome=\"failure\"}") >= 1.0);
    assert!(value(&text, "rollcall_password_checks_total{outcome=\"success\"}") >= 1.0);
    assert_eq!(
        value(
            &text,
            "rollcall_password_checks_total{outcome=\"throttled\"}"
        ),
        0.0
    );
    assert_eq!(value(&text, "rollcall_sessions_issued_total"), 1.0);
    assert_eq!(value(&text, "rollcall_api_key_uses_total"), 1.0);
    assert!(text.contains("# TYPE rollcall_hash_queue_wait_seconds histogram"));
    assert!(value(&text, "rollcall_hash_queue_wait_seconds_count") >= 2.0);
    assert_eq!(value(&text, "rollcall_hash_queue_waiting"), 0.0);
    assert!(value(&text, "rollcall_db_pool_connections{state=\"max\"}") >= 1.0);
    assert_eq!(value(&text, "rollcall_db_pool_waiting"), 0.0);
    assert!(value(&text, "rollcall_uptime_seconds") > 0.0);
}
