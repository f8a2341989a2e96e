//! Users: create, read, list, update, delete — with who-may-do-what, uniqueness and the
//! last-admin invariant (decided in [`crate::invariants`], applied by the store).
//!
//! Writes run in two steps so that api.md 8's order of checks holds without running anything
//! twice: an *authorize* step resolves the target and the principal's right to act and returns
//! a permit ([`CreateUserPermit`], [`UserChangePermit`]); the family then reads the body, and
//! an *apply* step takes the permit and the parsed input. A permit can only be had from its
//! authorize step.

use super::UserInput;
use super::error::unexpected_user_store;
use super::user_fields::{
    FieldRules, ParsedFields, check_admin_only_fields, drop_unchanged, parse_user_fields,
};
use super::{CreateRules, Directory, Forbidden, NotFound, Principal, ServiceError, UpdateRules};
use crate::audit::{Actor, AuditAction, AuditEvent, Origin};
use crate::entities::{
    SessionRevocation, User, UserChanges, UserId, UserUpdate, is_all_digits, parse_numeric_id,
};
use crate::listing::{Listed, PageRequest, UserQuery};
use crate::ports::{UniqueUserField, UserLookup, UserStoreError};
use crate::values::{Email, ExternalId, FieldViolation, Username, Violation, Violations};

/// The right to create users, granted by [`Directory::authorize_create_user`] to admins.
#[derive(Debug)]
pub struct CreateUserPermit {
    /// The admin authenticated with an API key, which may not set passwords.
    by_api_key: bool,
    /// The admin's event, to be completed with the new user.
    event: AuditEvent,
}

/// The right of one principal to change one user, granted by
/// [`Directory::authorize_user_change`]: the user themselves or an admin. It carries the target
/// as found, so the apply step does not look it up again.
#[derive(Debug)]
pub struct UserChangePermit<'a> {
    pub(super) principal: &'a Principal,
    pub(super) target: User,
}

impl UserChangePermit<'_> {
    /// The user the change is for, as read when the permit was given (a family that
    /// describes a change relative to the current state, such as a SCIM PATCH, reads it).
    pub fn target(&self) -> &User {
        &self.target
    }

    /// True when principals change their own record.
    pub(super) fn is_self(&self) -> bool {
        self.principal.user.id == self.target.id
    }

    /// The sessions a password change through this permit ends: all of the user's, except
    /// the one making the request when users change their own password through a session.
    pub(super) fn password_revocation(&self) -> SessionRevocation {
        match self.principal.session() {
            Some(id) if self.is_self() => SessionRevocation::AllExcept(id),
            _ => SessionRevocation::All,
        }
    }
}

/// Reads a user reference that may be an id, an e-mail address or a username: all digits →
/// id; contains `@` → e-mail; else username.
pub fn parse_user_ref(raw: &str) -> UserLookup {
    if is_all_digits(raw) {
        // An id too large for i64 can match nothing; 0 is never assigned.
        UserLookup::Id(UserId(parse_numeric_id(raw).unwrap_or(0)))
    } else if raw.contains('@') {
        UserLookup::Email(raw.to_owned())
    } else {
        UserLookup::Username(raw.to_owned())
    }
}

impl Directory {
    /// Creates the first admin when the directory has no user at all; `Ok(None)` otherwise.
    ///
    /// # Errors
    /// [`ServiceError::Validation`] for a bad username or password, storage errors.
    pub async fn bootstrap_admin(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, ServiceError> {
        if self
            .ports
            .users
            .count_users()
            .await
            .map_err(unexpected_user_store)?
            > 0
        {
            return Ok(None);
        }
        let input = UserInput {
            username: Some(Some(username.to_owned())),
            password: Some(Some(password.to_owned())),
            is_admin: Some(true),
            ..UserInput::default()
        };
        let event = AuditEvent::new(
            self.now(),
            Actor::cli(),
            &Origin::cli(),
            AuditAction::UserCreate,
        );
        self.insert_user(input, CreateRules::USERNAME_AND_PASSWORD, event)
            .await
            .map(Some)
    }

    /// The authorize step of creating users: admins only.
    ///
    /// # Errors
    /// [`Forbidden::AdminOnly`].
    pub fn authorize_create_user(
        &self,
        principal: &Principal,
    ) -> Result<CreateUserPermit, ServiceError> {
        principal.require_admin("create users")?;
        Ok(CreateUserPermit {
            by_api_key: principal.is_api_key(),
            event: self.event(principal, AuditAction::UserCreate),
        })
    }

    /// Creates a user under a permit from [`Directory::authorize_create_user`]. An admin's API
    /// key may create users with a password (provisioning clients do), but not an admin with
    /// a password: that would mint a credential with every right, beyond the key's scopes.
    ///
    /// # Errors
    /// [`Forbidden::ApiKeyAdminPassword`], [`ServiceError::Validation`] (including `taken`),
    /// storage errors.
    pub async fn create_user(
        &self,
        permit: CreateUserPermit,
        input: UserInput,
        rules: CreateRules,
    ) -> Result<User, ServiceError> {
        if permit.by_api_key && input.sets_password() && input.is_admin == Some(true) {
            return Err(ServiceError::Forbidden(Forbidden::ApiKeyAdminPassword));
        }
        self.insert_user(input, rules, permit.event).await
    }

    async fn insert_user(
        &self,
        input: UserInput,
        rules: CreateRules,
        event: AuditEvent,
    ) -> Result<User, ServiceError> {
        let ParsedFields {
            changes: mut c,
            violations,
            password,
            ..
        } = parse_user_fields(&input, rules.into(), &self.settings.password_policy);
        violations.into_result().map_err(ServiceError::Validation)?;
        c.password_hash = match &password {
            Some(p) => Some(self.ports.hasher.hash(p.expose()).await?),
            None => None,
        };
        let event = event.with_fields(c.field_names());
        let uuid = uuid::Builder::from_random_bytes(self.random_bytes::<16>()).into_uuid();
        let Some(new) = c.into_new_user(uuid, self.now()) else {
            return Err(ServiceError::Internal("username vanished".into()));
        };
        let echo = echo_values(&new.username, new.email.as_ref(), new.external_id.as_ref());
        self.ports
            .users
            .create_user_audited(new, Some(event))
            .await
            .map_err(|e| store_error(e, &echo, "?"))
    }

    /// Reads one user (any authenticated principal).
    ///
    /// # Errors
    /// [`NotFound::User`] naming `shown_ref`, storage errors.
    pub async fn get_user(
        &self,
        _principal: &Principal,
        lookup: &UserLookup,
        shown_ref: &str,
    ) -> Result<User, ServiceError> {
        self.find(lookup, shown_ref).await
    }

    /// Lists users (any authenticated principal).
    ///
    /// # Errors
    /// Storage errors.
    pub async fn list_users(
        &self,
        _principal: &Principal,
        query: &UserQuery,
    ) -> Result<Listed<User>, ServiceError> {
        self.ports
            .users
            .list_users(query)
            .await
            .map_err(unexpected_user_store)
    }

    /// One step of a walk over every user in id order (any authenticated principal), for
    /// families that list the whole directory (v1, streamed): the users after `after`, at most
    /// `limit` ([`PageRequest::MAX_LIMIT`] at most), without a count. Each step starts after
    /// the last id seen, so a user created or deleted meanwhile never shifts the others.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn list_users_after(
        &self,
        _principal: &Principal,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, ServiceError> {
        self.ports
            .users
            .list_users_after(after, limit.clamp(1, PageRequest::MAX_LIMIT))
            .await
            .map_err(unexpected_user_store)
    }

    pub(super) async fn find(
        &self,
        lookup: &UserLookup,
        shown_ref: &str,
    ) -> Result<User, ServiceError> {
        let not_found = || ServiceError::NotFound(NotFound::User(shown_ref.to_owned()));
        self.ports
            .users
            .find_user(lookup)
            .await
            .map_err(unexpected_user_store)?
            .ok_or_else(not_found)
    }

    /// The authorize step of changing a user (update or password): finds the target, then
    /// lets the user themselves or an admin through.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] naming `shown_ref`, [`Forbidden::UpdateOtherUser`], storage
    /// errors.
    pub async fn authorize_user_change<'a>(
        &self,
        principal: &'a Principal,
        lookup: &UserLookup,
        shown_ref: &str,
    ) -> Result<UserChangePermit<'a>, ServiceError> {
        let target = self.find(lookup, shown_ref).await?;
        let permit = UserChangePermit { principal, target };
        if !permit.is_self() && !principal.is_admin() {
            return Err(ServiceError::Forbidden(Forbidden::UpdateOtherUser));
        }
        Ok(permit)
    }

    /// Updates a user under a permit. Users may change their own username, e-mail, names,
    /// language and password; admins may change anything of anyone. An admin-only field sent
    /// with its current value is not a change. A password change ends the user's other
    /// sessions. An API key may change everything its scopes allow but the password.
    ///
    /// # Errors
    /// [`Forbidden::ApiKeyPassword`], [`Forbidden::AdminStatus`], [`Forbidden::AdminOnlyField`],
    /// [`ServiceError::Validation`], [`ServiceError::LastAdmin`], storage errors.
    pub async fn update_user(
        &self,
        permit: UserChangePermit<'_>,
        input: UserInput,
        rules: UpdateRules,
    ) -> Result<User, ServiceError> {
        if input.sets_password() {
            permit.principal.require_password_credential()?;
        }
        let target = &permit.target;
        let rules: FieldRules = rules.into();
        let mut parsed = parse_user_fields(&input, rules, &self.settings.password_policy);
        drop_unchanged(&mut parsed.changes, target);
        if !permit.principal.is_admin() {
            check_admin_only_fields(target, &parsed)?;
        }
        parsed
            .violations
            .clone()
            .into_result()
            .map_err(ServiceError::Validation)?;
        let mut changes = parsed.changes;
        let mut revoke = SessionRevocation::None;
        if let Some(password) = &parsed.password {
            changes.password_hash = Some(self.ports.hasher.hash(password.expose()).await?);
            revoke = permit.password_revocation();
        }
        let event = self.event(permit.principal, AuditAction::UserUpdate);
        self.apply(target, changes, revoke, event).await
    }

    /// Writes `changes` to `target` (ending sessions as `revoke_sessions` says) with `event`,
    /// completed with the target and the changed fields' names, in one transaction. Nothing
    /// to change writes nothing, not even an event.
    pub(super) async fn apply(
        &self,
        target: &User,
        changes: UserChanges,
        revoke_sessions: SessionRevocation,
        event: AuditEvent,
    ) -> Result<User, ServiceError> {
        if changes.is_empty() && revoke_sessions == SessionRevocation::None {
            return Ok(target.clone());
        }
        let event = event.on_user(target.id).with_fields(changes.field_names());
        let after = changes.apply_to(target);
        let echo = echo_values(
            &after.username,
            after.email.as_ref(),
            after.external_id.as_ref(),
        );
        self.ports
            .users
            .update_user_audited(
                target.id,
                UserUpdate {
                    changes,
                    revoke_sessions,
                    now: self.now(),
                },
                Some(event),
            )
            .await
            .map_err(|e| store_error(e, &echo, &target.id.to_string()))
    }

    /// Deletes a user (admins only, themselves included), with their sessions, keys and
    /// configurations.
    ///
    /// # Errors
    /// [`Forbidden::AdminOnly`], [`ServiceError::NotFound`], [`ServiceError::LastAdmin`],
    /// storage errors.
    pub async fn delete_user(
        &self,
        principal: &Principal,
        lookup: &UserLookup,
        shown_ref: &str,
    ) -> Result<(), ServiceError> {
        principal.require_admin("delete users")?;
        let target = self.find(lookup, shown_ref).await?;
        self.ports
            .users
            .delete_user_audited(
                target.id,
                self.now(),
                Some(
                    self.event(principal, AuditAction::UserDelete)
                        .on_user(target.id),
                ),
            )
            .await
            .map_err(|e| match e {
                UserStoreError::NotFound => {
                    ServiceError::NotFound(NotFound::User(shown_ref.to_owned()))
                }
                other => unexpected_user_store(other),
            })
    }
}

/// The values echoed in `taken` errors.
struct Echo {
    username: String,
    email: Option<String>,
    external_id: Option<String>,
}

fn echo_values(
    username: &Username,
    email: Option<&Email>,
    external_id: Option<&ExternalId>,
) -> Echo {
    Echo {
        username: username.as_str().to_owned(),
        email: email.map(|e| e.as_str().to_owned()),
        external_id: external_id.map(|e| e.as_str().to_owned()),
    }
}

fn store_error(e: UserStoreError, echo: &Echo, shown_ref: &str) -> ServiceError {
    match e {
        UserStoreError::Taken(field) => {
            let value = match field {
                UniqueUserField::Username => Some(echo.username.clone()),
                UniqueUserField::Email => echo.email.clone(),
                UniqueUserField::ExternalId => echo.external_id.clone(),
            };
            ServiceError::Validation(Violations::one(FieldViolation {
                field: field.as_str(),
                violation: Violation::Taken,
                value,
            }))
        }
        UserStoreError::NotFound => ServiceError::NotFound(NotFound::User(shown_ref.to_owned())),
        other => unexpected_user_store(other),
    }
}
