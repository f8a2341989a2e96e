//! The application family (Pterodactyl's application API): `/api/application/users…`, an API
//! key as Bearer (Basic and session tokens work too), Fractal-shaped bodies (see [`dto`]) and
//! the `{"errors": [...]}` envelope (see [`envelope`]).
//!
//! The family is admin-only: every handler takes the
//! [`Authenticated`](crate::auth::Authenticated) principal and checks, in one line, that it is
//! an admin and then that its key holds the route's scope; it reads its body only then, calls
//! one `Directory` use case and renders.

pub(crate) mod dto;
pub(crate) mod envelope;
mod query;
pub(crate) mod users;

use crate::error::{Family, FamilyError, InFamily, method_not_allowed};
use actix_web::{HttpResponse, web};

/// The application family's marker: its errors render in the application [`envelope`].
#[derive(Debug)]
pub(crate) struct Application;

impl InFamily for Application {
    const FAMILY: Family = Family::Application;
}

/// Any application error: a [`Problem`](crate::error::Problem) in the `{"errors": [...]}`
/// envelope.
pub(crate) type ApplicationError = FamilyError<Application>;

/// What every application handler returns.
pub(crate) type ApplicationResult = Result<HttpResponse, ApplicationError>;

/// Mounts the application routes; a known path with another method answers 405.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/application/users")
            .route(web::get().to(users::list_users))
            .route(web::post().to(users::create_user))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/api/application/users/external/{external_id}")
            .route(web::get().to(users::get_external_user))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/application/users/{id}")
            .route(web::get().to(users::get_user))
            .route(web::patch().to(users::update_user))
            .route(web::delete().to(users::delete_user))
            .default_service(method_not_allowed("GET, PATCH, DELETE")),
    );
}
