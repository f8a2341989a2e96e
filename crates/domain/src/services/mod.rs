//! Use cases: the [`Directory`] service enforces every rule of the contract (api.md sections
//! 1–3) over the ports. HTTP adapters parse, call one use case and render; they never decide a
//! business rule.

mod api_keys;
mod audit;
mod auth;
mod configurations;
mod error;
mod import;
mod os_accounts;
mod passwords;
mod principal;
mod recovery;
mod user_fields;
mod users;

pub use api_keys::{ApiKeyInput, CreatedApiKey, ScopeInput};
pub use auth::IssuedSession;
pub use configurations::ConfigurationInput;
pub use error::{Forbidden, NotFound, ServiceError};
pub use import::{ImportLine, ImportReport, ImportedUser, LineOutcome};
pub use passwords::{PasswordChange, PasswordRules};
pub use principal::{Audience, Credential, Principal};
pub use user_fields::{CreateRules, UpdateRules, UserInput};
pub use users::{CreateUserPermit, UserChangePermit, parse_user_ref};

use crate::audit::{AuditAction, AuditEvent};
use crate::listing::truncate_to_micros;
use crate::ports::{
    ApiKeyStore, AuditLog, AuthEvents, Clock, ConfigurationStore, CredentialCache,
    LoginFailureStore, OsAccountSource, PasswordHasher, RandomSource, SessionStore, UserStore,
};
use crate::values::PasswordPolicy;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// The adapters the directory works through.
#[derive(Clone)]
pub struct Ports {
    /// Users.
    pub users: Arc<dyn UserStore>,
    /// Sessions.
    pub sessions: Arc<dyn SessionStore>,
    /// API keys.
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// Configurations.
    pub configurations: Arc<dyn ConfigurationStore>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub random: Arc<dyn RandomSource>,
    /// Remembered Basic verifications.
    pub credential_cache: Arc<dyn CredentialCache>,
    /// OS users and groups.
    pub os_accounts: Arc<dyn OsAccountSource>,
    /// Failed password checks, for the login throttle.
    pub login_failures: Arc<dyn LoginFailureStore>,
    /// Where the login throttle reports lock-outs and refusals.
    pub auth_events: Arc<dyn AuthEvents>,
    /// The audit trail's own operations (events of changes go with the changes).
    pub audit: Arc<dyn AuditLog>,
}

/// Tunable rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Password length policy.
    pub password_policy: PasswordPolicy,
    /// How long a session lives.
    pub session_lifetime: Duration,
    /// An API key's `last_used_at` is written at most once per this interval.
    pub api_key_touch_interval: Duration,
    /// Password guessing is throttled by these rules; `None` turns it off.
    pub login_throttle: Option<ThrottleRules>,
    /// How many sessions, API keys and configurations one user may hold.
    pub per_user: PerUserLimits,
}

/// Per-user ceilings, so that no account can grow the directory without bound: past
/// `sessions` the oldest session is ended; past `api_keys` or `configurations` a create is
/// refused (422 naming the limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerUserLimits {
    /// Open sessions per user (at least 1).
    pub sessions: u32,
    /// API keys per user.
    pub api_keys: u32,
    /// Configurations per user.
    pub configurations: u32,
}

impl Default for PerUserLimits {
    fn default() -> Self {
        Self {
            sessions: 100,
            api_keys: 100,
            configurations: 1000,
        }
    }
}

/// The login throttle: past `per_login` failed password checks of one login from one client
/// address, or `per_address` from one address for any login, within `window`, further
/// attempts from there are refused (429) without checking the password until the oldest
/// failure leaves the window. A success clears the pair's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRules {
    /// How long a failure counts.
    pub window: Duration,
    /// Failures of one login from one address.
    pub per_login: u32,
    /// Failures from one address.
    pub per_address: u32,
}

impl Default for ThrottleRules {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            per_login: 10,
            per_address: 100,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            password_policy: PasswordPolicy::default(),
            session_lifetime: Duration::hours(24),
            api_key_touch_interval: Duration::seconds(60),
            login_throttle: Some(ThrottleRules::default()),
            per_user: PerUserLimits::default(),
        }
    }
}

/// The user directory: every use case of the product.
#[derive(Clone)]
pub struct Directory {
    ports: Ports,
    settings: Settings,
}

impl Directory {
    /// A directory over the given adapters.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self { ports, settings }
    }

    /// The rules in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Now, at the microsecond precision every store keeps.
    fn now(&self) -> DateTime<Utc> {
        truncate_to_micros(self.ports.clock.now())
    }

    /// An event of `action` by `principal`, now, from the principal's origin.
    fn event(&self, principal: &Principal, action: AuditAction) -> AuditEvent {
        AuditEvent::new(self.now(), principal.actor(), &principal.origin, action)
    }

    fn random_bytes<const N: usize>(&self) -> [u8; N] {
        let mut buf = [0u8; N];
        self.ports.random.fill(&mut buf);
        buf
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests;
