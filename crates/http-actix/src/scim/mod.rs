//! The SCIM 2.0 family (RFC 7643/7644): `/scim/v2/…`, so identity providers (Microsoft Entra
//! ID, Okta, OneLogin, authentik, Keycloak) provision users into the directory that the other
//! families read. An admin's API key as Bearer (or Basic); bodies `application/scim+json` (or
//! `application/json`); errors in the SCIM envelope (see [`envelope`]).
//!
//! Discovery ([`discovery`]) is public; every Users handler ([`users`]) takes the
//! [`Authenticated`](crate::auth::Authenticated) principal and checks, in one line, that it is
//! an admin and that its key holds the route's scope, then calls one `Directory` use case.
//! Filters become the domain's listing model ([`filter`], [`listing`]); PATCH is applied to
//! the rendered resource ([`patch`]) and written like a PUT ([`resource`]).

pub(crate) mod discovery;
pub(crate) mod dto;
pub(crate) mod envelope;
mod family;
pub(crate) mod filter;
pub(crate) mod listing;
pub(crate) mod patch;
pub(crate) mod resource;
pub(crate) mod users;

use crate::routes::{Mounted, Routes};
use utoipa::OpenApi;

pub(crate) use family::Scim;

/// The SCIM operations of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    discovery::get_service_provider_config,
    discovery::list_resource_types,
    discovery::get_resource_type,
    discovery::list_schemas,
    discovery::get_schema,
    users::list_users,
    users::create_user,
    users::search_users,
    users::search,
    users::get_user,
    users::replace_user,
    users::patch_user,
    users::delete_user,
))]
struct ScimApi;

impl Mounted for Scim {
    fn routes() -> Routes<Self> {
        Routes::new()
            .route::<discovery::__path_get_service_provider_config, _, _>(
                discovery::get_service_provider_config,
            )
            .route::<discovery::__path_list_resource_types, _, _>(discovery::list_resource_types)
            .route::<discovery::__path_get_resource_type, _, _>(discovery::get_resource_type)
            .route::<discovery::__path_list_schemas, _, _>(discovery::list_schemas)
            .route::<discovery::__path_get_schema, _, _>(discovery::get_schema)
            .route::<users::__path_search, _, _>(users::search)
            .route::<users::__path_list_users, _, _>(users::list_users)
            .route::<users::__path_create_user, _, _>(users::create_user)
            .route::<users::__path_search_users, _, _>(users::search_users)
            .route::<users::__path_get_user, _, _>(users::get_user)
            .route::<users::__path_replace_user, _, _>(users::replace_user)
            .route::<users::__path_patch_user, _, _>(users::patch_user)
            .route::<users::__path_delete_user, _, _>(users::delete_user)
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        ScimApi::openapi()
    }
}
