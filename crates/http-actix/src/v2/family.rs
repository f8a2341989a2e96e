//! The v2 family's identity: its marker type, how it words errors and challenges, and the
//! rules it selects from the domain.

use super::envelope;
use crate::auth::Authenticated;
use crate::error::{Challenge, Family, FamilyError, Problem, is_under};
use actix_web::HttpResponse;
use rollcall_domain::services::{CreateRules, UpdateRules};

/// v2 creates: `username` and `password` required.
pub(crate) const CREATE_RULES: CreateRules = CreateRules::USERNAME_AND_PASSWORD;
/// v2 updates are partial: absent fields stay, `null` clears.
pub(crate) const UPDATE_RULES: UpdateRules = UpdateRules::PARTIAL;

/// The v2 family's marker: its errors render in the v2 [`envelope`](super::envelope).
#[derive(Debug)]
pub(crate) struct V2;

impl Family for V2 {
    const NAME: &'static str = "v2";
    const BARE_CHALLENGES: &'static [Challenge] = &[Challenge::Basic, Challenge::Bearer];

    fn owns(path: &str) -> bool {
        path == "/token" || is_under(path, "/api/v2")
    }

    fn render(problem: &Problem) -> HttpResponse {
        envelope::render(problem, Self::BARE_CHALLENGES)
    }
}

/// Any v2 error: a [`Problem`] rendered in the v2 envelope.
pub(crate) type V2Error = FamilyError<V2>;

/// What every v2 handler returns.
pub(crate) type V2Result = Result<HttpResponse, V2Error>;

/// The principal of a v2 request (401 in the v2 envelope).
pub(crate) type V2Auth = Authenticated<V2>;
