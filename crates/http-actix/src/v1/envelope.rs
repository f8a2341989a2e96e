//! The v1 error: a bare JSON string (not an object), worded like the Go service Unryo clients
//! were written against. Validation failures read like Go's validator
//! (`Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on
//! the 'min' tag`, one line per failure, joined by `\n` as `ValidationErrors.Error()` does);
//! the rest are short fixed sentences (`User not found`, `Unauthorized`, gin's own
//! `404 page not found`, Go's `http: request body too large`, Go's status texts). The whole table is in
//! `docs/compatibility.md`.
//!
//! v1 has no 422: validation failures are 400, and a taken username is 409
//! `Username already existed`.

use crate::error::{Challenge, InvalidField, Problem};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use rollcall_domain::services::{Forbidden, NotFound, ServiceError};
use rollcall_domain::values::Violation;

/// 401, with or without credentials.
pub(crate) const UNAUTHORIZED: &str = "Unauthorized";
/// 403 for anything a user may not do.
pub(crate) const PERMISSION_DENIED: &str = "Permission denied";
/// 404 for an unknown username.
pub(crate) const USER_NOT_FOUND: &str = "User not found";
/// 409 for a taken username.
pub(crate) const USERNAME_TAKEN: &str = "Username already existed";
/// 400 for a wrong `current_password`.
pub(crate) const WRONG_CURRENT_PASSWORD: &str = "Current password is incorrect";
/// 404 for an unknown route (gin's default text).
pub(crate) const ROUTE_NOT_FOUND: &str = "404 page not found";
/// 405 (gin's default text).
pub(crate) const METHOD_NOT_ALLOWED: &str = "405 method not allowed";
/// 413 (the error of Go's `http.MaxBytesReader`).
pub(crate) const BODY_TOO_LARGE: &str = "http: request body too large";
/// 408 (Go's `http.StatusText`, like 500 and 503).
pub(crate) const REQUEST_TIMEOUT: &str = "Request Timeout";
/// 415.
pub(crate) const NOT_JSON: &str = "Content-Type must be application/json";
/// 503.
pub(crate) const UNAVAILABLE: &str = "Service Unavailable";
/// A 429 (Go's status text, as for the other statuses v1 words itself).
pub(crate) const TOO_MANY_REQUESTS: &str = "Too Many Requests";
/// 500; the cause goes to the log only.
pub(crate) const INTERNAL: &str = "Internal Server Error";

/// The status v1 answers with: validation failures are 400 (409 when the username is taken);
/// everything else as for every family.
pub(crate) fn status(problem: &Problem) -> StatusCode {
    match problem {
        Problem::Service(ServiceError::Validation(v))
            if v.iter().any(|f| f.violation == Violation::Taken) =>
        {
            StatusCode::CONFLICT
        }
        Problem::Service(ServiceError::Validation(_)) | Problem::InvalidFields(_) => {
            StatusCode::BAD_REQUEST
        }
        other => other.status(),
    }
}

/// The error string of a problem.
pub(crate) fn message(problem: &Problem) -> String {
    match problem {
        Problem::Service(e) => match e {
            ServiceError::Unauthenticated => UNAUTHORIZED.to_owned(),
            ServiceError::Forbidden(Forbidden::MissingScope(scope)) => {
                format!("{PERMISSION_DENIED}: the API key lacks the scope {scope}")
            }
            ServiceError::Forbidden(Forbidden::ApiKeyPassword) => {
                format!("{PERMISSION_DENIED}: an API key cannot change a password")
            }
            ServiceError::Forbidden(Forbidden::ApiKeyAdminPassword) => {
                format!("{PERMISSION_DENIED}: an API key cannot create an admin with a password")
            }
            ServiceError::Forbidden(_) => PERMISSION_DENIED.to_owned(),
            ServiceError::NotFound(NotFound::User(_)) => USER_NOT_FOUND.to_owned(),
            ServiceError::NotFound(_) => ROUTE_NOT_FOUND.to_owned(),
            ServiceError::Validation(_) => validation_message(&problem.invalid_fields()),
            ServiceError::LastAdmin => ServiceError::LAST_ADMIN_MESSAGE.to_owned(),
            ServiceError::Unavailable(_) | ServiceError::Overloaded { .. } => {
                UNAVAILABLE.to_owned()
            }
            ServiceError::Throttled { .. } => TOO_MANY_REQUESTS.to_owned(),
            ServiceError::Internal(_) => INTERNAL.to_owned(),
        },
        Problem::Unauthenticated { .. } => UNAUTHORIZED.to_owned(),
        Problem::InvalidFields(fields) => validation_message(fields),
        Problem::MalformedJson(cause) => format!("invalid JSON: {cause}"),
        Problem::MalformedBody(m)
        | Problem::BadRequest(m)
        | Problem::Refused { message: m, .. } => m.clone(),
        Problem::UnsupportedMediaType(_) => NOT_JSON.to_owned(),
        Problem::PayloadTooLarge { .. } => BODY_TOO_LARGE.to_owned(),
        Problem::RequestTimeout { .. } => REQUEST_TIMEOUT.to_owned(),
        Problem::RouteNotFound => ROUTE_NOT_FOUND.to_owned(),
        Problem::MethodNotAllowed { .. } => METHOD_NOT_ALLOWED.to_owned(),
    }
}

/// The response for a problem (`bare_challenges`: the family's, for a late 401): v1's status, the challenge or `Allow` headers, the string.
pub(crate) fn render(problem: &Problem, bare_challenges: &'static [Challenge]) -> HttpResponse {
    let mut builder = problem.response_builder(bare_challenges);
    builder.status(status(problem));
    builder.json(message(problem))
}

/// Field failures, one Go validator line each; a taken username is the one 409 sentence, a
/// wrong current password its own sentence.
fn validation_message(fields: &[InvalidField]) -> String {
    if fields.iter().any(|f| f.violation == Violation::Taken) {
        return USERNAME_TAKEN.to_owned();
    }
    let lines: Vec<String> = fields.iter().map(validator_line).collect();
    lines.join("\n")
}

/// `Key: '<namespace>' Error:Field validation for '<field>' failed on the '<tag>' tag`.
fn validator_line(f: &InvalidField) -> String {
    let (namespace, name) = match f.field.as_str() {
        "password" => ("UserPasswordRequest.Value.Password", "Password"),
        "current_password" => (
            "UserPasswordRequest.Value.CurrentPassword",
            "CurrentPassword",
        ),
        // The username is the path segment, bound like gin's `ShouldBindUri`.
        "username" => ("UserURIRequest.User", "User"),
        other => (other, other),
    };
    if f.field == "current_password" && f.violation == Violation::Invalid {
        return WRONG_CURRENT_PASSWORD.to_owned();
    }
    let tag = match (&f.violation, f.field.as_str()) {
        (Violation::Blank, _) => "required",
        (Violation::TooShort { .. } | Violation::TooSmall { .. }, _) => "min",
        (Violation::TooLong { .. } | Violation::TooMany { .. } | Violation::TooLarge { .. }, _) => {
            "max"
        }
        // A custom validation, as registered with `RegisterValidation("username", …)`.
        (Violation::Invalid, "username") => "username",
        // The only way a password string is invalid: a NUL character.
        (Violation::Invalid, "password") => "excludesall",
        (Violation::Invalid | Violation::WrongType | Violation::Taken, _) => "valid",
    };
    format!("Key: '{namespace}' Error:Field validation for '{name}' failed on the '{tag}' tag")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::validation_problem as validation;
    use rollcall_domain::values::Scope;

    #[test]
    fn password_failures_read_like_go_validator() {
        let p = validation(&[("password", Violation::TooShort { min: 8 })]);
        assert_eq!(
            message(&p),
            "Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'min' tag"
        );
        assert_eq!(status(&p), StatusCode::BAD_REQUEST);
        let p = validation(&[("password", Violation::Blank)]);
        assert_eq!(
            message(&p),
            "Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'required' tag"
        );
    }

    #[test]
    fn several_failures_are_one_line_each() {
        let p = validation(&[
            ("username", Violation::Invalid),
            ("password", Violation::TooLong { max: 1024 }),
        ]);
        assert_eq!(
            message(&p),
            "Key: 'UserURIRequest.User' Error:Field validation for 'User' failed on the 'username' tag\n\
             Key: 'UserPasswordRequest.Value.Password' Error:Field validation for 'Password' failed on the 'max' tag"
        );
    }

    #[test]
    fn taken_is_409_and_wrong_current_password_is_a_sentence() {
        let p = validation(&[("username", Violation::Taken)]);
        assert_eq!(
            (status(&p), message(&p)),
            (StatusCode::CONFLICT, USERNAME_TAKEN.into())
        );
        let p = validation(&[("current_password", Violation::Invalid)]);
        assert_eq!(
            (status(&p), message(&p)),
            (StatusCode::BAD_REQUEST, WRONG_CURRENT_PASSWORD.into())
        );
        let p = validation(&[("current_password", Violation::Blank)]);
        assert!(message(&p).ends_with("failed on the 'required' tag"));
    }

    #[test]
    fn other_problems_have_fixed_strings() {
        let s = |e: ServiceError| message(&Problem::Service(e));
        assert_eq!(
            s(ServiceError::NotFound(NotFound::User("x".into()))),
            USER_NOT_FOUND
        );
        assert_eq!(
            s(ServiceError::Forbidden(Forbidden::AdminOnly("x"))),
            PERMISSION_DENIED
        );
        assert_eq!(
            s(ServiceError::Forbidden(Forbidden::MissingScope(
                Scope::USERS_CREATE
            ))),
            "Permission denied: the API key lacks the scope users/create"
        );
        assert_eq!(s(ServiceError::LastAdmin), ServiceError::LAST_ADMIN_MESSAGE);
        assert_eq!(s(ServiceError::Internal("table gone".into())), INTERNAL);
        assert_eq!(message(&Problem::RouteNotFound), ROUTE_NOT_FOUND);
        assert_eq!(
            message(&Problem::PayloadTooLarge { limit: 1 }),
            BODY_TOO_LARGE
        );
        let timeout = Problem::RequestTimeout {
            after: std::time::Duration::from_secs(10),
        };
        assert_eq!(
            (status(&timeout), message(&timeout)),
            (StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT.into())
        );
    }

    #[test]
    fn the_body_is_a_json_string() {
        let r = render(&Problem::RouteNotFound, &[]);
        assert_eq!(r.status().as_u16(), 404);
        assert_eq!(
            r.headers().get("content-type").map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );
    }
}
