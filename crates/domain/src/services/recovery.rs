//! Break-glass account recovery (`rollcall recover-account`): the operator at the command line
//! gives a user a new password and makes the account usable again.

use super::{Directory, ServiceError};
use crate::audit::{Actor, AuditAction, AuditEvent, Origin};
use crate::entities::{SessionRevocation, User, UserChanges};
use crate::listing::{
    Condition, Filter, FilterValue, PageRequest, SortOrder, UserField, UserQuery,
};
use crate::ports::UserLookup;
use crate::values::{Password, Violations};

impl Directory {
    /// Recovers the account named `username`: sets `new_password`, enables it, clears its
    /// expiry, makes it an admin when no other active admin exists, and ends every session
    /// of it (API keys stay). One transaction, audited as `user.recover` by the command line.
    ///
    /// # Errors
    /// [`super::NotFound::User`], [`ServiceError::Validation`] for a password the policy
    /// refuses, storage errors.
    pub async fn recover_account(
        &self,
        username: &str,
        new_password: &str,
    ) -> Result<User, ServiceError> {
        let target = self
            .find(&UserLookup::Username(username.to_owned()), username)
            .await?;
        let mut violations = Violations::new();
        let password = violations.check(
            "password",
            None,
            Password::new(new_password, &self.settings.password_policy),
        );
        violations.into_result().map_err(ServiceError::Validation)?;
        let Some(password) = password else {
            return Err(ServiceError::Internal("password vanished".into()));
        };
        let now = self.now();
        let promote = !target.is_admin && !self.another_active_admin(&target).await?;
        let changes = UserChanges {
            password_hash: Some(self.ports.hasher.hash(password.expose()).await?),
            enabled: (!target.enabled).then_some(true),
            expired_at: target.expired_at.is_some().then_some(None),
            is_admin: promote.then_some(true),
            ..UserChanges::default()
        };
        let event = AuditEvent::new(
            now,
            Actor::cli(),
            &Origin::cli(),
            AuditAction::AccountRecover,
        );
        self.apply(&target, changes, SessionRevocation::All, event)
            .await
    }

    /// True when an admin other than `user` is active now (enabled admins are few: one page
    /// of them is read and checked for expiry).
    async fn another_active_admin(&self, user: &User) -> Result<bool, ServiceError> {
        let flag = |field| Filter {
            field,
            condition: Condition::Eq(FilterValue::Boolean(true)),
        };
        let query = UserQuery::new(
            vec![flag(UserField::IsAdmin), flag(UserField::Enabled)],
            SortOrder::default(),
            PageRequest::new(PageRequest::MAX_LIMIT, 0),
        )
        .map_err(|_| ServiceError::Internal("the admin query is over its bounds".into()))?;
        let now = self.now();
        let admins = self
            .ports
            .users
            .list_users(&query)
            .await
            .map_err(super::error::unexpected_user_store)?;
        Ok(admins
            .items
            .iter()
            .any(|a| a.id != user.id && a.is_active_admin(now)))
    }
}
