//! What can go wrong with a request, independent of any family's wording ([`Problem`]); which
//! family a path belongs to ([`Family`]), which decides the envelope an error is rendered in;
//! the error type every family's handlers return ([`FamilyError`]); and the default answers
//! for unknown routes (404) and wrong methods (405).
//!
//! Every family renders a [`Problem`] in its own envelope; the `WWW-Authenticate`/`Allow`
//! headers and the logging are the same for all of them and live here, once.

use crate::{application, v1, v2};
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError, Route, web};
use rollcall_domain::services::ServiceError;
use rollcall_domain::values::{FieldViolation, Violation};
use std::fmt;
use std::marker::PhantomData;

/// The API family a request belongs to, decided by its path prefix alone.
///
/// A new family adds a variant, a prefix in [`Family::of_path`], its no-credential
/// challenges in [`Family::bare_challenges`] and a renderer in [`Family::render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `/api/v2/…` and `POST /token`.
    V2,
    /// `/api/v1/…` (Unryo).
    V1,
    /// `/api/application/…` (Pterodactyl).
    Application,
    /// Everything else (the operations routes and unknown paths outside every family); errors
    /// there use the v2 envelope, the product's native one.
    Operations,
}

impl Family {
    /// The family's name in metrics labels.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::V2 => "v2",
            Self::V1 => "v1",
            Self::Application => "application",
            Self::Operations => "operations",
        }
    }

    /// The family of a (normalized) request path.
    pub(crate) fn of_path(path: &str) -> Self {
        if path == "/token" || is_under(path, "/api/v2") {
            Self::V2
        } else if is_under(path, "/api/v1") {
            Self::V1
        } else if is_under(path, "/api/application") {
            Self::Application
        } else {
            Self::Operations
        }
    }

    /// The challenges answered when a request carries no credentials at all (api.md 8).
    pub(crate) fn bare_challenges(self) -> &'static [Challenge] {
        match self {
            Self::V2 | Self::Operations => &[Challenge::Basic, Challenge::Bearer],
            Self::V1 => &[Challenge::Basic],
            Self::Application => &[Challenge::Bearer],
        }
    }

    /// The status this family answers a problem with (v1 has no 422: its validation errors
    /// are 400, or 409 for a taken username).
    pub(crate) fn status(self, problem: &Problem) -> StatusCode {
        match self {
            Self::V1 => v1::envelope::status(problem),
            Self::V2 | Self::Application | Self::Operations => problem.status(),
        }
    }

    /// Renders a problem in this family's envelope.
    pub(crate) fn render(self, problem: &Problem) -> HttpResponse {
        problem.log();
        match self {
            Self::V2 | Self::Operations => v2::envelope::render(problem),
            Self::V1 => v1::envelope::render(problem),
            Self::Application => application::envelope::render(problem),
        }
    }
}

/// Names the family whose envelope a [`FamilyError`] is rendered in; implemented by one
/// marker type per family.
pub(crate) trait InFamily {
    /// The family.
    const FAMILY: Family;
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

impl<F: InFamily> ResponseError for FamilyError<F> {
    fn status_code(&self) -> StatusCode {
        F::FAMILY.status(&self.problem)
    }

    fn error_response(&self) -> HttpResponse {
        F::FAMILY.render(&self.problem)
    }
}

/// The body a handler read, or — api.md 8 answers 403 (and 404 for the target) before any
/// body error — the refusal its use case would have given. When the body could not be read,
/// `probe` runs the handler's use case with an empty input, which never writes (an empty
/// update changes nothing, an empty create or password change fails validation); its 403,
/// 404, 503 or 500 is answered if it has one, else the body's problem.
pub(crate) async fn body_or_refusal<B, T, F, Fut>(
    body: Result<B, Problem>,
    probe: impl FnOnce() -> Fut,
) -> Result<B, FamilyError<F>>
where
    Fut: Future<Output = Result<T, ServiceError>>,
{
    let problem = match body {
        Ok(body) => return Ok(body),
        Err(problem) => problem,
    };
    Err(match probe().await {
        Err(
            e @ (ServiceError::Forbidden(_)
            | ServiceError::NotFound(_)
            | ServiceError::Unavailable(_)
            | ServiceError::Internal(_)),
        ) => e.into(),
        _ => problem.into(),
    })
}

/// True when `path` is `prefix` or lies below it.
fn is_under(path: &str, prefix: &str) -> bool {
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
    /// The body is not of the media type the route takes (415).
    UnsupportedMediaType(String),
    /// The body is larger than the limit (413).
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// No route has this path (404).
    RouteNotFound,
    /// A route has this path but not this method (405).
    MethodNotAllowed {
        /// The methods it has, for the `Allow` header.
        allow: &'static str,
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
                ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::InvalidFields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedJson(_) | Self::MalformedBody(_) | Self::BadRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
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
                ServiceError::Forbidden(f) => f.message(),
                ServiceError::NotFound(n) => n.message(),
                ServiceError::Validation(_) => "Validation failed.".to_owned(),
                ServiceError::LastAdmin => ServiceError::LAST_ADMIN_MESSAGE.to_owned(),
                ServiceError::Unavailable(_) => {
                    "The service is temporarily unavailable; try again shortly.".to_owned()
                }
                ServiceError::Internal(_) => Self::INTERNAL_MESSAGE.to_owned(),
            },
            Self::Unauthenticated { message, .. } => (*message).to_owned(),
            Self::InvalidFields(_) => "Validation failed.".to_owned(),
            Self::MalformedJson(cause) => format!("The request body is not valid JSON: {cause}."),
            Self::MalformedBody(m) | Self::BadRequest(m) | Self::UnsupportedMediaType(m) => {
                m.clone()
            }
            Self::PayloadTooLarge { limit } => {
                format!("The request body is larger than the limit of {limit} bytes.")
            }
            Self::RouteNotFound => Self::ROUTE_NOT_FOUND_MESSAGE.to_owned(),
            Self::MethodNotAllowed { .. } => "Method not allowed.".to_owned(),
        }
    }

    /// A response builder with the status and the headers every family sends with this
    /// problem (`WWW-Authenticate` on 401, `Allow` on 405); the family adds the body. A 401
    /// that a use case raised after the credentials were read (the user vanished meanwhile)
    /// carries `family`'s own challenges.
    pub(crate) fn response_builder(&self, family: Family) -> HttpResponseBuilder {
        let mut builder = HttpResponse::build(self.status());
        match self {
            Self::Unauthenticated { challenges, .. } => {
                for c in *challenges {
                    builder.append_header((WWW_AUTHENTICATE, c.header_value()));
                }
            }
            Self::Service(ServiceError::Unauthenticated) => {
                for c in family.bare_challenges() {
                    builder.append_header((WWW_AUTHENTICATE, c.header_value()));
                }
            }
            Self::MethodNotAllowed { allow } => {
                builder.insert_header((ALLOW, *allow));
            }
            _ => {}
        }
        builder
    }

    /// Logs what the client is not told: the cause of a 500 or 503.
    pub(crate) fn log(&self) {
        match self {
            Self::Service(ServiceError::Internal(cause)) => {
                tracing::error!(cause = %cause, "request failed with an internal error");
            }
            Self::Service(ServiceError::Unavailable(cause)) => {
                tracing::warn!(cause = %cause, "request failed: a dependency is unavailable");
            }
            _ => {}
        }
    }
}

impl fmt::Display for Problem {
    /// For logs (`TracingLogger` records it); it carries no secret.
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

/// A [`Problem`] bound to the family whose envelope renders it; for code that serves several
/// families (the authentication extractor, the default 404 and 405 answers).
#[derive(Debug)]
pub(crate) struct ApiError {
    /// The envelope.
    pub family: Family,
    /// What went wrong.
    pub problem: Problem,
}

impl ApiError {
    /// A problem answered in the family of `req`'s path.
    pub(crate) fn for_request(req: &HttpRequest, problem: impl Into<Problem>) -> Self {
        Self {
            family: Family::of_path(req.path()),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.family.status(&self.problem)
    }

    fn error_response(&self) -> HttpResponse {
        self.family.render(&self.problem)
    }
}

/// The app's default service: 404 in the envelope of the family the path belongs to.
pub(crate) async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::for_request(&req, Problem::RouteNotFound))
}

/// A resource's default service: 405 in the family's envelope, with `Allow`.
pub(crate) fn method_not_allowed(allow: &'static str) -> Route {
    web::to(move |req: HttpRequest| async move {
        Err::<HttpResponse, _>(ApiError::for_request(
            &req,
            Problem::MethodNotAllowed { allow },
        ))
    })
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
    fn families_are_told_apart_by_prefix() {
        assert_eq!(Family::of_path("/token"), Family::V2);
        assert_eq!(Family::of_path("/api/v2"), Family::V2);
        assert_eq!(Family::of_path("/api/v2/users/1"), Family::V2);
        assert_eq!(Family::of_path("/api/v20"), Family::Operations);
        assert_eq!(Family::of_path("/tokens"), Family::Operations);
        assert_eq!(Family::of_path("/healthz"), Family::Operations);
        assert_eq!(Family::of_path("/api/v1"), Family::V1);
        assert_eq!(Family::of_path("/api/v1/users/ann"), Family::V1);
        assert_eq!(Family::of_path("/api/v10"), Family::Operations);
        assert_eq!(
            Family::of_path("/api/application/users/1"),
            Family::Application
        );
        assert_eq!(Family::of_path("/api/applications"), Family::Operations);
    }

    #[test]
    fn each_family_has_its_own_bare_challenges_and_statuses() {
        assert_eq!(Family::V1.bare_challenges(), &[Challenge::Basic]);
        assert_eq!(Family::Application.bare_challenges(), &[Challenge::Bearer]);
        let taken = Problem::Service(ServiceError::Validation(Violations::one(
            FieldViolation::new("username", Violation::Taken),
        )));
        assert_eq!(Family::V2.status(&taken).as_u16(), 422);
        assert_eq!(Family::Application.status(&taken).as_u16(), 422);
        assert_eq!(Family::V1.status(&taken).as_u16(), 409);
    }

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
            Problem::UnsupportedMediaType("x".into()).status().as_u16(),
            415
        );
        assert_eq!(
            Problem::MethodNotAllowed { allow: "GET" }.status().as_u16(),
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
        let p = Problem::Unauthenticated {
            challenges: Family::V2.bare_challenges(),
            message: Problem::CREDENTIALS_REQUIRED,
        };
        let r = p.response_builder(Family::V2).finish();
        let values: Vec<_> = r.headers().get_all(WWW_AUTHENTICATE).collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0], r#"Basic realm="rollcall""#);
        assert_eq!(values[1], "Bearer");
        // A 401 raised by a use case after the credentials were read: the family's own.
        let late = Problem::Service(ServiceError::Unauthenticated);
        for (family, expected) in [
            (Family::V1, vec![r#"Basic realm="rollcall""#]),
            (Family::Application, vec!["Bearer"]),
            (Family::V2, vec![r#"Basic realm="rollcall""#, "Bearer"]),
        ] {
            let r = late.response_builder(family).finish();
            let values: Vec<_> = r.headers().get_all(WWW_AUTHENTICATE).collect();
            assert_eq!(values, expected, "{family:?}");
        }
        let r = Problem::MethodNotAllowed { allow: "GET, PUT" }
            .response_builder(Family::V2)
            .finish();
        assert_eq!(
            r.headers().get(ALLOW).map(|v| v.as_bytes()),
            Some(&b"GET, PUT"[..])
        );
    }
}
