//! The SCIM family's identity: its marker type, how it words errors and challenges, and the
//! rules it selects from the domain.

use super::envelope;
use crate::auth::Authenticated;
use crate::error::{Challenge, Family, FamilyError, Problem, is_under};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use rollcall_domain::services::{Audience, CreateRules, UpdateRules};

/// Provisioning is an administrator's job: a non-admin is refused before any scope check.
pub(crate) const AUDIENCE: Audience = Audience::Admins;
/// Creates: `userName` required; password, e-mail and names optional; the username kept as
/// sent.
pub(crate) const CREATE_RULES: CreateRules = CreateRules {
    require_password: false,
    require_profile: false,
    lowercase_username: false,
};
/// PUT and PATCH write a whole new state (read by `resource::user_input` with `replace`); a
/// null or empty password leaves it unchanged.
pub(crate) const UPDATE_RULES: UpdateRules = UpdateRules {
    require_profile: false,
    lowercase_username: false,
    blank_password_is_absent: true,
};

/// The SCIM family's marker: its errors render in the SCIM error [`envelope`](super::envelope).
#[derive(Debug)]
pub(crate) struct Scim;

impl Family for Scim {
    const NAME: &'static str = "scim";
    const BARE_CHALLENGES: &'static [Challenge] = &[Challenge::Bearer, Challenge::Basic];

    fn owns(path: &str) -> bool {
        is_under(path, "/scim/v2")
    }

    fn status(problem: &Problem) -> StatusCode {
        envelope::status(problem)
    }

    fn render(problem: &Problem) -> HttpResponse {
        envelope::render(problem, Self::BARE_CHALLENGES)
    }
}

/// Any SCIM error: a [`Problem`] in the SCIM error envelope.
pub(crate) type ScimError = FamilyError<Scim>;

/// What every SCIM handler returns.
pub(crate) type ScimResult = Result<HttpResponse, ScimError>;

/// The principal of a SCIM request (401 in the SCIM envelope).
pub(crate) type ScimAuth = Authenticated<Scim>;
