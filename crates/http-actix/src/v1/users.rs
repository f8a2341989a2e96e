//! v1 users: list all, read one, create by `PUT`, change a password by `PATCH`, delete — all
//! by username (case-insensitive).
//!
//! Bodies are `{"value": {"current_password", "password"}}`, read the way Go's `encoding/json`
//! reads them into a struct: unknown fields and `null` are ignored, and a value of the wrong
//! JSON type is a 400 `json: cannot unmarshal …` before any validation.

use super::dto::{V1ErrorMessage, V1PasswordRequest, V1User, V1UserEnvelope, V1UserList};
use super::family::{CREATE_RULES, PASSWORD_RULES, V1Auth, V1Result};
use crate::body::read_json_value;
use crate::error::Problem;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::ports::UserLookup;
use rollcall_domain::services::{PasswordChange, UserInput};
use rollcall_domain::values::Scope;
use serde_json::Value;

/// The Go type the body is read into, as Go's errors name it.
const REQUEST_TYPE: &str = "UserPasswordRequest";
/// The Go type of its `value` field.
const VALUE_TYPE: &str = "UserPasswordValue";

/// The passwords of a v1 body; `None` for absent or null. No `Debug`: it holds passwords.
#[derive(Default)]
pub(crate) struct PasswordFields {
    /// `value.current_password`.
    pub current_password: Option<String>,
    /// `value.password`.
    pub password: Option<String>,
}

/// The JSON type of a value as Go's `encoding/json` names it in its errors.
fn go_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Reads a v1 body into its passwords.
///
/// # Errors
/// Go's unmarshal error for a value of the wrong JSON type, e.g.
/// `json: cannot unmarshal number into Go struct field UserPasswordRequest.value.password of type string`.
pub(crate) fn password_fields(body: Value) -> Result<PasswordFields, String> {
    let mut object = match body {
        Value::Object(object) => object,
        Value::Null => return Ok(PasswordFields::default()),
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type {REQUEST_TYPE}",
                go_kind(&other)
            ));
        }
    };
    let mut value = match object.remove("value") {
        None | Some(Value::Null) => return Ok(PasswordFields::default()),
        Some(Value::Object(value)) => value,
        Some(other) => {
            return Err(format!(
                "json: cannot unmarshal {} into Go struct field {REQUEST_TYPE}.value of type {VALUE_TYPE}",
                go_kind(&other)
            ));
        }
    };
    let mut text = |name: &str| match value.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into Go struct field {REQUEST_TYPE}.value.{name} of type string",
            go_kind(&other)
        )),
    };
    Ok(PasswordFields {
        current_password: text("current_password")?,
        password: text("password")?,
    })
}

/// Reads and decodes the body of `PUT`/`PATCH`.
async fn read_password_fields(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<PasswordFields, Problem> {
    password_fields(read_json_value(req, payload).await?).map_err(Problem::BadRequest)
}

/// The lookup of a path username (case-insensitive).
fn by_username(username: &str) -> UserLookup {
    UserLookup::Username(username.to_owned())
}

/// Lists every user, in id order.
#[utoipa::path(
    get,
    operation_id = "v1_list_users",
    path = "/api/v1/users",
    tag = "v1: users",
    responses(
        (status = 200, description = "Every user.", body = V1UserList,
            example = json!({"value": [{"username": "admin", "admin": true}]})),
        (status = 401, description = "`Unauthorized`.", body = V1ErrorMessage),
        (status = 403, description = "API key without `users/index`.", body = V1ErrorMessage),
    )
)]
pub(crate) async fn list_users(state: web::Data<AppState>, auth: V1Auth) -> V1Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_INDEX)?;
    let users = state.directory.list_all_users(&principal).await?;
    Ok(HttpResponse::Ok().json(V1UserList {
        value: users.iter().map(V1User::from).collect(),
    }))
}

/// Reads one user (no `value` envelope).
#[utoipa::path(
    get,
    operation_id = "v1_get_user",
    path = "/api/v1/users/{username}",
    tag = "v1: users",
    params(("username" = String, Path, description = "Username, case-insensitive.")),
    responses(
        (status = 200, description = "The user.", body = V1User),
        (status = 401, description = "`Unauthorized`.", body = V1ErrorMessage),
        (status = 403, description = "API key without `users/show`.", body = V1ErrorMessage),
        (status = 404, description = "`User not found`.", body = V1ErrorMessage),
    )
)]
pub(crate) async fn get_user(
    state: web::Data<AppState>,
    auth: V1Auth,
    username: web::Path<String>,
) -> V1Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_SHOW)?;
    let username = username.into_inner();
    let user = state
        .directory
        .get_user(&principal, &by_username(&username), &username)
        .await?;
    Ok(HttpResponse::Ok().json(V1User::from(&user)))
}

/// Creates a user named by the path with the body's password (admins only).
#[utoipa::path(
    put,
    operation_id = "v1_create_user",
    path = "/api/v1/users/{username}",
    tag = "v1: users",
    params(("username" = String, Path, description = "The new user's name.")),
    request_body(content = V1PasswordRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new user.", body = V1UserEnvelope),
        (status = 400, description = "Password missing or against the policy, invalid username, malformed JSON or a value of the wrong type.", body = V1ErrorMessage),
        (status = 401, description = "`Unauthorized`.", body = V1ErrorMessage),
        (status = 403, description = "Not an admin, or API key without `users/create`.", body = V1ErrorMessage),
        (status = 409, description = "`Username already existed`.", body = V1ErrorMessage),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = V1ErrorMessage),
        (status = 413, description = "Body over 64 KiB.", body = V1ErrorMessage),
        (status = 415, description = "Not JSON.", body = V1ErrorMessage),
    )
)]
pub(crate) async fn create_user(
    state: web::Data<AppState>,
    auth: V1Auth,
    username: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> V1Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_CREATE)?;
    let permit = state.directory.authorize_create_user(&principal)?;
    let fields = read_password_fields(&req, payload).await?;
    let input = UserInput {
        username: Some(Some(username.into_inner())),
        password: Some(fields.password),
        ..UserInput::default()
    };
    let user = state
        .directory
        .create_user(permit, input, CREATE_RULES)
        .await?;
    Ok(HttpResponse::Created().json(V1UserEnvelope::from(&user)))
}

/// Changes a password: one's own with `current_password` (admins too), or, for admins,
/// anyone else's without it. Ends the user's other sessions.
#[utoipa::path(
    patch,
    operation_id = "v1_change_password",
    path = "/api/v1/users/{username}",
    tag = "v1: users",
    params(("username" = String, Path, description = "Username, case-insensitive.")),
    request_body(content = V1PasswordRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Password updated.", body = V1UserEnvelope),
        (status = 400, description = "Wrong or missing current password, new password missing or against the policy, malformed JSON.", body = V1ErrorMessage),
        (status = 401, description = "`Unauthorized`.", body = V1ErrorMessage),
        (status = 403, description = "Another user's password without being an admin, or API key without `users/update`.", body = V1ErrorMessage),
        (status = 404, description = "`User not found`.", body = V1ErrorMessage),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = V1ErrorMessage),
        (status = 413, description = "Body over 64 KiB.", body = V1ErrorMessage),
        (status = 415, description = "Not JSON.", body = V1ErrorMessage),
    )
)]
pub(crate) async fn change_password(
    state: web::Data<AppState>,
    auth: V1Auth,
    username: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> V1Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_UPDATE)?;
    let username = username.into_inner();
    let permit = state
        .directory
        .authorize_user_change(&principal, &by_username(&username), &username)
        .await?;
    let fields = read_password_fields(&req, payload).await?;
    let change = PasswordChange {
        password: fields.password,
        current_password: fields.current_password,
    };
    let user = state
        .directory
        .change_password(permit, change, PASSWORD_RULES)
        .await?;
    Ok(HttpResponse::Ok().json(V1UserEnvelope::from(&user)))
}

/// Deletes a user (admins only, themselves included).
#[utoipa::path(
    delete,
    operation_id = "v1_delete_user",
    path = "/api/v1/users/{username}",
    tag = "v1: users",
    params(("username" = String, Path, description = "Username, case-insensitive.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`Cannot disable or demote the last enabled admin.`", body = V1ErrorMessage),
        (status = 401, description = "`Unauthorized`.", body = V1ErrorMessage),
        (status = 403, description = "Not an admin, or API key without `users/destroy`.", body = V1ErrorMessage),
        (status = 404, description = "`User not found`.", body = V1ErrorMessage),
    )
)]
pub(crate) async fn delete_user(
    state: web::Data<AppState>,
    auth: V1Auth,
    username: web::Path<String>,
) -> V1Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_DESTROY)?;
    let username = username.into_inner();
    state
        .directory
        .delete_user(&principal, &by_username(&username), &username)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Result<(Option<String>, Option<String>), String> {
        password_fields(v).map(|f| (f.current_password, f.password))
    }

    #[test]
    fn passwords_are_read_from_the_value_envelope() {
        assert_eq!(
            read(json!({"value": {"password": "p", "current_password": "c", "admin": true}})),
            Ok((Some("c".into()), Some("p".into())))
        );
        assert_eq!(read(json!({})), Ok((None, None)));
        assert_eq!(read(json!({"value": null})), Ok((None, None)));
        assert_eq!(read(json!({"value": {"password": null}})), Ok((None, None)));
        assert_eq!(read(json!(null)), Ok((None, None)));
        assert_eq!(
            read(json!({"password": "top-level"})),
            Ok((None, None)),
            "only value.password counts"
        );
    }

    #[test]
    fn wrong_types_fail_like_go_unmarshal() {
        assert_eq!(
            read(json!([1])),
            Err("json: cannot unmarshal array into Go value of type UserPasswordRequest".into())
        );
        assert_eq!(
            read(json!({"value": "x"})),
            Err("json: cannot unmarshal string into Go struct field UserPasswordRequest.value of type UserPasswordValue".into())
        );
        assert_eq!(
            read(json!({"value": {"password": 12345678}})),
            Err("json: cannot unmarshal number into Go struct field UserPasswordRequest.value.password of type string".into())
        );
        assert_eq!(
            read(json!({"value": {"current_password": true}})),
            Err("json: cannot unmarshal bool into Go struct field UserPasswordRequest.value.current_password of type string".into())
        );
    }
}
