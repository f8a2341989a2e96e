//! Importing users from another system (`rollcall users import`): every line is checked with
//! the product's rules before anything is written, then the whole file is written in one
//! transaction, or nothing is.

use super::user_fields::{drop_unchanged, parse_user_fields};
use super::{CreateRules, Directory, ServiceError, UserInput};
use crate::audit::{Actor, AuditAction, AuditEvent, Origin};
use crate::entities::{ImportWrite, SessionRevocation, User, UserId, UserUpdate};
use crate::listing::truncate_to_micros;
use crate::ports::{UniqueUserField, UserLookup, UserStoreError};
use crate::secrets::PasswordHash;
use crate::values::{FieldViolation, Violation, Violations};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// One user of an import file, as read from its line. `Debug` shows whether a hash was
/// given, never the hash.
#[derive(Clone, Default)]
pub struct ImportedUser {
    /// The line number, for the report.
    pub line: usize,
    /// The user's fields, as a v2 create would give them (no `password`: see below).
    pub input: UserInput,
    /// The user's UUID, kept when given; an existing user with it is updated.
    pub uuid: Option<String>,
    /// The stored password hash: Argon2id PHC, or bcrypt `$2a$`/`$2b$`/`$2y$` (upgraded to
    /// Argon2id at the first sign-in). Absent: a new user has no password, an existing one
    /// keeps theirs.
    pub password_hash: Option<String>,
    /// When the user was created in the source system; now when absent.
    pub created_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for ImportedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportedUser")
            .field("line", &self.line)
            .field("input", &self.input)
            .field("uuid", &self.uuid)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// What an import did, or would do, with one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// A new user.
    Created,
    /// An existing user (same UUID, or same username when the line has no UUID) changed.
    Updated(UserId),
    /// An existing user already as the line says.
    Unchanged(UserId),
    /// Refused, with why.
    Refused(String),
}

/// One line's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLine {
    /// The line number.
    pub line: usize,
    /// The username as the line gave it (empty when it had none).
    pub username: String,
    /// What happened.
    pub outcome: LineOutcome,
}

/// The outcome of a whole import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Every line, in file order.
    pub lines: Vec<ImportLine>,
    /// True when the writes were made (no line refused, not a dry run).
    pub applied: bool,
}

impl ImportReport {
    /// How many lines had `outcome`'s kind.
    pub fn count(&self, kind: fn(&LineOutcome) -> bool) -> usize {
        self.lines.iter().filter(|l| kind(&l.outcome)).count()
    }
}

/// A line's unique values, folded as the stores compare them.
fn unique_keys(uuid: Option<uuid::Uuid>, parsed: &crate::entities::UserChanges) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(u) = &parsed.username {
        keys.push(format!("username {}", u.folded()));
    }
    if let Some(Some(e)) = &parsed.email {
        keys.push(format!("email {}", e.folded()));
    }
    if let Some(Some(x)) = &parsed.external_id {
        keys.push(format!("external_id {}", x.as_str()));
    }
    if let Some(uuid) = uuid {
        // Parsed: the same UUID written two ways is one.
        keys.push(format!("uuid {}", uuid.hyphenated()));
    }
    keys
}

fn describe(violations: &Violations) -> String {
    violations
        .iter()
        .map(|v| format!("{} {}", v.field, v.violation))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Directory {
    /// Imports `users` (see [`ImportedUser`]): each line is validated with the product's
    /// rules (usernames, e-mails, every field as a v2 create checks it; the hash's form),
    /// against the other lines and against the directory (uniqueness). When any line is
    /// refused, or for a dry run, nothing is written; otherwise every line is written in one
    /// transaction, audited as the command line's, under the last-admin rule.
    ///
    /// # Errors
    /// [`ServiceError::LastAdmin`] when the import would leave no lasting admin,
    /// [`ServiceError::Validation`] when the database still finds a value taken (a change
    /// made meanwhile), storage errors. Refused lines are not errors: they are in the report.
    pub async fn import_users(
        &self,
        users: Vec<ImportedUser>,
        dry_run: bool,
    ) -> Result<ImportReport, ServiceError> {
        let rules = CreateRules {
            require_password: false,
            require_profile: false,
            lowercase_username: false,
        };
        let now = self.now();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut lines = Vec::with_capacity(users.len());
        let mut writes = Vec::with_capacity(users.len());
        for user in users {
            let username = user.input.username.clone().flatten().unwrap_or_default();
            let refuse = |why: String| ImportLine {
                line: user.line,
                username: username.clone(),
                outcome: LineOutcome::Refused(why),
            };
            let mut parsed =
                parse_user_fields(&user.input, rules.into(), &self.settings.password_policy);
            if !parsed.violations.is_empty() {
                lines.push(refuse(describe(&parsed.violations)));
                continue;
            }
            let hash = match user.password_hash.as_deref().map(PasswordHash::imported) {
                Some(Err(why)) => {
                    lines.push(refuse(format!("password_hash is {why}")));
                    continue;
                }
                Some(Ok(hash)) => Some(hash),
                None => None,
            };
            let uuid = match user.uuid.as_deref().map(uuid::Uuid::parse_str) {
                Some(Err(_)) => {
                    lines.push(refuse("uuid is not a UUID".into()));
                    continue;
                }
                Some(Ok(uuid)) => Some(uuid),
                None => None,
            };
            let clash = unique_keys(uuid, &parsed.changes)
                .into_iter()
                .find_map(|key| {
                    seen.insert(key.clone(), user.line)
                        .map(|other| (key, other))
                });
            if let Some((key, other)) = clash {
                lines.push(refuse(format!("{key} is also on line {other}")));
                continue;
            }
            let existing = match uuid {
                Some(uuid) => self.lookup(&UserLookup::Uuid(uuid)).await?,
                None => self.lookup(&UserLookup::Username(username.clone())).await?,
            };
            if let Some(why) = self
                .taken_elsewhere(&parsed.changes, existing.as_ref())
                .await?
            {
                lines.push(refuse(why));
                continue;
            }
            // Two lines resolving to one user (one by UUID, one by username) would each be
            // planned against the user as it was.
            if let Some(target) = &existing
                && let Some(other) = seen.insert(format!("user {}", target.id), user.line)
            {
                lines.push(refuse(format!(
                    "user {} is also changed by line {other}",
                    target.id
                )));
                continue;
            }
            match existing {
                Some(target) => {
                    drop_unchanged(&mut parsed.changes, &target);
                    let mut changes = parsed.changes;
                    if hash
                        .as_ref()
                        .is_some_and(|h| target.password_hash.as_ref() != Some(h))
                    {
                        changes.password_hash = hash;
                    }
                    if changes.is_empty() {
                        lines.push(ImportLine {
                            line: user.line,
                            username,
                            outcome: LineOutcome::Unchanged(target.id),
                        });
                        continue;
                    }
                    let revoke = if changes.password_hash.is_some() {
                        SessionRevocation::All
                    } else {
                        SessionRevocation::None
                    };
                    let event =
                        cli_event(now, AuditAction::UserUpdate).with_fields(changes.field_names());
                    writes.push((
                        ImportWrite::Update(
                            target.id,
                            UserUpdate {
                                changes,
                                revoke_sessions: revoke,
                                now,
                            },
                        ),
                        event,
                    ));
                    lines.push(ImportLine {
                        line: user.line,
                        username,
                        outcome: LineOutcome::Updated(target.id),
                    });
                }
                None => {
                    let mut c = parsed.changes;
                    c.password_hash = hash;
                    let fields = c.field_names();
                    let uuid = uuid.unwrap_or_else(|| {
                        uuid::Builder::from_random_bytes(self.random_bytes::<16>()).into_uuid()
                    });
                    let created_at = user.created_at.map_or(now, truncate_to_micros);
                    let Some(new) = c.into_new_user(uuid, created_at) else {
                        lines.push(refuse("username can't be blank".into()));
                        continue;
                    };
                    writes.push((
                        ImportWrite::Create(new),
                        cli_event(now, AuditAction::UserCreate).with_fields(fields),
                    ));
                    lines.push(ImportLine {
                        line: user.line,
                        username,
                        outcome: LineOutcome::Created,
                    });
                }
            }
        }
        let refused = lines
            .iter()
            .any(|l| matches!(l.outcome, LineOutcome::Refused(_)));
        if refused || dry_run || writes.is_empty() {
            return Ok(ImportReport {
                lines,
                applied: false,
            });
        }
        self.ports
            .users
            .apply_import(writes)
            .await
            .map_err(|e| match e {
                UserStoreError::LastAdmin => ServiceError::LastAdmin,
                UserStoreError::Taken(field) => ServiceError::Validation(Violations::one(
                    FieldViolation::new(field.as_str(), Violation::Taken),
                )),
                other => super::error::unexpected_user_store(other),
            })?;
        Ok(ImportReport {
            lines,
            applied: true,
        })
    }

    async fn lookup(&self, lookup: &UserLookup) -> Result<Option<User>, ServiceError> {
        self.ports
            .users
            .find_user(lookup)
            .await
            .map_err(super::error::unexpected_user_store)
    }

    /// Why a line's unique values are taken by a user other than `target`, if they are.
    async fn taken_elsewhere(
        &self,
        c: &crate::entities::UserChanges,
        target: Option<&User>,
    ) -> Result<Option<String>, ServiceError> {
        let mut probes = Vec::new();
        if let Some(u) = &c.username {
            probes.push((
                UniqueUserField::Username,
                UserLookup::Username(u.as_str().to_owned()),
            ));
        }
        if let Some(Some(e)) = &c.email {
            probes.push((
                UniqueUserField::Email,
                UserLookup::Email(e.as_str().to_owned()),
            ));
        }
        if let Some(Some(x)) = &c.external_id {
            probes.push((
                UniqueUserField::ExternalId,
                UserLookup::ExternalId(x.as_str().to_owned()),
            ));
        }
        for (field, probe) in probes {
            if let Some(holder) = self.lookup(&probe).await?
                && Some(holder.id) != target.map(|t| t.id)
            {
                return Ok(Some(format!(
                    "{} is taken by user {}",
                    field.as_str(),
                    holder.id
                )));
            }
        }
        Ok(None)
    }
}

/// An event of the command line.
fn cli_event(now: DateTime<Utc>, action: AuditAction) -> AuditEvent {
    AuditEvent::new(now, Actor::cli(), &Origin::cli(), action)
}
