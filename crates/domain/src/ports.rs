//! Ports: the traits through which the domain reaches storage, hashing, time, randomness and
//! the operating system's account database. Adapters implement them; the domain never knows
//! which adapter it talks to.
//!
//! Every port is `Send + Sync + 'static` and object-safe (`Arc<dyn Port>`); the async ones use
//! `async_trait`, so the crate pulls in no runtime.

use crate::audit::{AuditEvent, AuditQuery, AuditRecord};
use crate::entities::{
    ApiKey, ApiKeyChanges, ApiKeyId, Configuration, ConfigurationChanges, ConfigurationRef,
    ImportWrite, NewApiKey, NewSession, NewUser, OsGroup, OsUser, Session, SessionId, User, UserId,
    UserUpdate,
};
use crate::listing::{Listed, PageRequest, UserQuery};
use crate::secrets::{PasswordHash, TokenDigest};
use crate::values::{ClientAddress, LoginKey};
use crate::values::{ConfigurationKey, ConfigurationValue};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A failure of the storage backend itself, shared by every storage port's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The backend cannot be reached (connection refused or lost, pool timeout). The HTTP
    /// layer answers 503; the next request tries again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else the backend reported (a bug or corrupt data); answered as 500.
    #[error("storage failure: {0}")]
    Internal(String),
}

/// The unique user fields, named by a `Taken` error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueUserField {
    /// Case-insensitive username.
    Username,
    /// Case-insensitive e-mail address.
    Email,
    /// External id.
    ExternalId,
}

impl UniqueUserField {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::ExternalId => "external_id",
        }
    }
}

/// Errors of [`UserStore`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserStoreError {
    /// No user has that id.
    #[error("user not found")]
    NotFound,
    /// Another user already has that value.
    #[error("{} has already been taken", .0.as_str())]
    Taken(UniqueUserField),
    /// The change would leave no enabled, unexpired admin.
    #[error("the change would leave no enabled admin")]
    LastAdmin,
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// How to find one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserLookup {
    /// By id.
    Id(UserId),
    /// By UUID.
    Uuid(Uuid),
    /// By username, case-insensitively.
    Username(String),
    /// By e-mail address, case-insensitively.
    Email(String),
    /// By external id, exactly.
    ExternalId(String),
}

/// Storage of users.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Inserts a user and assigns its id.
    ///
    /// # Errors
    /// [`UserStoreError::Taken`] when the username or e-mail (case-insensitively) or the external
    /// id is already used; [`UserStoreError::Backend`].
    async fn create_user(&self, user: NewUser) -> Result<User, UserStoreError> {
        self.create_user_audited(user, None).await
    }

    /// [`Self::create_user`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn create_user_audited(
        &self,
        user: NewUser,
        audit: Option<AuditEvent>,
    ) -> Result<User, UserStoreError>;

    /// Inserts every user, in order, in one transaction: all of them or, on any error, none.
    /// Returns how many were inserted. For bulk loads (seeding, imports); the rules of
    /// [`UserStore::create_user`] hold for each, uniqueness among the new users included.
    ///
    /// # Errors
    /// As [`UserStore::create_user`], for the first user that cannot be inserted.
    async fn create_users(&self, users: Vec<NewUser>) -> Result<u64, UserStoreError>;

    /// Finds one user; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// [`UserStoreError::Backend`].
    async fn find_user(&self, lookup: &UserLookup) -> Result<Option<User>, UserStoreError>;

    /// Lists the users matching every filter, sorted (ties by id), one page, with the total
    /// number of matches. Never loads more rows than the page.
    ///
    /// # Errors
    /// [`UserStoreError::Backend`].
    async fn list_users(&self, query: &UserQuery) -> Result<Listed<User>, UserStoreError>;

    /// The users with an id above `after` (every user when `None`), in id order, at most
    /// `limit` of them, without a count: one step of a walk over the whole directory
    /// (keyset paging on the primary key, so each step costs the same however far it is).
    ///
    /// # Errors
    /// [`UserStoreError::Backend`].
    async fn list_users_after(
        &self,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, UserStoreError>;

    /// Applies a change and ends the requested sessions, in one transaction; sets `updated_at`
    /// to `update.now`. When [`UpdatePlan::needs_another_admin`](crate::invariants::UpdatePlan)
    /// holds for the locked row and no other lasting admin (see [`User::is_lasting_admin`])
    /// exists, nothing is written. Two concurrent updates that each remove one of the last two
    /// lasting admins must not both succeed.
    ///
    /// # Errors
    /// [`UserStoreError::NotFound`], [`UserStoreError::Taken`], [`UserStoreError::LastAdmin`],
    /// [`UserStoreError::Backend`].
    async fn update_user(&self, id: UserId, update: UserUpdate) -> Result<User, UserStoreError> {
        self.update_user_audited(id, update, None).await
    }

    /// [`Self::update_user`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn update_user_audited(
        &self,
        id: UserId,
        update: UserUpdate,
        audit: Option<AuditEvent>,
    ) -> Result<User, UserStoreError>;

    /// Deletes a user with their sessions, API keys and configurations, in one transaction.
    /// Refused when [`crate::invariants::deletion_needs_another_admin`] holds and no other
    /// lasting admin exists (same concurrency rule as [`UserStore::update_user`]).
    ///
    /// # Errors
    /// [`UserStoreError::NotFound`], [`UserStoreError::LastAdmin`], [`UserStoreError::Backend`].
    async fn delete_user(&self, id: UserId, now: DateTime<Utc>) -> Result<(), UserStoreError> {
        self.delete_user_audited(id, now, None).await
    }

    /// [`Self::delete_user`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn delete_user_audited(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<(), UserStoreError>;

    /// Applies every write of an import, in order, each with its event, in one transaction:
    /// all of them or, on any error, none. Creates and updates follow the rules of
    /// [`UserStore::create_user`] and [`UserStore::update_user`] (uniqueness, ended sessions),
    /// and the last-admin rule holds for the import as a whole: when a lasting admin existed
    /// before, or any update takes an admin away, and none would be left after, nothing is
    /// written.
    ///
    /// # Errors
    /// [`UserStoreError::Taken`], [`UserStoreError::NotFound`] (an updated user is gone),
    /// [`UserStoreError::LastAdmin`], [`UserStoreError::Backend`].
    async fn apply_import(
        &self,
        writes: Vec<(ImportWrite, AuditEvent)>,
    ) -> Result<(), UserStoreError>;

    /// How many users exist.
    ///
    /// # Errors
    /// [`UserStoreError::Backend`].
    async fn count_users(&self) -> Result<u64, UserStoreError>;

    /// Replaces the user's password hash with `new` only if it still is `expected`
    /// (compare-and-set), leaving every other column, `updated_at` included, untouched: the
    /// upgrade of a weaker hash after a login must never overwrite a password changed in
    /// between. `Ok(false)` when the stored hash differs or the user is gone.
    ///
    /// # Errors
    /// [`UserStoreError::Backend`].
    async fn replace_password_hash(
        &self,
        id: UserId,
        expected: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<bool, UserStoreError>;
}

/// Errors of [`SessionStore`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionStoreError {
    /// The owner does not exist (any more).
    #[error("user not found")]
    UserNotFound,
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Storage of sessions.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Inserts a session and, in the same transaction, deletes the owner's oldest sessions
    /// (lowest ids) beyond [`NewSession::keep_at_most`], this one included; concurrent
    /// creates never leave more.
    ///
    /// # Errors
    /// [`SessionStoreError::UserNotFound`], [`SessionStoreError::Backend`].
    async fn create_session(&self, session: NewSession) -> Result<Session, SessionStoreError> {
        self.create_session_audited(session, None).await
    }

    /// [`Self::create_session`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn create_session_audited(
        &self,
        session: NewSession,
        audit: Option<AuditEvent>,
    ) -> Result<Session, SessionStoreError>;

    /// Finds a session by the digest of its token, whatever its expiry (the caller checks it).
    ///
    /// # Errors
    /// [`SessionStoreError::Backend`].
    async fn find_session(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Session>, SessionStoreError>;

    /// [`SessionStore::find_session`] together with the session's owner, in one read: the
    /// authentication path of every session request.
    ///
    /// # Errors
    /// [`SessionStoreError::Backend`].
    async fn find_session_and_owner(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(Session, User)>, SessionStoreError>;

    /// Deletes one session; `Ok(false)` when it did not exist.
    ///
    /// # Errors
    /// [`SessionStoreError::Backend`].
    async fn delete_session(&self, id: SessionId) -> Result<bool, SessionStoreError> {
        self.delete_session_audited(id, None).await
    }

    /// [`Self::delete_session`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn delete_session_audited(
        &self,
        id: SessionId,
        audit: Option<AuditEvent>,
    ) -> Result<bool, SessionStoreError>;

    /// Deletes every session of a user, except `keep` if given; returns how many went.
    ///
    /// # Errors
    /// [`SessionStoreError::Backend`].
    async fn delete_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
    ) -> Result<u64, SessionStoreError>;

    /// Deletes every session whose `expires_at` is at or before `now`; returns how many went.
    ///
    /// # Errors
    /// [`SessionStoreError::Backend`].
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, SessionStoreError>;
}

/// Errors of [`ApiKeyStore`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyStoreError {
    /// No key with that id belongs to that user.
    #[error("API key not found")]
    NotFound,
    /// The owner does not exist (any more).
    #[error("user not found")]
    UserNotFound,
    /// The public identifier is already used (a random collision; the caller retries).
    #[error("API key identifier already taken")]
    IdentifierTaken,
    /// The owner already holds [`NewApiKey::owner_may_hold`] keys.
    #[error("the user holds the most API keys allowed")]
    LimitReached,
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Storage of API keys. Every method but the identifier lookup is scoped to one owner: a key
/// of another user is "not found".
#[async_trait]
pub trait ApiKeyStore: Send + Sync + 'static {
    /// Inserts a key, unless the owner already holds [`NewApiKey::owner_may_hold`] keys:
    /// the count and the insert are one transaction, so concurrent creates never overshoot.
    ///
    /// # Errors
    /// [`ApiKeyStoreError::UserNotFound`], [`ApiKeyStoreError::IdentifierTaken`],
    /// [`ApiKeyStoreError::LimitReached`], [`ApiKeyStoreError::Backend`].
    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKey, ApiKeyStoreError> {
        self.create_api_key_audited(key, None).await
    }

    /// [`Self::create_api_key`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn create_api_key_audited(
        &self,
        key: NewApiKey,
        audit: Option<AuditEvent>,
    ) -> Result<ApiKey, ApiKeyStoreError>;

    /// Finds a key by its public identifier, whoever owns it.
    ///
    /// # Errors
    /// [`ApiKeyStoreError::Backend`].
    async fn find_api_key(&self, identifier: &str) -> Result<Option<ApiKey>, ApiKeyStoreError>;

    /// [`ApiKeyStore::find_api_key`] together with the key's owner, in one read: the
    /// authentication path of every API-key request.
    ///
    /// # Errors
    /// [`ApiKeyStoreError::Backend`].
    async fn find_api_key_and_owner(
        &self,
        identifier: &str,
    ) -> Result<Option<(ApiKey, User)>, ApiKeyStoreError>;

    /// Lists a user's keys in id order, one page, with the total.
    ///
    /// # Errors
    /// [`ApiKeyStoreError::Backend`].
    async fn list_api_keys(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Listed<ApiKey>, ApiKeyStoreError>;

    /// One key of a user.
    ///
    /// # Errors
    /// [`ApiKeyStoreError::NotFound`], [`ApiKeyStoreError::Backend`].
    async fn get_api_key(&self, user: UserId, id: ApiKeyId) -> Result<ApiKey, ApiKeyStoreError>;

    /// Changes a key of a user; sets `updated_at` to `now`.
    ///
    /// # Errors
    /// [`ApiKeyStoreError::NotFound`], [`ApiKeyStoreError::Backend`].
    async fn update_api_key(
        &self,
        user: UserId,
        id: ApiKeyId,
        changes: ApiKeyChanges,
        now: DateTime<Utc>,
    ) -> Result<ApiKey, ApiKeyStoreError> {
        self.update_api_key_audited(user, id, changes, now, None)
            .await
    }

    /// [`Self::update_api_key`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn update_api_key_audited(
        &self,
        user: UserId,
        id: ApiKeyId,
        changes: ApiKeyChanges,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<ApiKey, ApiKeyStoreError>;

    /// Deletes a key of a user.
    ///
    /// # Errors
    /// [`ApiKeyStoreError::NotFound`], [`ApiKeyStoreError::Backend`].
    async fn delete_api_key(&self, user: UserId, id: ApiKeyId) -> Result<(), ApiKeyStoreError> {
        self.delete_api_key_audited(user, id, None).await
    }

    /// [`Self::delete_api_key`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn delete_api_key_audited(
        &self,
        user: UserId,
        id: ApiKeyId,
        audit: Option<AuditEvent>,
    ) -> Result<(), ApiKeyStoreError>;

    /// Records a use of the key at `at` (a missing key is not an error).
    ///
    /// # Errors
    /// [`ApiKeyStoreError::Backend`].
    async fn touch_api_key(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<(), ApiKeyStoreError>;
}

/// Errors of [`ConfigurationStore`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigurationStoreError {
    /// No configuration with that id or key belongs to that user.
    #[error("configuration not found")]
    NotFound,
    /// The user already has a configuration with that key.
    #[error("key has already been taken")]
    KeyTaken,
    /// The user already holds as many configurations as the create allowed.
    #[error("the user holds the most configurations allowed")]
    LimitReached,
    /// The owner does not exist (any more).
    #[error("user not found")]
    UserNotFound,
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Storage of per-user configurations. Every method is scoped to one owner.
#[async_trait]
pub trait ConfigurationStore: Send + Sync + 'static {
    /// Lists a user's configurations in id order, one page, with the total.
    ///
    /// # Errors
    /// [`ConfigurationStoreError::Backend`].
    async fn list_configurations(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Listed<Configuration>, ConfigurationStoreError>;

    /// Inserts a configuration, unless the user already holds `owner_may_hold` of them (the
    /// count and the insert are one transaction).
    ///
    /// # Errors
    /// [`ConfigurationStoreError::KeyTaken`], [`ConfigurationStoreError::UserNotFound`],
    /// [`ConfigurationStoreError::LimitReached`], [`ConfigurationStoreError::Backend`].
    async fn create_configuration(
        &self,
        user: UserId,
        key: ConfigurationKey,
        value: ConfigurationValue,
        now: DateTime<Utc>,
        owner_may_hold: u32,
    ) -> Result<Configuration, ConfigurationStoreError> {
        self.create_configuration_audited(user, key, value, now, owner_may_hold, None)
            .await
    }

    /// [`Self::create_configuration`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn create_configuration_audited(
        &self,
        user: UserId,
        key: ConfigurationKey,
        value: ConfigurationValue,
        now: DateTime<Utc>,
        owner_may_hold: u32,
        audit: Option<AuditEvent>,
    ) -> Result<Configuration, ConfigurationStoreError>;

    /// One configuration of a user, by id or key.
    ///
    /// # Errors
    /// [`ConfigurationStoreError::NotFound`], [`ConfigurationStoreError::Backend`].
    async fn get_configuration(
        &self,
        user: UserId,
        by: &ConfigurationRef,
    ) -> Result<Configuration, ConfigurationStoreError>;

    /// Changes a configuration (it may be renamed); sets `updated_at` to `now`.
    ///
    /// # Errors
    /// [`ConfigurationStoreError::NotFound`], [`ConfigurationStoreError::KeyTaken`],
    /// [`ConfigurationStoreError::Backend`].
    async fn update_configuration(
        &self,
        user: UserId,
        by: &ConfigurationRef,
        changes: ConfigurationChanges,
        now: DateTime<Utc>,
    ) -> Result<Configuration, ConfigurationStoreError> {
        self.update_configuration_audited(user, by, changes, now, None)
            .await
    }

    /// [`Self::update_configuration`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn update_configuration_audited(
        &self,
        user: UserId,
        by: &ConfigurationRef,
        changes: ConfigurationChanges,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<Configuration, ConfigurationStoreError>;

    /// Deletes a configuration.
    ///
    /// # Errors
    /// [`ConfigurationStoreError::NotFound`], [`ConfigurationStoreError::Backend`].
    async fn delete_configuration(
        &self,
        user: UserId,
        by: &ConfigurationRef,
    ) -> Result<(), ConfigurationStoreError> {
        self.delete_configuration_audited(user, by, None).await
    }

    /// [`Self::delete_configuration`], writing `audit` (when given) in the same transaction: the change and its
    /// event are stored together or not at all. Use cases always pass their event; `None` is
    /// for seeding and tests.
    async fn delete_configuration_audited(
        &self,
        user: UserId,
        by: &ConfigurationRef,
        audit: Option<AuditEvent>,
    ) -> Result<(), ConfigurationStoreError>;
}

/// Failed password checks in a window, for one key (a login from an address, or an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureWindow {
    /// How many.
    pub count: u64,
    /// The oldest of them, when there is one.
    pub oldest: Option<DateTime<Utc>>,
}

/// Storage of failed password checks, shared by every instance (so that a guesser cannot
/// spread attempts over them). Logins are stored only as [`LoginKey`]s (a digest), never as
/// typed: a password typed into the login field must not be kept.
#[async_trait]
pub trait LoginFailureStore: Send + Sync + 'static {
    /// The failures after `since`: of `login` from `address`, and from `address` for any
    /// login.
    ///
    /// # Errors
    /// [`BackendError`].
    async fn recent_failures(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
        since: DateTime<Utc>,
    ) -> Result<(FailureWindow, FailureWindow), BackendError>;

    /// Records one failure of `login` from `address` at `at`.
    ///
    /// # Errors
    /// [`BackendError`].
    async fn record_failure(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
        at: DateTime<Utc>,
    ) -> Result<(), BackendError>;

    /// Forgets the failures of `login` from `address` (after a success); the address's other
    /// failures stay.
    ///
    /// # Errors
    /// [`BackendError`].
    async fn clear_failures(
        &self,
        login: &LoginKey,
        address: &ClientAddress,
    ) -> Result<(), BackendError>;

    /// Deletes every failure at or before `before`; returns how many went.
    ///
    /// # Errors
    /// [`BackendError`].
    async fn purge_failures(&self, before: DateTime<Utc>) -> Result<u64, BackendError>;
}

/// What the login throttle decided, for logs and metrics (the domain itself writes neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleScope {
    /// One login from one address.
    LoginFromAddress,
    /// One address, whatever the login.
    Address,
}

/// Told about authentication as it happens: the login throttle's decisions, password checks,
/// the Basic credential cache, sessions issued and API keys used. The server logs and counts
/// them; every method but the throttle's two does nothing unless implemented.
pub trait AuthEvents: Send + Sync + 'static {
    /// A failure just reached the threshold: `address` (for `login`, when the scope says so)
    /// is throttled from now on. Called once per lock-out.
    fn locked_out(&self, scope: ThrottleScope, login: &LoginKey, address: &ClientAddress);
    /// An attempt was refused without checking its password.
    fn throttled(&self, scope: ThrottleScope);
    /// A password was checked by the hasher (not a remembered one): `matched` or not.
    fn password_checked(&self, _matched: bool) {}
    /// A Basic verification was looked up in the credential cache: `hit` or miss.
    fn credential_cache(&self, _hit: bool) {}
    /// A session was issued.
    fn session_issued(&self) {}
    /// An API key authenticated a request.
    fn api_key_used(&self) {}
}

/// Ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuthEvents;

impl AuthEvents for NoAuthEvents {
    fn locked_out(&self, _: ThrottleScope, _: &LoginKey, _: &ClientAddress) {}
    fn throttled(&self, _: ThrottleScope) {}
}

/// Why the hasher gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// It failed (bad parameters, a stored hash that is not a PHC string, or the worker pool
    /// went away): a bug or corrupt data.
    #[error("password hashing failed: {0}")]
    Failed(String),
    /// It is too busy: its queue is full, or the check waited past its deadline and was
    /// dropped unrun. The caller answers "try again in `retry_after_secs` seconds".
    #[error("password hashing is saturated")]
    Busy {
        /// When a retry is worth it, in whole seconds (at least 1).
        retry_after_secs: u64,
    },
    /// The client that asked for the check has gone, so it was not run.
    #[error("the client went away before its password check ran")]
    Abandoned,
}

/// Outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password does not match.
    Mismatch,
    /// The password matches; `needs_rehash` when the stored hash is weaker than configured.
    Match {
        /// Re-hash with the configured parameters.
        needs_rehash: bool,
    },
}

/// Password hashing. Implementations must not block an async executor: CPU-heavy hashers run
/// their work elsewhere and bound how many run at once.
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    /// Hashes a password into a PHC string with the configured parameters.
    ///
    /// # Errors
    /// [`HashError`].
    async fn hash(&self, password: &str) -> Result<PasswordHash, HashError>;

    /// Checks a password against a stored hash.
    ///
    /// # Errors
    /// [`HashError`] when the stored hash cannot be read.
    async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<Verification, HashError>;

    /// A valid hash of a random password, verified against for unknown users so that they
    /// cost the same time as a wrong password.
    fn dummy_hash(&self) -> &PasswordHash;
}

/// The time.
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// Cryptographically secure random bytes.
pub trait RandomSource: Send + Sync + 'static {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);
}

/// Remembers successful password verifications for a bounded time so that repeated Basic
/// requests cost no hashing. Implementations key entries by a keyed hash (with a key of their
/// own) over the user id, the stored PHC string and the presented password, so a password
/// change invalidates the entry everywhere without messaging. Failures are never remembered.
pub trait CredentialCache: Send + Sync + 'static {
    /// True when this exact combination was verified recently.
    fn contains(&self, user: UserId, stored: &PasswordHash, presented: &str) -> bool;
    /// Remembers a successful verification.
    fn remember(&self, user: UserId, stored: &PasswordHash, presented: &str);
}

/// The OS account database could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OS account database unavailable: {0}")]
pub struct OsAccountError(pub String);

/// The operating system's users and groups.
#[async_trait]
pub trait OsAccountSource: Send + Sync + 'static {
    /// Every OS user.
    ///
    /// # Errors
    /// [`OsAccountError`] when the database cannot be read.
    async fn os_users(&self) -> Result<Vec<OsUser>, OsAccountError>;

    /// Every OS group.
    ///
    /// # Errors
    /// [`OsAccountError`] when the database cannot be read.
    async fn os_groups(&self) -> Result<Vec<OsGroup>, OsAccountError>;
}

/// The audit trail's own operations. Events of changes are written by the change's store
/// method (its `audit` argument), in the change's transaction; this port writes the events
/// that change nothing (failed sign-ins), lists them for admins and purges old ones.
#[async_trait]
pub trait AuditLog: Send + Sync + 'static {
    /// Appends one event on its own.
    ///
    /// # Errors
    /// [`BackendError`].
    async fn append_audit_event(&self, event: AuditEvent) -> Result<(), BackendError>;

    /// The events [`AuditQuery::matches`], newest (highest id) first, one page, with the total.
    ///
    /// # Errors
    /// [`BackendError`].
    async fn list_audit_events(
        &self,
        query: &AuditQuery,
    ) -> Result<Listed<AuditRecord>, BackendError>;

    /// Deletes the events that happened before `before`; returns how many went.
    ///
    /// # Errors
    /// [`BackendError`].
    async fn purge_audit_events(&self, before: DateTime<Utc>) -> Result<u64, BackendError>;
}
