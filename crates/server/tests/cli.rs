//! The `rollcall` binary's subcommands as an operator runs them: exit codes, what goes to
//! stdout, and that secrets stay redacted. (The commands against a running server on both
//! backends are in the black-box suite, `tests/api/cli.rs`.)

use std::path::Path;
use std::process::{Command, Output};

fn rollcall(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollcall"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("ROLLCALL_LOG_FILTER", "warn")
        .output()
        .unwrap_or_else(|e| panic!("cannot run rollcall: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let help = rollcall(dir.path(), &["--help"]);
    assert!(help.status.success());
    for command in [
        "serve",
        "migrate",
        "check-config",
        "healthcheck",
        "recover-account",
        "users",
        "backup",
    ] {
        assert!(text(&help.stdout).contains(command), "{command} in --help");
        let own = rollcall(dir.path(), &[command, "--help"]);
        assert!(own.status.success(), "{command} --help");
    }
}

#[test]
fn check_config_prints_the_effective_settings_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let out = rollcall(
        dir.path(),
        &[
            "check-config",
            "--database-url",
            "postgres://rollcall:db-secret@db.internal/rollcall",
            "--metrics-token",
            "metrics-secret",
            "--session-lifetime",
            "2h",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("session_lifetime = \"2h\""), "{stdout}");
    assert!(
        stdout.contains("metrics_token = \"[redacted]\""),
        "{stdout}"
    );
    assert!(stdout.contains("db.internal"), "{stdout}");
    assert!(!stdout.contains("db-secret") && !stdout.contains("metrics-secret"));
    let bad = rollcall(dir.path(), &["check-config", "--pool-size", "0"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("pool_size"));
}

#[test]
fn migrate_applies_once_and_backup_copies_sqlite_but_not_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let first = rollcall(dir.path(), &["migrate"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("Applied"));
    let again = rollcall(dir.path(), &["migrate"]);
    assert!(text(&again.stdout).contains("no migration was pending"));
    let copy = dir.path().join("copy.db");
    let copy_arg = copy.to_str().unwrap();
    let backup = rollcall(dir.path(), &["backup", copy_arg]);
    assert!(backup.status.success(), "{}", text(&backup.stderr));
    assert!(copy.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the copy holds hashes: owner only");
    }
    let elsewhere = rollcall(
        dir.path(),
        &[
            "backup",
            "x.db",
            "--database-url",
            "sqlite://no/such/file.db",
        ],
    );
    assert_eq!(elsewhere.status.code(), Some(1));
    assert!(!dir.path().join("no").exists(), "no database is created");
    let twice = rollcall(dir.path(), &["backup", copy_arg]);
    assert_eq!(twice.status.code(), Some(1), "never overwrites");
    let pg = rollcall(
        dir.path(),
        &["backup", "x.dump", "--database-url", "postgres://u:pw@h/db"],
    );
    assert_eq!(pg.status.code(), Some(1));
    let advice = text(&pg.stderr);
    assert!(
        advice.contains("pg_dump") && !advice.contains("pw@"),
        "{advice}"
    );
}

#[test]
fn healthcheck_fails_when_nothing_answers() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let out = rollcall(
        dir.path(),
        &[
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}/readyz"),
            "--timeout",
            "2s",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn users_import_exits_1_when_a_line_is_refused_and_0_for_a_clean_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.jsonl");
    std::fs::write(&file, "{\"username\": \"ann\"}\n").unwrap();
    let no_database = rollcall(dir.path(), &["users", "import", file.to_str().unwrap()]);
    assert_eq!(no_database.status.code(), Some(1));
    assert!(
        text(&no_database.stderr).contains("there is no database"),
        "a mistyped path does not become an empty database: {}",
        text(&no_database.stderr)
    );
    assert!(!dir.path().join("data").exists());
    assert!(rollcall(dir.path(), &["migrate"]).status.success());
    std::fs::write(&file, "{\"username\": \"ann\"}\n{\"username\": \"ANN\"}\n").unwrap();
    let refused = rollcall(dir.path(), &["users", "import", file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    let report = text(&refused.stdout);
    assert!(report.contains("line 2: refused"), "{report}");
    assert!(report.contains("nothing written"), "{report}");
    std::fs::write(&file, "{\"username\": \"ann\"}\n").unwrap();
    let dry = rollcall(
        dir.path(),
        &["users", "import", file.to_str().unwrap(), "--dry-run"],
    );
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).contains("1 created"));
    let out = dir.path().join("out.jsonl");
    let export = rollcall(
        dir.path(),
        &["users", "export", "--output", out.to_str().unwrap()],
    );
    assert!(export.status.success(), "{}", text(&export.stderr));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "",
        "the dry run wrote nothing"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the export holds hashes: owner only");
    }
}
