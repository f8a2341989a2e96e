//! The v1 family's identity: its marker type, how it words errors and challenges, and the
//! rules it selects from the domain.

use super::envelope;
use crate::auth::Authenticated;
use crate::error::{Challenge, Family, FamilyError, Problem, is_under};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use rollcall_domain::services::{CreateRules, PasswordRules};

/// v1 creates (`PUT /users/{username}`): a username and a password, nothing else.
pub(crate) const CREATE_RULES: CreateRules = CreateRules::USERNAME_AND_PASSWORD;
/// v1 password changes (`PATCH`): one's own needs `current_password`, admins included.
pub(crate) const PASSWORD_RULES: PasswordRules = PasswordRules {
    require_current_for_self: true,
};

/// The v1 family's marker: its errors render in the v1 [`envelope`](super::envelope).
#[derive(Debug)]
pub(crate) struct V1;

impl Family for V1 {
    const NAME: &'static str = "v1";
    const BARE_CHALLENGES: &'static [Challenge] = &[Challenge::Basic];

    fn owns(path: &str) -> bool {
        is_under(path, "/api/v1")
    }

    /// v1 has no 422: its validation errors are 400, or 409 for a taken username.
    fn status(problem: &Problem) -> StatusCode {
        envelope::status(problem)
    }

    fn render(problem: &Problem) -> HttpResponse {
        envelope::render(problem, Self::BARE_CHALLENGES)
    }
}

/// Any v1 error: a [`Problem`] rendered as a v1 error string.
pub(crate) type V1Error = FamilyError<V1>;

/// What every v1 handler returns.
pub(crate) type V1Result = Result<HttpResponse, V1Error>;

/// The principal of a v1 request (401 as a v1 error string).
pub(crate) type V1Auth = Authenticated<V1>;
