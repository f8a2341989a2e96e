//! Empire's `GET /api/v2/meta/version`. Starkiller reads it right after signing in, and a
//! failure there fails its whole login, so the v2 family answers it: with Rollcall's own
//! version, since this server is not Empire (Starkiller then shows its "recommended with Empire
//! 5.2 or greater" notice, and its users pages work).

use super::envelope::ErrorEnvelope;
use super::family::{V2Auth, V2Result};
use actix_web::HttpResponse;
use rollcall_domain::values::Scope;
use serde::Serialize;
use utoipa::ToSchema;

/// The version answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VersionBody {
    /// Rollcall's version, then ` (Rollcall)`.
    #[schema(example = "0.1.0 (Rollcall)")]
    pub version: &'static str,
}

/// The server's version.
#[utoipa::path(
    get,
    path = "/api/v2/meta/version",
    tag = "v2: meta",
    responses(
        (status = 200, description = "The server's version.", body = VersionBody),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `users/show`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_version(auth: V2Auth) -> V2Result {
    // The catalog has no scope of its own for it; Starkiller reads it beside `/users/me`, so
    // it takes the same one.
    auth.principal.require(Scope::USERS_SHOW)?;
    Ok(HttpResponse::Ok().json(VersionBody {
        version: concat!(env!("CARGO_PKG_VERSION"), " (Rollcall)"),
    }))
}
