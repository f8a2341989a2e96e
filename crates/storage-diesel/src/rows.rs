//! Rows as diesel reads and writes them, and their conversion to and from the domain's
//! entities. Loading goes through the domain's parse constructors, so a row that breaks a
//! domain rule is reported as [`BackendError::Internal`] instead of being passed on.

use crate::schema::{api_keys, configurations, sessions, users};
use crate::timestamp::DbTimestamp;
use diesel::prelude::*;
use rollcall_domain::entities::{
    ApiKey, ApiKeyId, Configuration, ConfigurationId, NewApiKey, NewSession, NewUser, Session,
    SessionId, User, UserId,
};
use rollcall_domain::ports::BackendError;
use rollcall_domain::secrets::{PasswordHash, TokenDigest};
use rollcall_domain::values::{
    ApiKeyName, ConfigurationKey, ConfigurationValue, Email, ExternalId, Language, PersonName,
    PosixId, ScopeSet, SourceType, Username,
};
use std::fmt::Display;
use uuid::Uuid;

/// A `users` row.
#[derive(Clone, Queryable, Selectable)] // no Debug: it holds the password hash
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct UserRow {
    pub id: i64,
    pub uuid: String,
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub external_id: Option<String>,
    pub language: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub expired_at: Option<DbTimestamp>,
    pub posix_uid: Option<i64>,
    pub posix_gid: Option<i64>,
    pub source_type: String,
    pub password_hash: Option<String>,
    pub created_at: DbTimestamp,
    pub updated_at: DbTimestamp,
}

/// A user's columns but the id: the values of an insert, and of the full-row update that
/// `update_user` writes (it holds the row's lock, so no concurrent change is lost).
#[derive(Clone, Insertable, AsChangeset)] // no Debug: it holds the password hash
#[diesel(table_name = users)]
#[diesel(treat_none_as_null = true)]
pub(crate) struct NewUserRow {
    pub uuid: String,
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub external_id: Option<String>,
    pub language: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub expired_at: Option<DbTimestamp>,
    pub posix_uid: Option<i64>,
    pub posix_gid: Option<i64>,
    pub source_type: String,
    pub password_hash: Option<String>,
    pub created_at: DbTimestamp,
    pub updated_at: DbTimestamp,
}

/// A `sessions` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub token_digest: String,
    pub created_at: DbTimestamp,
    pub expires_at: DbTimestamp,
}

/// A session to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions)]
pub(crate) struct NewSessionRow {
    pub user_id: i64,
    pub token_digest: String,
    pub created_at: DbTimestamp,
    pub expires_at: DbTimestamp,
}

/// An `api_keys` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ApiKeyRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub identifier: String,
    pub secret_digest: String,
    pub last_four: String,
    pub scopes: String,
    pub expires_at: Option<DbTimestamp>,
    pub last_used_at: Option<DbTimestamp>,
    pub created_at: DbTimestamp,
    pub updated_at: DbTimestamp,
}

/// An API key to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = api_keys)]
pub(crate) struct NewApiKeyRow {
    pub user_id: i64,
    pub name: String,
    pub identifier: String,
    pub secret_digest: String,
    pub last_four: String,
    pub scopes: String,
    pub expires_at: Option<DbTimestamp>,
    pub created_at: DbTimestamp,
    pub updated_at: DbTimestamp,
}

/// A partial change of an API key: `None` leaves a column as it is; for `expires_at`,
/// `Some(None)` clears it.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = api_keys)]
pub(crate) struct ApiKeyChangesRow {
    pub name: Option<String>,
    pub scopes: Option<String>,
    pub expires_at: Option<Option<DbTimestamp>>,
    pub updated_at: DbTimestamp,
}

/// A `configurations` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = configurations)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ConfigurationRow {
    pub id: i64,
    pub user_id: i64,
    pub key: String,
    pub value: String,
    pub created_at: DbTimestamp,
    pub updated_at: DbTimestamp,
}

/// A configuration to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = configurations)]
pub(crate) struct NewConfigurationRow {
    pub user_id: i64,
    pub key: String,
    pub value: String,
    pub created_at: DbTimestamp,
    pub updated_at: DbTimestamp,
}

/// A partial change of a configuration; `None` leaves a column as it is.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = configurations)]
pub(crate) struct ConfigurationChangesRow {
    pub key: Option<String>,
    pub value: Option<String>,
    pub updated_at: DbTimestamp,
}

/// A stored value that breaks a domain rule.
fn corrupt(table: &str, id: i64, column: &str, error: impl Display) -> BackendError {
    BackendError::Internal(format!("{table} row {id}: invalid {column}: {error}"))
}

fn posix_id(v: Option<i64>, id: i64, column: &str) -> Result<Option<PosixId>, BackendError> {
    v.map(PosixId::new)
        .transpose()
        .map_err(|e| corrupt("users", id, column, e))
}

fn optional<T, E: Display>(
    v: Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
    id: i64,
    column: &str,
) -> Result<Option<T>, BackendError> {
    v.map(|s| parse(&s))
        .transpose()
        .map_err(|e| corrupt("users", id, column, e))
}

fn digest(hex: &str, table: &str, id: i64, column: &str) -> Result<TokenDigest, BackendError> {
    TokenDigest::from_hex(hex).ok_or_else(|| corrupt(table, id, column, "not 64 hex digits"))
}

impl UserRow {
    /// The domain's users, in the rows' order.
    pub(crate) fn into_users(rows: Vec<Self>) -> Result<Vec<User>, BackendError> {
        rows.into_iter().map(Self::into_user).collect()
    }

    /// The domain's user.
    pub(crate) fn into_user(self) -> Result<User, BackendError> {
        let id = self.id;
        Ok(User {
            id: UserId(id),
            uuid: Uuid::parse_str(&self.uuid).map_err(|e| corrupt("users", id, "uuid", e))?,
            username: Username::parse(&self.username)
                .map_err(|e| corrupt("users", id, "username", e))?,
            email: optional(self.email, Email::parse, id, "email")?,
            first_name: optional(self.first_name, PersonName::parse, id, "first_name")?,
            last_name: optional(self.last_name, PersonName::parse, id, "last_name")?,
            external_id: optional(self.external_id, ExternalId::parse, id, "external_id")?,
            language: Language::parse(&self.language)
                .map_err(|e| corrupt("users", id, "language", e))?,
            is_admin: self.is_admin,
            enabled: self.enabled,
            expired_at: self.expired_at.map(DbTimestamp::get),
            posix_uid: posix_id(self.posix_uid, id, "posix_uid")?,
            posix_gid: posix_id(self.posix_gid, id, "posix_gid")?,
            source_type: SourceType::parse(&self.source_type)
                .map_err(|e| corrupt("users", id, "source_type", e))?,
            password_hash: self.password_hash.map(PasswordHash::from_phc),
            created_at: self.created_at.get(),
            updated_at: self.updated_at.get(),
        })
    }
}

/// The columns of a [`NewUser`] or a [`User`] (their fields share names), with `updated_at`.
macro_rules! user_columns {
    ($user:expr, $updated_at:expr) => {{
        let user = $user;
        NewUserRow {
            uuid: user.uuid.hyphenated().to_string(),
            username: user.username.as_str().to_owned(),
            email: user.email.as_ref().map(|v| v.as_str().to_owned()),
            first_name: user.first_name.as_ref().map(|v| v.as_str().to_owned()),
            last_name: user.last_name.as_ref().map(|v| v.as_str().to_owned()),
            external_id: user.external_id.as_ref().map(|v| v.as_str().to_owned()),
            language: user.language.as_str().to_owned(),
            is_admin: user.is_admin,
            enabled: user.enabled,
            expired_at: user.expired_at.map(DbTimestamp::new),
            posix_uid: user.posix_uid.map(|v| i64::from(v.get())),
            posix_gid: user.posix_gid.map(|v| i64::from(v.get())),
            source_type: user.source_type.as_str().to_owned(),
            password_hash: user.password_hash.as_ref().map(|h| h.as_phc().to_owned()),
            created_at: DbTimestamp::new(user.created_at),
            updated_at: DbTimestamp::new($updated_at),
        }
    }};
}

impl NewUserRow {
    /// The columns of a new user; its first `updated_at` is its `created_at`.
    pub(crate) fn from_new(user: &NewUser) -> Self {
        user_columns!(user, user.created_at)
    }

    /// The columns of an existing user.
    pub(crate) fn from_user(user: &User) -> Self {
        user_columns!(user, user.updated_at)
    }
}

impl SessionRow {
    /// The domain's session.
    pub(crate) fn into_session(self) -> Result<Session, BackendError> {
        Ok(Session {
            id: SessionId(self.id),
            user_id: UserId(self.user_id),
            token_digest: digest(&self.token_digest, "sessions", self.id, "token_digest")?,
            created_at: self.created_at.get(),
            expires_at: self.expires_at.get(),
        })
    }
}

impl NewSessionRow {
    /// The row of a new session.
    pub(crate) fn from_new(session: &NewSession) -> Self {
        Self {
            user_id: session.user_id.get(),
            token_digest: session.token_digest.to_hex(),
            created_at: DbTimestamp::new(session.created_at),
            expires_at: DbTimestamp::new(session.expires_at),
        }
    }
}

impl ApiKeyRow {
    /// The domain's API key.
    pub(crate) fn into_api_key(self) -> Result<ApiKey, BackendError> {
        let id = self.id;
        Ok(ApiKey {
            id: ApiKeyId(id),
            user_id: UserId(self.user_id),
            name: ApiKeyName::parse(&self.name).map_err(|e| corrupt("api_keys", id, "name", e))?,
            identifier: self.identifier,
            secret_digest: digest(&self.secret_digest, "api_keys", id, "secret_digest")?,
            last_four: self.last_four,
            scopes: ScopeSet::from_storage_string(&self.scopes)
                .map_err(|e| corrupt("api_keys", id, "scopes", e))?,
            expires_at: self.expires_at.map(DbTimestamp::get),
            last_used_at: self.last_used_at.map(DbTimestamp::get),
            created_at: self.created_at.get(),
            updated_at: self.updated_at.get(),
        })
    }
}

impl NewApiKeyRow {
    /// The row of a new API key; its first `updated_at` is its `created_at`.
    pub(crate) fn from_new(key: &NewApiKey) -> Self {
        Self {
            user_id: key.user_id.get(),
            name: key.name.as_str().to_owned(),
            identifier: key.identifier.clone(),
            secret_digest: key.secret_digest.to_hex(),
            last_four: key.last_four.clone(),
            scopes: key.scopes.to_storage_string(),
            expires_at: key.expires_at.map(DbTimestamp::new),
            created_at: DbTimestamp::new(key.created_at),
            updated_at: DbTimestamp::new(key.created_at),
        }
    }
}

impl ConfigurationRow {
    /// The domain's configuration.
    pub(crate) fn into_configuration(self) -> Result<Configuration, BackendError> {
        let id = self.id;
        Ok(Configuration {
            id: ConfigurationId(id),
            user_id: UserId(self.user_id),
            key: ConfigurationKey::parse(&self.key)
                .map_err(|e| corrupt("configurations", id, "key", e))?,
            value: ConfigurationValue::parse(&self.value)
                .map_err(|e| corrupt("configurations", id, "value", e))?,
            created_at: self.created_at.get(),
            updated_at: self.updated_at.get(),
        })
    }
}
