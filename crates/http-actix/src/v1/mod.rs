//! The v1 family (Unryo portal API v1): `/api/v1/users…`, HTTP Basic (session tokens and API
//! keys work too), success bodies in a `{"value": …}` envelope except the single-user `GET`,
//! and errors as a bare JSON string in the style of Go's validator (see [`envelope`]).
//!
//! Users are addressed by username, case-insensitively. Every handler takes the
//! [`Authenticated`](crate::auth::Authenticated) principal, states its scope in one line, reads
//! its body only then, calls one `Directory` use case and renders a [`dto`] body.

pub(crate) mod dto;
pub(crate) mod envelope;
pub(crate) mod users;

use crate::error::{Family, FamilyError, InFamily, method_not_allowed};
use actix_web::{HttpResponse, web};

/// The v1 family's marker: its errors render in the v1 [`envelope`].
#[derive(Debug)]
pub(crate) struct V1;

impl InFamily for V1 {
    const FAMILY: Family = Family::V1;
}

/// Any v1 error: a [`Problem`](crate::error::Problem) rendered as a v1 error string.
pub(crate) type V1Error = FamilyError<V1>;

/// What every v1 handler returns.
pub(crate) type V1Result = Result<HttpResponse, V1Error>;

/// Mounts the v1 routes; a known path with another method answers 405.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/users")
            .route(web::get().to(users::list_users))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/v1/users/{username}")
            .route(web::get().to(users::get_user))
            .route(web::put().to(users::create_user))
            .route(web::patch().to(users::change_password))
            .route(web::delete().to(users::delete_user))
            .default_service(method_not_allowed("GET, PUT, PATCH, DELETE")),
    );
}
