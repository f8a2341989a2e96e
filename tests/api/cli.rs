//! The operator's subcommands against a running server's database: recovering an account
//! while the server runs (then signing in with the new password), and a backup taken under
//! write load that holds every write acknowledged before it began. The commands are driven
//! through `rollcall_server::commands`, the functions the binary's subcommands call, with
//! the server's own settings; `crates/server/tests/cli.rs` runs the binary itself.

use crate::helpers::{Auth, Backend, both_backends, spawn_app, spawn_on, test_settings};
use reqwest::Method;
use rollcall_domain::services::LineOutcome;
use rollcall_server::DatabaseUrl;
use rollcall_server::commands::{backup_database, export_users, import_users, recover_account};
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

/// Every user of `db` as the export writes them, parsed.
async fn exported(db: &crate::helpers::TestDatabase) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    export_users(&test_settings(db), &mut out)
        .await
        .expect("export");
    String::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn line_of<'a>(users: &'a [serde_json::Value], username: &str) -> &'a serde_json::Value {
    users
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} in {users:?}"))
}

both_backends!(bcrypt_users_imported_sign_in_with_their_passwords_and_are_upgraded);
async fn bcrypt_users_imported_sign_in_with_their_passwords_and_are_upgraded(backend: Backend) {
    let app = spawn_app(backend).await;
    // As Pterodactyl (Laravel) and Empire store them.
    let laravel = bcrypt::hash("ptero-password-1", 4)
        .expect("bcrypt")
        .replacen("$2b$", "$2y$", 1);
    let empire = bcrypt::hash("empire-password-1", 4).expect("bcrypt");
    assert!(laravel.starts_with("$2y$04$") && empire.starts_with("$2b$04$"));
    let file = format!(
        "{}\n\n{}\n{}\n",
        json!({"username": "ptero", "email": "ptero@example.com", "is_admin": false,
               "password_hash": laravel, "external_id": "ptero-7"}),
        json!({"username": "empire", "password_hash": empire, "first_name": "Em"}),
        json!({"username": "nopass", "enabled": false}),
    );
    let report = import_users(&test_settings(&app.db), &file, false)
        .await
        .expect("import");
    assert!(report.applied);
    assert_eq!(report.count(|o| matches!(o, LineOutcome::Created)), 3);
    assert_eq!(
        report.lines.iter().map(|l| l.line).collect::<Vec<_>>(),
        vec![1, 3, 4],
        "blank lines are skipped, numbers are the file's"
    );

    for (name, password) in [
        ("ptero", "ptero-password-1"),
        ("empire", "empire-password-1"),
    ] {
        assert!(
            line_of(&exported(&app.db).await, name)["password_hash"]
                .as_str()
                .is_some_and(|h| h.starts_with("$2"))
        );
        app.get_me(&Auth::basic(name, "wrong-password"))
            .await
            .assert_status(401);
        app.get_me(&Auth::basic(name, password))
            .await
            .assert_status(200);
        let stored = line_of(&exported(&app.db).await, name)["password_hash"].clone();
        assert!(
            stored.as_str().is_some_and(|h| h.starts_with("$argon2id$")),
            "upgraded at the first sign-in: {stored}"
        );
        app.get_me(&Auth::basic(name, password))
            .await
            .assert_status(200);
    }
    // Imported changes are audited as the command line's.
    let events = app
        .call(
            Method::GET,
            "/api/v2/audit_events?action=user.create&limit=10",
            &app.admin(),
        )
        .await
        .json();
    assert!(
        events["audit_events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["family"] == "cli" && e["actor"]["kind"] == "cli")
    );
}

both_backends!(an_import_that_breaks_a_rule_changes_nothing);
async fn an_import_that_breaks_a_rule_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.make_user("taken", false).await;
    let before = exported(&app.db).await;
    let settings = test_settings(&app.db);
    let files = [
        // A username taken by another user (case-insensitively), after a good line.
        format!(
            "{}\n{}\n",
            json!({"username": "zed"}),
            json!({"username": "Taken", "uuid": "6f1c2b36-1d5e-4d0e-9d7a-5e4b8a9c0d11"})
        ),
        // The same e-mail twice in one file.
        format!(
            "{}\n{}\n",
            json!({"username": "zed", "email": "z@example.com"}),
            json!({"username": "zoe", "email": "Z@example.com"})
        ),
        // A bad e-mail, a plain-text password hash, a field that does not exist.
        format!(
            "{}\n{}\n{}\n",
            json!({"username": "zed", "email": "not-an-address"}),
            json!({"username": "zoe", "password_hash": "hunter2"}),
            json!({"username": "zia", "pasword": "x"})
        ),
    ];
    for file in files {
        let report = import_users(&settings, &file, false)
            .await
            .expect("a report");
        assert!(!report.applied, "{report:?}");
        assert!(report.count(|o| matches!(o, LineOutcome::Refused(_))) >= 1);
        assert_eq!(exported(&app.db).await, before, "nothing written:\n{file}");
    }
    // Demoting the only admin: refused as a whole by the last-admin rule.
    let demote = format!(
        "{}\n{}\n",
        json!({"username": "zed"}),
        json!({"username": "admin", "is_admin": false})
    );
    assert!(import_users(&settings, &demote, false).await.is_err());
    assert_eq!(exported(&app.db).await, before);
    // A dry run reports and writes nothing.
    let dry = import_users(
        &settings,
        &format!("{}\n", json!({"username": "zed"})),
        true,
    )
    .await
    .expect("dry run");
    assert!(!dry.applied);
    assert_eq!(dry.count(|o| matches!(o, LineOutcome::Created)), 1);
    assert_eq!(exported(&app.db).await, before);
}

both_backends!(export_then_import_into_an_empty_directory_keeps_every_field);
async fn export_then_import_into_an_empty_directory_keeps_every_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(
        &app.admin(),
        &json!({
            "username": "full", "password": "full-password-1", "email": "full@example.com",
            "first_name": "Ful", "last_name": "Filled", "external_id": "ext-1",
            "language": "fr", "is_admin": true, "enabled": true,
            "expired_at": "2031-05-06T07:08:09.123456Z", "user_id": 1234, "group_id": 5678,
            "source_type": "cli_ldap",
        }),
    )
    .await
    .assert_status(201);
    app.make_user("plain", false).await;
    let key_owner = Auth::bearer(&app.token("full", "full-password-1").await);
    app.make_api_key(&key_owner, &[("users", "index")]).await;
    let source = exported(&app.db).await;
    assert_eq!(
        line_of(&source, "full")["api_keys"][0]["scopes"][0]["controller"],
        "users"
    );
    assert!(
        !serde_json::to_string(&source)
            .expect("json")
            .contains("_secret")
    );

    let target = crate::helpers::TestDatabase::create(backend).await;
    // The documented way into an empty directory: migrate, then import.
    rollcall_server::commands::run(
        &rollcall_server::commands::Command::Migrate,
        &test_settings(&target),
    )
    .await
    .expect("migrate");
    let file: String = source.iter().map(|u| format!("{u}\n")).collect();
    let report = import_users(&test_settings(&target), &file, false)
        .await
        .expect("import");
    assert_eq!(
        report.count(|o| matches!(o, LineOutcome::Created)),
        source.len()
    );
    let copied = exported(&target).await;
    let strip = |users: &[serde_json::Value]| -> Vec<serde_json::Value> {
        users
            .iter()
            .map(|u| {
                let mut u = u.clone();
                for assigned in ["id", "updated_at", "api_keys"] {
                    u.as_object_mut().expect("an object").remove(assigned);
                }
                u
            })
            .collect()
    };
    assert_eq!(strip(&copied), strip(&source));
    // Importing the same file again changes nothing.
    let again = import_users(&test_settings(&target), &file, false)
        .await
        .expect("import");
    assert_eq!(
        again.count(|o| matches!(o, LineOutcome::Unchanged(_))),
        source.len()
    );
    // The copied admin signs in with the original password.
    let copy = spawn_on(backend, target, |_| {}).await;
    copy.get_me(&Auth::basic("full", "full-password-1"))
        .await
        .assert_status(200);
}

both_backends!(every_subcommand_runs_against_the_configured_backend);
async fn every_subcommand_runs_against_the_configured_backend(backend: Backend) {
    use rollcall_server::commands::{Command, UsersCommand, run};
    let app = spawn_app(backend).await;
    app.make_user("kim", false).await;
    let settings = test_settings(&app.db);
    run(&Command::Migrate, &settings).await.expect("migrate");
    run(&Command::CheckConfig, &settings)
        .await
        .expect("check-config");
    let healthcheck = |url: String| Command::Healthcheck {
        url: Some(url),
        timeout: std::time::Duration::from_secs(5),
    };
    run(&healthcheck(format!("{}/readyz", app.address)), &settings)
        .await
        .expect("the running server is ready");
    assert!(
        run(
            &healthcheck(format!("{}/no-such-probe", app.address)),
            &settings
        )
        .await
        .is_err(),
        "a 404 is not healthy"
    );
    let dir = tempfile::tempdir().expect("a directory");
    let export = dir.path().join("users.jsonl");
    run(
        &Command::Users(UsersCommand::Export {
            output: Some(export.clone()),
        }),
        &settings,
    )
    .await
    .expect("export");
    run(
        &Command::Users(UsersCommand::Import {
            file: export.clone(),
            dry_run: false,
        }),
        &settings,
    )
    .await
    .expect("re-importing the export changes nothing and refuses nothing");
    run(
        &Command::RecoverAccount {
            username: "kim".into(),
        },
        &settings,
    )
    .await
    .expect("recover-account");
    let backup = run(
        &Command::Backup {
            file: dir.path().join("copy.db"),
        },
        &settings,
    )
    .await;
    match backend {
        Backend::Sqlite => {
            backup.expect("a SQLite backup");
            assert!(dir.path().join("copy.db").exists());
        }
        Backend::Postgres => {
            let advice = backup
                .expect_err("PostgreSQL backups are pg_dump's")
                .to_string();
            assert!(advice.contains("pg_dump"), "{advice}");
        }
    }
}

both_backends!(imports_refuse_costly_hashes_and_one_uuid_written_twice);
async fn imports_refuse_costly_hashes_and_one_uuid_written_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = exported(&app.db).await;
    let settings = test_settings(&app.db);
    let costly = "$2y$31$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi";
    let files = [
        format!("{}\n", json!({"username": "slow", "password_hash": costly})),
        format!(
            "{}\n{}\n",
            json!({"username": "one", "uuid": "6f1c2b36-1d5e-4d0e-9d7a-5e4b8a9c0d11"}),
            json!({"username": "two", "uuid": "6F1C2B361D5E4D0E9D7A5E4B8A9C0D11"})
        ),
        // Two lines for the admin: one by username, one by its UUID.
        format!(
            "{}\n{}\n",
            json!({"username": "admin", "first_name": "A"}),
            json!({"uuid": before[0]["uuid"], "username": "admin", "last_name": "B"})
        ),
    ];
    for file in files {
        let report = import_users(&settings, &file, false)
            .await
            .expect("a report");
        assert!(!report.applied, "{report:?}");
        assert_eq!(
            report.count(|o| matches!(o, LineOutcome::Refused(_))),
            1,
            "{report:?}"
        );
        assert_eq!(exported(&app.db).await, before);
    }
}

both_backends!(a_wrong_v1_current_password_is_audited_as_a_failed_check);
async fn a_wrong_v1_current_password_is_audited_as_a_failed_check(backend: Backend) {
    let app = spawn_app(backend).await;
    let lee = app.make_user("lee", false).await;
    let response =
        crate::v1::v1_change_password(&app, &lee.basic(), "lee", Some("not-it"), "new-password-1")
            .await;
    assert!(response.status.is_client_error(), "{}", response.status);
    let events = app
        .call(
            Method::GET,
            &format!(
                "/api/v2/audit_events?action=sign_in.failure&target_user_id={}",
                lee.id
            ),
            &app.admin(),
        )
        .await
        .json();
    assert_eq!(events["count"], 1, "{events}");
    assert_eq!(events["audit_events"][0]["family"], "v1");
}
