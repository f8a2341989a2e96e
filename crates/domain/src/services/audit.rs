//! The audit trail's use cases: admins read it; old events are purged.

use super::{Directory, ServiceError};
use crate::audit::{AuditQuery, AuditRecord};
use crate::listing::Listed;
use crate::services::Principal;
use chrono::Duration;

impl Directory {
    /// Lists audit events, newest first (admins only; the route states its scope,
    /// `audit_events/index`, as every route does).
    ///
    /// # Errors
    /// [`super::Forbidden::AdminOnly`], storage errors.
    pub async fn list_audit_events(
        &self,
        principal: &Principal,
        query: &AuditQuery,
    ) -> Result<Listed<AuditRecord>, ServiceError> {
        principal.require_admin("read the audit trail")?;
        Ok(self.ports.audit.list_audit_events(query).await?)
    }

    /// Deletes the events older than `retention`; returns how many went. A zero retention
    /// keeps every event, as does one too long to
    /// reach back from now.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn purge_audit_events(&self, retention: Duration) -> Result<u64, ServiceError> {
        // Zero keeps everything, and so does a retention reaching before the calendar's start.
        let cut = match self.now().checked_sub_signed(retention) {
            Some(cut) if retention > Duration::zero() => cut,
            _ => return Ok(0),
        };
        Ok(self.ports.audit.purge_audit_events(cut).await?)
    }
}
