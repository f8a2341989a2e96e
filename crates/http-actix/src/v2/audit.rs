//! `GET /api/v2/audit_events`: the audit trail for admins, newest first, with the v2 paging
//! and envelope.

use super::envelope::ErrorEnvelope;
use super::family::{V2Auth, V2Result};
use super::query;
use crate::error::{InvalidField, Problem};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use rollcall_domain::audit::{AuditAction, AuditQuery, AuditRecord};
use rollcall_domain::entities::{UserId, parse_numeric_id};
use rollcall_domain::listing::PageRequest;
use rollcall_domain::values::Scope;
use serde::Serialize;
use utoipa::ToSchema;

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditActorBody {
    /// The acting user's id; null for the command line and failed sign-ins.
    pub user_id: Option<i64>,
    /// How they authenticated: `password`, `session`, `api_key`, `cli` or `anonymous`.
    pub kind: &'static str,
}

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditEventBody {
    /// Id, increasing in write order.
    pub id: i64,
    /// When it happened (RFC 3339, UTC).
    pub occurred_at: DateTime<Utc>,
    /// Who did it.
    pub actor: AuditActorBody,
    /// Through which family: `v2`, `v1`, `application`, `scim` or `cli`.
    pub family: &'static str,
    /// What happened, `resource.verb` (e.g. `user.update`, `sign_in.failure`).
    pub action: &'static str,
    /// The user the event concerns.
    pub target_user_id: Option<i64>,
    /// The API key, configuration or session id within that account.
    pub target: Option<String>,
    /// The client's address.
    pub client_address: Option<String>,
    /// The request id (the `X-Request-Id` of the response).
    pub request_id: Option<String>,
    /// The names of the fields that changed (never their values).
    pub fields: Vec<String>,
}

impl From<&AuditRecord> for AuditEventBody {
    fn from(r: &AuditRecord) -> Self {
        let e = &r.event;
        Self {
            id: r.id,
            occurred_at: e.at,
            actor: AuditActorBody {
                user_id: e.actor.user.map(UserId::get),
                kind: e.actor.kind.as_str(),
            },
            family: e.family.as_str(),
            action: e.action.as_str(),
            target_user_id: e.target_user.map(UserId::get),
            target: e.target.clone(),
            client_address: e.client.map(|ip| ip.to_string()),
            request_id: e.request_id.clone(),
            fields: e.fields.clone(),
        }
    }
}

/// A page of audit events.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditEventListResponse {
    /// How many events match the filters.
    pub count: u64,
    /// The page, newest first.
    pub audit_events: Vec<AuditEventBody>,
}

/// The query: `limit`/`offset` and the filters; every bad parameter is reported at once.
fn audit_query(query_string: &str) -> Result<AuditQuery, Problem> {
    let mut errors = Vec::new();
    let page = match query::page(query_string) {
        Ok(page) => page,
        Err(Problem::InvalidFields(fields)) => {
            errors.extend(fields);
            PageRequest::first()
        }
        Err(other) => return Err(other),
    };
    let mut query = AuditQuery {
        page,
        ..AuditQuery::default()
    };
    let user = |name: &str, value: &str, errors: &mut Vec<InvalidField>| {
        parse_numeric_id(value).map(UserId).or_else(|| {
            errors.push(InvalidField::invalid(
                name,
                Some(value.to_owned()),
                format!("{name} must be a user id (a positive integer)"),
            ));
            None
        })
    };
    let time = |name: &str, value: &str, errors: &mut Vec<InvalidField>| {
        DateTime::parse_from_rfc3339(value)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                errors.push(InvalidField::invalid(
                    name,
                    Some(value.to_owned()),
                    format!("{name} must be an RFC 3339 date-time"),
                ));
            })
            .ok()
    };
    for (name, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        match name.as_ref() {
            "actor_user_id" => query.actor = user("actor_user_id", &value, &mut errors),
            "target_user_id" => query.target_user = user("target_user_id", &value, &mut errors),
            "action" => {
                query.action = AuditAction::parse(&value);
                if query.action.is_none() {
                    errors.push(InvalidField::invalid(
                        "action",
                        Some(value.chars().take(64).collect()),
                        "action is not one of the audit actions".to_owned(),
                    ));
                }
            }
            "since" => query.since = time("since", &value, &mut errors),
            "until" => query.until = time("until", &value, &mut errors),
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(Problem::InvalidFields(errors))
    }
}

/// Lists the audit trail, newest first (admins only).
#[utoipa::path(
    get,
    path = "/api/v2/audit_events",
    tag = "v2: audit",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, default 50, max 1000 (larger values clamp)."),
        ("offset" = Option<u64>, Query, description = "Events to skip."),
        ("actor_user_id" = Option<i64>, Query, description = "Only events by this user."),
        ("target_user_id" = Option<i64>, Query, description = "Only events about this user."),
        ("action" = Option<String>, Query, description = "Only this action, e.g. `user.update`, `sign_in.failure`."),
        ("since" = Option<DateTime<Utc>>, Query, description = "Only events at or after this instant (RFC 3339)."),
        ("until" = Option<DateTime<Utc>>, Query, description = "Only events before this instant (RFC 3339)."),
    ),
    responses(
        (status = 200, description = "A page of events.", body = AuditEventListResponse),
        (status = 401, description = "No valid credentials.", body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or an API key without `audit_events/index`.", body = ErrorEnvelope),
        (status = 422, description = "A bad paging or filter parameter.", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_audit_events(
    state: web::Data<AppState>,
    auth: V2Auth,
    req: HttpRequest,
) -> V2Result {
    let principal = auth.principal;
    principal.require(Scope::AUDIT_EVENTS_INDEX)?;
    let query = audit_query(req.query_string())?;
    let listed = state
        .directory
        .list_audit_events(&principal, &query)
        .await?;
    Ok(HttpResponse::Ok().json(AuditEventListResponse {
        count: listed.total,
        audit_events: listed.items.iter().map(AuditEventBody::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_and_bad_ones_all_reported() {
        let q = audit_query("actor_user_id=3&target_user_id=4&action=user.update&since=2026-01-01T00:00:00Z&limit=5")
            .unwrap_or_else(|_| panic!("a valid query"));
        assert_eq!(q.actor, Some(UserId(3)));
        assert_eq!(q.target_user, Some(UserId(4)));
        assert_eq!(q.action, Some(AuditAction::UserUpdate));
        assert!(q.since.is_some() && q.until.is_none());
        assert_eq!(q.page.limit(), 5);
        match audit_query("limit=0&actor_user_id=x&action=nope&until=yesterday") {
            Err(Problem::InvalidFields(fields)) => {
                let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(names, ["limit", "actor_user_id", "action", "until"]);
            }
            _ => panic!("four errors, reported at once"),
        }
    }
}
