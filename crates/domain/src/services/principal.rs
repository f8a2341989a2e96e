//! Who is making a request, and how they proved it.

use super::{Forbidden, ServiceError};
use crate::audit::{Actor, ActorKind, Origin};
use crate::entities::{ApiKeyId, SessionId, User};
use crate::values::{ClientAddress, Scope, ScopeSet};
use chrono::{DateTime, Utc};

/// How a principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A password (HTTP Basic): all of the user's rights.
    Password,
    /// A session token: all of the user's rights.
    Session(SessionId),
    /// An API key: the user's rights limited to the key's scopes.
    ApiKey {
        /// The key.
        id: ApiKeyId,
        /// Its scopes.
        scopes: ScopeSet,
        /// Its expiry: no key it makes or changes may outlive it.
        expires_at: Option<DateTime<Utc>>,
    },
}

/// Who may use a family's routes at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every authenticated user (v2, v1): each use case decides what they may do.
    AnyUser,
    /// Admins only (the application family): anyone else is refused before any scope check.
    Admins,
}

/// An authenticated user plus how they authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user, as loaded when authenticating.
    pub user: User,
    /// The credential used.
    pub credential: Credential,
    /// Where the request came from: the family, the client's address (for the login
    /// throttle of a later password check, such as v1's `current_password`) and the request
    /// id, copied into the audit events the request causes.
    pub origin: Origin,
}

impl Principal {
    /// Checks the route's scope: passes for passwords and sessions, and for API keys that
    /// hold `scope`.
    ///
    /// # Errors
    /// [`Forbidden::MissingScope`] for a key without it.
    pub fn require(&self, scope: Scope) -> Result<(), ServiceError> {
        match &self.credential {
            Credential::ApiKey { scopes, .. } if !scopes.contains(scope) => {
                Err(ServiceError::Forbidden(Forbidden::MissingScope(scope)))
            }
            _ => Ok(()),
        }
    }

    /// Who this principal is in the audit trail.
    pub fn actor(&self) -> Actor {
        Actor {
            user: Some(self.user.id),
            kind: match self.credential {
                Credential::Password => ActorKind::Password,
                Credential::Session(_) => ActorKind::Session,
                Credential::ApiKey { .. } => ActorKind::ApiKey,
            },
        }
    }

    /// The client's address as the login throttle counts it.
    pub fn client(&self) -> Option<ClientAddress> {
        self.origin.client()
    }

    /// True when the user is an admin.
    pub fn is_admin(&self) -> bool {
        self.user.is_admin
    }

    /// Passes for admins.
    ///
    /// # Errors
    /// [`Forbidden::AdminOnly`] naming `action` for anyone else.
    pub fn require_admin(&self, action: &'static str) -> Result<(), ServiceError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(Forbidden::AdminOnly(action)))
        }
    }

    /// The check every handler makes in one line: the principal belongs to the family's
    /// `audience`, then (for API keys) holds `scope`. An admins-only family answers a non-admin
    /// with [`Forbidden::AdminOnly`] whatever their key holds.
    ///
    /// # Errors
    /// [`Forbidden::AdminOnly`] for a non-admin in an admins-only family, then
    /// [`Forbidden::MissingScope`] for a key without `scope`.
    pub fn admit(&self, audience: Audience, scope: Scope) -> Result<(), ServiceError> {
        if audience == Audience::Admins {
            self.require_admin("use this API")?;
        }
        self.require(scope)
    }

    /// The session used, if any.
    pub fn session(&self) -> Option<SessionId> {
        match self.credential {
            Credential::Session(id) => Some(id),
            _ => None,
        }
    }

    /// True when the principal authenticated with an API key.
    pub fn is_api_key(&self) -> bool {
        matches!(self.credential, Credential::ApiKey { .. })
    }

    /// Passes unless the principal is an API key: a key never sets or changes a password (its
    /// own owner's or anyone's), because a password is a credential with every right of the
    /// user, and a key must not buy more than its scopes.
    ///
    /// # Errors
    /// [`Forbidden::ApiKeyPassword`] for an API key.
    pub fn require_password_credential(&self) -> Result<(), ServiceError> {
        if self.is_api_key() {
            Err(ServiceError::Forbidden(Forbidden::ApiKeyPassword))
        } else {
            Ok(())
        }
    }

    /// The latest expiry a key made or changed by this principal may have: `None` for
    /// passwords, sessions and keys without expiry (no bound); the making key's own expiry
    /// otherwise.
    pub fn key_expiry_bound(&self) -> Option<DateTime<Utc>> {
        match &self.credential {
            Credential::ApiKey { expires_at, .. } => *expires_at,
            _ => None,
        }
    }

    /// The scopes a key made by this principal may carry: all for passwords and sessions.
    pub fn grantable_scopes(&self) -> ScopeSet {
        match &self.credential {
            Credential::ApiKey { scopes, .. } => scopes.clone(),
            _ => ScopeSet::all(),
        }
    }
}
