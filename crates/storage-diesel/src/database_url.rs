//! Database URLs: the scheme chooses the backend.
//!
//! | form | backend |
//! |---|---|
//! | `postgres://…`, `postgresql://…` | PostgreSQL (passed unchanged to the driver) |
//! | `sqlite://<path>` | SQLite file; the path may be relative (`sqlite://data/rollcall.db`) or absolute (`sqlite:///var/lib/rollcall.db`) |
//! | `sqlite::memory:` | SQLite in memory, private to one store, gone when the store is dropped |
//!
//! Anything else is refused with a message that names the accepted forms.
//!
//! A PostgreSQL URL is read here exactly as the driver reads it (tokio-postgres 0.7,
//! `tokio_postgres::config::UrlParser`), which is looser than RFC 3986: the user and password
//! end at the **first** `@` anywhere in the text, so the password may hold unencoded `/`, `?`,
//! `#` and `:`; the host ends at the first `/` or `?`, the database name at the first `?`; each
//! query parameter name ends at the next `=` (even past an `&`) and its value at the next `&`;
//! names and values are percent-decoded. [`redact`] hides the password wherever the driver
//! finds one: after the first `:` of the user-info, and in a `password` parameter. URLs whose
//! password the driver would read differently from what was evidently meant — where part of
//! it would be logged, and used, as a host, a user name or another parameter — are refused
//! with a message saying what to percent-encode:
//!
//! - more than one unencoded `@` (the first ends the user-info; write any other as `%40`);
//! - a user name holding `/` or `?` (the `@` that ended it belongs further on);
//! - a query parameter without `=`, or with a name the driver does not know (a `&` inside a
//!   value is written `%26`).
//!
//! Messages never quote the URL beyond its scheme.

use crate::error::StorageError;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// The prefixes the PostgreSQL driver reads as a URL.
const POSTGRES_PREFIXES: [&str; 2] = ["postgres://", "postgresql://"];

/// The query parameters tokio-postgres 0.7 takes (`Config::param`); any other is an error
/// when connecting.
const POSTGRES_PARAMETERS: [&str; 19] = [
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslmode",
    "sslnegotiation",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// What replaces a password.
const HIDDEN: &str = "***";

/// Which database a URL points at.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A PostgreSQL server; the URL as given.
    Postgres(String),
    /// A SQLite database file.
    SqliteFile(PathBuf),
    /// A SQLite database in memory.
    SqliteMemory,
}

impl DatabaseUrl {
    /// Reads a database URL.
    ///
    /// # Errors
    /// [`StorageError::UnsupportedScheme`] for an unknown scheme (or none, as in a key=value
    /// connection string), [`StorageError::InvalidUrl`] for a SQLite URL without a usable path
    /// and for a PostgreSQL URL whose password cannot be told apart safely (see the module
    /// documentation).
    pub fn parse(url: &str) -> Result<Self, StorageError> {
        let url = url.trim();
        if url == "sqlite::memory:" {
            return Ok(Self::SqliteMemory);
        }
        if let Some(prefix) = postgres_prefix(url) {
            postgres_secrets(url, prefix).map_err(StorageError::InvalidUrl)?;
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StorageError::InvalidUrl(
                    "sqlite:// needs a file path, e.g. sqlite://data/rollcall.db".to_owned(),
                ));
            }
            if path == ":memory:" || path.starts_with("file:") {
                return Err(StorageError::InvalidUrl(format!(
                    "sqlite://{path} is not a file path; use sqlite::memory: for an in-memory \
                     database"
                )));
            }
            return Ok(Self::SqliteFile(PathBuf::from(path)));
        }
        Err(StorageError::UnsupportedScheme {
            scheme: scheme_of(url).unwrap_or_default().to_owned(),
        })
    }

    /// The backend's name: `postgres` or `sqlite`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::SqliteFile(_) | Self::SqliteMemory => "sqlite",
        }
    }
}

/// Never prints a PostgreSQL URL, which may hold a password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(_) => f.write_str("Postgres([redacted])"),
            Self::SqliteFile(path) => f.debug_tuple("SqliteFile").field(path).finish(),
            Self::SqliteMemory => f.write_str("SqliteMemory"),
        }
    }
}

/// `url` (trimmed, as [`DatabaseUrl::parse`] reads it) safe to log: a PostgreSQL URL with
/// every password the driver would read replaced by `***`; a SQLite URL as it is (it holds
/// none). A PostgreSQL URL that [`DatabaseUrl::parse`] refuses shows as `postgres://***`, any
/// other text as its scheme and `***` (`mysql://***`), or `***` when it has no scheme (a
/// key=value connection string).
pub fn redact(url: &str) -> String {
    let url = url.trim();
    if url == "sqlite::memory:" || url.starts_with("sqlite://") {
        return url.to_owned();
    }
    if let Some(prefix) = postgres_prefix(url) {
        let Ok(secrets) = postgres_secrets(url, prefix) else {
            return format!("{prefix}{HIDDEN}");
        };
        let mut shown = String::with_capacity(url.len());
        let mut from = 0;
        for secret in secrets {
            shown.push_str(&url[from..secret.start]);
            shown.push_str(HIDDEN);
            from = secret.end;
        }
        shown.push_str(&url[from..]);
        return shown;
    }
    match scheme_of(url) {
        Some(scheme) if url[scheme.len()..].starts_with("://") => format!("{scheme}://{HIDDEN}"),
        Some(scheme) => format!("{scheme}:{HIDDEN}"),
        None => HIDDEN.to_owned(),
    }
}

/// `postgres://` or `postgresql://` when `url` starts with it.
fn postgres_prefix(url: &str) -> Option<&'static str> {
    POSTGRES_PREFIXES.into_iter().find(|p| url.starts_with(p))
}

/// The scheme `url` starts with (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`, up
/// to a `:`), if any.
fn scheme_of(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    (starts_with_letter && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .then_some(scheme)
}

/// The byte ranges of `url` holding a password, in order, split as tokio-postgres splits a URL
/// (see the module documentation); or why the password cannot be told apart safely. `prefix`
/// is the `postgres://` or `postgresql://` that `url` starts with.
fn postgres_secrets(url: &str, prefix: &str) -> Result<Vec<Range<usize>>, String> {
    const ENCODE_AT: &str = "percent-encode any other `@` (in a password, for example) as %40";
    let mut secrets = Vec::new();
    let mut at = prefix.len();
    let rest = &url[at..];
    if rest.matches('@').count() > 1 {
        return Err(format!(
            "a PostgreSQL URL may hold one unencoded `@`, the one after the user name and \
             password; {ENCODE_AT}"
        ));
    }
    // User-info: up to the first `@`; the user up to its first `:`, the password after it.
    if let Some(end) = rest.find('@') {
        let userinfo = &rest[..end];
        let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
        if user.contains(['/', '?']) {
            return Err(format!(
                "the PostgreSQL driver reads everything before the `@` as `user:password`, and \
                 here the user name would hold a `/` or `?`; {ENCODE_AT}, and a `/` or `?` in a \
                 user name as %2F or %3F"
            ));
        }
        if let Some(colon) = userinfo.find(':') {
            secrets.push(at + colon + 1..at + end);
        }
        at += end + 1;
    }
    // Host up to the first `/` or `?`, then the database name up to the first `?`.
    at += url[at..].find(['/', '?']).unwrap_or(url.len() - at);
    if url[at..].starts_with('/') {
        at += url[at..].find('?').unwrap_or(url.len() - at);
    }
    // Parameters: a name up to the next `=`, its value up to the next `&`.
    if url[at..].starts_with('?') {
        at += 1;
        let mut number = 0;
        while at < url.len() {
            number += 1;
            let rest = &url[at..];
            let name = rest.find('=').map(|eq| &rest[..eq]);
            let Some(name) = name.filter(|name| !name.contains('&')) else {
                return Err(format!(
                    "query parameter {number} of the PostgreSQL URL has no `=`; write each as \
                     name=value"
                ));
            };
            let decoded = percent_decode(name);
            let Some(decoded) = decoded.filter(|d| POSTGRES_PARAMETERS.contains(&d.as_str()))
            else {
                return Err(format!(
                    "query parameter {number} of the PostgreSQL URL is not one the driver takes \
                     ({}); percent-encode a `&` inside a value (in a password, for example) as \
                     %26",
                    POSTGRES_PARAMETERS.join(", ")
                ));
            };
            let value_start = at + name.len() + 1;
            let value_end = url[value_start..]
                .find('&')
                .map_or(url.len(), |end| value_start + end);
            if decoded == "password" {
                secrets.push(value_start..value_end);
            }
            at = (value_end + 1).min(url.len());
        }
    }
    Ok(secrets)
}

/// `text` with its `%XX` escapes decoded, as the driver decodes a parameter name; `None` when
/// the result is not UTF-8 (which the driver refuses). A `%` not followed by two hex digits
/// stays as it is.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u:p@h/db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db")
                .unwrap()
                .backend_name(),
            "postgres"
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::SqliteFile("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/x.db").unwrap(),
            DatabaseUrl::SqliteFile("/var/lib/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap(),
            DatabaseUrl::SqliteMemory
        );
    }

    #[test]
    fn refused_forms() {
        let e = DatabaseUrl::parse("mysql://root:secret@h/db").unwrap_err();
        let message = e.to_string();
        assert!(message.contains("\"mysql\""), "{message}");
        assert!(message.contains("postgres://"), "{message}");
        assert!(message.contains("sqlite::memory:"), "{message}");
        assert!(!message.contains("secret"), "{message}");
        assert!(matches!(
            DatabaseUrl::parse("data.db"),
            Err(StorageError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            DatabaseUrl::parse("sqlite://"),
            Err(StorageError::InvalidUrl(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("sqlite://:memory:"),
            Err(StorageError::InvalidUrl(_))
        ));
        assert!(
            !format!("{:?}", DatabaseUrl::parse("postgres://u:pw@h/d").unwrap()).contains("pw")
        );
        // A key=value connection string has no scheme: nothing of it is echoed.
        let e = DatabaseUrl::parse("host=db password=secret").unwrap_err();
        assert!(
            matches!(&e, StorageError::UnsupportedScheme { scheme } if scheme.is_empty()),
            "{e:?}"
        );
        let message = e.to_string();
        assert!(message.contains("(no scheme)"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }

    /// URLs the driver takes, the password it reads in them, and how they are logged.
    const POSTGRES_CASES: [(&str, Option<&str>, &str); 14] = [
        (
            "postgres://u:pa/ss@db/x",
            Some("pa/ss"),
            "postgres://u:***@db/x",
        ),
        (
            "postgres://u:pa?ss@db/x",
            Some("pa?ss"),
            "postgres://u:***@db/x",
        ),
        (
            "postgres://u:pa#ss@db/x",
            Some("pa#ss"),
            "postgres://u:***@db/x",
        ),
        (
            "postgres://u:pa:ss@db/x",
            Some("pa:ss"),
            "postgres://u:***@db/x",
        ),
        (
            "postgres://u:p%40ss%2F%3f@db/x",
            Some("p@ss/?"),
            "postgres://u:***@db/x",
        ),
        (
            "postgres://u:100%@db/x",
            Some("100%"),
            "postgres://u:***@db/x",
        ),
        ("postgres://:pw@db", Some("pw"), "postgres://:***@db"),
        ("postgres://u:@db", Some(""), "postgres://u:***@db"),
        (
            "postgresql://u:/?#&=:@db:5433/x?sslmode=disable",
            Some("/?#&=:"),
            "postgresql://u:***@db:5433/x?sslmode=disable",
        ),
        (
            "postgres://u@db/x?password=a/b?c#d:e=f",
            Some("a/b?c#d:e=f"),
            "postgres://u@db/x?password=***",
        ),
        (
            "postgres://db/x?sslmode=disable&pass%77ord=p%26w&application_name=a",
            Some("p&w"),
            "postgres://db/x?sslmode=disable&pass%77ord=***&application_name=a",
        ),
        (
            "postgres://u:first@db?password=second&",
            Some("second"),
            "postgres://u:***@db?password=***&",
        ),
        ("postgres://u@db/x?user=v", None, "postgres://u@db/x?user=v"),
        ("postgres://db", None, "postgres://db"),
    ];

    #[test]
    fn postgres_passwords_are_found_where_the_driver_finds_them() {
        for (url, password, shown) in POSTGRES_CASES {
            let config: tokio_postgres::Config =
                url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(
                config.get_password(),
                password.map(str::as_bytes),
                "the driver's reading of {url}"
            );
            assert_eq!(
                config.get_hosts(),
                [tokio_postgres::config::Host::Tcp("db".to_owned())],
                "{url}"
            );
            let secrets = postgres_secrets(url, postgres_prefix(url).unwrap()).unwrap();
            // The driver keeps the last password it reads.
            let last = secrets
                .last()
                .map(|r| percent_decode(&url[r.clone()]).unwrap());
            assert_eq!(last.as_deref(), password, "{url}");
            assert_eq!(redact(url), shown, "{url}");
            assert!(DatabaseUrl::parse(url).is_ok(), "{url}");
        }
        assert_eq!(redact("  postgres://u:p/w@db  "), "postgres://u:***@db");
    }

    #[test]
    fn postgres_urls_whose_password_cannot_be_told_apart_are_refused() {
        for (url, hint) in [
            // The driver reads `ss@db` as the host.
            ("postgres://u:p@ss@db/x", "%40"),
            ("postgres://u:pw@db/x?application_name=a@b", "%40"),
            // The driver reads `db/x?password=p` as the user name.
            ("postgres://db/x?password=p@ss", "%40"),
            // The driver reads `sslmode&password` as one parameter name.
            ("postgres://db/x?sslmode&password=secret", "`=`"),
            ("postgres://db/x?secret", "`=`"),
            // The driver reads `b` as a parameter of its own (and fails on it).
            ("postgres://db/x?password=a&b=secret", "%26"),
            ("postgres://db/x?PASSWORD=secret", "%26"),
            ("postgres://db/x?pass%FFword=secret", "%26"),
        ] {
            let Err(StorageError::InvalidUrl(message)) = DatabaseUrl::parse(url) else {
                panic!("{url} is accepted");
            };
            assert!(message.contains(hint), "{url}: {message}");
            for leak in ["secret", "p@ss", "ss@", "db/x"] {
                assert!(!message.contains(leak), "{url}: {message}");
            }
            assert_eq!(redact(url), "postgres://***", "{url}");
        }
        // What the driver makes of the first: the password `p`, the host `ss@db`.
        let config: tokio_postgres::Config = "postgres://u:p@ss@db/x".parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"p"[..]));
        assert_eq!(
            config.get_hosts(),
            [tokio_postgres::config::Host::Tcp("ss@db".to_owned())]
        );
    }

    /// Why the driver refuses `url`, with the cause (its `Display` alone is generic).
    fn driver_refusal(url: &str) -> Option<String> {
        let e = url.parse::<tokio_postgres::Config>().err()?;
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        Some(format!("{e}: {}", cause.unwrap_or_default()))
    }

    #[test]
    fn the_parameters_taken_are_the_drivers() {
        for name in POSTGRES_PARAMETERS {
            if let Some(e) = driver_refusal(&format!("postgres://db/x?{name}=1")) {
                assert!(!e.contains("unknown option"), "{name}: {e}");
            }
        }
        let e = driver_refusal("postgres://db/x?nope=1").unwrap();
        assert!(e.contains("unknown option `nope`"), "{e}");
    }

    #[test]
    fn other_urls_show_only_their_scheme() {
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(redact("mysql://root:secret@db/x"), "mysql://***");
        assert_eq!(redact("jdbc:postgresql://u:secret@db/x"), "jdbc:***");
        assert_eq!(redact("host=db password=secret"), "***");
        assert_eq!(redact("u:secret@db"), "u:***");
        assert_eq!(redact(""), "***");
    }

    #[test]
    fn percent_decoding_matches_the_drivers() {
        assert_eq!(percent_decode("pass%77ord").as_deref(), Some("password"));
        assert_eq!(percent_decode("100%").as_deref(), Some("100%"));
        assert_eq!(percent_decode("%+1%zz%4").as_deref(), Some("%+1%zz%4"));
        assert_eq!(percent_decode("%FF"), None);
    }
}
