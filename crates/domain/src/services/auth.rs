//! Authentication by password, session token and API key; sessions issued and revoked.

use super::error::unexpected_user_store;
use super::{Credential, Directory, Principal, ServiceError};
use crate::entities::{NewSession, Session, User, UserChanges, UserUpdate};
use crate::ports::{UserLookup, Verification};
use crate::secrets::{
    BearerKind, TokenDigest, api_key_identifier, bearer_kind, session_token_from,
};
use secrecy::SecretString;

/// A session just issued: the token (shown once, never stored) and the stored session.
#[derive(Debug)]
pub struct IssuedSession {
    /// The opaque token for the client.
    pub token: SecretString,
    /// The stored session (with only the token's digest).
    pub session: Session,
}

impl Directory {
    /// Checks a login (username or e-mail, case-insensitive) and password. Unknown users,
    /// users without a password, wrong passwords, disabled and expired users all fail the
    /// same way, and unknown users cost one verification against a dummy hash. Successful
    /// checks are remembered by the credential cache; a stored hash weaker than configured is
    /// re-hashed.
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`], storage or hashing errors.
    pub async fn authenticate_password(
        &self,
        login: &str,
        password: &str,
    ) -> Result<User, ServiceError> {
        let lookup = if login.contains('@') {
            UserLookup::Email(login.to_owned())
        } else {
            UserLookup::Username(login.to_owned())
        };
        let user = if login.is_empty() {
            None
        } else {
            self.ports
                .users
                .find_user(&lookup)
                .await
                .map_err(unexpected_user_store)?
        };
        let Some((user, stored)) = user.and_then(|u| {
            let hash = u.password_hash.clone()?;
            Some((u, hash))
        }) else {
            // Same cost as a wrong password.
            let _ = self
                .ports
                .hasher
                .verify(password, self.ports.hasher.dummy_hash())
                .await?;
            return Err(ServiceError::Unauthenticated);
        };
        if !self
            .ports
            .credential_cache
            .contains(user.id, &stored, password)
        {
            match self.ports.hasher.verify(password, &stored).await? {
                Verification::Mismatch => return Err(ServiceError::Unauthenticated),
                Verification::Match { needs_rehash } => {
                    self.ports
                        .credential_cache
                        .remember(user.id, &stored, password);
                    if needs_rehash {
                        self.rehash(&user, password).await;
                    }
                }
            }
        }
        if !user.is_active(self.now()) {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(user)
    }

    /// Re-hashes a password with the configured parameters. A failure here must not fail the
    /// login that triggered it; the next login tries again.
    async fn rehash(&self, user: &User, password: &str) {
        let Ok(hash) = self.ports.hasher.hash(password).await else {
            return;
        };
        let update = UserUpdate {
            changes: UserChanges {
                password_hash: Some(hash),
                ..UserChanges::default()
            },
            revoke_sessions: crate::entities::SessionRevocation::None,
            now: self.now(),
        };
        let _ = self.ports.users.update_user(user.id, update).await;
    }

    /// HTTP Basic: a password principal.
    ///
    /// # Errors
    /// As [`Directory::authenticate_password`].
    pub async fn authenticate_basic(
        &self,
        login: &str,
        password: &str,
    ) -> Result<Principal, ServiceError> {
        let user = self.authenticate_password(login, password).await?;
        Ok(Principal {
            user,
            credential: Credential::Password,
        })
    }

    /// Checks the password and opens a session.
    ///
    /// # Errors
    /// As [`Directory::authenticate_password`].
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
    ) -> Result<(User, IssuedSession), ServiceError> {
        let user = self.authenticate_password(login, password).await?;
        let issued = self.issue_session(&user).await?;
        Ok((user, issued))
    }

    /// Opens a session for a user who has already authenticated.
    ///
    /// # Errors
    /// Storage errors.
    async fn issue_session(&self, user: &User) -> Result<IssuedSession, ServiceError> {
        let token = session_token_from(&self.random_bytes::<32>());
        let now = self.now();
        let session = self
            .ports
            .sessions
            .create_session(NewSession {
                user_id: user.id,
                token_digest: TokenDigest::of(&token),
                created_at: now,
                expires_at: now + self.settings.session_lifetime,
            })
            .await?;
        Ok(IssuedSession {
            token: SecretString::from(token),
            session,
        })
    }

    /// A bearer value: routed by prefix to sessions or API keys, never guessed.
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`], storage errors.
    pub async fn authenticate_bearer(&self, value: &str) -> Result<Principal, ServiceError> {
        match bearer_kind(value) {
            BearerKind::Session => self.authenticate_session(value).await,
            BearerKind::ApiKey => self.authenticate_api_key(value).await,
            BearerKind::Unknown => Err(ServiceError::Unauthenticated),
        }
    }

    /// A session token: unexpired session of an active user.
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`], storage errors.
    pub async fn authenticate_session(&self, token: &str) -> Result<Principal, ServiceError> {
        let session = self
            .ports
            .sessions
            .find_session(&TokenDigest::of(token))
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let now = self.now();
        if session.expires_at <= now {
            return Err(ServiceError::Unauthenticated);
        }
        let user = self.active_user(session.user_id, now).await?;
        Ok(Principal {
            user,
            credential: Credential::Session(session.id),
        })
    }

    /// An API key: known identifier, matching digest, unexpired, active owner. Records
    /// `last_used_at` at most once per [`super::Settings::api_key_touch_interval`].
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`], storage errors.
    pub async fn authenticate_api_key(&self, key: &str) -> Result<Principal, ServiceError> {
        let identifier = api_key_identifier(key).ok_or(ServiceError::Unauthenticated)?;
        let stored = self
            .ports
            .api_keys
            .find_api_key(identifier)
            .await
            .map_err(super::error::unexpected_api_key_store)?
            .ok_or(ServiceError::Unauthenticated)?;
        let now = self.now();
        if !stored.secret_digest.matches(&TokenDigest::of(key)) || !stored.is_valid_at(now) {
            return Err(ServiceError::Unauthenticated);
        }
        let user = self.active_user(stored.user_id, now).await?;
        let due = stored
            .last_used_at
            .is_none_or(|at| now - at >= self.settings.api_key_touch_interval);
        if due {
            // Bookkeeping only: a failure must not refuse an otherwise valid request.
            let _ = self.ports.api_keys.touch_api_key(stored.id, now).await;
        }
        Ok(Principal {
            user,
            credential: Credential::ApiKey {
                id: stored.id,
                scopes: stored.scopes,
                expires_at: stored.expires_at,
            },
        })
    }

    async fn active_user(
        &self,
        id: crate::entities::UserId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<User, ServiceError> {
        self.ports
            .users
            .find_user(&UserLookup::Id(id))
            .await
            .map_err(unexpected_user_store)?
            .filter(|u| u.is_active(now))
            .ok_or(ServiceError::Unauthenticated)
    }

    /// Ends the session the principal used; a no-op for Basic and API keys.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn sign_out(&self, principal: &Principal) -> Result<(), ServiceError> {
        if let Some(id) = principal.session() {
            self.ports.sessions.delete_session(id).await?;
        }
        Ok(())
    }

    /// Deletes expired sessions; returns how many went.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn purge_expired_sessions(&self) -> Result<u64, ServiceError> {
        Ok(self
            .ports
            .sessions
            .delete_expired_sessions(self.now())
            .await?)
    }
}
