//! Builders of test data for the contract kit, public so that backends can reuse them in tests
//! of their own. Every value is valid; every instant is microsecond-precise. They panic on
//! input that does not validate (they are for tests).

use crate::entities::{NewApiKey, NewSession, NewUser, User, UserChanges, UserId, UserUpdate};
use crate::listing::truncate_to_micros;
use crate::secrets::{PasswordHash, TokenDigest};
use crate::values::{
    ApiKeyName, ConfigurationKey, ConfigurationValue, Email, ExternalId, Language, PersonName,
    Scope, SourceType, Username,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

/// The kit's epoch: 2025-01-01T00:00:00.123456Z (with microseconds, so that a backend that
/// drops them fails).
pub fn epoch() -> DateTime<Utc> {
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    truncate_to_micros(base + Duration::microseconds(123_456))
}

/// [`epoch`] plus `seconds` (negative for earlier).
pub fn at(seconds: i64) -> DateTime<Utc> {
    epoch() + Duration::seconds(seconds)
}

/// [`epoch`] plus `micros` microseconds.
pub fn at_micros(micros: i64) -> DateTime<Utc> {
    epoch() + Duration::microseconds(micros)
}

/// A UUID with the version-4 and variant bits set, derived from `n` (its low 48 bits are the
/// last hyphenated group).
pub fn uuid_from(n: u128) -> Uuid {
    uuid::Builder::from_random_bytes(Uuid::from_u128(n).into_bytes()).into_uuid()
}

static NEXT_UUID: AtomicU64 = AtomicU64::new(1);

/// A fresh UUID from a process-wide counter.
pub fn next_uuid() -> Uuid {
    uuid_from(u128::from(NEXT_UUID.fetch_add(1, Ordering::Relaxed)))
}

/// A valid username.
pub fn username(raw: &str) -> Username {
    Username::parse(raw).expect("valid username")
}

/// A valid e-mail address.
pub fn email(raw: &str) -> Email {
    Email::parse(raw).expect("valid e-mail")
}

/// A valid external id.
pub fn external_id(raw: &str) -> ExternalId {
    ExternalId::parse(raw).expect("valid external id")
}

/// A valid first or last name.
pub fn person(raw: &str) -> PersonName {
    PersonName::parse(raw).expect("valid name")
}

/// A valid language.
pub fn language(raw: &str) -> Language {
    Language::parse(raw).expect("valid language")
}

/// A valid configuration key.
pub fn config_key(raw: &str) -> ConfigurationKey {
    ConfigurationKey::parse(raw).expect("valid configuration key")
}

/// A valid configuration value.
pub fn config_value(raw: &str) -> ConfigurationValue {
    ConfigurationValue::parse(raw).expect("valid configuration value")
}

/// A valid API-key name.
pub fn key_name(raw: &str) -> ApiKeyName {
    ApiKeyName::parse(raw).expect("valid API key name")
}

/// A stand-in PHC string (stores never verify it).
pub fn password_hash(tag: &str) -> PasswordHash {
    PasswordHash::from_phc(format!(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${tag}aGFzaA"
    ))
}

/// An enabled, unexpired non-admin with only the required fields, created at [`epoch`], with
/// a UUID from [`next_uuid`]. Adjust it with struct update syntax.
pub fn new_user(name: &str) -> NewUser {
    NewUser {
        uuid: next_uuid(),
        username: username(name),
        email: None,
        first_name: None,
        last_name: None,
        external_id: None,
        language: Language::default(),
        is_admin: false,
        enabled: true,
        expired_at: None,
        posix_uid: None,
        posix_gid: None,
        source_type: SourceType::WebApp,
        password_hash: Some(password_hash("x")),
        created_at: epoch(),
    }
}

/// [`new_user`] as an admin.
pub fn new_admin(name: &str) -> NewUser {
    NewUser {
        is_admin: true,
        ..new_user(name)
    }
}

/// The user a store must return for `new` once it assigned `id`.
pub fn expected_user(id: UserId, new: &NewUser) -> User {
    new.clone().into_user(id)
}

/// An update applying `changes` at `now`, ending no session.
pub fn change(changes: UserChanges, now: DateTime<Utc>) -> UserUpdate {
    UserUpdate {
        changes,
        revoke_sessions: crate::entities::SessionRevocation::None,
        now,
    }
}

/// A session of `user` for the token `token`, created at [`epoch`], ending at `expires_at`.
pub fn new_session(user: UserId, token: &str, expires_at: DateTime<Utc>) -> NewSession {
    NewSession {
        user_id: user,
        token_digest: TokenDigest::of(token),
        created_at: epoch(),
        expires_at,
        keep_at_most: NO_LIMIT,
    }
}

/// A 16-hex-digit API-key identifier made from `n`.
pub fn key_identifier(n: u64) -> String {
    format!("{n:016x}")
}

/// An API key of `user` with the given identifier, two scopes, no expiry, created at
/// [`epoch`].
pub fn new_api_key(user: UserId, identifier: &str) -> NewApiKey {
    NewApiKey {
        user_id: user,
        name: key_name("deploy"),
        identifier: identifier.to_owned(),
        secret_digest: TokenDigest::of(&format!("rck_{identifier}_secret")),
        last_four: "cret".to_owned(),
        scopes: [Scope::USERS_INDEX, Scope::USERS_SHOW]
            .into_iter()
            .collect(),
        expires_at: None,
        created_at: epoch(),
        owner_may_hold: NO_LIMIT,
    }
}

/// A per-user ceiling no kit test reaches, for the tests that are not about ceilings.
pub const NO_LIMIT: u32 = u32::MAX;
