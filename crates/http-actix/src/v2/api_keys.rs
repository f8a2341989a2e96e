//! The signed-in user's API keys under `/api/v2/users/me/api_keys`: the whole key is shown
//! once, when created; lists and single reads show it masked.

use super::dto::{ApiKeyBody, ApiKeyListResponse, ApiKeySummaryBody, CreateApiKeyResponse};
use super::envelope::ErrorEnvelope;
use super::family::{V2Auth, V2Result};
use super::query;
use super::request_docs::ApiKeyRequest;
use crate::body::{JsonFields, JsonObject, read_json_object};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::services::{ApiKeyInput, ScopeInput};
use rollcall_domain::values::Scope;
use serde_json::Value;

/// Maps an API-key body: `name`, `api_key_scopes` (`[{controller, action}]`, null reads as
/// absent) and `expires_at`.
pub(crate) fn api_key_input(body: JsonObject) -> ApiKeyInput {
    let mut f = JsonFields::new(body);
    let name = f.nullable_string("name");
    let scopes = f.array_of("api_key_scopes", |item| {
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(ScopeInput {
            controller: text("controller")?,
            action: text("action")?,
        })
    });
    let expires_at = f.nullable_string("expires_at");
    ApiKeyInput {
        name,
        scopes,
        expires_at,
        malformed: f.into_malformed(),
    }
}

/// Lists the user's keys (masked) in id order.
#[utoipa::path(
    get,
    path = "/api/v2/users/me/api_keys",
    tag = "v2: api keys",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, default 50, max 1000."),
        ("offset" = Option<u64>, Query, description = "Rows to skip."),
    ),
    responses(
        (status = 200, description = "A page of keys, masked.", body = ApiKeyListResponse),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `api_keys/index`.", body = ErrorEnvelope),
        (status = 422, description = "Bad `limit` or `offset`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_api_keys(
    state: web::Data<AppState>,
    auth: V2Auth,
    req: HttpRequest,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::API_KEYS_INDEX)?;
    let page = query::page(req.query_string())?;
    let listed = state.directory.list_api_keys(&principal, page).await?;
    Ok(HttpResponse::Ok().json(ApiKeyListResponse {
        api_keys: listed.items.iter().map(ApiKeySummaryBody::from).collect(),
        count: listed.total,
    }))
}

/// Creates a key; the response is the only one that shows the whole key. A key made through
/// an API key may only carry scopes that key holds.
#[utoipa::path(
    post,
    path = "/api/v2/users/me/api_keys",
    tag = "v2: api keys",
    request_body(content = ApiKeyRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new key, in full.", body = CreateApiKeyResponse),
        (status = 400, description = "Malformed JSON.", body = ErrorEnvelope),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `api_keys/create`, or asking for scopes it lacks.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ErrorEnvelope),
        (status = 422, description = "Unknown scope, bad name or expiry, or the user already holds `max_api_keys_per_user` keys (`api_keys` `too_long`).", body = ErrorEnvelope),
    )
)]
pub(crate) async fn create_api_key(
    state: web::Data<AppState>,
    auth: V2Auth,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::API_KEYS_CREATE)?;
    let body = read_json_object(&req, payload).await?;
    let created = state
        .directory
        .create_api_key(&principal, api_key_input(body))
        .await?;
    // The whole key is shown once: no cache may keep it.
    Ok(HttpResponse::Created()
        .insert_header(super::sessions::no_store())
        .json(CreateApiKeyResponse::from(&created)))
}

/// Reads one key (masked).
#[utoipa::path(
    get,
    path = "/api/v2/users/me/api_keys/{api_key_id}",
    tag = "v2: api keys",
    params(("api_key_id" = String, Path, description = "Numeric id of the key.")),
    responses(
        (status = 200, description = "The key, masked.", body = ApiKeyBody),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `api_keys/show`.", body = ErrorEnvelope),
        (status = 404, description = "No such key of this user.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_api_key(
    state: web::Data<AppState>,
    auth: V2Auth,
    api_key_id: web::Path<String>,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::API_KEYS_SHOW)?;
    let key = state.directory.get_api_key(&principal, &api_key_id).await?;
    Ok(HttpResponse::Ok().json(ApiKeyBody::from(&key)))
}

/// Replaces a key's name and/or scopes (and expiry).
#[utoipa::path(
    put,
    path = "/api/v2/users/me/api_keys/{api_key_id}",
    tag = "v2: api keys",
    params(("api_key_id" = String, Path, description = "Numeric id of the key.")),
    request_body(content = ApiKeyRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The key, masked.", body = ApiKeyBody),
        (status = 400, description = "Malformed JSON.", body = ErrorEnvelope),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `api_keys/update`, or granting scopes it lacks.", body = ErrorEnvelope),
        (status = 404, description = "No such key of this user.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ErrorEnvelope),
        (status = 422, description = "Unknown scope, bad name or expiry.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn update_api_key(
    state: web::Data<AppState>,
    auth: V2Auth,
    api_key_id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::API_KEYS_UPDATE)?;
    let body = read_json_object(&req, payload).await?;
    let key = state
        .directory
        .update_api_key(&principal, &api_key_id, api_key_input(body))
        .await?;
    Ok(HttpResponse::Ok().json(ApiKeyBody::from(&key)))
}

/// Deletes a key.
#[utoipa::path(
    delete,
    path = "/api/v2/users/me/api_keys/{api_key_id}",
    tag = "v2: api keys",
    params(("api_key_id" = String, Path, description = "Numeric id of the key.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `api_keys/destroy`.", body = ErrorEnvelope),
        (status = 404, description = "No such key of this user.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn delete_api_key(
    state: web::Data<AppState>,
    auth: V2Auth,
    api_key_id: web::Path<String>,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::API_KEYS_DESTROY)?;
    state
        .directory
        .delete_api_key(&principal, &api_key_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> ApiKeyInput {
        let Value::Object(o) = v else {
            panic!("not an object")
        };
        api_key_input(o)
    }

    #[test]
    fn scopes_names_and_expiry_map() {
        let i = input(json!({
            "name": "dev", "expires_at": null,
            "api_key_scopes": [{"controller": "users", "action": "index"}]
        }));
        assert_eq!(i.name, Some(Some("dev".into())));
        assert_eq!(i.expires_at, Some(None));
        assert_eq!(
            i.scopes,
            Some(vec![ScopeInput {
                controller: "users".into(),
                action: "index".into()
            }])
        );
        assert!(i.malformed.is_empty());
    }

    #[test]
    fn malformed_scopes_and_absent_fields() {
        let i = input(json!({"api_key_scopes": [{"controller": "users"}], "name": 3}));
        assert_eq!(i.malformed, vec!["name", "api_key_scopes"]);
        let i = input(json!({"api_key_scopes": null}));
        assert_eq!((i.name, i.scopes, i.expires_at), (None, None, None));
    }
}
