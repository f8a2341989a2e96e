//! SCIM discovery (RFC 7644 §4, RFC 7643 §5–7): the service provider configuration, the one
//! resource type (User; Rollcall has no groups, so there is no Group resource type) and the
//! User schema, describing exactly the attributes the family reads and returns.
//!
//! These documents describe the server, not any user, and are served without
//! authentication, as RFC 7644 §4 allows.

use super::envelope::{ScimErrorEnvelope, scim_json};
use super::family::ScimResult;
use super::filter::USER_SCHEMA;
use super::listing::LIST_RESPONSE_SCHEMA;
use super::resource::USER_RESOURCE_TYPE;
use crate::state::{AppState, base_url};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use rollcall_domain::listing::PageRequest;
use rollcall_domain::services::{NotFound, ServiceError};
use serde_json::{Value, json};

/// The schema URN of the service provider configuration.
const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// The schema URN of a resource type.
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// The schema URN of a schema.
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Languages offered as `canonicalValues` of `preferredLanguage` (any language tag of at
/// most 16 letters, `-` and `_` is accepted).
const LANGUAGES: &[&str] = &[
    "en", "en-US", "en-GB", "fr", "de", "es", "it", "nl", "pt-BR",
];

/// A string attribute of the User schema.
fn string_attribute(name: &str, description: &str, required: bool, unique: bool) -> Value {
    json!({
        "name": name, "type": "string", "multiValued": false, "description": description,
        "required": required, "caseExact": false, "mutability": "readWrite",
        "returned": "default", "uniqueness": if unique { "server" } else { "none" },
    })
}

/// The User schema as this server implements it.
pub(crate) fn user_schema(base: &str) -> Value {
    let mut language = string_attribute(
        "preferredLanguage",
        "The user's language (default en); locale is read as the same value when \
         preferredLanguage is absent. Always has a value.",
        true,
        false,
    );
    language["canonicalValues"] = json!(LANGUAGES);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A user of the directory.",
        "attributes": [
            string_attribute(
                "userName",
                "Unique, case-insensitively. 1–191 characters of letters, digits, '.', '_' \
                 and '-', starting with a letter, digit or '_', not all digits.",
                true,
                true,
            ),
            {
                "name": "name", "type": "complex", "multiValued": false,
                "description": "The user's name.", "required": false,
                "mutability": "readWrite", "returned": "default", "uniqueness": "none",
                "subAttributes": [
                    string_attribute("givenName", "First name.", false, false),
                    string_attribute("familyName", "Last name.", false, false),
                ],
            },
            {
                "name": "emails", "type": "complex", "multiValued": true,
                "description": "The user's one e-mail address (unique, case-insensitively): \
                                the element marked primary, else the first of type work, else \
                                the first.",
                "required": false, "mutability": "readWrite", "returned": "default",
                "uniqueness": "none",
                "subAttributes": [
                    string_attribute("value", "The address.", false, true),
                ],
            },
            {
                "name": "active", "type": "boolean", "multiValued": false,
                "description": "False disables the user and ends their sessions. Always has \
                                a value (default true).",
                "required": true, "mutability": "readWrite", "returned": "default",
            },
            language,
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/scim/v2/Schemas/{USER_SCHEMA}"),
        },
    })
}

/// The User resource type.
fn user_resource_type(base: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": USER_RESOURCE_TYPE,
        "name": USER_RESOURCE_TYPE,
        "endpoint": "/Users",
        "description": "Users of the directory. Rollcall has no groups, so there is no Group \
                        resource type.",
        "schema": USER_SCHEMA,
        "schemaExtensions": [],
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/scim/v2/ResourceTypes/{USER_RESOURCE_TYPE}"),
        },
    })
}

/// A list of discovery documents.
fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// Not found, in the SCIM envelope.
fn not_found(id: &str) -> ServiceError {
    ServiceError::NotFound(NotFound::User(super::filter::excerpt(id)))
}

/// The service provider configuration.
#[utoipa::path(
    get,
    operation_id = "scim_get_service_provider_config",
    path = "/scim/v2/ServiceProviderConfig",
    tag = "scim: discovery",
    security(()),
    responses(
        (status = 200, description = "What the server supports: PATCH, filters (at most 1000 results a page), sorting, password changes; no bulk operations and no ETags.", body = Object, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn get_service_provider_config(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ScimResult {
    let base = base_url(&req, &state.settings);
    Ok(scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
            "documentationUri": format!("{base}/docs/"),
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": PageRequest::MAX_LIMIT},
            "changePassword": {"supported": true},
            "sort": {"supported": true},
            "etag": {"supported": false},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "API key",
                    "description": "An admin's API key as `Authorization: Bearer <key>`, with the scopes users/index, users/show, users/create, users/update and users/destroy.",
                    "primary": true,
                },
                {
                    "type": "httpbasic",
                    "name": "HTTP Basic",
                    "description": "An admin's username (or e-mail) and password.",
                },
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{base}/scim/v2/ServiceProviderConfig"),
            },
        }),
    ))
}

/// The resource types: User only.
#[utoipa::path(
    get,
    operation_id = "scim_list_resource_types",
    path = "/scim/v2/ResourceTypes",
    tag = "scim: discovery",
    security(()),
    responses(
        (status = 200, description = "A list holding the User resource type.", body = Object, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn list_resource_types(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ScimResult {
    let base = base_url(&req, &state.settings);
    Ok(scim_json(
        StatusCode::OK,
        &list(vec![user_resource_type(&base)]),
    ))
}

/// One resource type.
#[utoipa::path(
    get,
    operation_id = "scim_get_resource_type",
    path = "/scim/v2/ResourceTypes/{id}",
    tag = "scim: discovery",
    security(()),
    params(("id" = String, Path, description = "`User`.")),
    responses(
        (status = 200, description = "The resource type.", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such resource type.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn get_resource_type(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ScimResult {
    if id.as_str() != USER_RESOURCE_TYPE {
        return Err(not_found(&id).into());
    }
    let base = base_url(&req, &state.settings);
    Ok(scim_json(StatusCode::OK, &user_resource_type(&base)))
}

/// The schemas: the core User schema.
#[utoipa::path(
    get,
    operation_id = "scim_list_schemas",
    path = "/scim/v2/Schemas",
    tag = "scim: discovery",
    security(()),
    responses(
        (status = 200, description = "A list holding the User schema.", body = Object, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn list_schemas(state: web::Data<AppState>, req: HttpRequest) -> ScimResult {
    let base = base_url(&req, &state.settings);
    Ok(scim_json(StatusCode::OK, &list(vec![user_schema(&base)])))
}

/// One schema.
#[utoipa::path(
    get,
    operation_id = "scim_get_schema",
    path = "/scim/v2/Schemas/{id}",
    tag = "scim: discovery",
    security(()),
    params(("id" = String, Path, description = "`urn:ietf:params:scim:schemas:core:2.0:User`.")),
    responses(
        (status = 200, description = "The schema.", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such schema.", body = ScimErrorEnvelope, content_type = "application/scim+json"),
    )
)]
pub(crate) async fn get_schema(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ScimResult {
    if !id.eq_ignore_ascii_case(USER_SCHEMA) {
        return Err(not_found(&id).into());
    }
    let base = base_url(&req, &state.settings);
    Ok(scim_json(StatusCode::OK, &user_schema(&base)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::resource::USER_ATTRIBUTES;

    #[test]
    fn the_schema_describes_every_rendered_attribute_but_the_common_ones() {
        let schema = user_schema("http://x");
        let names: Vec<&str> = schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        let rendered: Vec<&str> = USER_ATTRIBUTES
            .iter()
            .copied()
            .filter(|a| !matches!(*a, "externalId" | "meta"))
            .collect();
        assert_eq!(names, rendered);
        for language in LANGUAGES {
            assert!(
                rollcall_domain::values::Language::parse(language).is_ok(),
                "{language}"
            );
        }
    }
}
