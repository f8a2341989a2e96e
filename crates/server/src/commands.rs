//! The `rollcall` subcommands besides `serve`: each reads the same configuration as the
//! server (file, environment, flags) and works on SQLite and PostgreSQL alike. They print
//! results on stdout and diagnostics on stderr, and return the process's exit code:
//! 0 done, 1 failed, 2 a configuration or usage problem.

use crate::bootstrap::generate_password;
use crate::settings::Settings;
use crate::startup::{StartupError, open_store, wire};
use crate::users_file;
use clap::Subcommand;
use rollcall_domain::entities::User;
use rollcall_domain::listing::PageRequest;
use rollcall_domain::ports::{ApiKeyStore, UserStore};
use rollcall_domain::services::{ImportLine, ImportReport, LineOutcome};
use rollcall_system::OsRandom;
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// What the binary does.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the HTTP API families (the default when no subcommand is named).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load and check the configuration, print the effective settings (secrets redacted) and
    /// exit: 0 when valid, 2 otherwise.
    CheckConfig,
    /// Exit 0 when the server answers `GET /readyz` with 200 (for a container HEALTHCHECK).
    Healthcheck {
        /// The readiness URL [default: http://<bind>/readyz, 0.0.0.0 and :: read as loopback].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// How long to wait for the answer.
        #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = crate::settings::parse_duration)]
        timeout: Duration,
    },
    /// Break-glass: give USERNAME a new generated password (printed once on stdout), enable
    /// it, clear its expiry, make it an admin if no other active admin exists, and end its
    /// sessions. Safe while the server runs; the server honours it at the next request.
    RecoverAccount {
        /// The account to recover.
        username: String,
    },
    /// Move users out of and into the directory (JSON Lines).
    #[command(subcommand)]
    Users(UsersCommand),
    /// Write a consistent copy of the SQLite database to FILE, also while the server runs.
    /// On PostgreSQL, print the pg_dump command to use instead and exit 1.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
}

/// `rollcall users …`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum UsersCommand {
    /// Write every user as JSON Lines: the v2 user fields, the stored password_hash, and
    /// the user's API keys without their secrets.
    Export {
        /// Write to FILE (created, mode 0600) instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Read users as JSON Lines (the export's format; password_hash may be Argon2id or
    /// bcrypt $2a$/$2b$/$2y$) and create or update them, all in one transaction or none.
    Import {
        /// The file to read.
        file: PathBuf,
        /// Check every line and report what would happen, writing nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// Anything else, said in words.
    #[error("{0}")]
    Failed(String),
}

/// Runs a command other than `serve`.
///
/// # Errors
/// [`CommandError`] describing what failed.
pub async fn run(command: &Command, settings: &Settings) -> Result<(), CommandError> {
    match command {
        Command::Serve => Err(CommandError::Failed(
            "serve is run by the binary itself".into(),
        )),
        Command::Migrate => migrate(settings).await,
        Command::CheckConfig => check_config(settings),
        Command::Healthcheck { url, timeout } => {
            healthcheck(settings, url.as_deref(), *timeout).await
        }
        Command::Backup { file } => backup(settings, file).await,
        Command::Users(UsersCommand::Export { output }) => {
            let written = match output {
                Some(path) => {
                    let file = create_private(path)?;
                    let mut out = std::io::BufWriter::new(file);
                    let n = export_users(settings, &mut out).await?;
                    out.flush()
                        .map_err(|e| CommandError::Failed(format!("{}: {e}", path.display())))?;
                    n
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let n = export_users(settings, &mut out).await?;
                    out.flush()
                        .map_err(|e| CommandError::Failed(format!("stdout: {e}")))?;
                    n
                }
            };
            eprintln!("Exported {written} user(s).");
            Ok(())
        }
        Command::Users(UsersCommand::Import { file, dry_run }) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| CommandError::Failed(format!("{}: {e}", file.display())))?;
            let report = import_users(settings, &text, *dry_run).await?;
            print_report(&report, *dry_run);
            if report.count(|o| matches!(o, LineOutcome::Refused(_))) > 0 {
                Err(CommandError::Failed(
                    "the import was refused; nothing was written".into(),
                ))
            } else {
                Ok(())
            }
        }
        Command::RecoverAccount { username } => {
            let (user, password) = recover_account(settings, username).await?;
            // stdout, never the log: shown once to the operator.
            println!(
                "Recovered {}: enabled, no expiry, sessions ended{}.\n  new password: {}",
                user.username.as_str(),
                if user.is_admin { ", admin" } else { "" },
                password.expose_secret()
            );
            Ok(())
        }
    }
}

async fn migrate(settings: &Settings) -> Result<(), CommandError> {
    let store = open_store(settings, false).await?;
    let applied = store
        .run_migrations()
        .await
        .map_err(StartupError::Migrations)?;
    if applied.is_empty() {
        println!("The database schema is up to date; no migration was pending.");
    } else {
        println!("Applied {} migration(s):", applied.len());
        for name in applied {
            println!("  {name}");
        }
    }
    Ok(())
}

fn check_config(settings: &Settings) -> Result<(), CommandError> {
    let text = settings
        .effective_toml()
        .map_err(|e| CommandError::Failed(e.to_string()))?;
    println!("# The configuration is valid. Effective settings (secrets redacted):");
    print!("{text}");
    Ok(())
}

/// Recovers `username` (see [`Command::RecoverAccount`]) through the same directory rules as
/// the server; returns the user as it now is and the generated password.
///
/// # Errors
/// [`CommandError`] for an unknown user or a database failure.
pub async fn recover_account(
    settings: &Settings,
    username: &str,
) -> Result<(User, SecretString), CommandError> {
    let store = open_existing(settings, !settings.skip_migrations).await?;
    let directory = wire(settings, &store).await?.directory;
    let password = generate_password(&OsRandom);
    let user = directory
        .recover_account(username, password.expose_secret())
        .await
        .map_err(|e| CommandError::Failed(format!("cannot recover {username:?}: {e}")))?;
    Ok((user, password))
}

/// Writes every user of the directory as JSON Lines to `out`, in id order; returns how many.
///
/// # Errors
/// [`CommandError`] for a database or write failure.
pub async fn export_users(settings: &Settings, out: &mut impl Write) -> Result<u64, CommandError> {
    // Reading only: never migrates (a newer binary must not change the schema under an older
    // server just to read).
    let store = open_existing(settings, false).await?;
    let failed = |e: &dyn std::fmt::Display| CommandError::Failed(format!("export failed: {e}"));
    let mut after = None;
    let mut written = 0_u64;
    loop {
        let users = store
            .list_users_after(after, PageRequest::MAX_LIMIT)
            .await
            .map_err(|e| failed(&e))?;
        let Some(last) = users.last() else { break };
        after = Some(last.id);
        for user in &users {
            let mut keys = Vec::new();
            loop {
                let offset = u64::try_from(keys.len()).unwrap_or(u64::MAX);
                let page = store
                    .list_api_keys(user.id, PageRequest::new(PageRequest::MAX_LIMIT, offset))
                    .await
                    .map_err(|e| failed(&e))?;
                let done = page.items.is_empty()
                    || u64::try_from(keys.len() + page.items.len()).unwrap_or(u64::MAX)
                        >= page.total;
                keys.extend(page.items);
                if done {
                    break;
                }
            }
            writeln!(out, "{}", users_file::export_line(user, &keys)).map_err(|e| failed(&e))?;
            written += 1;
        }
    }
    Ok(written)
}

/// Reads an import file's text and imports it (see [`UsersCommand::Import`]); blank lines
/// are skipped. A line that cannot be read is refused like one that breaks a rule.
///
/// # Errors
/// [`CommandError`] for a database failure or a refusal of the whole import (the last admin,
/// or a value taken meanwhile).
pub async fn import_users(
    settings: &Settings,
    text: &str,
    dry_run: bool,
) -> Result<ImportReport, CommandError> {
    let mut users = Vec::new();
    let mut unreadable = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match users_file::import_line(n + 1, line) {
            Ok(user) => users.push(user),
            Err(why) => unreadable.push(ImportLine {
                line: n + 1,
                username: String::new(),
                outcome: LineOutcome::Refused(why),
            }),
        }
    }
    let store = open_existing(settings, !settings.skip_migrations).await?;
    let directory = wire(settings, &store).await?.directory;
    // Unreadable lines refuse the import as surely as invalid ones: check the rest as a dry run.
    let dry_run = dry_run || !unreadable.is_empty();
    let mut report = directory
        .import_users(users, dry_run)
        .await
        .map_err(|e| CommandError::Failed(format!("the import was refused as a whole: {e}")))?;
    report.lines.extend(unreadable);
    report.lines.sort_by_key(|l| l.line);
    Ok(report)
}

fn print_report(report: &ImportReport, dry_run: bool) {
    for line in &report.lines {
        let (what, why) = match &line.outcome {
            LineOutcome::Created => ("created", String::new()),
            LineOutcome::Updated(id) => ("updated", format!(" (id {id})")),
            LineOutcome::Unchanged(id) => ("unchanged", format!(" (id {id})")),
            LineOutcome::Refused(why) => ("refused", format!(": {why}")),
        };
        println!("line {}: {what} {:?}{why}", line.line, line.username);
    }
    let count = |kind: fn(&LineOutcome) -> bool| report.count(kind);
    println!(
        "{} created, {} updated, {} unchanged, {} refused; {}",
        count(|o| matches!(o, LineOutcome::Created)),
        count(|o| matches!(o, LineOutcome::Updated(_))),
        count(|o| matches!(o, LineOutcome::Unchanged(_))),
        count(|o| matches!(o, LineOutcome::Refused(_))),
        if report.applied {
            "written in one transaction."
        } else if dry_run {
            "dry run, nothing written."
        } else {
            "nothing written."
        }
    );
}

/// Opens the configured database for a command that works on existing data: a SQLite file
/// that does not exist is an error (a mistyped path must not become an empty database), and
/// `migrate` says whether pending migrations are applied first.
async fn open_existing(
    settings: &Settings,
    migrate: bool,
) -> Result<rollcall_storage_diesel::DieselStore, CommandError> {
    use rollcall_storage_diesel::database_url::DatabaseUrl;
    if let Ok(DatabaseUrl::SqliteFile(path)) =
        DatabaseUrl::parse(settings.database_url.expose_secret())
        && !path.exists()
    {
        return Err(CommandError::Failed(format!(
            "there is no database at {}; check database_url, or create it with \
             `rollcall migrate` (or a first `rollcall serve`)",
            path.display()
        )));
    }
    Ok(open_store(settings, migrate).await?)
}

/// Creates `path` for writing, readable by its owner only (it holds password hashes).
fn create_private(path: &Path) -> Result<std::fs::File, CommandError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| CommandError::Failed(format!("{}: {e}", path.display())))
}

/// The readiness URL for a server bound to `bind` (host:port): a wildcard host is reached on
/// loopback.
pub fn readiness_url(bind: &str) -> String {
    let (host, port) = bind.rsplit_once(':').unwrap_or((bind, "8080"));
    let host = match host {
        "0.0.0.0" | "" => "127.0.0.1",
        "[::]" | "::" => "[::1]",
        other => other,
    };
    format!("http://{host}:{port}/readyz")
}

async fn healthcheck(
    settings: &Settings,
    url: Option<&str>,
    timeout: Duration,
) -> Result<(), CommandError> {
    let url = url.map_or_else(|| readiness_url(&settings.bind), str::to_owned);
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| CommandError::Failed(format!("cannot build the HTTP client: {e}")))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| CommandError::Failed(format!("{url}: {}", with_causes(&e))))?;
    let status = response.status();
    if status.is_success() {
        println!("{url}: {status}");
        Ok(())
    } else {
        Err(CommandError::Failed(format!("{url}: {status}")))
    }
}

async fn backup(settings: &Settings, file: &Path) -> Result<(), CommandError> {
    if settings
        .database_url
        .expose_secret()
        .starts_with("postgres")
    {
        return Err(CommandError::Failed(format!(
            "rollcall backup copies SQLite databases only. For PostgreSQL run:\n  \
             pg_dump --format=custom --file={} '{}'\n\
             (restore with pg_restore --clean --if-exists --dbname=<URL> {}; see docs/operations.md)",
            file.display(),
            settings.database_url.redacted(),
            file.display(),
        )));
    }
    backup_database(settings, file).await?;
    println!(
        "Wrote a consistent copy of the database to {}",
        file.display()
    );
    Ok(())
}

/// Copies the SQLite database of `settings` to `file` (which must not exist) with
/// `VACUUM INTO`, also while the server writes.
///
/// # Errors
/// [`CommandError`] for a database that cannot be opened or copied.
pub async fn backup_database(settings: &Settings, file: &Path) -> Result<(), CommandError> {
    let store = open_existing(settings, false).await?;
    // Created here, empty and owner-only (the copy holds password hashes and digests), and
    // never over an existing file; `VACUUM INTO` accepts an existing empty file.
    if file.exists() {
        return Err(CommandError::Failed(format!(
            "{} exists; rollcall backup never overwrites a file",
            file.display()
        )));
    }
    drop(create_private(file)?);
    store
        .backup_into(file)
        .await
        .map_err(|e| CommandError::Failed(format!("backup to {} failed: {e}", file.display())))
}

/// An error's message followed by its causes, `: `-separated.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The exit code for a command's result, printing the error and its causes on stderr.
pub fn exit_code(result: Result<(), CommandError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", crate::describe("command", &error));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::readiness_url;

    #[test]
    fn wildcard_binds_are_probed_on_loopback() {
        assert_eq!(
            readiness_url("0.0.0.0:8080"),
            "http://127.0.0.1:8080/readyz"
        );
        assert_eq!(readiness_url("[::]:9000"), "http://[::1]:9000/readyz");
        assert_eq!(readiness_url("10.1.2.3:80"), "http://10.1.2.3:80/readyz");
        assert_eq!(
            readiness_url("localhost:8080"),
            "http://localhost:8080/readyz"
        );
    }
}
