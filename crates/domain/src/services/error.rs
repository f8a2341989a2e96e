//! The errors of the use cases, which each HTTP family renders in its own envelope.

use crate::ports::{
    ApiKeyStoreError, BackendError, ConfigurationStoreError, HashError, OsAccountError,
    SessionStoreError, UserStoreError,
};
use crate::values::{Scope, Violations};

/// Why a principal may not do something (403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forbidden {
    /// An API key without the route's scope.
    MissingScope(Scope),
    /// Only admins may do this; the text names the action (`create users`, …).
    AdminOnly(&'static str),
    /// A non-admin updating another user.
    UpdateOtherUser,
    /// A non-admin changing `is_admin`.
    AdminStatus,
    /// A non-admin changing another admin-only field.
    AdminOnlyField(&'static str),
    /// An API key making or changing a key with scopes it lacks.
    ScopeEscalation,
}

impl Forbidden {
    /// The v2 message.
    pub fn message(&self) -> String {
        match self {
            Self::MissingScope(scope) => {
                format!("API key does not have the scope {scope} required by this action.")
            }
            Self::AdminOnly(action) => format!("User does not have access to {action}."),
            Self::UpdateOtherUser => "User does not have access to update this resource.".into(),
            Self::AdminStatus => "User does not have access to update admin status.".into(),
            Self::AdminOnlyField(field) => format!("User does not have access to update {field}."),
            Self::ScopeEscalation => {
                "An API key cannot grant scopes that it does not hold itself.".into()
            }
        }
    }
}

/// What was not found (404).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// A user; the reference as given.
    User(String),
    /// A configuration of the principal; the reference as given.
    Configuration(String),
    /// An API key of the principal; the id as given.
    ApiKey(String),
}

impl NotFound {
    /// The v2 message.
    pub fn message(&self) -> String {
        match self {
            Self::User(r) => format!("User not found for id {r}"),
            Self::Configuration(r) => format!("Configuration not found for id {r}"),
            Self::ApiKey(r) => format!("API key not found for id {r}"),
        }
    }
}

/// Every way a use case can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// Bad credentials of any kind (401). Deliberately says nothing about which part was wrong.
    #[error("invalid credentials")]
    Unauthenticated,
    /// Valid credentials without the right (403).
    #[error("forbidden: {}", .0.message())]
    Forbidden(Forbidden),
    /// Nothing there (404).
    #[error("not found: {}", .0.message())]
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
        Self::Internal(e.to_string())
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
