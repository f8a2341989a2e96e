//! The v2 family (Nodeum v2 merged with Empire v2): `POST /token` and `/api/v2/…`.
//!
//! Every handler takes the [`Authenticated`](crate::auth::Authenticated) principal (except the
//! two that issue sessions), states its scope in one line, reads its body only then, calls one
//! `Directory` use case and renders a [`dto`] body. Every error is a [`V2Error`], rendered in
//! the [`envelope`].

pub(crate) mod api_keys;
mod audit;
pub(crate) mod configurations;
mod dto;
pub(crate) mod envelope;
mod family;
pub(crate) mod filters;
mod meta;
mod query;
mod request_docs;
pub(crate) mod sessions;
pub(crate) mod systems;
pub(crate) mod users;

use crate::routes::{Mounted, Routes};
use utoipa::OpenApi;

pub(crate) use family::V2;

/// The v2 operations of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    sessions::issue_token,
    sessions::sign_in,
    sessions::sign_out,
    users::get_current_user,
    users::list_users,
    users::create_user,
    users::get_user,
    users::update_user,
    users::change_password,
    users::delete_user,
    configurations::list_configurations,
    configurations::create_configuration,
    configurations::get_configuration,
    configurations::update_configuration,
    configurations::delete_configuration,
    api_keys::list_api_keys,
    api_keys::create_api_key,
    api_keys::get_api_key,
    api_keys::update_api_key,
    api_keys::delete_api_key,
    systems::list_os_users,
    systems::list_os_groups,
    meta::get_version,
    audit::list_audit_events,
))]
struct V2Api;

impl Mounted for V2 {
    /// Fixed paths come before the `{user_ref}` patterns that would also match them.
    fn routes() -> Routes<Self> {
        Routes::new()
            .route::<sessions::__path_issue_token, _, _>(sessions::issue_token)
            .route::<sessions::__path_sign_in, _, _>(sessions::sign_in)
            .route::<sessions::__path_sign_out, _, _>(sessions::sign_out)
            .route::<users::__path_get_current_user, _, _>(users::get_current_user)
            .route::<configurations::__path_list_configurations, _, _>(
                configurations::list_configurations,
            )
            .route::<configurations::__path_create_configuration, _, _>(
                configurations::create_configuration,
            )
            .route::<configurations::__path_get_configuration, _, _>(
                configurations::get_configuration,
            )
            .route::<configurations::__path_update_configuration, _, _>(
                configurations::update_configuration,
            )
            .route::<configurations::__path_delete_configuration, _, _>(
                configurations::delete_configuration,
            )
            .route::<api_keys::__path_list_api_keys, _, _>(api_keys::list_api_keys)
            .route::<api_keys::__path_create_api_key, _, _>(api_keys::create_api_key)
            .route::<api_keys::__path_get_api_key, _, _>(api_keys::get_api_key)
            .route::<api_keys::__path_update_api_key, _, _>(api_keys::update_api_key)
            .route::<api_keys::__path_delete_api_key, _, _>(api_keys::delete_api_key)
            .route::<systems::__path_list_os_users, _, _>(systems::list_os_users)
            .route::<systems::__path_list_os_groups, _, _>(systems::list_os_groups)
            .route::<meta::__path_get_version, _, _>(meta::get_version)
            .route::<audit::__path_list_audit_events, _, _>(audit::list_audit_events)
            .route::<users::__path_list_users, _, _>(users::list_users)
            .route::<users::__path_create_user, _, _>(users::create_user)
            .route::<users::__path_get_user, _, _>(users::get_user)
            .route::<users::__path_update_user, _, _>(users::update_user)
            .route::<users::__path_delete_user, _, _>(users::delete_user)
            .route::<users::__path_change_password, _, _>(users::change_password)
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        V2Api::openapi()
    }
}
