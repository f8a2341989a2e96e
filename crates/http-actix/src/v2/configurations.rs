//! The signed-in user's configurations, addressed by id or key under
//! `/api/v2/users/me/configurations`.

use super::dto::{ConfigurationBody, ConfigurationListResponse};
use super::envelope::ErrorEnvelope;
use super::family::{V2Auth, V2Result};
use super::query;
use super::request_docs::ConfigurationRequest;
use crate::body::{JsonFields, JsonObject, read_json_object};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use rollcall_domain::services::ConfigurationInput;
use rollcall_domain::values::Scope;

/// Maps a configuration body: `key` and `value`, absent / null / value kept apart.
pub(crate) fn configuration_input(body: JsonObject) -> ConfigurationInput {
    let mut f = JsonFields::new(body);
    let key = f.nullable_string("key");
    let value = f.nullable_string("value");
    ConfigurationInput {
        key,
        value,
        malformed: f.into_malformed(),
    }
}

/// Lists the user's configurations in id order.
#[utoipa::path(
    get,
    path = "/api/v2/users/me/configurations",
    tag = "v2: configurations",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, default 50, max 1000."),
        ("offset" = Option<u64>, Query, description = "Rows to skip."),
    ),
    responses(
        (status = 200, description = "A page of configurations.", body = ConfigurationListResponse),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `configurations/index`.", body = ErrorEnvelope),
        (status = 422, description = "Bad `limit` or `offset`.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_configurations(
    state: web::Data<AppState>,
    auth: V2Auth,
    req: HttpRequest,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::CONFIGURATIONS_INDEX)?;
    let page = query::page(req.query_string())?;
    let listed = state
        .directory
        .list_configurations(&principal, page)
        .await?;
    Ok(HttpResponse::Ok().json(ConfigurationListResponse {
        configurations: listed.items.iter().map(ConfigurationBody::from).collect(),
        count: listed.total,
    }))
}

/// Creates a configuration; `key` and `value` are required, the key is unique per user.
#[utoipa::path(
    post,
    path = "/api/v2/users/me/configurations",
    tag = "v2: configurations",
    request_body(content = ConfigurationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new configuration.", body = ConfigurationBody),
        (status = 400, description = "Malformed JSON.", body = ErrorEnvelope),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `configurations/create`.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ErrorEnvelope),
        (status = 422, description = "Validation failed (`blank`, `invalid`, `taken`, `too_long`; `configurations` `too_long` when the user already holds `max_configurations_per_user`).", body = ErrorEnvelope),
    )
)]
pub(crate) async fn create_configuration(
    state: web::Data<AppState>,
    auth: V2Auth,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::CONFIGURATIONS_CREATE)?;
    let body = read_json_object(&req, payload).await?;
    let created = state
        .directory
        .create_configuration(&principal, configuration_input(body))
        .await?;
    Ok(HttpResponse::Created().json(ConfigurationBody::from(&created)))
}

/// Reads one configuration by id or key.
#[utoipa::path(
    get,
    path = "/api/v2/users/me/configurations/{configuration_ref}",
    tag = "v2: configurations",
    params(("configuration_ref" = String, Path, description = "Numeric id, or key.")),
    responses(
        (status = 200, description = "The configuration.", body = ConfigurationBody),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `configurations/show`.", body = ErrorEnvelope),
        (status = 404, description = "No such configuration of this user.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn get_configuration(
    state: web::Data<AppState>,
    auth: V2Auth,
    configuration_ref: web::Path<String>,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::CONFIGURATIONS_SHOW)?;
    let configuration = state
        .directory
        .get_configuration(&principal, &configuration_ref)
        .await?;
    Ok(HttpResponse::Ok().json(ConfigurationBody::from(&configuration)))
}

/// Partially updates a configuration; it may be renamed (the key stays unique).
#[utoipa::path(
    put,
    path = "/api/v2/users/me/configurations/{configuration_ref}",
    tag = "v2: configurations",
    params(("configuration_ref" = String, Path, description = "Numeric id, or key.")),
    request_body(content = ConfigurationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The configuration.", body = ConfigurationBody),
        (status = 400, description = "Malformed JSON.", body = ErrorEnvelope),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `configurations/update`.", body = ErrorEnvelope),
        (status = 404, description = "No such configuration of this user.", body = ErrorEnvelope),
        (status = 408, description = "Body not received in full within the body read timeout; the connection is closed.", body = ErrorEnvelope),
        (status = 413, description = "Body over 64 KiB.", body = ErrorEnvelope),
        (status = 415, description = "Not JSON.", body = ErrorEnvelope),
        (status = 422, description = "Validation failed.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn update_configuration(
    state: web::Data<AppState>,
    auth: V2Auth,
    configuration_ref: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::CONFIGURATIONS_UPDATE)?;
    let body = read_json_object(&req, payload).await?;
    let configuration = state
        .directory
        .update_configuration(&principal, &configuration_ref, configuration_input(body))
        .await?;
    Ok(HttpResponse::Ok().json(ConfigurationBody::from(&configuration)))
}

/// Deletes a configuration.
#[utoipa::path(
    delete,
    path = "/api/v2/users/me/configurations/{configuration_ref}",
    tag = "v2: configurations",
    params(("configuration_ref" = String, Path, description = "Numeric id, or key.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "API key without `configurations/destroy`.", body = ErrorEnvelope),
        (status = 404, description = "No such configuration of this user.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn delete_configuration(
    state: web::Data<AppState>,
    auth: V2Auth,
    configuration_ref: web::Path<String>,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::CONFIGURATIONS_DESTROY)?;
    state
        .directory
        .delete_configuration(&principal, &configuration_ref)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn configuration_fields_map() {
        let Value::Object(body) = json!({"key": "a.b", "value": null, "id": 3}) else {
            panic!()
        };
        let input = configuration_input(body);
        assert_eq!(input.key, Some(Some("a.b".into())));
        assert_eq!(input.value, Some(None));
        let Value::Object(body) = json!({"value": 5}) else {
            panic!()
        };
        let input = configuration_input(body);
        assert_eq!(
            (input.key, input.value, input.malformed),
            (None, None, vec!["value"])
        );
    }
}
