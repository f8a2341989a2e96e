//! Database URLs: the scheme chooses the backend.
//!
//! | form | backend |
//! |---|---|
//! | `postgres://…`, `postgresql://…` | PostgreSQL (passed unchanged to the driver) |
//! | `sqlite://<path>` | SQLite file; the path may be relative (`sqlite://data/rollcall.db`) or absolute (`sqlite:///var/lib/rollcall.db`) |
//! | `sqlite::memory:` | SQLite in memory, private to one store, gone when the store is dropped |
//!
//! Anything else is refused with a message that names the accepted forms.

use crate::error::StorageError;
use std::fmt;
use std::path::PathBuf;

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
    /// [`StorageError::UnsupportedScheme`] for an unknown scheme, [`StorageError::InvalidUrl`]
    /// for a SQLite URL without a usable path.
    pub fn parse(url: &str) -> Result<Self, StorageError> {
        let url = url.trim();
        if url == "sqlite::memory:" {
            return Ok(Self::SqliteMemory);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
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
        let scheme = match url.split_once("://") {
            Some((scheme, _)) => scheme,
            None => url.split(':').next().unwrap_or_default(),
        };
        Err(StorageError::UnsupportedScheme {
            scheme: scheme.to_owned(),
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
    }
}
