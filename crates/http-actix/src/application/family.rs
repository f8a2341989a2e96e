//! The application family's identity: its marker type, how it words errors and challenges,
//! and the rules it selects from the domain.

use super::envelope;
use crate::auth::Authenticated;
use crate::error::{Challenge, Family, FamilyError, Problem, is_under};
use actix_web::HttpResponse;
use rollcall_domain::services::{Audience, CreateRules, UpdateRules};

/// The family is admin-only: a non-admin is refused before any scope check.
pub(crate) const AUDIENCE: Audience = Audience::Admins;
/// Creates: profile (`email`, `first_name`, `last_name`) required, password optional,
/// usernames stored in lower case.
pub(crate) const CREATE_RULES: CreateRules = CreateRules {
    require_password: false,
    require_profile: true,
    lowercase_username: true,
};
/// `PATCH` uses the create rules; a null or empty password leaves it unchanged.
pub(crate) const UPDATE_RULES: UpdateRules = UpdateRules {
    require_profile: true,
    lowercase_username: true,
    blank_password_is_absent: true,
};

/// The application family's marker: its errors render in the application [`envelope`](super::envelope).
#[derive(Debug)]
pub(crate) struct Application;

impl Family for Application {
    const NAME: &'static str = "application";
    const BARE_CHALLENGES: &'static [Challenge] = &[Challenge::Bearer];

    fn owns(path: &str) -> bool {
        is_under(path, "/api/application")
    }

    fn render(problem: &Problem) -> HttpResponse {
        envelope::render(problem, Self::BARE_CHALLENGES)
    }
}

/// Any application error: a [`Problem`] in the `{"errors": [...]}` envelope.
pub(crate) type ApplicationError = FamilyError<Application>;

/// What every application handler returns.
pub(crate) type ApplicationResult = Result<HttpResponse, ApplicationError>;

/// The principal of an application request (401 in the application envelope).
pub(crate) type ApplicationAuth = Authenticated<Application>;
