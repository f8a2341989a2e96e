//! The errors of the use cases, which each HTTP family renders in its own envelope and words
//! in its own terms.

use crate::ports::{
    ApiKeyStoreError, BackendError, ConfigurationStoreError, HashError, OsAccountError,
    SessionStoreError, UserStoreError,
};
use crate::values::{FieldViolation, Scope, Violation, Violations};

/// Why a principal may not do something (403). Each family words it in its own envelope;
/// the `Display` form is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Forbidden {
    /// An API key without the route's scope.
    #[error("an API key without the scope {0}")]
    MissingScope(Scope),
    /// Only admins may do this; the text names the action (`create users`, …).
    #[error("admins only: {0}")]
    AdminOnly(&'static str),
    /// A non-admin updating another user.
    #[error("a non-admin changing another user")]
    UpdateOtherUser,
    /// A non-admin changing `is_admin`.
    #[error("a non-admin changing admin status")]
    AdminStatus,
    /// A non-admin changing another admin-only field.
    #[error("a non-admin changing {0}")]
    AdminOnlyField(&'static str),
    /// An API key making or changing a key with scopes it lacks.
    #[error("an API key granting scopes it does not hold")]
    ScopeEscalation,
    /// An API key making or changing a key so that it would outlive the making key (a later
    /// expiry, or none, while the making key expires).
    #[error("an API key extending a key beyond its own expiry")]
    ExpiryEscalation,
    /// An API key changing a password (anyone's).
    #[error("an API key changing a password")]
    ApiKeyPassword,
    /// An API key creating an admin with a password.
    #[error("an API key creating an admin with a password")]
    ApiKeyAdminPassword,
}

/// What was not found (404); the reference as the request gave it. Each family words it in
/// its own envelope; the `Display` form is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotFound {
    /// A user.
    #[error("user {0}")]
    User(String),
    /// A configuration of the principal.
    #[error("configuration {0}")]
    Configuration(String),
    /// An API key of the principal.
    #[error("API key {0}")]
    ApiKey(String),
}

/// Every way a use case can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// Bad credentials of any kind (401). Deliberately says nothing about which part was wrong.
    #[error("invalid credentials")]
    Unauthenticated,
    /// Valid credentials without the right (403).
    #[error("forbidden: {0}")]
    Forbidden(Forbidden),
    /// Nothing there (404).
    #[error("not found: {0}")]
    NotFound(NotFound),
    /// Field-level validation failures (422 in v2).
    #[error("validation failed: {0}")]
    Validation(Violations),
    /// The change would leave no enabled, unexpired admin (400).
    #[error("Cannot disable or demote the last enabled admin.")]
    LastAdmin,
    /// Storage or another dependency cannot be reached (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Too much work is waiting (the password hasher's queue is full or a check waited past
    /// its deadline): 503 with `Retry-After`.
    #[error("overloaded; retry after {retry_after_secs} s")]
    Overloaded {
        /// Seconds until a retry is worth it.
        retry_after_secs: u64,
    },
    /// Too many failed password checks from this client or for this login (429 with
    /// `Retry-After`); no password was checked.
    #[error("throttled; retry after {retry_after_secs} s")]
    Throttled {
        /// Seconds until the window lets the client try again.
        retry_after_secs: u64,
    },
    /// A bug or corrupt data (500). The text is for logs, not for clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// The fixed message of the last-admin refusal.
    pub const LAST_ADMIN_MESSAGE: &'static str = "Cannot disable or demote the last enabled admin.";
}

impl From<BackendError> for ServiceError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Unavailable(m) => Self::Unavailable(m),
            BackendError::Internal(m) => Self::Internal(m),
        }
    }
}

impl From<HashError> for ServiceError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Failed(cause) => Self::Internal(cause),
            HashError::Busy { retry_after_secs } => Self::Overloaded { retry_after_secs },
            // Nobody reads the answer; any that says "not done" will do.
            HashError::Abandoned => Self::Overloaded {
                retry_after_secs: 1,
            },
        }
    }
}

impl From<OsAccountError> for ServiceError {
    fn from(e: OsAccountError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<SessionStoreError> for ServiceError {
    fn from(e: SessionStoreError) -> Self {
        match e {
            SessionStoreError::UserNotFound => Self::Unauthenticated,
            SessionStoreError::Backend(b) => b.into(),
        }
    }
}

/// A per-user ceiling reached: 422 on `field`, naming the limit.
pub(crate) fn too_many(field: &'static str, max: u32) -> ServiceError {
    ServiceError::Validation(Violations::one(FieldViolation::new(
        field,
        Violation::TooMany {
            max: u64::from(max),
        },
    )))
}

/// Maps store errors that carry no use-case meaning of their own.
pub(crate) fn unexpected_user_store(e: UserStoreError) -> ServiceError {
    match e {
        UserStoreError::Backend(b) => b.into(),
        UserStoreError::LastAdmin => ServiceError::LastAdmin,
        other => ServiceError::Internal(other.to_string()),
    }
}

pub(crate) fn unexpected_api_key_store(e: ApiKeyStoreError) -> ServiceError {
    match e {
        ApiKeyStoreError::Backend(b) => b.into(),
        ApiKeyStoreError::UserNotFound => ServiceError::Unauthenticated,
        other => ServiceError::Internal(other.to_string()),
    }
}

pub(crate) fn unexpected_configuration_store(e: ConfigurationStoreError) -> ServiceError {
    match e {
        ConfigurationStoreError::Backend(b) => b.into(),
        ConfigurationStoreError::UserNotFound => ServiceError::Unauthenticated,
        other => ServiceError::Internal(other.to_string()),
    }
}
