//! The entities: users, sessions, API keys and configurations, with their ids.

use crate::secrets::{PasswordHash, TokenDigest};
use crate::values::{
    ApiKeyName, ConfigurationKey, ConfigurationValue, Email, ExternalId, Language, PersonName,
    PosixId, ScopeSet, SourceType, Username,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Reads a numeric id from a path segment: ASCII digits only (no sign, no spaces), greater
/// than zero and within `i64`. Every id-or-name segment of every family uses this one rule.
pub fn parse_numeric_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok().filter(|n| *n > 0)
}

/// True when a path segment is all ASCII digits (v2 then reads it as an id, never a name).
pub fn is_all_digits(raw: &str) -> bool {
    !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            /// The number.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A user's numeric id: assigned, > 0, never reused.
    UserId
);
id_type!(
    /// A session's id.
    SessionId
);
id_type!(
    /// An API key's numeric id.
    ApiKeyId
);
id_type!(
    /// A configuration's id.
    ConfigurationId
);

/// A user of the directory (api.md section 1). `avatar` and `2fa` are not stored: they are
/// always null and false until those features exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Assigned id.
    pub id: UserId,
    /// Assigned UUID v4.
    pub uuid: Uuid,
    /// Login name, case preserved.
    pub username: Username,
    /// E-mail address, unique case-insensitively when present.
    pub email: Option<Email>,
    /// First name.
    pub first_name: Option<PersonName>,
    /// Last name.
    pub last_name: Option<PersonName>,
    /// Identifier in another system, unique when present.
    pub external_id: Option<ExternalId>,
    /// Interface language.
    pub language: Language,
    /// Administrator.
    pub is_admin: bool,
    /// A disabled user cannot authenticate.
    pub enabled: bool,
    /// Past this instant the user cannot authenticate.
    pub expired_at: Option<DateTime<Utc>>,
    /// POSIX uid.
    pub posix_uid: Option<PosixId>,
    /// POSIX gid.
    pub posix_gid: Option<PosixId>,
    /// Where the account comes from.
    pub source_type: SourceType,
    /// Argon2id PHC string; `None` means nobody can log in as this user yet.
    pub password_hash: Option<PasswordHash>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change instant.
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// True when the user may authenticate at `now`: enabled and not expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.enabled && self.expired_at.is_none_or(|at| at > now)
    }

    /// True when the user is an admin who may act at `now`.
    pub fn is_active_admin(&self, now: DateTime<Utc>) -> bool {
        self.is_admin && self.is_active(now)
    }

    /// True when the user is an admin at every future instant: enabled and without expiry.
    /// The last-admin invariant keeps at least one (see [`crate::invariants`]).
    pub fn is_lasting_admin(&self) -> bool {
        self.is_admin && self.enabled && self.expired_at.is_none()
    }
}

/// Everything needed to insert a user; the store assigns the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Assigned UUID v4.
    pub uuid: Uuid,
    /// Login name.
    pub username: Username,
    /// E-mail address.
    pub email: Option<Email>,
    /// First name.
    pub first_name: Option<PersonName>,
    /// Last name.
    pub last_name: Option<PersonName>,
    /// External id.
    pub external_id: Option<ExternalId>,
    /// Language.
    pub language: Language,
    /// Administrator.
    pub is_admin: bool,
    /// Enabled.
    pub enabled: bool,
    /// Expiry.
    pub expired_at: Option<DateTime<Utc>>,
    /// POSIX uid.
    pub posix_uid: Option<PosixId>,
    /// POSIX gid.
    pub posix_gid: Option<PosixId>,
    /// Source type.
    pub source_type: SourceType,
    /// Password hash, if a password was given.
    pub password_hash: Option<PasswordHash>,
    /// Creation instant, also the first `updated_at`.
    pub created_at: DateTime<Utc>,
}

impl NewUser {
    /// The user this becomes once stored under `id`: every field as given, and `updated_at`
    /// equal to `created_at`.
    pub fn into_user(self, id: UserId) -> User {
        User {
            id,
            uuid: self.uuid,
            username: self.username,
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            external_id: self.external_id,
            language: self.language,
            is_admin: self.is_admin,
            enabled: self.enabled,
            expired_at: self.expired_at,
            posix_uid: self.posix_uid,
            posix_gid: self.posix_gid,
            source_type: self.source_type,
            password_hash: self.password_hash,
            created_at: self.created_at,
            updated_at: self.created_at,
        }
    }
}

/// A partial change of a user. `None` leaves a field as it is; for nullable fields
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    /// New login name.
    pub username: Option<Username>,
    /// New e-mail address, or cleared.
    pub email: Option<Option<Email>>,
    /// New first name, or cleared.
    pub first_name: Option<Option<PersonName>>,
    /// New last name, or cleared.
    pub last_name: Option<Option<PersonName>>,
    /// New external id, or cleared.
    pub external_id: Option<Option<ExternalId>>,
    /// New language.
    pub language: Option<Language>,
    /// New admin flag.
    pub is_admin: Option<bool>,
    /// New enabled flag.
    pub enabled: Option<bool>,
    /// New expiry, or cleared.
    pub expired_at: Option<Option<DateTime<Utc>>>,
    /// New POSIX uid, or cleared.
    pub posix_uid: Option<Option<PosixId>>,
    /// New POSIX gid, or cleared.
    pub posix_gid: Option<Option<PosixId>>,
    /// New source type.
    pub source_type: Option<SourceType>,
    /// New password hash.
    pub password_hash: Option<PasswordHash>,
}

impl UserChanges {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// A new user with the fields these changes set and every other at its default (a null
    /// is the same as absent: enabled, not an admin, no expiry, the default language and
    /// source type), the password hash included; `None` without a username.
    pub fn into_new_user(self, uuid: Uuid, created_at: DateTime<Utc>) -> Option<NewUser> {
        Some(NewUser {
            uuid,
            username: self.username?,
            email: self.email.flatten(),
            first_name: self.first_name.flatten(),
            last_name: self.last_name.flatten(),
            external_id: self.external_id.flatten(),
            language: self.language.unwrap_or_default(),
            is_admin: self.is_admin.unwrap_or(false),
            enabled: self.enabled.unwrap_or(true),
            expired_at: self.expired_at.flatten(),
            posix_uid: self.posix_uid.flatten(),
            posix_gid: self.posix_gid.flatten(),
            source_type: self.source_type.unwrap_or_default(),
            password_hash: self.password_hash,
            created_at,
        })
    }

    /// The names (as the v2 family spells them) of the fields these changes set, for the
    /// audit trail; a new password hash is `password`.
    pub fn field_names(&self) -> Vec<&'static str> {
        [
            ("username", self.username.is_some()),
            ("email", self.email.is_some()),
            ("first_name", self.first_name.is_some()),
            ("last_name", self.last_name.is_some()),
            ("external_id", self.external_id.is_some()),
            ("language", self.language.is_some()),
            ("is_admin", self.is_admin.is_some()),
            ("enabled", self.enabled.is_some()),
            ("expired_at", self.expired_at.is_some()),
            ("posix_uid", self.posix_uid.is_some()),
            ("posix_gid", self.posix_gid.is_some()),
            ("source_type", self.source_type.is_some()),
            ("password", self.password_hash.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// Applies the changes to a copy of `user` (used by in-memory stores and by the rules that
    /// look at the result of an update).
    pub fn apply_to(&self, user: &User) -> User {
        let mut u = user.clone();
        if let Some(v) = &self.username {
            u.username = v.clone();
        }
        if let Some(v) = &self.email {
            u.email = v.clone();
        }
        if let Some(v) = &self.first_name {
            u.first_name = v.clone();
        }
        if let Some(v) = &self.last_name {
            u.last_name = v.clone();
        }
        if let Some(v) = &self.external_id {
            u.external_id = v.clone();
        }
        if let Some(v) = &self.language {
            u.language = v.clone();
        }
        if let Some(v) = self.is_admin {
            u.is_admin = v;
        }
        if let Some(v) = self.enabled {
            u.enabled = v;
        }
        if let Some(v) = self.expired_at {
            u.expired_at = v;
        }
        if let Some(v) = self.posix_uid {
            u.posix_uid = v;
        }
        if let Some(v) = self.posix_gid {
            u.posix_gid = v;
        }
        if let Some(v) = self.source_type {
            u.source_type = v;
        }
        if let Some(v) = &self.password_hash {
            u.password_hash = Some(v.clone());
        }
        u
    }
}

/// Which sessions of the user an update ends, in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionRevocation {
    /// None.
    #[default]
    None,
    /// Every session of the user.
    All,
    /// Every session but this one (a password change made through it).
    AllExcept(SessionId),
}

/// An update command for the user store: the changes, the sessions to end, and the instant
/// that is both the new `updated_at` and the "now" of the last-admin invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserUpdate {
    /// The changes.
    pub changes: UserChanges,
    /// Sessions to end atomically with the change.
    pub revoke_sessions: SessionRevocation,
    /// The instant of the change.
    pub now: DateTime<Utc>,
}

/// One write of an import (`rollcall users import`), applied with the others of its file in
/// one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportWrite {
    /// A new user.
    Create(NewUser),
    /// Changes to an existing user.
    Update(UserId, UserUpdate),
}

/// A login session. The token itself is never stored, only its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Id.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the token.
    pub token_digest: TokenDigest,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// End of validity.
    pub expires_at: DateTime<Utc>,
}

/// A session to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the token.
    pub token_digest: TokenDigest,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// End of validity.
    pub expires_at: DateTime<Utc>,
    /// The owner keeps at most this many sessions, this one included: the oldest beyond it
    /// are deleted in the same transaction (at least 1).
    pub keep_at_most: u32,
}

/// A per-user API key. Only the digest of its secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Id.
    pub id: ApiKeyId,
    /// Owner.
    pub user_id: UserId,
    /// Label.
    pub name: ApiKeyName,
    /// Public identifier (16 hex digits), unique.
    pub identifier: String,
    /// SHA-256 of the whole key.
    pub secret_digest: TokenDigest,
    /// Last four characters of the whole key, for masking.
    pub last_four: String,
    /// What the key may do.
    pub scopes: ScopeSet,
    /// End of validity, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last time the key authenticated (updated at most about once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change instant.
    pub updated_at: DateTime<Utc>,
}

impl ApiKey {
    /// The masked form shown after creation: 18 asterisks and the key's last four characters.
    pub fn masked(&self) -> String {
        format!("******************{}", self.last_four)
    }

    /// True when the key may be used at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// An API key to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// Owner.
    pub user_id: UserId,
    /// Label.
    pub name: ApiKeyName,
    /// Public identifier.
    pub identifier: String,
    /// SHA-256 of the whole key.
    pub secret_digest: TokenDigest,
    /// Last four characters of the whole key.
    pub last_four: String,
    /// Scopes.
    pub scopes: ScopeSet,
    /// End of validity.
    pub expires_at: Option<DateTime<Utc>>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Refused ([`ApiKeyStoreError::LimitReached`](crate::ports::ApiKeyStoreError)) when the
    /// owner already holds this many keys.
    pub owner_may_hold: u32,
}

/// A partial change of an API key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeyChanges {
    /// New label.
    pub name: Option<ApiKeyName>,
    /// New scopes.
    pub scopes: Option<ScopeSet>,
    /// New expiry, or cleared.
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// A per-user setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// Id.
    pub id: ConfigurationId,
    /// Owner.
    pub user_id: UserId,
    /// Key, unique per user.
    pub key: ConfigurationKey,
    /// Value.
    pub value: ConfigurationValue,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change instant.
    pub updated_at: DateTime<Utc>,
}

/// How a configuration is addressed under `/users/me/configurations/{ref}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigurationRef {
    /// By id (the path segment is all digits).
    Id(ConfigurationId),
    /// By key.
    Key(ConfigurationKey),
}

impl ConfigurationRef {
    /// All digits → id, else a key; `None` when neither (it can match nothing).
    pub fn parse(raw: &str) -> Option<Self> {
        if is_all_digits(raw) {
            parse_numeric_id(raw).map(|id| Self::Id(ConfigurationId(id)))
        } else {
            ConfigurationKey::parse(raw).ok().map(Self::Key)
        }
    }
}

/// A partial change of a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigurationChanges {
    /// New key (uniqueness still holds).
    pub key: Option<ConfigurationKey>,
    /// New value.
    pub value: Option<ConfigurationValue>,
}

/// An account of the operating system's user database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsUser {
    /// Login name.
    pub name: String,
    /// uid.
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// GECOS field.
    pub info: String,
}

/// A group of the operating system's group database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsGroup {
    /// Group name.
    pub name: String,
    /// gid.
    pub gid: u32,
    /// Member login names.
    pub users: Vec<String>,
}

/// An enabled admin `alice` with id 1, created and updated at `at`, for unit tests.
#[cfg(test)]
pub(crate) fn test_admin(at: DateTime<Utc>) -> User {
    #![allow(clippy::unwrap_used)]
    User {
        id: UserId(1),
        uuid: Uuid::nil(),
        username: Username::parse("alice").unwrap(),
        email: None,
        first_name: None,
        last_name: None,
        external_id: None,
        language: Language::default(),
        is_admin: true,
        enabled: true,
        expired_at: None,
        posix_uid: None,
        posix_gid: None,
        source_type: SourceType::WebApp,
        password_hash: None,
        created_at: at,
        updated_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn user() -> User {
        test_admin(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap())
    }

    #[test]
    fn activity_depends_on_enabled_and_expiry() {
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
        let mut u = user();
        assert!(u.is_active_admin(now));
        u.expired_at = Some(now);
        assert!(!u.is_active(now), "expiry at now means expired");
        u.expired_at = Some(now + chrono::Duration::seconds(1));
        assert!(u.is_active(now));
        u.enabled = false;
        assert!(!u.is_active(now));
    }

    #[test]
    fn changes_apply_and_clear() {
        let u = user();
        let changes = UserChanges {
            email: Some(Some(Email::parse("a@b.co").unwrap())),
            is_admin: Some(false),
            ..UserChanges::default()
        };
        let v = changes.apply_to(&u);
        assert_eq!(v.email.as_ref().map(Email::as_str), Some("a@b.co"));
        assert!(!v.is_admin);
        let cleared = UserChanges {
            email: Some(None),
            ..UserChanges::default()
        }
        .apply_to(&v);
        assert_eq!(cleared.email, None);
        assert!(UserChanges::default().is_empty());
    }

    #[test]
    fn numeric_ids_are_plain_positive_digits() {
        assert_eq!(parse_numeric_id("42"), Some(42));
        for bad in ["", "0", "+5", "-5", " 5", "5a", "99999999999999999999"] {
            assert_eq!(parse_numeric_id(bad), None, "{bad:?}");
        }
        assert!(is_all_digits("007") && !is_all_digits("+7") && !is_all_digits(""));
    }

    #[test]
    fn configuration_refs_and_masking() {
        assert_eq!(
            ConfigurationRef::parse("12"),
            Some(ConfigurationRef::Id(ConfigurationId(12)))
        );
        assert!(matches!(
            ConfigurationRef::parse("global.locale"),
            Some(ConfigurationRef::Key(_))
        ));
        assert_eq!(ConfigurationRef::parse("_x"), None);
        let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let key = ApiKey {
            id: ApiKeyId(1),
            user_id: UserId(1),
            name: ApiKeyName::default(),
            identifier: "00".into(),
            secret_digest: TokenDigest::of("x"),
            last_four: "Iwgo".into(),
            scopes: ScopeSet::new(),
            expires_at: Some(t),
            last_used_at: None,
            created_at: t,
            updated_at: t,
        };
        assert_eq!(key.masked(), "******************Iwgo");
        assert!(!key.is_valid_at(t));
    }
}
