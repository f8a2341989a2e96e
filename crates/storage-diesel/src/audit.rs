//! The audit trail on diesel: [`insert_audit!`] writes a change's event inside the change's
//! transaction (every audited store method calls it), and [`AuditLog`] lists and purges.

use crate::error::backend_error;
use crate::schema::audit_events;
use crate::store::{DieselStore, with_connection};
use crate::timestamp::DbTimestamp;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rollcall_domain::audit::{
    Actor, ActorKind, AuditAction, AuditEvent, AuditQuery, AuditRecord, Family,
};
use rollcall_domain::entities::UserId;
use rollcall_domain::listing::Listed;
use rollcall_domain::ports::{AuditLog, BackendError};

/// An event as inserted.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub(crate) struct NewAuditRow {
    occurred_at: DbTimestamp,
    actor_user_id: Option<i64>,
    actor_kind: &'static str,
    family: &'static str,
    action: &'static str,
    target_user_id: Option<i64>,
    target: Option<String>,
    client_address: Option<String>,
    request_id: Option<String>,
    fields: String,
}

impl NewAuditRow {
    pub(crate) fn from_event(event: &AuditEvent) -> Self {
        Self {
            occurred_at: DbTimestamp::new(event.at),
            actor_user_id: event.actor.user.map(UserId::get),
            actor_kind: event.actor.kind.as_str(),
            family: event.family.as_str(),
            action: event.action.as_str(),
            target_user_id: event.target_user.map(UserId::get),
            target: event.target.clone(),
            client_address: event.client.map(|c| c.to_string()),
            request_id: event.request_id.clone(),
            fields: event.fields.join(","),
        }
    }
}

/// Inserts the event `$audit` (an `Option<AuditEvent>`) on `$conn`, inside the transaction
/// the caller runs; a failure rolls the change back with it.
macro_rules! insert_audit {
    ($conn:expr, $audit:expr) => {
        if let Some(event) = $audit {
            ::diesel_async::RunQueryDsl::execute(
                ::diesel::insert_into($crate::schema::audit_events::table)
                    .values($crate::audit::NewAuditRow::from_event(&event)),
                $conn,
            )
            .await?;
        }
    };
}
pub(crate) use insert_audit;

/// An event as read.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct AuditRow {
    id: i64,
    occurred_at: DbTimestamp,
    actor_user_id: Option<i64>,
    actor_kind: String,
    family: String,
    action: String,
    target_user_id: Option<i64>,
    target: Option<String>,
    client_address: Option<String>,
    request_id: Option<String>,
    fields: String,
}

impl AuditRow {
    fn into_record(self) -> Result<AuditRecord, BackendError> {
        let unknown = |what: &str, value: &str| {
            BackendError::Internal(format!("audit event {}: unknown {what} {value:?}", self.id))
        };
        let kind = ActorKind::parse(&self.actor_kind)
            .ok_or_else(|| unknown("actor kind", &self.actor_kind))?;
        let family = Family::parse(&self.family).ok_or_else(|| unknown("family", &self.family))?;
        let action =
            AuditAction::parse(&self.action).ok_or_else(|| unknown("action", &self.action))?;
        let fields = self
            .fields
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(AuditRecord {
            id: self.id,
            event: AuditEvent {
                at: self.occurred_at.get(),
                actor: Actor {
                    user: self.actor_user_id.map(UserId),
                    kind,
                },
                family,
                action,
                target_user: self.target_user_id.map(UserId),
                target: self.target,
                client: self.client_address.as_deref().and_then(|a| a.parse().ok()),
                request_id: self.request_id,
                fields,
            },
        })
    }
}

async fn append(store: &DieselStore, event: &AuditEvent) -> Result<(), BackendError> {
    let row = NewAuditRow::from_event(event);
    with_connection!(store, |conn, _Db| {
        diesel::insert_into(audit_events::table)
            .values(row)
            .execute(conn)
            .await
    })
    .map_err(backend_error)?;
    Ok(())
}

async fn list(
    store: &DieselStore,
    query: &AuditQuery,
) -> Result<Listed<AuditRecord>, BackendError> {
    let (rows, total) = with_connection!(store, |conn, Db| {
        let filtered = || {
            let mut q = audit_events::table.into_boxed::<Db>();
            if let Some(actor) = query.actor {
                q = q.filter(audit_events::actor_user_id.eq(actor.get()));
            }
            if let Some(target) = query.target_user {
                q = q.filter(audit_events::target_user_id.eq(target.get()));
            }
            if let Some(action) = query.action {
                q = q.filter(audit_events::action.eq(action.as_str()));
            }
            if let Some(since) = query.since {
                q = q.filter(audit_events::occurred_at.ge(DbTimestamp::new(since)));
            }
            if let Some(until) = query.until {
                q = q.filter(audit_events::occurred_at.lt(DbTimestamp::new(until)));
            }
            q
        };
        let total: i64 = filtered()
            .count()
            .get_result(conn)
            .await
            .map_err(backend_error)?;
        let rows: Vec<AuditRow> = filtered()
            .order(audit_events::id.desc())
            .limit(i64::from(query.page.limit()))
            .offset(i64::try_from(query.page.offset()).unwrap_or(i64::MAX))
            .select(AuditRow::as_select())
            .load(conn)
            .await
            .map_err(backend_error)?;
        (rows, total)
    });
    Ok(Listed {
        items: rows
            .into_iter()
            .map(AuditRow::into_record)
            .collect::<Result<_, _>>()?,
        total: u64::try_from(total).unwrap_or(0),
    })
}

async fn purge(store: &DieselStore, before: DateTime<Utc>) -> Result<u64, BackendError> {
    let deleted = with_connection!(store, |conn, _Db| {
        diesel::delete(
            audit_events::table.filter(audit_events::occurred_at.lt(DbTimestamp::new(before))),
        )
        .execute(conn)
        .await
    })
    .map_err(backend_error)?;
    Ok(u64::try_from(deleted).unwrap_or(0))
}

#[async_trait]
impl AuditLog for DieselStore {
    async fn append_audit_event(&self, event: AuditEvent) -> Result<(), BackendError> {
        self.detached(move |store| async move { append(&store, &event).await })
            .await
    }

    async fn list_audit_events(
        &self,
        query: &AuditQuery,
    ) -> Result<Listed<AuditRecord>, BackendError> {
        let query = query.clone();
        self.detached(move |store| async move { list(&store, &query).await })
            .await
    }

    async fn purge_audit_events(&self, before: DateTime<Utc>) -> Result<u64, BackendError> {
        self.detached(move |store| async move { purge(&store, before).await })
            .await
    }
}
