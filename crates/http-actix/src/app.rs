//! [`build_app`]: every family's routes (from the registry in `crate::families`) behind the
//! middleware every request passes through.

use crate::body::{self, HoldingBody};
use crate::error::{ApiError, Problem};
use crate::families;
use crate::openapi::openapi_json;
use crate::request_log::{RequestId, log_access, log_outcome, with_request_id};
use crate::state::{AppState, OpenApiJson};
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderName;
use actix_web::middleware::{NormalizePath, TrailingSlash};
use actix_web::{App, HttpRequest, HttpResponse, web};
use std::time::Instant;

/// The response header carrying the request's id (`request_log::RequestId`).
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: every route, `NormalizePath` (trailing slashes), a request id per
/// request (echoed in `X-Request-Id`) and one escaped log line per failed request
/// (`request_log`), the request metrics,
/// the 64 KiB body limit, the family error envelopes, the default 404 and 405 answers in the
/// envelope of the family whose prefix the path carries, and a request body held by its
/// response until the response is written, so that a body that has not arrived in full
/// closes the connection (`body::share_body`).
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let metrics = state.metrics.clone();
    let access_log = state.settings.access_log;
    let document = openapi_json(state.directory.settings().password_policy);
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(OpenApiJson(document)))
        .configure(families::configure)
        .default_service(web::to(route_not_found))
        .wrap_fn(|mut req: ServiceRequest, srv| {
            let request_body = body::share_body(&mut req);
            let response = srv.call(req);
            async move {
                let response = response.await?;
                Ok(response.map_body(|_, body| HoldingBody::new(body, request_body)))
            }
        })
        .wrap(NormalizePath::new(TrailingSlash::Trim))
        .wrap_fn(move |req: ServiceRequest, srv| {
            let request_id = RequestId::new();
            let family = families::of_path(req.path()).name;
            let method = req.method().clone();
            let started = Instant::now();
            let metrics = metrics.clone();
            let response = with_request_id(request_id, family, srv.call(req));
            async move {
                let outcome = response.await;
                log_outcome(request_id, &outcome);
                let mut response = outcome?;
                if access_log {
                    log_access(request_id, &response, started.elapsed());
                }
                metrics.record_request(
                    family,
                    response.request().match_name(),
                    method.as_str(),
                    response.status().as_u16(),
                    started.elapsed(),
                );
                response
                    .headers_mut()
                    .insert(REQUEST_ID_HEADER, request_id.header_value());
                Ok(response)
            }
        })
}

/// The app's default service: 404 in the envelope of the family the path belongs to.
async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError {
        family: families::of_path(req.path()),
        problem: Problem::RouteNotFound,
    })
}
