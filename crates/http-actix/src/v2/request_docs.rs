//! The v2 request shapes, for the OpenAPI document only: handlers read bodies field by field
//! through `crate::body::JsonFields`, so that absent, null and wrongly typed values stay apart
//! and unknown fields are never looked at.

// Never built: these types only describe bodies in the OpenAPI document.
#![allow(dead_code)]

use utoipa::ToSchema;

/// `POST /token`'s form.
#[derive(ToSchema)]
pub(crate) struct TokenForm {
    /// Username or e-mail.
    pub username: String,
    /// Password.
    #[schema(format = Password)]
    pub password: String,
    /// `password` if given.
    #[schema(pattern = "^password$")]
    pub grant_type: Option<String>,
    /// Ignored.
    pub scope: Option<String>,
    /// Ignored.
    pub client_id: Option<String>,
    /// Ignored.
    pub client_secret: Option<String>,
}

/// `POST /api/v2/users/sign_in`'s body.
#[derive(ToSchema)]
pub(crate) struct SignInRequest {
    /// The credentials.
    pub user: SignInCredentials,
}

/// Sign-in credentials.
#[derive(ToSchema)]
pub(crate) struct SignInCredentials {
    /// Username or e-mail.
    pub username: String,
    /// Password.
    #[schema(format = Password)]
    pub password: String,
}

/// User fields for create (`username` and `password` required) and partial update (absent
/// fields stay, `null` clears a nullable field). Unknown fields are ignored. Admin-only:
/// `is_admin`, `enabled`, `expired_at`, `user_id`, `group_id`, `source_type`, `external_id`.
#[derive(ToSchema)]
pub(crate) struct UserFieldsRequest {
    /// 1–191 of `A-Z a-z 0-9 . _ -`, not all digits.
    pub username: Option<String>,
    /// Write-only; 8–1024 characters by default.
    #[schema(format = Password)]
    pub password: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// External id (admin-only).
    pub external_id: Option<String>,
    /// Language.
    pub language: Option<String>,
    /// Admin flag (admin-only).
    pub is_admin: Option<bool>,
    /// Enabled flag (admin-only).
    pub enabled: Option<bool>,
    /// RFC 3339 (admin-only).
    #[schema(format = DateTime)]
    pub expired_at: Option<String>,
    /// POSIX uid, 0–4294967295 (admin-only).
    pub user_id: Option<u32>,
    /// POSIX gid, 0–4294967295 (admin-only).
    pub group_id: Option<u32>,
    /// `web_app`, `cli_linux_multi_user` or `cli_ldap` (admin-only).
    pub source_type: Option<String>,
}

/// `PUT /api/v2/users/{ref}/password`'s body.
#[derive(ToSchema)]
pub(crate) struct PasswordRequest {
    /// The new password.
    #[schema(format = Password)]
    pub password: String,
}

/// A configuration to create (both required) or change (partial).
#[derive(ToSchema)]
pub(crate) struct ConfigurationRequest {
    /// `^[A-Za-z][A-Za-z0-9_.-]{0,254}$`, unique per user.
    #[schema(example = "global.locale")]
    pub key: Option<String>,
    /// A string of at most 16 KiB.
    #[schema(example = "en")]
    pub value: Option<String>,
}

/// An API key to create or change.
#[derive(ToSchema)]
pub(crate) struct ApiKeyRequest {
    /// Label (default `""`).
    pub name: Option<String>,
    /// Scopes from the catalog; absent on create means none.
    pub api_key_scopes: Option<Vec<ApiKeyScopeRequest>>,
    /// RFC 3339 end of validity; null clears.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

/// One requested scope.
#[derive(ToSchema)]
pub(crate) struct ApiKeyScopeRequest {
    /// `sessions`, `users`, `groups`, `configurations` or `api_keys`.
    pub controller: String,
    /// `index`, `show`, `create`, `update`, `destroy` or `systems`.
    pub action: String,
}
