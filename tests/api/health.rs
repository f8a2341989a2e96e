//! `/healthz` and `/readyz`, and the database going away and coming back (503, then recovery
//! without a restart).

use crate::families::{assert_application_error, assert_v1_error};
use crate::helpers::{Auth, Backend, assert_v2_error, both_backends, spawn_app, spawn_app_pg};
use std::time::{Duration, Instant};

both_backends!(liveness_and_readiness_answer_200_without_credentials);
async fn liveness_and_readiness_answer_200_without_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    app.healthz().await.assert_status(200);
    app.readyz().await.assert_status(200);
    app.call(reqwest::Method::GET, "/healthz/", &Auth::None)
        .await
        .assert_status(200);
}

/// Cuts the PostgreSQL database off (no new connections, existing ones terminated), expects
/// 503 in the v2 envelope and from `/readyz`, lets it back in and expects 200 again from the
/// same running server. PostgreSQL only: SQLite has no server to lose.
#[tokio::test]
async fn database_unavailable_is_503_and_the_server_recovers() {
    let Some(app) = spawn_app_pg().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let name = app.db.pg_name.clone().expect("a PostgreSQL database");
    app.get_me(&app.admin()).await.assert_status(200);

    app.db
        .pg_admin(&format!(
            "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false"
        ))
        .await;
    app.db
        .pg_admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await;

    let down = app.get_me(&app.admin()).await;
    assert_v2_error(&down, 503);
    // Every family answers 503 in its own envelope.
    let v1 = app
        .call(reqwest::Method::GET, "/api/v1/users", &app.admin())
        .await;
    assert_v1_error(&v1, 503);
    let application = app
        .call(
            reqwest::Method::GET,
            "/api/application/users",
            &Auth::bearer("rck_0123456789abcdef_unreachable"),
        )
        .await;
    assert_application_error(&application, 503);
    app.readyz().await.assert_status(503);
    // Liveness does not depend on the database.
    app.healthz().await.assert_status(200);

    app.db
        .pg_admin(&format!(
            "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true"
        ))
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = app.get_me(&app.admin()).await;
        if response.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not recover: {} {}",
            response.status,
            response.text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.readyz().await.assert_status(200);
}
