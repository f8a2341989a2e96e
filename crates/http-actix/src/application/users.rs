//! Application users: list (filters, sort, pages with absolute links), read by id or external
//! id, create, update (`PATCH` with the create rules) and delete. Usernames written here are
//! stored in lower case.

use super::dto::{
    ApplicationCreatedUser, ApplicationListMeta, ApplicationPagination, ApplicationResourceMeta,
    ApplicationUserItem, ApplicationUserList, ApplicationUserRequest,
};
use super::envelope::ApplicationErrorEnvelope;
use super::family::{AUDIENCE, ApplicationAuth, ApplicationResult, CREATE_RULES, UPDATE_RULES};
use super::query::{self, includes_servers, page_url};
use crate::body::{JsonFields, JsonObject, read_json_value};
use crate::error::Problem;
use crate::state::AppState;
use crate::state::base_url;
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::entities::{User, UserId, parse_numeric_id};
use rollcall_domain::ports::UserLookup;
use rollcall_domain::services::UserInput;
use rollcall_domain::values::Scope;
use serde_json::Value;

/// Maps an application user body into the domain's input: the fields Pterodactyl takes,
/// absent / null / value kept apart, wrongly typed ones listed as malformed (`root_admin` as
/// the domain's `is_admin`); unknown fields ignored.
pub(crate) fn user_input(body: JsonObject) -> UserInput {
    let mut f = JsonFields::new(body);
    let mut input = UserInput {
        email: f.nullable_string("email"),
        username: f.nullable_string("username"),
        first_name: f.nullable_string("first_name"),
        last_name: f.nullable_string("last_name"),
        external_id: f.nullable_string("external_id"),
        password: f.nullable_string("password"),
        language: f.nullable_string("language"),
        is_admin: f.boolean_or_bit("root_admin"),
        ..UserInput::default()
    };
    input.malformed = f
        .into_malformed()
        .into_iter()
        .map(|name| {
            if name == "root_admin" {
                "is_admin"
            } else {
                name
            }
        })
        .collect();
    input
}

/// Reads a JSON object body into the domain's input.
async fn read_user_input(req: &HttpRequest, payload: web::Payload) -> Result<UserInput, Problem> {
    match read_json_value(req, payload).await? {
        Value::Object(body) => Ok(user_input(body)),
        _ => Err(Problem::BadRequest(
            "The request body must be a JSON object.".into(),
        )),
    }
}

/// The lookup of a path id: all digits, else an id no user has (0 is never assigned), so that
/// anything else is a 404 like an unknown id.
fn by_id(raw: &str) -> UserLookup {
    UserLookup::Id(UserId(parse_numeric_id(raw).unwrap_or(0)))
}

/// A 200 with the user's item, with its servers when the query asks for them.
fn item_response(user: &User, req: &HttpRequest) -> HttpResponse {
    HttpResponse::Ok().json(ApplicationUserItem::new(
        user,
        includes_servers(req.query_string()),
    ))
}

/// The absolute URL of a user.
fn user_url(req: &HttpRequest, state: &AppState, id: UserId) -> String {
    format!(
        "{}/api/application/users/{id}",
        base_url(req, &state.settings)
    )
}

/// Lists users, a page at a time. At most 32 filters (repeats count), 8 sort keys and 256
/// characters in a filter value; beyond one, a 422 with rule `max` on `filter`, `sort` or
/// `filter[<name>]`.
#[utoipa::path(
    get,
    operation_id = "application_list_users",
    path = "/api/application/users",
    tag = "application: users",
    params(
        ("filter[email]" = Option<String>, Query, description = "Case-insensitive substring of at most 256 characters; `%` and `_` match literally."),
        ("filter[uuid]" = Option<String>, Query, description = "Case-insensitive substring."),
        ("filter[username]" = Option<String>, Query, description = "Case-insensitive substring."),
        ("filter[external_id]" = Option<String>, Query, description = "Case-insensitive substring."),
        ("sort" = Option<String>, Query, description = "`id`, `-id`, `uuid` or `-uuid` (several separated by commas, at most 8); default `id`."),
        ("page" = Option<u64>, Query, description = "From 1; below 1 reads as 1."),
        ("per_page" = Option<u32>, Query, description = "Default 50; above 1000 reads as 1000; below 1 is a 422."),
        ("include" = Option<String>, Query, description = "`servers` adds an (always empty) `attributes.relationships.servers` list."),
    ),
    responses(
        (status = 200, description = "A page of users, with absolute `links` to the neighbouring pages that exist.", body = ApplicationUserList),
        (status = 400, description = "Unknown filter or sort (`BadRequestHttpException`).", body = ApplicationErrorEnvelope),
        (status = 401, description = "`AuthenticationException`.", body = ApplicationErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/index`.", body = ApplicationErrorEnvelope),
        (status = 422, description = "Bad `page`/`per_page`, or a bound exceeded: more than 32 filters or 8 sort keys, a filter value over 256 characters (`ValidationException`, rule `max`).", body = ApplicationErrorEnvelope),
    )
)]
pub(crate) async fn list_users(
    state: web::Data<AppState>,
    auth: ApplicationAuth,
    req: HttpRequest,
) -> ApplicationResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_INDEX)?;
    let request = query::list_request(req.query_string())?;
    let listed = state
        .directory
        .list_users(&principal, &request.query)
        .await?;
    let base = base_url(&req, &state.settings);
    let link = |page| page_url(&base, req.path(), req.query_string(), page);
    Ok(HttpResponse::Ok().json(ApplicationUserList {
        object: "list",
        meta: ApplicationListMeta {
            pagination: ApplicationPagination::new(
                request.query.page,
                listed.total,
                listed.items.len(),
                link,
            ),
        },
        data: listed
            .items
            .iter()
            .map(|u| ApplicationUserItem::new(u, request.include_servers))
            .collect(),
    }))
}

/// Reads one user by id.
#[utoipa::path(
    get,
    operation_id = "application_get_user",
    path = "/api/application/users/{id}",
    tag = "application: users",
    params(
        ("id" = String, Path, description = "The numeric id; anything else is a 404."),
        ("include" = Option<String>, Query, description = "`servers`."),
    ),
    responses(
        (status = 200, description = "The user.", body = ApplicationUserItem),
        (status = 401, description = "`AuthenticationException`.", body = ApplicationErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/show`.", body = ApplicationErrorEnvelope),
        (status = 404, description = "`NotFoundHttpException`.", body = ApplicationErrorEnvelope),
    )
)]
pub(crate) async fn get_user(
    state: web::Data<AppState>,
    auth: ApplicationAuth,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApplicationResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_SHOW)?;
    let id = id.into_inner();
    let user = state
        .directory
        .get_user(&principal, &by_id(&id), &id)
        .await?;
    Ok(item_response(&user, &req))
}

/// Reads one user by external id (exact match).
#[utoipa::path(
    get,
    operation_id = "application_get_external_user",
    path = "/api/application/users/external/{external_id}",
    tag = "application: users",
    params(
        ("external_id" = String, Path, description = "The external id."),
        ("include" = Option<String>, Query, description = "`servers`."),
    ),
    responses(
        (status = 200, description = "The user.", body = ApplicationUserItem),
        (status = 401, description = "`AuthenticationException`.", body = ApplicationErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/show`.", body = ApplicationErrorEnvelope),
        (status = 404, description = "`NotFoundHttpException`.", body = ApplicationErrorEnvelope),
    )
)]
pub(crate) async fn get_external_user(
    state: web::Data<AppState>,
    auth: ApplicationAuth,
    external_id: web::Path<String>,
    req: HttpRequest,
) -> ApplicationResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_SHOW)?;
    let external_id = external_id.into_inner();
    let lookup = UserLookup::ExternalId(external_id.clone());
    let user = state
        .directory
        .get_user(&principal, &lookup, &external_id)
        .await?;
    Ok(item_response(&user, &req))
}

/// Creates a user: `email`, `username`, `first_name` and `last_name` required.
#[utoipa::path(
    post,
    operation_id = "application_create_user",
    path = "/api/application/users",
    tag = "application: users",
    request_body(content = ApplicationUserRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new user, and its absolute URL in `meta.resource`.", body = ApplicationCreatedUser),
        (status = 400, description = "Malformed JSON, or not an object (`BadRequestHttpException`).", body = ApplicationErrorEnvelope),
        (status = 401, description = "`AuthenticationException`.", body = ApplicationErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/create`.", body = ApplicationErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ApplicationErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ApplicationErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ApplicationErrorEnvelope),
        (status = 422, description = "One entry per failed rule (`ValidationException`).", body = ApplicationErrorEnvelope),
    )
)]
pub(crate) async fn create_user(
    state: web::Data<AppState>,
    auth: ApplicationAuth,
    req: HttpRequest,
    payload: web::Payload,
) -> ApplicationResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_CREATE)?;
    let permit = state.directory.authorize_create_user(&principal)?;
    let input = read_user_input(&req, payload).await?;
    let user = state
        .directory
        .create_user(permit, input, CREATE_RULES)
        .await?;
    Ok(HttpResponse::Created().json(ApplicationCreatedUser {
        item: ApplicationUserItem::new(&user, includes_servers(req.query_string())),
        meta: ApplicationResourceMeta {
            resource: user_url(&req, &state, user.id),
        },
    }))
}

/// Updates a user with the create rules (`email`, `username`, `first_name`, `last_name`
/// required; the user's own values do not clash with themselves); a null or empty `password`
/// leaves it unchanged.
#[utoipa::path(
    patch,
    operation_id = "application_update_user",
    path = "/api/application/users/{id}",
    tag = "application: users",
    params(
        ("id" = String, Path, description = "The numeric id; anything else is a 404."),
        ("include" = Option<String>, Query, description = "`servers`."),
    ),
    request_body(content = ApplicationUserRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated user.", body = ApplicationUserItem),
        (status = 400, description = "Malformed JSON (`BadRequestHttpException`), or the last enabled admin (`DisplayException`).", body = ApplicationErrorEnvelope),
        (status = 401, description = "`AuthenticationException`.", body = ApplicationErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/update`.", body = ApplicationErrorEnvelope),
        (status = 404, description = "`NotFoundHttpException`.", body = ApplicationErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ApplicationErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ApplicationErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ApplicationErrorEnvelope),
        (status = 422, description = "One entry per failed rule (`ValidationException`).", body = ApplicationErrorEnvelope),
    )
)]
pub(crate) async fn update_user(
    state: web::Data<AppState>,
    auth: ApplicationAuth,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApplicationResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_UPDATE)?;
    let id = id.into_inner();
    let permit = state
        .directory
        .authorize_user_change(&principal, &by_id(&id), &id)
        .await?;
    let input = read_user_input(&req, payload).await?;
    let user = state
        .directory
        .update_user(permit, input, UPDATE_RULES)
        .await?;
    Ok(item_response(&user, &req))
}

/// Deletes a user with their sessions, keys and configurations.
#[utoipa::path(
    delete,
    operation_id = "application_delete_user",
    path = "/api/application/users/{id}",
    tag = "application: users",
    params(("id" = String, Path, description = "The numeric id; anything else is a 404.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The last enabled admin (`DisplayException`).", body = ApplicationErrorEnvelope),
        (status = 401, description = "`AuthenticationException`.", body = ApplicationErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/destroy`.", body = ApplicationErrorEnvelope),
        (status = 404, description = "`NotFoundHttpException`.", body = ApplicationErrorEnvelope),
    )
)]
pub(crate) async fn delete_user(
    state: web::Data<AppState>,
    auth: ApplicationAuth,
    id: web::Path<String>,
) -> ApplicationResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_DESTROY)?;
    let id = id.into_inner();
    state
        .directory
        .delete_user(&principal, &by_id(&id), &id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::json_object as object;
    use serde_json::json;

    #[test]
    fn pterodactyl_fields_map_and_others_are_ignored() {
        let input = user_input(object(json!({
            "email": "a@x.org", "username": "Ann", "first_name": "Ann", "last_name": "Lee",
            "external_id": null, "password": "", "language": "fr", "root_admin": 1,
            "enabled": false, "is_admin": true, "id": 9
        })));
        assert_eq!(
            input,
            UserInput {
                email: Some(Some("a@x.org".into())),
                username: Some(Some("Ann".into())),
                first_name: Some(Some("Ann".into())),
                last_name: Some(Some("Lee".into())),
                external_id: Some(None),
                password: Some(Some(String::new())),
                language: Some(Some("fr".into())),
                is_admin: Some(true),
                ..UserInput::default()
            }
        );
    }

    #[test]
    fn wrong_types_are_malformed_under_domain_names() {
        let input = user_input(object(json!({"first_name": 5, "root_admin": "yes"})));
        assert_eq!(input.malformed, vec!["first_name", "is_admin"]);
    }

    #[test]
    fn only_digits_make_an_id() {
        assert_eq!(by_id("42"), UserLookup::Id(UserId(42)));
        for not_an_id in ["abc", "+4", "-4", "4.0", "", "99999999999999999999"] {
            assert_eq!(by_id(not_an_id), UserLookup::Id(UserId(0)), "{not_an_id}");
        }
    }
}
