//! Start-up: the first admin (configured, generated and printed once, never again), port 0,
//! and the errors that stop the server from starting.

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USERNAME, Backend, TestDatabase, both_backends, serve, spawn_on,
    test_settings,
};
use rollcall_server::settings::DatabaseUrl;
use rollcall_server::{AdminBootstrap, Application, StartupError};
use secrecy::{ExposeSecret, SecretString};

both_backends!(a_generated_admin_password_works_and_is_made_only_once);
async fn a_generated_admin_password_works_and_is_made_only_once(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let mut settings = test_settings(&db);
    settings.admin_username = None;
    settings.admin_password = None;
    let application = Application::build(settings.clone()).await.unwrap();
    let AdminBootstrap::Generated { username, password } = application.admin_bootstrap() else {
        panic!(
            "expected a generated admin, got {:?}",
            application.admin_bootstrap()
        );
    };
    assert_eq!(username, "admin");
    let password = password.expose_secret().to_owned();
    assert!(password.len() >= 16, "a strong generated password");
    let app = serve(backend, db.clone(), application);
    app.token("admin", &password).await;

    // A later start on the same database creates nobody, whatever is configured.
    settings.admin_username = Some("someone-else".into());
    settings.admin_password = Some(SecretString::from("another-password"));
    let again = Application::build(settings).await.unwrap();
    assert!(matches!(again.admin_bootstrap(), AdminBootstrap::Existing));
    let again = serve(backend, db, again);
    let response = again
        .post_token(&[
            ("username", "someone-else"),
            ("password", "another-password"),
        ])
        .await;
    response.assert_status(401);
    again.token("admin", &password).await;
}

both_backends!(the_configured_admin_is_created_on_an_empty_directory);
async fn the_configured_admin_is_created_on_an_empty_directory(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let application = Application::build(test_settings(&db)).await.unwrap();
    assert!(matches!(
        application.admin_bootstrap(),
        AdminBootstrap::Configured { username } if username == ADMIN_USERNAME
    ));
    assert_ne!(application.port(), 0, "port 0 is replaced by the real port");
    assert_eq!(application.address().port(), application.port());
    let app = serve(backend, db, application);
    app.token(ADMIN_USERNAME, ADMIN_PASSWORD).await;
}

both_backends!(a_configured_admin_password_must_meet_the_policy);
async fn a_configured_admin_password_must_meet_the_policy(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let mut settings = test_settings(&db);
    settings.admin_password = Some(SecretString::from("short"));
    let error = Application::build(settings).await.unwrap_err();
    assert!(matches!(error, StartupError::Bootstrap(_)), "{error:?}");
}

both_backends!(a_migrated_database_can_skip_migrations);
async fn a_migrated_database_can_skip_migrations(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let first = spawn_on(backend, db.clone(), |_| {}).await;
    let second = spawn_on(backend, db, |s| s.skip_migrations = true).await;
    second.get_me(&second.admin()).await.assert_status(200);
    drop(first);
}

#[tokio::test]
async fn an_unknown_database_scheme_is_refused() {
    let db = TestDatabase::create(Backend::Sqlite).await;
    let mut settings = test_settings(&db);
    settings.database_url = DatabaseUrl::new("mysql://root:secret@localhost/rollcall");
    let error = Application::build(settings).await.unwrap_err();
    assert!(
        matches!(
            error,
            StartupError::Migrations(_) | StartupError::Database(_)
        ),
        "{error:?}"
    );
    let shown = format!("{error:?} {error}");
    assert!(
        !shown.contains("secret"),
        "the password is not shown: {shown}"
    );
}

#[tokio::test]
async fn an_address_in_use_is_a_bind_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let db = TestDatabase::create(Backend::Sqlite).await;
    let mut settings = test_settings(&db);
    settings.bind = taken.local_addr().unwrap().to_string();
    let error = Application::build(settings).await.unwrap_err();
    assert!(matches!(error, StartupError::Bind { .. }), "{error:?}");
}
