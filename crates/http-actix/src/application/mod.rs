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
mod family;
mod query;
pub(crate) mod users;

use crate::routes::{Endpoint, Mounted};
use actix_web::http::Method;
use utoipa::OpenApi;

pub(crate) use family::Application;

/// The application operations of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    users::list_users,
    users::get_user,
    users::get_external_user,
    users::create_user,
    users::update_user,
    users::delete_user,
))]
struct ApplicationApi;

impl Mounted for Application {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![
            Endpoint::new("/api/application/users")
                .on(Method::GET, users::list_users)
                .on(Method::POST, users::create_user),
            Endpoint::new("/api/application/users/external/{external_id}")
                .on(Method::GET, users::get_external_user),
            Endpoint::new("/api/application/users/{id}")
                .on(Method::GET, users::get_user)
                .on(Method::PATCH, users::update_user)
                .on(Method::DELETE, users::delete_user),
        ]
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        ApplicationApi::openapi()
    }
}
