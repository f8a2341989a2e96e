//! The operations routes, which take no credentials: `/healthz` (the process answers),
//! `/readyz` (it can serve: the readiness probe passes), `/openapi.json` (the generated
//! OpenAPI 3.1 document), `/docs` (Swagger UI, served from assets compiled into the binary;
//! nothing is fetched at build or run time) and `/metrics` (request counters; see
//! [`crate::metrics`]).

use crate::error::{Challenge, Family, FamilyError, Problem};
use crate::request_log::escape_for_log;
use crate::routes::{Mounted, Routes};
use crate::state::{AppState, OpenApiJson};
use crate::v2;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::secrets::TokenDigest;
use rollcall_domain::services::ServiceError;
use secrecy::ExposeSecret;
use serde::Serialize;
use std::sync::Arc;
use utoipa::{OpenApi, ToSchema};

/// Where Swagger UI lives.
const DOCS_INDEX: &str = "/docs/index.html";

/// The operations "family": the routes above, and every path no other family owns. Its errors
/// use the v2 envelope, the product's native one.
#[derive(Debug)]
pub(crate) struct Operations;

impl Family for Operations {
    const NAME: &'static str = "operations";
    const BARE_CHALLENGES: &'static [Challenge] = &[Challenge::Basic, Challenge::Bearer];

    fn owns(_path: &str) -> bool {
        true
    }

    fn render(problem: &Problem) -> HttpResponse {
        v2::envelope::render(problem, Self::BARE_CHALLENGES)
    }
}

/// What the operations handlers that can fail return.
type OpsResult = Result<HttpResponse, FamilyError<Operations>>;

/// The operations routes of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    get_health,
    get_readiness,
    get_metrics,
    get_openapi_document,
    redirect_to_docs,
    get_docs_file,
))]
struct OperationsApi;

impl Mounted for Operations {
    fn routes() -> Routes<Self> {
        Routes::new()
            .route::<__path_get_health, _, _>(get_health)
            .route::<__path_get_readiness, _, _>(get_readiness)
            .route::<__path_get_openapi_document, _, _>(get_openapi_document)
            .route::<__path_get_metrics, _, _>(get_metrics)
            .route::<__path_redirect_to_docs, _, _>(redirect_to_docs)
            // Swagger UI's assets: one documented parameter, any file name.
            .route_at::<__path_get_docs_file, _, _>("/docs/{file:.+}", get_docs_file)
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        OperationsApi::openapi()
    }
}

/// `/healthz` and `/readyz` bodies.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatusBody {
    /// `ok`, `ready` or `unavailable`.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Why the server is not ready (503 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Liveness: 200 whenever the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    security(()),
    responses((status = 200, description = "Alive.", body = StatusBody, example = json!({"status": "ok"})))
)]
pub(crate) async fn get_health() -> HttpResponse {
    HttpResponse::Ok().json(StatusBody {
        status: "ok",
        reason: None,
    })
}

/// Readiness: 200 when the readiness probe (the database) passes, else 503 with the reason.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Ready.", body = StatusBody, example = json!({"status": "ready"})),
        (status = 503, description = "Not ready.", body = StatusBody, example = json!({"status": "unavailable", "reason": "database unreachable"})),
    )
)]
pub(crate) async fn get_readiness(state: web::Data<AppState>) -> HttpResponse {
    match state.readiness.check().await {
        Ok(()) => HttpResponse::Ok().json(StatusBody {
            status: "ready",
            reason: None,
        }),
        Err(reason) => {
            // The cause may quote a driver's message; escaped like any text logged here.
            tracing::warn!(reason = %escape_for_log(&reason), "readiness check failed");
            HttpResponse::ServiceUnavailable().json(StatusBody {
                status: "unavailable",
                reason: Some(reason),
            })
        }
    }
}

/// Request counters in the Prometheus text format. Open unless a metrics token is
/// configured; then only `Authorization: Bearer <token>` may read them.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4.", content_type = "text/plain"),
        (status = 401, description = "A metrics token is configured and was not presented."),
    )
)]
pub(crate) async fn get_metrics(req: HttpRequest, state: web::Data<AppState>) -> OpsResult {
    if let Some(expected) = &state.settings.metrics_token {
        let presented = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compare digests in constant time rather than the tokens themselves.
        if !TokenDigest::of(presented).matches(&TokenDigest::of(expected.expose_secret())) {
            return Err(Problem::Unauthenticated {
                challenges: &[Challenge::Bearer],
                message: "A valid metrics token is required.",
            }
            .into());
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(state.metrics.render()))
}

/// The OpenAPI 3.1 document of every route.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json"))
)]
pub(crate) async fn get_openapi_document(document: web::Data<OpenApiJson>) -> OpsResult {
    match &document.0 {
        Ok(json) => Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(json.clone())),
        Err(e) => Err(ServiceError::Internal(format!(
            "OpenAPI document cannot be serialized: {e}"
        ))
        .into()),
    }
}

/// Swagger UI's entry point.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "operations",
    security(()),
    responses((status = 302, description = "To `/docs/index.html`, the Swagger UI page."))
)]
pub(crate) async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((LOCATION, DOCS_INDEX))
        .finish()
}

/// One Swagger UI asset (`index.html`, scripts, styles), configured to read `/openapi.json`.
#[utoipa::path(
    get,
    path = "/docs/{file}",
    tag = "operations",
    security(()),
    params(("file" = String, Path, description = "An asset of Swagger UI, e.g. `index.html`.")),
    responses(
        (status = 200, description = "The asset."),
        (status = 404, description = "No such asset."),
    )
)]
pub(crate) async fn get_docs_file(file: web::Path<String>) -> OpsResult {
    let config = Arc::new(utoipa_swagger_ui::Config::from("/openapi.json"));
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(asset)) => Ok(HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.bytes.into_owned())),
        Ok(None) => Err(Problem::RouteNotFound.into()),
        Err(e) => Err(ServiceError::Internal(format!(
            "Swagger UI asset {file} cannot be served: {e}"
        ))
        .into()),
    }
}
