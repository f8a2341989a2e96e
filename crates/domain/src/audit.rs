//! The audit trail: one [`AuditEvent`] for every change to a user, API key, configuration or
//! session, and for every password sign-in that succeeds or fails. A use case builds the
//! event and hands it to the storage port together with the change, and the store writes
//! both in one transaction: a change that is refused or rolled back leaves no event, and no
//! event claims a change that did not happen.
//!
//! An event names the changed fields, never their values, so no secret (password, token, key)
//! can reach the trail.

use crate::entities::UserId;
use crate::listing::PageRequest;
use crate::values::ClientAddress;
use chrono::{DateTime, Utc};
use std::net::IpAddr;
use uuid::Uuid;

/// Where a change came from: an API family, or the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `/api/v2`, `/token`.
    V2,
    /// `/api/v1`.
    V1,
    /// `/api/application`.
    Application,
    /// `/scim/v2`.
    Scim,
    /// The `rollcall` command line.
    Cli,
}

impl Family {
    /// Every family.
    pub const ALL: [Self; 5] = [Self::V2, Self::V1, Self::Application, Self::Scim, Self::Cli];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "v2",
            Self::V1 => "v1",
            Self::Application => "application",
            Self::Scim => "scim",
            Self::Cli => "cli",
        }
    }

    /// The family named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// The context of a request, as the adapter that received it knows it: where it came in, from
/// which address, under which request id. Use cases copy it into the events they record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The family (or the command line).
    pub family: Family,
    /// The client's address, when known.
    pub ip: Option<IpAddr>,
    /// The request id the adapter logs and echoes, when there is one. Kept as the UUID it is,
    /// so that building an origin on every request allocates nothing; it becomes text only
    /// in an event.
    pub request_id: Option<Uuid>,
}

impl Origin {
    /// A request of `family` from `ip` with no request id.
    pub fn new(family: Family, ip: Option<IpAddr>) -> Self {
        Self {
            family,
            ip,
            request_id: None,
        }
    }

    /// The address the login throttle counts this client under.
    pub fn client(&self) -> Option<ClientAddress> {
        self.ip.map(ClientAddress::from_ip)
    }

    /// The command line: no address, no request id.
    pub fn cli() -> Self {
        Self::new(Family::Cli, None)
    }
}

/// How the actor proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// A password (HTTP Basic or a sign-in).
    Password,
    /// A session token.
    Session,
    /// An API key.
    ApiKey,
    /// The operator at the command line.
    Cli,
    /// Nobody proven: a sign-in that failed.
    Anonymous,
}

impl ActorKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::Password,
        Self::Session,
        Self::ApiKey,
        Self::Cli,
        Self::Anonymous,
    ];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Session => "session",
            Self::ApiKey => "api_key",
            Self::Cli => "cli",
            Self::Anonymous => "anonymous",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The acting user, when there is one.
    pub user: Option<UserId>,
    /// How they authenticated.
    pub kind: ActorKind,
}

impl Actor {
    /// The operator at the command line.
    pub fn cli() -> Self {
        Self {
            user: None,
            kind: ActorKind::Cli,
        }
    }

    /// A client that proved nothing.
    pub fn anonymous() -> Self {
        Self {
            user: None,
            kind: ActorKind::Anonymous,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A user was created.
    UserCreate,
    /// A user's fields (the password among them) were changed.
    UserUpdate,
    /// A user was deleted, with their sessions, keys and configurations.
    UserDelete,
    /// The break-glass recovery of an account (`rollcall recover-account`).
    AccountRecover,
    /// A password sign-in succeeded and opened a session.
    SessionCreate,
    /// A session was ended by signing out.
    SessionDelete,
    /// A password check failed (wrong password, unknown login, disabled account).
    SignInFailure,
    /// An API key was created.
    ApiKeyCreate,
    /// An API key was changed.
    ApiKeyUpdate,
    /// An API key was deleted.
    ApiKeyDelete,
    /// A configuration was created.
    ConfigurationCreate,
    /// A configuration was changed.
    ConfigurationUpdate,
    /// A configuration was deleted.
    ConfigurationDelete,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [Self; 13] = [
        Self::UserCreate,
        Self::UserUpdate,
        Self::UserDelete,
        Self::AccountRecover,
        Self::SessionCreate,
        Self::SessionDelete,
        Self::SignInFailure,
        Self::ApiKeyCreate,
        Self::ApiKeyUpdate,
        Self::ApiKeyDelete,
        Self::ConfigurationCreate,
        Self::ConfigurationUpdate,
        Self::ConfigurationDelete,
    ];

    /// The stored and shown name, `resource.verb`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserCreate => "user.create",
            Self::UserUpdate => "user.update",
            Self::UserDelete => "user.delete",
            Self::AccountRecover => "user.recover",
            Self::SessionCreate => "session.create",
            Self::SessionDelete => "session.delete",
            Self::SignInFailure => "sign_in.failure",
            Self::ApiKeyCreate => "api_key.create",
            Self::ApiKeyUpdate => "api_key.update",
            Self::ApiKeyDelete => "api_key.delete",
            Self::ConfigurationCreate => "configuration.create",
            Self::ConfigurationUpdate => "configuration.update",
            Self::ConfigurationDelete => "configuration.delete",
        }
    }

    /// The action named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// One event, as a use case hands it to a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Actor,
    /// Through which family.
    pub family: Family,
    /// What happened.
    pub action: AuditAction,
    /// The user whose account (or key, configuration, session) it concerns; for a create, the
    /// store fills in the id it assigned.
    pub target_user: Option<UserId>,
    /// The key, configuration or session within that account (its id, or the configuration's
    /// key); for a create, the store fills in the id it assigned.
    pub target: Option<String>,
    /// The client's address.
    pub client: Option<IpAddr>,
    /// The request id.
    pub request_id: Option<String>,
    /// The names of the fields that changed (never their values).
    pub fields: Vec<String>,
}

impl AuditEvent {
    /// An event of `action` by `actor` at `at`, from `origin`, with no target or fields yet.
    pub fn new(at: DateTime<Utc>, actor: Actor, origin: &Origin, action: AuditAction) -> Self {
        Self {
            at,
            actor,
            family: origin.family,
            action,
            target_user: None,
            target: None,
            client: origin.ip,
            request_id: origin.request_id.map(|id| id.hyphenated().to_string()),
            fields: Vec::new(),
        }
    }

    /// The same event about `user`.
    #[must_use]
    pub fn on_user(mut self, user: UserId) -> Self {
        self.target_user = Some(user);
        self
    }

    /// The same event about `target` within the account.
    #[must_use]
    pub fn on(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// The same event naming `fields` as changed.
    #[must_use]
    pub fn with_fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.fields = fields.into_iter().map(Into::into).collect();
        self
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its id: increasing in the order events were written.
    pub id: i64,
    /// Who did what to whom.
    pub event: AuditEvent,
}

/// Which events to list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events by this user.
    pub actor: Option<UserId>,
    /// Only events about this user.
    pub target_user: Option<UserId>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub until: Option<DateTime<Utc>>,
    /// The page.
    pub page: PageRequest,
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            actor: None,
            target_user: None,
            action: None,
            since: None,
            until: None,
            page: PageRequest::first(),
        }
    }
}

impl AuditQuery {
    /// True when `record` passes the filters (paging aside): the rule every store applies.
    pub fn matches(&self, record: &AuditRecord) -> bool {
        let e = &record.event;
        self.actor.is_none_or(|a| e.actor.user == Some(a))
            && self.target_user.is_none_or(|t| e.target_user == Some(t))
            && self.action.is_none_or(|a| e.action == a)
            && self.since.is_none_or(|s| e.at >= s)
            && self.until.is_none_or(|u| e.at < u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        for k in ActorKind::ALL {
            assert_eq!(ActorKind::parse(k.as_str()), Some(k));
        }
        for f in Family::ALL {
            assert_eq!(Family::parse(f.as_str()), Some(f));
        }
        assert_eq!(AuditAction::parse("user.explode"), None);
    }

    #[test]
    fn queries_filter_on_every_field() {
        let at = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap_or_default();
        let record = AuditRecord {
            id: 1,
            event: AuditEvent::new(
                at,
                Actor {
                    user: Some(UserId(1)),
                    kind: ActorKind::Session,
                },
                &Origin::new(Family::V2, None),
                AuditAction::UserUpdate,
            )
            .on_user(UserId(2)),
        };
        let all = AuditQuery::default();
        assert!(all.matches(&record));
        let by = |q: AuditQuery| q.matches(&record);
        assert!(by(AuditQuery {
            actor: Some(UserId(1)),
            ..all.clone()
        }));
        assert!(!by(AuditQuery {
            actor: Some(UserId(2)),
            ..all.clone()
        }));
        assert!(by(AuditQuery {
            target_user: Some(UserId(2)),
            ..all.clone()
        }));
        assert!(!by(AuditQuery {
            target_user: Some(UserId(1)),
            ..all.clone()
        }));
        assert!(!by(AuditQuery {
            action: Some(AuditAction::UserDelete),
            ..all.clone()
        }));
        assert!(by(AuditQuery {
            since: Some(at),
            ..all.clone()
        }));
        assert!(!by(AuditQuery {
            until: Some(at),
            ..all.clone()
        }));
        assert!(by(AuditQuery {
            until: Some(at + chrono::Duration::seconds(1)),
            ..all
        }));
    }
}
