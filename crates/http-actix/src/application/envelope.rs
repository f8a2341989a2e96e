//! The application family's error envelope, as Pterodactyl's exception handler writes it:
//! `{"errors": [{"code": "<ExceptionName>", "status": "<status>", "detail": "<message>",
//! "meta"?: {"source_field", "rule"}}]}`. A validation failure (422, `ValidationException`)
//! has one entry per failed rule, each with `meta` naming the field and the Laravel rule
//! (`required`, `email`, `max`, `min`, `unique`, `string`, `boolean`, `integer`, `regex`,
//! `p_username`) and Laravel's sentence for it; every other problem is one entry.

use crate::error::{Challenge, InvalidField, Problem};
use actix_web::HttpResponse;
use rollcall_domain::services::{Forbidden, ServiceError};
use rollcall_domain::values::Violation;
use serde::Serialize;
use utoipa::ToSchema;

/// 403 for a principal that is not an admin.
pub(crate) const NOT_AN_ADMIN: &str = "This account does not have permission to access the API.";
/// 403 for an API key without the route's scope (Laravel's `AuthorizationException`).
pub(crate) const UNAUTHORIZED_ACTION: &str = "This action is unauthorized.";
/// 404 for an unknown record or route.
pub(crate) const NOT_FOUND: &str = "The requested resource could not be found on the server.";
/// 401 (Laravel's `AuthenticationException`).
pub(crate) const UNAUTHENTICATED: &str = "Unauthenticated.";
/// 500; the cause goes to the log only.
pub(crate) const UNEXPECTED: &str =
    "An unexpected error was encountered while processing this request, please try again.";

/// Every application error body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"errors": [{
    "code": "ValidationException", "status": "422",
    "detail": "The email field is required.",
    "meta": {"source_field": "email", "rule": "required"}
}]}))]
pub(crate) struct ApplicationErrorEnvelope {
    /// One entry per problem (per failed rule for validation).
    pub errors: Vec<ApplicationErrorEntry>,
}

/// One error.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationErrorEntry {
    /// The exception's name: `ValidationException`, `NotFoundHttpException`, …
    #[schema(example = "NotFoundHttpException")]
    pub code: &'static str,
    /// The HTTP status, as a string.
    #[schema(example = "404")]
    pub status: String,
    /// The message.
    pub detail: String,
    /// The field and rule, for validation errors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<ValidationFailure>,
}

/// Which rule failed on which field.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ValidationFailure {
    /// The field or query parameter.
    #[schema(example = "email")]
    pub source_field: String,
    /// The Laravel rule name.
    #[schema(example = "required")]
    pub rule: &'static str,
}

/// The wire name of a field (the domain's `is_admin` is `root_admin` here).
fn wire_name(field: &str) -> &str {
    match field {
        "is_admin" => "root_admin",
        other => other,
    }
}

/// The Laravel rule a violation of `field` breaks.
fn rule(field: &str, violation: &Violation) -> &'static str {
    match (violation, field) {
        (Violation::Blank, _) => "required",
        (Violation::Taken, _) => "unique",
        (Violation::TooShort { .. } | Violation::TooSmall { .. }, _) => "min",
        (Violation::TooLong { .. } | Violation::TooMany { .. } | Violation::TooLarge { .. }, _) => {
            "max"
        }
        (_, "root_admin") => "boolean",
        (_, "page" | "per_page") => "integer",
        (Violation::Invalid, "email") => "email",
        (Violation::Invalid, "username") => "p_username",
        (Violation::Invalid, "language") => "regex",
        (Violation::Invalid | Violation::WrongType, _) => "string",
    }
}

/// Laravel's sentence for a rule (its `:attribute` is the field with spaces for underscores).
fn sentence(field: &str, rule: &str, violation: &Violation) -> String {
    let attribute = field.replace('_', " ");
    match (rule, violation) {
        ("required", _) => format!("The {attribute} field is required."),
        ("unique", _) => format!("The {attribute} has already been taken."),
        ("min", Violation::TooShort { min }) => {
            format!("The {attribute} field must be at least {min} characters.")
        }
        ("min", Violation::TooSmall { min }) => {
            format!("The {attribute} field must be at least {min}.")
        }
        ("max", Violation::TooLong { max }) => {
            format!("The {attribute} field must not be greater than {max} characters.")
        }
        ("max", Violation::TooMany { max }) => {
            format!("The {attribute} field must not have more than {max} items.")
        }
        ("max", Violation::TooLarge { max }) => {
            format!("The {attribute} field must not be greater than {max}.")
        }
        ("email", _) => format!("The {attribute} field must be a valid email address."),
        ("boolean", _) => format!("The {attribute} field must be true or false."),
        ("integer", _) => format!("The {attribute} field must be an integer."),
        ("regex", _) => format!("The {attribute} field format is invalid."),
        ("p_username", _) => format!(
            "The {attribute} must start with a letter, number or underscore, contain only \
             letters, numbers, dashes, underscores and periods, and be neither only numbers nor \
             a reserved word."
        ),
        _ => format!("The {attribute} field must be a string."),
    }
}

/// One `ValidationException` entry.
fn validation_entry(f: &InvalidField) -> ApplicationErrorEntry {
    let field = wire_name(&f.field);
    let rule = rule(field, &f.violation);
    ApplicationErrorEntry {
        code: "ValidationException",
        status: "422".to_owned(),
        detail: sentence(field, rule, &f.violation),
        meta: Some(ValidationFailure {
            source_field: field.to_owned(),
            rule,
        }),
    }
}

/// The exception name and message of a problem that is not about fields.
fn code_and_detail(problem: &Problem) -> (&'static str, String) {
    match problem {
        Problem::Service(e) => match e {
            ServiceError::Unauthenticated => ("AuthenticationException", UNAUTHENTICATED.into()),
            ServiceError::Forbidden(Forbidden::AdminOnly(_)) => {
                ("AccessDeniedHttpException", NOT_AN_ADMIN.into())
            }
            ServiceError::Forbidden(Forbidden::ApiKeyPassword) => (
                "AccessDeniedHttpException",
                "An API key cannot change a password.".into(),
            ),
            ServiceError::Forbidden(Forbidden::ApiKeyAdminPassword) => (
                "AccessDeniedHttpException",
                "An API key cannot create an admin with a password.".into(),
            ),
            ServiceError::Forbidden(_) => ("AccessDeniedHttpException", UNAUTHORIZED_ACTION.into()),
            ServiceError::NotFound(_) => ("NotFoundHttpException", NOT_FOUND.into()),
            ServiceError::Validation(_) => ("ValidationException", problem.message()),
            ServiceError::LastAdmin => ("DisplayException", problem.message()),
            ServiceError::Unavailable(_) | ServiceError::Overloaded { .. } => {
                ("ServiceUnavailableHttpException", problem.message())
            }
            ServiceError::Throttled { .. } => ("TooManyRequestsHttpException", problem.message()),
            ServiceError::Internal(_) => ("HttpException", UNEXPECTED.into()),
        },
        Problem::Unauthenticated { .. } => ("AuthenticationException", UNAUTHENTICATED.into()),
        Problem::InvalidFields(_) => ("ValidationException", problem.message()),
        Problem::MalformedJson(cause) => (
            "BadRequestHttpException",
            format!("The JSON data passed in the request appears to be malformed: {cause}"),
        ),
        Problem::MalformedBody(m)
        | Problem::BadRequest(m)
        | Problem::Refused { message: m, .. } => ("BadRequestHttpException", m.clone()),
        Problem::UnsupportedMediaType(m) => ("UnsupportedMediaTypeHttpException", m.clone()),
        Problem::PayloadTooLarge { .. } => ("PostTooLargeException", problem.message()),
        // Symfony has no exception class of its own for 408.
        Problem::RequestTimeout { .. } => ("HttpException", problem.message()),
        Problem::RouteNotFound => ("NotFoundHttpException", NOT_FOUND.into()),
        Problem::MethodNotAllowed { allow } => (
            "MethodNotAllowedHttpException",
            format!("The method is not supported for this route. Supported methods: {allow}."),
        ),
    }
}

impl ApplicationErrorEnvelope {
    /// The envelope of a problem.
    pub(crate) fn of(problem: &Problem) -> Self {
        let fields = problem.invalid_fields();
        if !fields.is_empty() {
            return Self {
                errors: fields.iter().map(validation_entry).collect(),
            };
        }
        let (code, detail) = code_and_detail(problem);
        Self {
            errors: vec![ApplicationErrorEntry {
                code,
                status: problem.status().as_u16().to_string(),
                detail,
                meta: None,
            }],
        }
    }
}

/// The response for a problem (`bare_challenges`: the family's, for a late 401): status, challenge or `Allow` headers, and the envelope.
pub(crate) fn render(problem: &Problem, bare_challenges: &'static [Challenge]) -> HttpResponse {
    problem
        .response_builder(bare_challenges)
        .json(ApplicationErrorEnvelope::of(problem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::validation_problem as validation;
    use rollcall_domain::services::NotFound;
    use rollcall_domain::values::Scope;
    use serde_json::{Value, json};

    fn json_of(problem: Problem) -> Value {
        serde_json::to_value(ApplicationErrorEnvelope::of(&problem)).unwrap()
    }

    #[test]
    fn every_violation_maps_to_its_laravel_rule() {
        let body = json_of(validation(&[
            ("email", Violation::Blank),
            ("email", Violation::Invalid),
            ("username", Violation::Invalid),
            ("username", Violation::Taken),
            ("first_name", Violation::TooLong { max: 191 }),
            ("last_name", Violation::WrongType),
            ("language", Violation::Invalid),
            ("is_admin", Violation::WrongType),
            ("password", Violation::TooShort { min: 8 }),
        ]));
        let rules: Vec<(&str, &str)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["code"], "ValidationException");
                assert_eq!(e["status"], "422");
                (
                    e["meta"]["source_field"].as_str().unwrap(),
                    e["meta"]["rule"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rules,
            [
                ("email", "required"),
                ("email", "email"),
                ("username", "p_username"),
                ("username", "unique"),
                ("first_name", "max"),
                ("last_name", "string"),
                ("language", "regex"),
                ("root_admin", "boolean"),
                ("password", "min"),
            ]
        );
        assert_eq!(body["errors"][0]["detail"], "The email field is required.");
        assert_eq!(
            body["errors"][4]["detail"],
            "The first name field must not be greater than 191 characters."
        );
        assert_eq!(
            body["errors"][8]["detail"],
            "The password field must be at least 8 characters."
        );
    }

    #[test]
    fn query_parameters_are_rules_too() {
        let body = json_of(Problem::InvalidFields(vec![
            InvalidField {
                field: "per_page".into(),
                violation: Violation::TooSmall { min: 1 },
                value: None,
                message: String::new(),
            },
            InvalidField {
                field: "page".into(),
                violation: Violation::WrongType,
                value: None,
                message: String::new(),
            },
        ]));
        assert_eq!(
            body["errors"][0],
            json!({"code": "ValidationException", "status": "422",
                   "detail": "The per page field must be at least 1.",
                   "meta": {"source_field": "per_page", "rule": "min"}})
        );
        assert_eq!(body["errors"][1]["meta"]["rule"], "integer");
    }

    #[test]
    fn other_problems_name_their_exception() {
        let one = |p: Problem| {
            let body = json_of(p);
            assert_eq!(body["errors"].as_array().unwrap().len(), 1);
            assert!(body["errors"][0].get("meta").is_none());
            (
                body["errors"][0]["code"].as_str().unwrap().to_owned(),
                body["errors"][0]["status"].as_str().unwrap().to_owned(),
                body["errors"][0]["detail"].as_str().unwrap().to_owned(),
            )
        };
        assert_eq!(
            one(Problem::Service(ServiceError::NotFound(NotFound::User(
                "9".into()
            )))),
            (
                "NotFoundHttpException".into(),
                "404".into(),
                NOT_FOUND.into()
            )
        );
        assert_eq!(
            one(Problem::Service(ServiceError::Forbidden(
                Forbidden::AdminOnly("x")
            ))),
            (
                "AccessDeniedHttpException".into(),
                "403".into(),
                NOT_AN_ADMIN.into()
            )
        );
        assert_eq!(
            one(Problem::Service(ServiceError::Forbidden(
                Forbidden::MissingScope(Scope::USERS_SHOW)
            )))
            .2,
            UNAUTHORIZED_ACTION
        );
        assert_eq!(
            one(Problem::Service(ServiceError::LastAdmin)),
            (
                "DisplayException".into(),
                "400".into(),
                ServiceError::LAST_ADMIN_MESSAGE.into()
            )
        );
        assert_eq!(
            one(Problem::Service(ServiceError::Internal("secret".into()))).2,
            UNEXPECTED
        );
        assert_eq!(
            one(Problem::BadRequest("nope".into())),
            (
                "BadRequestHttpException".into(),
                "400".into(),
                "nope".into()
            )
        );
        assert_eq!(one(Problem::PayloadTooLarge { limit: 65536 }).1, "413");
        assert_eq!(
            one(Problem::RequestTimeout {
                after: std::time::Duration::from_secs(10)
            }),
            (
                "HttpException".into(),
                "408".into(),
                "The request body did not arrive in full within 10 s.".into()
            )
        );
        assert_eq!(one(Problem::RouteNotFound).2, NOT_FOUND);
    }
}
