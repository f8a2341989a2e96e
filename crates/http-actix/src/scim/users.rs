//! SCIM Users (RFC 7644 §3): create, read, list and search (filters, sorting, 1-based pages,
//! attribute projection), replace (PUT), PATCH and delete, each over the same `Directory`
//! use cases as the other families. `id` is the user's UUID; anything else is a 404.
//!
//! PATCH is applied to the user as this family renders it (`super::patch`), and the
//! resulting document is then written like a PUT body, so both go through one reader and one
//! use case.

use super::dto::{ScimPatchRequest, ScimSearchRequest, ScimUser, ScimUserList, ScimUserRequest};
use super::envelope::{SCIM_JSON, ScimErrorEnvelope, scim_json};
use super::family::{AUDIENCE, CREATE_RULES, ScimAuth, ScimResult, UPDATE_RULES};
use super::listing::{LIST_RESPONSE_SCHEMA, ListParams, ListRequest, list_request};
use super::patch::{PatchError, apply_patch, parse_patch};
use super::resource::{
    Projection, object_body, project, render_user, settle_patched, user_input, version,
};
use crate::body::read_json_value;
use crate::error::Problem;
use crate::state::{AppState, base_url};
use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::entities::User;
use rollcall_domain::ports::UserLookup;
use rollcall_domain::services::Principal;
use rollcall_domain::values::Scope;
use serde_json::{Value, json};
use uuid::Uuid;

/// The lookup of a path id: a UUID, else a UUID no user has (the nil UUID is never
/// assigned), so that anything else is a 404 like an unknown id.
fn by_uuid(raw: &str) -> UserLookup {
    UserLookup::Uuid(Uuid::parse_str(raw).unwrap_or(Uuid::nil()))
}

/// One user, with its `ETag` (and `Location` when created).
fn user_response(
    status: StatusCode,
    user: &User,
    base: &str,
    projection: &Projection,
) -> HttpResponse {
    let doc = render_user(user, base);
    let location = doc["meta"]["location"].as_str().map(str::to_owned);
    let mut builder = HttpResponse::build(status);
    builder.content_type(SCIM_JSON);
    builder.insert_header((ETAG, version(user)));
    if status == StatusCode::CREATED
        && let Some(location) = location
    {
        builder.insert_header((LOCATION, location));
    }
    builder.body(serde_json::to_vec(&project(doc, projection)).unwrap_or_default())
}

/// The projection of a single-resource request's query string.
///
/// # Errors
/// [`Problem::Refused`] `tooMany` beyond [`super::resource::MAX_PROJECTED_PATHS`] paths.
fn projection_of(req: &HttpRequest) -> Result<Projection, Problem> {
    let params = ListParams::from_query(req.query_string());
    Projection::read(
        params.attributes.as_deref(),
        params.excluded_attributes.as_deref(),
    )
}

/// Runs a listing and renders its page.
async fn listing(
    state: &AppState,
    principal: &Principal,
    request: ListRequest,
    base: &str,
) -> ScimResult {
    let listed = state
        .directory
        .list_users(principal, &request.query)
        .await?;
    let resources: Vec<Value> = if request.shown > 0 {
        listed
            .items
            .iter()
            .map(|u| Value::Object(project(render_user(u, base), &request.projection)))
            .collect()
    } else {
        Vec::new()
    };
    let mut body = json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": listed.total,
        "startIndex": request.query.page.start_index(),
        "itemsPerPage": resources.len(),
    });
    if request.shown > 0 {
        body["Resources"] = Value::Array(resources);
    }
    Ok(scim_json(StatusCode::OK, &body))
}

/// Lists users, a page at a time.
#[utoipa::path(
    get,
    operation_id = "scim_list_users",
    path = "/scim/v2/Users",
    tag = "scim: users",
    params(
        ("filter" = Option<String>, Query, description = "A filter (RFC 7644 §3.4.2.2): eq, ne, co, sw, ew, pr, gt, ge, lt, le, and, or, not, parentheses, `emails[…]`; on userName, externalId, id, name.givenName, name.familyName, emails(.value), active, preferredLanguage, locale, meta.created, meta.lastModified. At most 32 comparisons nested 16 deep."),
        ("startIndex" = Option<i64>, Query, description = "1-based; below 1 reads as 1."),
        ("count" = Option<i64>, Query, description = "Page size, default 100; above 1000 reads as 1000; 0 or below gives only totalResults."),
        ("sortBy" = Option<String>, Query, description = "An attribute the filter takes."),
        ("sortOrder" = Option<String>, Query, description = "`ascending` (default) or `descending`."),
        ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return (with `id` and `schemas`)."),
        ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes not to return."),
    ),
    responses(
        (status = 200, description = "A ListResponse.", body = ScimUserList, content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter`, `tooMany` or `invalidValue`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 401, description = "No or bad credentials.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 403, description = "Not an admin, or an API key without `users/index`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn list_users(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
) -> ScimResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_INDEX)?;
    let request = list_request(&ListParams::from_query(req.query_string()))?;
    listing(
        &state,
        &principal,
        request,
        &base_url(&req, &state.settings),
    )
    .await
}

/// Searches users with a `SearchRequest` body; served at `/scim/v2/Users/.search` and at the
/// root `/scim/v2/.search` (users are the only resource type).
#[utoipa::path(
    post,
    operation_id = "scim_search_users",
    path = "/scim/v2/Users/.search",
    tag = "scim: users",
    request_body(content = ScimSearchRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "A ListResponse.", body = ScimUserList, content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter`, `tooMany`, `invalidValue` or `invalidSyntax`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 401, description = "No or bad credentials.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 403, description = "Not an admin, or an API key without `users/index`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 413, description = "Body over 64 KiB.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 415, description = "Not JSON.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn search_users(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    payload: web::Payload,
) -> ScimResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_INDEX)?;
    let body = read_json_value(&req, payload).await?;
    let request = list_request(&ListParams::from_search_body(&body)?)?;
    listing(
        &state,
        &principal,
        request,
        &base_url(&req, &state.settings),
    )
    .await
}

/// The root search, the same as [`search_users`].
#[utoipa::path(
    post,
    operation_id = "scim_search",
    path = "/scim/v2/.search",
    tag = "scim: users",
    request_body(content = ScimSearchRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "A ListResponse of users.", body = ScimUserList, content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter`, `tooMany`, `invalidValue` or `invalidSyntax`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 401, description = "No or bad credentials.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 403, description = "Not an admin, or an API key without `users/index`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 413, description = "Body over 64 KiB.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 415, description = "Not JSON.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn search(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    payload: web::Payload,
) -> ScimResult {
    search_users(state, auth, req, payload).await
}

/// Reads one user.
#[utoipa::path(
    get,
    operation_id = "scim_get_user",
    path = "/scim/v2/Users/{id}",
    tag = "scim: users",
    params(
        ("id" = String, Path, description = "The user's UUID; anything else is a 404."),
        ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return."),
        ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes not to return."),
    ),
    responses(
        (status = 200, description = "The user, with its `ETag`.", body = ScimUser, content_type = "application/scim+json"),
        (status = 401, description = "No or bad credentials.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 403, description = "Not an admin, or an API key without `users/show`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 404, description = "No such user.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn get_user(
    state: web::Data<AppState>,
    auth: ScimAuth,
    id: web::Path<String>,
    req: HttpRequest,
) -> ScimResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_SHOW)?;
    // Read before any write, so that a refused projection changes nothing.
    let projection = projection_of(&req)?;
    let user = state
        .directory
        .get_user(&principal, &by_uuid(&id), &id)
        .await?;
    let base = base_url(&req, &state.settings);
    Ok(user_response(StatusCode::OK, &user, &base, &projection))
}

/// Creates a user: `userName` required.
#[utoipa::path(
    post,
    operation_id = "scim_create_user",
    path = "/scim/v2/Users",
    tag = "scim: users",
    request_body(content = ScimUserRequest, content_type = "application/scim+json"),
    responses(
        (status = 201, description = "The new user, with `Location` and `ETag`.", body = ScimUser, content_type = "application/scim+json"),
        (status = 400, description = "`invalidValue` (naming the attributes) or `invalidSyntax`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 401, description = "No or bad credentials.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 403, description = "Not an admin, or an API key without `users/create`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`: the userName, e-mail or externalId is taken (through any family).", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 413, description = "Body over 64 KiB.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 415, description = "Not JSON.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn create_user(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    payload: web::Payload,
) -> ScimResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_CREATE)?;
    // Read before any write, so that a refused projection changes nothing.
    let projection = projection_of(&req)?;
    let permit = state.directory.authorize_create_user(&principal)?;
    let body = object_body(read_json_value(&req, payload).await?)?;
    let user = state
        .directory
        .create_user(permit, user_input(body, false), CREATE_RULES)
        .await?;
    let base = base_url(&req, &state.settings);
    Ok(user_response(
        StatusCode::CREATED,
        &user,
        &base,
        &projection,
    ))
}

/// Replaces a user: absent `externalId`, `name` parts and `emails` are cleared; `active` and
/// `preferredLanguage` stay when absent.
#[utoipa::path(
    put,
    operation_id = "scim_replace_user",
    path = "/scim/v2/Users/{id}",
    tag = "scim: users",
    params(("id" = String, Path, description = "The user's UUID; anything else is a 404.")),
    request_body(content = ScimUserRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "The user.", body = ScimUser, content_type = "application/scim+json"),
        (status = 400, description = "`invalidValue`, `invalidSyntax`, or the last enabled admin (no `scimType`).", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 401, description = "No or bad credentials.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 403, description = "Not an admin, an API key without `users/update`, or an API key changing a password.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 404, description = "No such user.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 413, description = "Body over 64 KiB.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 415, description = "Not JSON.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn replace_user(
    state: web::Data<AppState>,
    auth: ScimAuth,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ScimResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_UPDATE)?;
    // Read before any write, so that a refused projection changes nothing.
    let projection = projection_of(&req)?;
    let permit = state
        .directory
        .authorize_user_change(&principal, &by_uuid(&id), &id)
        .await?;
    let body = object_body(read_json_value(&req, payload).await?)?;
    let user = state
        .directory
        .update_user(permit, user_input(body, true), UPDATE_RULES)
        .await?;
    let base = base_url(&req, &state.settings);
    Ok(user_response(StatusCode::OK, &user, &base, &projection))
}

/// A PATCH refusal as the SCIM error it is.
fn patch_problem(e: PatchError) -> Problem {
    let rule = match &e {
        PatchError::InvalidSyntax(_) => "invalidSyntax",
        PatchError::InvalidPath(_) => "invalidPath",
        PatchError::NoTarget(_) => "noTarget",
        PatchError::Mutability(_) => "mutability",
        PatchError::InvalidValue(_) => "invalidValue",
        PatchError::TooMany(_) => "tooMany",
    };
    Problem::Refused {
        rule,
        message: e.to_string(),
    }
}

/// Changes a user with PATCH operations (RFC 7644 §3.5.2), all or nothing.
#[utoipa::path(
    patch,
    operation_id = "scim_patch_user",
    path = "/scim/v2/Users/{id}",
    tag = "scim: users",
    params(("id" = String, Path, description = "The user's UUID; anything else is a 404.")),
    request_body(content = ScimPatchRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "The user after every operation.", body = ScimUser, content_type = "application/scim+json"),
        (status = 400, description = "`invalidSyntax`, `invalidPath`, `noTarget`, `mutability`, `invalidValue`, `tooMany`, or the last enabled admin (no `scimType`).", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 401, description = "No or bad credentials.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 403, description = "Not an admin, an API key without `users/update`, or an API key changing a password.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 404, description = "No such user.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 413, description = "Body over 64 KiB.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 415, description = "Not JSON.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn patch_user(
    state: web::Data<AppState>,
    auth: ScimAuth,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ScimResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_UPDATE)?;
    // Read before any write, so that a refused projection changes nothing.
    let projection = projection_of(&req)?;
    let permit = state
        .directory
        .authorize_user_change(&principal, &by_uuid(&id), &id)
        .await?;
    let operations = parse_patch(&read_json_value(&req, payload).await?).map_err(patch_problem)?;
    let base = base_url(&req, &state.settings);
    let before = render_user(permit.target(), &base);
    let mut doc = before.clone();
    apply_patch(&mut doc, &operations).map_err(patch_problem)?;
    settle_patched(&mut doc, &before)?;
    let user = state
        .directory
        .update_user(permit, user_input(doc, true), UPDATE_RULES)
        .await?;
    Ok(user_response(StatusCode::OK, &user, &base, &projection))
}

/// Deletes a user with their sessions, keys and configurations.
#[utoipa::path(
    delete,
    operation_id = "scim_delete_user",
    path = "/scim/v2/Users/{id}",
    tag = "scim: users",
    params(("id" = String, Path, description = "The user's UUID; anything else is a 404.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The last enabled admin.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 401, description = "No or bad credentials.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 403, description = "Not an admin, or an API key without `users/destroy`.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
        (status = 404, description = "No such user.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn delete_user(
    state: web::Data<AppState>,
    auth: ScimAuth,
    id: web::Path<String>,
) -> ScimResult {
    let principal = auth.principal;
    principal.admit(AUDIENCE, Scope::USERS_DESTROY)?;
    state
        .directory
        .delete_user(&principal, &by_uuid(&id), &id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
