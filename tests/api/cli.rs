//! The operator's subcommands against a running server's database: recovering an account
//! while the server runs (then signing in with the new password), and a backup taken under
//! write load that holds every write acknowledged before it began. The commands are driven
//! through `rollcall_server::commands`, the functions the binary's subcommands call, with
//! the server's own settings; `crates/server/tests/cli.rs` runs the binary itself.

use crate::helpers::{Auth, Backend, both_backends, spawn_app, spawn_on, test_settings};
use reqwest::Method;
use rollcall_server::DatabaseUrl;
use rollcall_server::commands::{backup_database, recover_account};
use secrecy::ExposeSecret;
use serde_json::json;

both_backends!(an_account_recovered_while_the_server_runs_signs_in_at_once);
async fn an_account_recovered_while_the_server_runs_signs_in_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let hal = app.make_user("hal", false).await;
    let old_session = Auth::bearer(&app.token("hal", &hal.password).await);
    app.get_me(&old_session).await.assert_status(200);
    // Locked out: disabled and expired (which also ends the session).
    app.update_user(
        &app.admin(),
        "hal",
        &json!({"enabled": false, "expired_at": "2020-01-01T00:00:00Z"}),
    )
    .await
    .assert_status(200);
    app.get_me(&hal.basic()).await.assert_status(401);

    let (user, password) = recover_account(&test_settings(&app.db), "hal")
        .await
        .expect("recovered");
    assert!(user.enabled && user.expired_at.is_none());
    assert!(!user.is_admin, "an active admin exists, so no promotion");
    // The running server honours it at the next request.
    app.get_me(&hal.basic()).await.assert_status(401);
    let me = app
        .get_me(&Auth::basic("hal", password.expose_secret()))
        .await;
    me.assert_status(200);
    assert_eq!(me.json()["enabled"], true);
    app.get_me(&old_session).await.assert_status(401);
    // Audited as the command line's, naming the fields and not the password.
    let events = app
        .call(
            Method::GET,
            "/api/v2/audit_events?action=user.recover",
            &app.admin(),
        )
        .await
        .json();
    let event = &events["audit_events"][0];
    assert_eq!(event["family"], "cli");
    assert_eq!(event["actor"]["kind"], "cli");
    assert_eq!(event["target_user_id"], hal.id);
    assert!(!event.to_string().contains(password.expose_secret()));

    let unknown = recover_account(&test_settings(&app.db), "nobody").await;
    assert!(unknown.is_err(), "an unknown user is an error");
}

both_backends!(recovering_the_only_admin_account_makes_it_an_admin_again);
async fn recovering_the_only_admin_account_makes_it_an_admin_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let ivy = app.make_user("ivy", false).await;
    // The directory lost every active admin outside the rules (a hand-edited database).
    raw_sql(
        &app.db.url,
        "UPDATE users SET enabled = false WHERE is_admin",
    )
    .await;
    app.get_me(&app.admin()).await.assert_status(401);
    let (user, password) = recover_account(&test_settings(&app.db), "ivy")
        .await
        .expect("recovered");
    assert!(user.is_admin, "no other active admin: promoted");
    app.list_users(&Auth::basic("ivy", password.expose_secret()), "")
        .await
        .assert_status(200);
    assert_eq!(user.id.get(), ivy.id);
}

/// Runs one statement on the test database, outside the server.
async fn raw_sql(url: &str, sql: &str) {
    use diesel::Connection;
    use diesel::RunQueryDsl as _;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let sql = sql.to_owned();
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut conn = diesel::SqliteConnection::establish(&path).expect("SQLite");
            diesel::sql_query(sql)
                .execute(&mut conn)
                .expect("statement");
        })
        .await
        .expect("statement thread");
    } else {
        use diesel_async::{AsyncConnection, AsyncPgConnection};
        let mut conn = AsyncPgConnection::establish(url).await.expect("PostgreSQL");
        diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn)
            .await
            .expect("statement");
    }
}

/// SQLite only (PostgreSQL backups are pg_dump's job): users created while the backup runs,
/// and the copy opened by a second server holds every one acknowledged before it began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_holds_every_acknowledged_write() {
    let app = spawn_app(Backend::Sqlite).await;
    let writer = {
        let app_address = app.address.clone();
        let client = app.client.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0..400 {
                let response = client
                    .post(format!("{app_address}/api/v2/users"))
                    .basic_auth(
                        crate::helpers::ADMIN_USERNAME,
                        Some(crate::helpers::ADMIN_PASSWORD),
                    )
                    .json(&json!({"username": format!("load{n}"), "password": "load-password"}))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 201);
                acknowledged.push((std::time::Instant::now(), format!("load{n}")));
            }
            acknowledged
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let copy = app.db.dir.path().join("backup.db");
    let started = std::time::Instant::now();
    backup_database(&test_settings(&app.db), &copy)
        .await
        .expect("backup");
    let acknowledged = writer.await.expect("writer");
    let before: Vec<&String> = acknowledged
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, name)| name)
        .collect();
    assert!(!before.is_empty(), "the backup ran under load");
    assert!(
        before.len() < acknowledged.len(),
        "writes went on after it began"
    );
    assert!(
        backup_database(&test_settings(&app.db), &copy)
            .await
            .is_err(),
        "an existing file is never overwritten"
    );

    let url = format!("sqlite://{}", copy.display());
    let restored = spawn_on(Backend::Sqlite, app.db.clone(), |s| {
        s.database_url = DatabaseUrl::new(url);
    })
    .await;
    for name in before {
        restored
            .get_user(&restored.admin(), name)
            .await
            .assert_status(200);
    }
}
