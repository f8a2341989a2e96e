//! Authentication by password, session token and API key; sessions issued and revoked.

use super::ThrottleRules;
use super::error::unexpected_user_store;
use super::{Credential, Directory, Principal, ServiceError};
use crate::audit::{Actor, ActorKind, AuditAction, AuditEvent, Origin};
use crate::entities::{NewSession, Session, User, UserId};
use crate::ports::{ThrottleScope, UserLookup, Verification};
use crate::secrets::PasswordHash;
use crate::secrets::{
    BearerKind, TokenDigest, api_key_identifier, bearer_kind, session_token_from,
};
use crate::values::{ClientAddress, LoginKey};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// A session just issued: the token (shown once, never stored) and the stored session.
#[derive(Debug)]
pub struct IssuedSession {
    /// The opaque token for the client.
    pub token: SecretString,
    /// The stored session (with only the token's digest).
    pub session: Session,
}

/// One password check admitted by the login throttle, with the counts it saw.
struct Attempt {
    rules: ThrottleRules,
    key: LoginKey,
    address: ClientAddress,
    pair_failures: u64,
    address_failures: u64,
}

/// Whole seconds from `now` until `oldest` leaves a window of `window` (at least 1).
fn seconds_until_expiry(
    oldest: Option<DateTime<Utc>>,
    window: chrono::Duration,
    now: DateTime<Utc>,
) -> u64 {
    let left = oldest.map_or(window, |at| at + window - now);
    let millis = u64::try_from(left.num_milliseconds()).unwrap_or(0);
    millis.div_ceil(1000).max(1)
}

impl Directory {
    /// Checks a login (username or e-mail, case-insensitive) and password. Unknown users,
    /// users without a password, wrong passwords, disabled and expired users all fail the
    /// same way, and unknown users cost one verification against a dummy hash. Successful
    /// checks are remembered by the credential cache; a stored hash weaker than configured is
    /// re-hashed. Checks that need hashing go through the login throttle for `client`.
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`], [`ServiceError::Throttled`], storage or hashing
    /// errors.
    pub async fn authenticate_password(
        &self,
        login: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<User, ServiceError> {
        let client = origin.client();
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
        let Some(user) = user else {
            // Same cost as a wrong password.
            self.verify_guarded(LoginKey::of(login), client, None, password)
                .await?;
            return self.sign_in_failed(origin, None).await;
        };
        let stored = user.password_hash.clone();
        // A remembered success is not a guess: it needs neither hashing nor the throttle.
        let remembered = stored.as_ref().is_some_and(|stored| {
            self.ports
                .credential_cache
                .contains(user.id, stored, password)
        });
        if stored.is_some() {
            self.ports.auth_events.credential_cache(remembered);
        }
        if !remembered {
            let key = LoginKey::of_user(user.id);
            match self
                .verify_guarded(key, client, stored.as_ref(), password)
                .await?
            {
                Verification::Mismatch => return self.sign_in_failed(origin, Some(user.id)).await,
                Verification::Match { needs_rehash } => {
                    if let Some(stored) = &stored {
                        self.ports
                            .credential_cache
                            .remember(user.id, stored, password);
                        if needs_rehash {
                            self.rehash(&user, stored, password).await;
                        }
                    }
                }
            }
        }
        if !user.is_active(self.now()) {
            return self.sign_in_failed(origin, Some(user.id)).await;
        }
        Ok(user)
    }

    /// Records a failed password check (the login is named only by the user it matched, as
    /// people type passwords into login fields), then answers "unauthenticated". A throttled
    /// attempt is refused before any check and records nothing.
    async fn sign_in_failed<T>(
        &self,
        origin: &Origin,
        user: Option<UserId>,
    ) -> Result<T, ServiceError> {
        let mut event = AuditEvent::new(
            self.now(),
            Actor::anonymous(),
            origin,
            AuditAction::SignInFailure,
        );
        event.target_user = user;
        self.ports.audit.append_audit_event(event).await?;
        Err(ServiceError::Unauthenticated)
    }

    /// Verifies `presented` against `stored` (`None`: no such user or no password, checked
    /// against the dummy hash and never a match) for the login `key`, under the login
    /// throttle when it is on and the client's address is known: refused without hashing
    /// past a threshold; a failure is recorded, a success clears the pair's count.
    pub(super) async fn verify_guarded(
        &self,
        key: LoginKey,
        client: Option<ClientAddress>,
        stored: Option<&PasswordHash>,
        presented: &str,
    ) -> Result<Verification, ServiceError> {
        let attempt = match (self.settings.login_throttle, client) {
            (Some(rules), Some(address)) => Some(self.admit(rules, key, address).await?),
            _ => None,
        };
        let hash = stored.unwrap_or(self.ports.hasher.dummy_hash());
        let verdict = match self.ports.hasher.verify(presented, hash).await? {
            Verification::Match { .. } if stored.is_none() => Verification::Mismatch,
            verdict => verdict,
        };
        self.ports
            .auth_events
            .password_checked(matches!(verdict, Verification::Match { .. }));
        if let Some(attempt) = attempt {
            match verdict {
                Verification::Mismatch => self.record_failure(&attempt).await?,
                Verification::Match { .. } if attempt.pair_failures > 0 => {
                    // Bookkeeping: a failure here must not refuse a correct password.
                    let _ = self
                        .ports
                        .login_failures
                        .clear_failures(&attempt.key, &attempt.address)
                        .await;
                }
                Verification::Match { .. } => {}
            }
        }
        Ok(verdict)
    }

    /// Lets a password check through unless its pair or its address is over the threshold.
    async fn admit(
        &self,
        rules: ThrottleRules,
        key: LoginKey,
        address: ClientAddress,
    ) -> Result<Attempt, ServiceError> {
        let now = self.now();
        let (pair, from_address) = self
            .ports
            .login_failures
            .recent_failures(&key, &address, now - rules.window)
            .await?;
        let over = [
            (pair, rules.per_login, ThrottleScope::LoginFromAddress),
            (from_address, rules.per_address, ThrottleScope::Address),
        ]
        .into_iter()
        .find(|(window, limit, _)| window.count >= u64::from(*limit));
        if let Some((window, _, scope)) = over {
            self.ports.auth_events.throttled(scope);
            return Err(ServiceError::Throttled {
                retry_after_secs: seconds_until_expiry(window.oldest, rules.window, now),
            });
        }
        Ok(Attempt {
            rules,
            key,
            address,
            pair_failures: pair.count,
            address_failures: from_address.count,
        })
    }

    /// Records a failed check; reports the lock-out it causes, once.
    async fn record_failure(&self, attempt: &Attempt) -> Result<(), ServiceError> {
        self.ports
            .login_failures
            .record_failure(&attempt.key, &attempt.address, self.now())
            .await?;
        let rules = attempt.rules;
        if attempt.pair_failures + 1 == u64::from(rules.per_login) {
            self.ports.auth_events.locked_out(
                ThrottleScope::LoginFromAddress,
                &attempt.key,
                &attempt.address,
            );
        }
        if attempt.address_failures + 1 == u64::from(rules.per_address) {
            self.ports.auth_events.locked_out(
                ThrottleScope::Address,
                &attempt.key,
                &attempt.address,
            );
        }
        Ok(())
    }

    /// Deletes failed password checks older than the throttle's window; returns how many
    /// went. Nothing to do when the throttle is off.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn purge_login_failures(&self) -> Result<u64, ServiceError> {
        let Some(rules) = self.settings.login_throttle else {
            return Ok(0);
        };
        Ok(self
            .ports
            .login_failures
            .purge_failures(self.now() - rules.window)
            .await?)
    }

    /// Re-hashes a password with the configured parameters, compare-and-set on the hash
    /// that was just verified: a password changed in between is never overwritten. A failure
    /// here must not fail the login that triggered it; the next login tries again.
    async fn rehash(&self, user: &User, verified: &PasswordHash, password: &str) {
        let Ok(hash) = self.ports.hasher.hash(password).await else {
            return;
        };
        let _ = self
            .ports
            .users
            .replace_password_hash(user.id, verified, &hash)
            .await;
    }

    /// HTTP Basic: a password principal.
    ///
    /// # Errors
    /// As [`Directory::authenticate_password`].
    pub async fn authenticate_basic(
        &self,
        login: &str,
        password: &str,
        origin: Origin,
    ) -> Result<Principal, ServiceError> {
        let user = self.authenticate_password(login, password, &origin).await?;
        Ok(Principal {
            user,
            credential: Credential::Password,
            origin,
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
        origin: &Origin,
    ) -> Result<(User, IssuedSession), ServiceError> {
        let user = self.authenticate_password(login, password, origin).await?;
        let issued = self.issue_session(&user, origin).await?;
        Ok((user, issued))
    }

    /// Opens a session for a user who has already authenticated.
    ///
    /// # Errors
    /// Storage errors.
    async fn issue_session(
        &self,
        user: &User,
        origin: &Origin,
    ) -> Result<IssuedSession, ServiceError> {
        let token = session_token_from(&self.random_bytes::<32>());
        let now = self.now();
        let actor = Actor {
            user: Some(user.id),
            kind: ActorKind::Password,
        };
        let event =
            AuditEvent::new(now, actor, origin, AuditAction::SessionCreate).on_user(user.id);
        let session = self
            .ports
            .sessions
            .create_session_audited(
                NewSession {
                    user_id: user.id,
                    token_digest: TokenDigest::of(&token),
                    created_at: now,
                    expires_at: now + self.settings.session_lifetime,
                    keep_at_most: self.settings.per_user.sessions.max(1),
                },
                Some(event),
            )
            .await?;
        self.ports.auth_events.session_issued();
        Ok(IssuedSession {
            token: SecretString::from(token),
            session,
        })
    }

    /// A bearer value: routed by prefix to sessions or API keys, never guessed.
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`], storage errors.
    pub async fn authenticate_bearer(
        &self,
        value: &str,
        origin: Origin,
    ) -> Result<Principal, ServiceError> {
        match bearer_kind(value) {
            BearerKind::Session => self.authenticate_session(value, origin).await,
            BearerKind::ApiKey => self.authenticate_api_key(value, origin).await,
            BearerKind::Unknown => Err(ServiceError::Unauthenticated),
        }
    }

    /// A session token: unexpired session of an active user.
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`], storage errors.
    pub async fn authenticate_session(
        &self,
        token: &str,
        origin: Origin,
    ) -> Result<Principal, ServiceError> {
        let (session, user) = self
            .ports
            .sessions
            .find_session_and_owner(&TokenDigest::of(token))
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let now = self.now();
        if session.expires_at <= now || !user.is_active(now) {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(Principal {
            user,
            credential: Credential::Session(session.id),
            origin,
        })
    }

    /// An API key: known identifier, matching digest, unexpired, active owner. Records
    /// `last_used_at` at most once per [`super::Settings::api_key_touch_interval`].
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`], storage errors.
    pub async fn authenticate_api_key(
        &self,
        key: &str,
        origin: Origin,
    ) -> Result<Principal, ServiceError> {
        let identifier = api_key_identifier(key).ok_or(ServiceError::Unauthenticated)?;
        let (stored, user) = self
            .ports
            .api_keys
            .find_api_key_and_owner(identifier)
            .await
            .map_err(super::error::unexpected_api_key_store)?
            .ok_or(ServiceError::Unauthenticated)?;
        let now = self.now();
        if !stored.secret_digest.matches(&TokenDigest::of(key))
            || !stored.is_valid_at(now)
            || !user.is_active(now)
        {
            return Err(ServiceError::Unauthenticated);
        }
        let due = stored
            .last_used_at
            .is_none_or(|at| now - at >= self.settings.api_key_touch_interval);
        if due {
            // Bookkeeping only: a failure must not refuse an otherwise valid request.
            let _ = self.ports.api_keys.touch_api_key(stored.id, now).await;
        }
        self.ports.auth_events.api_key_used();
        Ok(Principal {
            user,
            credential: Credential::ApiKey {
                id: stored.id,
                scopes: stored.scopes,
                expires_at: stored.expires_at,
            },
            origin,
        })
    }

    /// Ends the session the principal used; a no-op for Basic and API keys.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn sign_out(&self, principal: &Principal) -> Result<(), ServiceError> {
        if let Some(id) = principal.session() {
            let event = self
                .event(principal, AuditAction::SessionDelete)
                .on_user(principal.user.id);
            self.ports
                .sessions
                .delete_session_audited(id, Some(event))
                .await?;
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
