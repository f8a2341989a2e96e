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

use crate::error::{Family, Problem, method_not_allowed};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use rollcall_domain::services::ServiceError;
use std::fmt;

/// Any v2 error: a [`Problem`] rendered in the v2 envelope.
#[derive(Debug)]
pub(crate) struct V2Error(pub Problem);

impl From<ServiceError> for V2Error {
    fn from(e: ServiceError) -> Self {
        Self(Problem::Service(e))
    }
}

impl From<Problem> for V2Error {
    fn from(p: Problem) -> Self {
        Self(p)
    }
}

impl fmt::Display for V2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for V2Error {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        Family::V2.render(&self.0)
    }
}

/// What every v2 handler returns.
pub(crate) type V2Result = Result<HttpResponse, V2Error>;

/// api.md 8 answers 403 (and a 404 for the target) before any body error. When a body cannot
/// be read, the handler asks its use case again with an empty input — which never writes: an
/// empty update changes nothing and an empty create fails validation — and answers the
/// use case's refusal if there is one, else the body's problem.
pub(crate) fn refusal_before_body<T>(
    probe: Result<T, ServiceError>,
    body_problem: Problem,
) -> V2Error {
    match probe {
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::NotFound(_))) => e.into(),
        Err(e @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => e.into(),
        _ => body_problem.into(),
    }
}

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
