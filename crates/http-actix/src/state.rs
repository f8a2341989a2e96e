//! What every request handler shares: [`AppState`] (the use cases, the readiness probe, the
//! HTTP settings, the request counters) and the limits every family applies.

use crate::metrics::Metrics;
use actix_web::HttpRequest;
use actix_web::web::Bytes;
use ipnet::IpNet;
use rollcall_domain::services::Directory;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the HTTP layer that the server reads from its configuration.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The externally visible base URL (`ROLLCALL_PUBLIC_URL`), used where absolute links are
    /// built; `None` means "from the request's scheme and host".
    pub public_url: Option<String>,
    /// Marks the session cookie `Secure` (set it when clients reach the server over HTTPS).
    pub secure_cookies: bool,
    /// When set, `GET /metrics` answers only requests with `Authorization: Bearer <token>`;
    /// when unset it is open, like the other operations routes.
    pub metrics_token: Option<SecretString>,
    /// How long a handler waits for the whole request body, from its first read to the last
    /// byte; a body that takes longer is answered 408 and the connection is closed.
    pub body_read_timeout: Duration,
    /// Writes one INFO line per answered request (target `rollcall::access`).
    pub access_log: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the login throttle);
    /// none by default, so the peer is the client.
    pub trusted_proxies: Vec<IpNet>,
}

impl HttpSettings {
    /// The default [`HttpSettings::body_read_timeout`].
    pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            public_url: None,
            secure_cookies: false,
            metrics_token: None,
            body_read_timeout: Self::DEFAULT_BODY_READ_TIMEOUT,
            access_log: true,
            trusted_proxies: Vec::new(),
        }
    }
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
    pub metrics: Arc<Metrics>,
}

/// The OpenAPI document served at `/openapi.json`, serialized once when the app is built (it
/// is derived from the code and never changes), or why it could not be.
#[derive(Debug, Clone)]
pub(crate) struct OpenApiJson(pub Result<Bytes, String>);

/// The largest request body accepted, in bytes (api.md: 64 KiB; 413 beyond).
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// The absolute base of the links a family writes (application pages, SCIM locations): `ROLLCALL_PUBLIC_URL` when set, else
/// the request's scheme and host (as actix-web reads them, `Forwarded`/`X-Forwarded-*`
/// included).
pub(crate) fn base_url(req: &HttpRequest, settings: &HttpSettings) -> String {
    match &settings.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_prefers_the_configured_one() {
        let req = actix_web::test::TestRequest::default()
            .insert_header(("host", "req.example:8080"))
            .to_http_request();
        let mut settings = HttpSettings::default();
        assert_eq!(base_url(&req, &settings), "http://req.example:8080");
        settings.public_url = Some("https://dir.example.org/rollcall/".into());
        assert_eq!(
            base_url(&req, &settings),
            "https://dir.example.org/rollcall"
        );
    }
}
