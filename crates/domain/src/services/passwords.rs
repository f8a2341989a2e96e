//! Password changes through a dedicated route (v2 `PUT /users/{ref}/password` goes through
//! the update use case instead; v1 `PATCH /users/{username}` comes here).

use super::users::UserChangePermit;
use super::{Directory, ServiceError};
use crate::audit::AuditAction;
use crate::entities::{User, UserChanges};
use crate::ports::Verification;
use crate::values::{FieldViolation, Password, Violation, Violations};
use std::fmt;

/// A password change as the family received it. No `Debug` of the passwords themselves.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PasswordChange {
    /// The new password; `None` when absent or null.
    pub password: Option<String>,
    /// The current password, when the family takes one; `None` when absent or null.
    pub current_password: Option<String>,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sent = |slot: &Option<String>| {
            if slot.is_some() {
                "[redacted]"
            } else {
                "absent"
            }
        };
        f.debug_struct("PasswordChange")
            .field("password", &sent(&self.password))
            .field("current_password", &sent(&self.current_password))
            .finish()
    }
}

/// What a family's password route asks for (declared in the family's module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordRules {
    /// Users changing their own password must give the current one — admins included; an
    /// admin changing someone else's does not.
    pub require_current_for_self: bool,
}

impl Directory {
    /// Changes a password under a permit from [`Directory::authorize_user_change`] (the user
    /// themselves or an admin). Ends the user's other sessions.
    ///
    /// # Errors
    /// [`ServiceError::Validation`] (blank or bad password, missing or wrong
    /// `current_password`), storage errors.
    pub async fn change_password(
        &self,
        permit: UserChangePermit<'_>,
        change: PasswordChange,
        rules: PasswordRules,
    ) -> Result<User, ServiceError> {
        permit.principal.require_password_credential()?;
        let target = &permit.target;
        let mut violations = Violations::new();
        if permit.is_self() && rules.require_current_for_self {
            match change.current_password.as_deref() {
                None | Some("") => {
                    violations.push(FieldViolation::new("current_password", Violation::Blank))
                }
                Some(current)
                    if !self
                        .password_matches(permit.principal, target, current)
                        .await? =>
                {
                    violations.push(FieldViolation::new("current_password", Violation::Invalid))
                }
                Some(_) => {}
            }
        }
        let password = match change.password.as_deref() {
            None => {
                violations.push(FieldViolation::new("password", Violation::Blank));
                None
            }
            Some(raw) => violations.check(
                "password",
                None,
                Password::new(raw, &self.settings.password_policy),
            ),
        };
        violations.into_result().map_err(ServiceError::Validation)?;
        let Some(password) = password else {
            return Err(ServiceError::Internal("password vanished".into()));
        };
        let changes = UserChanges {
            password_hash: Some(self.ports.hasher.hash(password.expose()).await?),
            ..UserChanges::default()
        };
        let event = self.event(permit.principal, AuditAction::UserUpdate);
        self.apply(target, changes, permit.password_revocation(), event)
            .await
    }

    /// True when `presented` is the user's password; a user without one costs a dummy check.
    /// Under the login throttle for the principal's address, like every password check.
    async fn password_matches(
        &self,
        principal: &super::Principal,
        user: &User,
        presented: &str,
    ) -> Result<bool, ServiceError> {
        let verdict = self
            .verify_guarded(
                crate::values::LoginKey::of_user(user.id),
                principal.client(),
                user.password_hash.as_ref(),
                presented,
            )
            .await?;
        let matched = matches!(verdict, Verification::Match { .. });
        if !matched {
            // A failed password check like any other: in the audit trail.
            let event = self
                .event(principal, AuditAction::SignInFailure)
                .on_user(user.id);
            self.ports.audit.append_audit_event(event).await?;
        }
        Ok(matched)
    }
}
