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

use crate::routes::{Mounted, Routes};
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
    fn routes() -> Routes<Self> {
        Routes::new()
            .route::<users::__path_list_users, _, _>(users::list_users)
            .route::<users::__path_create_user, _, _>(users::create_user)
            .route::<users::__path_get_external_user, _, _>(users::get_external_user)
            .route::<users::__path_get_user, _, _>(users::get_user)
            .route::<users::__path_update_user, _, _>(users::update_user)
            .route::<users::__path_delete_user, _, _>(users::delete_user)
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        ApplicationApi::openapi()
    }
}
