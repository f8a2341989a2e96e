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
use crate::request_log::{RequestId, current_request_id};
use crate::state::AppState;
use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::entities::{User, UserId};
use rollcall_domain::ports::UserLookup;
use rollcall_domain::services::{PasswordChange, Principal, UserInput};
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
    // The first step is read before the answer starts, so that its failure is still an
    // error in the family's envelope.
    let first = state
        .directory
        .list_users_after(&principal, None, LIST_STEP)
        .await?;
    let walk = Walk {
        state,
        principal,
        request_id: current_request_id(),
        next: Step::First(first),
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .streaming(futures_util::stream::try_unfold(walk, Walk::step)))
}

/// Users per step of the streamed listing: one read of the store, one chunk of the body.
const LIST_STEP: u32 = 1000;

/// The streamed v1 listing: `{"value":[` and the users of the first step, then one chunk
/// per step of the walk in id order, then `]}`; the same bytes as serializing every user at
/// once. A step is read only when the previous chunk has been taken by the connection, so
/// at most one step is held in memory, and a client that goes away stops the walk. A step
/// that fails ends the body unfinished (the connection is closed), so that a client never
/// takes a partial listing for a whole one.
struct Walk {
    state: web::Data<AppState>,
    principal: Principal,
    request_id: Option<RequestId>,
    next: Step,
}

enum Step {
    /// The first step, already read.
    First(Vec<User>),
    /// Read the users after this one.
    After(UserId),
    /// The body is complete.
    Done,
}

impl Walk {
    async fn step(mut self) -> Result<Option<(Bytes, Self)>, std::io::Error> {
        let (users, opening) = match std::mem::replace(&mut self.next, Step::Done) {
            Step::Done => return Ok(None),
            Step::First(users) => (users, true),
            Step::After(after) => {
                let read = self
                    .state
                    .directory
                    .list_users_after(&self.principal, Some(after), LIST_STEP)
                    .await;
                let users = read.map_err(|error| {
                    tracing::error!(
                        request_id = self.request_id.as_ref().map(tracing::field::display),
                        %error,
                        "the v1 user listing failed part-way; its connection is closed"
                    );
                    std::io::Error::other(error.to_string())
                })?;
                (users, false)
            }
        };
        let mut chunk = Vec::with_capacity(users.len() * 256 + 16);
        if opening {
            chunk.extend_from_slice(b"{\"value\":[");
        }
        for (i, user) in users.iter().enumerate() {
            if i > 0 || !opening {
                chunk.push(b',');
            }
            serde_json::to_writer(&mut chunk, &V1User::from(user))
                .map_err(std::io::Error::other)?;
        }
        // A short step is the last; after a full one, the next step says.
        match users.last() {
            Some(last) if users.len() >= LIST_STEP as usize => self.next = Step::After(last.id),
            _ => chunk.extend_from_slice(b"]}"),
        }
        Ok(Some((Bytes::from(chunk), self)))
    }
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
