//! The v2 response bodies, built from domain entities.

use chrono::{DateTime, SecondsFormat, Utc};
use rollcall_domain::entities::{ApiKey, Configuration, OsGroup, OsUser, User};
use rollcall_domain::services::CreatedApiKey;
use rollcall_domain::values::ScopeSet;
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// v2's timestamp format: RFC 3339 UTC with milliseconds and `Z` (`2025-11-05T15:50:35.879Z`).
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A user as v2 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserBody {
    /// Assigned id.
    pub id: i64,
    /// Assigned UUID.
    pub uuid: Uuid,
    /// Login name, case preserved.
    #[schema(example = "alice")]
    pub username: String,
    /// E-mail address.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Identifier in an external system.
    pub external_id: Option<String>,
    /// Language, default `en`.
    #[schema(example = "en")]
    pub language: String,
    /// Admin flag.
    pub is_admin: bool,
    /// A disabled user cannot authenticate.
    pub enabled: bool,
    /// Always null (no avatar storage).
    #[schema(value_type = Option<String>)]
    pub avatar: Option<String>,
    /// POSIX uid.
    pub user_id: Option<u32>,
    /// POSIX gid.
    pub group_id: Option<u32>,
    /// `web_app`, `cli_linux_multi_user` or `cli_ldap`.
    #[schema(example = "web_app")]
    pub source_type: String,
    /// Past this instant the user cannot authenticate.
    #[schema(format = DateTime, example = "2025-11-05T15:50:35.879Z")]
    pub expired_at: Option<String>,
    /// Creation instant.
    #[schema(format = DateTime, example = "2025-11-05T15:50:35.879Z")]
    pub created_at: String,
    /// Last change instant.
    #[schema(format = DateTime, example = "2025-11-05T15:50:35.879Z")]
    pub updated_at: String,
}

impl From<&User> for UserBody {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.get(),
            uuid: u.uuid,
            username: u.username.as_str().to_owned(),
            email: u.email.as_ref().map(|e| e.as_str().to_owned()),
            first_name: u.first_name.as_ref().map(|n| n.as_str().to_owned()),
            last_name: u.last_name.as_ref().map(|n| n.as_str().to_owned()),
            external_id: u.external_id.as_ref().map(|e| e.as_str().to_owned()),
            language: u.language.as_str().to_owned(),
            is_admin: u.is_admin,
            enabled: u.enabled,
            avatar: None,
            user_id: u.posix_uid.map(|p| p.get()),
            group_id: u.posix_gid.map(|p| p.get()),
            source_type: u.source_type.as_str().to_owned(),
            expired_at: u.expired_at.map(timestamp),
            created_at: timestamp(u.created_at),
            updated_at: timestamp(u.updated_at),
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserListResponse {
    /// How many users match the filters (not the page size).
    pub count: u64,
    /// The page.
    pub users: Vec<UserBody>,
    /// The same page again, for Empire clients.
    pub records: Vec<UserBody>,
}

/// A configuration.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConfigurationBody {
    /// Id.
    pub id: i64,
    /// Key, unique per user.
    #[schema(example = "global.locale")]
    pub key: String,
    /// Value.
    #[schema(example = "en")]
    pub value: String,
}

impl From<&Configuration> for ConfigurationBody {
    fn from(c: &Configuration) -> Self {
        Self {
            id: c.id.get(),
            key: c.key.as_str().to_owned(),
            value: c.value.as_str().to_owned(),
        }
    }
}

/// A page of configurations.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConfigurationListResponse {
    /// The page, in id order.
    pub configurations: Vec<ConfigurationBody>,
    /// How many configurations the user has.
    pub count: u64,
}

/// One `{controller, action}` scope.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiKeyScopeBody {
    /// Controller.
    #[schema(example = "users")]
    pub controller: &'static str,
    /// Action.
    #[schema(example = "index")]
    pub action: &'static str,
}

fn scope_bodies(scopes: &ScopeSet) -> Vec<ApiKeyScopeBody> {
    scopes
        .iter()
        .map(|s| ApiKeyScopeBody {
            controller: s.controller().as_str(),
            action: s.action().as_str(),
        })
        .collect()
}

/// An API key in a list: masked.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiKeySummaryBody {
    /// Id.
    pub id: i64,
    /// The key, masked: 18 asterisks and its last four characters.
    #[schema(example = "******************Iwgo")]
    pub key: String,
    /// Label.
    #[schema(example = "dev-key")]
    pub name: String,
}

impl From<&ApiKey> for ApiKeySummaryBody {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id.get(),
            key: k.masked(),
            name: k.name.as_str().to_owned(),
        }
    }
}

/// A page of API keys.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiKeyListResponse {
    /// The page, in id order.
    pub api_keys: Vec<ApiKeySummaryBody>,
    /// How many keys the user has.
    pub count: u64,
}

/// One API key, masked (`GET`/`PUT /api/v2/users/me/api_keys/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiKeyBody {
    /// Id.
    pub id: i64,
    /// The key, masked.
    #[schema(example = "******************Iwgo")]
    pub key: String,
    /// Label.
    pub name: String,
    /// Scopes.
    pub api_key_scopes: Vec<ApiKeyScopeBody>,
    /// End of validity.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Last use (recorded at most once a minute).
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    /// Creation instant.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&ApiKey> for ApiKeyBody {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id.get(),
            key: k.masked(),
            name: k.name.as_str().to_owned(),
            api_key_scopes: scope_bodies(&k.scopes),
            expires_at: k.expires_at.map(timestamp),
            last_used_at: k.last_used_at.map(timestamp),
            created_at: timestamp(k.created_at),
        }
    }
}

/// A key just created: the only response that shows the whole key. No `Debug`: it holds the
/// secret.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreateApiKeyResponse {
    /// Id.
    pub id: i64,
    /// The whole key; store it now, it is never shown again.
    #[schema(example = "rck_0123456789abcdef_…")]
    pub key: String,
    /// Label.
    pub name: String,
    /// Scopes.
    pub api_key_scopes: Vec<ApiKeyScopeBody>,
    /// End of validity.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Last use.
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    /// Creation instant.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&CreatedApiKey> for CreateApiKeyResponse {
    fn from(created: &CreatedApiKey) -> Self {
        let k = &created.key;
        Self {
            id: k.id.get(),
            key: created.full_key.expose_secret().to_owned(),
            name: k.name.as_str().to_owned(),
            api_key_scopes: scope_bodies(&k.scopes),
            expires_at: k.expires_at.map(timestamp),
            last_used_at: k.last_used_at.map(timestamp),
            created_at: timestamp(k.created_at),
        }
    }
}

/// An OS user.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OsUserBody {
    /// Login name.
    pub name: String,
    /// uid.
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// GECOS field.
    pub info: String,
}

impl From<&OsUser> for OsUserBody {
    fn from(u: &OsUser) -> Self {
        Self {
            name: u.name.clone(),
            uid: u.uid,
            gid: u.gid,
            info: u.info.clone(),
        }
    }
}

/// Every OS user.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OsUserListResponse {
    /// How many.
    pub count: usize,
    /// The users.
    pub users: Vec<OsUserBody>,
}

/// An OS group.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OsGroupBody {
    /// Group name.
    pub name: String,
    /// gid.
    pub gid: u32,
    /// Member login names.
    pub users: Vec<String>,
}

impl From<&OsGroup> for OsGroupBody {
    fn from(g: &OsGroup) -> Self {
        Self {
            name: g.name.clone(),
            gid: g.gid,
            users: g.users.clone(),
        }
    }
}

/// Every OS group.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OsGroupListResponse {
    /// How many.
    pub count: usize,
    /// The groups.
    pub groups: Vec<OsGroupBody>,
}

/// `POST /token`'s answer (OAuth2 password grant). No `Debug`: it holds the token.
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenResponse {
    /// A session token.
    pub access_token: String,
    /// Always `bearer`.
    #[schema(example = "bearer")]
    pub token_type: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_milliseconds_with_z() {
        let at = DateTime::parse_from_rfc3339("2025-11-05T15:50:35.879512+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(timestamp(at), "2025-11-05T14:50:35.879Z");
    }
}
