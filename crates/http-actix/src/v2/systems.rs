//! The operating system's users and groups (admins only).

use super::dto::{OsGroupBody, OsGroupListResponse, OsUserBody, OsUserListResponse};
use super::envelope::ErrorEnvelope;
use super::family::{V2Auth, V2Result};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use rollcall_domain::values::Scope;

/// Lists the OS users (from the passwd database).
#[utoipa::path(
    get,
    path = "/api/v2/users/-/systems",
    tag = "v2: systems",
    responses(
        (status = 200, description = "Every OS user.", body = OsUserListResponse),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `users/systems`.", body = ErrorEnvelope),
        (status = 503, description = "The account database cannot be read.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_os_users(state: web::Data<AppState>, auth: V2Auth) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::USERS_SYSTEMS)?;
    let users = state.directory.list_os_users(&principal).await?;
    Ok(HttpResponse::Ok().json(OsUserListResponse {
        count: users.len(),
        users: users.iter().map(OsUserBody::from).collect(),
    }))
}

/// Lists the OS groups (from the group database).
#[utoipa::path(
    get,
    path = "/api/v2/groups/-/systems",
    tag = "v2: systems",
    responses(
        (status = 200, description = "Every OS group.", body = OsGroupListResponse),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or API key without `groups/systems`.", body = ErrorEnvelope),
        (status = 503, description = "The group database cannot be read.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_os_groups(state: web::Data<AppState>, auth: V2Auth) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::GROUPS_SYSTEMS)?;
    let groups = state.directory.list_os_groups(&principal).await?;
    Ok(HttpResponse::Ok().json(OsGroupListResponse {
        count: groups.len(),
        groups: groups.iter().map(OsGroupBody::from).collect(),
    }))
}
