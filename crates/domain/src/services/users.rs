//! Users: create, read, list, update, change password, delete — with who-may-do-what,
//! admin-only fields, uniqueness and the last-admin invariant.

use super::error::unexpected_user_store;
use super::{Directory, Forbidden, NotFound, Principal, ServiceError};
use crate::entities::{
    NewUser, SessionRevocation, User, UserChanges, UserId, UserUpdate, is_all_digits,
    parse_numeric_id,
};
use crate::listing::{
    Condition, Filter, FilterValue, Listed, PageRequest, SortOrder, UserField, UserQuery,
    parse_timestamp,
};
use crate::ports::{UniqueUserField, UserLookup, UserStoreError, Verification};
use crate::values::{
    Email, ExternalId, FieldViolation, Language, Password, PersonName, PosixId, SourceType,
    Username, Violation, Violations,
};
use chrono::{DateTime, Utc};
use std::fmt;

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

/// What a family requires when creating a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateRules {
    /// A password is required (v2, v1); optional in the application family.
    pub require_password: bool,
    /// `email`, `first_name` and `last_name` are required (application family).
    pub require_profile: bool,
    /// The username is stored in lower case (application family).
    pub lowercase_username: bool,
}

impl CreateRules {
    /// v2: password required.
    pub const V2: Self = Self {
        require_password: true,
        require_profile: false,
        lowercase_username: false,
    };
    /// v1: username and password only.
    pub const V1: Self = Self::V2;
    /// Application family: profile required, password optional, usernames lowercased.
    pub const APPLICATION: Self = Self {
        require_password: false,
        require_profile: true,
        lowercase_username: true,
    };
}

/// What a family requires when updating a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateRules {
    /// `username`, `email`, `first_name` and `last_name` must be present (application PATCH
    /// uses the create rules).
    pub require_profile: bool,
    /// The username is stored in lower case (application family).
    pub lowercase_username: bool,
    /// A null or empty password leaves the password unchanged (application family).
    pub blank_password_is_absent: bool,
}

impl UpdateRules {
    /// v2: partial update.
    pub const V2: Self = Self {
        require_profile: false,
        lowercase_username: false,
        blank_password_is_absent: false,
    };
    /// Application family.
    pub const APPLICATION: Self = Self {
        require_profile: true,
        lowercase_username: true,
        blank_password_is_absent: true,
    };
}

/// A password change through a dedicated route.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordChange {
    /// The new password.
    pub password: Option<String>,
    /// The current password, when the family asks for it.
    pub current_password: Option<String>,
    /// Users changing their own password must give the current one (v1, admins included).
    pub require_current_for_self: bool,
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

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordChange")
            .field("password", &redacted(&Some(self.password.clone())))
            .field(
                "current_password",
                &redacted(&Some(self.current_password.clone())),
            )
            .field("require_current_for_self", &self.require_current_for_self)
            .finish()
    }
}

/// Reads a v2 user reference: all digits → id; contains `@` → e-mail; else username.
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

/// Parsed input: changes plus everything found wrong.
struct Parsed {
    changes: UserChanges,
    violations: Violations,
    /// Admin-only fields that failed to parse (counted as changes).
    unparsed_admin_fields: Vec<&'static str>,
    password: Option<Password>,
}

/// How a missing, null or empty password reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordRule {
    /// Absent or null is `blank` (v2 and v1 create).
    Required,
    /// Absent means no password; null is `blank` (v2 update).
    Optional,
    /// Absent, null or empty means no password or no change (application family).
    BlankIsAbsent,
}

/// The rules of one request's user fields, whether it creates or updates: the one parser
/// [`Directory::parse_user_fields`] serves both.
#[derive(Debug, Clone, Copy)]
struct FieldRules {
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
        self.insert_user(input, CreateRules::V2).await.map(Some)
    }

    /// Creates a user (admins only).
    ///
    /// # Errors
    /// [`Forbidden::AdminOnly`], [`ServiceError::Validation`] (including `taken`), storage
    /// errors.
    pub async fn create_user(
        &self,
        principal: &Principal,
        input: UserInput,
        rules: CreateRules,
    ) -> Result<User, ServiceError> {
        principal.require_admin("create users")?;
        self.insert_user(input, rules).await
    }

    async fn insert_user(
        &self,
        input: UserInput,
        rules: CreateRules,
    ) -> Result<User, ServiceError> {
        let Parsed {
            changes: c,
            violations,
            password,
            ..
        } = self.parse_user_fields(&input, rules.into());
        violations.into_result().map_err(ServiceError::Validation)?;
        let Some(username) = c.username else {
            return Err(ServiceError::Internal("username vanished".into()));
        };
        let password_hash = match &password {
            Some(p) => Some(self.ports.hasher.hash(p.expose()).await?),
            None => None,
        };
        // What the request left out takes its default; a null is the same as absent.
        let new = NewUser {
            uuid: uuid::Builder::from_random_bytes(self.random_bytes::<16>()).into_uuid(),
            username,
            email: c.email.flatten(),
            first_name: c.first_name.flatten(),
            last_name: c.last_name.flatten(),
            external_id: c.external_id.flatten(),
            language: c.language.unwrap_or_default(),
            is_admin: c.is_admin.unwrap_or(false),
            enabled: c.enabled.unwrap_or(true),
            expired_at: c.expired_at.flatten(),
            posix_uid: c.posix_uid.flatten(),
            posix_gid: c.posix_gid.flatten(),
            source_type: c.source_type.unwrap_or_default(),
            password_hash,
            created_at: self.now(),
        };
        let echo = echo_values(&new.username, new.email.as_ref(), new.external_id.as_ref());
        self.ports
            .users
            .create_user(new)
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

    /// Lists every user in id order (any authenticated principal), for families that have no
    /// paging (v1). Reads the store page by page, each page after the last id seen, so a user
    /// created or deleted meanwhile never shifts the others.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn list_all_users(&self, principal: &Principal) -> Result<Vec<User>, ServiceError> {
        self.list_all_users_by(principal, PageRequest::MAX_LIMIT)
            .await
    }

    pub(super) async fn list_all_users_by(
        &self,
        principal: &Principal,
        page_size: u32,
    ) -> Result<Vec<User>, ServiceError> {
        let mut all = Vec::new();
        let mut after: Option<UserId> = None;
        loop {
            let query = UserQuery {
                filters: after
                    .map(|id| Filter {
                        field: UserField::Id,
                        condition: Condition::Gt(FilterValue::Integer(id.get())),
                    })
                    .into_iter()
                    .collect(),
                sort: SortOrder::default(),
                page: PageRequest::new(page_size, 0),
            };
            let page = self.list_users(principal, &query).await?;
            let full = page.items.len() >= query.page.limit() as usize;
            after = page.items.last().map(|u| u.id);
            all.extend(page.items);
            if !full || after.is_none() {
                return Ok(all);
            }
        }
    }

    async fn find(&self, lookup: &UserLookup, shown_ref: &str) -> Result<User, ServiceError> {
        let not_found = || ServiceError::NotFound(NotFound::User(shown_ref.to_owned()));
        // No stored name, address or id holds a NUL, and PostgreSQL refuses one in a
        // parameter: answer as for any other name that matches nobody.
        let has_nul = match lookup {
            UserLookup::Username(s) | UserLookup::Email(s) | UserLookup::ExternalId(s) => {
                s.contains('\0')
            }
            UserLookup::Id(_) | UserLookup::Uuid(_) => false,
        };
        if has_nul {
            return Err(not_found());
        }
        self.ports
            .users
            .find_user(lookup)
            .await
            .map_err(unexpected_user_store)?
            .ok_or_else(not_found)
    }

    /// Updates a user. Users may change their own username, e-mail, names, language and
    /// password; admins may change anything of anyone. An admin-only field sent with its
    /// current value is not a change. A password change ends the user's other sessions.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::Forbidden`] ([`Forbidden::UpdateOtherUser`],
    /// [`Forbidden::AdminStatus`], [`Forbidden::AdminOnlyField`]), [`ServiceError::Validation`],
    /// [`ServiceError::LastAdmin`], storage errors.
    pub async fn update_user(
        &self,
        principal: &Principal,
        lookup: &UserLookup,
        shown_ref: &str,
        input: UserInput,
        rules: UpdateRules,
    ) -> Result<User, ServiceError> {
        let target = self.find(lookup, shown_ref).await?;
        let is_self = principal.user.id == target.id;
        if !is_self && !principal.is_admin() {
            return Err(ServiceError::Forbidden(Forbidden::UpdateOtherUser));
        }
        let mut parsed = self.parse_user_fields(&input, rules.into());
        drop_unchanged(&mut parsed.changes, &target);
        if !principal.is_admin() {
            check_admin_only_fields(&target, &parsed)?;
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
            revoke = revocation_for(principal, &target);
        }
        self.apply(&target, changes, revoke).await
    }

    async fn apply(
        &self,
        target: &User,
        changes: UserChanges,
        revoke_sessions: SessionRevocation,
    ) -> Result<User, ServiceError> {
        if changes.is_empty() && revoke_sessions == SessionRevocation::None {
            return Ok(target.clone());
        }
        let after = changes.apply_to(target);
        let echo = echo_values(
            &after.username,
            after.email.as_ref(),
            after.external_id.as_ref(),
        );
        self.ports
            .users
            .update_user(
                target.id,
                UserUpdate {
                    changes,
                    revoke_sessions,
                    now: self.now(),
                },
            )
            .await
            .map_err(|e| store_error(e, &echo, &target.id.to_string()))
    }

    /// Changes a password through a dedicated route: the user themselves or an admin. Users
    /// changing their own password give the current one when the family requires it. Ends the
    /// user's other sessions.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`Forbidden::UpdateOtherUser`], [`ServiceError::Validation`]
    /// (blank or bad password, wrong `current_password`), storage errors.
    pub async fn change_password(
        &self,
        principal: &Principal,
        lookup: &UserLookup,
        shown_ref: &str,
        change: PasswordChange,
    ) -> Result<User, ServiceError> {
        let target = self.find(lookup, shown_ref).await?;
        let is_self = principal.user.id == target.id;
        if !is_self && !principal.is_admin() {
            return Err(ServiceError::Forbidden(Forbidden::UpdateOtherUser));
        }
        let mut violations = Violations::new();
        if is_self && change.require_current_for_self {
            match change.current_password.as_deref() {
                None | Some("") => {
                    violations.push(FieldViolation::new("current_password", Violation::Blank))
                }
                Some(current) if !self.password_matches(&target, current).await? => {
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
        self.apply(&target, changes, revocation_for(principal, &target))
            .await
    }

    async fn password_matches(&self, user: &User, presented: &str) -> Result<bool, ServiceError> {
        let stored = user
            .password_hash
            .as_ref()
            .unwrap_or(self.ports.hasher.dummy_hash());
        let verdict = self.ports.hasher.verify(presented, stored).await?;
        Ok(user.password_hash.is_some() && matches!(verdict, Verification::Match { .. }))
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
            .delete_user(target.id, self.now())
            .await
            .map_err(|e| match e {
                UserStoreError::NotFound => {
                    ServiceError::NotFound(NotFound::User(shown_ref.to_owned()))
                }
                other => unexpected_user_store(other),
            })
    }

    /// Validates a request's user fields, collecting every violation: absent fields are no
    /// change (`None`), nulls clear nullable fields (`Some(None)`). Creating reads the same
    /// result with defaults for what is left out.
    fn parse_user_fields(&self, input: &UserInput, rules: FieldRules) -> Parsed {
        let mut v = Violations::new();
        let mut unparsed_admin_fields = Vec::new();
        for field in &input.malformed {
            v.push(FieldViolation::new(field, Violation::WrongType));
            if ADMIN_ONLY.contains(field) {
                unparsed_admin_fields.push(*field);
            }
        }
        let mut c = UserChanges::default();
        let require = rules.require_profile;
        c.username = match &input.username {
            None if !rules.require_username => None,
            raw => required(&mut v, "username", raw.as_ref())
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
            required(&mut v, "email", input.email.as_ref())
                .and_then(|raw| v.check("email", Some(raw), Email::parse(raw)))
                .map(Some)
        } else {
            optional_change(&mut v, "email", input.email.as_ref(), Email::parse)
        };
        c.first_name = name_change(&mut v, "first_name", input.first_name.as_ref(), require);
        c.last_name = name_change(&mut v, "last_name", input.last_name.as_ref(), require);
        c.external_id = optional_change(
            &mut v,
            "external_id",
            input.external_id.as_ref(),
            ExternalId::parse,
        );
        if input.external_id.is_some() && c.external_id.is_none() {
            unparsed_admin_fields.push("external_id");
        }
        c.language = input.language.as_ref().and_then(|raw| {
            required(&mut v, "language", Some(raw))
                .and_then(|raw| v.check("language", Some(raw), Language::parse(raw)))
        });
        c.is_admin = input.is_admin;
        c.enabled = input.enabled;
        c.expired_at = input.expired_at.as_ref().and_then(|raw| {
            let parsed = timestamp(&mut v, "expired_at", Some(raw));
            if parsed.is_none() {
                unparsed_admin_fields.push("expired_at");
            }
            parsed
        });
        c.posix_uid = input.user_id.and_then(|raw| {
            let parsed = posix(&mut v, "user_id", Some(raw));
            if parsed.is_none() {
                unparsed_admin_fields.push("user_id");
            }
            parsed
        });
        c.posix_gid = input.group_id.and_then(|raw| {
            let parsed = posix(&mut v, "group_id", Some(raw));
            if parsed.is_none() {
                unparsed_admin_fields.push("group_id");
            }
            parsed
        });
        c.source_type = input.source_type.as_ref().and_then(|raw| {
            let parsed = v.check("source_type", Some(raw), SourceType::parse(raw));
            if parsed.is_none() {
                unparsed_admin_fields.push("source_type");
            }
            parsed
        });
        let policy = &self.settings.password_policy;
        let password = match (input.password.as_ref(), rules.password) {
            (Some(Some(raw)), PasswordRule::BlankIsAbsent) if raw.is_empty() => None,
            (Some(Some(raw)), _) => v.check("password", None, Password::new(raw, policy)),
            (None | Some(None), PasswordRule::BlankIsAbsent) | (None, PasswordRule::Optional) => {
                None
            }
            (None, PasswordRule::Required) | (Some(None), _) => {
                blank(&mut v, "password");
                None
            }
        };
        Parsed {
            changes: c,
            violations: v,
            unparsed_admin_fields,
            password,
        }
    }
}

/// The sessions a password change ends: all of the user's, except the one making the request
/// when the user changes their own password through a session.
fn revocation_for(principal: &Principal, target: &User) -> SessionRevocation {
    match principal.session() {
        Some(id) if principal.user.id == target.id => SessionRevocation::AllExcept(id),
        _ => SessionRevocation::All,
    }
}

/// Refuses a non-admin's change of any admin-only field. `is_admin` comes first with its own
/// message.
fn check_admin_only_fields(target: &User, parsed: &Parsed) -> Result<(), ServiceError> {
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
fn drop_unchanged(c: &mut UserChanges, u: &User) {
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

fn timestamp(
    v: &mut Violations,
    field: &'static str,
    raw: Option<&Option<String>>,
) -> Option<Option<DateTime<Utc>>> {
    match raw {
        None | Some(None) => Some(None),
        Some(Some(s)) => match parse_timestamp(s) {
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

fn posix(
    v: &mut Violations,
    field: &'static str,
    raw: Option<Option<i64>>,
) -> Option<Option<PosixId>> {
    match raw {
        None | Some(None) => Some(None),
        Some(Some(n)) => v.check(field, None, PosixId::new(n)).map(Some),
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
