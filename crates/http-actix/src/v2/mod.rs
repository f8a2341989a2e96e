//! The v2 family (Nodeum v2 merged with Empire v2): `POST /token` and `/api/v2/…`.
//!
//! Every handler takes the [`Authenticated`](crate::auth::Authenticated) principal (except the
//! two that issue sessions), states its scope in one line, reads its body only then, calls one
//! `Directory` use case and renders a [`dto`] body. Every error is a [`V2Error`], rendered in
//! the [`envelope`].

pub(crate) mod api_keys;
pub(crate) mod configurations;
mod dto;
pub(crate) mod envelope;
mod family;
mod filters;
mod query;
mod request_docs;
pub(crate) mod sessions;
pub(crate) mod systems;
pub(crate) mod users;

use crate::routes::{Endpoint, Mounted};
use actix_web::http::Method;
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
))]
struct V2Api;

impl Mounted for V2 {
    /// Fixed paths come before the `{user_ref}` patterns that would also match them.
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![
            Endpoint::new("/token").on(Method::POST, sessions::issue_token),
            Endpoint::new("/api/v2/users/sign_in").on(Method::POST, sessions::sign_in),
            Endpoint::new("/api/v2/users/sign_out").on(Method::DELETE, sessions::sign_out),
            Endpoint::new("/api/v2/users/me").on(Method::GET, users::get_current_user),
            Endpoint::new("/api/v2/users/me/configurations")
                .on(Method::GET, configurations::list_configurations)
                .on(Method::POST, configurations::create_configuration),
            Endpoint::new("/api/v2/users/me/configurations/{configuration_ref}")
                .on(Method::GET, configurations::get_configuration)
                .on(Method::PUT, configurations::update_configuration)
                .on(Method::DELETE, configurations::delete_configuration),
            Endpoint::new("/api/v2/users/me/api_keys")
                .on(Method::GET, api_keys::list_api_keys)
                .on(Method::POST, api_keys::create_api_key),
            Endpoint::new("/api/v2/users/me/api_keys/{api_key_id}")
                .on(Method::GET, api_keys::get_api_key)
                .on(Method::PUT, api_keys::update_api_key)
                .on(Method::DELETE, api_keys::delete_api_key),
            Endpoint::new("/api/v2/users/-/systems").on(Method::GET, systems::list_os_users),
            Endpoint::new("/api/v2/groups/-/systems").on(Method::GET, systems::list_os_groups),
            Endpoint::new("/api/v2/users")
                .on(Method::GET, users::list_users)
                .on(Method::POST, users::create_user),
            Endpoint::new("/api/v2/users/{user_ref}")
                .on(Method::GET, users::get_user)
                .on(Method::PUT, users::update_user)
                .on(Method::DELETE, users::delete_user),
            Endpoint::new("/api/v2/users/{user_ref}/password")
                .on(Method::PUT, users::change_password),
        ]
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        V2Api::openapi()
    }
}
