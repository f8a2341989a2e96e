//! The SCIM bodies as the OpenAPI document describes them. Responses are built as JSON
//! documents (`resource::render_user`, trimmed by `attributes`/`excludedAttributes`), so in a
//! response only `schemas` and `id` are sure to be present; these types exist for the
//! document only.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `name`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimName {
    /// First name.
    #[serde(rename = "givenName")]
    pub given_name: Option<String>,
    /// Last name.
    #[serde(rename = "familyName")]
    pub family_name: Option<String>,
}

/// One element of `emails`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimEmail {
    /// The address.
    pub value: String,
    /// Read on input (`work` marks the address to keep when several are sent); not stored.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Read on input (the primary address is the one kept); not stored.
    pub primary: Option<bool>,
}

/// `meta`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimMeta {
    /// `User`.
    #[serde(rename = "resourceType")]
    pub resource_type: String,
    /// Creation instant (RFC 3339, milliseconds, `Z`).
    pub created: String,
    /// Last change instant.
    #[serde(rename = "lastModified")]
    pub last_modified: String,
    /// The resource's URL.
    pub location: String,
    /// A weak ETag of the last change (`W/"…"`).
    pub version: String,
}

/// A User resource.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimUser {
    /// `["urn:ietf:params:scim:schemas:core:2.0:User"]`.
    pub schemas: Vec<String>,
    /// The user's UUID.
    pub id: String,
    /// The identifier in the provisioning system (unique when present).
    #[serde(rename = "externalId")]
    #[schema(required = false)]
    pub external_id: Option<String>,
    /// The username.
    #[serde(rename = "userName")]
    #[schema(required = false)]
    pub user_name: Option<String>,
    /// The name.
    #[schema(required = false)]
    pub name: Option<ScimName>,
    /// The e-mail address, as a list of at most one.
    #[schema(required = false)]
    pub emails: Option<Vec<ScimEmail>>,
    /// Enabled.
    #[schema(required = false)]
    pub active: Option<bool>,
    /// The language.
    #[serde(rename = "preferredLanguage")]
    #[schema(required = false)]
    pub preferred_language: Option<String>,
    /// Metadata.
    #[schema(required = false)]
    pub meta: Option<ScimMeta>,
}

/// A User body for POST and PUT (unknown and read-only attributes are ignored; attribute
/// names are case-insensitive).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimUserRequest {
    /// `["urn:ietf:params:scim:schemas:core:2.0:User"]` (not checked).
    pub schemas: Option<Vec<String>>,
    /// The username (required).
    #[serde(rename = "userName")]
    pub user_name: String,
    /// The identifier in the provisioning system.
    #[serde(rename = "externalId")]
    pub external_id: Option<String>,
    /// The name.
    pub name: Option<ScimName>,
    /// The e-mail address (the primary element, else the first of type `work`, else the first).
    pub emails: Option<Vec<ScimEmail>>,
    /// Enabled (`"True"`/`"False"` strings are read too).
    pub active: Option<bool>,
    /// The language.
    #[serde(rename = "preferredLanguage")]
    pub preferred_language: Option<String>,
    /// Read as `preferredLanguage` when that is absent.
    pub locale: Option<String>,
    /// Write-only; never returned. An API key cannot change a password (Basic can).
    pub password: Option<String>,
}

/// A page of users (RFC 7644 §3.4.2).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimUserList {
    /// `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`.
    pub schemas: Vec<String>,
    /// Users matching the filter, over every page.
    #[serde(rename = "totalResults")]
    pub total_results: u64,
    /// The 1-based index of the first resource of the page.
    #[serde(rename = "startIndex")]
    pub start_index: u64,
    /// Resources on this page.
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: u64,
    /// The page (absent when `count` is 0).
    #[serde(rename = "Resources")]
    #[schema(required = false)]
    pub resources: Option<Vec<ScimUser>>,
}

/// One PATCH operation (RFC 7644 §3.5.2).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimPatchOperation {
    /// `add`, `replace` or `remove` (any case).
    pub op: String,
    /// The attribute path (`active`, `name.givenName`, `emails[type eq "work"].value`, …);
    /// without it, `value` is an object of attributes.
    pub path: Option<String>,
    /// The new value (not for `remove`).
    pub value: Option<Value>,
}

/// A PATCH body.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimPatchRequest {
    /// Must contain `urn:ietf:params:scim:api:messages:2.0:PatchOp`.
    pub schemas: Vec<String>,
    /// 1 to 64 operations, applied in order, all or nothing.
    #[serde(rename = "Operations")]
    pub operations: Vec<ScimPatchOperation>,
}

/// A search body for `POST /.search` (RFC 7644 §3.4.3).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScimSearchRequest {
    /// Must contain `urn:ietf:params:scim:api:messages:2.0:SearchRequest`.
    pub schemas: Vec<String>,
    /// A filter, as the `filter` query parameter.
    pub filter: Option<String>,
    /// Attributes to return.
    pub attributes: Option<Vec<String>>,
    /// Attributes not to return.
    #[serde(rename = "excludedAttributes")]
    pub excluded_attributes: Option<Vec<String>>,
    /// An attribute to sort on.
    #[serde(rename = "sortBy")]
    pub sort_by: Option<String>,
    /// `ascending` or `descending`.
    #[serde(rename = "sortOrder")]
    pub sort_order: Option<String>,
    /// 1-based; below 1 reads as 1.
    #[serde(rename = "startIndex")]
    pub start_index: Option<i64>,
    /// Page size, 0–1000.
    pub count: Option<i64>,
}
