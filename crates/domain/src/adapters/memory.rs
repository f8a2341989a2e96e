//! In-memory storage adapters (feature `testing`).
//!
//! [`MemoryStore`] implements the four storage ports ([`UserStore`], [`SessionStore`],
//! [`ApiKeyStore`], [`ConfigurationStore`]) over one mutex-guarded state, so every call is one
//! atomic "transaction": it validates everything first and writes only when nothing failed.
//! It behaves as the SQL adapters do and passes the same port contract kit
//! (`crate::contract`), whose module docs spell out the semantics shared by every backend
//! (three-valued filter logic, byte-order text comparison, `NULLS FIRST` ascending and
//! `NULLS LAST` descending, ids never reused, …).
//!
//! When several unique user fields clash at once, the error names the first of username,
//! e-mail, external id; an update that would both clash and remove the last admin is refused
//! with `LastAdmin`. A filter value of the wrong type for its field (which the listing parsers
//! never build) is reported as an internal backend error.

use crate::audit::{AuditEvent, AuditQuery, AuditRecord};
use crate::entities::{
    ApiKey, ApiKeyChanges, ApiKeyId, Configuration, ConfigurationChanges, ConfigurationId,
    ConfigurationRef, ImportWrite, NewApiKey, NewSession, NewUser, Session, SessionId,
    SessionRevocation, User, UserId, UserUpdate,
};
use crate::invariants::deletion_needs_another_admin;
use crate::listing::{
    Condition, Direction, FilterValue, Listed, PageRequest, UserField, UserQuery, like_matches,
};
use crate::ports::AuditLog;
use crate::ports::{
    ApiKeyStore, ApiKeyStoreError, BackendError, ConfigurationStore, ConfigurationStoreError,
    SessionStore, SessionStoreError, UniqueUserField, UserLookup, UserStore, UserStoreError,
};
use crate::secrets::{PasswordHash, TokenDigest};
use crate::values::{ConfigurationKey, ConfigurationValue};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

/// Every storage port in memory. Clones share one state, like handles to one database.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// Failed password checks (the `LoginFailureStore`, in `memory_login_failures`).
    pub(super) login_failures: Arc<Mutex<Vec<super::memory_login_failures::Failure>>>,
}

/// The "tables". Ids come from counters that only grow, so they are never reused.
#[derive(Debug, Default, Clone)]
struct State {
    users: BTreeMap<UserId, User>,
    sessions: BTreeMap<SessionId, Session>,
    api_keys: BTreeMap<ApiKeyId, ApiKey>,
    configurations: BTreeMap<ConfigurationId, Configuration>,
    last_user_id: i64,
    last_session_id: i64,
    last_api_key_id: i64,
    last_configuration_id: i64,
    audit: Vec<AuditRecord>,
    last_audit_id: i64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the state. A poisoned lock (a panic while holding it) is reported as an internal
    /// backend failure rather than trusting possibly half-written state.
    fn lock(&self) -> Result<MutexGuard<'_, State>, BackendError> {
        self.state
            .lock()
            .map_err(|_| BackendError::Internal("in-memory store poisoned by a panic".into()))
    }
}

/// Takes the next value of an id counter.
fn next_id(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}

/// The items of one page of `rows` (already in order) and the total.
fn page_of<T: Clone>(rows: Vec<T>, page: PageRequest) -> Listed<T> {
    let total = rows.len() as u64;
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let limit = usize::try_from(page.limit()).unwrap_or(usize::MAX);
    Listed {
        items: rows.into_iter().skip(offset).take(limit).collect(),
        total,
    }
}

impl State {
    /// Appends an event, as the change's transaction would.
    fn record(&mut self, event: Option<AuditEvent>) {
        if let Some(event) = event {
            let id = next_id(&mut self.last_audit_id);
            self.audit.push(AuditRecord { id, event });
        }
    }

    /// Inserts a new user unless one of its unique fields is taken.
    fn insert_user(&mut self, new: NewUser) -> Result<User, UserStoreError> {
        let mut user = new.into_user(UserId(0));
        if let Some(field) = self.clash(&user, None) {
            return Err(UserStoreError::Taken(field));
        }
        user.id = UserId(next_id(&mut self.last_user_id));
        self.users.insert(user.id, user.clone());
        Ok(user)
    }

    /// The first unique field of `candidate` that another user (not `except`) already holds.
    fn clash(&self, candidate: &User, except: Option<UserId>) -> Option<UniqueUserField> {
        let others = || self.users.values().filter(move |u| Some(u.id) != except);
        let name = candidate.username.folded();
        if others().any(|u| u.username.folded() == name) {
            return Some(UniqueUserField::Username);
        }
        if let Some(email) = &candidate.email {
            let email = email.folded();
            if others().any(|u| u.email.as_ref().is_some_and(|e| e.folded() == email)) {
                return Some(UniqueUserField::Email);
            }
        }
        if let Some(ext) = &candidate.external_id
            && others().any(|u| u.external_id.as_ref() == Some(ext))
        {
            return Some(UniqueUserField::ExternalId);
        }
        None
    }

    /// True when an active admin other than `id` exists at `now`.
    fn has_other_lasting_admin(&self, id: UserId) -> bool {
        self.users
            .values()
            .any(|u| u.id != id && u.is_lasting_admin())
    }

    /// Ends the sessions of `user` that `revocation` names.
    fn end_sessions(&mut self, user: UserId, revocation: SessionRevocation) {
        match revocation {
            SessionRevocation::None => {}
            SessionRevocation::All => {
                self.delete_sessions_where(user, |_| true);
            }
            SessionRevocation::AllExcept(keep) => {
                self.delete_sessions_where(user, |s| s.id != keep);
            }
        }
    }

    /// Applies an import's writes in order (the caller restores the state on an error).
    fn import(&mut self, writes: Vec<(ImportWrite, AuditEvent)>) -> Result<(), UserStoreError> {
        let mut needs_a_lasting_admin = self.users.values().any(User::is_lasting_admin);
        for (write, event) in writes {
            match write {
                ImportWrite::Create(new) => {
                    let user = self.insert_user(new)?;
                    self.record(Some(event.on_user(user.id)));
                }
                ImportWrite::Update(id, update) => {
                    let before = self.users.get(&id).ok_or(UserStoreError::NotFound)?;
                    let plan = update.plan(before);
                    if let Some(field) = self.clash(&plan.after, Some(id)) {
                        return Err(UserStoreError::Taken(field));
                    }
                    needs_a_lasting_admin |= plan.needs_another_admin;
                    self.users.insert(id, plan.after);
                    self.end_sessions(id, plan.end_sessions);
                    self.record(Some(event.on_user(id)));
                }
            }
        }
        if needs_a_lasting_admin && !self.users.values().any(User::is_lasting_admin) {
            return Err(UserStoreError::LastAdmin);
        }
        Ok(())
    }

    /// Deletes the sessions of `user` for which `doomed` holds; returns how many went.
    fn delete_sessions_where(&mut self, user: UserId, doomed: impl Fn(&Session) -> bool) -> u64 {
        let before = self.sessions.len();
        self.sessions
            .retain(|_, s| !(s.user_id == user && doomed(s)));
        (before - self.sessions.len()) as u64
    }

    /// A user's configuration by id or key.
    fn configuration_id(&self, user: UserId, by: &ConfigurationRef) -> Option<ConfigurationId> {
        self.configurations
            .values()
            .find(|c| {
                c.user_id == user
                    && match by {
                        ConfigurationRef::Id(id) => c.id == *id,
                        ConfigurationRef::Key(key) => c.key == *key,
                    }
            })
            .map(|c| c.id)
    }
}

/// A field's value as the SQL backends see it: `None` is SQL NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cell {
    Integer(i64),
    Text(String),
    Boolean(bool),
    Timestamp(DateTime<Utc>),
}

impl Cell {
    fn of(value: &FilterValue) -> Self {
        match value {
            FilterValue::Integer(v) => Self::Integer(*v),
            FilterValue::Text(v) => Self::Text(v.clone()),
            FilterValue::Boolean(v) => Self::Boolean(*v),
            FilterValue::Timestamp(v) => Self::Timestamp(*v),
        }
    }

    /// Compares two values of one type; `None` when the types differ.
    fn compare(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Integer(a), Self::Integer(b)) => Some(a.cmp(b)),
            // Byte order, as `COLLATE "C"` / SQLite's BINARY collation.
            (Self::Text(a), Self::Text(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (Self::Boolean(a), Self::Boolean(b)) => Some(a.cmp(b)),
            (Self::Timestamp(a), Self::Timestamp(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// The value of `field` in `user`, `None` for NULL.
fn cell(user: &User, field: UserField) -> Option<Cell> {
    match field {
        UserField::Id => Some(Cell::Integer(user.id.get())),
        UserField::Uuid => Some(Cell::Text(user.uuid.hyphenated().to_string())),
        UserField::Username => Some(Cell::Text(user.username.as_str().to_owned())),
        UserField::Email => user
            .email
            .as_ref()
            .map(|e| Cell::Text(e.as_str().to_owned())),
        UserField::ExternalId => user
            .external_id
            .as_ref()
            .map(|e| Cell::Text(e.as_str().to_owned())),
        UserField::IsAdmin => Some(Cell::Boolean(user.is_admin)),
        UserField::Enabled => Some(Cell::Boolean(user.enabled)),
        UserField::SourceType => Some(Cell::Text(user.source_type.as_str().to_owned())),
        UserField::UserId => user.posix_uid.map(|v| Cell::Integer(i64::from(v.get()))),
        UserField::GroupId => user.posix_gid.map(|v| Cell::Integer(i64::from(v.get()))),
        UserField::CreatedAt => Some(Cell::Timestamp(user.created_at)),
        UserField::UpdatedAt => Some(Cell::Timestamp(user.updated_at)),
        UserField::ExpiredAt => user.expired_at.map(Cell::Timestamp),
        UserField::FirstName => user
            .first_name
            .as_ref()
            .map(|n| Cell::Text(n.as_str().to_owned())),
        UserField::LastName => user
            .last_name
            .as_ref()
            .map(|n| Cell::Text(n.as_str().to_owned())),
        UserField::Language => Some(Cell::Text(user.language.as_str().to_owned())),
    }
}

/// A filter value of the wrong type for its field (the parsers never build one).
fn type_mismatch(field: UserField) -> UserStoreError {
    BackendError::Internal(format!("filter value of the wrong type for {field}")).into()
}

/// Evaluates one condition with SQL's three-valued logic collapsed to "matches or not": a NULL
/// field matches no comparison (negated ones included); only `IsNull` matches it.
fn matches(user: &User, field: UserField, condition: &Condition) -> Result<bool, UserStoreError> {
    let value = cell(user, field);
    let Some(value) = value else {
        return Ok(matches!(condition, Condition::IsNull));
    };
    let cmp = |v: &FilterValue| {
        value
            .compare(&Cell::of(v))
            .ok_or_else(|| type_mismatch(field))
    };
    let text = || match &value {
        Cell::Text(t) => Ok(t.as_str()),
        _ => Err(type_mismatch(field)),
    };
    Ok(match condition {
        Condition::Eq(v) => cmp(v)? == Ordering::Equal,
        Condition::Ne(v) => cmp(v)? != Ordering::Equal,
        Condition::Gt(v) => cmp(v)? == Ordering::Greater,
        Condition::Ge(v) => cmp(v)? != Ordering::Less,
        Condition::Lt(v) => cmp(v)? == Ordering::Less,
        Condition::Le(v) => cmp(v)? != Ordering::Greater,
        Condition::In(vs) => {
            let mut found = false;
            for v in vs {
                found |= cmp(v)? == Ordering::Equal;
            }
            found
        }
        Condition::NotIn(vs) => {
            let mut found = false;
            for v in vs {
                found |= cmp(v)? == Ordering::Equal;
            }
            !found
        }
        Condition::Like(pattern) => like_matches(pattern, text()?),
        Condition::NotLike(pattern) => !like_matches(pattern, text()?),
        Condition::IsNull => false,
        Condition::IsNotNull => true,
    })
}

/// Orders two users by the query's keys (ties by id): NULLs first ascending, last descending.
fn order_users(a: &User, b: &User, query: &UserQuery) -> Ordering {
    for key in query.sort.keys_with_tiebreak() {
        let ascending = match (cell(a, key.field), cell(b, key.field)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.compare(&y).unwrap_or(Ordering::Equal),
        };
        let ord = match key.direction {
            Direction::Asc => ascending,
            Direction::Desc => ascending.reverse(),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user_audited(
        &self,
        new: NewUser,
        audit: Option<AuditEvent>,
    ) -> Result<User, UserStoreError> {
        let mut state = self.lock()?;
        let user = state.insert_user(new)?;
        state.record(audit.map(|e| e.on_user(user.id)));
        Ok(user)
    }

    async fn create_users(&self, users: Vec<NewUser>) -> Result<u64, UserStoreError> {
        let mut state = self.lock()?;
        let before = (state.users.clone(), state.last_user_id);
        let mut inserted = 0;
        for new in users {
            if let Err(error) = state.insert_user(new) {
                (state.users, state.last_user_id) = before;
                return Err(error);
            }
            inserted += 1;
        }
        Ok(inserted)
    }

    async fn find_user(&self, lookup: &UserLookup) -> Result<Option<User>, UserStoreError> {
        let state = self.lock()?;
        let found = match lookup {
            UserLookup::Id(id) => state.users.get(id),
            UserLookup::Uuid(uuid) => state.users.values().find(|u| u.uuid == *uuid),
            UserLookup::Username(name) => {
                let name = name.to_ascii_lowercase();
                state.users.values().find(|u| u.username.folded() == name)
            }
            UserLookup::Email(email) => {
                let email = email.to_ascii_lowercase();
                state
                    .users
                    .values()
                    .find(|u| u.email.as_ref().is_some_and(|e| e.folded() == email))
            }
            UserLookup::ExternalId(ext) => state
                .users
                .values()
                .find(|u| u.external_id.as_ref().is_some_and(|e| e.as_str() == ext)),
        };
        Ok(found.cloned())
    }

    async fn list_users(&self, query: &UserQuery) -> Result<Listed<User>, UserStoreError> {
        let state = self.lock()?;
        let mut rows = Vec::new();
        for user in state.users.values() {
            let keep = query
                .filter
                .evaluate(&mut |filter| matches(user, filter.field, &filter.condition))?;
            if keep {
                rows.push(user.clone());
            }
        }
        rows.sort_by(|a, b| order_users(a, b, query));
        Ok(page_of(rows, query.page))
    }

    async fn list_users_after(
        &self,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, UserStoreError> {
        let state = self.lock()?;
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(state
            .users
            .range((from, Bound::Unbounded))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, user)| user.clone())
            .collect())
    }

    async fn update_user_audited(
        &self,
        id: UserId,
        update: UserUpdate,
        audit: Option<AuditEvent>,
    ) -> Result<User, UserStoreError> {
        let mut state = self.lock()?;
        let before = state.users.get(&id).ok_or(UserStoreError::NotFound)?;
        let plan = update.plan(before);
        if plan.needs_another_admin && !state.has_other_lasting_admin(id) {
            return Err(UserStoreError::LastAdmin);
        }
        if let Some(field) = state.clash(&plan.after, Some(id)) {
            return Err(UserStoreError::Taken(field));
        }
        state.users.insert(id, plan.after.clone());
        state.end_sessions(id, plan.end_sessions);
        state.record(audit);
        Ok(plan.after)
    }

    async fn delete_user_audited(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<(), UserStoreError> {
        let mut state = self.lock()?;
        let user = state.users.get(&id).ok_or(UserStoreError::NotFound)?;
        if deletion_needs_another_admin(user, now) && !state.has_other_lasting_admin(id) {
            return Err(UserStoreError::LastAdmin);
        }
        state.users.remove(&id);
        state.sessions.retain(|_, s| s.user_id != id);
        state.api_keys.retain(|_, k| k.user_id != id);
        state.configurations.retain(|_, c| c.user_id != id);
        state.record(audit);
        Ok(())
    }

    async fn count_users(&self) -> Result<u64, UserStoreError> {
        Ok(self.lock()?.users.len() as u64)
    }

    async fn apply_import(
        &self,
        writes: Vec<(ImportWrite, AuditEvent)>,
    ) -> Result<(), UserStoreError> {
        let mut state = self.lock()?;
        let saved = state.clone();
        let result = state.import(writes);
        if result.is_err() {
            *state = saved;
        }
        result
    }

    async fn replace_password_hash(
        &self,
        id: UserId,
        expected: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<bool, UserStoreError> {
        let mut state = self.lock()?;
        match state.users.get_mut(&id) {
            Some(user) if user.password_hash.as_ref() == Some(expected) => {
                user.password_hash = Some(new.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session_audited(
        &self,
        new: NewSession,
        audit: Option<AuditEvent>,
    ) -> Result<Session, SessionStoreError> {
        let mut state = self.lock()?;
        if !state.users.contains_key(&new.user_id) {
            return Err(SessionStoreError::UserNotFound);
        }
        let session = Session {
            id: SessionId(next_id(&mut state.last_session_id)),
            user_id: new.user_id,
            token_digest: new.token_digest,
            created_at: new.created_at,
            expires_at: new.expires_at,
        };
        // Keep the newest `keep_at_most - 1` others: ids increase, so the oldest go first.
        let mut others: Vec<SessionId> = state
            .sessions
            .values()
            .filter(|s| s.user_id == new.user_id)
            .map(|s| s.id)
            .collect();
        others.sort_unstable_by(|a, b| b.cmp(a));
        let keep = new.keep_at_most.max(1) as usize - 1;
        for doomed in others.into_iter().skip(keep) {
            state.sessions.remove(&doomed);
        }
        state.sessions.insert(session.id, session.clone());
        state.record(audit.map(|e| e.on(session.id.to_string())));
        Ok(session)
    }

    async fn find_session(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Session>, SessionStoreError> {
        let state = self.lock()?;
        Ok(state
            .sessions
            .values()
            .find(|s| s.token_digest.matches(digest))
            .cloned())
    }

    async fn find_session_and_owner(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(Session, User)>, SessionStoreError> {
        let state = self.lock()?;
        Ok(state
            .sessions
            .values()
            .find(|s| s.token_digest.matches(digest))
            .and_then(|s| Some((s.clone(), state.users.get(&s.user_id)?.clone()))))
    }

    async fn delete_session_audited(
        &self,
        id: SessionId,
        audit: Option<AuditEvent>,
    ) -> Result<bool, SessionStoreError> {
        let mut state = self.lock()?;
        let removed = state.sessions.remove(&id).is_some();
        if removed {
            state.record(audit.map(|e| e.on(id.to_string())));
        }
        Ok(removed)
    }

    async fn delete_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
    ) -> Result<u64, SessionStoreError> {
        let mut state = self.lock()?;
        Ok(state.delete_sessions_where(user, |s| Some(s.id) != keep))
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, SessionStoreError> {
        let mut state = self.lock()?;
        let before = state.sessions.len();
        state.sessions.retain(|_, s| s.expires_at > now);
        Ok((before - state.sessions.len()) as u64)
    }
}

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn create_api_key_audited(
        &self,
        new: NewApiKey,
        audit: Option<AuditEvent>,
    ) -> Result<ApiKey, ApiKeyStoreError> {
        let mut state = self.lock()?;
        if !state.users.contains_key(&new.user_id) {
            return Err(ApiKeyStoreError::UserNotFound);
        }
        let held = state
            .api_keys
            .values()
            .filter(|k| k.user_id == new.user_id)
            .count();
        if held >= new.owner_may_hold as usize {
            return Err(ApiKeyStoreError::LimitReached);
        }
        if state
            .api_keys
            .values()
            .any(|k| k.identifier == new.identifier)
        {
            return Err(ApiKeyStoreError::IdentifierTaken);
        }
        let key = ApiKey {
            id: ApiKeyId(next_id(&mut state.last_api_key_id)),
            user_id: new.user_id,
            name: new.name,
            identifier: new.identifier,
            secret_digest: new.secret_digest,
            last_four: new.last_four,
            scopes: new.scopes,
            expires_at: new.expires_at,
            last_used_at: None,
            created_at: new.created_at,
            updated_at: new.created_at,
        };
        state.api_keys.insert(key.id, key.clone());
        state.record(audit.map(|e| e.on(key.id.to_string())));
        Ok(key)
    }

    async fn find_api_key_and_owner(
        &self,
        identifier: &str,
    ) -> Result<Option<(ApiKey, User)>, ApiKeyStoreError> {
        let state = self.lock()?;
        Ok(state
            .api_keys
            .values()
            .find(|k| k.identifier == identifier)
            .and_then(|k| Some((k.clone(), state.users.get(&k.user_id)?.clone()))))
    }

    async fn find_api_key(&self, identifier: &str) -> Result<Option<ApiKey>, ApiKeyStoreError> {
        let state = self.lock()?;
        Ok(state
            .api_keys
            .values()
            .find(|k| k.identifier == identifier)
            .cloned())
    }

    async fn list_api_keys(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Listed<ApiKey>, ApiKeyStoreError> {
        let state = self.lock()?;
        let rows = state
            .api_keys
            .values()
            .filter(|k| k.user_id == user)
            .cloned()
            .collect();
        Ok(page_of(rows, page))
    }

    async fn get_api_key(&self, user: UserId, id: ApiKeyId) -> Result<ApiKey, ApiKeyStoreError> {
        let state = self.lock()?;
        state
            .api_keys
            .get(&id)
            .filter(|k| k.user_id == user)
            .cloned()
            .ok_or(ApiKeyStoreError::NotFound)
    }

    async fn update_api_key_audited(
        &self,
        user: UserId,
        id: ApiKeyId,
        changes: ApiKeyChanges,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<ApiKey, ApiKeyStoreError> {
        let mut state = self.lock()?;
        let key = state
            .api_keys
            .get_mut(&id)
            .filter(|k| k.user_id == user)
            .ok_or(ApiKeyStoreError::NotFound)?;
        if let Some(name) = changes.name {
            key.name = name;
        }
        if let Some(scopes) = changes.scopes {
            key.scopes = scopes;
        }
        if let Some(expires_at) = changes.expires_at {
            key.expires_at = expires_at;
        }
        key.updated_at = now;
        let key = key.clone();
        state.record(audit.map(|e| e.on(id.to_string())));
        Ok(key)
    }

    async fn delete_api_key_audited(
        &self,
        user: UserId,
        id: ApiKeyId,
        audit: Option<AuditEvent>,
    ) -> Result<(), ApiKeyStoreError> {
        let mut state = self.lock()?;
        if state.api_keys.get(&id).is_some_and(|k| k.user_id == user) {
            state.api_keys.remove(&id);
            state.record(audit.map(|e| e.on(id.to_string())));
            Ok(())
        } else {
            Err(ApiKeyStoreError::NotFound)
        }
    }

    async fn touch_api_key(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<(), ApiKeyStoreError> {
        let mut state = self.lock()?;
        if let Some(key) = state.api_keys.get_mut(&id) {
            key.last_used_at = Some(at);
        }
        Ok(())
    }
}

#[async_trait]
impl ConfigurationStore for MemoryStore {
    async fn list_configurations(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Listed<Configuration>, ConfigurationStoreError> {
        let state = self.lock()?;
        let rows = state
            .configurations
            .values()
            .filter(|c| c.user_id == user)
            .cloned()
            .collect();
        Ok(page_of(rows, page))
    }

    async fn create_configuration_audited(
        &self,
        user: UserId,
        key: ConfigurationKey,
        value: ConfigurationValue,
        now: DateTime<Utc>,
        owner_may_hold: u32,
        audit: Option<AuditEvent>,
    ) -> Result<Configuration, ConfigurationStoreError> {
        let mut state = self.lock()?;
        if !state.users.contains_key(&user) {
            return Err(ConfigurationStoreError::UserNotFound);
        }
        let held = state
            .configurations
            .values()
            .filter(|c| c.user_id == user)
            .count();
        if held >= owner_may_hold as usize {
            return Err(ConfigurationStoreError::LimitReached);
        }
        if state
            .configuration_id(user, &ConfigurationRef::Key(key.clone()))
            .is_some()
        {
            return Err(ConfigurationStoreError::KeyTaken);
        }
        let configuration = Configuration {
            id: ConfigurationId(next_id(&mut state.last_configuration_id)),
            user_id: user,
            key,
            value,
            created_at: now,
            updated_at: now,
        };
        state
            .configurations
            .insert(configuration.id, configuration.clone());
        state.record(audit.map(|e| e.on(configuration.id.to_string())));
        Ok(configuration)
    }

    async fn get_configuration(
        &self,
        user: UserId,
        by: &ConfigurationRef,
    ) -> Result<Configuration, ConfigurationStoreError> {
        let state = self.lock()?;
        state
            .configuration_id(user, by)
            .and_then(|id| state.configurations.get(&id))
            .cloned()
            .ok_or(ConfigurationStoreError::NotFound)
    }

    async fn update_configuration_audited(
        &self,
        user: UserId,
        by: &ConfigurationRef,
        changes: ConfigurationChanges,
        now: DateTime<Utc>,
        audit: Option<AuditEvent>,
    ) -> Result<Configuration, ConfigurationStoreError> {
        let mut state = self.lock()?;
        let id = state
            .configuration_id(user, by)
            .ok_or(ConfigurationStoreError::NotFound)?;
        if let Some(key) = &changes.key {
            let holder = state.configuration_id(user, &ConfigurationRef::Key(key.clone()));
            if holder.is_some_and(|other| other != id) {
                return Err(ConfigurationStoreError::KeyTaken);
            }
        }
        let configuration = state
            .configurations
            .get_mut(&id)
            .ok_or(ConfigurationStoreError::NotFound)?;
        if let Some(key) = changes.key {
            configuration.key = key;
        }
        if let Some(value) = changes.value {
            configuration.value = value;
        }
        configuration.updated_at = now;
        let configuration = configuration.clone();
        state.record(audit.map(|e| e.on(id.to_string())));
        Ok(configuration)
    }

    async fn delete_configuration_audited(
        &self,
        user: UserId,
        by: &ConfigurationRef,
        audit: Option<AuditEvent>,
    ) -> Result<(), ConfigurationStoreError> {
        let mut state = self.lock()?;
        let id = state
            .configuration_id(user, by)
            .ok_or(ConfigurationStoreError::NotFound)?;
        state.configurations.remove(&id);
        state.record(audit.map(|e| e.on(id.to_string())));
        Ok(())
    }
}

#[async_trait]
impl AuditLog for MemoryStore {
    async fn append_audit_event(&self, event: AuditEvent) -> Result<(), BackendError> {
        self.lock()?.record(Some(event));
        Ok(())
    }

    async fn list_audit_events(
        &self,
        query: &AuditQuery,
    ) -> Result<Listed<AuditRecord>, BackendError> {
        let state = self.lock()?;
        let rows = state
            .audit
            .iter()
            .rev()
            .filter(|r| query.matches(r))
            .cloned()
            .collect();
        Ok(page_of(rows, query.page))
    }

    async fn purge_audit_events(&self, before: DateTime<Utc>) -> Result<u64, BackendError> {
        let mut state = self.lock()?;
        let was = state.audit.len();
        state.audit.retain(|r| r.event.at >= before);
        Ok((was - state.audit.len()) as u64)
    }
}
