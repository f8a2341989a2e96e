//! The operations routes, which take no credentials: `/healthz` (the process answers),
//! `/readyz` (it can serve: the readiness probe passes), `/openapi.json` (the generated
//! OpenAPI 3.1 document), `/docs` (Swagger UI, served from assets compiled into the binary;
//! nothing is fetched at build or run time) and `/metrics` (request counters; see
//! [`crate::metrics`]).

use crate::app::AppState;
use crate::error::{ApiError, Challenge, Problem, method_not_allowed};
use crate::openapi::openapi;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::secrets::TokenDigest;
use secrecy::ExposeSecret;
use serde::Serialize;
use std::sync::{Arc, LazyLock};
use utoipa::ToSchema;

/// Where Swagger UI lives.
const DOCS_INDEX: &str = "/docs/index.html";

/// The OpenAPI document, serialized once: it is derived from the code and never changes.
static OPENAPI_JSON: LazyLock<Result<String, String>> =
    LazyLock::new(|| openapi().to_json().map_err(|e| e.to_string()));

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

/// Mounts the operations routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/healthz")
            .route(web::get().to(get_health))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/readyz")
            .route(web::get().to(get_readiness))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/openapi.json")
            .route(web::get().to(get_openapi_document))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/metrics")
            .route(web::get().to(get_metrics))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/docs")
            .route(web::get().to(redirect_to_docs))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/docs/{file:.+}")
            .route(web::get().to(get_docs_file))
            .default_service(method_not_allowed("GET")),
    );
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
            tracing::warn!(%reason, "readiness check failed");
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
pub(crate) async fn get_metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.settings.metrics_token {
        let presented = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compare digests in constant time rather than the tokens themselves.
        if !TokenDigest::of(presented).matches(&TokenDigest::of(expected.expose_secret())) {
            return Err(ApiError::for_request(
                &req,
                Problem::Unauthenticated {
                    challenges: &[Challenge::Bearer],
                    message: "A valid metrics token is required.",
                },
            ));
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
pub(crate) async fn get_openapi_document(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match OPENAPI_JSON.as_ref() {
        Ok(json) => Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(json.clone())),
        Err(e) => Err(ApiError::for_request(
            &req,
            rollcall_domain::services::ServiceError::Internal(format!(
                "OpenAPI document cannot be serialized: {e}"
            )),
        )),
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
pub(crate) async fn get_docs_file(
    req: HttpRequest,
    file: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let config = Arc::new(utoipa_swagger_ui::Config::from("/openapi.json"));
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(asset)) => Ok(HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.bytes.into_owned())),
        Ok(None) => Err(ApiError::for_request(&req, Problem::RouteNotFound)),
        Err(e) => Err(ApiError::for_request(
            &req,
            rollcall_domain::services::ServiceError::Internal(format!(
                "Swagger UI asset {file} cannot be served: {e}"
            )),
        )),
    }
}
