//! `rollcall-seed`: fills a migrated Rollcall database with generated users, quickly — one
//! Argon2id hash for all of them, thousands of rows per statement, one transaction per
//! batch — on SQLite or PostgreSQL, for benchmarks (`scripts/bench.sh`) and for trying
//! Rollcall at scale. The users are `user<N>` for N from `--first`, with varied optional
//! fields (see [`seeded_user`]); none is an admin. At the end it refreshes the query planner's
//! statistics (`VACUUM (ANALYZE)` on PostgreSQL). See docs/operations.md.

use chrono::{Duration, Utc};
use clap::Parser;
use rollcall_domain::adapters::HashAlgorithm;
use rollcall_domain::entities::NewUser;
use rollcall_domain::ports::UserStore;
use rollcall_domain::secrets::PasswordHash;
use rollcall_domain::values::{
    Email, ExternalId, Language, PersonName, PosixId, SourceType, Username,
};
use rollcall_storage_diesel::{PoolOptions, connect};
use rollcall_system::{Argon2Params, Argon2idHasher};
use std::process::ExitCode;
use std::time::Instant;

/// Fills a Rollcall database with generated users.
#[derive(Debug, Parser)]
#[command(name = "rollcall-seed", version)]
struct Cli {
    /// How many users to add.
    count: u64,
    /// Database URL, as the server's: `postgres://…` or `sqlite://PATH`. Migrated first.
    #[arg(
        long,
        env = "ROLLCALL_DATABASE_URL",
        default_value = "sqlite://data/rollcall.db",
        hide_env_values = true
    )]
    database_url: String,
    /// The number of the first user (`user<FIRST>`); pick one past the users already seeded.
    #[arg(long, default_value_t = 1)]
    first: u64,
    /// The password every seeded user signs in with (one Argon2id hash at the defaults).
    #[arg(long, env = "ROLLCALL_SEED_PASSWORD", hide_env_values = true)]
    password: String,
    /// Users per transaction.
    #[arg(long, default_value_t = 10_000)]
    batch: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match seed(&cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rollcall-seed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn seed(cli: &Cli) -> Result<(), String> {
    let started = Instant::now();
    let hasher = Argon2idHasher::new(Argon2Params::default()).map_err(|e| e.to_string())?;
    let hash = hasher.hash(&cli.password).map_err(|e| e.to_string())?;
    let store = connect(&cli.database_url, PoolOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    store.run_migrations().await.map_err(|e| e.to_string())?;
    let end = cli.first.saturating_add(cli.count);
    let batch = cli.batch.max(1);
    let mut next = cli.first;
    while next < end {
        let upto = next.saturating_add(batch).min(end);
        let users = (next..upto)
            .map(|n| seeded_user(n, &hash))
            .collect::<Result<Vec<_>, _>>()?;
        store
            .create_users(users)
            .await
            .map_err(|e| format!("users {next}..{upto}: {e} (the batches before it stay)"))?;
        next = upto;
        eprintln!(
            "rollcall-seed: {} of {} users ({:.1} s)",
            next - cli.first,
            cli.count,
            started.elapsed().as_secs_f64()
        );
    }
    store
        .refresh_statistics()
        .await
        .map_err(|e| format!("refreshing the planner's statistics: {e}"))?;
    eprintln!(
        "rollcall-seed: done, statistics refreshed ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

const FIRST_NAMES: [&str; 8] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
];
const LAST_NAMES: [&str; 8] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
];

/// User number `n`: `user<n>`, enabled but every tenth, an e-mail address but every
/// twentieth, an external id every second, a POSIX uid and gid every third, a language other
/// than English every seventh, an expiry every fiftieth (past or future), names from small
/// lists; created `n` seconds after a fixed day, so that creation follows the id.
fn seeded_user(n: u64, hash: &PasswordHash) -> Result<NewUser, String> {
    let pick = |list: &[&'static str], i: u64| list[usize::try_from(i).unwrap_or(0) % list.len()];
    let every = |k: u64| n.is_multiple_of(k);
    let name = format!("user{n}");
    let signed = valid(n, "number", i64::try_from(n))?;
    let epoch = chrono::DateTime::UNIX_EPOCH + Duration::days(20_000);
    let language = match (every(7), every(11)) {
        (true, _) => "fr",
        (_, true) => "de",
        _ => "en",
    };
    let email = (!every(20)).then(|| Email::parse(&format!("{name}@example.org")));
    let external_id = every(2).then(|| ExternalId::parse(&format!("ext-{n}")));
    let posix = |base: i64, modulo: i64| every(3).then(|| PosixId::new(base + signed % modulo));
    let expiry = if every(100) { -30 } else { 3650 };
    Ok(NewUser {
        uuid: uuid::Uuid::new_v4(),
        username: valid(n, "username", Username::parse(&name))?,
        email: valid(n, "email", email.transpose())?,
        first_name: Some(valid(
            n,
            "first name",
            PersonName::parse(pick(&FIRST_NAMES, n)),
        )?),
        last_name: Some(valid(
            n,
            "last name",
            PersonName::parse(pick(&LAST_NAMES, n / 8)),
        )?),
        external_id: valid(n, "external id", external_id.transpose())?,
        language: valid(n, "language", Language::parse(language))?,
        is_admin: false,
        enabled: !every(10),
        expired_at: every(50).then(|| Utc::now() + Duration::days(expiry)),
        posix_uid: valid(n, "posix uid", posix(10_000, 1_000_000).transpose())?,
        posix_gid: valid(n, "posix gid", posix(10_000, 100).transpose())?,
        source_type: SourceType::WebApp,
        password_hash: Some(hash.clone()),
        created_at: epoch + Duration::seconds(signed),
    })
}

/// `value`, or a message naming the user and the field.
fn valid<T, E: std::fmt::Display>(n: u64, what: &str, value: Result<T, E>) -> Result<T, String> {
    value.map_err(|e| format!("user {n}: {what}: {e}"))
}
