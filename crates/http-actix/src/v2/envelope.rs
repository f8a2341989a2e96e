//! The v2 error envelope, which satisfies both source clients:
//! `{"detail": msg, "messages": [msg, …], "details": {field: [{"error": code, "value"?, "count"?}]}}`
//! with `details` = `{}` when no field is at fault and `detail` = the first message.

use crate::error::{Challenge, Problem};
use actix_web::HttpResponse;
use rollcall_domain::services::{Forbidden, NotFound, ServiceError};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Every v2 error body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "detail": "username has already been taken",
    "messages": ["username has already been taken"],
    "details": {"username": [{"error": "taken", "value": "alice"}]}
}))]
pub(crate) struct ErrorEnvelope {
    /// The first message.
    pub detail: String,
    /// Every message, one per problem found.
    pub messages: Vec<String>,
    /// The fields at fault, each with its Nodeum error codes; `{}` when none is.
    pub details: BTreeMap<String, Vec<FieldErrorBody>>,
}

/// One error of one field.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FieldErrorBody {
    /// `blank`, `invalid`, `taken`, `too_short`, `too_long`, `greater_than_or_equal_to`,
    /// `less_than_or_equal_to`.
    pub error: String,
    /// The rejected value (`invalid`, `taken`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The bound (`too_short`, `too_long`, range errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

impl ErrorEnvelope {
    /// The envelope of a problem.
    pub(crate) fn of(problem: &Problem) -> Self {
        let fields = problem.invalid_fields();
        if fields.is_empty() {
            let message = message(problem);
            return Self {
                detail: message.clone(),
                messages: vec![message],
                details: BTreeMap::new(),
            };
        }
        let messages: Vec<String> = fields.iter().map(|f| f.message.clone()).collect();
        let mut details: BTreeMap<String, Vec<FieldErrorBody>> = BTreeMap::new();
        for f in fields {
            details.entry(f.field).or_default().push(FieldErrorBody {
                error: f.violation.code().to_owned(),
                count: f.violation.count(),
                value: f.value,
            });
        }
        Self {
            detail: messages.first().cloned().unwrap_or_default(),
            messages,
            details,
        }
    }
}

/// The v2 (Nodeum) sentence of a refusal.
pub(crate) fn forbidden_message(f: &Forbidden) -> String {
    match f {
        Forbidden::MissingScope(scope) => {
            format!("API key does not have the scope {scope} required by this action.")
        }
        Forbidden::AdminOnly(action) => format!("User does not have access to {action}."),
        Forbidden::UpdateOtherUser => "User does not have access to update this resource.".into(),
        Forbidden::AdminStatus => "User does not have access to update admin status.".into(),
        Forbidden::AdminOnlyField(field) => format!("User does not have access to update {field}."),
        Forbidden::ScopeEscalation => {
            "An API key cannot grant scopes that it does not hold itself.".into()
        }
        Forbidden::ExpiryEscalation => {
            "An API key cannot make or extend a key beyond its own expiry.".into()
        }
        Forbidden::ApiKeyPassword => "An API key cannot change a password.".into(),
        Forbidden::ApiKeyAdminPassword => {
            "An API key cannot create an admin with a password.".into()
        }
    }
}

/// The v2 (Nodeum) sentence of a 404 for a record.
pub(crate) fn not_found_message(n: &NotFound) -> String {
    match n {
        NotFound::User(r) => format!("User not found for id {r}"),
        NotFound::Configuration(r) => format!("Configuration not found for id {r}"),
        NotFound::ApiKey(r) => format!("API key not found for id {r}"),
    }
}

/// The one v2 sentence of a problem that is not about fields.
fn message(problem: &Problem) -> String {
    match problem {
        Problem::Service(ServiceError::Forbidden(f)) => forbidden_message(f),
        Problem::Service(ServiceError::NotFound(n)) => not_found_message(n),
        other => other.message(),
    }
}

/// The response for a problem (`bare_challenges`: the family's, for a late 401): status, challenge or `Allow` headers, and the envelope.
pub(crate) fn render(problem: &Problem, bare_challenges: &'static [Challenge]) -> HttpResponse {
    problem
        .response_builder(bare_challenges)
        .json(ErrorEnvelope::of(problem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InvalidField;
    use rollcall_domain::services::{Forbidden, NotFound, ServiceError};
    use rollcall_domain::values::{FieldViolation, Violation, Violations};
    use serde_json::{Value, json};

    fn json_of(problem: Problem) -> Value {
        serde_json::to_value(ErrorEnvelope::of(&problem)).unwrap()
    }

    #[test]
    fn plain_errors_have_empty_details() {
        assert_eq!(
            json_of(Problem::Service(ServiceError::NotFound(NotFound::User(
                "42".into()
            )))),
            json!({
                "detail": "User not found for id 42",
                "messages": ["User not found for id 42"],
                "details": {}
            })
        );
        assert_eq!(
            json_of(Problem::Service(ServiceError::Forbidden(
                Forbidden::AdminStatus
            )))["detail"],
            "User does not have access to update admin status."
        );
        assert_eq!(
            json_of(Problem::Service(ServiceError::LastAdmin))["detail"],
            "Cannot disable or demote the last enabled admin."
        );
        assert_eq!(
            json_of(Problem::Service(ServiceError::Internal(
                "db schema broken".into()
            )))["detail"],
            "Internal server error."
        );
    }

    #[test]
    fn validation_errors_list_every_field() {
        let mut v = Violations::new();
        v.push(FieldViolation::with_value(
            "username",
            Violation::Taken,
            "alice",
        ));
        v.push(FieldViolation::new(
            "password",
            Violation::TooShort { min: 8 },
        ));
        v.push(FieldViolation::new("password", Violation::Blank));
        let body = json_of(Problem::Service(ServiceError::Validation(v)));
        assert_eq!(
            body,
            json!({
                "detail": "username has already been taken",
                "messages": [
                    "username has already been taken",
                    "password is too short (minimum is 8 characters)",
                    "password can't be blank"
                ],
                "details": {
                    "username": [{"error": "taken", "value": "alice"}],
                    "password": [{"error": "too_short", "count": 8}, {"error": "blank"}]
                }
            })
        );
    }

    #[test]
    fn http_level_invalid_fields_render_the_same_way() {
        let body = json_of(Problem::InvalidFields(vec![InvalidField::invalid(
            "colour",
            Some("red".into()),
            "colour is not a field that can be filtered or sorted on".into(),
        )]));
        assert_eq!(
            body["details"]["colour"],
            json!([{"error": "invalid", "value": "red"}])
        );
        assert_eq!(body["detail"], body["messages"][0]);
    }

    #[test]
    fn rendered_responses_carry_status_and_json() {
        let r = render(&Problem::PayloadTooLarge { limit: 65536 }, &[]);
        assert_eq!(r.status().as_u16(), 413);
        assert_eq!(
            r.headers().get("content-type").map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );
        assert!(r.keep_alive(), "a 413 leaves the connection open");
    }

    #[test]
    fn a_body_read_timeout_is_408_and_closes_the_connection() {
        let problem = Problem::RequestTimeout {
            after: std::time::Duration::from_secs(10),
        };
        let r = render(&problem, &[]);
        assert_eq!(r.status().as_u16(), 408);
        assert!(!r.keep_alive(), "Connection: close");
        assert_eq!(
            json_of(problem),
            json!({
                "detail": "The request body did not arrive in full within 10 s.",
                "messages": ["The request body did not arrive in full within 10 s."],
                "details": {}
            })
        );
    }
}
