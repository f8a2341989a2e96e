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
mod query;
mod request_docs;
pub(crate) mod sessions;
pub(crate) mod systems;
pub(crate) mod users;

use crate::error::{Family, FamilyError, InFamily, method_not_allowed};
use actix_web::{HttpResponse, web};

/// The v2 family's marker: its errors render in the v2 [`envelope`].
#[derive(Debug)]
pub(crate) struct V2;

impl InFamily for V2 {
    const FAMILY: Family = Family::V2;
}

/// Any v2 error: a [`Problem`](crate::error::Problem) rendered in the v2 envelope.
pub(crate) type V2Error = FamilyError<V2>;

/// What every v2 handler returns.
pub(crate) type V2Result = Result<HttpResponse, V2Error>;

/// Mounts the v2 routes. Fixed paths come before the `{user_ref}` patterns that would also
/// match them; a known path with another method answers 405.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/token")
            .route(web::post().to(sessions::issue_token))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/v2/users/sign_in")
            .route(web::post().to(sessions::sign_in))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/api/v2/users/sign_out")
            .route(web::delete().to(sessions::sign_out))
            .default_service(method_not_allowed("DELETE")),
    )
    .service(
        web::resource("/api/v2/users/me")
            .route(web::get().to(users::get_current_user))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/v2/users/me/configurations")
            .route(web::get().to(configurations::list_configurations))
            .route(web::post().to(configurations::create_configuration))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/v2/users/me/configurations/{configuration_ref}")
            .route(web::get().to(configurations::get_configuration))
            .route(web::put().to(configurations::update_configuration))
            .route(web::delete().to(configurations::delete_configuration))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/api/v2/users/me/api_keys")
            .route(web::get().to(api_keys::list_api_keys))
            .route(web::post().to(api_keys::create_api_key))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/v2/users/me/api_keys/{api_key_id}")
            .route(web::get().to(api_keys::get_api_key))
            .route(web::put().to(api_keys::update_api_key))
            .route(web::delete().to(api_keys::delete_api_key))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/api/v2/users/-/systems")
            .route(web::get().to(systems::list_os_users))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/v2/groups/-/systems")
            .route(web::get().to(systems::list_os_groups))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/v2/users")
            .route(web::get().to(users::list_users))
            .route(web::post().to(users::create_user))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/v2/users/{user_ref}")
            .route(web::get().to(users::get_user))
            .route(web::put().to(users::update_user))
            .route(web::delete().to(users::delete_user))
            .default_service(method_not_allowed("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/api/v2/users/{user_ref}/password")
            .route(web::put().to(users::change_password))
            .default_service(method_not_allowed("PUT")),
    );
}
