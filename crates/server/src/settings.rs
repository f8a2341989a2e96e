//! Configuration: built-in defaults, then an optional TOML file (`--config <path>` or
//! `ROLLCALL_CONFIG`), then `ROLLCALL_…` environment variables, then command-line flags; each
//! layer overrides the ones before it.
//!
//! [`Cli`] is the command line; clap reads each flag's environment variable itself, so the
//! environment and flag layers arrive together (a flag beats its variable). [`Settings::from_cli`]
//! merges that over the file and the defaults with figment and checks every value once, so
//! the rest of the server works with typed, valid [`Settings`].
//!
//! Every key has the same name in the file (`snake_case`), as an environment variable
//! (`ROLLCALL_` + upper case) and as a flag (`--kebab-case`). Durations are whole seconds
//! (`86400`) or a humantime string (`24h`, `5min`, `1h 30m`).
//!
//! Secrets (the admin password, a password inside the database URL) never appear in `Debug`
//! output, in `--help` or in logs.

use clap::builder::BoolishValueParser;
use clap::{Parser, ValueEnum};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use ipnet::IpNet;
use rollcall_domain::services::PerUserLimits;
use rollcall_domain::values::PasswordPolicy;
use rollcall_http_actix::HttpSettings;
use rollcall_system::{Argon2Params, QueueBounds};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The default bind address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The default database: a SQLite file under `./data/`, created when missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/rollcall.db";
/// The username of the first admin when none is configured.
pub const DEFAULT_ADMIN_USERNAME: &str = "admin";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The configuration file named by `--config` / `ROLLCALL_CONFIG` could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A layer could not be parsed or merged (TOML syntax, unknown key, wrong type).
    #[error("invalid configuration: {0}")]
    Parse(String),
    /// A value has the right type but is out of range or malformed.
    #[error("invalid value for `{key}`: {message}")]
    Invalid {
        /// The key, as written in the configuration file.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl SettingsError {
    fn invalid(key: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            key,
            message: message.into(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A database URL. `Debug` and `Display` hide any password it holds (in the user-info part or
/// in a `password=` query parameter, wherever the PostgreSQL driver would find one);
/// [`DatabaseUrl::expose_secret`] gives the real URL. [`Settings::from_cli`] refuses URLs the store
/// does not take and PostgreSQL URLs whose password cannot be told apart safely.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password, for the storage adapter only.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`, safe to log: split as the PostgreSQL
    /// driver splits it ([`rollcall_storage_diesel::database_url::redact`]).
    pub fn redacted(&self) -> String {
        rollcall_storage_diesel::database_url::redact(&self.0)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Reads a duration: whole seconds (`86400`) or a humantime string (`24h`, `5min`, `1h 30m`).
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let text = raw.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|e| format!("{text:?}: {e}"));
    }
    humantime::parse_duration(text).map_err(|e| {
        format!("{text:?} is not a duration ({e}); use seconds (\"300\") or e.g. \"5min\", \"24h\"")
    })
}

/// The login throttle's settings (see docs/operations.md, "Login throttling").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// `login_throttle`: on or off.
    pub enabled: bool,
    /// `login_throttle_window`: how long a failure counts.
    pub window: Duration,
    /// `login_throttle_per_login`: failures of one (login, address) pair that throttle it.
    pub per_login: u32,
    /// `login_throttle_per_address`: failures from one address that throttle it.
    pub per_address: u32,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            window: Duration::from_secs(15 * 60),
            per_login: 10,
            per_address: 100,
        }
    }
}

/// Reads one `trusted_proxies` entry: an address (a /32 or /128) or a CIDR.
fn parse_proxy(raw: &str) -> Result<IpNet, String> {
    let text = raw.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an IP address or CIDR (e.g. 10.0.0.0/8)"))
}

/// Checks a `host:port` bind address without resolving the host.
fn check_bind(raw: &str) -> Result<(), String> {
    let (host, port) = raw
        .rsplit_once(':')
        .ok_or_else(|| format!("{raw:?} is not host:port"))?;
    if host.is_empty() {
        return Err(format!("{raw:?} has no host; use e.g. 0.0.0.0:{port}"));
    }
    port.parse::<u16>()
        .map(|_| ())
        .map_err(|_| format!("{raw:?} has no valid port (0–65535)"))
}

/// The command line. Every option also reads the `ROLLCALL_…` environment variable named in
/// `--help`; a flag beats its variable, and both beat the configuration file. It has no
/// `Debug`, so the admin password it may hold cannot be printed by accident.
#[derive(Default, Parser, Serialize)]
#[command(
    name = "rollcall",
    version,
    about = "Rollcall: a self-hosted user directory serving the v2, v1 and application API families"
)]
pub struct Cli {
    /// What to do; `serve` when none is named.
    #[command(subcommand)]
    #[serde(skip)]
    pub command: Option<crate::commands::Command>,

    /// TOML configuration file (keys as in docs/operations.md).
    #[arg(global = true, long, env = "ROLLCALL_CONFIG", value_name = "PATH")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Address to listen on, host:port (port 0 picks a free port) [default: 127.0.0.1:8080].
    #[arg(global = true, long, env = "ROLLCALL_BIND", value_name = "HOST:PORT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,

    /// Database URL: `postgres://…` or `sqlite://PATH`.
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        help = "Database URL: postgres://… or sqlite://PATH [default: sqlite://data/rollcall.db]"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,

    /// Maximum number of pooled database connections [default: 10].
    #[arg(global = true, long, env = "ROLLCALL_POOL_SIZE", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<usize>,

    /// Minimum password length in characters, 1–1024 [default: 8].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_PASSWORD_MIN_LENGTH",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_min_length: Option<usize>,

    /// Argon2id memory cost in KiB [default: 19456].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_ARGON2_MEMORY_KIB",
        value_name = "KIB"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argon2_memory_kib: Option<u32>,

    /// Argon2id iterations [default: 2].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_ARGON2_ITERATIONS",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argon2_iterations: Option<u32>,

    /// Argon2id parallelism (lanes) [default: 1].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_ARGON2_PARALLELISM",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argon2_parallelism: Option<u32>,

    /// Password hashes computed at once; more requests wait [default: number of CPU cores].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_HASH_CONCURRENCY",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_concurrency: Option<usize>,

    /// Password checks that may wait for a hashing thread; one more answers 503 [default: 64].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_HASH_QUEUE_DEPTH",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_queue_depth: Option<usize>,

    /// Longest wait of a password check for a hashing thread, then 503 [default: 2s].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_HASH_QUEUE_TIMEOUT",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_queue_timeout: Option<String>,

    /// Throttle password guessing per (login, address) and per address [default: true].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_LOGIN_THROTTLE",
        value_name = "BOOL",
        value_parser = BoolishValueParser::new(),
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_throttle: Option<bool>,

    /// Window in which failed password checks are counted [default: 15min].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_LOGIN_THROTTLE_WINDOW",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_throttle_window: Option<String>,

    /// Failures of one login from one address that throttle that pair [default: 10].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_LOGIN_THROTTLE_PER_LOGIN",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_throttle_per_login: Option<u32>,

    /// Failures from one address (any login) that throttle the address [default: 100].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_LOGIN_THROTTLE_PER_ADDRESS",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_throttle_per_address: Option<u32>,

    /// Reverse proxies whose X-Forwarded-For is believed: addresses or CIDRs, comma-separated [default: none].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_TRUSTED_PROXIES",
        value_name = "CIDRS",
        value_delimiter = ','
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_proxies: Option<Vec<String>>,

    /// Open sessions per user; a new one ends the oldest beyond it [default: 100].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_MAX_SESSIONS_PER_USER",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sessions_per_user: Option<u32>,

    /// API keys per user; one more is refused with 422 [default: 100].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_MAX_API_KEYS_PER_USER",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_api_keys_per_user: Option<u32>,

    /// Configurations per user; one more is refused with 422 [default: 1000].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_MAX_CONFIGURATIONS_PER_USER",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_configurations_per_user: Option<u32>,

    /// Session lifetime: seconds or e.g. "24h" [default: 24h].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_SESSION_LIFETIME",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_lifetime: Option<String>,

    /// How often expired sessions are deleted [default: 1h].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_SESSION_PURGE_INTERVAL",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_purge_interval: Option<String>,

    /// How long audit events are kept; 0 keeps them forever [default: 90days].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_AUDIT_RETENTION",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_retention: Option<String>,

    /// How long a successful Basic verification is remembered; 0 disables the cache [default: 5min].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_CREDENTIAL_CACHE_TTL",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_cache_ttl: Option<String>,

    /// Maximum remembered Basic verifications; 0 disables the cache [default: 10000].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_CREDENTIAL_CACHE_SIZE",
        value_name = "N"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_cache_size: Option<u64>,

    /// OS user database for GET /api/v2/users/-/systems [default: /etc/passwd].
    #[arg(global = true, long, env = "ROLLCALL_PASSWD_FILE", value_name = "PATH")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passwd_file: Option<PathBuf>,

    /// OS group database for GET /api/v2/groups/-/systems [default: /etc/group].
    #[arg(global = true, long, env = "ROLLCALL_GROUP_FILE", value_name = "PATH")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_file: Option<PathBuf>,

    /// Log format [default: human].
    #[arg(global = true, long, env = "ROLLCALL_LOG_FORMAT", value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,

    /// Log filter in RUST_LOG syntax, e.g. "info,rollcall_storage_diesel=debug" [default: info].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_LOG_FILTER",
        value_name = "FILTER"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_filter: Option<String>,

    /// Public base URL for absolute links.
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_PUBLIC_URL",
        value_name = "URL",
        help = "Public base URL (e.g. https://users.example.com) for absolute links [default: from the request]"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,

    /// Mark the session cookie Secure (set when served over HTTPS) [default: false].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_SECURE_COOKIES",
        value_name = "BOOL",
        value_parser = BoolishValueParser::new(),
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure_cookies: Option<bool>,

    /// One INFO line per answered request (method, route, status, duration, request id,
    /// principal) [default: true].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_ACCESS_LOG",
        value_name = "BOOL",
        value_parser = BoolishValueParser::new(),
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log: Option<bool>,

    /// Do not run database migrations at start-up [default: false].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_SKIP_MIGRATIONS",
        value_name = "BOOL",
        value_parser = BoolishValueParser::new(),
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_migrations: Option<bool>,

    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT [default: 30s].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_SHUTDOWN_TIMEOUT",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_timeout: Option<String>,

    /// Time a request body gets to arrive in full, else 408 and the connection closes [default: 10s].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_BODY_READ_TIMEOUT",
        value_name = "DURATION"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_read_timeout: Option<String>,

    /// HTTP worker threads [default: number of CPU cores].
    #[arg(global = true, long, env = "ROLLCALL_WORKERS", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,

    /// Username of the first admin, created when the directory is empty [default: admin].
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_ADMIN_USERNAME",
        value_name = "NAME"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_username: Option<String>,

    /// Bearer token required to read /metrics; when unset /metrics is open.
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,

    /// Password of the first admin; when unset one is generated and printed once.
    #[arg(
        global = true,
        long,
        env = "ROLLCALL_ADMIN_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
}

/// A duration as written in a configuration layer: seconds or a humantime string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum DurationValue {
    Seconds(u64),
    Text(String),
}

impl DurationValue {
    fn parse(&self, key: &'static str) -> Result<Duration, SettingsError> {
        match self {
            Self::Seconds(s) => Ok(Duration::from_secs(*s)),
            Self::Text(t) => parse_duration(t).map_err(|m| SettingsError::invalid(key, m)),
        }
    }
}

/// The merged layers before checking: what figment extracts.
#[derive(Serialize, Deserialize)] // no Debug: it holds secrets in clear
#[serde(deny_unknown_fields)]
struct RawSettings {
    bind: String,
    database_url: String,
    pool_size: usize,
    password_min_length: usize,
    argon2_memory_kib: u32,
    argon2_iterations: u32,
    argon2_parallelism: u32,
    hash_concurrency: usize,
    hash_queue_depth: usize,
    hash_queue_timeout: DurationValue,
    login_throttle: bool,
    login_throttle_window: DurationValue,
    login_throttle_per_login: u32,
    login_throttle_per_address: u32,
    trusted_proxies: Vec<String>,
    max_sessions_per_user: u32,
    max_api_keys_per_user: u32,
    max_configurations_per_user: u32,
    session_lifetime: DurationValue,
    session_purge_interval: DurationValue,
    audit_retention: DurationValue,
    credential_cache_ttl: DurationValue,
    credential_cache_size: u64,
    passwd_file: PathBuf,
    group_file: PathBuf,
    log_format: LogFormat,
    log_filter: String,
    #[serde(default)]
    public_url: Option<String>,
    secure_cookies: bool,
    access_log: bool,
    skip_migrations: bool,
    shutdown_timeout: DurationValue,
    body_read_timeout: DurationValue,
    #[serde(default)]
    workers: Option<usize>,
    #[serde(default)]
    admin_username: Option<String>,
    #[serde(default)]
    admin_password: Option<String>,
    #[serde(default)]
    metrics_token: Option<String>,
}

impl From<&Settings> for RawSettings {
    fn from(s: &Settings) -> Self {
        Self {
            bind: s.bind.clone(),
            database_url: s.database_url.expose_secret().to_owned(),
            pool_size: s.pool_size,
            password_min_length: s.password_min_length,
            argon2_memory_kib: s.argon2.memory_kib,
            argon2_iterations: s.argon2.iterations,
            argon2_parallelism: s.argon2.parallelism,
            hash_concurrency: s.hash_concurrency,
            hash_queue_depth: s.hash_queue.depth,
            hash_queue_timeout: DurationValue::Seconds(s.hash_queue.deadline.as_secs()),
            login_throttle: s.login_throttle.enabled,
            login_throttle_window: DurationValue::Seconds(s.login_throttle.window.as_secs()),
            login_throttle_per_login: s.login_throttle.per_login,
            login_throttle_per_address: s.login_throttle.per_address,
            trusted_proxies: s.trusted_proxies.iter().map(ToString::to_string).collect(),
            max_sessions_per_user: s.per_user.sessions,
            max_api_keys_per_user: s.per_user.api_keys,
            max_configurations_per_user: s.per_user.configurations,
            session_lifetime: DurationValue::Seconds(s.session_lifetime.as_secs()),
            session_purge_interval: DurationValue::Seconds(s.session_purge_interval.as_secs()),
            audit_retention: DurationValue::Seconds(s.audit_retention.as_secs()),
            credential_cache_ttl: DurationValue::Seconds(s.credential_cache_ttl.as_secs()),
            credential_cache_size: s.credential_cache_size,
            passwd_file: s.passwd_file.clone(),
            group_file: s.group_file.clone(),
            log_format: s.log_format,
            log_filter: s.log_filter.clone(),
            public_url: s.public_url.clone(),
            secure_cookies: s.secure_cookies,
            access_log: s.access_log,
            skip_migrations: s.skip_migrations,
            shutdown_timeout: DurationValue::Seconds(s.shutdown_timeout.as_secs()),
            body_read_timeout: DurationValue::Seconds(s.body_read_timeout.as_secs()),
            workers: s.workers,
            admin_username: s.admin_username.clone(),
            // Defaults never hold a password or token.
            admin_password: None,
            metrics_token: None,
        }
    }
}

/// The server's configuration, checked. Build it with [`Settings::from_cli`] (command line,
/// environment, file) or from [`Settings::default`] in code and tests.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `bind`: the address to listen on, `host:port`; port 0 picks a free port.
    pub bind: String,
    /// `database_url`: `postgres://…` or `sqlite://<path>`.
    pub database_url: DatabaseUrl,
    /// `pool_size`: maximum pooled database connections.
    pub pool_size: usize,
    /// `password_min_length`: minimum password length in characters.
    pub password_min_length: usize,
    /// `argon2_memory_kib`, `argon2_iterations`, `argon2_parallelism`.
    pub argon2: Argon2Params,
    /// `hash_concurrency`: password hashes computed at once.
    pub hash_concurrency: usize,
    /// `hash_queue_depth`, `hash_queue_timeout`: how many password checks may wait for a
    /// hashing thread, and how long.
    pub hash_queue: QueueBounds,
    /// `login_throttle`, `login_throttle_window`, `login_throttle_per_login`,
    /// `login_throttle_per_address`.
    pub login_throttle: ThrottleSettings,
    /// `trusted_proxies`: peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpNet>,
    /// `max_sessions_per_user`, `max_api_keys_per_user`, `max_configurations_per_user`.
    pub per_user: PerUserLimits,
    /// `session_lifetime`: how long a session token lives.
    pub session_lifetime: Duration,
    /// `session_purge_interval`: how often expired sessions are deleted.
    pub session_purge_interval: Duration,
    /// `audit_retention`: how long audit events are kept (zero: forever).
    pub audit_retention: Duration,
    /// `credential_cache_ttl`: how long a Basic verification is remembered (zero disables).
    pub credential_cache_ttl: Duration,
    /// `credential_cache_size`: how many Basic verifications are remembered (zero disables).
    pub credential_cache_size: u64,
    /// `passwd_file`: the OS user database.
    pub passwd_file: PathBuf,
    /// `group_file`: the OS group database.
    pub group_file: PathBuf,
    /// `log_format`.
    pub log_format: LogFormat,
    /// `log_filter`: RUST_LOG syntax.
    pub log_filter: String,
    /// `public_url`: base of absolute links; `None` takes them from the request.
    pub public_url: Option<String>,
    /// `secure_cookies`: mark the session cookie `Secure`.
    pub secure_cookies: bool,
    /// `access_log`: one INFO line per answered request.
    pub access_log: bool,
    /// `skip_migrations`: do not migrate at start-up.
    pub skip_migrations: bool,
    /// `shutdown_timeout`: how long in-flight requests get after a stop signal.
    pub shutdown_timeout: Duration,
    /// `body_read_timeout`: how long a request body may take to arrive in full (408 beyond).
    pub body_read_timeout: Duration,
    /// `workers`: HTTP worker threads; `None` = one per CPU core.
    pub workers: Option<usize>,
    /// `admin_username`: the first admin's name (default `admin`).
    pub admin_username: Option<String>,
    /// `admin_password`: the first admin's password; generated and printed once when unset.
    pub admin_password: Option<SecretString>,
    /// `metrics_token`: bearer token `/metrics` asks for; `None` leaves it open.
    pub metrics_token: Option<SecretString>,
}

/// The number of CPU cores, at least 1.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND.to_owned(),
            database_url: DatabaseUrl::new(DEFAULT_DATABASE_URL),
            pool_size: 10,
            password_min_length: PasswordPolicy::DEFAULT_MIN_CHARS,
            argon2: Argon2Params::default(),
            hash_concurrency: available_cores(),
            hash_queue: QueueBounds::default(),
            login_throttle: ThrottleSettings::default(),
            trusted_proxies: Vec::new(),
            per_user: PerUserLimits::default(),
            session_lifetime: Duration::from_secs(24 * 60 * 60),
            session_purge_interval: Duration::from_secs(60 * 60),
            audit_retention: Duration::from_secs(90 * 24 * 60 * 60),
            credential_cache_ttl: Duration::from_secs(5 * 60),
            credential_cache_size: 10_000,
            passwd_file: PathBuf::from("/etc/passwd"),
            group_file: PathBuf::from("/etc/group"),
            log_format: LogFormat::Human,
            log_filter: "info".to_owned(),
            public_url: None,
            secure_cookies: false,
            access_log: true,
            skip_migrations: false,
            shutdown_timeout: Duration::from_secs(30),
            body_read_timeout: HttpSettings::DEFAULT_BODY_READ_TIMEOUT,
            workers: None,
            admin_username: None,
            admin_password: None,
            metrics_token: None,
        }
    }
}

impl Settings {
    /// Merges a parsed command line (flags and their environment variables) over the file it
    /// names and the defaults.
    ///
    /// # Errors
    /// [`SettingsError`] for an unreadable file or an invalid value.
    pub fn from_cli(cli: Cli) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::from(&Self::default())));
        if let Some(path) = &cli.config {
            let text = std::fs::read_to_string(path).map_err(|source| SettingsError::ReadFile {
                path: path.clone(),
                source,
            })?;
            figment = figment.merge(Toml::string(&text));
        }
        let raw: RawSettings = figment
            .merge(Serialized::defaults(&cli))
            .extract()
            .map_err(|e| SettingsError::Parse(e.to_string()))?;
        Self::check(raw)
    }

    fn check(raw: RawSettings) -> Result<Self, SettingsError> {
        check_bind(&raw.bind).map_err(|m| SettingsError::invalid("bind", m))?;
        if raw.database_url.trim().is_empty() {
            return Err(SettingsError::invalid("database_url", "must not be empty"));
        }
        if raw.pool_size == 0 {
            return Err(SettingsError::invalid("pool_size", "must be at least 1"));
        }
        if !(1..=PasswordPolicy::MAX_CHARS).contains(&raw.password_min_length) {
            return Err(SettingsError::invalid(
                "password_min_length",
                format!("must be between 1 and {}", PasswordPolicy::MAX_CHARS),
            ));
        }
        if raw.hash_concurrency == 0 {
            return Err(SettingsError::invalid(
                "hash_concurrency",
                "must be at least 1",
            ));
        }
        if raw.hash_queue_depth == 0 {
            return Err(SettingsError::invalid(
                "hash_queue_depth",
                "must be at least 1",
            ));
        }
        let hash_queue_timeout = raw.hash_queue_timeout.parse("hash_queue_timeout")?;
        if hash_queue_timeout.is_zero() {
            return Err(SettingsError::invalid(
                "hash_queue_timeout",
                "must be positive",
            ));
        }
        let login_throttle_window = raw.login_throttle_window.parse("login_throttle_window")?;
        if login_throttle_window.is_zero()
            || chrono::Duration::from_std(login_throttle_window).is_err()
        {
            return Err(SettingsError::invalid(
                "login_throttle_window",
                "must be positive and reasonable",
            ));
        }
        for (key, value) in [
            ("login_throttle_per_login", raw.login_throttle_per_login),
            ("login_throttle_per_address", raw.login_throttle_per_address),
            ("max_sessions_per_user", raw.max_sessions_per_user),
            ("max_api_keys_per_user", raw.max_api_keys_per_user),
            (
                "max_configurations_per_user",
                raw.max_configurations_per_user,
            ),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(key, "must be at least 1"));
            }
        }
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .map(|raw| parse_proxy(raw))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| SettingsError::invalid("trusted_proxies", message))?;
        if raw.workers == Some(0) {
            return Err(SettingsError::invalid("workers", "must be at least 1"));
        }
        let session_lifetime = raw.session_lifetime.parse("session_lifetime")?;
        if session_lifetime.is_zero() || chrono::Duration::from_std(session_lifetime).is_err() {
            return Err(SettingsError::invalid(
                "session_lifetime",
                "must be positive and reasonable",
            ));
        }
        let session_purge_interval = raw.session_purge_interval.parse("session_purge_interval")?;
        if session_purge_interval.is_zero() {
            return Err(SettingsError::invalid(
                "session_purge_interval",
                "must be positive",
            ));
        }
        let body_read_timeout = raw.body_read_timeout.parse("body_read_timeout")?;
        if body_read_timeout.is_zero() {
            return Err(SettingsError::invalid(
                "body_read_timeout",
                "must be positive",
            ));
        }
        if let Some(url) = &raw.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(SettingsError::invalid(
                "public_url",
                format!("{url:?} must start with http:// or https://"),
            ));
        }
        // The store's own reading: an unknown scheme, or a PostgreSQL URL whose password the
        // driver would read differently from what was meant (and so could not be hidden in
        // logs), stops here with a message that quotes none of it.
        rollcall_storage_diesel::DatabaseUrl::parse(&raw.database_url)
            .map_err(|e| SettingsError::invalid("database_url", e.to_string()))?;
        tracing_subscriber::EnvFilter::try_new(&raw.log_filter)
            .map_err(|e| SettingsError::invalid("log_filter", e.to_string()))?;
        if raw.admin_username.as_deref().is_some_and(str::is_empty) {
            return Err(SettingsError::invalid(
                "admin_username",
                "must not be empty when set",
            ));
        }
        if raw.admin_password.as_deref().is_some_and(str::is_empty) {
            return Err(SettingsError::invalid(
                "admin_password",
                "must not be empty when set",
            ));
        }
        Ok(Self {
            bind: raw.bind,
            database_url: DatabaseUrl::new(raw.database_url.trim()),
            pool_size: raw.pool_size,
            password_min_length: raw.password_min_length,
            argon2: Argon2Params {
                memory_kib: raw.argon2_memory_kib,
                iterations: raw.argon2_iterations,
                parallelism: raw.argon2_parallelism,
            },
            hash_concurrency: raw.hash_concurrency,
            hash_queue: QueueBounds {
                depth: raw.hash_queue_depth,
                deadline: hash_queue_timeout,
            },
            login_throttle: ThrottleSettings {
                enabled: raw.login_throttle,
                window: login_throttle_window,
                per_login: raw.login_throttle_per_login,
                per_address: raw.login_throttle_per_address,
            },
            trusted_proxies,
            per_user: PerUserLimits {
                sessions: raw.max_sessions_per_user,
                api_keys: raw.max_api_keys_per_user,
                configurations: raw.max_configurations_per_user,
            },
            session_lifetime,
            session_purge_interval,
            audit_retention: raw.audit_retention.parse("audit_retention")?,
            credential_cache_ttl: raw.credential_cache_ttl.parse("credential_cache_ttl")?,
            credential_cache_size: raw.credential_cache_size,
            passwd_file: raw.passwd_file,
            group_file: raw.group_file,
            log_format: raw.log_format,
            log_filter: raw.log_filter,
            public_url: raw.public_url,
            secure_cookies: raw.secure_cookies,
            access_log: raw.access_log,
            skip_migrations: raw.skip_migrations,
            shutdown_timeout: raw.shutdown_timeout.parse("shutdown_timeout")?,
            body_read_timeout,
            workers: raw.workers,
            admin_username: raw.admin_username,
            admin_password: raw.admin_password.map(SecretString::from),
            metrics_token: raw
                .metrics_token
                .filter(|t| !t.is_empty())
                .map(SecretString::from),
        })
    }

    /// The password policy these settings ask for.
    pub fn password_policy(&self) -> PasswordPolicy {
        PasswordPolicy::with_min_chars(self.password_min_length)
    }

    /// The first admin's username.
    pub fn admin_username(&self) -> &str {
        self.admin_username
            .as_deref()
            .unwrap_or(DEFAULT_ADMIN_USERNAME)
    }

    /// The effective settings as a TOML file would set them, every key present, for
    /// `rollcall check-config`: durations in humantime form, the database URL without its
    /// password, and the admin password and metrics token shown only as `[redacted]` when set.
    ///
    /// # Errors
    /// A TOML serialisation error (not expected for these types).
    pub fn effective_toml(&self) -> Result<String, SettingsError> {
        let mut raw = RawSettings::from(self);
        raw.database_url = self.database_url.redacted();
        raw.admin_password = self.admin_password.as_ref().map(|_| REDACTED.to_owned());
        raw.metrics_token = self.metrics_token.as_ref().map(|_| REDACTED.to_owned());
        for (value, duration) in [
            (&mut raw.hash_queue_timeout, self.hash_queue.deadline),
            (&mut raw.login_throttle_window, self.login_throttle.window),
            (&mut raw.session_lifetime, self.session_lifetime),
            (&mut raw.session_purge_interval, self.session_purge_interval),
            (&mut raw.audit_retention, self.audit_retention),
            (&mut raw.credential_cache_ttl, self.credential_cache_ttl),
            (&mut raw.shutdown_timeout, self.shutdown_timeout),
            (&mut raw.body_read_timeout, self.body_read_timeout),
        ] {
            *value = DurationValue::Text(humantime::format_duration(duration).to_string());
        }
        toml::to_string(&raw).map_err(|e| SettingsError::Parse(e.to_string()))
    }
}

/// What `check-config` shows in place of a secret that is set.
const REDACTED: &str = "[redacted]";

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::io::Write;

    fn parse(args: &[&str]) -> Result<Settings, SettingsError> {
        let mut argv = vec!["rollcall"];
        argv.extend_from_slice(args);
        Settings::from_cli(Cli::try_parse_from(argv).unwrap())
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn defaults_need_no_configuration() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.database_url.expose_secret(), "sqlite://data/rollcall.db");
        assert_eq!(s.password_min_length, 8);
        assert_eq!(s.argon2, Argon2Params::default());
        assert_eq!(s.argon2.memory_kib, 19456);
        assert_eq!(s.hash_concurrency, available_cores());
        assert_eq!(s.session_lifetime, Duration::from_secs(86_400));
        assert_eq!(s.credential_cache_ttl, Duration::from_secs(300));
        assert_eq!(s.body_read_timeout, Duration::from_secs(10));
        assert_eq!(s.passwd_file, PathBuf::from("/etc/passwd"));
        assert_eq!(s.group_file, PathBuf::from("/etc/group"));
        assert_eq!(s.log_format, LogFormat::Human);
        assert!(!s.secure_cookies && !s.skip_migrations);
        assert!(s.public_url.is_none() && s.admin_password.is_none());
        assert_eq!(s.admin_username(), "admin");
    }

    #[test]
    fn file_overrides_defaults_and_flags_override_file() {
        let f = file(
            "bind = \"0.0.0.0:9000\"\npool_size = 3\nsession_lifetime = \"2h\"\n\
             credential_cache_ttl = 60\nlog_format = \"json\"\nsecure_cookies = true\n",
        );
        let path = f.path().to_str().unwrap();
        let s = parse(&["--config", path]).unwrap();
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.pool_size, 3);
        assert_eq!(s.session_lifetime, Duration::from_secs(7200));
        assert_eq!(s.credential_cache_ttl, Duration::from_secs(60));
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(s.secure_cookies);

        let s = parse(&[
            "--config",
            path,
            "--bind",
            "127.0.0.1:0",
            "--secure-cookies=false",
            "--skip-migrations",
            "--session-lifetime",
            "90",
            "--body-read-timeout",
            "2s",
        ])
        .unwrap();
        assert_eq!(s.bind, "127.0.0.1:0");
        assert_eq!(s.pool_size, 3, "untouched by flags");
        assert!(!s.secure_cookies);
        assert!(s.skip_migrations);
        assert_eq!(s.session_lifetime, Duration::from_secs(90));
        assert_eq!(s.body_read_timeout, Duration::from_secs(2));
    }

    #[test]
    fn bad_files_and_values_are_refused_with_the_key() {
        let missing = parse(&["--config", "/nonexistent/rollcall.toml"]).unwrap_err();
        assert!(
            matches!(missing, SettingsError::ReadFile { .. }),
            "{missing}"
        );

        let unknown = file("bnid = \"x\"\n");
        let e = parse(&["--config", unknown.path().to_str().unwrap()]).unwrap_err();
        assert!(e.to_string().contains("bnid"), "{e}");

        let e = parse(&["--bind", "8080"]).unwrap_err();
        assert!(e.to_string().contains("`bind`"), "{e}");
        let e = parse(&["--session-lifetime", "soon"]).unwrap_err();
        assert!(e.to_string().contains("`session_lifetime`"), "{e}");
        let e = parse(&["--body-read-timeout", "0"]).unwrap_err();
        assert!(e.to_string().contains("`body_read_timeout`"), "{e}");
        let e = parse(&["--password-min-length", "0"]).unwrap_err();
        assert!(e.to_string().contains("`password_min_length`"), "{e}");
        let e = parse(&["--public-url", "example.com"]).unwrap_err();
        assert!(e.to_string().contains("`public_url`"), "{e}");
        let e = parse(&["--log-filter", "=[bad"]).unwrap_err();
        assert!(e.to_string().contains("`log_filter`"), "{e}");
    }

    #[test]
    fn database_passwords_are_hidden_wherever_the_driver_reads_them() {
        // (URL, the password the PostgreSQL driver reads, what the log shows)
        for (url, password, shown) in [
            ("postgres://u:pa/ss@db/x", "pa/ss", "postgres://u:***@db/x"),
            ("postgres://u:pa?ss@db/x", "pa?ss", "postgres://u:***@db/x"),
            ("postgres://u:pa#ss@db/x", "pa#ss", "postgres://u:***@db/x"),
            ("postgres://u:pa:ss@db/x", "pa:ss", "postgres://u:***@db/x"),
            (
                "postgres://u:p%40ss%2F@db/x",
                "p%40ss%2F",
                "postgres://u:***@db/x",
            ),
            (
                "postgres://u:/?#:@db:5432/x?sslmode=disable",
                "/?#:",
                "postgres://u:***@db:5432/x?sslmode=disable",
            ),
            (
                "postgres://u@db/x?password=a/b?c#d:e",
                "a/b?c#d:e",
                "postgres://u@db/x?password=***",
            ),
            (
                "postgres://db/x?pass%77ord=s3cret&sslmode=disable",
                "s3cret",
                "postgres://db/x?pass%77ord=***&sslmode=disable",
            ),
            ("postgres://:only@db/x", "only", "postgres://:***@db/x"),
        ] {
            let database_url = parse(&["--database-url", url])
                .unwrap_or_else(|e| panic!("{url}: {e}"))
                .database_url;
            assert_eq!(database_url.expose_secret(), url);
            for text in [database_url.to_string(), format!("{database_url:?}")] {
                assert!(!text.contains(password), "{url} shown as {text}");
                assert!(text.contains(shown), "{url} shown as {text}");
            }
        }
    }

    #[test]
    fn ambiguous_database_urls_are_refused_naming_the_key() {
        for (url, hint) in [
            // The driver ends the user and password at the first `@`: the rest of the
            // password would be logged (and used) as the host.
            ("postgres://u:p@ss@db/x", "%40"),
            // The driver would read `db/x?password=p` as the user name.
            ("postgres://db/x?password=p@ss", "%40"),
            ("postgres://db/x?password=p%40ss&x@y=1", "%40"),
            // A parameter without `=`: the driver reads `sslmode&password` as one name.
            ("postgres://db/x?sslmode&password=secret", "`=`"),
            // A `&` inside a password: the driver reads `b` as a parameter of its own.
            ("postgres://db/x?password=a&b=secret", "%26"),
            // Not a URL the store takes (key=value strings included).
            ("host=db password=secret", "postgres://"),
            ("mysql://root:secret@db/x", "postgres://"),
        ] {
            let e = parse(&["--database-url", url]).unwrap_err();
            let message = e.to_string();
            assert!(message.contains("`database_url`"), "{url}: {message}");
            assert!(message.contains(hint), "{url}: {message}");
            assert!(!message.contains("secret"), "{url}: {message}");
            assert!(!message.contains("ss@"), "{url}: {message}");
        }
        // Ambiguous URLs are never shown, whatever made them.
        let shown = DatabaseUrl::new("postgres://u:p@ss@db/x").to_string();
        assert_eq!(shown, "postgres://***");
        assert_eq!(
            DatabaseUrl::new("host=db password=secret").to_string(),
            "***"
        );
        assert_eq!(
            DatabaseUrl::new("mysql://root:secret@db/x").to_string(),
            "mysql://***"
        );
    }

    #[test]
    fn durations_read_seconds_and_humantime() {
        assert_eq!(parse_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("5min"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-5").is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = parse(&[
            "--database-url",
            "postgres://rollcall:hunter22@db:5432/rollcall?sslmode=disable&password=other22",
            "--admin-password",
            "correct horse battery",
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(!shown.contains("other22"), "{shown}");
        assert!(!shown.contains("correct horse"), "{shown}");
        assert!(
            shown.contains("postgres://rollcall:***@db:5432/rollcall"),
            "{shown}"
        );
        assert_eq!(
            s.admin_password.as_ref().unwrap().expose_secret(),
            "correct horse battery"
        );
        assert_eq!(
            DatabaseUrl::new("postgres://u@h/db").redacted(),
            "postgres://u@h/db"
        );
        assert_eq!(
            DatabaseUrl::new("sqlite://data/rollcall.db").to_string(),
            "sqlite://data/rollcall.db"
        );
    }
}
