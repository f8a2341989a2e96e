//! Users: the current user, the list with Nodeum filters, create, read, partial update,
//! password change and delete, by `{user_ref}` (all digits → id, contains `@` → e-mail, else
//! username).

use super::dto::{UserBody, UserListResponse};
use super::envelope::ErrorEnvelope;
use super::family::{CREATE_RULES, UPDATE_RULES, V2Auth, V2Result};
use super::query;
use super::request_docs::{PasswordRequest, UserFieldsRequest};
use crate::body::{JsonFields, JsonObject, read_json_object};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::services::{Principal, UserInput, parse_user_ref};
use rollcall_domain::values::Scope;

/// Maps a v2 user body into the domain's input: every known field, absent / null / value kept
/// apart, wrongly typed fields listed as malformed; unknown fields ignored.
pub(crate) fn user_input(body: JsonObject) -> UserInput {
    let mut f = JsonFields::new(body);
    let mut input = UserInput {
        username: f.nullable_string("username"),
        email: f.nullable_string("email"),
        first_name: f.nullable_string("first_name"),
        last_name: f.nullable_string("last_name"),
        external_id: f.nullable_string("external_id"),
        language: f.nullable_string("language"),
        is_admin: f.boolean("is_admin"),
        enabled: f.boolean("enabled"),
        expired_at: f.nullable_string("expired_at"),
        user_id: f.nullable_integer("user_id"),
        group_id: f.nullable_integer("group_id"),
        source_type: f.string("source_type"),
        password: f.nullable_string("password"),
        malformed: Vec::new(),
    };
    input.malformed = f.into_malformed();
    input
}

/// Maps the body of `PUT /users/{ref}/password`: only `password`, which is required (absent
/// reads as null, which the domain reports as `blank`).
pub(crate) fn password_input(body: JsonObject) -> UserInput {
    let mut f = JsonFields::new(body);
    let password = f.nullable_string("password");
    let malformed = f.into_malformed();
    UserInput {
        // A wrongly typed password is reported as `invalid` only, not also as `blank`.
        password: if malformed.is_empty() {
            Some(password.flatten())
        } else {
            None
        },
        malformed,
        ..UserInput::default()
    }
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/v2/users/me",
    tag = "v2: users",
    responses(
        (status = 200, description = "The user.", body = UserBody),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `users/show`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_current_user(auth: V2Auth) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_SHOW)?;
    // The principal's user was loaded from storage by this very request.
    Ok(HttpResponse::Ok().json(UserBody::from(&principal.user)))
}

/// Lists users: paging, `sort_by` and Nodeum filters on any other parameter.
///
/// Filters: `?field=<op><value>` on `id`, `username`, `email`, `external_id`, `is_admin`,
/// `enabled`, `source_type`, `user_id`, `group_id`, `created_at`, `updated_at`, `expired_at`;
/// `op` is one of `=` (default), `!=`, `>`, `>=`, `<`, `<=`, `><` (in a `|`-separated list),
/// `!><` (not in the list), `~` (case-insensitive LIKE with `%` and `_`, text fields only),
/// `!~`; `field=null` and `field!=null` test for null. Every filter must hold. An unknown
/// parameter, operator or malformed value is a 422 naming it. Bounds: at most 32 filters, 8
/// sort keys, 100 values in a list and 256 characters in a value or pattern; beyond one, a
/// 422 `too_long` naming `filters`, `sort_by` or the field, with the bound as `count`.
#[utoipa::path(
    get,
    path = "/api/v2/users",
    tag = "v2: users",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, default 50, values above 1000 clamp."),
        ("offset" = Option<u64>, Query, description = "Rows to skip."),
        ("sort_by" = Option<String>, Query, description = "`field[:asc|:desc]` items separated by `|`, at most 8; default `id:asc`."),
    ),
    responses(
        (status = 200, description = "A page of users; `count` is the number matching.", body = UserListResponse),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `users/index`.", body = ErrorEnvelope),
        (status = 422, description = "Unknown field or operator, malformed value, or a bound exceeded (32 filters, 8 sort keys, 100 list values, 256 characters).", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_users(
    state: web::Data<AppState>,
    auth: V2Auth,
    req: HttpRequest,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_INDEX)?;
    let user_query = query::user_query(req.query_string())?;
    let listed = state.directory.list_users(&principal, &user_query).await?;
    let users: Vec<UserBody> = listed.items.iter().map(UserBody::from).collect();
    let records = listed.items.iter().map(UserBody::from).collect();
    Ok(HttpResponse::Ok().json(UserListResponse {
        count: listed.total,
        users,
        records,
    }))
}

/// Creates a user (admins only); `username` and `password` are required.
#[utoipa::path(
    post,
    path = "/api/v2/users",
    tag = "v2: users",
    request_body(content = UserFieldsRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new user.", body = UserBody),
        (status = 400, description = "Malformed JSON.", body = ErrorEnvelope),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/create`.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ErrorEnvelope),
        (status = 422, description = "Validation failed (`blank`, `invalid`, `taken`, …).", body = ErrorEnvelope),
    )
)]
pub(crate) async fn create_user(
    state: web::Data<AppState>,
    auth: V2Auth,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_CREATE)?;
    let permit = state.directory.authorize_create_user(&principal)?;
    let body = read_json_object(&req, payload).await?;
    let user = state
        .directory
        .create_user(permit, user_input(body), CREATE_RULES)
        .await?;
    Ok(HttpResponse::Created().json(UserBody::from(&user)))
}

/// Reads one user.
#[utoipa::path(
    get,
    path = "/api/v2/users/{user_ref}",
    tag = "v2: users",
    params(("user_ref" = String, Path, description = "All digits: id; contains `@`: e-mail; else username.")),
    responses(
        (status = 200, description = "The user.", body = UserBody),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `users/show`.", body = ErrorEnvelope),
        (status = 404, description = "`User not found for id {user_ref}`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_user(
    state: web::Data<AppState>,
    auth: V2Auth,
    user_ref: web::Path<String>,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_SHOW)?;
    let user_ref = user_ref.into_inner();
    let user = state
        .directory
        .get_user(&principal, &parse_user_ref(&user_ref), &user_ref)
        .await?;
    Ok(HttpResponse::Ok().json(UserBody::from(&user)))
}

/// Partially updates a user: absent fields stay, `null` clears a nullable field.
#[utoipa::path(
    put,
    path = "/api/v2/users/{user_ref}",
    tag = "v2: users",
    params(("user_ref" = String, Path, description = "All digits: id; contains `@`: e-mail; else username.")),
    request_body(content = UserFieldsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated user.", body = UserBody),
        (status = 400, description = "Malformed JSON, or the change would leave no enabled admin.", body = ErrorEnvelope),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "Another user's record, or an admin-only field, without being an admin; or API key without `users/update`.", body = ErrorEnvelope),
        (status = 404, description = "`User not found for id {user_ref}`.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ErrorEnvelope),
        (status = 422, description = "Validation failed.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn update_user(
    state: web::Data<AppState>,
    auth: V2Auth,
    user_ref: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_UPDATE)?;
    apply_user_update(
        &state,
        &principal,
        user_ref.into_inner(),
        req,
        payload,
        user_input,
    )
    .await
}

/// Changes a user's password (the user themselves, or an admin); ends the user's other
/// sessions.
///
/// It goes through the update use case with the password as the only field: the rules are the
/// same (self or admin, the password policy, the revocation of other sessions), and that use
/// case reports a wrongly typed field as `invalid` after its 403/404 checks.
#[utoipa::path(
    put,
    path = "/api/v2/users/{user_ref}/password",
    tag = "v2: users",
    params(("user_ref" = String, Path, description = "All digits: id; contains `@`: e-mail; else username.")),
    request_body(content = PasswordRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The user.", body = UserBody),
        (status = 400, description = "Malformed JSON.", body = ErrorEnvelope),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "`User does not have access to update this resource.`, or API key without `users/update`.", body = ErrorEnvelope),
        (status = 404, description = "`User not found for id {user_ref}`.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ErrorEnvelope),
        (status = 422, description = "Password missing or against the policy.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn change_password(
    state: web::Data<AppState>,
    auth: V2Auth,
    user_ref: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_UPDATE)?;
    apply_user_update(
        &state,
        &principal,
        user_ref.into_inner(),
        req,
        payload,
        password_input,
    )
    .await
}

/// The shared body of `PUT /users/{ref}` and `PUT /users/{ref}/password`: 403/404 before any
/// body error (api.md 8), then the update use case with the body mapped by `to_input`.
async fn apply_user_update(
    state: &AppState,
    principal: &Principal,
    user_ref: String,
    req: HttpRequest,
    payload: web::Payload,
    to_input: fn(JsonObject) -> UserInput,
) -> V2Result {
    let permit = state
        .directory
        .authorize_user_change(principal, &parse_user_ref(&user_ref), &user_ref)
        .await?;
    let body = read_json_object(&req, payload).await?;
    let user = state
        .directory
        .update_user(permit, to_input(body), UPDATE_RULES)
        .await?;
    Ok(HttpResponse::Ok().json(UserBody::from(&user)))
}

/// Deletes a user (admins only, themselves included) with their sessions, keys and
/// configurations.
#[utoipa::path(
    delete,
    path = "/api/v2/users/{user_ref}",
    tag = "v2: users",
    params(("user_ref" = String, Path, description = "All digits: id; contains `@`: e-mail; else username.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`Cannot disable or demote the last enabled admin.`", body = ErrorEnvelope),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/destroy`.", body = ErrorEnvelope),
        (status = 404, description = "`User not found for id {user_ref}`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn delete_user(
    state: web::Data<AppState>,
    auth: V2Auth,
    user_ref: web::Path<String>,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_DESTROY)?;
    let user_ref = user_ref.into_inner();
    state
        .directory
        .delete_user(&principal, &parse_user_ref(&user_ref), &user_ref)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::json_object as object;
    use serde_json::json;

    #[test]
    fn every_known_field_maps_and_unknown_fields_are_ignored() {
        let input = user_input(object(json!({
            "username": "ann", "email": "a@x.org", "first_name": "Ann", "last_name": "Lee",
            "external_id": "e1", "language": "fr", "is_admin": true, "enabled": false,
            "expired_at": "2030-01-01T00:00:00Z", "user_id": 1000, "group_id": 100,
            "source_type": "cli_ldap", "password": "password-1",
            "id": 99, "uuid": "x", "password_hash": "$argon2id$…", "created_at": "never"
        })));
        assert_eq!(
            input,
            UserInput {
                username: Some(Some("ann".into())),
                email: Some(Some("a@x.org".into())),
                first_name: Some(Some("Ann".into())),
                last_name: Some(Some("Lee".into())),
                external_id: Some(Some("e1".into())),
                language: Some(Some("fr".into())),
                is_admin: Some(true),
                enabled: Some(false),
                expired_at: Some(Some("2030-01-01T00:00:00Z".into())),
                user_id: Some(Some(1000)),
                group_id: Some(Some(100)),
                source_type: Some("cli_ldap".into()),
                password: Some(Some("password-1".into())),
                malformed: vec![],
            }
        );
    }

    #[test]
    fn null_clears_and_absent_stays() {
        let input = user_input(object(json!({"email": null, "user_id": null})));
        assert_eq!(input.email, Some(None));
        assert_eq!(input.user_id, Some(None));
        assert_eq!(input.first_name, None);
        assert_eq!(input.is_admin, None);
        assert!(input.malformed.is_empty());
    }

    #[test]
    fn wrong_types_are_malformed() {
        let input = user_input(object(json!({
            "username": 5, "is_admin": "true", "enabled": null, "user_id": "1000",
            "group_id": 1.5, "source_type": null, "email": ["a@x.org"]
        })));
        assert_eq!(
            input.malformed,
            vec![
                "username",
                "email",
                "is_admin",
                "enabled",
                "user_id",
                "group_id",
                "source_type"
            ]
        );
        assert_eq!(input.username, None);
        assert_eq!(input.is_admin, None);
    }

    #[test]
    fn password_body_requires_a_string_password() {
        let input = password_input(object(json!({"password": "password-2", "is_admin": true})));
        assert_eq!(input.password, Some(Some("password-2".into())));
        assert_eq!(input.is_admin, None, "other fields are ignored");
        assert_eq!(password_input(object(json!({}))).password, Some(None));
        assert_eq!(
            password_input(object(json!({"password": null}))).password,
            Some(None)
        );
        let bad = password_input(object(json!({"password": 12345678})));
        assert_eq!((bad.password, bad.malformed), (None, vec!["password"]));
    }
}
