//! What can go wrong with a request, independent of any family's wording ([`Problem`]); the
//! [`Family`] trait each API family implements to word it in its own envelope; the error type
//! every family's handlers return ([`FamilyError`]).
//!
//! This module knows no family: each family module implements [`Family`] on a marker type,
//! and the registry (`crate::families`) is the one place that lists them. The
//! `WWW-Authenticate`/`Allow` headers are the same for every family and live here, once; the
//! logging of failed requests lives in `crate::request_log`.

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use rollcall_domain::services::ServiceError;
use rollcall_domain::values::{FieldViolation, Violation};
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

/// An API family: which paths it owns, how it challenges a request without credentials, and
/// how it words a [`Problem`]. Implemented by one marker type per family; the registry in
/// `crate::families` lists them.
pub(crate) trait Family: 'static {
    /// The family's name in metrics labels.
    const NAME: &'static str;

    /// The challenges answered when a request carries no credentials at all (api.md 8), and
    /// with a 401 a use case raises after the credentials were read.
    const BARE_CHALLENGES: &'static [Challenge];

    /// True when the (normalized) request path belongs to this family.
    fn owns(path: &str) -> bool;

    /// The status this family answers a problem with (most use the problem's own).
    fn status(problem: &Problem) -> StatusCode {
        problem.status()
    }

    /// The response for a problem: status, headers and this family's envelope.
    fn render(problem: &Problem) -> HttpResponse;
}

/// A family chosen at run time, for code that serves every family (the default 404, the
/// metrics label): the family's name and its renderer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FamilyRef {
    /// [`Family::NAME`].
    pub name: &'static str,
    status: fn(&Problem) -> StatusCode,
    render: fn(&Problem) -> HttpResponse,
}

impl FamilyRef {
    /// The family `F`.
    pub(crate) fn of<F: Family>() -> Self {
        Self {
            name: F::NAME,
            status: F::status,
            render: F::render,
        }
    }
}

/// What every handler of family `F` returns as its error: a [`Problem`] rendered in `F`'s
/// envelope. `?` turns a use case's [`ServiceError`] or a body reader's [`Problem`] into it.
pub(crate) struct FamilyError<F> {
    /// What went wrong.
    pub problem: Problem,
    family: PhantomData<F>,
}

impl<F> From<Problem> for FamilyError<F> {
    fn from(problem: Problem) -> Self {
        Self {
            problem,
            family: PhantomData,
        }
    }
}

impl<F> From<ServiceError> for FamilyError<F> {
    fn from(e: ServiceError) -> Self {
        Problem::Service(e).into()
    }
}

impl<F> fmt::Debug for FamilyError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem.fmt(f)
    }
}

impl<F> fmt::Display for FamilyError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.problem, f)
    }
}

impl<F: Family> ResponseError for FamilyError<F> {
    fn status_code(&self) -> StatusCode {
        F::status(&self.problem)
    }

    fn error_response(&self) -> HttpResponse {
        F::render(&self.problem)
    }
}

/// A [`Problem`] bound to a family chosen at run time (the default 404 answer).
#[derive(Debug)]
pub(crate) struct ApiError {
    /// The envelope.
    pub family: FamilyRef,
    /// What went wrong.
    pub problem: Problem,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        (self.family.status)(&self.problem)
    }

    fn error_response(&self) -> HttpResponse {
        (self.family.render)(&self.problem)
    }
}

/// True when `path` is `prefix` or lies below it.
pub(crate) fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// An authentication challenge (`WWW-Authenticate` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Basic realm="rollcall"`.
    Basic,
    /// `Bearer`.
    Bearer,
}

impl Challenge {
    /// The header value.
    pub(crate) fn header_value(self) -> &'static str {
        match self {
            Self::Basic => r#"Basic realm="rollcall""#,
            Self::Bearer => "Bearer",
        }
    }
}

/// A field at fault in a validation answer: the domain's [`Violation`] on a field or
/// parameter named as the client sent it, with the v2 sentence. Each family words it in its
/// own terms (v2 codes, Go validator tags, Laravel rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidField {
    /// The field or parameter name as the client sent it.
    pub field: String,
    /// What is wrong with it.
    pub violation: Violation,
    /// The rejected value, where it is safe to echo.
    pub value: Option<String>,
    /// A sentence for v2's `messages`.
    pub message: String,
}

impl InvalidField {
    /// An `invalid` entry.
    pub(crate) fn invalid(
        field: impl Into<String>,
        value: Option<String>,
        message: String,
    ) -> Self {
        Self {
            field: field.into(),
            violation: Violation::Invalid,
            value,
            message,
        }
    }

    /// A `blank` entry.
    pub(crate) fn blank(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            violation: Violation::Blank,
            value: None,
            message: format!("{field} can't be blank"),
        }
    }
}

impl From<&FieldViolation> for InvalidField {
    fn from(v: &FieldViolation) -> Self {
        Self {
            field: v.field.to_owned(),
            violation: v.violation.clone(),
            value: v.value.clone(),
            message: v.message(),
        }
    }
}

/// Why a request failed, before any family's wording.
#[derive(Debug)]
pub(crate) enum Problem {
    /// A use case refused (401, 403, 404, 422, 400 last admin, 503, 500).
    Service(ServiceError),
    /// Missing or bad credentials (401).
    Unauthenticated {
        /// The challenges to answer with.
        challenges: &'static [Challenge],
        /// The message; it never says which part of the credentials was wrong.
        message: &'static str,
    },
    /// Input the HTTP layer itself found invalid (query parameters, body shape): 422.
    InvalidFields(Vec<InvalidField>),
    /// The body is not well-formed JSON (400); the parser's description of the fault.
    MalformedJson(String),
    /// The body cannot be read, or a form is not well-formed (400); a sentence.
    MalformedBody(String),
    /// A request the family refuses outright (400): a sort or filter it does not know, a body
    /// of the wrong shape; a sentence in the family's own words.
    BadRequest(String),
    /// A request refused by a named rule of the family's own grammar (400): a SCIM filter,
    /// PATCH path or operation; `rule` is the rule's name in the family's terms (SCIM's
    /// `scimType`: `invalidFilter`, `invalidPath`, `noTarget`, `mutability`, …).
    Refused {
        /// The rule.
        rule: &'static str,
        /// A sentence for the client.
        message: String,
    },
    /// The body is not of the media type the route takes (415).
    UnsupportedMediaType(String),
    /// The body is larger than the limit (413).
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The whole body did not arrive within the body read deadline (408); the connection is
    /// closed after the answer.
    RequestTimeout {
        /// The deadline.
        after: Duration,
    },
    /// No route has this path (404).
    RouteNotFound,
    /// A route has this path but not this method (405).
    MethodNotAllowed {
        /// The methods it has, for the `Allow` header.
        allow: String,
    },
}

impl Problem {
    /// The message of a 401 for bad credentials.
    pub(crate) const INVALID_CREDENTIALS: &'static str = "Invalid credentials.";
    /// The message of a 401 for no credentials.
    pub(crate) const CREDENTIALS_REQUIRED: &'static str =
        "Authentication credentials are required.";
    /// The message of a 500; the cause goes to the log only.
    pub(crate) const INTERNAL_MESSAGE: &'static str = "Internal server error.";
    /// The message of a 404 for an unknown route.
    pub(crate) const ROUTE_NOT_FOUND_MESSAGE: &'static str =
        "The requested resource was not found.";

    /// The HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::Service(e) => match e {
                ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED,
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::LastAdmin => StatusCode::BAD_REQUEST,
                ServiceError::Unavailable(_) | ServiceError::Overloaded { .. } => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                ServiceError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::InvalidFields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedJson(_)
            | Self::MalformedBody(_)
            | Self::BadRequest(_)
            | Self::Refused { .. } => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    /// The fields at fault, for 422 answers; empty otherwise.
    pub(crate) fn invalid_fields(&self) -> Vec<InvalidField> {
        match self {
            Self::Service(ServiceError::Validation(v)) => {
                v.iter().map(InvalidField::from).collect()
            }
            Self::InvalidFields(fields) => fields.clone(),
            _ => Vec::new(),
        }
    }

    /// The one sentence for problems that are not about fields (and the fallback for those
    /// that are but name none).
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Service(e) => match e {
                ServiceError::Unauthenticated => Self::INVALID_CREDENTIALS.to_owned(),
                // Each family words refusals and missing records itself; these are for logs.
                ServiceError::Forbidden(f) => format!("Forbidden: {f}."),
                ServiceError::NotFound(n) => format!("Not found: {n}."),
                ServiceError::Validation(_) => "Validation failed.".to_owned(),
                ServiceError::LastAdmin => ServiceError::LAST_ADMIN_MESSAGE.to_owned(),
                ServiceError::Unavailable(_) => {
                    "The service is temporarily unavailable; try again shortly.".to_owned()
                }
                ServiceError::Overloaded { retry_after_secs } => format!(
                    "Too many password checks are waiting; try again in {retry_after_secs} s."
                ),
                ServiceError::Throttled { retry_after_secs } => {
                    format!("Too many failed sign-in attempts; try again in {retry_after_secs} s.")
                }
                ServiceError::Internal(_) => Self::INTERNAL_MESSAGE.to_owned(),
            },
            Self::Unauthenticated { message, .. } => (*message).to_owned(),
            Self::InvalidFields(_) => "Validation failed.".to_owned(),
            Self::MalformedJson(cause) => format!("The request body is not valid JSON: {cause}."),
            Self::MalformedBody(m)
            | Self::BadRequest(m)
            | Self::UnsupportedMediaType(m)
            | Self::Refused { message: m, .. } => m.clone(),
            Self::PayloadTooLarge { limit } => {
                format!("The request body is larger than the limit of {limit} bytes.")
            }
            Self::RequestTimeout { after } => format!(
                "The request body did not arrive in full within {} s.",
                after.as_secs_f64()
            ),
            Self::RouteNotFound => Self::ROUTE_NOT_FOUND_MESSAGE.to_owned(),
            Self::MethodNotAllowed { .. } => "Method not allowed.".to_owned(),
        }
    }

    /// A response builder with the status and the headers every family sends with this
    /// problem (`WWW-Authenticate` on 401, `Allow` on 405); the family adds the body. A 401
    /// that a use case raised after the credentials were read (the user vanished meanwhile)
    /// carries the family's own `bare_challenges`. A 408 closes the connection
    /// (`Connection: close`).
    pub(crate) fn response_builder(
        &self,
        bare_challenges: &'static [Challenge],
    ) -> HttpResponseBuilder {
        let mut builder = HttpResponse::build(self.status());
        match self {
            Self::Unauthenticated { challenges, .. } => {
                for c in *challenges {
                    builder.append_header((WWW_AUTHENTICATE, c.header_value()));
                }
            }
            Self::Service(ServiceError::Unauthenticated) => {
                for c in bare_challenges {
                    builder.append_header((WWW_AUTHENTICATE, c.header_value()));
                }
            }
            Self::MethodNotAllowed { allow } => {
                builder.insert_header((ALLOW, allow.as_str()));
            }
            // The rest of the body may still be on its way: the connection cannot be reused.
            Self::RequestTimeout { .. } => {
                builder.force_close();
            }
            Self::Service(
                ServiceError::Overloaded { retry_after_secs }
                | ServiceError::Throttled { retry_after_secs },
            ) => {
                builder.insert_header((RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        builder
    }
}

impl fmt::Display for Problem {
    /// For logs: the request's failure event records it, escaped (`crate::request_log`). It
    /// carries the cause of a 500 or 503, which the client is not told, and no secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(e) => write!(f, "{e}"),
            other => f.write_str(&other.message()),
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

/// A validation problem with these violations, for tests of the family envelopes.
#[cfg(test)]
pub(crate) fn validation_problem(list: &[(&'static str, Violation)]) -> Problem {
    let mut v = rollcall_domain::values::Violations::new();
    for (field, violation) in list {
        v.push(FieldViolation::new(field, violation.clone()));
    }
    Problem::Service(ServiceError::Validation(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_domain::services::{Forbidden, NotFound};
    use rollcall_domain::values::{Scope, Violations};

    #[test]
    fn statuses_follow_the_contract() {
        let status = |e: ServiceError| Problem::Service(e).status().as_u16();
        assert_eq!(status(ServiceError::Unauthenticated), 401);
        assert_eq!(
            status(ServiceError::Forbidden(Forbidden::MissingScope(
                Scope::USERS_INDEX
            ))),
            403
        );
        assert_eq!(
            status(ServiceError::NotFound(NotFound::User("x".into()))),
            404
        );
        assert_eq!(status(ServiceError::Validation(Violations::new())), 422);
        assert_eq!(status(ServiceError::LastAdmin), 400);
        assert_eq!(status(ServiceError::Unavailable("db".into())), 503);
        assert_eq!(status(ServiceError::Internal("bug".into())), 500);
        assert_eq!(Problem::PayloadTooLarge { limit: 1 }.status().as_u16(), 413);
        assert_eq!(
            Problem::RequestTimeout {
                after: Duration::from_secs(10)
            }
            .status()
            .as_u16(),
            408
        );
        assert_eq!(
            Problem::UnsupportedMediaType("x".into()).status().as_u16(),
            415
        );
        assert_eq!(
            Problem::MethodNotAllowed {
                allow: "GET".into()
            }
            .status()
            .as_u16(),
            405
        );
    }

    #[test]
    fn internal_causes_are_not_shown() {
        let p = Problem::Service(ServiceError::Internal("secret table name".into()));
        assert_eq!(p.message(), Problem::INTERNAL_MESSAGE);
        let p = Problem::Service(ServiceError::Unavailable("pool timed out".into()));
        assert!(!p.message().contains("pool"));
    }

    #[test]
    fn violations_become_invalid_fields() {
        let v = Violations::one(FieldViolation::new(
            "password",
            Violation::TooShort { min: 8 },
        ));
        let fields = Problem::Service(ServiceError::Validation(v)).invalid_fields();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].field, "password");
        assert_eq!(fields[0].violation, Violation::TooShort { min: 8 });
        assert_eq!(fields[0].value, None);
    }

    #[test]
    fn challenges_and_allow_are_sent() {
        const BOTH: &[Challenge] = &[Challenge::Basic, Challenge::Bearer];
        let p = Problem::Unauthenticated {
            challenges: BOTH,
            message: Problem::CREDENTIALS_REQUIRED,
        };
        let r = p.response_builder(&[]).finish();
        let values: Vec<_> = r.headers().get_all(WWW_AUTHENTICATE).collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0], r#"Basic realm="rollcall""#);
        assert_eq!(values[1], "Bearer");
        // A 401 raised by a use case after the credentials were read: the family's own.
        let late = Problem::Service(ServiceError::Unauthenticated);
        for (bare, expected) in [
            (&[Challenge::Basic][..], vec![r#"Basic realm="rollcall""#]),
            (&[Challenge::Bearer][..], vec!["Bearer"]),
            (BOTH, vec![r#"Basic realm="rollcall""#, "Bearer"]),
        ] {
            let r = late.response_builder(bare).finish();
            let values: Vec<_> = r.headers().get_all(WWW_AUTHENTICATE).collect();
            assert_eq!(values, expected, "{bare:?}");
        }
        let r = Problem::MethodNotAllowed {
            allow: "GET, PUT".into(),
        }
        .response_builder(&[])
        .finish();
        assert_eq!(
            r.headers().get(ALLOW).map(|v| v.as_bytes()),
            Some(&b"GET, PUT"[..])
        );
    }
}
