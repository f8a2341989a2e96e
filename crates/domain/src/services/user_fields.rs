//! A request's user fields: the raw [`UserInput`] a family hands over, the rules it reads them
//! by ([`CreateRules`], [`UpdateRules`]), and the one parser that validates them for both
//! create and update, collecting every violation; plus the admin-only field rule.

use crate::entities::{User, UserChanges};
use crate::listing::parse_timestamp;
use crate::values::{
    Email, ExternalId, FieldViolation, Language, Password, PasswordPolicy, PersonName, PosixId,
    SourceType, Username, Violation, Violations,
};
use chrono::{DateTime, Utc};
use std::fmt;

use super::{Forbidden, ServiceError};

/// Raw user fields as a family received them. For each field `None` means absent; for
/// nullable fields `Some(None)` means an explicit null. Values are validated by the use case,
/// so every family reports the same rules.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UserInput {
    /// `username`
    pub username: Option<Option<String>>,
    /// `email`
    pub email: Option<Option<String>>,
    /// `first_name`
    pub first_name: Option<Option<String>>,
    /// `last_name`
    pub last_name: Option<Option<String>>,
    /// `external_id`
    pub external_id: Option<Option<String>>,
    /// `language`
    pub language: Option<Option<String>>,
    /// `is_admin` (`admin` in v1, `root_admin` in application)
    pub is_admin: Option<bool>,
    /// `enabled`
    pub enabled: Option<bool>,
    /// `expired_at`, RFC 3339
    pub expired_at: Option<Option<String>>,
    /// `user_id` (POSIX uid)
    pub user_id: Option<Option<i64>>,
    /// `group_id` (POSIX gid)
    pub group_id: Option<Option<i64>>,
    /// `source_type`
    pub source_type: Option<String>,
    /// `password` (write-only)
    pub password: Option<Option<String>>,
    /// Fields whose JSON type was wrong (a string for a boolean, …): each is reported as
    /// [`Violation::WrongType`].
    pub malformed: Vec<&'static str>,
}

/// How a password slot shows in `Debug`: whether it was sent, never what.
fn redacted(slot: &Option<Option<String>>) -> &'static str {
    match slot {
        None => "absent",
        Some(None) => "null",
        Some(Some(_)) => "[redacted]",
    }
}

impl fmt::Debug for UserInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserInput")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("external_id", &self.external_id)
            .field("language", &self.language)
            .field("is_admin", &self.is_admin)
            .field("enabled", &self.enabled)
            .field("expired_at", &self.expired_at)
            .field("user_id", &self.user_id)
            .field("group_id", &self.group_id)
            .field("source_type", &self.source_type)
            .field("password", &redacted(&self.password))
            .field("malformed", &self.malformed)
            .finish()
    }
}

impl UserInput {
    /// True when the input sets a password (a non-empty one; empty or null never sets one).
    pub(crate) fn sets_password(&self) -> bool {
        matches!(&self.password, Some(Some(p)) if !p.is_empty())
    }
}

/// What a family requires when creating a user. Each family declares its own value in its
/// module; the rules they select are enforced here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateRules {
    /// A password is required; when not, an absent, null or empty one means "no password".
    pub require_password: bool,
    /// `email`, `first_name` and `last_name` are required.
    pub require_profile: bool,
    /// The username is stored in lower case.
    pub lowercase_username: bool,
}

impl CreateRules {
    /// Username and password required, nothing else: the rules of the first admin.
    pub const USERNAME_AND_PASSWORD: Self = Self {
        require_password: true,
        require_profile: false,
        lowercase_username: false,
    };
}

/// What a family requires when updating a user (declared in each family's module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateRules {
    /// `username`, `email`, `first_name` and `last_name` must be present.
    pub require_profile: bool,
    /// The username is stored in lower case.
    pub lowercase_username: bool,
    /// A null or empty password leaves the password unchanged.
    pub blank_password_is_absent: bool,
}

impl UpdateRules {
    /// A partial update: absent fields stay, `null` clears, a null password is `blank`.
    pub const PARTIAL: Self = Self {
        require_profile: false,
        lowercase_username: false,
        blank_password_is_absent: false,
    };
}

/// The fields only admins may change.
const ADMIN_ONLY: [&str; 7] = [
    "is_admin",
    "enabled",
    "expired_at",
    "user_id",
    "group_id",
    "source_type",
    "external_id",
];

/// How a missing, null or empty password reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordRule {
    /// Absent or null is `blank` (create with a required password).
    Required,
    /// Absent means no change; null is `blank` (partial update).
    Optional,
    /// Absent, null or empty means no password or no change.
    BlankIsAbsent,
}

/// The rules of one request's user fields, whether it creates or updates.
#[derive(Debug, Clone, Copy)]
pub(super) struct FieldRules {
    require_username: bool,
    require_profile: bool,
    lowercase_username: bool,
    password: PasswordRule,
}

impl From<CreateRules> for FieldRules {
    fn from(r: CreateRules) -> Self {
        Self {
            require_username: true,
            require_profile: r.require_profile,
            lowercase_username: r.lowercase_username,
            password: if r.require_password {
                PasswordRule::Required
            } else {
                PasswordRule::BlankIsAbsent
            },
        }
    }
}

impl From<UpdateRules> for FieldRules {
    fn from(r: UpdateRules) -> Self {
        Self {
            require_username: r.require_profile,
            require_profile: r.require_profile,
            lowercase_username: r.lowercase_username,
            password: if r.blank_password_is_absent {
                PasswordRule::BlankIsAbsent
            } else {
                PasswordRule::Optional
            },
        }
    }
}

/// Parsed input: the changes, everything found wrong, and the new password.
pub(super) struct ParsedFields {
    /// Absent fields are `None`, nulls of nullable fields `Some(None)`.
    pub changes: UserChanges,
    /// Every violation found.
    pub violations: Violations,
    /// Admin-only fields that were sent but failed to parse (they count as changes).
    unparsed_admin_fields: Vec<&'static str>,
    /// The new password, when one was given and is valid.
    pub password: Option<Password>,
}

/// Validates a request's user fields, collecting every violation: absent fields are no change
/// (`None`), nulls clear nullable fields (`Some(None)`). Creating reads the same result with
/// defaults for what is left out.
pub(super) fn parse_user_fields(
    input: &UserInput,
    rules: FieldRules,
    policy: &PasswordPolicy,
) -> ParsedFields {
    let mut parsed = ParsedFields {
        changes: UserChanges::default(),
        violations: Violations::new(),
        unparsed_admin_fields: Vec::new(),
        password: None,
    };
    for field in &input.malformed {
        parsed
            .violations
            .push(FieldViolation::new(field, Violation::WrongType));
        if ADMIN_ONLY.contains(field) {
            parsed.unparsed_admin_fields.push(*field);
        }
    }
    parse_profile(&mut parsed, input, rules);
    parse_admin_fields(&mut parsed, input);
    parsed.password = parse_password(&mut parsed.violations, input, rules, policy);
    parsed
}

/// The fields users may change for themselves: username, e-mail, names, language.
fn parse_profile(parsed: &mut ParsedFields, input: &UserInput, rules: FieldRules) {
    let v = &mut parsed.violations;
    let c = &mut parsed.changes;
    let require = rules.require_profile;
    c.username = match &input.username {
        None if !rules.require_username => None,
        raw => required(v, "username", raw.as_ref())
            .and_then(|raw| v.check("username", Some(raw), Username::parse(raw)))
            .map(|u| {
                if rules.lowercase_username {
                    u.to_lowercase()
                } else {
                    u
                }
            }),
    };
    c.email = if require {
        required(v, "email", input.email.as_ref())
            .and_then(|raw| v.check("email", Some(raw), Email::parse(raw)))
            .map(Some)
    } else {
        optional_change(v, "email", input.email.as_ref(), Email::parse)
    };
    c.first_name = name_change(v, "first_name", input.first_name.as_ref(), require);
    c.last_name = name_change(v, "last_name", input.last_name.as_ref(), require);
    c.language = input.language.as_ref().and_then(|raw| {
        required(v, "language", Some(raw))
            .and_then(|raw| v.check("language", Some(raw), Language::parse(raw)))
    });
}

/// The admin-only fields; one sent but unparsable is remembered as a change.
fn parse_admin_fields(parsed: &mut ParsedFields, input: &UserInput) {
    let ParsedFields {
        changes: c,
        violations: v,
        unparsed_admin_fields: unparsed,
        ..
    } = parsed;
    let mut admin_field = |field: &'static str, sent: bool, parsed: bool| {
        if sent && !parsed {
            unparsed.push(field);
        }
    };
    c.external_id = optional_change(
        v,
        "external_id",
        input.external_id.as_ref(),
        ExternalId::parse,
    );
    admin_field(
        "external_id",
        input.external_id.is_some(),
        c.external_id.is_some(),
    );
    c.is_admin = input.is_admin;
    c.enabled = input.enabled;
    c.expired_at = input
        .expired_at
        .as_ref()
        .and_then(|raw| timestamp(v, "expired_at", raw));
    admin_field(
        "expired_at",
        input.expired_at.is_some(),
        c.expired_at.is_some(),
    );
    c.posix_uid = input.user_id.and_then(|raw| posix(v, "user_id", raw));
    admin_field("user_id", input.user_id.is_some(), c.posix_uid.is_some());
    c.posix_gid = input.group_id.and_then(|raw| posix(v, "group_id", raw));
    admin_field("group_id", input.group_id.is_some(), c.posix_gid.is_some());
    c.source_type = input
        .source_type
        .as_ref()
        .and_then(|raw| v.check("source_type", Some(raw), SourceType::parse(raw)));
    admin_field(
        "source_type",
        input.source_type.is_some(),
        c.source_type.is_some(),
    );
}

fn parse_password(
    v: &mut Violations,
    input: &UserInput,
    rules: FieldRules,
    policy: &PasswordPolicy,
) -> Option<Password> {
    match (input.password.as_ref(), rules.password) {
        (Some(Some(raw)), PasswordRule::BlankIsAbsent) if raw.is_empty() => None,
        (Some(Some(raw)), _) => v.check("password", None, Password::new(raw, policy)),
        (None | Some(None), PasswordRule::BlankIsAbsent) | (None, PasswordRule::Optional) => None,
        (None, PasswordRule::Required) | (Some(None), _) => {
            blank(v, "password");
            None
        }
    }
}

/// Refuses a non-admin's change of any admin-only field. `is_admin` comes first with its own
/// message.
pub(super) fn check_admin_only_fields(
    target: &User,
    parsed: &ParsedFields,
) -> Result<(), ServiceError> {
    let c = &parsed.changes;
    let changed = |field: &str| -> bool {
        parsed.unparsed_admin_fields.contains(&field)
            || match field {
                "is_admin" => c.is_admin.is_some_and(|v| v != target.is_admin),
                "enabled" => c.enabled.is_some_and(|v| v != target.enabled),
                "expired_at" => c.expired_at.is_some_and(|v| v != target.expired_at),
                "user_id" => c.posix_uid.is_some_and(|v| v != target.posix_uid),
                "group_id" => c.posix_gid.is_some_and(|v| v != target.posix_gid),
                "source_type" => c.source_type.is_some_and(|v| v != target.source_type),
                "external_id" => c
                    .external_id
                    .as_ref()
                    .is_some_and(|v| *v != target.external_id),
                _ => false,
            }
    };
    if changed("is_admin") {
        return Err(ServiceError::Forbidden(Forbidden::AdminStatus));
    }
    if let Some(field) = ADMIN_ONLY.iter().find(|f| changed(f)) {
        return Err(ServiceError::Forbidden(Forbidden::AdminOnlyField(field)));
    }
    Ok(())
}

/// Removes changes that equal the current value, so "sending what is there" writes nothing
/// and is never an admin-only change.
pub(super) fn drop_unchanged(c: &mut UserChanges, u: &User) {
    fn keep<T: PartialEq>(slot: &mut Option<T>, current: &T) {
        if slot.as_ref() == Some(current) {
            *slot = None;
        }
    }
    keep(&mut c.username, &u.username);
    keep(&mut c.email, &u.email);
    keep(&mut c.first_name, &u.first_name);
    keep(&mut c.last_name, &u.last_name);
    keep(&mut c.external_id, &u.external_id);
    keep(&mut c.language, &u.language);
    keep(&mut c.is_admin, &u.is_admin);
    keep(&mut c.enabled, &u.enabled);
    keep(&mut c.expired_at, &u.expired_at);
    keep(&mut c.posix_uid, &u.posix_uid);
    keep(&mut c.posix_gid, &u.posix_gid);
    keep(&mut c.source_type, &u.source_type);
}

/// Reports a missing required field as `blank` — unless it was there with the wrong type,
/// which is reported as such and not also as missing.
fn blank(v: &mut Violations, field: &'static str) {
    let wrong_type = v
        .iter()
        .any(|f| f.field == field && f.violation == Violation::WrongType);
    if !wrong_type {
        v.push(FieldViolation::new(field, Violation::Blank));
    }
}

/// A required string: absent, null or empty is `blank`.
fn required<'a>(
    v: &mut Violations,
    field: &'static str,
    raw: Option<&'a Option<String>>,
) -> Option<&'a str> {
    match raw {
        Some(Some(s)) if !s.is_empty() => Some(s.as_str()),
        _ => {
            blank(v, field);
            None
        }
    }
}

/// An optional value on update: absent is no change, null clears.
fn optional_change<T, E: Into<Violation>>(
    v: &mut Violations,
    field: &'static str,
    raw: Option<&Option<String>>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<Option<T>> {
    match raw {
        None => None,
        Some(None) => Some(None),
        Some(Some(s)) => v.check(field, Some(s), parse(s)).map(Some),
    }
}

fn name_change(
    v: &mut Violations,
    field: &'static str,
    raw: Option<&Option<String>>,
    require: bool,
) -> Option<Option<PersonName>> {
    if require {
        required(v, field, raw)
            .and_then(|s| v.check(field, Some(s), PersonName::parse(s)))
            .map(Some)
    } else {
        optional_change(v, field, raw, PersonName::parse)
    }
}

/// A sent timestamp: null clears, anything but RFC 3339 is `invalid`.
fn timestamp(
    v: &mut Violations,
    field: &'static str,
    raw: &Option<String>,
) -> Option<Option<DateTime<Utc>>> {
    match raw {
        None => Some(None),
        Some(s) => match parse_timestamp(s) {
            Some(t) => Some(Some(t)),
            None => {
                v.push(FieldViolation::with_value(
                    field,
                    Violation::Invalid,
                    s.clone(),
                ));
                None
            }
        },
    }
}

/// A sent POSIX id: null clears.
fn posix(v: &mut Violations, field: &'static str, raw: Option<i64>) -> Option<Option<PosixId>> {
    match raw {
        None => Some(None),
        Some(n) => v.check(field, None, PosixId::new(n)).map(Some),
    }
}
