//! The application: its shared state and [`build_app`], which mounts every family's routes
//! behind the middleware every request passes through.

use crate::error::{self, Family};
use crate::metrics::RequestMetrics;
use crate::{application, ops, v1, v2};
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{NormalizePath, TrailingSlash};
use actix_web::{App, HttpMessage, web};
use rollcall_domain::services::Directory;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Instant;
use tracing_actix_web::{RequestId, TracingLogger};

/// Settings of the HTTP layer that the server reads from its configuration.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    /// The externally visible base URL (`ROLLCALL_PUBLIC_URL`), used where absolute links are
    /// built; `None` means "from the request's scheme and host".
    pub public_url: Option<String>,
    /// Marks the session cookie `Secure` (set it when clients reach the server over HTTPS).
    pub secure_cookies: bool,
    /// When set, `GET /metrics` answers only requests with `Authorization: Bearer <token>`;
    /// when unset it is open, like the other operations routes.
    pub metrics_token: Option<SecretString>,
}

/// Whether the server can serve requests right now (answered by `GET /readyz`).
#[async_trait::async_trait]
pub trait Readiness: Send + Sync + 'static {
    /// `Ok(())` when ready.
    ///
    /// # Errors
    /// The reason the server is not ready, shown to the caller of `/readyz`.
    async fn check(&self) -> Result<(), String>;
}

/// Everything a request handler needs; cloned into every worker.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub directory: Directory,
    /// The readiness probe behind `/readyz`.
    pub readiness: Arc<dyn Readiness>,
    /// HTTP settings.
    pub settings: HttpSettings,
    /// Request counters behind `/metrics`, shared by every worker of the server.
    pub metrics: Arc<RequestMetrics>,
}

/// The largest request body accepted, in bytes (api.md: 64 KiB; 413 beyond).
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// The response header carrying the request id that `TracingLogger` put in the request's span.
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: every route, `NormalizePath` (trailing slashes), `TracingLogger`
/// with request ids (echoed in `X-Request-Id`), the 64 KiB body limit, the family error
/// envelopes, and the default 404 and 405 answers in the envelope of the family whose prefix
/// the path carries.
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
    App::new()
        .app_data(web::Data::new(state))
        .configure(ops::configure)
        .configure(v2::configure)
        .configure(v1::configure)
        .configure(application::configure)
        .default_service(web::to(error::route_not_found))
        .wrap(NormalizePath::new(TrailingSlash::Trim))
        .wrap_fn(move |req: ServiceRequest, srv| {
            let request_id = req.extensions().get::<RequestId>().copied();
            let family = Family::of_path(req.path()).label();
            let method = req.method().clone();
            let started = Instant::now();
            let metrics = metrics.clone();
            let response = srv.call(req);
            async move {
                let mut response = response.await?;
                metrics.record(
                    family,
                    method.as_str(),
                    response.status().as_u16(),
                    started.elapsed(),
                );
                if let Some(id) =
                    request_id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok())
                {
                    response.headers_mut().insert(REQUEST_ID_HEADER, id);
                }
                Ok(response)
            }
        })
        .wrap(TracingLogger::default())
}
