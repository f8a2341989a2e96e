//! The v1 family (Unryo portal API v1): `/api/v1/users…`, HTTP Basic (session tokens and API
//! keys work too), success bodies in a `{"value": …}` envelope except the single-user `GET`,
//! and errors as a bare JSON string in the style of Go's validator (see [`envelope`]).
//!
//! Users are addressed by username, case-insensitively. Every handler takes the
//! [`Authenticated`](crate::auth::Authenticated) principal, states its scope in one line, reads
//! its body only then, calls one `Directory` use case and renders a [`dto`] body.

pub(crate) mod dto;
pub(crate) mod envelope;
mod family;
pub(crate) mod users;

use crate::routes::{Mounted, Routes};
use utoipa::OpenApi;

pub(crate) use family::V1;

/// The v1 operations of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    users::list_users,
    users::get_user,
    users::create_user,
    users::change_password,
    users::delete_user,
))]
struct V1Api;

impl Mounted for V1 {
    fn routes() -> Routes<Self> {
        Routes::new()
            .route::<users::__path_list_users, _, _>(users::list_users)
            .route::<users::__path_get_user, _, _>(users::get_user)
            .route::<users::__path_create_user, _, _>(users::create_user)
            .route::<users::__path_change_password, _, _>(users::change_password)
            .route::<users::__path_delete_user, _, _>(users::delete_user)
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        V1Api::openapi()
    }
}
