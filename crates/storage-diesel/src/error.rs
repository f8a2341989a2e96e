//! Errors: [`StorageError`] for setting the store up (URL, connection, migrations), and the
//! mapping of diesel and pool errors onto the domain's [`BackendError`] and `Taken` errors.
//!
//! A failure to reach the database (refused or lost connection, pool timeout, a server that is
//! shutting down, SQLite still locked after `busy_timeout`) is [`BackendError::Unavailable`]:
//! the HTTP layer answers 503, and the pool replaces broken connections, so the next request
//! works again once the database is back. Anything else is [`BackendError::Internal`].

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use rollcall_domain::ports::BackendError;
use std::path::PathBuf;

/// `scheme "mysql"`, or `(no scheme)`.
fn shown_scheme(scheme: &str) -> String {
    if scheme.is_empty() {
        "(no scheme)".to_owned()
    } else {
        format!("scheme {scheme:?}")
    }
}

/// Why the store could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The URL's scheme is not one of the accepted ones.
    #[error(
        "unsupported database URL {}: use postgres://…, postgresql://…, sqlite://<path> or \
         sqlite::memory:",
        shown_scheme(.scheme)
    )]
    UnsupportedScheme {
        /// The scheme as given, empty when the text does not start with one (never the rest of
        /// the URL, which may hold a password; a key=value connection string has no scheme).
        scheme: String,
    },
    /// The URL has an accepted scheme but cannot be used.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// The directory of a SQLite database file could not be created.
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// Running or reading the migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
}

/// Server messages (PostgreSQL SQLSTATE classes 08 and 57P, SQLite `SQLITE_BUSY`) that mean
/// "the database is not available right now". diesel does not expose SQLSTATE codes, so the
/// standard English messages are matched.
const UNAVAILABLE_MESSAGES: [&str; 9] = [
    "terminating connection",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "connection closed",
    "connection reset",
    "database is locked",
    "database table is locked",
];

/// Classifies a diesel error that is not one the port names.
pub(crate) fn backend_error(error: DieselError) -> BackendError {
    match &error {
        DieselError::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
            info,
        ) => BackendError::Unavailable(info.message().to_owned()),
        DieselError::DatabaseError(_, info) if is_unavailable_message(info.message()) => {
            BackendError::Unavailable(info.message().to_owned())
        }
        _ => BackendError::Internal(error.to_string()),
    }
}

fn is_unavailable_message(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    UNAVAILABLE_MESSAGES.iter().any(|m| message.contains(m))
}

/// Maps a pool failure (no connection could be made, or none became free in time).
pub(crate) fn pool_error(error: impl std::fmt::Display) -> BackendError {
    BackendError::Unavailable(format!("no database connection: {error}"))
}

/// The name of the violated unique index or constraint, as far as the backend tells it:
/// PostgreSQL names the index; SQLite's message names the index of an expression index
/// (`index 'users_username_lower_key'`) or the columns of a plain one (`users.external_id`).
pub(crate) fn unique_violation(error: &DieselError) -> Option<String> {
    constraint_text(error, DatabaseErrorKind::UniqueViolation)
}

/// True when the error is a violated foreign key (the owner row does not exist).
pub(crate) fn is_foreign_key_violation(error: &DieselError) -> bool {
    constraint_text(error, DatabaseErrorKind::ForeignKeyViolation).is_some()
}

fn constraint_text(error: &DieselError, wanted: DatabaseErrorKind) -> Option<String> {
    match error {
        DieselError::DatabaseError(kind, info)
            if std::mem::discriminant(kind) == std::mem::discriminant(&wanted) =>
        {
            Some(match info.constraint_name() {
                Some(name) => name.to_owned(),
                None => info.message().to_owned(),
            })
        }
        _ => None,
    }
}

/// An error inside a transaction: from the database, or a refusal of the port's own.
#[derive(Debug)]
pub(crate) enum TxError<E> {
    /// The database failed.
    Database(DieselError),
    /// The port refuses (not found, last admin, …); the transaction is rolled back.
    Refused(E),
}

impl<E> From<DieselError> for TxError<E> {
    fn from(error: DieselError) -> Self {
        Self::Database(error)
    }
}

impl<E> TxError<E> {
    /// Resolves into the port's error, mapping database errors with `map`.
    pub(crate) fn resolve(self, map: impl FnOnce(DieselError) -> E) -> E {
        match self {
            Self::Database(error) => map(error),
            Self::Refused(error) => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_are_unavailable() {
        let lost = DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("connection closed".to_owned()),
        );
        assert!(matches!(backend_error(lost), BackendError::Unavailable(_)));
        let shutdown = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("terminating connection due to administrator command".to_owned()),
        );
        assert!(matches!(
            backend_error(shutdown),
            BackendError::Unavailable(_)
        ));
        let busy = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database is locked".to_owned()),
        );
        assert!(matches!(backend_error(busy), BackendError::Unavailable(_)));
    }

    #[test]
    fn other_errors_are_internal() {
        assert!(matches!(
            backend_error(DieselError::NotFound),
            BackendError::Internal(_)
        ));
        let syntax = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("syntax error at or near \"x\"".to_owned()),
        );
        assert!(matches!(backend_error(syntax), BackendError::Internal(_)));
    }

    #[test]
    fn unique_violations_name_their_index() {
        let e = DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("UNIQUE constraint failed: index 'users_username_lower_key'".to_owned()),
        );
        assert_eq!(
            unique_violation(&e).as_deref(),
            Some("UNIQUE constraint failed: index 'users_username_lower_key'")
        );
        assert!(!is_foreign_key_violation(&e));
        assert_eq!(unique_violation(&DieselError::NotFound), None);
    }
}
