//! The v1 bodies: the user as Unryo shows it (`{"username", "admin"}`), its `{"value": …}`
//! envelopes, and — for the OpenAPI document only — the request and error shapes.

use rollcall_domain::entities::User;
use serde::Serialize;
use utoipa::ToSchema;

/// A user as v1 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct V1User {
    /// Login name, case preserved.
    #[schema(example = "alice")]
    pub username: String,
    /// Admin flag.
    pub admin: bool,
}

impl From<&User> for V1User {
    fn from(u: &User) -> Self {
        Self {
            username: u.username.as_str().to_owned(),
            admin: u.is_admin,
        }
    }
}

/// Every user, in id order: `{"value": [user, …]}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct V1UserList {
    /// The users.
    pub value: Vec<V1User>,
}

/// One user in the v1 envelope: `{"value": user}` (`PUT` and `PATCH` answers).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct V1UserEnvelope {
    /// The user.
    pub value: V1User,
}

impl From<&User> for V1UserEnvelope {
    fn from(u: &User) -> Self {
        Self {
            value: V1User::from(u),
        }
    }
}

/// The body of `PUT` and `PATCH /api/v1/users/{username}` (documentation only: handlers read
/// it field by field).
#[allow(dead_code)]
#[derive(ToSchema)]
pub(crate) struct V1PasswordRequest {
    /// The passwords.
    pub value: V1PasswordValue,
}

/// The passwords of a v1 request (documentation only).
#[allow(dead_code)]
#[derive(ToSchema)]
pub(crate) struct V1PasswordValue {
    /// `PATCH` on oneself only (admins too): the current password.
    #[schema(format = Password)]
    pub current_password: Option<String>,
    /// The new password, 8–1024 characters by default.
    #[schema(format = Password, example = "stringst")]
    pub password: String,
}

/// A v1 error: a bare JSON string (documentation only).
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(
    value_type = String,
    example = "Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'min' tag"
)]
pub(crate) struct V1ErrorMessage(String);
