//! The SCIM error (RFC 7644 §3.12): `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
//! "status": "<code as a string>", "scimType": "<rule>", "detail": "<sentence>"}`, served as
//! `application/scim+json`, for every failure under `/scim/v2` (401, 403, 404, 405, 408, 413,
//! 415, 429, 503 and 500 included).
//!
//! Validation failures are 400 `invalidValue` naming the SCIM attributes at fault; a taken
//! `userName`, e-mail or `externalId` is 409 `uniqueness`; a filter, path or PATCH operation
//! the family's grammar refuses carries its own `scimType` (`invalidFilter`, `invalidPath`,
//! `noTarget`, `mutability`, `invalidSyntax`, `tooMany`); malformed JSON is `invalidSyntax`.

use crate::error::{Challenge, InvalidField, Problem};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use rollcall_domain::services::{NotFound, ServiceError};
use rollcall_domain::values::Violation;
use serde::Serialize;
use utoipa::ToSchema;

/// The schema URN of an error.
pub(crate) const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The media type of every SCIM response.
pub(crate) const SCIM_JSON: &str = "application/scim+json";

/// A SCIM error body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ScimErrorEnvelope)]
pub(crate) struct ScimErrorEnvelope {
    /// `["urn:ietf:params:scim:api:messages:2.0:Error"]`.
    pub schemas: Vec<String>,
    /// The HTTP status code, as a string.
    pub status: String,
    /// The SCIM error type, for 400 and 409.
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    /// What went wrong.
    pub detail: String,
}

/// A response with a SCIM body (`application/scim+json`).
pub(crate) fn scim_json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(SCIM_JSON)
        .body(serde_json::to_vec(body).unwrap_or_default())
}

/// The status SCIM answers with: validation failures are 400, a taken value 409.
pub(crate) fn status(problem: &Problem) -> StatusCode {
    let fields = problem.invalid_fields();
    match problem {
        Problem::Service(ServiceError::Validation(_)) | Problem::InvalidFields(_)
            if fields.iter().any(|f| f.violation == Violation::Taken) =>
        {
            StatusCode::CONFLICT
        }
        Problem::Service(ServiceError::Validation(_)) | Problem::InvalidFields(_) => {
            StatusCode::BAD_REQUEST
        }
        other => other.status(),
    }
}

/// The `scimType` of a problem, where RFC 7644 defines one.
fn scim_type(problem: &Problem) -> Option<&'static str> {
    let fields = problem.invalid_fields();
    match problem {
        Problem::Service(ServiceError::Validation(_)) | Problem::InvalidFields(_) => {
            if fields.iter().any(|f| f.violation == Violation::Taken) {
                Some("uniqueness")
            } else {
                Some("invalidValue")
            }
        }
        Problem::Refused { rule, .. } => Some(rule),
        Problem::MalformedJson(_) | Problem::MalformedBody(_) => Some("invalidSyntax"),
        Problem::BadRequest(_) => Some("invalidValue"),
        _ => None,
    }
}

/// The SCIM attribute a domain field is written as.
pub(crate) fn attribute_name(field: &str) -> &str {
    match field {
        "username" => "userName",
        "email" => "emails",
        "first_name" => "name.givenName",
        "last_name" => "name.familyName",
        "external_id" => "externalId",
        "enabled" => "active",
        "language" => "preferredLanguage",
        other => other,
    }
}

/// One field failure as a sentence naming the SCIM attribute.
fn field_sentence(f: &InvalidField) -> String {
    let name = attribute_name(&f.field);
    let message = f
        .message
        .strip_prefix(f.field.as_str())
        .unwrap_or(&f.message);
    format!("{name}{message}")
}

/// The `detail` of a problem.
fn detail(problem: &Problem) -> String {
    let fields = problem.invalid_fields();
    if !fields.is_empty() {
        let sentences: Vec<String> = fields.iter().map(field_sentence).collect();
        return format!("{}.", sentences.join("; "));
    }
    match problem {
        Problem::Service(ServiceError::NotFound(NotFound::User(id))) => {
            format!("Resource {id} not found.")
        }
        Problem::Service(ServiceError::Forbidden(f)) => {
            format!("Forbidden: {f}.")
        }
        other => other.message(),
    }
}

/// The body of a problem.
pub(crate) fn envelope(problem: &Problem) -> ScimErrorEnvelope {
    ScimErrorEnvelope {
        schemas: vec![ERROR_SCHEMA.to_owned()],
        status: status(problem).as_u16().to_string(),
        scim_type: scim_type(problem).map(str::to_owned),
        detail: detail(problem),
    }
}

/// The response for a problem (`bare_challenges`: the family's, for a late 401).
pub(crate) fn render(problem: &Problem, bare_challenges: &'static [Challenge]) -> HttpResponse {
    let mut builder = problem.response_builder(bare_challenges);
    builder.status(status(problem));
    builder.content_type(SCIM_JSON);
    let body = serde_json::to_vec(&envelope(problem)).unwrap_or_default();
    builder.body(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::validation_problem as validation;
    use serde_json::{Value, json};

    fn json_of(problem: &Problem) -> Value {
        serde_json::to_value(envelope(problem)).unwrap()
    }

    #[test]
    fn taken_values_are_409_uniqueness_and_other_failures_400_invalid_value() {
        let taken = validation(&[("username", Violation::Taken)]);
        assert_eq!(status(&taken).as_u16(), 409);
        assert_eq!(
            json_of(&taken),
            json!({"schemas": [ERROR_SCHEMA], "status": "409", "scimType": "uniqueness",
                   "detail": "userName has already been taken."})
        );
        let bad = validation(&[
            ("email", Violation::Invalid),
            ("language", Violation::TooLong { max: 16 }),
        ]);
        assert_eq!(status(&bad).as_u16(), 400);
        let body = json_of(&bad);
        assert_eq!(body["scimType"], "invalidValue");
        assert_eq!(
            body["detail"],
            "emails is invalid; preferredLanguage is too long (maximum is 16 characters)."
        );
    }

    #[test]
    fn refusals_carry_their_rule_and_other_statuses_no_type() {
        let refused = Problem::Refused {
            rule: "invalidFilter",
            message: "Unknown attribute nickName.".into(),
        };
        assert_eq!(json_of(&refused)["scimType"], "invalidFilter");
        assert_eq!(status(&refused).as_u16(), 400);
        let last = Problem::Service(ServiceError::LastAdmin);
        let body = json_of(&last);
        assert_eq!(body["status"], "400");
        assert_eq!(body["detail"], ServiceError::LAST_ADMIN_MESSAGE);
        assert!(body.get("scimType").is_none());
        let missing = Problem::Service(ServiceError::NotFound(NotFound::User("u-1".into())));
        assert_eq!(json_of(&missing)["detail"], "Resource u-1 not found.");
        assert_eq!(json_of(&Problem::RouteNotFound)["status"], "404");
        let response = render(&Problem::PayloadTooLarge { limit: 65536 }, &[]);
        assert_eq!(response.status().as_u16(), 413);
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/scim+json"
        );
        assert_eq!(
            json_of(&Problem::MalformedJson("eof".into()))["scimType"],
            "invalidSyntax"
        );
    }
}
