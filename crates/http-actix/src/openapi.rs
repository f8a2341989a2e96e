//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes: every
//! route the server answers, its scope, bodies, statuses and security schemes.
//!
//! Each family describes its own operations (tagged `<family>: <area>`); [`ApiDoc`] holds what
//! is common (title, security schemes, tags) and [`openapi`] merges in every family the
//! registry lists.

use crate::{families, openapi_rules};
use actix_web::web::Bytes;
use rollcall_domain::values::PasswordPolicy;
use std::sync::{LazyLock, Mutex};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document's definition.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rollcall",
        description = "A self-hosted user directory serving several HTTP API families at once. \
            Every authenticated route accepts HTTP Basic, a session token (Bearer, bare \
            `Authorization`, `X-Empire-Token` or the `rollcall_session` cookie) or an API key \
            (Bearer `rck_…`); API keys are limited to their scopes."
    ),
    modifiers(&SecuritySchemes),
    security(
        ("basic" = []),
        ("bearer" = []),
        ("empire_token" = []),
        ("session_cookie" = []),
    ),
    tags(
        (name = "operations", description = "Health, readiness and documentation; no credentials."),
        (name = "v2: sessions", description = "Nodeum sign-in and Empire token issuance."),
        (name = "v2: users", description = "The user directory (Nodeum + Empire v2)."),
        (name = "v2: configurations", description = "Per-user settings."),
        (name = "v2: api keys", description = "Per-user API keys with scopes."),
        (name = "v2: systems", description = "OS users and groups (admins)."),
        (name = "v2: meta", description = "Empire's server version route, which Starkiller reads after signing in."),
        (name = "v1: users", description = "Unryo portal API v1: users by username, HTTP Basic,             `{\"value\": …}` bodies, errors as a JSON string."),
        (name = "application: users", description = "Pterodactyl application API: admin-only,             API key as Bearer, Fractal-shaped bodies, `{\"errors\": [...]}` envelope."),
        (name = "scim: discovery", description = "SCIM 2.0 (RFC 7643/7644) service provider configuration, resource types and schemas; no credentials."),
        (name = "scim: users", description = "SCIM 2.0 Users for identity providers: admin-only, API key as Bearer or Basic, `application/scim+json`, SCIM error envelope."),
    )
)]
struct ApiDoc;

/// Adds the security schemes the routes refer to.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "empire_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Empire-Token",
                "A session token, optionally prefixed by `Bearer `.",
            ))),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "rollcall_session",
                "The session cookie set by `POST /api/v2/users/sign_in`.",
            ))),
        );
    }
}

/// The OpenAPI document served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for family in families::openapi_documents() {
        doc.merge(family);
    }
    doc
}

/// The document as JSON with the input rules the server enforces written in
/// ([`openapi_rules`]); the password minimum is the configured one.
pub(crate) fn openapi_value(policy: PasswordPolicy) -> serde_json::Value {
    let mut doc = serde_json::to_value(openapi()).unwrap_or_default();
    openapi_rules::apply(&mut doc, policy);
    doc
}

/// The serialized documents, one per password minimum a process has served (in practice
/// one): each is derived from the code and the setting, and never changes.
static OPENAPI_JSON: LazyLock<Mutex<Vec<(usize, Bytes)>>> = LazyLock::new(Mutex::default);

/// The serialized document (shared, not copied), or why it cannot be serialized.
pub(crate) fn openapi_json(policy: PasswordPolicy) -> Result<Bytes, String> {
    let mut cache = OPENAPI_JSON.lock().map_err(|e| e.to_string())?;
    if let Some((_, bytes)) = cache.iter().find(|(min, _)| *min == policy.min_chars()) {
        return Ok(bytes.clone());
    }
    let bytes = Bytes::from(serde_json::to_vec(&openapi_value(policy)).map_err(|e| e.to_string())?);
    cache.push((policy.min_chars(), bytes.clone()));
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_v2_and_ops_route() {
        let doc = openapi_value(PasswordPolicy::default());
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        for (path, method) in [
            ("/healthz", "get"),
            ("/readyz", "get"),
            ("/openapi.json", "get"),
            ("/docs", "get"),
            ("/token", "post"),
            ("/api/v2/users/sign_in", "post"),
            ("/api/v2/users/sign_out", "delete"),
            ("/api/v2/users/me", "get"),
            ("/api/v2/users", "get"),
            ("/api/v2/users", "post"),
            ("/api/v2/users/{user_ref}", "get"),
            ("/api/v2/users/{user_ref}", "put"),
            ("/api/v2/users/{user_ref}", "delete"),
            ("/api/v2/users/{user_ref}/password", "put"),
            ("/api/v2/users/me/configurations", "post"),
            ("/api/v2/users/me/configurations/{configuration_ref}", "put"),
            ("/api/v2/users/me/api_keys", "post"),
            ("/api/v2/users/me/api_keys/{api_key_id}", "delete"),
            ("/api/v2/users/-/systems", "get"),
            ("/api/v2/groups/-/systems", "get"),
            ("/api/v1/users", "get"),
            ("/api/v1/users/{username}", "get"),
            ("/api/v1/users/{username}", "put"),
            ("/api/v1/users/{username}", "patch"),
            ("/api/v1/users/{username}", "delete"),
            ("/api/application/users", "get"),
            ("/api/application/users", "post"),
            ("/api/application/users/{id}", "get"),
            ("/api/application/users/{id}", "patch"),
            ("/api/application/users/{id}", "delete"),
            ("/api/application/users/external/{external_id}", "get"),
        ] {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path} missing"
            );
        }
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        assert_eq!(schemes.len(), 4);
        assert!(doc["components"]["schemas"]["UserBody"].is_object());
        assert!(doc["components"]["schemas"]["ErrorEnvelope"].is_object());
        for schema in [
            "V1User",
            "V1UserList",
            "V1UserEnvelope",
            "V1ErrorMessage",
            "ApplicationUserItem",
            "ApplicationUserList",
            "ApplicationCreatedUser",
            "ApplicationErrorEnvelope",
        ] {
            assert!(
                doc["components"]["schemas"][schema].is_object(),
                "{schema} missing"
            );
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = openapi_value(PasswordPolicy::default());
        let mut seen = std::collections::BTreeSet::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                let id = op["operationId"].as_str().unwrap();
                assert!(seen.insert(id.to_owned()), "operationId {id} twice");
            }
        }
    }

    #[test]
    fn every_operation_is_tagged_with_its_family() {
        let doc = openapi_value(PasswordPolicy::default());
        for (path, item) in doc["paths"].as_object().unwrap() {
            let family = if path.starts_with("/api/v1/") || path == "/api/v1/users" {
                "v1: "
            } else if path.starts_with("/api/application/") {
                "application: "
            } else if path.starts_with("/api/v2/") || path == "/token" {
                "v2: "
            } else if path.starts_with("/scim/v2/") {
                "scim: "
            } else {
                "operations"
            };
            for (method, op) in item.as_object().unwrap() {
                let tags = op["tags"].as_array().unwrap();
                assert!(
                    tags.iter().any(|t| t.as_str().unwrap().starts_with(family)),
                    "{method} {path}: {tags:?}"
                );
            }
        }
    }

    #[test]
    fn public_routes_need_no_credentials() {
        let doc = openapi_value(PasswordPolicy::default());
        for path in [
            "/healthz",
            "/token",
            "/scim/v2/ServiceProviderConfig",
            "/scim/v2/Schemas",
        ] {
            let op = doc["paths"][path]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap();
            assert_eq!(op["security"], serde_json::json!([{}]), "{path}");
        }
    }
}
